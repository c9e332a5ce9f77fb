package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.LeanItemStore;
import dev.tarmac.SharedPrimaryCache;
import dev.tarmac.api.Component;
import dev.tarmac.api.Database;
import dev.tarmac.api.KratixPromise;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Scorecard;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the {@link CatalogIndex} from informers — Components, Databases, Promises (Tarmac's and Kratix's), Templates,
 * Namespaces, Scorecards, every Promise's request kind through {@link #request}, and, where Crossplane's XRDs are
 * served, Compositions and every XRD's claim and XR kinds ({@link XrdKindInformers}) — and rebuilds it at most every
 * 100 ms after a change (longer while rebuilds are slow, see {@code loop}), so a change in the cluster is visible
 * over HTTP well within a second. After each rebuild it publishes Scorecard results to Components'
 * {@code status.scorecards} (only when they changed) and to metrics.
 */
public final class CatalogInformers implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CatalogInformers.class);

  private final KubernetesClient client;
  private final CatalogIndex index;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  /** The cached Component by namespace and name (null when absent): from the catalog's informer or the shared one. */
  private volatile java.util.function.BiFunction<String, String, Component> liveComponent = (ns, name) -> null;
  private volatile boolean republishScorecards;
  /** A Scorecard write failed: the next rebuild writes all results that differ from the cluster's. */
  private volatile boolean retryScorecards;
  private final Thread rebuilder;
  private volatile boolean running = true;
  private GaugeRows entitiesByKind;
  private GaugeRows scorecardLevels;
  private GaugeRows coverage;
  private GaugeRows requests;
  private GaugeRows selfService;
  private GaugeRows templateUsage;
  private RequestKindInformers requestKinds;
  private volatile XrdKindInformers crossplaneKinds;
  private volatile java.util.function.BooleanSupplier writer = () -> true;

  /**
   * @param client the client
   * @param index the catalog to feed
   */
  public CatalogInformers(KubernetesClient client, CatalogIndex index) {
    this.client = client;
    this.index = index;
    this.rebuilder = new Thread(this::loop, "catalog-rebuild");
    rebuilder.setDaemon(true);
  }

  /**
   * Makes the catalog watch every Available Promise's request kind itself ({@link RequestKindInformers}) instead of
   * being told about requests through {@link #request} by the request controllers; with leader election those run
   * only on the leader, these on every replica. Call before {@link #start}.
   */
  public CatalogInformers watchRequestKinds() {
    requestKinds = new RequestKindInformers(client, this::request);
    return this;
  }

  /**
   * Whether this replica writes Scorecard results to Components' status: with leader election only the leader does
   * (a standby serves the same catalog but writes nothing). Call {@link #leading} when it becomes true.
   */
  public CatalogInformers writeScorecardsWhen(java.util.function.BooleanSupplier mayWrite) {
    this.writer = mayWrite;
    return this;
  }

  /**
   * Which Components' status this operator writes Scorecard results into (default: all): a shard writes only its own
   * Components' ({@link dev.tarmac.api.Shard#owns}), so each Component's status has one writer. Call before
   * {@link #start}.
   */
  public CatalogInformers writeScorecardsOf(java.util.function.Predicate<Component> mine) {
    this.mine = mine;
    return this;
  }

  private java.util.function.Predicate<Component> mine = c -> true;

  /** This replica now leads: publish Scorecard results a standby left unwritten. */
  public void leading() {
    republishScorecards = true;
  }

  /** True when the catalog holds every request, claim and XR: no informer on their kinds is still listing. */
  public boolean requestsSynced() {
    XrdKindInformers crossplane = crossplaneKinds;
    return (requestKinds == null || requestKinds.synced()) && (crossplane == null || crossplane.synced());
  }

  /**
   * Reads Components from {@code shared} (the Component controller's informer cache) instead of an informer of its
   * own: for a process whose controller watches every Component (no leader election, no shard), so each Component is
   * held once. {@link #start} then waits for that cache's first list (the operator must be started). Call before
   * {@link #start}.
   */
  public CatalogInformers componentsFrom(SharedPrimaryCache<Component> shared) {
    this.sharedComponents = shared;
    return this;
  }

  private SharedPrimaryCache<Component> sharedComponents;

  /** Starts the informers (waiting for their first lists), the rebuild loop, and registers metrics. */
  public CatalogInformers start(MeterRegistry metrics) {
    ResourceEventHandler<Component> indexComponent = handler(null);
    ResourceEventHandler<Component> componentEvents = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Component c) {
        indexComponent.onAdd(c);
      }

      @Override
      public void onUpdate(Component old, Component c) {
        indexComponent.onUpdate(old, c);
        // Another writer of the Component's status may have dropped the Scorecard results: look again.
        if (!Objects.equals(scorecardsOf(old), scorecardsOf(c))) {
          republishScorecards = true;
        }
      }

      @Override
      public void onDelete(Component c, boolean unknown) {
        indexComponent.onDelete(c, unknown);
      }
    };
    if (sharedComponents != null) {
      // Its first list is awaited below, after the other informers have listed in the meantime.
      sharedComponents.addEventHandler(componentEvents);
      liveComponent = (namespace, name) -> sharedComponents.get(namespace, name).orElse(null);
    } else {
      SharedIndexInformer<Component> components = inform(LeanItemStore.runnable(
          client.resources(Component.class).inAnyNamespace(), componentEvents));
      liveComponent = (namespace, name) -> components.getStore().getByKey(namespace + "/" + name);
    }
    inform(LeanItemStore.runnable(client.resources(Database.class).inAnyNamespace(), handler(null)));
    inform(LeanItemStore.runnable(client.resources(Promise.class), promiseHandler()));
    inform(LeanItemStore.runnable(client.resources(KratixPromise.class), promiseHandler()));
    inform(LeanItemStore.runnable(client.resources(Template.class), handler(null)));
    inform(LeanItemStore.runnable(client.namespaces(), handler(null)));
    informBackstageKinds();
    informCrossplane();
    SharedIndexInformer<Scorecard> scorecards = client.resources(Scorecard.class).runnableInformer(0);
    scorecards.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Scorecard s) {
        index.scorecard(s.getMetadata().getName(), Serialization.JSON.valueToTree(s.getSpec()));
      }

      @Override
      public void onUpdate(Scorecard o, Scorecard s) {
        onAdd(s);
      }

      @Override
      public void onDelete(Scorecard s, boolean unknown) {
        index.scorecard(s.getMetadata().getName(), null);
      }
    });
    inform(scorecards);
    // Every kind above lists at once (start-up, issue 17: one after the other, ~16 lists were seconds at 10k objects).
    starts.await();
    if (!backstageKindsWatched.isEmpty()) {
      LOG.info("catalog watching Backstage kinds {}", backstageKindsWatched);
    }
    entitiesByKind = new GaugeRows(metrics, "tarmac.catalog.entities", "Catalog entities by kind");
    scorecardLevels = new GaugeRows(metrics, "tarmac.scorecard.level",
        "Scorecard level per entity: 0 none, then 1, 2, 3 in the Scorecard's order");
    coverage = new GaugeRows(metrics, "tarmac.catalog.coverage.ratio",
        "Share of Components with an owner, docs (techdocs) and on-call (PagerDuty); golden-path"
            + " adoption is the share scaffolded from a Template");
    requests = new GaugeRows(metrics, "tarmac.selfservice.requests",
        "Self-service requests (Promise requests and Databases) by Promise and outcome");
    selfService = new GaugeRows(metrics, "tarmac.selfservice.ratio",
        "Share of the catalog's Resources that developers asked for themselves: Promise requests, Databases,"
            + " Crossplane claims and namespaced XRs, against Resources registered by hand and cluster-scoped XRs");
    templateUsage = new GaugeRows(metrics, "tarmac.template.usage",
        "Components scaffolded from each Template (golden-path usage)");
    if (sharedComponents != null && !sharedComponents.awaitSynced(SharedPrimaryCache.FIRST_LIST_TIMEOUT)) {
      throw new IllegalStateException("the Component controller's cache did not list Components within "
          + SharedPrimaryCache.FIRST_LIST_TIMEOUT.toMinutes() + " minutes");
    }
    index.rebuild();
    publish();
    rebuilder.start();
    return this;
  }

  /**
   * Informers on the Backstage kinds ({@link dev.tarmac.backstage.BackstageKinds}) the API server serves, whoever
   * installed their CRDs: one discovery call per group version at start (kinds installed later are picked up at the
   * next start). A kind the operator may not list (RBAC) is logged and left out.
   */
  private void informBackstageKinds() {
    Map<String, java.util.Set<String>> served = new HashMap<>();
    for (var kind : dev.tarmac.backstage.BackstageKinds.KINDS) {
      java.util.Set<String> kinds = served.computeIfAbsent(kind.apiVersion(), gv -> {
        java.util.Set<String> names = new java.util.HashSet<>();
        try {
          var list = client.getApiResources(gv);
          if (list != null && list.getResources() != null) {
            list.getResources().forEach(r -> names.add(r.getKind()));
          }
        } catch (RuntimeException e) {
          LOG.debug("{} is not served: {}", gv, e.getMessage());
        }
        return names;
      });
      if (!kinds.contains(kind.kind())) {
        continue;
      }
      var context = new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder()
          .withGroup(kind.group()).withVersion(kind.versions().get(0)).withKind(kind.kind())
          .withPlural(kind.plural()).withNamespaced(true).build();
      // Backstage descriptors keep kubectl's last-applied copy: their title, tags and links are read from it.
      var informer = LeanItemStore.runnable(client.genericKubernetesResources(context).inAnyNamespace(),
          handler(null), LeanItemStore.keepingLastApplied());
      backstageKindsWatched.add(kind.kind());
      informers.add(informer);
      starts.start(informer, e -> {
        informers.remove(informer);
        backstageKindsWatched.remove(kind.kind());
        LOG.warn("catalog cannot watch {} ({}): {}; grant list and watch on {} to index them", kind.crdName(),
            kind.apiVersion(), e.getMessage(), kind.crdName());
      });
    }
  }

  /**
   * When the API server serves Crossplane's XRDs ({@code compositeresourcedefinitions.apiextensions.crossplane.io},
   * Tarmac's or Crossplane's; looked up once at start): an informer on XRDs that starts one on each XRD's XR and
   * claim kinds ({@link XrdKindInformers}), and one on Compositions (Template entities). A kind the operator may not
   * list (RBAC) is logged and left out.
   */
  private void informCrossplane() {
    var xrdVersion = dev.tarmac.trace.XrdNames.servedVersion(client);
    if (xrdVersion.isEmpty()) {
      return;
    }
    crossplaneKinds = new XrdKindInformers(client, this::crossplane);
    // Resynced every 30 s: an XR or claim informer that could not start (its CRD not yet Established) is retried.
    var xrds = client.genericKubernetesResources(xrdVersion.get(), dev.tarmac.trace.XrdNames.KIND)
        .runnableInformer(30_000);
    xrds.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(io.fabric8.kubernetes.api.model.GenericKubernetesResource xrd) {
        crossplaneKinds.xrd(Serialization.JSON.valueToTree(xrd), false);
      }

      @Override
      public void onUpdate(io.fabric8.kubernetes.api.model.GenericKubernetesResource old,
          io.fabric8.kubernetes.api.model.GenericKubernetesResource xrd) {
        onAdd(xrd);
      }

      @Override
      public void onDelete(io.fabric8.kubernetes.api.model.GenericKubernetesResource xrd, boolean unknown) {
        crossplaneKinds.xrd(Serialization.JSON.valueToTree(xrd), true);
      }
    });
    informers.add(xrds);
    starts.start(xrds, e -> {
      informers.remove(xrds);
      LOG.warn("catalog cannot watch {}.{}: {}; grant list and watch on it to index claims and XRs",
          dev.tarmac.trace.XrdNames.PLURAL, dev.tarmac.crossplane.CrossplaneFields.GROUP, e.getMessage());
    });
    LOG.info("catalog watching Crossplane XRDs ({}) for their claim and XR kinds", xrdVersion.get());
    var compositionVersion = dev.tarmac.trace.XrdNames.servedVersion(client, "compositions");
    if (compositionVersion.isPresent()) {
      var compositions = LeanItemStore.runnable(client.genericKubernetesResources(compositionVersion.get(),
          "Composition"), handler(null));
      informers.add(compositions);
      starts.start(compositions, e -> {
        informers.remove(compositions);
        LOG.warn("catalog cannot watch compositions.{}: {}", dev.tarmac.crossplane.CrossplaneFields.GROUP,
            e.getMessage());
      });
    }
  }

  /** Indexes (or, with {@code deleted}, removes) a Crossplane claim ({@code claim} true) or XR. */
  void crossplane(dev.tarmac.crossplane.XrdKinds kinds, boolean claim, HasMetadata object, boolean deleted) {
    if (deleted) {
      index.remove(key(object));
    } else {
      JsonNode json = Serialization.JSON.valueToTree(object);
      index.upsertEntities(key(object), List.of(CrossplaneEntities.map(json, kinds, claim)));
      index.status(key(object), json);
    }
  }

  /** The Crossplane claim and XR kinds the catalog watches, as {@code <xrd>/xr} and {@code <xrd>/claim}. */
  public java.util.Set<String> crossplaneKinds() {
    return crossplaneKinds == null ? java.util.Set.of() : crossplaneKinds.watched();
  }

  /** The Backstage kinds whose objects the catalog indexes (served by the API server at start). */
  public java.util.Set<String> backstageKinds() {
    return java.util.Set.copyOf(backstageKindsWatched);
  }

  private final java.util.Set<String> backstageKindsWatched = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Starts {@code informer} (listed with the others: {@link #starts}) and closes it with the catalog. */
  private <I extends SharedIndexInformer<?>> I inform(I informer) {
    informers.add(informer);
    return starts.start(informer);
  }

  /** The informers {@link #start} started; their first lists are awaited together. */
  private final dev.tarmac.InformerStarts starts = new dev.tarmac.InformerStarts();

  private <T extends HasMetadata> ResourceEventHandler<T> handler(String promise) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        index.upsert(key(obj), Serialization.JSON.valueToTree(obj), promise);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        onAdd(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        index.remove(key(obj));
      }
    };
  }

  /** Indexes Promises, and with {@link #watchRequestKinds} starts and stops the informers on their request kinds. */
  private <T extends Promise> ResourceEventHandler<T> promiseHandler() {
    ResourceEventHandler<T> index = handler(null);
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T p) {
        index.onAdd(p);
        if (requestKinds != null) {
          requestKinds.promise(p, false);
        }
      }

      @Override
      public void onUpdate(T old, T p) {
        index.onUpdate(old, p);
        if (requestKinds != null) {
          requestKinds.promise(p, false);
        }
      }

      @Override
      public void onDelete(T p, boolean unknown) {
        index.onDelete(p, unknown);
        if (requestKinds != null) {
          requestKinds.promise(p, true);
        }
      }
    };
  }

  /** Indexes (or, with {@code deleted}, removes) a request of Promise {@code promise}. */
  public void request(String promise, HasMetadata request, boolean deleted) {
    if (deleted) {
      index.remove(key(request));
    } else {
      index.upsert(key(request), Serialization.JSON.valueToTree(request), promise);
    }
  }

  private static String key(HasMetadata o) {
    ObjectMeta m = o.getMetadata();
    return o.getApiVersion() + "/" + o.getKind() + "/" + (m.getNamespace() == null ? "" : m.getNamespace()) + "/"
        + m.getName();
  }

  private void loop() {
    long lastNanos = 0;
    long lastEnd = 0;
    CatalogIndex.Snapshot published = null;
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    boolean cpuTime = threads.isCurrentThreadCpuTimeSupported();
    while (running) {
      try {
        // Leading edge: a change after a quiet spell is rebuilt within ~20 ms. Under a stream of changes, at least
        // 50 ms and three times the last rebuild's CPU time pass between rebuilds, so the catalog takes at most a
        // quarter of a core, and a change is still visible within 50 ms + 5 rebuilds. CPU time, not wall-clock
        // time: on a busy node a rebuild waits for a core, and the waiting would stretch the spacing (and the time
        // to visible) without the catalog using more of the core.
        Thread.sleep(20);
        if (index.dirty()) {
          if (System.nanoTime() - lastEnd < Math.max(50_000_000L, 3 * lastNanos)) {
            continue;
          }
          long start = System.nanoTime();
          long startCpu = cpuTime ? threads.getCurrentThreadCpuTime() : 0;
          boolean all = republishScorecards || retryScorecards || published == null;
          republishScorecards = false;
          retryScorecards = false;
          CatalogIndex.Snapshot s = index.rebuild();
          publish(all ? null : published);
          published = s;
          lastEnd = System.nanoTime();
          lastNanos = cpuTime ? threads.getCurrentThreadCpuTime() - startCpu : lastEnd - start;
        } else if (republishScorecards) {
          republishScorecards = false;
          publishComponentScorecards(index.snapshot(), null);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warn("catalog rebuild failed: {}", e.toString());
      }
    }
  }

  private void publish() {
    publish(null);
  }

  /**
   * Metrics of the current snapshot, and Scorecard results into Components' status: those that differ from
   * {@code before}'s (null: all of them).
   */
  private void publish(CatalogIndex.Snapshot before) {
    CatalogIndex.Snapshot s = index.snapshot();
    Map<String, Integer> kinds = new HashMap<>();
    s.entities().forEach(e -> kinds.merge(e.path("kind").asText(), 1, Integer::sum));
    Map<Tags, Integer> byKind = new HashMap<>();
    kinds.forEach((kind, n) -> byKind.put(Tags.of("kind", kind), n));
    entitiesByKind.set(byKind);
    Map<String, JsonNode> specs = index.scorecardSpecs();
    Map<Tags, Integer> levels = new HashMap<>();
    Map<String, List<String>> levelNames = new HashMap<>();
    s.scorecards().forEach((ref, results) -> results.forEach(r -> levels.put(
        Tags.of("scorecard", r.scorecard(), "entity", ref, "level", r.level()),
        r.rank(levelNames.computeIfAbsent(r.scorecard(), name -> Scorecards.levels(specs.getOrDefault(name,
            Serialization.JSON.createObjectNode())))))));
    scorecardLevels.set(levels);
    int components = 0;
    int owned = 0;
    int docs = 0;
    int oncall = 0;
    int golden = 0;
    Map<List<String>, Integer> outcomes = new HashMap<>();
    int selfServed = 0;
    int otherResources = 0;
    Map<Tags, Integer> usage = new HashMap<>();
    for (JsonNode e : s.entities()) {
      String kind = e.path("kind").asText();
      if (kind.equals("Resource")) {
        switch (selfService(e)) {
          case 1 -> selfServed++;
          case 0 -> otherResources++;
          default -> { }
        }
      }
      if (kind.equals("Component") && e.path("spec").has("template")) {
        usage.merge(Tags.of("template", e.path("spec").path("template").asText()), 1, Integer::sum);
      }
      if (kind.equals("Component")) {
        components++;
        owned += e.path("spec").has("owner") ? 1 : 0;
        docs += e.path("metadata").path("annotations").has("backstage.io/techdocs-ref") ? 1 : 0;
        oncall += e.path("metadata").path("annotations").has("pagerduty.com/service-id") ? 1 : 0;
        golden += e.path("spec").has("template") ? 1 : 0;
      } else if (kind.equals("Resource")) {
        String promise = e.path("spec").path("promise").asText(e.path("spec").path("type").asText());
        String outcome = e.path("spec").path("ready").asText("unknown");
        outcomes.merge(List.of(promise, outcome), 1, Integer::sum);
      }
    }
    double n = Math.max(1, components);
    coverage.set(Map.of(Tags.of("check", "owner"), owned / n, Tags.of("check", "docs"), docs / n,
        Tags.of("check", "oncall"), oncall / n, Tags.of("check", "golden-path"), golden / n));
    Map<Tags, Integer> byOutcome = new HashMap<>();
    outcomes.forEach((k, v) -> byOutcome.put(Tags.of("promise", k.get(0), "ready", k.get(1)), v));
    requests.set(byOutcome);
    int resources = selfServed + otherResources;
    selfService.set(resources == 0 ? Map.of() : Map.of(Tags.empty(), (double) selfServed / resources));
    templateUsage.set(usage);
    publishComponentScorecards(s, before);
  }

  /**
   * Whether a Resource entity is self-service: 1 for a Promise request, a Database, a Crossplane claim or a namespaced
   * XR without a claim (Crossplane v2's way of asking); 0 for a Resource registered by hand (a Backstage descriptor) or
   * a cluster-scoped XR without a claim (the platform team's); -1 for an XR made for a claim (its claim counts).
   */
  static int selfService(JsonNode resource) {
    JsonNode annotations = resource.path("metadata").path("annotations");
    String location = annotations.path("backstage.io/managed-by-location").asText("");
    String role = annotations.path(CrossplaneEntities.ROLE).asText("");
    if (role.equals("composite")) {
      if (resource.path("spec").has("claim")) {
        return -1;
      }
      return location.split("/").length == 5 ? 1 : 0;
    }
    if (role.equals("claim") || resource.path("spec").has("promise")
        || location.startsWith("kubernetes:platform.tarmac.dev/") && location.contains("/Database/")) {
      return 1;
    }
    return 0;
  }

  private static JsonNode scorecardsOf(Component c) {
    return Serialization.JSON.valueToTree(c.getStatus() == null ? null : c.getStatus().scorecards);
  }

  /**
   * Writes each Component's Scorecard results into its status, when they changed: of the results that differ from
   * {@code before}'s (the index keeps an unchanged entity's results as the same list), or of all with null.
   */
  private void publishComponentScorecards(CatalogIndex.Snapshot s, CatalogIndex.Snapshot before) {
    if (!writer.getAsBoolean()) {
      return;
    }
    s.scorecards().forEach((ref, results) -> {
      if (!ref.startsWith("component:") || before != null && before.scorecards().get(ref) == results) {
        return;
      }
      JsonNode entity = s.byRef().get(ref);
      String location = entity.path("metadata").path("annotations").path("backstage.io/managed-by-location")
          .asText("");
      if (!location.startsWith("kubernetes:platform.tarmac.dev/")) {
        return;
      }
      List<Component.ScorecardResult> out = new ArrayList<>();
      for (Scorecards.Result r : results) {
        Component.ScorecardResult c = new Component.ScorecardResult();
        c.name = r.scorecard();
        c.level = r.level();
        c.passed = r.passed();
        c.failed = r.failed();
        out.add(c);
      }
      JsonNode wanted = Serialization.JSON.valueToTree(out);
      String[] parts = location.substring("kubernetes:".length()).split("/");
      if (parts.length != 5) {
        return;
      }
      // Compared with the Component as the cluster has it (not with what was last sent): a status write by the
      // Component's own reconciler that dropped the field is repaired on the next rebuild.
      Component live = liveComponent.apply(parts[3], parts[4]);
      if (live == null || !mine.test(live) || (live.getStatus() != null
          && wanted.equals(Serialization.JSON.valueToTree(live.getStatus().scorecards)))) {
        return;
      }
      try {
        dev.tarmac.PatchTarget.of(client.resources(Component.class), live, Component::new).subresource("status")
            .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"scorecards\":" + wanted + "}}");
      } catch (RuntimeException e) {
        LOG.debug("could not write scorecards of {}: {}", ref, e.getMessage());
        retryScorecards = true; // all looked at again after the next rebuild, as before
      }
    });
  }

  /** The catalog. */
  public CatalogIndex index() {
    return index;
  }

  @Override
  public void close() {
    running = false;
    rebuilder.interrupt();
    if (requestKinds != null) {
      requestKinds.close();
    }
    if (crossplaneKinds != null) {
      crossplaneKinds.close();
    }
    informers.forEach(SharedIndexInformer::close);
  }
}
