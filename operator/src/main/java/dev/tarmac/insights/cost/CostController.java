package dev.tarmac.insights.cost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.Events;
import dev.tarmac.LeanItemStore;
import dev.tarmac.Retries;
import dev.tarmac.SharedPrimaryCache;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.CostModel;
import dev.tarmac.api.Database;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.TarmacStatus;
import dev.tarmac.api.Work;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.GaugeRows;
import dev.tarmac.insights.WorkloadInformers;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cost attribution and budgets at run time (docs/insights-cost.md). Watches what costs money (Pods,
 * PersistentVolumeClaims, the kinds the CostModel prices), what owns it (ReplicaSets, Deployments, StatefulSets,
 * DaemonSets, Jobs, Components, Databases, Works, every Promise's requests) and the Namespaces (teams, budgets);
 * at most every {@code interval} after a change it runs {@link CostCalculator} with the in-effect {@link CostModel}
 * and publishes the result:
 *
 * <ul>
 *   <li>metrics {@code tarmac_cost_monthly{team,kind}}, {@code tarmac_cost_attribution_ratio},
 *       {@code tarmac_cost_budget_ratio{team}};</li>
 *   <li>the CostModel's status (Ready, BudgetsValid, totals, per-team costs), written only when it changed;</li>
 *   <li>{@code status.cost} of catalog entities (Components, Resources, Groups);</li>
 *   <li>the {@code WithinBudget} condition on the Components, Databases and Promise requests of teams with a budget,
 *       written only when it changes, and a Warning Event {@code OverBudget} on each object that goes over and on
 *       the CostModel when a team goes over;</li>
 *   <li>{@link #refusal} for Promises that refuse new requests from teams over budget.</li>
 * </ul>
 * Only a replica that may write (the leader) writes; every replica serves the metrics.
 *
 * <p>A kind a rule prices (with a {@code group}) that the API server does not serve — its CRD is not installed — is
 * not an error of the prices: documents of Works are still priced, and so is everything else. The in-effect CostModel
 * then says so with {@link #PRICED_KINDS_SERVED} False (reason {@link #PRICED_KIND_MISSING}, the kinds and what to
 * install) and a Warning Event, and discovery looks again with {@link Retries}' backoff (at most every 30 s), so the
 * informer starts once the CRD appears. A watch that fails later (the CRD deleted) is stopped and looked up the same
 * way, logged once instead of fabric8's stack trace at every retry. The Deployment and StatefulSet informers are the
 * ones DORA metrics use too ({@link WorkloadInformers}). In a process whose controllers see every object (no leader
 * election, no shard) Components, Works and requests are read from the controllers' caches ({@link #componentsFrom},
 * {@link #worksFrom}, {@link #requestsFrom}) instead of informers of its own, so each is held once.
 */
public final class CostController implements AutoCloseable {

  /** The condition on a team's objects. */
  public static final String WITHIN_BUDGET = "WithinBudget";
  /** The reason of {@link #WITHIN_BUDGET} False, and of the Events. */
  public static final String OVER_BUDGET = "OverBudget";
  /** The condition on a CostModel about the budgets on namespaces. */
  public static final String BUDGETS_VALID = "BudgetsValid";
  /** The condition on the in-effect CostModel that says whether the API server serves every kind a rule prices. */
  public static final String PRICED_KINDS_SERVED = "PricedKindsServed";
  /** The reason of {@link #PRICED_KINDS_SERVED} False, and of its Warning Event. */
  public static final String PRICED_KIND_MISSING = "PricedKindMissing";
  /** Promise annotation: "true" makes the Promise refuse new requests from teams over budget. */
  public static final String REFUSE_OVER_BUDGET = "platform.tarmac.dev/refuse-over-budget";

  private static final Logger LOG = LoggerFactory.getLogger(CostController.class);
  private static final int MAX_LISTED = 20;
  private static final com.fasterxml.jackson.core.type.TypeReference<List<io.fabric8.kubernetes.api.model.Condition>>
      CONDITIONS = new com.fasterxml.jackson.core.type.TypeReference<>() { };

  private final KubernetesClient client;
  private final Events events;
  private final CatalogIndex catalog;
  private final Duration interval;
  private volatile BooleanSupplier mayWrite = () -> true;
  private volatile Runnable backWithinBudget = () -> { };
  private final AtomicLong changes = new AtomicLong();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  /** Informers on kinds found at run time (requests, priced kinds), by group/kind. */
  private final Map<String, SharedIndexInformer<GenericKubernetesResource>> dynamic = new ConcurrentHashMap<>();
  /** Group/kind of every Promise's request kind, by Promise name. */
  private final Map<String, String> requestKinds = new ConcurrentHashMap<>();
  private final Map<String, Parsed> parsedWorks = new ConcurrentHashMap<>();
  /** Priced kinds the API server does not serve (yet), by group/kind: looked up again with backoff. */
  private final Map<String, Missing> missing = new ConcurrentHashMap<>();
  /** Dynamic informers whose failure was logged (once per fault), by group/kind. */
  private final Set<String> failingWatches = ConcurrentHashMap.newKeySet();
  private final WorkloadInformers workloads;
  private final ResourceEventHandler<HasMetadata> workloadHandler = changed();
  private SharedIndexInformer<CostModel> costModels;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Namespace> namespaces;
  private SharedIndexInformer<Work> works;
  /** The Component controller's cache, read instead of an informer of cost's own ({@link #componentsFrom}). */
  private SharedPrimaryCache<Component> sharedComponents;
  /** The Work controller's cache, read instead of an informer of cost's own ({@link #worksFrom}). */
  private SharedPrimaryCache<Work> sharedWorks;
  /** A Promise's requests from its request controller's cache ({@link #requestsFrom}); null: cost's own informers. */
  private java.util.function.Function<String, List<GenericKubernetesResource>> sharedRequests;
  private final ResourceEventHandler<HasMetadata> sharedHandler = changed();
  private final Thread loop;
  private volatile boolean running = true;
  private volatile State state = State.NONE;
  private final AtomicLong computations = new AtomicLong();
  private GaugeRows monthly;
  private GaugeRows budgetRatio;
  private final AtomicReference<Double> attributionRatio = new AtomicReference<>(1.0);

  /**
   * A Work's documents as last parsed.
   *
   * @param resourceVersion the Work's, when parsed
   * @param pricing the prices they were kept for ({@link #pricingKey}): documents of kinds those prices do not name
   *     are kept as their identity only
   * @param documents what {@link #documents(Work, Prices)} returned
   */
  private record Parsed(String resourceVersion, String pricing, List<JsonNode> documents) {
  }

  /**
   * A priced kind discovery did not find.
   *
   * @param group its API group
   * @param kind its kind
   * @param attempts lookups that did not find it, 1 or more
   * @param nextLookup when to look again, {@link System#nanoTime()}
   */
  private record Missing(String group, String kind, int attempts, long nextLookup) {
    Missing next() {
      return new Missing(group, kind, attempts + 1, System.nanoTime() + Retries.delayAfter(attempts).toNanos());
    }
  }

  /**
   * What the last computation found.
   *
   * @param result the costs, null before the first computation or without a usable CostModel
   * @param standings per team
   * @param teamOfNamespace namespace → team
   */
  record State(CostCalculator.Result result, Map<String, Budgets.Standing> standings,
      Map<String, String> teamOfNamespace) {
    static final State NONE = new State(null, Map.of(), Map.of());
  }

  /**
   * @param client the client
   * @param workloads the Deployment and StatefulSet informers shared with DORA metrics; the caller closes them
   * @param events where Events go
   * @param catalog the catalog to add {@code status.cost} to, or null
   * @param interval shortest time between two computations
   */
  public CostController(KubernetesClient client, WorkloadInformers workloads, Events events, CatalogIndex catalog,
      Duration interval) {
    this.client = client;
    this.workloads = workloads;
    this.events = events;
    this.catalog = catalog;
    this.interval = interval;
    this.loop = new Thread(this::run, "cost");
    loop.setDaemon(true);
  }

  /** Whether this replica writes status, conditions and Events (with leader election: only the leader). */
  public CostController writeWhen(BooleanSupplier mayWrite) {
    this.mayWrite = mayWrite;
    return this;
  }

  /** Called when a team that was over its budget is back within it (held requests may proceed). */
  public CostController onBackWithinBudget(Runnable callback) {
    this.backWithinBudget = callback;
    return this;
  }

  /**
   * Reads Components from {@code shared} (the Component controller's informer cache) instead of an informer of its
   * own, so each Component is held once (issue 17, figure 3). Only for a process whose controller sees every
   * Component (no leader election, no shard). Call before {@link #start}.
   */
  public CostController componentsFrom(SharedPrimaryCache<Component> shared) {
    this.sharedComponents = shared;
    return this;
  }

  /** As {@link #componentsFrom}, for Works (the Work controller's cache, {@code WorkReconciler#cache()}). */
  public CostController worksFrom(SharedPrimaryCache<Work> shared) {
    this.sharedWorks = shared;
    return this;
  }

  /**
   * Reads each Promise's requests with {@code requestsOfPromise} (by Promise name: the request controller's cache,
   * {@code PromiseRuntime#requests}) instead of an informer per request kind of its own; the caller then reports
   * every change of a request to {@link #request}. Only for a process whose request controllers see every request
   * (no leader election, no shard). Call before {@link #start}.
   */
  public CostController requestsFrom(java.util.function.Function<String, List<GenericKubernetesResource>>
      requestsOfPromise) {
    this.sharedRequests = requestsOfPromise;
    return this;
  }

  /**
   * A request of Promise {@code promise} was added, changed or deleted (the request controllers' observer, with
   * {@link #requestsFrom}): the next computation is due.
   */
  public void request(String promise, GenericKubernetesResource request, boolean deleted) {
    changes.incrementAndGet();
  }

  /**
   * Starts the informers (waiting for their first lists; with shared caches also for theirs, at most
   * {@link SharedPrimaryCache#FIRST_LIST_TIMEOUT}), registers the metrics and starts computing.
   */
  public CostController start(MeterRegistry metrics) {
    monthly = new GaugeRows(metrics, "tarmac.cost.monthly",
        "Monthly cost by team and priced kind, in the in-effect CostModel's currency (team=unattributed: no team)");
    budgetRatio = new GaugeRows(metrics, "tarmac.cost.budget.ratio",
        "Monthly cost / monthly budget per team with a budget (platform.tarmac.dev/monthly-budget)");
    Gauge.builder("tarmac.cost.attribution.ratio", attributionRatio, AtomicReference::get)
        .description("Share of the priced monthly cost that belongs to a team, 0..1").strongReference(true)
        .register(metrics);
    costModels = LeanItemStore.inform(client.resources(CostModel.class), changed());
    namespaces = LeanItemStore.inform(client.namespaces(), changed());
    inform(client.pods().inAnyNamespace());
    inform(client.persistentVolumeClaims().inAnyNamespace());
    workloads.addHandler(workloadHandler);
    inform(client.apps().replicaSets().inAnyNamespace());
    inform(client.apps().daemonSets().inAnyNamespace());
    inform(client.batch().v1().jobs().inAnyNamespace());
    if (sharedComponents != null) {
      sharedComponents.addEventHandler(sharedHandler);
    } else {
      inform(client.resources(Component.class).inAnyNamespace());
    }
    inform(client.resources(Database.class).inAnyNamespace());
    if (sharedWorks != null) {
      sharedWorks.addEventHandler(sharedHandler);
    } else {
      works = LeanItemStore.inform(client.resources(Work.class).inAnyNamespace(), changed());
      informers.add(works);
    }
    informers.add(costModels);
    informers.add(namespaces);
    informers.add(LeanItemStore.inform(client.resources(Promise.class), new ResourceEventHandler<>() {
      @Override
      public void onAdd(Promise p) {
        promise(p, false);
      }

      @Override
      public void onUpdate(Promise old, Promise p) {
        promise(p, false);
      }

      @Override
      public void onDelete(Promise p, boolean unknown) {
        promise(p, true);
      }
    }));
    for (var shared : java.util.Arrays.asList(sharedComponents, sharedWorks)) {
      if (shared != null && !shared.awaitSynced(SharedPrimaryCache.FIRST_LIST_TIMEOUT)) {
        LOG.warn("cost: a controller's cache did not list its kind within {} minutes; computing without it",
            SharedPrimaryCache.FIRST_LIST_TIMEOUT.toMinutes());
      }
    }
    changes.incrementAndGet();
    loop.start();
    return this;
  }

  private <T extends HasMetadata> void inform(io.fabric8.kubernetes.client.dsl.Informable<T> source) {
    informers.add(LeanItemStore.inform(source, changed()));
  }

  private <T> ResourceEventHandler<T> changed() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        changes.incrementAndGet();
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        changes.incrementAndGet();
      }

      @Override
      public void onDelete(T obj, boolean unknown) {
        changes.incrementAndGet();
      }
    };
  }

  /** Starts (or stops) the informer on a Promise's request kind, once the Promise reports it. */
  private void promise(Promise p, boolean deleted) {
    String name = p.getMetadata().getName();
    if (deleted || p.getStatus() == null || p.getStatus().kind == null || p.getStatus().apiVersion == null
        || p.getStatus().crdName == null) {
      String gone = requestKinds.remove(name);
      if (deleted && gone != null) {
        var i = dynamic.remove(gone);
        if (i != null) {
          i.close();
        }
      }
      changes.incrementAndGet();
      return;
    }
    String apiVersion = p.getStatus().apiVersion;
    String plural = p.getStatus().crdName.split("\\.", 2)[0];
    boolean namespaced = !"Cluster".equals(p.getSpec() == null || p.getSpec().api == null ? null
        : p.getSpec().api.path("spec").path("scope").asText());
    String key = groupKind(apiVersion, p.getStatus().kind);
    requestKinds.put(name, key);
    if (sharedRequests == null) {
      watch(key, apiVersion, p.getStatus().kind, plural, namespaced);
    }
    changes.incrementAndGet();
  }

  private static String groupKind(String apiVersion, String kind) {
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    return (group + "/" + kind).toLowerCase(Locale.ROOT);
  }

  private void watch(String key, String apiVersion, String kind, String plural, boolean namespaced) {
    dynamic.computeIfAbsent(key, k -> {
      String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
      String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
      var context = new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(kind)
          .withPlural(plural).withNamespaced(namespaced).build();
      try {
        var op = client.genericKubernetesResources(context);
        var informer = namespaced ? op.inAnyNamespace().runnableInformer(0) : op.runnableInformer(0);
        informer.itemStore(new LeanItemStore<>());
        informer.addEventHandler(changed());
        informer.exceptionHandler((started, t) -> watchFailed(key, group, kind, t));
        informer.start();
        return informer;
      } catch (RuntimeException e) {
        LOG.warn("cost: cannot watch {} ({}): {}; grant get, list and watch on {}.{} to price them", kind,
            apiVersion, e.getMessage(), plural, group);
        return null;
      }
    });
  }

  /**
   * A dynamic informer's list or watch failed (fabric8 asks whether to retry). Not found (404: the CRD is gone): the
   * informer stops and the kind is looked up again with backoff; anything else (403, an outage): fabric8 retries.
   * Either way logged once per fault, without a stack trace.
   */
  private boolean watchFailed(String key, String group, String kind, Throwable t) {
    Throwable cause = t;
    while (cause.getCause() != null && !(cause instanceof KubernetesClientException)) {
      cause = cause.getCause();
    }
    int code = cause instanceof KubernetesClientException k ? k.getCode() : 0;
    if (code == 404) {
      LOG.warn("cost: {} ({}) is no longer served by the API server; stopped watching it, looking it up again with"
          + " backoff", kind, group);
      SharedIndexInformer<GenericKubernetesResource> gone = dynamic.remove(key);
      missing.putIfAbsent(key, new Missing(group, kind, 0, System.nanoTime()).next());
      failingWatches.remove(key);
      changes.incrementAndGet();
      if (gone != null) {
        // Not on this (the informer's own) thread: closing waits for it.
        Thread stop = new Thread(gone::close, "cost-watch-stop");
        stop.setDaemon(true);
        stop.start();
      }
      return false;
    }
    if (failingWatches.add(key)) {
      LOG.warn("cost: cannot list or watch {} ({}): {}; retried (grant get, list and watch on it to price it: chart"
          + " value costs.pricedResources)", kind, group, cause.getMessage());
    }
    return true;
  }

  /**
   * Watches the kinds the in-effect prices name with a group, found through discovery; a kind not served is looked up
   * again with {@link Retries}' backoff. Returns the kinds not served, sorted (for the CostModel's condition).
   */
  private List<Missing> watchPricedKinds(Prices prices) {
    Set<String> priced = new java.util.TreeSet<>();
    for (Prices.Rule r : prices.rules()) {
      if (r.group() == null) {
        continue;
      }
      String key = (r.group() + "/" + r.kind()).toLowerCase(Locale.ROOT);
      if (builtIn(key)) {
        continue;
      }
      priced.add(key);
      if (sharedRequests != null && requestKinds.containsValue(key)) {
        // A Promise's request kind: read from its request controller's cache, not watched a second time.
        missing.remove(key);
        failingWatches.remove(key);
        continue;
      }
      if (dynamic.containsKey(key)) {
        missing.remove(key);
        failingWatches.remove(key);
        continue;
      }
      Missing m = missing.get(key);
      if (m != null && System.nanoTime() - m.nextLookup() < 0) {
        continue;
      }
      try {
        if (!discoverAndWatch(key, r)) {
          missing.put(key, (m == null ? new Missing(r.group(), r.kind(), 0, 0) : m).next());
        } else {
          missing.remove(key);
        }
      } catch (RuntimeException e) {
        // Discovery itself failed (an outage): not a missing kind; asked again with the same backoff.
        LOG.debug("cost: discovery of {} failed: {}", key, e.getMessage());
        if (m != null) {
          missing.put(key, m.next());
        }
      }
    }
    // Rules removed from the prices: no longer looked up.
    missing.keySet().retainAll(priced);
    failingWatches.retainAll(priced);
    return missing.values().stream().filter(m -> dynamic.get((m.group() + "/" + m.kind()).toLowerCase(Locale.ROOT))
        == null).sorted(Comparator.comparing(Missing::group).thenComparing(Missing::kind)).toList();
  }

  /** Discovery of a rule's kind; true when the API server serves it (it is then watched). */
  private boolean discoverAndWatch(String key, Prices.Rule r) {
    var group = client.getApiGroup(r.group());
    if (group == null || group.getPreferredVersion() == null) {
      return false;
    }
    String gv = group.getPreferredVersion().getGroupVersion();
    var resources = client.getApiResources(gv);
    if (resources == null || resources.getResources() == null) {
      return false;
    }
    var found = resources.getResources().stream().filter(a -> r.kind().equals(a.getKind())
        && !a.getName().contains("/")).findFirst();
    found.ifPresent(a -> watch(key, gv, r.kind(), a.getName(), Boolean.TRUE.equals(a.getNamespaced())));
    return found.isPresent() && dynamic.containsKey(key);
  }

  /** True when a priced kind that was not served is due to be looked up again (the loop then computes). */
  private boolean lookupDue() {
    long now = System.nanoTime();
    return missing.values().stream().anyMatch(m -> now - m.nextLookup() >= 0);
  }

  private static boolean builtIn(String groupKind) {
    return List.of("/pod", "/persistentvolumeclaim", "apps/deployment", "apps/replicaset", "apps/statefulset",
        "apps/daemonset", "batch/job", "platform.tarmac.dev/component", "platform.tarmac.dev/database",
        "platform.tarmac.dev/work").contains(groupKind);
  }

  private void run() {
    long seen = -1;
    while (running) {
      try {
        Thread.sleep(interval.toMillis());
        long now = changes.get();
        // A priced kind's CRD may appear without any event this controller hears of: look for it when it is due.
        if (now != seen || lookupDue()) {
          seen = now;
          compute();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warn("cost computation failed: {}", e.toString());
        seen = -1;
      }
    }
  }

  /** The CostModel in effect: the one named {@code default}, else the oldest (then the first by name). */
  static Optional<CostModel> inEffect(List<CostModel> models) {
    return models.stream().filter(m -> m.getMetadata().getDeletionTimestamp() == null)
        .min(Comparator.comparing((CostModel m) -> !CostModel.DEFAULT_NAME.equals(m.getMetadata().getName()))
            .thenComparing(m -> Objects.requireNonNullElse(m.getMetadata().getCreationTimestamp(), ""))
            .thenComparing(m -> m.getMetadata().getName()));
  }

  /** One computation: read the caches, compute, publish. */
  void compute() {
    computations.incrementAndGet();
    List<CostModel> models = costModels.getStore().list();
    Optional<CostModel> effective = inEffect(models);
    List<JsonNode> nsObjects = new ArrayList<>();
    namespaces.getStore().list().forEach(n -> nsObjects.add(Serialization.JSON.valueToTree(n)));
    Map<String, String> teamOfNamespace = new HashMap<>();
    nsObjects.forEach(n -> {
      String team = Budgets.teamOf(n);
      if (team != null) {
        teamOfNamespace.put(n.path("metadata").path("name").asText(), team);
      }
    });
    Budgets.Read budgets = Budgets.read(nsObjects);
    Prices.Checked checked = effective.map(m -> Prices.check(m.getSpec())).orElse(null);
    CostCalculator.Result result = null;
    List<Missing> notServed = List.of();
    if (checked != null && checked.prices() != null) {
      notServed = watchPricedKinds(checked.prices());
      result = CostCalculator.compute(checked.prices(), inventory(teamOfNamespace, checked.prices(),
          pricingKey(effective.get())));
    } else {
      // No prices in effect: no kind to look up (else the loop would compute at every interval for nothing).
      missing.clear();
    }
    Map<String, Budgets.Standing> standings = result == null ? Map.of()
        : Budgets.standings(result.teams(), budgets.byTeam());
    State before = state;
    state = new State(result, standings, Map.copyOf(teamOfNamespace));
    publishMetrics(result, standings);
    publishCatalog(result, standings);
    if (!mayWrite.getAsBoolean()) {
      return;
    }
    for (CostModel m : models) {
      writeCostModel(m, effective.orElse(null), checked, result, standings, budgets, notServed);
    }
    if (result != null) {
      teamEvents(before, effective.get(), result.currency());
      writeConditions(result, standings);
    }
  }

  /** The prices' identity for {@link Parsed}: the in-effect CostModel's UID and generation (its spec). */
  private static String pricingKey(CostModel m) {
    return m.getMetadata().getUid() + "/" + m.getMetadata().getGeneration();
  }

  private CostCalculator.Inventory inventory(Map<String, String> teamOfNamespace, Prices prices, String pricing) {
    List<JsonNode> objects = new ArrayList<>();
    for (SharedIndexInformer<?> i : informers) {
      if (i == costModels || i == namespaces || i == works) {
        continue;
      }
      i.getStore().list().forEach(o -> objects.add(Serialization.JSON.valueToTree(o)));
    }
    workloads.both().forEach(i -> i.getStore().list().forEach(o -> objects.add(Serialization.JSON.valueToTree(o))));
    if (sharedComponents != null) {
      sharedComponents.list().forEach(o -> objects.add(Serialization.JSON.valueToTree(o)));
    }
    dynamic.forEach((key, i) -> {
      // With shared requests an informer started on a kind before it became a request kind is not read twice.
      if (sharedRequests == null || !requestKinds.containsValue(key)) {
        i.getStore().list().forEach(o -> objects.add(Serialization.JSON.valueToTree(o)));
      }
    });
    requests().forEach(o -> objects.add(Serialization.JSON.valueToTree(o)));
    List<CostCalculator.WorkDocuments> docs = new ArrayList<>();
    Map<String, Parsed> keep = new HashMap<>();
    for (Work w : sharedWorks != null ? sharedWorks.list() : works.getStore().list()) {
      String uid = w.getMetadata().getUid();
      Parsed p = parsedWorks.get(uid);
      if (p == null || !Objects.equals(p.resourceVersion(), w.getMetadata().getResourceVersion())
          || !p.pricing().equals(pricing)) {
        p = new Parsed(w.getMetadata().getResourceVersion(), pricing, documents(w, prices));
      }
      keep.put(uid, p);
      Work.OwnerRef o = w.getSpec() == null ? null : w.getSpec().owner;
      CostCalculator.Ref owner = o == null || o.kind == null ? null : new CostCalculator.Ref(
          Objects.requireNonNullElse(o.uid, ""), Objects.requireNonNullElse(o.apiVersion, ""), o.kind,
          Objects.requireNonNullElse(o.namespace, ""), Objects.requireNonNullElse(o.name, ""));
      docs.add(new CostCalculator.WorkDocuments(uid, w.getMetadata().getNamespace(), owner, p.documents()));
    }
    parsedWorks.keySet().retainAll(keep.keySet());
    parsedWorks.putAll(keep);
    return new CostCalculator.Inventory(objects, teamOfNamespace, docs);
  }

  /**
   * The YAML documents of a Work's files that name a kind (files over 1 MiB and unparsable ones are skipped). A
   * document of a kind {@code prices} does not price is kept as its identity only ({@code apiVersion}, {@code kind},
   * {@code metadata.name} and {@code namespace}: all {@link CostCalculator} reads of it, to attribute the object to
   * the Work's owner), not as the whole tree: these are kept between computations, one per Work, and the whole
   * trees were the larger part of the live heap per request (docs/benchmarks.md, "Round two — memory").
   */
  static List<JsonNode> documents(Work w, Prices prices) {
    List<JsonNode> out = new ArrayList<>();
    if (w.getSpec() == null || w.getSpec().files == null) {
      return out;
    }
    for (Work.WorkFile f : w.getSpec().files) {
      if (f.content == null || f.content.length() > 1 << 20) {
        continue;
      }
      try (var it = Serialization.YAML.readerFor(JsonNode.class).<JsonNode>readValues(f.content)) {
        while (it.hasNextValue()) {
          JsonNode d = it.nextValue();
          if (d != null && d.isObject() && d.hasNonNull("kind")) {
            out.add(CostCalculator.priced(prices, d.path("apiVersion").asText(""), d.path("kind").asText("")) ? d
                : identity(d));
          }
        }
      } catch (java.io.IOException | RuntimeException e) {
        LOG.debug("cost: skipping {} of Work {}: {}", f.path, w.getMetadata().getName(), e.getMessage());
      }
    }
    return out;
  }

  /** A document's identity: apiVersion, kind, metadata name and namespace (interned: the same few kinds repeat). */
  private static JsonNode identity(JsonNode d) {
    ObjectNode out = Serialization.JSON.createObjectNode();
    for (String f : List.of("apiVersion", "kind")) {
      if (d.get(f) != null && d.get(f).isTextual()) {
        out.put(f, d.get(f).asText().intern());
      }
    }
    JsonNode m = d.path("metadata");
    if (m.isObject()) {
      ObjectNode meta = out.putObject("metadata");
      for (String f : List.of("name", "namespace")) {
        if (m.get(f) != null && m.get(f).isValueNode()) {
          meta.set(f, m.get(f));
        }
      }
    }
    return out;
  }

  private void publishMetrics(CostCalculator.Result result, Map<String, Budgets.Standing> standings) {
    Map<Tags, Double> rows = new HashMap<>();
    if (result != null) {
      Map<List<String>, Double> sums = new HashMap<>();
      for (CostCalculator.Line l : result.lines()) {
        sums.merge(List.of(l.team() == null ? "unattributed" : l.team(), l.object().kind()), l.monthly(),
            Double::sum);
      }
      sums.forEach((k, v) -> rows.put(Tags.of("team", k.get(0), "kind", k.get(1)), CostCalculator.cents(v)));
    }
    monthly.set(rows);
    Map<Tags, Double> ratios = new HashMap<>();
    standings.values().forEach(s -> {
      if (s.ratio() != null) {
        ratios.put(Tags.of("team", s.team()), s.ratio());
      }
    });
    budgetRatio.set(ratios);
    attributionRatio.set(result == null ? 1.0 : result.attributionRatio());
  }

  /** {@code status.cost} of Components, Resources (Databases, requests, claims, XRs) and Groups. */
  private void publishCatalog(CostCalculator.Result result, Map<String, Budgets.Standing> standings) {
    if (catalog == null) {
      return;
    }
    if (result == null) {
      catalog.statusField("cost", null);
      return;
    }
    Map<String, JsonNode> byRef = new HashMap<>();
    for (CostCalculator.Cost c : result.byUid().values()) {
      String ref = entityRef(c.object());
      if (ref == null) {
        continue;
      }
      ObjectNode cost = Serialization.JSON.createObjectNode();
      cost.put("currency", result.currency());
      cost.put("monthly", CostCalculator.cents(c.monthly()));
      if (c.team() != null) {
        cost.put("team", c.team());
        budgetFields(cost, standings.get(c.team()));
      }
      byRef.put(ref, cost);
    }
    standings.values().forEach(s -> {
      ObjectNode cost = Serialization.JSON.createObjectNode();
      cost.put("currency", result.currency());
      cost.put("monthly", CostCalculator.cents(s.monthly()));
      budgetFields(cost, s);
      byRef.put(("group:default/" + s.team()).toLowerCase(Locale.ROOT), cost);
    });
    catalog.statusField("cost", byRef);
  }

  private static void budgetFields(ObjectNode cost, Budgets.Standing s) {
    if (s != null && s.budget() != null) {
      cost.put("budget", CostCalculator.cents(s.budget().amount()));
      cost.put("withinBudget", !s.over());
    }
  }

  /** Every Promise's requests from the request controllers' caches ({@link #requestsFrom}); empty without. */
  private List<GenericKubernetesResource> requests() {
    if (sharedRequests == null) {
      return List.of();
    }
    List<GenericKubernetesResource> out = new ArrayList<>();
    requestKinds.keySet().forEach(promise -> out.addAll(sharedRequests.apply(promise)));
    return out;
  }

  /** The catalog ref of the entity an object maps to (EntityMapper), or null for kinds the catalog does not hold. */
  private String entityRef(CostCalculator.Ref r) {
    String group = r.apiVersion().contains("/") ? r.apiVersion().substring(0, r.apiVersion().indexOf('/')) : "";
    String ns = r.namespace().isEmpty() ? "default" : r.namespace();
    if (group.equals("platform.tarmac.dev") && r.kind().equals("Component")) {
      return ("component:" + ns + "/" + r.name()).toLowerCase(Locale.ROOT);
    }
    if (group.equals("platform.tarmac.dev") && r.kind().equals("Database")
        || requestKinds.containsValue(groupKind(r.apiVersion(), r.kind()))) {
      return ("resource:" + ns + "/" + r.name()).toLowerCase(Locale.ROOT);
    }
    return null;
  }

  private void writeCostModel(CostModel m, CostModel effective, Prices.Checked checked, CostCalculator.Result result,
      Map<String, Budgets.Standing> standings, Budgets.Read budgets, List<Missing> notServed) {
    CostModel.Status status = Serialization.JSON.convertValue(
        Serialization.JSON.valueToTree(m.getStatus() == null ? new CostModel.Status() : m.getStatus()),
        CostModel.Status.class);
    JsonNode before = Serialization.JSON.valueToTree(status);
    Long generation = m.getMetadata().getGeneration();
    status.observedGeneration = generation;
    if (effective == null || !effective.getMetadata().getName().equals(m.getMetadata().getName())) {
      String message = "CostModel " + (effective == null ? "?" : effective.getMetadata().getName()) + " is in effect ("
          + (effective != null && CostModel.DEFAULT_NAME.equals(effective.getMetadata().getName())
              ? "it is named default" : "no CostModel is named default; the oldest is used")
          + "); delete this one or name the one to use 'default'";
      boolean changed = Conditions.setFalse(status, Conditions.READY, "NotInEffect", message, generation);
      status.monthlyTotal = null;
      status.attributedMonthly = null;
      status.attributionRatio = null;
      status.teams = null;
      status.unpriced = null;
      status.conditions.removeIf(c -> PRICED_KINDS_SERVED.equals(c.getType()));
      if (changed) {
        events.normal(m, "NotInEffect", message);
      }
    } else if (checked.prices() == null) {
      String message = "invalid prices: " + String.join("; ", checked.problems());
      if (Conditions.setFalse(status, Conditions.READY, "InvalidPrices", message, generation)) {
        events.warning(m, "InvalidPrices", message);
      }
      // No prices, no kinds to serve: the condition would name those of the last valid prices.
      status.conditions.removeIf(c -> PRICED_KINDS_SERVED.equals(c.getType()));
    } else {
      Conditions.setTrue(status, Conditions.READY, "Computed", "in effect: costs of " + result.lines().size()
          + " priced objects, " + standings.size() + " teams", generation);
      status.monthlyTotal = CostCalculator.cents(result.total());
      status.attributedMonthly = CostCalculator.cents(result.attributed());
      status.attributionRatio = Math.round(result.attributionRatio() * 10_000) / 10_000.0;
      List<CostModel.TeamCost> teams = new ArrayList<>();
      standings.values().forEach(s -> {
        CostModel.TeamCost t = new CostModel.TeamCost();
        t.team = s.team();
        t.monthly = CostCalculator.cents(s.monthly());
        if (s.budget() != null) {
          t.budget = CostCalculator.cents(s.budget().amount());
          t.budgetRatio = s.ratio().isInfinite() ? null : Math.round(s.ratio() * 10_000) / 10_000.0;
        }
        teams.add(t);
      });
      status.teams = teams;
      status.unpriced = result.unpriced().isEmpty() ? null
          : List.copyOf(result.unpriced().subList(0, Math.min(MAX_LISTED, result.unpriced().size())));
      pricedKindsServed(m, status, notServed, generation);
      if (budgets.problems().isEmpty()) {
        Conditions.setTrue(status, BUDGETS_VALID, "BudgetsRead", budgets.byTeam().size() + " team budgets",
            generation);
      } else {
        String message = String.join("; ", budgets.problems().stream().map(Budgets.Problem::message).toList());
        if (Conditions.setFalse(status, BUDGETS_VALID, "InvalidBudget", message, generation)) {
          events.warning(m, "InvalidBudget", message);
        }
      }
    }
    if (!Serialization.JSON.valueToTree(status).equals(before)) {
      try {
        ObjectNode body = Serialization.JSON.createObjectNode();
        body.set("status", Serialization.JSON.valueToTree(status));
        // Absent fields are removed: a merge patch with null.
        for (String f : List.of("monthlyTotal", "attributedMonthly", "attributionRatio", "teams", "unpriced")) {
          if (!((ObjectNode) body.get("status")).has(f)) {
            ((ObjectNode) body.get("status")).putNull(f);
          }
        }
        client.resources(CostModel.class).withName(m.getMetadata().getName()).subresource("status")
            .patch(PatchContext.of(PatchType.JSON_MERGE), body.toString());
      } catch (KubernetesClientException e) {
        LOG.debug("cost: could not write the status of CostModel {}: {}", m.getMetadata().getName(), e.getMessage());
      }
    }
  }

  /**
   * {@link #PRICED_KINDS_SERVED} on the in-effect CostModel: False naming every priced kind the API server does not
   * serve, with a Warning Event when that list changes; True (and a Normal Event after a False) once all are served.
   * The message holds no attempt count or time, so it changes only when the kinds do.
   */
  private void pricedKindsServed(CostModel m, CostModel.Status status, List<Missing> notServed, Long generation) {
    // Read before the set below, which changes the condition in place.
    var current = Conditions.find(status.conditions, PRICED_KINDS_SERVED);
    boolean wasFalse = current.map(c -> "False".equals(c.getStatus())).orElse(false);
    String messageBefore = current.map(io.fabric8.kubernetes.api.model.Condition::getMessage).orElse(null);
    if (notServed.isEmpty()) {
      Conditions.setTrue(status, PRICED_KINDS_SERVED, "AllServed", "the API server serves every kind the prices name",
          generation);
      if (wasFalse) {
        events.normal(m, PRICED_KINDS_SERVED, "the API server now serves every kind the prices name; all are priced");
      }
      return;
    }
    String kinds = String.join(", ", notServed.stream().map(k -> k.kind() + " (" + k.group() + ")").toList());
    String message = (notServed.size() == 1 ? "priced kind " + kinds + " is" : "priced kinds " + kinds + " are")
        + " not served by the API server: objects of " + (notServed.size() == 1 ? "it" : "them") + " in this cluster"
        + " are not priced until the CRD that defines " + (notServed.size() == 1 ? "it" : "them") + " is installed"
        + " (the Crossplane provider or Promise that serves the group; kubectl api-resources lists what is served)."
        + " Documents of Works and every other kind are still priced; looked up again with backoff (at most every "
        + Retries.MAX.toSeconds() + " s)";
    Conditions.setFalse(status, PRICED_KINDS_SERVED, PRICED_KIND_MISSING, message, generation);
    // One Event per fault: when the kinds not served change, not when only the generation does.
    if (!wasFalse || !message.equals(messageBefore)) {
      events.warning(m, PRICED_KIND_MISSING, message);
    }
  }

  /** A Warning Event on the CostModel when a team goes over its budget, a Normal one when it is back within. */
  private void teamEvents(State before, CostModel effective, String currency) {
    boolean[] back = {false};
    state.standings().forEach((team, s) -> {
      Budgets.Standing was = before.standings().get(team);
      boolean wasOver = was != null && was.over();
      if (s.over() && !wasOver) {
        events.warning(effective, OVER_BUDGET, s.message(currency));
      } else if (!s.over() && wasOver) {
        events.normal(effective, "WithinBudget", s.message(currency));
        back[0] = true;
      }
    });
    if (back[0]) {
      backWithinBudget.run();
    }
  }

  /** {@code WithinBudget} on each Component, Database and request of a team with a budget, where it changed. */
  private void writeConditions(CostCalculator.Result result, Map<String, Budgets.Standing> standings) {
    List<HasMetadata> objects = new ArrayList<>();
    for (SharedIndexInformer<?> i : informers) {
      Class<?> type = i.getApiTypeClass();
      if (type == Component.class || type == Database.class) {
        i.getStore().list().forEach(o -> objects.add((HasMetadata) o));
      }
    }
    if (sharedComponents != null) {
      objects.addAll(sharedComponents.list());
    }
    if (sharedRequests != null) {
      objects.addAll(requests());
    } else {
      for (String key : requestKinds.values()) {
        var i = dynamic.get(key);
        if (i != null) {
          objects.addAll(i.getStore().list());
        }
      }
    }
    for (HasMetadata o : objects) {
      JsonNode json = Serialization.JSON.valueToTree(o);
      String team = teamOf(json, result);
      Budgets.Standing s = team == null ? null : standings.get(team);
      TarmacStatus conditions = new TarmacStatus();
      JsonNode current = json.path("status").path("conditions");
      if (current.isArray()) {
        conditions.conditions = new ArrayList<>(Serialization.JSON.convertValue(current, CONDITIONS));
      }
      boolean changed;
      Long generation = o.getMetadata().getGeneration();
      if (s == null || s.budget() == null) {
        changed = conditions.conditions.removeIf(c -> WITHIN_BUDGET.equals(c.getType()));
      } else {
        String message = s.message(result.currency());
        String reason = s.over() ? OVER_BUDGET : "WithinBudget";
        if (Conditions.find(conditions.conditions, WITHIN_BUDGET).map(c -> c.getStatus().equals(s.over() ? "False"
            : "True") && reason.equals(c.getReason())).orElse(false)) {
          // Written only when the standing changes, not with every cent the cost moves: the message has the figures
          // of the transition; the current ones are in the CostModel's status and the catalog.
          continue;
        }
        changed = s.over()
            ? Conditions.setFalse(conditions, WITHIN_BUDGET, OVER_BUDGET, message, generation)
            : Conditions.setTrue(conditions, WITHIN_BUDGET, "WithinBudget", message, generation);
        if (changed && s.over()) {
          events.warning(o, OVER_BUDGET, message);
        }
      }
      if (changed) {
        patchConditions(o, conditions);
      }
    }
  }

  /** The team of an object: from the computation when it owns anything, else the owner it names or its namespace's. */
  private String teamOf(JsonNode o, CostCalculator.Result result) {
    CostCalculator.Cost c = result.byUid().get(o.path("metadata").path("uid").asText());
    if (c != null) {
      return c.team();
    }
    String named = CostCalculator.team(CostCalculator.ownerNamed(o));
    return named != null ? named : state.teamOfNamespace().get(o.path("metadata").path("namespace").asText());
  }

  private void patchConditions(HasMetadata o, TarmacStatus conditions) {
    ObjectNode body = Serialization.JSON.createObjectNode();
    // Only if the object is still as read: a reconciler that wrote other conditions meanwhile wins (409), and the
    // next computation looks again.
    body.putObject("metadata").put("resourceVersion", o.getMetadata().getResourceVersion());
    ArrayNode list = body.putObject("status").putArray("conditions");
    conditions.conditions.forEach(c -> list.add(Serialization.JSON.valueToTree(c)));
    try {
      var op = client.genericKubernetesResources(o.getApiVersion(), o.getKind());
      var r = o.getMetadata().getNamespace() == null ? op.withName(o.getMetadata().getName())
          : op.inNamespace(o.getMetadata().getNamespace()).withName(o.getMetadata().getName());
      r.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), body.toString());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        changes.incrementAndGet();
      } else if (e.getCode() != 404) {
        LOG.debug("cost: could not write {} on {} {}/{}: {}", WITHIN_BUDGET, o.getKind(),
            o.getMetadata().getNamespace(), o.getMetadata().getName(), e.getMessage());
      }
    }
  }

  /**
   * Why a new request must wait, when its Promise refuses new requests from teams over budget
   * ({@value #REFUSE_OVER_BUDGET}: "true") and the request's team is over budget; empty otherwise, and before the
   * first computation (no cost known yet: requests are not held back).
   *
   * @param promise the Promise
   * @param request the request as JSON
   */
  public Optional<String> refusal(Promise promise, JsonNode request) {
    var annotations = promise.getMetadata().getAnnotations();
    if (annotations == null || !"true".equals(annotations.get(REFUSE_OVER_BUDGET))) {
      return Optional.empty();
    }
    State s = state;
    if (s.result() == null) {
      return Optional.empty();
    }
    String team = CostCalculator.team(CostCalculator.ownerNamed(request));
    if (team == null) {
      team = s.teamOfNamespace().get(request.path("metadata").path("namespace").asText());
    }
    Budgets.Standing standing = team == null ? null : s.standings().get(team);
    if (standing == null || !standing.over()) {
      return Optional.empty();
    }
    return Optional.of(standing.message(s.result().currency()) + "; Promise " + promise.getMetadata().getName()
        + " refuses new requests from teams over budget (" + REFUSE_OVER_BUDGET + "). The request proceeds once"
        + " the team is within budget: lower its costs or raise " + Budgets.ANNOTATION + ".");
  }

  /** Computations so far (a test waits for one to have happened). */
  public long computations() {
    return computations.get();
  }

  /** The last result, or null. */
  public CostCalculator.Result result() {
    return state.result();
  }

  @Override
  public void close() {
    running = false;
    loop.interrupt();
    workloads.removeHandler(workloadHandler);
    for (var shared : java.util.Arrays.asList(sharedComponents, sharedWorks)) {
      if (shared != null) {
        shared.removeEventHandler(sharedHandler);
      }
    }
    informers.forEach(SharedIndexInformer::close);
    dynamic.values().forEach(SharedIndexInformer::close);
  }

}
