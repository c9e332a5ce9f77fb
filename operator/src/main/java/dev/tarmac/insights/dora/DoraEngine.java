package dev.tarmac.insights.dora;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.Events;
import dev.tarmac.LeanItemStore;
import dev.tarmac.ReconcileQueue;
import dev.tarmac.Retries;
import dev.tarmac.SharedPrimaryCache;
import dev.tarmac.api.Component;
import dev.tarmac.api.Serialization;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.EntityRef;
import dev.tarmac.catalog.GaugeRows;
import dev.tarmac.insights.WorkloadInformers;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DORA metrics derived from cluster state. Watches Components, Deployments and StatefulSets (informers); for each
 * Component it observes the workloads that belong to it ({@link Membership}) with {@link HistoryRecorder}, keeps the
 * resulting {@link DoraHistory} in a ConfigMap {@code tarmac-dora-<component>} in the Component's namespace, owned by
 * the Component (so it goes with it) and bounded in size, and publishes the metrics ({@link DoraCalculator}):
 * <ul>
 *   <li>as catalog status fields: {@code status.dora} on each Component's entity and on each owning team's Group
 *       entity ({@link DoraMetrics#toJson});</li>
 *   <li>as gauges {@code tarmac_dora_deployment_frequency} (per day), {@code tarmac_dora_lead_time_seconds},
 *       {@code tarmac_dora_change_failure_ratio}, {@code tarmac_dora_time_to_restore_seconds} and
 *       {@code tarmac_dora_tier} (0 none … 4 elite), labelled {@code scope} ({@code component}, {@code team},
 *       {@code platform}), {@code team} and {@code component} ({@code <namespace>/<name>}); per-Component series for
 *       at most {@link Settings#maxComponentSeries} Components (the first by namespace and name), so the number of
 *       series stays bounded however many Components there are.</li>
 * </ul>
 * The history is read back when a Component is first seen, so a restarted operator continues where it stopped. With
 * leader election every replica observes and serves the same figures; only the leader writes the ConfigMaps.
 *
 * <p>One worker ({@link ReconcileQueue}, one thread) does all of it, a Component at a time: a Component's history that
 * cannot be read or written (a conflict, an API server outage, a quota) is kept in memory and retried with the
 * project's backoff ({@link Retries}: 1 s doubling to 30 s) rather than at every event or in a loop; the first failure
 * of a streak is logged at WARN, the retries at DEBUG, the recovery once at INFO. The Deployment and StatefulSet informers are
 * the ones cost attribution uses too ({@link WorkloadInformers}); Components are read from the Component controller's
 * cache where it sees every Component ({@link #componentsFrom}).
 */
public final class DoraEngine implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DoraEngine.class);

  /** The prefix of history ConfigMaps' names. */
  public static final String CONFIGMAP_PREFIX = "tarmac-dora-";
  /** The label that marks history ConfigMaps. */
  public static final String HISTORY_LABEL = "platform.tarmac.dev/dora-history";
  /** The catalog status field the metrics are published under. */
  public static final String STATUS_FIELD = "dora";
  /** The worker's key that publishes (after a change, {@link #PUBLISH_DELAY} later, to take a burst together). */
  private static final String PUBLISH = "publish";
  /** The worker's key that publishes every {@link Settings#refresh} (the window slides) and requeues itself. */
  private static final String REFRESH = "refresh";
  /** Changes often come in bursts (a rollout updates status several times): they are published together. */
  private static final Duration PUBLISH_DELAY = Duration.ofMillis(100);

  /**
   * @param metrics the calculator's settings (window, failure window, clock skew)
   * @param maxDeployments deployments a history keeps at most
   * @param maxIncidents incidents a history keeps at most
   * @param maxComponentSeries Components with their own metric series at most
   * @param refresh how often figures are recomputed without a change (they depend on the time: the window slides)
   */
  public record Settings(DoraCalculator.Settings metrics, int maxDeployments, int maxIncidents, int maxComponentSeries,
      Duration refresh) {
    /** 30-day window, 24 h failure window, 500 deployments and incidents, 500 Components' series, every minute. */
    public static final Settings DEFAULT = new Settings(DoraCalculator.Settings.DEFAULT, 500, 500, 500,
        Duration.ofMinutes(1));
  }

  private static final class Entry {
    DoraHistory history;
    boolean unsaved;
    String team;
    DoraCalculator.Evaluated evaluated;
  }

  private final KubernetesClient client;
  private final CatalogIndex catalog;
  private final Settings settings;
  private final Clock clock;
  private final CommitResolver commits;
  private final Events events;
  private volatile BooleanSupplier writer = () -> true;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final WorkloadInformers workloads;
  private final ResourceEventHandler<HasMetadata> workloadHandler = handler(this::workloadEvent);
  /** Where Components are read; null until start() has them (the first list's events arrive before). */
  private volatile ComponentReads components;
  /** The Component controller's cache to read instead of an informer of its own ({@link #componentsFrom}). */
  private SharedPrimaryCache<Component> sharedComponents;
  private ResourceEventHandler<Component> sharedHandler;
  private volatile SharedIndexInformer<Deployment> deployments;
  private volatile SharedIndexInformer<StatefulSet> statefulSets;
  private volatile ReconcileQueue queue;
  private final AtomicBoolean publishQueued = new AtomicBoolean();
  /** Failed attempts to read or write a history (a test and the docs' figures read it). */
  private final AtomicLong historyFailures = new AtomicLong();
  private GaugeRows frequency;
  private GaugeRows leadTime;
  private GaugeRows failureRatio;
  private GaugeRows timeToRestore;
  private GaugeRows tier;
  private GaugeRows workloadCoverage;
  private volatile boolean running = true;
  /** Set once every informer is in: keys queued by the Component informer's first list wait for it. */
  private volatile boolean started;

  /**
   * @param client the client
   * @param workloads the Deployment and StatefulSet informers shared with cost attribution; the caller closes them
   * @param catalog the catalog the figures are published to
   * @param events Events on Components (an unreadable history); may be null
   */
  public DoraEngine(KubernetesClient client, WorkloadInformers workloads, CatalogIndex catalog, Settings settings,
      Clock clock, CommitResolver commits, Events events) {
    this.client = client;
    this.workloads = workloads;
    this.catalog = catalog;
    this.settings = settings;
    this.clock = clock;
    this.commits = commits;
    this.events = events;
  }

  /** Whether this replica writes history ConfigMaps (with leader election: only the leader). */
  public DoraEngine writeWhen(BooleanSupplier mayWrite) {
    this.writer = mayWrite;
    return this;
  }

  /** This replica now leads: write the histories a standby kept in memory only. */
  public void leading() {
    entries.forEach((key, e) -> {
      if (e.history != null) {
        e.unsaved = true;
        enqueue(key);
      }
    });
  }

  /**
   * Starts the informers (returning once their first lists are in), the worker, and registers the gauges.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when a kind cannot be listed (RBAC)
   */
  public DoraEngine start(MeterRegistry metrics) {
    frequency = new GaugeRows(metrics, "tarmac.dora.deployment.frequency",
        "DORA deployment frequency: deployments per day over the window");
    leadTime = new GaugeRows(metrics, "tarmac.dora.lead.time.seconds",
        "DORA lead time for changes: median seconds from commit to available");
    failureRatio = new GaugeRows(metrics, "tarmac.dora.change.failure.ratio",
        "DORA change failure rate: share of deployments rolled back or followed by unavailability");
    timeToRestore = new GaugeRows(metrics, "tarmac.dora.time.to.restore.seconds",
        "DORA time to restore: median seconds from unavailable to available");
    tier = new GaugeRows(metrics, "tarmac.dora.tier", "DORA performance tier: 0 none, 1 low, 2 medium, 3 high, 4 elite");
    workloadCoverage = new GaugeRows(metrics, "tarmac.catalog.workload.coverage.ratio",
        "Share of Deployments and StatefulSets (outside kube-* namespaces) that belong to a Component");
    queue = new ReconcileQueue("dora", 1, this::reconcile, this::failed);
    try {
      components = sharedComponents != null ? shared(sharedComponents)
          : own(LeanItemStore.inform(client.resources(Component.class).inAnyNamespace(),
              handler(this::componentEvent)));
      workloads.start();
      deployments = workloads.deployments();
      statefulSets = workloads.statefulSets();
      // After the Component informer: the workload handler looks Components up (it hears of every cached workload).
      workloads.addHandler(workloadHandler);
    } catch (RuntimeException e) {
      // DORA stays off (the operator logs why): no worker waiting for informers that never come.
      close();
      throw e;
    }
    started = true;
    queue.add(REFRESH);
    return this;
  }

  /**
   * Reads Components from {@code shared} (the Component controller's informer cache) instead of an informer of its
   * own, so each Component is held once (issue 17, figure 3): for a process whose controller watches every Component
   * (no leader election, no shard). {@link #start} then waits (at most
   * {@link SharedPrimaryCache#FIRST_LIST_TIMEOUT}) for that cache's first list, so call it on a thread of its own once
   * the operator is started or starting. Call before {@link #start}.
   */
  public DoraEngine componentsFrom(SharedPrimaryCache<Component> shared) {
    this.sharedComponents = shared;
    return this;
  }

  /** The Components DORA reads: by namespace (the workloads' Components) and by {@code namespace/name}. */
  private interface ComponentReads {
    List<Component> inNamespace(String namespace);

    Component get(String key);

    void close();
  }

  private static ComponentReads own(SharedIndexInformer<Component> informer) {
    return new ComponentReads() {
      @Override
      public List<Component> inNamespace(String namespace) {
        return informer.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace);
      }

      @Override
      public Component get(String key) {
        return informer.getStore().getByKey(key);
      }

      @Override
      public void close() {
        informer.close();
      }
    };
  }

  /**
   * The shared cache, after its first list ({@link IllegalStateException} when it does not come within
   * {@link SharedPrimaryCache#FIRST_LIST_TIMEOUT}). Its namespace index is fabric8's, which every informer cache
   * has.
   */
  private ComponentReads shared(SharedPrimaryCache<Component> cache) {
    sharedHandler = handler(this::componentEvent);
    cache.addEventHandler(sharedHandler);
    if (!cache.awaitSynced(SharedPrimaryCache.FIRST_LIST_TIMEOUT)) {
      cache.removeEventHandler(sharedHandler);
      throw new IllegalStateException("the Component controller's cache did not list Components within "
          + SharedPrimaryCache.FIRST_LIST_TIMEOUT.toMinutes() + " minutes");
    }
    return new ComponentReads() {
      @Override
      public List<Component> inNamespace(String namespace) {
        return cache.byIndex(Cache.NAMESPACE_INDEX, namespace);
      }

      @Override
      public Component get(String key) {
        int slash = key.indexOf('/');
        return cache.get(key.substring(0, slash), key.substring(slash + 1)).orElse(null);
      }

      @Override
      public void close() {
        cache.removeEventHandler(sharedHandler);
      }
    };
  }

  private <T extends HasMetadata> ResourceEventHandler<T> handler(java.util.function.BiConsumer<T, T> onChange) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        onChange.accept(null, obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        onChange.accept(oldObj, newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        onChange.accept(obj, null);
      }
    };
  }

  private void componentEvent(Component old, Component now) {
    if (old != null && now != null && sameForDora(old, now)) {
      // A status write (Ready, the Scorecard's result): nothing DORA reads changed. Without this check every status
      // write of a namespace with 6,000 Components queued all 6,000 (measured: DORA made most of the operator's
      // allocation, and with it most GC pauses, while the catalog bench wrote statuses; docs/benchmarks.md).
      return;
    }
    HasMetadata any = now != null ? now : old;
    enqueue(key(any));
    if (components == null) {
      // The informer's first list, before inform() returned: every Component arrives on its own.
      return;
    }
    String ns = any.getMetadata().getNamespace();
    if (old != null && now != null && Objects.equals(kubernetesId(old), kubernetesId(now))) {
      return;
    }
    SharedIndexInformer<Deployment> d = deployments;
    SharedIndexInformer<StatefulSet> s = statefulSets;
    // Before the workload informers are assigned (start() runs them after the Component informer) every Component
    // of the namespace is looked at, as if it had workloads.
    if (d != null && s != null && d.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ns).isEmpty()
        && s.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ns).isEmpty()) {
      // No workload in the namespace: a new, removed or re-identified Component moves none between Components.
      return;
    }
    // A Component's kubernetes-id may move workloads between Components of its namespace: look at all of them.
    for (Component c : components.inNamespace(ns)) {
      enqueue(key(c));
    }
  }

  /** Whether two versions of a Component agree on all DORA reads: spec, annotations, the repository URL. */
  static boolean sameForDora(Component a, Component b) {
    return Objects.equals(a.getMetadata().getGeneration(), b.getMetadata().getGeneration())
        && Objects.equals(a.getMetadata().getAnnotations(), b.getMetadata().getAnnotations())
        && Objects.equals(repositoryUrl(a), repositoryUrl(b));
  }

  private static String repositoryUrl(Component c) {
    return c.getStatus() == null ? null : c.getStatus().repositoryUrl;
  }

  private static String kubernetesId(Component c) {
    Map<String, String> a = c.getMetadata().getAnnotations();
    return a == null ? null : a.get(Membership.KUBERNETES_ID);
  }

  private void workloadEvent(HasMetadata old, HasMetadata now) {
    if (components == null) {
      return;
    }
    HasMetadata any = now != null ? now : old;
    List<Membership.ComponentId> ids = ids(any.getMetadata().getNamespace());
    for (HasMetadata w : new HasMetadata[] {old, now}) {
      if (w != null) {
        componentOf(w, ids).ifPresent(c -> enqueue(c.namespace() + "/" + c.name()));
      }
    }
  }

  private void enqueue(String key) {
    ReconcileQueue q = queue;
    if (q != null && running) {
      q.add(key);
    }
  }

  private static Optional<Membership.ComponentId> componentOf(HasMetadata workload,
      List<Membership.ComponentId> ids) {
    return Membership.componentOf(workload.getMetadata().getNamespace(), workload.getMetadata().getLabels(), ids);
  }

  private List<Membership.ComponentId> ids(String namespace) {
    List<Membership.ComponentId> out = new ArrayList<>();
    for (Component c : components.inNamespace(namespace)) {
      Map<String, String> a = c.getMetadata().getAnnotations();
      String id = a == null ? null : a.get(Membership.KUBERNETES_ID);
      out.add(new Membership.ComponentId(namespace, c.getMetadata().getName(), id == null ? c.getMetadata().getName()
          : id));
    }
    return out;
  }

  /** One key of the worker: a Component's {@code namespace/name}, {@link #PUBLISH} or {@link #REFRESH}. */
  private ReconcileQueue.Result reconcile(String key) {
    if (!started) {
      return ReconcileQueue.Result.after(PUBLISH_DELAY);
    }
    if (key.equals(REFRESH)) {
      publish(clock.instant());
      return ReconcileQueue.Result.after(settings.refresh());
    }
    if (key.equals(PUBLISH)) {
      publishQueued.set(false);
      publish(clock.instant());
      return ReconcileQueue.Result.DONE;
    }
    if (process(key)) {
      publishSoon();
    }
    return ReconcileQueue.Result.DONE;
  }

  /**
   * After a failed attempt (the queue logs the first of a streak at WARN and retries with {@link Retries}' backoff):
   * counted; retried while the engine runs.
   */
  private boolean failed(String key, Exception e, int attempts) {
    historyFailures.incrementAndGet();
    return running;
  }

  private void publishSoon() {
    if (publishQueued.compareAndSet(false, true)) {
      queue.addAfter(PUBLISH, PUBLISH_DELAY);
    }
  }

  /**
   * Observes the workloads of Component {@code key} and writes its history when it changed (or a write failed
   * before); true when its figures may have changed.
   *
   * @throws RuntimeException when the history cannot be read or written; the new history is kept in memory first
   */
  private boolean process(String key) {
    Component c = components.get(key);
    if (c == null) {
      return entries.remove(key) != null;
    }
    String ns = c.getMetadata().getNamespace();
    Entry entry = entries.computeIfAbsent(key, k -> new Entry());
    entry.team = team(c);
    if (entry.history == null) {
      entry.history = load(c);
    }
    Instant now = clock.instant();
    DoraHistory h = entry.history;
    Set<String> members = new HashSet<>();
    var id = new Membership.ComponentId(ns, c.getMetadata().getName(), null);
    java.util.function.Function<String, Optional<Instant>> resolve = sha -> commits.commitTime(c, sha);
    // The namespace's Components once per pass, and only where it has workloads (a list of every Component per
    // workload made this quadratic in a namespace's Components).
    List<Deployment> nsDeployments = deployments.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ns);
    List<StatefulSet> nsStatefulSets = statefulSets.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ns);
    List<Membership.ComponentId> ids = nsDeployments.isEmpty() && nsStatefulSets.isEmpty() ? List.of() : ids(ns);
    for (Deployment d : nsDeployments) {
      if (belongs(d, id, ids)) {
        WorkloadState s = Workloads.state(d, resolve);
        members.add(s.workload());
        h = HistoryRecorder.observe(h, s, now);
      }
    }
    for (StatefulSet s : nsStatefulSets) {
      if (belongs(s, id, ids)) {
        WorkloadState state = Workloads.state(s, resolve);
        members.add(state.workload());
        h = HistoryRecorder.observe(h, state, now);
      }
    }
    for (String w : new ArrayList<>(h.workloads().keySet())) {
      if (!members.contains(w)) {
        h = HistoryRecorder.forget(h, w);
      }
    }
    h = h.bounded(now, settings.metrics().window().plus(settings.metrics().failureWindow()), settings.maxDeployments(),
        settings.maxIncidents());
    boolean changed = h != entry.history || entry.evaluated == null;
    if (h != entry.history) {
      entry.history = h;
      entry.unsaved = true;
    }
    if (changed) {
      entry.evaluated = DoraCalculator.evaluate(h, settings.metrics());
      // The figures are published even when the write below fails: they do not wait for the ConfigMap.
      publishSoon();
    }
    if (entry.unsaved) {
      save(c, entry);
    }
    return changed;
  }

  private static boolean belongs(HasMetadata workload, Membership.ComponentId id, List<Membership.ComponentId> ids) {
    return componentOf(workload, ids).map(c -> c.name().equals(id.name())).orElse(false);
  }

  private static String team(Component c) {
    String owner = c.getSpec() == null ? null : c.getSpec().owner;
    if (owner == null || owner.isBlank()) {
      return null;
    }
    return EntityRef.parse(owner, "Group").key();
  }

  /** The history ConfigMap's name for Component {@code name}. */
  public static String configMapName(String name) {
    String n = CONFIGMAP_PREFIX + name;
    return n.length() <= 253 ? n : n.substring(0, 253);
  }

  private DoraHistory load(Component c) {
    Instant since = c.getMetadata().getCreationTimestamp() == null ? clock.instant()
        : Instant.parse(c.getMetadata().getCreationTimestamp());
    ConfigMap cm;
    try {
      cm = client.configMaps().inNamespace(c.getMetadata().getNamespace())
          .withName(configMapName(c.getMetadata().getName())).get();
    } catch (RuntimeException e) {
      // Not readable now: try again on the next change rather than start over and overwrite it.
      throw new IllegalStateException("cannot read the DORA history of " + key(c) + ": " + e.getMessage(), e);
    }
    if (cm == null || cm.getData() == null || !cm.getData().containsKey(DoraHistory.KEY)) {
      return DoraHistory.empty(since);
    }
    try {
      return DoraHistory.fromJson(Serialization.JSON.readTree(cm.getData().get(DoraHistory.KEY)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      String message = "ConfigMap " + cm.getMetadata().getName() + " does not hold a DORA history (" + e.getMessage()
          + "); starting a new one, which replaces it";
      LOG.warn("{}: {}", key(c), message);
      if (events != null) {
        events.warning(c, "DoraHistoryUnreadable", message);
      }
      return DoraHistory.empty(since);
    }
  }

  private void save(Component c, Entry entry) {
    if (!writer.getAsBoolean()) {
      return;
    }
    String name = c.getMetadata().getName();
    Map<String, String> labels = new TreeMap<>(Map.of(HISTORY_LABEL, "true", "app.kubernetes.io/managed-by",
        "tarmac"));
    if (name.length() <= 63) {
      labels.put("platform.tarmac.dev/component", name);
    }
    ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(configMapName(name))
        .withNamespace(c.getMetadata().getNamespace()).withLabels(labels)
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(c.getApiVersion()).withKind(c.getKind())
            .withName(name).withUid(c.getMetadata().getUid()).build())
        .endMetadata().addToData(DoraHistory.KEY, entry.history.toJson().toString()).build();
    try {
      client.configMaps().inNamespace(c.getMetadata().getNamespace()).resource(cm).fieldManager("tarmac-dora")
          .forceConflicts().serverSideApply();
      entry.unsaved = false;
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot write the DORA history of " + key(c) + " (ConfigMap "
          + cm.getMetadata().getName() + "): " + e.getMessage(), e);
    }
  }

  /** Recomputes every figure at {@code now} and publishes it to the catalog and the gauges. */
  private void publish(Instant now) {
    DoraCalculator.Settings s = settings.metrics();
    Map<String, DoraMetrics> byComponent = new TreeMap<>();
    Map<String, List<DoraCalculator.Evaluated>> byTeam = new TreeMap<>();
    List<DoraCalculator.Evaluated> all = new ArrayList<>();
    Map<String, String> teamOf = new HashMap<>();
    entries.forEach((key, e) -> {
      if (e.evaluated == null) {
        return;
      }
      byComponent.put(key, DoraCalculator.summarize(e.evaluated, now, s));
      all.add(e.evaluated);
      if (e.team != null) {
        byTeam.computeIfAbsent(e.team, t -> new ArrayList<>()).add(e.evaluated);
        teamOf.put(key, e.team);
      }
    });
    Map<String, DoraMetrics> teams = new TreeMap<>();
    byTeam.forEach((team, parts) -> teams.put(team, DoraCalculator.summarize(DoraCalculator.Evaluated.pool(parts),
        now, s)));
    DoraMetrics platform = DoraCalculator.summarize(DoraCalculator.Evaluated.pool(all), now, s);

    // The whole field at once (as costs publish theirs): a Component or team no longer here loses it.
    Map<String, JsonNode> byRef = new HashMap<>();
    byComponent.forEach((key, m) -> byRef.put("component:" + key, m.toJson()));
    teams.forEach((team, m) -> byRef.put(team, m.toJson()));
    catalog.statusField(STATUS_FIELD, byRef);

    Map<Tags, Double> f = new HashMap<>();
    Map<Tags, Double> lt = new HashMap<>();
    Map<Tags, Double> cfr = new HashMap<>();
    Map<Tags, Double> ttr = new HashMap<>();
    Map<Tags, Integer> t = new HashMap<>();
    java.util.function.BiConsumer<Tags, DoraMetrics> row = (tags, m) -> {
      f.put(tags, m.deploymentsPerDay());
      if (m.leadTimeSeconds() != null) {
        lt.put(tags, m.leadTimeSeconds());
      }
      if (m.changeFailureRatio() != null) {
        cfr.put(tags, m.changeFailureRatio());
      }
      if (m.timeToRestoreSeconds() != null) {
        ttr.put(tags, m.timeToRestoreSeconds());
      }
      t.put(tags, m.tier().rank());
    };
    int n = 0;
    for (Map.Entry<String, DoraMetrics> e : byComponent.entrySet()) {
      if (n++ >= settings.maxComponentSeries()) {
        break;
      }
      row.accept(Tags.of("scope", "component", "component", e.getKey(), "team", teamName(teamOf.get(e.getKey()))),
          e.getValue());
    }
    teams.forEach((team, m) -> row.accept(Tags.of("scope", "team", "component", "", "team", teamName(team)), m));
    row.accept(Tags.of("scope", "platform", "component", "", "team", ""), platform);
    frequency.set(f);
    leadTime.set(lt);
    failureRatio.set(cfr);
    timeToRestore.set(ttr);
    tier.set(t);
    int total = 0;
    int owned = 0;
    Map<String, List<Membership.ComponentId>> idsByNamespace = new HashMap<>();
    for (SharedIndexInformer<? extends HasMetadata> informer : workloads.both()) {
      for (HasMetadata w : informer.getStore().list()) {
        String ns = w.getMetadata().getNamespace();
        if (!ns.startsWith("kube-")) {
          total++;
          owned += componentOf(w, idsByNamespace.computeIfAbsent(ns, this::ids)).isPresent() ? 1 : 0;
        }
      }
    }
    workloadCoverage.set(total == 0 ? Map.of() : Map.of(Tags.empty(), (double) owned / total));
  }

  private static String teamName(String teamRef) {
    if (teamRef == null) {
      return "";
    }
    EntityRef ref = EntityRef.parse(teamRef, "Group");
    return ref.namespace().equals(EntityRef.DEFAULT_NAMESPACE) ? ref.name() : ref.namespace() + "/" + ref.name();
  }

  /** Failed attempts to read or write a history since the start (retried with backoff). */
  public long historyFailures() {
    return historyFailures.get();
  }

  /** The current history of Component {@code namespace/name}, or empty before it was first observed. */
  public Optional<DoraHistory> history(String namespace, String name) {
    Entry e = entries.get(namespace + "/" + name);
    return Optional.ofNullable(e == null ? null : e.history);
  }

  private static String key(HasMetadata o) {
    return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  @Override
  public void close() {
    running = false;
    workloads.removeHandler(workloadHandler);
    if (queue != null) {
      queue.close();
    }
    ComponentReads c = components;
    if (c != null) {
      c.close();
    } else if (sharedHandler != null && sharedComponents != null) {
      sharedComponents.removeEventHandler(sharedHandler);
    }
  }

  /** For the byte budget in docs: the size of a history's JSON. */
  static int size(DoraHistory h) {
    return h.toJson().toString().getBytes(StandardCharsets.UTF_8).length;
  }
}
