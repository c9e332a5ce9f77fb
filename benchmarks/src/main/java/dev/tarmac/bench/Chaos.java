package dev.tarmac.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * {@code make chaos}: the fault suite (issue 16, part 5). Its own control plane ({@code hack/cluster.sh}: etcd and
 * kube-apiserver 1.20.2 on 127.0.0.1, with an audit log), a real {@code git daemon} on 127.0.0.1 as the remote of a
 * GitStateStore, and the operator as a separate process (so {@code kill -9} is real). Every request of the suite's
 * Promise (built-in {@code tarmac/template} step, no container runtime needed) renders one ConfigMap naming its
 * {@code spec.round}; its Work is placed on two Destinations, one on the {@code git daemon} store and one on the
 * operator's embedded store. A burst writes {@code spec.round} of every request (creates them the first time), so
 * every burst is a new generation with new file contents.
 *
 * <p>Scenarios, each bounded in count and time: (1) kill -9 of the operator at a random moment of a burst, restarted
 * at once, {@code --kills} times; (2) two replicas with leader election, kill -9 of the leader during a burst;
 * (3) the {@code git daemon} stopped for {@code --git-outage} seconds during a burst, then the branch force-pushed to
 * an older commit; (4) the API server and etcd stopped for {@code --api-outage} seconds during a burst and started
 * again on the same data; (5) the operator's data directory wiped between two runs.
 *
 * <p>After each: requests Ready (at their current generation), pipeline runs repeated for one generation and
 * duplicate Jobs (counted by the API server's audit log, {@link AuditLog}), Git files lost, stale or extra in both
 * stores against what the Works say ({@link StoreCheck}), and the time from the end of the fault until every request
 * is Ready and both trees are right. Printed as a table and written to
 * {@code benchmarks/results/chaos-<time>-<revision>.json}.
 */
public final class Chaos {

  static final String NS = "chaos";
  static final String SYSTEM_NS = "chaos-system";
  static final String PROMISE_NAME = "chaos-cache";
  static final String REMOTE = "remote";
  static final String EMBEDDED = "embedded";
  static final String DEST_DIR = "dev";
  static final double RECOVERY_GOAL = 30;
  static final double FAILOVER_GOAL = 15;
  static final ResourceDefinitionContext KIND = new ResourceDefinitionContext.Builder().withGroup("chaos.tarmac.dev")
      .withVersion("v1").withKind("Cache").withPlural("caches").withNamespaced(true).build();

  static final String PROMISE = """
      apiVersion: platform.tarmac.dev/v1alpha1
      kind: Promise
      metadata: {name: chaos-cache}
      spec:
        destinationSelectors: [{matchLabels: {suite: chaos}}]
        api:
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: {name: caches.chaos.tarmac.dev}
          spec:
            group: chaos.tarmac.dev
            names: {kind: Cache, plural: caches, singular: cache}
            scope: Namespaced
            versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
                          size: {type: string, default: small}
                          round: {type: integer, default: 0}
        workflows:
          resource:
            configure:
              - apiVersion: platform.tarmac.dev/v1alpha1
                kind: Pipeline
                metadata: {name: render}
                spec:
                  containers:
                    - name: render
                      image: tarmac/template
                      with:
                        files:
                          cache.yaml: |
                            apiVersion: v1
                            kind: ConfigMap
                            metadata: {name: "{{ name }}", namespace: "{{ namespace }}"}
                            data: {size: "{{ spec.size }}", round: "{{ spec.round }}"}
      """;

  /**
   * The suite's settings.
   *
   * @param requests requests per burst (the issue: 1,000)
   * @param kills kill -9 rounds of scenario 1 (the issue: 10)
   * @param seed seeds every random moment
   * @param gitOutage seconds the git daemon is down (the issue: 60)
   * @param apiOutage seconds the API server and etcd are down (the issue: 30)
   * @param bound how long to wait for recovery before a scenario reports it missed, seconds
   * @param only scenarios to run (1..5), empty for all
   */
  record Settings(int requests, int kills, long seed, int gitOutage, int apiOutage, int bound, Set<String> only) {
    boolean runs(String scenario) {
      return only.isEmpty() || only.contains(scenario);
    }
  }

  private final Settings settings;
  private final Report report;
  private final Path repo;
  private final Path work;
  private final Random random;
  private final long suiteStart = System.nanoTime();
  private ControlPlane cluster;
  private KubernetesClient client;
  private GitDaemon daemon;
  private Path remoteRepo;
  private Path embeddedCopy;
  private AuditLog audit;
  /** The operator (scenarios 1, 3, 4, 5), or the replica whose HTTP serves {@code /git} (scenario 2). */
  private OperatorProcess operator;
  /** Scenario 2's replicas by Pod name; empty otherwise. */
  private final Map<String, OperatorProcess> replicas = new java.util.LinkedHashMap<>();
  private Path dataDir;
  private int round;
  private int operatorExits;
  private volatile double lastWriteSeconds;
  private final Map<String, RequestState> requests = new ConcurrentHashMap<>();
  private SharedIndexInformer<GenericKubernetesResource> informer;

  /** One request as the informer last saw it. */
  record RequestState(long generation, long observedGeneration, long round, boolean ready) {
  }

  Chaos(Settings settings, Report report, Path repo, Path work) {
    this.settings = settings;
    this.report = report;
    this.repo = repo;
    this.work = work;
    this.random = new Random(settings.seed());
  }

  /**
   * Entry point. Arguments: {@code --repo DIR}, {@code --revision REV}, {@code --seed N} (default: random, printed),
   * {@code --requests N} (200; the issue asks 1,000), {@code --kills N} (5; the issue asks 10), {@code --git-outage S} (60), {@code --api-outage S} (30),
   * {@code --bound S} (seconds to wait for recovery before reporting a miss, 120), {@code --only 1,3} (scenarios).
   */
  public static void main(String[] args) throws Exception {
    Path repo = Path.of(arg(args, "--repo", ".")).toAbsolutePath().normalize();
    String revision = arg(args, "--revision", "unknown");
    long seed = Long.parseLong(arg(args, "--seed", String.valueOf(new Random().nextInt(1_000_000))));
    String only = arg(args, "--only", "");
    Settings settings = new Settings(Integer.parseInt(arg(args, "--requests", "200")),
        Integer.parseInt(arg(args, "--kills", "5")), seed, Integer.parseInt(arg(args, "--git-outage", "60")),
        Integer.parseInt(arg(args, "--api-outage", "30")), Integer.parseInt(arg(args, "--bound", "120")),
        only.isBlank() ? Set.of() : Set.of(only.split(",")));
    Report report = new Report();
    System.out.printf("fault suite: seed %d (repeat with --seed %d), %d requests a burst, %d kills, git outage %d s,"
        + " API server outage %d s, recovery bound %d s%n", seed, seed, settings.requests(), settings.kills(),
        settings.gitOutage(), settings.apiOutage(), settings.bound());
    report.parameter("seed", seed);
    report.parameter("requests", settings.requests());
    report.parameter("kills", settings.kills());
    report.parameter("gitOutageSeconds", settings.gitOutage());
    report.parameter("apiOutageSeconds", settings.apiOutage());
    report.parameter("recoveryBoundSeconds", settings.bound());
    report.parameter("scenarios", only.isBlank() ? "1,2,3,4,5" : only);
    Path work = Files.createTempDirectory("tarmac-chaos");
    Chaos chaos = new Chaos(settings, report, repo, work);
    boolean aborted = false;
    try {
      chaos.run();
    } catch (Exception e) {
      // What was measured so far is still written, with the reason the suite stopped.
      e.printStackTrace();
      report.note("the suite stopped early: " + e);
      aborted = true;
    } finally {
      chaos.shutdown();
    }
    report.print();
    Path file = report.write(repo.resolve("benchmarks/results"), "chaos", revision);
    System.out.println("figures written to " + repo.relativize(file) + "; logs in " + work);
    // Informer and HTTP client threads would keep the JVM alive.
    System.exit(aborted ? 1 : 0);
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  void run() throws Exception {
    setUp();
    if (settings.runs("1")) {
      killDuringBurst();
    }
    if (settings.runs("2")) {
      replicas();
    }
    if (settings.runs("3")) {
      gitOutage();
    }
    if (settings.runs("4")) {
      apiServerOutage();
    }
    if (settings.runs("5")) {
      wipedDataDir();
    }
    report.add(Figure.atMost("suite", "wall time, set-up included", elapsed(), "s", 1200));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Set-up

  private void setUp() throws Exception {
    Path policy = work.resolve("audit-policy.yaml");
    Files.writeString(policy, AuditLog.POLICY);
    cluster = new ControlPlane(repo, work.resolve("cluster"), policy);
    double started = cluster.start();
    progress("control plane (etcd, kube-apiserver, kube-controller-manager) ready in %.1f s; logs in %s", started,
        work.resolve("cluster"));
    client = cluster.newClient();
    audit = new AuditLog(cluster.auditLog());
    daemon = new GitDaemon(Files.createDirectories(work.resolve("served")));
    remoteRepo = daemon.bareRepo("chaos.git");
    daemon.start();
    embeddedCopy = work.resolve("embedded-copy.git");
    GitDaemon.git(work, "init", "--bare", "-q", "-b", "main", embeddedCopy.toString());
    progress("git daemon serving %s", daemon.url("chaos.git"));
    for (String ns : List.of(NS, SYSTEM_NS)) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .serverSideApply();
    }
    dataDir = Files.createDirectories(work.resolve("data-a"));
    operator = new OperatorProcess(options(dataDir, "operator-a.log", null));
    double ready = operator.awaitReady(Duration.ofSeconds(120));
    progress("operator (pid %d) ready in %.1f s", operator.pid(), ready);
    store(REMOTE, daemon.url("chaos.git"));
    store(EMBEDDED, null);
    client.load(new ByteArrayInputStream(PROMISE.getBytes(StandardCharsets.UTF_8))).serverSideApply();
    awaitPromise();
    informer = client.genericKubernetesResources(KIND).inNamespace(NS).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource r) {
        seen(r);
      }

      @Override
      public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource r) {
        seen(r);
      }

      @Override
      public void onDelete(GenericKubernetesResource r, boolean unknown) {
        requests.remove(r.getMetadata().getName());
      }
    }, 0);
    progress("Promise %s Available; stores %s (git daemon) and %s (embedded) Ready", PROMISE_NAME, REMOTE, EMBEDDED);
  }

  private OperatorProcess.Options options(Path data, String log, String pod) {
    return new OperatorProcess.Options(repo.resolve("operator/target/tarmac.jar"), cluster.kubeconfig(), data,
        work.resolve(log), SYSTEM_NS, pod, List.of("--no-default-state-store"));
  }

  private void store(String name, String url) throws InterruptedException {
    GitStateStore store = new GitStateStore();
    store.setMetadata(new ObjectMetaBuilder().withName(name).build());
    store.setSpec(new GitStateStore.Spec());
    store.getSpec().url = url;
    client.resource(store).serverSideApply();
    Destination dest = new Destination();
    dest.setMetadata(new ObjectMetaBuilder().withName(name).withLabels(Map.of("suite", "chaos")).build());
    dest.setSpec(new Destination.Spec());
    dest.getSpec().stateStoreRef = new Destination.StateStoreRef();
    dest.getSpec().stateStoreRef.name = name;
    dest.getSpec().path = DEST_DIR;
    client.resource(dest).serverSideApply();
  }

  private void awaitPromise() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      var p = client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Promise").withName(PROMISE_NAME)
          .get();
      if (p != null && Scenarios.ready(Serialization.JSON.valueToTree(p))) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("Promise " + PROMISE_NAME + " did not become Ready in 120 s; see "
        + operator.options().log());
  }

  private void seen(GenericKubernetesResource r) {
    JsonNode o = Serialization.JSON.valueToTree(r);
    long generation = o.path("metadata").path("generation").asLong();
    long observed = o.path("status").path("observedGeneration").asLong(-1);
    requests.put(r.getMetadata().getName(), new RequestState(generation, observed,
        o.path("spec").path("round").asLong(), Scenarios.ready(o)));
  }

  /** Requests whose spec is at {@code round} and which are Ready for their current generation. */
  private int readyAt(int round) {
    return (int) requests.values().stream().filter(s -> s.round() == round && s.ready()
        && s.observedGeneration() == s.generation()).count();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The burst, and what is checked after it

  /**
   * A new round: writes {@code spec.round} of every request (creating them in the first round) with
   * {@link Bench#CONCURRENCY} threads, retrying each write until it is answered (the API server may be down). Returns
   * at once; the future completes when every write was answered.
   */
  private Future<?> burst() {
    round++;
    int r = round;
    ExecutorService pool = Executors.newFixedThreadPool(Bench.CONCURRENCY);
    List<Future<?>> writes = new ArrayList<>();
    for (int i = 0; i < settings.requests(); i++) {
      String name = "c" + i;
      writes.add(pool.submit(() -> {
        write(name, r);
        return null;
      }));
    }
    pool.shutdown();
    ExecutorService waiter = Executors.newSingleThreadExecutor();
    long start = System.nanoTime();
    Future<?> done = waiter.submit(() -> {
      for (Future<?> w : writes) {
        w.get();
      }
      lastWriteSeconds = (System.nanoTime() - start) / 1e9;
      return null;
    });
    waiter.shutdown();
    return done;
  }

  private void write(String name, int r) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    var requestsApi = client.genericKubernetesResources(KIND).inNamespace(NS);
    while (true) {
      try {
        if (r == 1) {
          GenericKubernetesResource c = new GenericKubernetesResource();
          c.setApiVersion("chaos.tarmac.dev/v1");
          c.setKind("Cache");
          c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
          c.setAdditionalProperty("spec", Map.of("size", "small", "round", 1));
          try {
            requestsApi.resource(c).create();
          } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
              throw e;
            }
          }
        } else {
          requestsApi.withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"round\":" + r + "}}");
        }
        return;
      } catch (KubernetesClientException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  /**
   * A random moment of a burst, seconds after it starts: uniform over the time the last burst's writes took (the
   * operator is busy with the burst at least that long, since it works behind the writes), at least 0.5 s; the first
   * burst assumes 100 writes a second.
   */
  private double randomMoment() {
    double length = lastWriteSeconds > 0 ? lastWriteSeconds : settings.requests() / 100.0;
    return 0.5 + random.nextDouble() * Math.max(0.5, length - 0.5);
  }

  /** What both stores hold against the Works, and how many Works lag their request's round. */
  record StoreState(StoreCheck.Result remote, StoreCheck.Result embedded, int worksBehind, int works) {
    boolean clean() {
      return remote.clean() && embedded.clean() && worksBehind == 0;
    }

    int lost() {
      return remote.lost() + embedded.lost();
    }

    int staleOrExtra() {
      return remote.stale() + remote.extra() + embedded.stale() + embedded.extra() + worksBehind;
    }

    @Override
    public String toString() {
      return "remote: " + remote + "; embedded: " + embedded + (worksBehind > 0 ? "; " + worksBehind
          + " Works behind their request" : "");
    }
  }

  private StoreState stores(int r) throws IOException, InterruptedException {
    List<Work> works = retrying(() -> client.resources(Work.class).inAnyNamespace()
        .withLabel(Labels.PROMISE, PROMISE_NAME).list().getItems());
    int behind = 0;
    String expected = "round: \"" + r + "\"";
    for (Work w : works) {
      if (w.getSpec().files.stream().noneMatch(f -> f.content.contains(expected))) {
        behind++;
      }
    }
    behind += Math.max(0, settings.requests() - works.size());
    StoreCheck.Result remote = StoreCheck.compare(StoreCheck.read(remoteRepo, "main"), DEST_DIR, works);
    StoreCheck.Result embedded = StoreCheck.compare(embeddedTree(), DEST_DIR, works);
    return new StoreState(remote, embedded, behind, works.size());
  }

  /** The embedded store's tree as the leader serves it over HTTP ({@code /git}); empty when it serves none. */
  private Map<String, String> embeddedTree() throws IOException {
    try {
      GitDaemon.git(work, "-C", embeddedCopy.toString(), "fetch", "-q", "--force", "http://127.0.0.1:"
          + operator.port() + "/git/" + EMBEDDED + ".git", "+refs/heads/main:refs/heads/main");
    } catch (IllegalStateException unreachable) {
      return Map.of();
    }
    return StoreCheck.read(embeddedCopy, "main");
  }

  /**
   * Waits until every request is Ready at the current round and both trees match the Works, restarting the operator
   * if it exited by itself (as a kubelet would). Returns seconds from {@code faultEnd} (System.nanoTime), or NaN when
   * {@code settings.bound()} passed first.
   */
  private double awaitRecovered(long faultEnd) throws Exception {
    long deadline = faultEnd + Duration.ofSeconds(settings.bound()).toNanos();
    long lastCheck = 0;
    long lastPrint = System.nanoTime();
    while (System.nanoTime() < deadline) {
      supervise();
      long now = System.nanoTime();
      if (now - lastPrint > 30e9) {
        lastPrint = now;
        progress("  ... %d/%d requests Ready at round %d, %.0f s after the fault ended", readyAt(round),
            settings.requests(), round, (now - faultEnd) / 1e9);
      }
      if (readyAt(round) == settings.requests() && now - lastCheck > 2e9) {
        lastCheck = now;
        try {
          if (stores(round).clean()) {
            return (now - faultEnd) / 1e9;
          }
        } catch (KubernetesClientException busy) {
          // The API server did not answer the list: look again.
        }
      }
      Thread.sleep(200);
    }
    return Double.NaN;
  }

  /** {@code call}, tried up to 5 times 2 s apart while the API server does not answer (overloaded or down). */
  private static <T> T retrying(java.util.function.Supplier<T> call) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get();
      } catch (KubernetesClientException e) {
        if (attempt == 5) {
          throw e;
        }
        Thread.sleep(2000);
      }
    }
  }

  /**
   * Restarts the operator (or a replica) that exited by itself, as a kubelet would: its liveness failed (it lost its
   * Lease) or it crashed. With replicas, {@link #operator} then follows the Lease holder.
   */
  private void supervise() throws IOException {
    if (replicas.isEmpty()) {
      if (operator != null && !operator.alive()) {
        operatorExits++;
        progress("the operator exited by itself; restarting it (as a kubelet would). Its log ends:%n%s",
            operator.tail(3));
        operator = operator.restart();
      }
      return;
    }
    for (var e : replicas.entrySet()) {
      if (!e.getValue().alive()) {
        operatorExits++;
        progress("replica %s exited by itself; restarting it (as a kubelet would). Its log ends:%n%s", e.getKey(),
            e.getValue().tail(3));
        e.setValue(e.getValue().restart());
      }
    }
    String holder = leaseHolder();
    if (holder != null && replicas.containsKey(holder)) {
      operator = replicas.get(holder);
    }
  }

  private String leaseHolder() {
    try {
      var lease = client.leases().inNamespace(SYSTEM_NS).withName("tarmac").get();
      return lease == null ? null : lease.getSpec().getHolderIdentity();
    } catch (KubernetesClientException e) {
      return null;
    }
  }

  /**
   * The figures every scenario reports, from the audit log since {@code mark} and the stores now.
   *
   * @return the stores' state
   */
  private StoreState figures(String scenario, long mark, double recovery) throws Exception {
    List<GenericKubernetesResource> list = retrying(() -> client.genericKubernetesResources(KIND).inNamespace(NS)
        .list().getItems());
    int ready = 0;
    for (GenericKubernetesResource r : list) {
      JsonNode o = Serialization.JSON.valueToTree(r);
      if (Scenarios.ready(o) && o.path("spec").path("round").asInt() == round && o.path("status")
          .path("observedGeneration").asLong() == o.path("metadata").path("generation").asLong()) {
        ready++;
      }
    }
    AuditLog.Counts counts = audit.since(mark);
    StoreState state = stores(round);
    report.add(Figure.atLeast(scenario, "requests Ready at the end (current generation)", ready, "requests",
        settings.requests()));
    report.add(Figure.atMost(scenario, "pipeline runs repeated for one generation", counts.duplicateRuns(), "runs",
        0));
    report.add(Figure.atMost(scenario, "duplicate Jobs for one generation (" + counts.jobs() + " Jobs)",
        counts.duplicateJobs(), "Jobs", 0));
    report.add(Figure.atMost(scenario, "Git files lost (both stores)", state.lost(), "files", 0));
    report.add(Figure.atMost(scenario, "Git files stale or duplicated (both stores)", state.staleOrExtra(), "files",
        0));
    report.add(recoveryFigure(scenario, "recovery after the fault ends", recovery));
    report.note(scenario + ": " + counts.runs() + " pipeline runs (Work writes) for " + settings.requests()
        + " requests" + (counts.duplicateRuns() > 0 ? ", repeated: " + counts.examples(5) : "") + "; " + state);
    return state;
  }

  private Figure recoveryFigure(String scenario, String name, double seconds) {
    if (Double.isNaN(seconds)) {
      return new Figure(scenario, name + " (not recovered within the bound)", settings.bound(), "s",
          "<= " + Figure.trim(RECOVERY_GOAL), false);
    }
    return Figure.atMost(scenario, name, seconds, "s", RECOVERY_GOAL);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Scenarios

  /** (1) kill -9 of the operator at a random moment of a burst, restarted at once; {@code kills} times in a row. */
  private void killDuringBurst() throws Exception {
    String scenario = "1 kill -9 x" + settings.kills();
    progress("scenario 1: kill -9 of the operator at a random moment of a %d-request burst, %d times",
        settings.requests(), settings.kills());
    long mark = audit.mark();
    List<Double> recoveries = new ArrayList<>();
    int worstReady = settings.requests();
    int duplicates = 0;
    int lost = 0;
    int staleOrExtra = 0;
    for (int k = 1; k <= settings.kills(); k++) {
      long roundMark = audit.mark();
      double at = randomMoment();
      long start = System.nanoTime();
      Future<?> writes = burst();
      sleepUntil(start, at);
      int readyAtKill = readyAt(round);
      long killedPid = operator.pid();
      operator.kill();
      operator = operator.restart();
      long restarted = System.nanoTime();
      writes.get();
      double recovery = awaitRecovered(restarted);
      AuditLog.Counts counts = audit.since(roundMark);
      StoreState state = stores(round);
      int ready = readyAt(round);
      worstReady = Math.min(worstReady, ready);
      duplicates += counts.duplicateRuns();
      lost += state.lost();
      staleOrExtra += state.staleOrExtra();
      recoveries.add(Double.isNaN(recovery) ? Double.POSITIVE_INFINITY : recovery);
      String line = String.format("round %d: kill -9 of pid %d at %.1f s into the burst (%d/%d Ready then);"
          + " recovered %s after the restart; %d runs, %d repeated; %s", k, killedPid, at, readyAtKill,
          settings.requests(), Double.isNaN(recovery) ? "NOT within " + settings.bound() + " s"
              : String.format("%.1f s", recovery), counts.runs(), counts.duplicateRuns(), state);
      progress("scenario 1 %s", line);
      report.note(scenario + " " + line);
    }
    AuditLog.Counts all = audit.since(mark);
    Stats stats = new Stats(recoveries);
    report.add(Figure.atLeast(scenario, "requests Ready at the end (worst round)", worstReady, "requests",
        settings.requests()));
    report.add(Figure.atMost(scenario, "pipeline runs repeated for one generation", duplicates, "runs", 0));
    report.add(Figure.atMost(scenario, "duplicate Jobs for one generation (" + all.jobs() + " Jobs)",
        all.duplicateJobs(), "Jobs", 0));
    report.add(Figure.atMost(scenario, "Git files lost (both stores, all rounds)", lost, "files", 0));
    report.add(Figure.atMost(scenario, "Git files stale or duplicated (all rounds)", staleOrExtra, "files", 0));
    report.add(Figure.of(scenario, "recovery after the restart, p50", stats.percentile(50), "s"));
    report.add(recoveryFigure(scenario, "recovery after the restart, worst", stats.max() == Double.POSITIVE_INFINITY
        ? Double.NaN : stats.max()));
  }

  /** (2) Two replicas with leader election; kill -9 of the leader during a burst. */
  private void replicas() throws Exception {
    String scenario = "2 leader kill -9";
    progress("scenario 2: two replicas (leader election), kill -9 of the leader during a %d-request burst",
        settings.requests());
    operator.close();
    operator = null;
    client.serviceAccounts().inNamespace(SYSTEM_NS).resource(new ServiceAccountBuilder().withNewMetadata()
        .withName("default").endMetadata().build()).serverSideApply();
    for (String pod : List.of("tarmac-a", "tarmac-b")) {
      client.pods().inNamespace(SYSTEM_NS).resource(new PodBuilder().withNewMetadata().withName(pod)
          .withLabels(Map.of("app.kubernetes.io/name", "tarmac")).endMetadata().withNewSpec()
          .withAutomountServiceAccountToken(false).addNewContainer().withName("tarmac").withImage("tarmac:chaos")
          .endContainer().endSpec().build()).serverSideApply();
    }
    OperatorProcess a = new OperatorProcess(options(dataDir, "replica-a.log", "tarmac-a"));
    awaitReadyz(a, "leader", Duration.ofSeconds(120));
    Path dataB = Files.createDirectories(work.resolve("data-b"));
    OperatorProcess b = new OperatorProcess(options(dataB, "replica-b.log", "tarmac-b"));
    awaitReadyz(b, "standby", Duration.ofSeconds(120));
    replicas.put("tarmac-a", a);
    replicas.put("tarmac-b", b);
    operator = a;
    progress("replica tarmac-a (pid %d) leads, tarmac-b (pid %d) stands by", a.pid(), b.pid());
    int exitsBefore = operatorExits;
    long mark = audit.mark();
    double at = randomMoment();
    long start = System.nanoTime();
    Future<?> writes = burst();
    sleepUntil(start, at);
    int readyAtKill = readyAt(round);
    // The leader at this moment (under load a Lease may already have changed hands): kill -9 of it.
    String leader = leaseHolder();
    if (leader == null || !replicas.containsKey(leader)) {
      leader = "tarmac-a";
    }
    String standby = leader.equals("tarmac-a") ? "tarmac-b" : "tarmac-a";
    OperatorProcess killedOne = replicas.get(leader);
    OperatorProcess other = replicas.get(standby);
    double reconcilesBefore = metricOrZero(other, "tarmac_request_reconciles_total");
    killedOne.kill();
    long killed = System.nanoTime();
    // The kubelet restarts the killed container; it comes back as a standby.
    replicas.put(leader, killedOne.restart());
    double takeover = Double.NaN;
    double firstReconcile = Double.NaN;
    long deadline = killed + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline && (Double.isNaN(takeover) || Double.isNaN(firstReconcile))) {
      if (Double.isNaN(takeover) && standby.equals(leaseHolder())) {
        takeover = (System.nanoTime() - killed) / 1e9;
      }
      if (Double.isNaN(firstReconcile) && metricOrZero(replicas.get(standby), "tarmac_request_reconciles_total")
          > reconcilesBefore) {
        firstReconcile = (System.nanoTime() - killed) / 1e9;
      }
      Thread.sleep(100);
    }
    supervise();
    writes.get();
    double recovery = awaitRecovered(killed);
    progress("scenario 2: kill -9 of the leader %s at %.1f s into the burst (%d/%d Ready then); Lease taken over by"
        + " %s after %.1f s, its first reconcile after %.1f s, recovered %.1f s after the kill; replicas exited by"
        + " themselves %d times", leader, at, readyAtKill, settings.requests(), standby, takeover, firstReconcile,
        recovery, operatorExits - exitsBefore);
    report.add(Figure.atMost(scenario, "kill -9 -> standby holds the Lease", nanToBound(takeover, 60), "s",
        FAILOVER_GOAL));
    report.add(Figure.atMost(scenario, "kill -9 -> new leader's first reconcile", nanToBound(firstReconcile, 60),
        "s", FAILOVER_GOAL));
    figures(scenario, mark, recovery);
    report.add(Figure.atMost(scenario, "replicas that lost their Lease and exited (restarted)",
        operatorExits - exitsBefore, "exits", 0));
    // The suite goes on with one operator, on the data directory of the replica that leads now (its embedded
    // repository; the other may hold an older copy).
    supervise();
    String now = leaseHolder() != null && replicas.containsKey(leaseHolder()) ? leaseHolder() : standby;
    dataDir = replicas.get(now).options().dataDir();
    for (OperatorProcess r : replicas.values()) {
      r.close();
    }
    replicas.clear();
    operator = new OperatorProcess(options(dataDir, "operator-b.log", null));
    operator.awaitReady(Duration.ofSeconds(120));
  }

  /** (3) The git daemon stopped during a burst and started again; then the branch force-pushed to an older commit. */
  private void gitOutage() throws Exception {
    String scenario = "3 git daemon down " + settings.gitOutage() + " s";
    progress("scenario 3: git daemon stopped for %d s during a %d-request burst, then a force-push to an older"
        + " commit", settings.gitOutage(), settings.requests());
    String older = StoreCheck.tip(remoteRepo, "main");
    long mark = audit.mark();
    double at = Math.min(randomMoment(), 5);
    long start = System.nanoTime();
    Future<?> writes = burst();
    sleepUntil(start, at);
    int readyAtStop = readyAt(round);
    daemon.stop();
    long stopped = System.nanoTime();
    sleepPrinting(stopped, settings.gitOutage());
    daemon.start();
    long restarted = System.nanoTime();
    writes.get();
    double recovery = awaitRecovered(restarted);
    progress("scenario 3: daemon stopped at %.1f s into the burst (%d/%d Ready then), started %d s later; recovered"
        + " %.1f s after", at, readyAtStop, settings.requests(), settings.gitOutage(), recovery);
    figures(scenario, mark, recovery);

    // The force-push: the branch back to the commit before this scenario's burst, through the daemon.
    String scenario2 = "3b force-push to older commit";
    String tipBefore = StoreCheck.tip(remoteRepo, "main");
    if (older == null) {
      // Scenario 3 ran first (--only 3): the branch did not exist before its burst; its first commit is the older one.
      older = GitDaemon.git(remoteRepo, "rev-list", "--max-parents=0", "main").trim();
    }
    GitDaemon.git(remoteRepo, "push", "-q", "--force", daemon.url("chaos.git"), older + ":refs/heads/main");
    long pushed = System.nanoTime();
    StoreState afterPush = stores(round);
    progress("scenario 3b: force-pushed main from %s to %s (the tip before the burst): %s", shortId(tipBefore),
        shortId(older), afterPush);
    long deadline = pushed + Duration.ofSeconds(settings.bound()).toNanos();
    double repaired = Double.NaN;
    Set<String> reasons = new LinkedHashSet<>();
    while (System.nanoTime() < deadline) {
      supervise();
      GitStateStore s = client.resources(GitStateStore.class).withName(REMOTE).get();
      String r = s == null || s.getStatus() == null ? null : dev.tarmac.api.Conditions.reason(s.getStatus(),
          dev.tarmac.api.Conditions.READY);
      if (r != null) {
        reasons.add(r);
      }
      if (stores(round).remote().clean()) {
        repaired = (System.nanoTime() - pushed) / 1e9;
        break;
      }
      Thread.sleep(1000);
    }
    progress("scenario 3b: remote tree repaired %s after the force-push; the store's Ready reasons seen: %s",
        Double.isNaN(repaired) ? "NOT within " + settings.bound() + " s" : String.format("%.1f s", repaired),
        reasons);
    report.add(recoveryFigure(scenario2, "force-push -> remote tree right again", repaired));
    report.note(scenario2 + ": right after the push: " + afterPush + "; the store's Ready reasons seen until"
        + " repaired (polled every second): " + reasons);
    if (Double.isNaN(repaired)) {
      // Not repaired by itself: does the next write repair it?
      long mark2 = audit.mark();
      Future<?> w = burst();
      w.get();
      double next = awaitRecovered(System.nanoTime());
      report.note(scenario2 + ": after one more burst the trees were " + (Double.isNaN(next) ? "still wrong" : "right")
          + "; " + stores(round) + "; " + audit.since(mark2).duplicateRuns() + " runs repeated");
    }
  }

  /** (4) The API server and etcd stopped during a burst, started again on the same data after the outage. */
  private void apiServerOutage() throws Exception {
    String scenario = "4 API server down " + settings.apiOutage() + " s";
    progress("scenario 4: API server and etcd stopped for %d s during a %d-request burst", settings.apiOutage(),
        settings.requests());
    long mark = audit.mark();
    int exitsBefore = operatorExits;
    double at = randomMoment();
    long start = System.nanoTime();
    Future<?> writes = burst();
    sleepUntil(start, at);
    int readyAtStop = readyAt(round);
    cluster.stop();
    long stopped = System.nanoTime();
    sleepPrinting(stopped, settings.apiOutage());
    double up = cluster.restart();
    long restarted = System.nanoTime();
    writes.get();
    double recovery = awaitRecovered(restarted);
    progress("scenario 4: stopped at %.1f s into the burst (%d/%d Ready then), down %d s, ready again %.1f s after"
        + " the restart began; recovered %.1f s after; the operator exited %d times", at, readyAtStop,
        settings.requests(), settings.apiOutage(), up, recovery, operatorExits - exitsBefore);
    figures(scenario, mark, recovery);
    report.add(Figure.of(scenario, "operator exits (restarted by the harness)", operatorExits - exitsBefore,
        "exits"));
  }

  /** (5) The operator stopped, its data directory deleted, and started again on the empty directory. */
  private void wipedDataDir() throws Exception {
    String scenario = "5 data dir wiped";
    progress("scenario 5: operator stopped, data directory %s deleted, operator started again", dataDir);
    long mark = audit.mark();
    // Only requests Ready now can be seen leaving Ready (an earlier scenario may have left some not Ready).
    Set<String> readyBefore = new java.util.HashSet<>();
    requests.forEach((name, s) -> {
      if (s.ready() && s.round() == round && s.observedGeneration() == s.generation()) {
        readyBefore.add(name);
      }
    });
    operator.close();
    try (Stream<Path> walk = Files.walk(dataDir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    Files.createDirectories(dataDir);
    operator = operator.restart();
    long restarted = System.nanoTime();
    Set<String> leftReady = new LinkedHashSet<>();
    long deadline = restarted + Duration.ofSeconds(settings.bound()).toNanos();
    double recovery = Double.NaN;
    long lastCheck = 0;
    while (System.nanoTime() < deadline) {
      supervise();
      requests.forEach((name, s) -> {
        if (!s.ready() && readyBefore.contains(name)) {
          leftReady.add(name);
        }
      });
      long now = System.nanoTime();
      if (readyAt(round) == settings.requests() && now - lastCheck > 2e9) {
        lastCheck = now;
        if (stores(round).clean()) {
          recovery = (now - restarted) / 1e9;
          break;
        }
      }
      Thread.sleep(200);
    }
    progress("scenario 5: recovered %.1f s after the start on the empty directory; %d requests seen not Ready",
        recovery, leftReady.size());
    figures(scenario, mark, recovery);
    report.add(Figure.atMost(scenario, "requests seen leaving Ready (of " + readyBefore.size() + " Ready before)",
        leftReady.size(), "requests", 0));
  }

  // ---------------------------------------------------------------------------------------------------------------

  private void awaitReadyz(OperatorProcess op, String detail, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!op.alive()) {
        throw new IllegalStateException("the operator exited:\n" + op.tail(30));
      }
      try {
        var res = op.get("/readyz");
        if (res.statusCode() == 200 && res.body().contains(detail)) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("no '" + detail + "' on /readyz within " + timeout + ":\n" + op.tail(30));
  }

  private static double metricOrZero(OperatorProcess op, String name) {
    try {
      double v = op.metric(name);
      return Double.isNaN(v) ? 0 : v;
    } catch (IOException | InterruptedException e) {
      return 0;
    }
  }

  private static double nanToBound(double v, double bound) {
    return Double.isNaN(v) ? bound : v;
  }

  private static String shortId(String sha) {
    return sha == null ? "(none)" : sha.substring(0, 8);
  }

  private void sleepUntil(long startNanos, double seconds) throws InterruptedException {
    long until = startNanos + (long) (seconds * 1e9);
    long left;
    while ((left = until - System.nanoTime()) > 0) {
      Thread.sleep(Math.max(1, Math.min(200, left / 1_000_000)));
    }
  }

  /** As {@link #sleepUntil(long, double)}, printing a line every 10 s (an outage). */
  private void sleepPrinting(long startNanos, double seconds) throws InterruptedException {
    for (int s = 10; s < seconds; s += 10) {
      sleepUntil(startNanos, s);
      progress("  ... down for %d s (%d/%d requests Ready at round %d)", s, readyAt(round), settings.requests(),
          round);
    }
    sleepUntil(startNanos, seconds);
  }

  private double elapsed() {
    return (System.nanoTime() - suiteStart) / 1e9;
  }

  private void progress(String format, Object... args) {
    double t = elapsed();
    System.out.printf("[%02d:%02d] %s%n", (int) t / 60, (int) t % 60, String.format(format, args));
  }

  void shutdown() {
    if (informer != null) {
      informer.close();
    }
    try {
      for (OperatorProcess r : replicas.values()) {
        r.close();
      }
      if (operator != null) {
        operator.close();
      }
    } catch (Exception e) {
      System.out.println("stopping the operator: " + e);
    }
    try {
      if (daemon != null) {
        daemon.stop();
      }
    } catch (Exception e) {
      System.out.println("stopping git daemon: " + e);
    }
    if (client != null) {
      client.close();
    }
    try {
      if (cluster != null) {
        cluster.stop();
      }
    } catch (Exception e) {
      System.out.println("stopping the control plane: " + e);
    }
  }
}
