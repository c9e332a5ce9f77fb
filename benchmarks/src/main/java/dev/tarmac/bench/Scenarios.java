package dev.tarmac.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayInputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** The scenarios of {@code make bench}, each bounded in count and time. */
final class Scenarios {

  private final KubernetesClient client;
  private final Report report;
  private final Path repo;
  private final Path work;
  private final Path kubeconfig;
  private final boolean quick;
  private final RawWrites raw;
  private double baseline;
  private int requestsMade;

  Scenarios(KubernetesClient client, Report report, Path repo, Path work, Path kubeconfig, boolean quick)
      throws Exception {
    this.client = client;
    this.report = report;
    this.repo = repo;
    this.work = work;
    this.kubeconfig = kubeconfig;
    this.quick = quick;
    this.raw = new RawWrites(client.getConfiguration());
  }

  void runAll() throws Exception {
    measureBaseline("baseline");

    Path jar = repo.resolve("operator/target/tarmac.jar");
    double javaVersion = selected("start-up") ? javaVersionSeconds() : Double.NaN;
    if (selected("start-up")) {
      report.add(Figure.of("start-up", "java -version, process start to exit (median of 3; same JVM options)",
          javaVersion, "s"));
      // On the fresh API server: the operator installs every CRD, as at a first install.
      try (OperatorProcess op = new OperatorProcess(jar, kubeconfig, Files.createDirectories(work.resolve("data")),
          work.resolve("operator-first.log"), List.of("--backstage-crds"))) {
        startUp(op, "empty cluster, CRDs installed by it", 2.5, javaVersion);
      }
      // The CRDs present now: the same start without and with the AppCDS archive, to show what it is worth.
      try (OperatorProcess op = new OperatorProcess(jar, kubeconfig, work.resolve("data"),
          work.resolve("operator-nocds.log"), List.of("--backstage-crds"), false)) {
        startUp(op, "empty cluster, CRDs present, without AppCDS", -1, javaVersion);
      }
    }
    // With Backstage's kinds served (--backstage-crds): the catalog scenario mixes backstage.io objects in.
    try (OperatorProcess op = new OperatorProcess(jar, kubeconfig, Files.createDirectories(work.resolve("data")),
        work.resolve("operator.log"), List.of("--backstage-crds"))) {
      double ready = selected("start-up") ? startUp(op, "empty cluster, CRDs present", -1, javaVersion)
          : op.awaitReady(Duration.ofSeconds(180)); // shared machines can be slow to start a JVM
      if (!selected("start-up")) {
        report.add(Figure.atMost("start-up", "process start to /readyz (empty cluster)", ready, "s", 2.5));
      }
      client.load(new ByteArrayInputStream(PROMISE.getBytes(StandardCharsets.UTF_8))).serverSideApply();
      waitPromise();
      for (int count : requestCounts()) {
        requests(op, "requests N=" + count, count);
      }
      if (selected("databases")) {
        databases(op, 100);
      }
      if (selected("catalog")) {
        catalog(op, quick ? 1000 : 10_000);
        // Issue 17 figure 3: 10,000 entities with the 1,100 requests and 100 Databases of the scenarios before.
        report.add(Figure.atMost("catalog", "operator RSS with the catalog loaded", op.rssMiB(), "MiB", 384));
        // The portal's pages on the same entities (issue 20), after the RSS so that figure stays the catalog's.
        new PortalFigures(client, report, repo).measure(op, "catalog " + (quick ? 1000 : 10_000), "bench-catalog");
      }
    }
    if (!selected("start-up")) {
      return;
    }
    try (OperatorProcess op = new OperatorProcess(jar, kubeconfig, work.resolve("data"), work.resolve("operator2.log"),
        List.of("--backstage-crds"))) {
      startUp(op, client.genericKubernetesResources(KIND).inAnyNamespace().list().getItems().size()
          + " requests present", 5, javaVersion);
    }
  }

  /**
   * Waits for {@code op}'s {@code /readyz} and reports the time from process start (goal {@code goal} s; none when
   * negative), its ratio to {@code java -version}'s, and the operator's own start-up timeline
   * ({@code tarmac_startup_seconds{phase}}).
   */
  private double startUp(OperatorProcess op, String what, double goal, double javaVersion) throws Exception {
    double ready = op.awaitReady(Duration.ofSeconds(180)); // shared machines can be slow to start a JVM
    String name = "process start to /readyz (" + what + (op.cds() ? ", AppCDS" : "") + ")";
    report.add(goal < 0 ? Figure.of("start-up", name, ready, "s") : Figure.atMost("start-up", name, ready, "s", goal));
    report.add(Figure.of("start-up", "process start to /readyz (" + what + ") ÷ java -version", ready / javaVersion,
        "ratio"));
    report.add(Figure.of("start-up", "CPU to /readyz, user + system (" + what + (op.cds() ? ", AppCDS" : "") + ")",
        op.cpuAtReady(), "s"));
    StringBuilder phases = new StringBuilder();
    var series = new ArrayList<>(op.series("tarmac_startup_seconds").entrySet());
    series.sort(Map.Entry.comparingByValue());
    for (var e : series) {
      phases.append(e.getKey().replaceAll(".*phase=\"([^\"]*)\".*", "$1")).append(' ')
          .append(String.format(java.util.Locale.ROOT, "%.2f", e.getValue())).append("; ");
    }
    report.note("start-up (" + what + "): phases in s since process start: " + phases);
    return ready;
  }

  /**
   * Seconds from start to exit of {@code java -version} with the operator's JVM options: the median of three, the
   * yardstick of the start-up ratio (the JVM's own start on this machine, now).
   */
  private static double javaVersionSeconds() throws Exception {
    String javaOptions = System.getenv().getOrDefault("TARMAC_BENCH_JAVA_OPTIONS", "-XX:+UseSerialGC -Xmx1g");
    List<String> cmd = new ArrayList<>(List.of("java"));
    cmd.addAll(List.of(javaOptions.trim().split("\\s+")));
    cmd.add("-version");
    double[] runs = new double[3];
    for (int i = 0; i < runs.length; i++) {
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      p.waitFor();
      runs[i] = (System.nanoTime() - t0) / 1e9;
    }
    java.util.Arrays.sort(runs);
    return runs[1];
  }

  /**
   * The API server's raw write rate, measured twice: with fabric8 ({@link Bench#CONCURRENCY} threads, as in round
   * one) and with the lean client ({@link RawWrites}); {@code R} is the higher.
   */
  private void measureBaseline(String scenario) throws Exception {
    int n = quick ? 300 : 1000;
    double fabric8 = Bench.baselineWritesPerSecond(client, n);
    report.add(Figure.of(scenario, "raw API server writes/s (" + n + " ConfigMaps, fabric8, " + Bench.CONCURRENCY
        + " threads)", fabric8, "writes/s"));
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("bench-raw").endMetadata()
        .build()).serverSideApply();
    double lean = raw.configMapsPerSecond("bench-raw", n);
    report.add(Figure.of(scenario, "raw API server writes/s (" + n + " ConfigMaps, HTTP/2, " + RawWrites.IN_FLIGHT
        + " in flight)", lean, "writes/s"));
    baseline = Math.max(fabric8, lean);
    report.add(Figure.of(scenario, "R: the higher of the two", baseline, "writes/s"));
  }

  /**
   * Linear growth (issue 17): on a fresh API server and operator, {@code scaleCounts()} requests one batch after the
   * other (full run: 1,000 then 10,000), each batch's time per request compared with the first's, and the operator's
   * live heap after a full GC per 1,000 requests present.
   */
  void runScale() throws Exception {
    measureBaseline("scale");
    Path jar = repo.resolve("operator/target/tarmac.jar");
    try (OperatorProcess op = new OperatorProcess(jar, kubeconfig, Files.createDirectories(work.resolve("data-scale")),
        work.resolve("operator-scale.log"), List.of())) {
      op.awaitReady(Duration.ofSeconds(180));
      client.load(new ByteArrayInputStream(PROMISE.getBytes(StandardCharsets.UTF_8))).serverSideApply();
      waitPromise();
      // A first small batch warms the operator up (class loading, JIT): without it the first measured batch pays
      // for that and every later one looks faster than linear. The heap is measured from here on.
      requests(op, "scale warm-up N=" + WARM_UP, WARM_UP);
      double heapBefore = op.liveHeapMiB();
      int present = requestsMade;
      report.add(Figure.of("scale", "operator live heap after GC (" + present + " warm-up requests present)",
          heapBefore, "MiB"));
      int[] counts = scaleCounts();
      double firstPerRequest = Double.NaN;
      for (int count : counts) {
        String scenario = "scale N=" + count;
        double total = requests(op, scenario, count);
        double perRequest = total / count;
        report.add(Figure.of(scenario, "time per request (total / N)", perRequest * 1000, "ms"));
        if (Double.isNaN(firstPerRequest)) {
          firstPerRequest = perRequest;
        } else {
          report.add(Figure.atMost(scenario, "time per request / at N=" + counts[0], perRequest / firstPerRequest,
              "ratio", 1.1));
        }
        double heap = op.liveHeapMiB();
        report.add(Figure.of(scenario, "operator live heap after GC (" + requestsMade + " requests present)", heap,
            "MiB"));
        report.add(Figure.atMost(scenario, "live heap per 1,000 requests added", (heap - heapBefore)
            / ((requestsMade - present) / 1000.0), "MiB", 8));
      }
      report.note("scale: largest classes in the live heap with " + requestsMade + " requests: " + op.histogram(12));
    }
  }

  /** The warm-up batch of {@link #runScale()} (namespace {@code bench-50}, apart from the measured batches). */
  private static final int WARM_UP = 50;

  /** The batches of {@link #runScale()}: 1,000 and 10,000 (QUICK: 100 and 1,000), or {@code TARMAC_BENCH_SCALE}. */
  private int[] scaleCounts() {
    String counts = System.getenv("TARMAC_BENCH_SCALE");
    if (counts != null && !counts.isBlank()) {
      return java.util.Arrays.stream(counts.split(",")).mapToInt(c -> Integer.parseInt(c.trim())).toArray();
    }
    return quick ? new int[] {100, 1000} : new int[] {1000, 10_000};
  }

  /**
   * Whether a scenario runs: all of them, unless {@code TARMAC_BENCH_ONLY} lists some (comma-separated: requests,
   * catalog, start-up) — for profiling one scenario; results of such a run are not the committed figures.
   */
  static boolean selected(String scenario) {
    String only = System.getProperty("tarmac.bench.only", System.getenv("TARMAC_BENCH_ONLY"));
    return only == null || only.isBlank() || List.of(only.split(",")).contains(scenario);
  }

  /** The request counts: 100 (QUICK) or 100 and 1,000, or {@code TARMAC_BENCH_REQUESTS} (comma-separated). */
  private int[] requestCounts() {
    if (!selected("requests")) {
      return new int[0];
    }
    String counts = System.getenv("TARMAC_BENCH_REQUESTS");
    if (counts != null && !counts.isBlank()) {
      return java.util.Arrays.stream(counts.split(",")).mapToInt(c -> Math.min(20_000, Integer.parseInt(c.trim())))
          .toArray();
    }
    return quick ? new int[] {100} : new int[] {100, 1000};
  }

  static final ResourceDefinitionContext KIND = new ResourceDefinitionContext.Builder().withGroup("bench.tarmac.dev")
      .withVersion("v1").withKind("Cache").withPlural("caches").withNamespaced(true).build();

  static final String PROMISE = """
      apiVersion: platform.tarmac.dev/v1alpha1
      kind: Promise
      metadata: {name: bench-cache}
      spec:
        destinationSelectors: [{matchLabels: {environment: dev}}]
        api:
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: {name: caches.bench.tarmac.dev}
          spec:
            group: bench.tarmac.dev
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
                      spec: {type: object, properties: {size: {type: string, default: small}}}
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
                            data: {size: "{{ spec.size }}"}
      """;

  private void waitPromise() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      var p = client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Promise").withName("bench-cache")
          .get();
      if (p != null && ready(Serialization.JSON.valueToTree(p))) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the benchmark Promise did not become Ready");
  }

  static boolean ready(JsonNode object) {
    for (JsonNode c : object.path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        return "True".equals(c.path("status").asText());
      }
    }
    return false;
  }

  /**
   * {@code n} requests of the benchmark Promise in namespace {@code bench-<n>}, created by the lean client: their
   * figures under {@code scenario}; returns the seconds from the first create to the last request Ready.
   */
  private double requests(OperatorProcess op, String scenario, int n) throws Exception {
    requestsMade += n;
    String ns = "bench-" + n;
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .serverSideApply();
    Map<String, Double> before = ApiServerMetrics.writes(client);
    Map<String, Double> readsBefore = ApiServerMetrics.reads(client);
    double requestReconcilesBefore = op.metric("tarmac_request_reconciles_total");
    double allReconcilesBefore = op.metric("operator_sdk_reconciliations_started_total");
    Map<String, Double> byControllerBefore = op.series("operator_sdk_reconciliations_started_total");
    Map<String, Long> created = new ConcurrentHashMap<>();
    Map<String, Long> readyAt = new ConcurrentHashMap<>();
    var informer = watchReady(client.genericKubernetesResources(KIND).inNamespace(ns), readyAt);
    // The requests are created by the lean client (bodies serialized first, HTTP/2, 48 in flight), so the harness
    // takes as little of the shared CPU as it can and the API server sees them as fast as it accepts them.
    List<String> bodies = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      bodies.add("{\"apiVersion\":\"bench.tarmac.dev/v1\",\"kind\":\"Cache\",\"metadata\":{\"name\":\"c" + i
          + "\",\"namespace\":\"" + ns + "\"},\"spec\":{\"size\":\"small\"}}");
    }
    long start = System.nanoTime();
    raw.post("/apis/bench.tarmac.dev/v1/namespaces/" + ns + "/caches", bodies,
        i -> created.put("c" + i, System.nanoTime()));
    long deadline = System.nanoTime() + Duration.ofSeconds(quick ? 120 : Math.max(300, n / 10)).toNanos();
    while (readyAt.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    informer.close();
    double total;
    List<Double> latencies = new ArrayList<>();
    readyAt.forEach((name, t) -> latencies.add((t - created.get(name)) / 1e9));
    double lastReady = readyAt.values().stream().mapToLong(Long::longValue).max().orElse(System.nanoTime());
    long firstCreate = created.values().stream().mapToLong(Long::longValue).min().orElse(start);
    total = (lastReady - firstCreate) / 1e9;
    Stats stats = new Stats(latencies);
    report.add(Figure.atLeast(scenario, "requests Ready and Published", readyAt.size(), "requests", n));
    report.add(Figure.of(scenario, "apply to Ready p50", stats.percentile(50), "s"));
    report.add(Figure.of(scenario, "apply to Ready p99", stats.percentile(99), "s"));
    report.add(Figure.of(scenario, "apply to Ready max", stats.max(), "s"));
    report.add(n == 1000 ? Figure.atMost(scenario, "first apply to all Ready (total)", total, "s", 10)
        : Figure.of(scenario, "first apply to all Ready (total)", total, "s"));
    double rate = readyAt.size() / total;
    report.add(Figure.of(scenario, "requests/s", rate, "req/s"));
    report.add(Figure.of(scenario, "throughput / raw API writes/s (round one)", rate / baseline, "ratio"));
    // Issue 17: every request needs at least its own create and one status write, so N requests cannot take less
    // than N x 2 / R on this API server (R measured in this run, the higher of the two clients).
    double limit = n * 2.0 / baseline;
    report.add(Figure.of(scenario, "physical limit N x 2 / R", limit, "s"));
    double efficiency = readyAt.size() < n ? 0 : limit / total;
    report.add(n >= 1000 ? Figure.atLeast(scenario, "efficiency: limit / first apply to all Ready", efficiency,
        "ratio", 0.6) : Figure.of(scenario, "efficiency: limit / first apply to all Ready", efficiency, "ratio"));
    Map<String, Double> after = ApiServerMetrics.writes(client);
    Map<String, Double> delta = ApiServerMetrics.delta(before, after);
    double operatorWrites = delta.entrySet().stream().filter(e -> !e.getKey().equals("caches")
        && !e.getKey().equals("events")).mapToDouble(Map.Entry::getValue).sum();
    report.add(Figure.atMost(scenario, "operator API writes per request", operatorWrites / n, "writes", 2));
    double requestReconciles = op.metric("tarmac_request_reconciles_total") - requestReconcilesBefore;
    double otherReconciles = op.metric("operator_sdk_reconciliations_started_total") - allReconcilesBefore;
    report.add(Figure.atMost(scenario, "reconciles of the request per request", requestReconciles / n, "reconciles",
        20));
    report.add(Figure.of(scenario, "all reconciles per request (request, Work, store, Promise)",
        (requestReconciles + otherReconciles) / n, "reconciles"));
    report.note(scenario + " reconciles by controller: " + ApiServerMetrics.delta(byControllerBefore,
        op.series("operator_sdk_reconciliations_started_total")));
    report.note(scenario + " writes by resource: " + delta);
    // A read costs the API server about as much as a small write; the operator reads from its informers, so these
    // should be few (the harness lists once, for its watch, and reads its metrics).
    Map<String, Double> reads = ApiServerMetrics.delta(readsBefore, ApiServerMetrics.reads(client));
    report.add(Figure.of(scenario, "API reads (GET, LIST) per request, all clients", reads.values().stream()
        .mapToDouble(Double::doubleValue).sum() / n, "reads"));
    report.note(scenario + " reads by resource: " + reads);
    // Steady state: once the operator has reacted to the requests (the Promise counts them Ready, which it does on
    // its 30 s resync), nothing changes and nothing should be written.
    long settle = System.nanoTime() + Duration.ofSeconds(45).toNanos();
    while (System.nanoTime() < settle) {
      JsonNode counts = Serialization.JSON.valueToTree(client.genericKubernetesResources(
          "platform.tarmac.dev/v1alpha1", "Promise").withName("bench-cache").get()).path("status").path("requests");
      int counted = counts.path("total").asInt();
      if (counted >= requestsMade && counts.path("ready").asInt() == counted) {
        break;
      }
      Thread.sleep(500);
    }
    int idle = quick ? 15 : 60;
    Map<String, Double> idleBefore = ApiServerMetrics.writes(client);
    Thread.sleep(idle * 1000L);
    Map<String, Double> idleDelta = ApiServerMetrics.delta(idleBefore, ApiServerMetrics.writes(client));
    double statusWrites = idleDelta.entrySet().stream().filter(e -> e.getKey().endsWith("/status"))
        .mapToDouble(Map.Entry::getValue).sum();
    report.add(Figure.atMost(scenario, "status writes in " + idle + " s of no change", statusWrites, "writes", 0));
    if (!idleDelta.isEmpty()) {
      report.note(scenario + " writes while nothing changed: " + idleDelta);
    }
    gitFigures(op, scenario, n);
    return total;
  }

  private void gitFigures(OperatorProcess op, String scenario, int n) throws Exception {
    // A folder of its own per call: the scale phase runs a batch of the same size as an earlier scenario.
    Path clone = Files.createTempDirectory(work, "clone-" + n + "-").resolve("store");
    Process p = new ProcessBuilder("git", "clone", "-q", "http://127.0.0.1:" + op.port() + "/git/default.git",
        clone.toString()).redirectErrorStream(true).start();
    if (p.waitFor() != 0) {
      report.note("git clone failed: " + new String(p.getInputStream().readAllBytes()));
      return;
    }
    int commits = commitCount(clone);
    long files;
    try (var walk = Files.walk(clone.resolve("default/resources/bench-" + n))) {
      files = walk.filter(Files::isRegularFile).count();
    }
    report.add(Figure.of(scenario, "Git commits in the store so far", commits, "commits"));
    // Round one's goal, kept by issue 17: the commits that carried this batch's files, per 1,000 requests.
    int batchCommits = commitCount(clone, "--", "default/resources/bench-" + n);
    // (A small batch is a handful of commits, which says nothing per 1,000: no goal below 1,000.)
    String name = "Git commits that carried this batch, per 1,000 requests";
    report.add(n >= 1000 ? Figure.atMost(scenario, name, batchCommits * 1000.0 / n, "commits", 20)
        : Figure.of(scenario, name, batchCommits * 1000.0 / n, "commits"));
    report.add(Figure.atLeast(scenario, "files present for this scenario", files, "files", n));
  }

  /** {@code git rev-list --count HEAD [args]} in {@code clone}: the commits on the branch (touching a path, with one). */
  private static int commitCount(Path clone, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("git", "rev-list", "--count", "HEAD"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(clone.toFile()).start();
    int count = Integer.parseInt(new String(p.getInputStream().readAllBytes()).trim());
    p.waitFor();
    return count;
  }

  /**
   * Records in {@code readyAt} when each object of {@code objects} is first seen Ready. Ready times come from a watch,
   * so measuring does not load the API server the way polling lists would.
   */
  private static io.fabric8.kubernetes.client.informers.SharedIndexInformer<GenericKubernetesResource> watchReady(
      io.fabric8.kubernetes.client.dsl.Informable<GenericKubernetesResource> objects, Map<String, Long> readyAt) {
    return objects.inform(new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource r) {
        seen(r);
      }

      @Override
      public void onUpdate(GenericKubernetesResource o, GenericKubernetesResource r) {
        seen(r);
      }

      @Override
      public void onDelete(GenericKubernetesResource r, boolean unknown) {
      }

      private void seen(GenericKubernetesResource r) {
        if (ready(Serialization.JSON.valueToTree(r))) {
          readyAt.putIfAbsent(r.getMetadata().getName(), System.nanoTime());
        }
      }
    }, 0);
  }

  /**
   * N Databases on the shipped {@code postgresql-in-cluster} Composition: time from apply to {@code Ready}. No kubelet
   * or StatefulSet controller runs here, so the harness plays their part, visibly: every composed StatefulSet gets
   * {@code status.readyReplicas: 1} patched by the harness as soon as it appears (the figure names it).
   */
  private void databases(OperatorProcess op, int n) throws Exception {
    String scenario = "databases N=" + n;
    String ns = "bench-databases";
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .serverSideApply();
    client.load(Files.newInputStream(repo.resolve("compositions/postgresql-in-cluster.yaml"))).serverSideApply();
    java.util.concurrent.atomic.AtomicInteger faked = new java.util.concurrent.atomic.AtomicInteger();
    ExecutorService kubelet = Executors.newFixedThreadPool(4);
    var statefulSets = client.apps().statefulSets().inNamespace(ns).inform(
        new io.fabric8.kubernetes.client.informers.ResourceEventHandler<StatefulSet>() {
          @Override
          public void onAdd(StatefulSet s) {
            markReady(s);
          }

          @Override
          public void onUpdate(StatefulSet o,
              StatefulSet s) {
            markReady(s);
          }

          @Override
          public void onDelete(StatefulSet s, boolean unknown) {
          }

          private void markReady(StatefulSet s) {
            if (s.getStatus() != null && Integer.valueOf(1).equals(s.getStatus().getReadyReplicas())) {
              return;
            }
            kubelet.submit(() -> {
              client.apps().statefulSets().inNamespace(ns).withName(s.getMetadata().getName()).subresource("status")
                  .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                      io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                      "{\"status\":{\"replicas\":1,\"readyReplicas\":1,\"currentReplicas\":1}}");
              faked.incrementAndGet();
            });
          }
        }, 0);
    Map<String, Long> created = new ConcurrentHashMap<>();
    Map<String, Long> readyAt = new ConcurrentHashMap<>();
    var databases = watchReady(client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Database")
        .inNamespace(ns), readyAt);
    ExecutorService pool = Executors.newFixedThreadPool(Bench.CONCURRENCY);
    long start = System.nanoTime();
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = "db-" + i;
      futures.add(pool.submit(() -> {
        GenericKubernetesResource db = new GenericKubernetesResource();
        db.setApiVersion("platform.tarmac.dev/v1alpha1");
        db.setKind("Database");
        db.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(ns)
            .build());
        db.setAdditionalProperty("spec", Map.of("engine", "postgresql", "version", "16", "storageGB", 10,
            "backupRetentionDays", 7, "compositionRef", Map.of("name", "postgresql-in-cluster"),
            "writeConnectionSecretToRef", Map.of("name", name + "-credentials")));
        created.put(name, System.nanoTime());
        client.resource(db).create();
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    long deadline = System.nanoTime() + Duration.ofSeconds(quick ? 120 : 240).toNanos();
    while (readyAt.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    databases.close();
    statefulSets.close();
    kubelet.shutdown();
    List<Double> latencies = new ArrayList<>();
    readyAt.forEach((name, t) -> latencies.add((t - created.get(name)) / 1e9));
    double lastReady = readyAt.values().stream().mapToLong(Long::longValue).max().orElse(System.nanoTime());
    Stats stats = new Stats(latencies);
    report.add(Figure.atLeast(scenario, "Databases Ready (StatefulSet readiness faked by the harness)",
        readyAt.size(), "claims", n));
    report.add(Figure.of(scenario, "apply to Ready p50", stats.percentile(50), "s"));
    report.add(Figure.of(scenario, "apply to Ready p99", stats.percentile(99), "s"));
    report.add(Figure.of(scenario, "apply to Ready max", stats.max(), "s"));
    report.add(Figure.of(scenario, "first apply to all Ready (total)", (lastReady - start) / 1e9, "s"));
    report.add(Figure.of(scenario, "StatefulSet status patches made by the harness (as a kubelet would)",
        faked.get(), "patches"));
    int secrets = 0;
    for (int i = 0; i < n; i++) {
      if (client.secrets().inNamespace(ns).withName("db-" + i + "-credentials").get() != null) {
        secrets++;
      }
    }
    report.add(Figure.atLeast(scenario, "connection Secrets written", secrets, "secrets", n));
  }

  /** The Backstage kinds the catalog scenario creates: kind → plural (group backstage.io, version v1alpha1). */
  private static final Map<String, String> BACKSTAGE_PLURALS = Map.of("Domain", "domains", "System", "systems",
      "Group", "groups", "User", "users", "API", "apis", "Resource", "resources", "Component", "components");

  /**
   * The catalog at {@code entities} objects (issue 18): 40 % Backstage descriptors of {@code backstage.io/v1alpha1}
   * (Domains, Systems, Groups with parents, Users, APIs, Resources, Components with owner, system, dependsOn,
   * providesApis and consumesApis, served as CRDs by the operator's {@code --backstage-crds}) in namespace
   * {@code bench-backstage}, the rest Tarmac Components (every tenth providing an API) in a team namespace, less the
   * requests earlier scenarios left (they are entities too). Measured over HTTP while the operator writes the new
   * Components' status and after: queries with filters and predicates, the legacy list, facets (GET, GET with a
   * filter, POST with a predicate), by-refs, ancestry; then the time from a create to the entity visible over HTTP,
   * max of 20. Goals (issue 17, figure 5): by-query p99 ≤ 3 ms settled and ≤ 10 ms busy, facets p99 ≤ 5 ms,
   * change visible ≤ 0.5 s.
   */
  private void catalog(OperatorProcess op, int entities) throws Exception {
    String scenario = "catalog " + entities;
    String ns = "bench-catalog";
    String bs = "bench-backstage";
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns)
        .addToLabels("platform.tarmac.dev/team", "team-bench").endMetadata().build()).serverSideApply();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(bs).endMetadata().build())
        .serverSideApply();
    int existing = client.genericKubernetesResources(KIND).inAnyNamespace().list().getItems().size();
    List<GenericKubernetesResource> backstage = backstageCatalog(entities * 2 / 5);
    int tarmac = Math.max(0, entities - existing - backstage.size());
    Map<String, Integer> kinds = new java.util.TreeMap<>();
    backstage.forEach(o -> kinds.merge("backstage.io " + o.getKind(), 1, Integer::sum));
    kinds.put("Tarmac Component", tarmac);
    kinds.put("Promise request (earlier scenarios)", existing);
    report.note(scenario + " objects created: " + kinds);
    ExecutorService pool = Executors.newFixedThreadPool(Bench.CONCURRENCY);
    List<Future<?>> futures = new ArrayList<>();
    Map<String, Double> writesBefore = ApiServerMetrics.writes(client);
    long createStart = System.nanoTime();
    for (GenericKubernetesResource o : backstage) {
      futures.add(pool.submit(() -> created(() -> client.genericKubernetesResources(backstageKind(o.getKind()))
          .inNamespace(bs).resource(o).create())));
    }
    for (int i = 0; i < tarmac; i++) {
      int id = i;
      futures.add(pool.submit(() -> created(() -> client.genericKubernetesResources("platform.tarmac.dev/v1alpha1",
          "Component").inNamespace(ns).resource(component("svc-" + id, id)).create())));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    report.add(Figure.of(scenario, "objects created (" + Bench.CONCURRENCY + " threads)", futures.size(), "objects"));
    report.add(Figure.of(scenario, "time to create them", (System.nanoTime() - createStart) / 1e9, "s"));
    // Wait until the catalog holds them all.
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    int total = 0;
    while (System.nanoTime() < deadline) {
      JsonNode page = Serialization.JSON.readTree(op.get("/api/catalog/entities/by-query?limit=0").body());
      total = page.path("totalItems").asInt();
      if (total >= entities) {
        break;
      }
      Thread.sleep(200);
    }
    report.add(Figure.atLeast(scenario, "entities in the catalog", total, "entities", entities));
    // The operator is still writing the new Components' status (and their Scorecard results): measure once while
    // it does, once after. The status writes made during the busy measurement are counted.
    Map<String, Double> busyBefore = ApiServerMetrics.writes(client);
    measureQueries(op, scenario + " (busy)", false);
    double busyStatusWrites = statusWrites(ApiServerMetrics.delta(busyBefore, ApiServerMetrics.writes(client)));
    report.add(Figure.of(scenario + " (busy)", "status writes by the operator during these queries",
        busyStatusWrites, "writes"));
    Map<String, Double> last = ApiServerMetrics.awaitQuiet(client, Duration.ofSeconds(240), 3);
    report.add(Figure.of(scenario, "status writes from the first create until settled",
        statusWrites(ApiServerMetrics.delta(writesBefore, last)), "writes"));
    measureQueries(op, scenario, true);
    List<Double> visible = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String name = "probe-" + i;
      boolean tarmacKind = i % 2 == 0;
      long t = System.nanoTime();
      if (tarmacKind) {
        client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Component").inNamespace(ns)
            .resource(component(name, i)).create();
      } else {
        client.genericKubernetesResources(backstageKind("Component")).inNamespace(bs)
            .resource(backstageObject("Component", name, Map.of("type", "service", "lifecycle", "production",
                "owner", "team-" + i, "system", "system-" + i))).create();
      }
      String path = "/api/catalog/entities/by-name/component/" + (tarmacKind ? ns : bs) + "/" + name;
      while (op.get(path).statusCode() != 200) {
        Thread.sleep(5);
        if (System.nanoTime() - t > 10e9) {
          break;
        }
      }
      visible.add((System.nanoTime() - t) / 1e9);
      Thread.sleep(250); // changes one by one, as a user makes them, not a burst
    }
    Stats v = new Stats(visible);
    report.add(Figure.of(scenario, "change to visible over HTTP p50 (of 20)", v.percentile(50), "s"));
    report.add(Figure.atMost(scenario, "change to visible over HTTP (max of 20)", v.max(), "s", 0.5));
    double heap = op.metric("jvm_memory_used_bytes") / (1024 * 1024);
    report.add(Figure.of(scenario, "operator JVM memory used (all pools)", heap, "MiB"));
  }

  /**
   * Runs a create; a 409 AlreadyExists counts as created (fabric8 retries a create whose answer timed out on a
   * loaded API server, and the first attempt may have succeeded).
   */
  private static Object created(java.util.concurrent.Callable<?> create) throws Exception {
    try {
      return create.call();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() == 409) {
        return null;
      }
      throw e;
    }
  }

  private static double statusWrites(Map<String, Double> delta) {
    return delta.entrySet().stream().filter(e -> e.getKey().endsWith("/status")).mapToDouble(Map.Entry::getValue)
        .sum();
  }

  private static ResourceDefinitionContext backstageKind(String kind) {
    return new ResourceDefinitionContext.Builder().withGroup("backstage.io").withVersion("v1alpha1").withKind(kind)
        .withPlural(BACKSTAGE_PLURALS.get(kind)).withNamespaced(true).build();
  }

  private static GenericKubernetesResource backstageObject(String kind, String name, Map<String, Object> spec) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion("backstage.io/v1alpha1");
    r.setKind(kind);
    r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(
        "bench-backstage").build());
    r.setAdditionalProperty("spec", spec);
    return r;
  }

  /**
   * {@code n} Backstage descriptors with the shape of a real organisation's catalog: per 1,000, 3 Domains,
   * 25 Systems, 25 Groups (a tree: each Group's parent is the Group of a tenth its number), 125 Users (member of one
   * Group), 200 APIs, 122 Resources and 500 Components (owner, system, dependsOn a Resource and a Component,
   * providesApis, consumesApis), references written as Backstage users write them (kind and namespace left out
   * where the field has a default).
   */
  static List<GenericKubernetesResource> backstageCatalog(int n) {
    int domains = Math.max(1, n * 3 / 1000);
    int systems = Math.max(1, n * 25 / 1000);
    int groups = Math.max(1, n * 25 / 1000);
    int users = n * 125 / 1000;
    int apis = Math.max(1, n * 200 / 1000);
    int resources = Math.max(1, n * 122 / 1000);
    int components = Math.max(0, n - domains - systems - groups - users - apis - resources);
    List<GenericKubernetesResource> out = new ArrayList<>();
    for (int i = 0; i < domains; i++) {
      out.add(backstageObject("Domain", "domain-" + i, Map.of("owner", "team-" + i % groups)));
    }
    for (int i = 0; i < systems; i++) {
      out.add(backstageObject("System", "system-" + i, Map.of("owner", "team-" + i % groups, "domain",
          "domain-" + i % domains)));
    }
    for (int i = 0; i < groups; i++) {
      Map<String, Object> spec = new HashMap<>(Map.of("type", "team", "children", List.of()));
      if (i > 0) {
        spec.put("parent", "team-" + i / 10);
      }
      out.add(backstageObject("Group", "team-" + i, spec));
    }
    for (int i = 0; i < users; i++) {
      out.add(backstageObject("User", "user-" + i, Map.of("memberOf", List.of("team-" + i % groups))));
    }
    for (int i = 0; i < apis; i++) {
      out.add(backstageObject("API", "api-" + i, Map.of("type", i % 4 == 0 ? "grpc" : "openapi", "lifecycle",
          i % 3 == 0 ? "experimental" : "production", "owner", "team-" + i % groups, "system", "system-" + i % systems,
          "definition", "openapi: 3.0.0")));
    }
    for (int i = 0; i < resources; i++) {
      out.add(backstageObject("Resource", "db-" + i, Map.of("type", i % 2 == 0 ? "database" : "s3-bucket", "owner",
          "team-" + i % groups, "system", "system-" + i % systems)));
    }
    for (int i = 0; i < components; i++) {
      out.add(backstageObject("Component", "service-" + i, Map.of("type", i % 5 == 0 ? "website" : "service",
          "lifecycle", i % 3 == 0 ? "experimental" : "production", "owner", "team-" + i % groups,
          "system", "system-" + i % systems, "dependsOn", List.of("resource:db-" + i % resources,
              "component:service-" + (i + 1) % components),
          "providesApis", List.of("api-" + i % apis), "consumesApis", List.of("api-" + (i * 7 + 3) % apis))));
    }
    return out;
  }

  private void measureQueries(OperatorProcess op, String scenario, boolean goals) throws Exception {
    String filter = "/api/catalog/entities/by-query?limit=20&filter="
        + URLEncoder.encode("kind=component,spec.lifecycle=production", StandardCharsets.UTF_8);
    // Backstage's client: queryEntities with a predicate ($all, $any, $in, $not, $exists), ordered, one page.
    String predicate = """
        {"query": {"$all": [{"kind": {"$in": ["component", "api"]}},
          {"$any": [{"relations.ownedBy": "group:bench-backstage/team-3"}, {"spec.lifecycle": "production"}]},
          {"$not": {"spec.type": "website"}}, {"spec.system": {"$exists": true}}]},
         "orderBy": [{"field": "metadata.name", "order": "asc"}], "limit": 20}""";
    String list = "/api/catalog/entities?limit=50&fields=kind,metadata.name,spec.type&filter="
        + URLEncoder.encode("kind=api,spec.type=openapi", StandardCharsets.UTF_8);
    String facetsAll = "/api/catalog/entity-facets?facet=kind&facet=spec.type&facet=spec.lifecycle";
    String facetsFiltered = "/api/catalog/entity-facets?facet=spec.type&facet=relations.ownedBy&filter="
        + URLEncoder.encode("kind=component", StandardCharsets.UTF_8);
    String facetsPredicate = """
        {"facets": ["kind", "spec.type", "relations.ownedBy"],
         "query": {"kind": {"$in": ["component", "api", "resource"]}}}""";
    StringBuilder refs = new StringBuilder("{\"fields\": [\"kind\", \"metadata.name\", \"relations\"], \"entityRefs\": [");
    for (int i = 0; i < 20; i++) {
      refs.append(i == 0 ? "" : ", ").append(i % 2 == 0 ? "\"component:bench-catalog/svc-" + i * 37 + "\""
          : "\"component:bench-backstage/service-" + i * 13 + "\"");
    }
    String byRefs = refs.append("]}").toString();
    String ancestry = "/api/catalog/entities/by-name/api/default/svc-10-api/ancestry";
    // Method (docs/benchmarks.md, "Tail of the catalog's queries"): the eight calls in turn, sequentially on one
    // kept-alive connection; CATALOG_WARM_UP rounds first, until the JIT has compiled the paths, then up to ROUNDS
    // measured rounds (bounded in time while busy: the operator's writes end). Each sample keeps the client's time, the
    // server's (its Server-Timing header) and whether a collection of the operator or of this JVM fell in it.
    int warmUp = goals ? CATALOG_WARM_UP : CATALOG_WARM_UP / 5;
    long until = System.nanoTime() + (goals ? Duration.ofMinutes(5) : BUSY_BOUND).toNanos();
    Map<String, List<Sample>> times = new java.util.LinkedHashMap<>();
    PlainHttpClient plain = new PlainHttpClient(op.port());
    for (int i = 0; i < warmUp + ROUNDS && (i < warmUp + OLD_ROUNDS || System.nanoTime() < until); i++) {
      time(times, "by-query with filter (GET)", () -> op.get(filter));
      time(times, "by-query with predicate (POST, ordered)", () -> op.post("/api/catalog/entities/by-query",
          predicate));
      time(times, "GET /entities with filter, limit 50", () -> op.get(list));
      time(times, "facets (GET, 3 facets)", () -> op.get(facetsAll));
      time(times, "facets with filter (GET)", () -> op.get(facetsFiltered));
      time(times, "facets over a $in predicate (POST)", () -> op.post("/api/catalog/entity-facets",
          facetsPredicate));
      time(times, "by-refs, 20 refs with fields (POST)", () -> op.post("/api/catalog/entities/by-refs", byRefs));
      time(times, "ancestry of a derived API", () -> op.get(ancestry));
      timePlain(times, "plain socket client: by-query with filter (GET)", plain, filter);
      timePlain(times, "plain socket client: ancestry of a derived API", plain, ancestry);
    }
    plain.close();
    for (Map.Entry<String, List<Sample>> t : times.entrySet()) {
      List<Sample> all = t.getValue();
      List<Sample> measured = all.subList(Math.min(warmUp, all.size()), all.size());
      String name = t.getKey();
      double goal = name.startsWith("by-query") ? (goals ? 3 : 10) : name.startsWith("facets") && goals ? 5 : -1;
      Stats client = new Stats(measured.stream().mapToDouble(Sample::clientMs).toArray());
      Stats server = new Stats(measured.stream().filter(x -> x.serverMs() >= 0).mapToDouble(Sample::serverMs)
          .toArray());
      Stats rest = new Stats(measured.stream().filter(x -> x.serverMs() >= 0)
          .mapToDouble(x -> x.clientMs() - x.serverMs()).toArray());
      Stats untouched = new Stats(measured.stream().filter(x -> x.operatorGcs() == 0 && x.clientGcs() == 0)
          .mapToDouble(Sample::clientMs).toArray());
      // The method before 2026-12-03: 300 rounds from the phase's start, the first 50 not counted.
      Stats old = new Stats(all.subList(Math.min(OLD_WARM_UP, all.size()), Math.min(OLD_ROUNDS, all.size())).stream()
          .mapToDouble(Sample::clientMs).toArray());
      report.add(Figure.of(scenario, name + " p50 (HTTP)", client.percentile(50), "ms"));
      report.add(goal > 0 ? Figure.atMost(scenario, name + " p99 (HTTP)", client.percentile(99), "ms", goal)
          : Figure.of(scenario, name + " p99 (HTTP)", client.percentile(99), "ms"));
      report.add(Figure.of(scenario, name + " samples after " + warmUp + " warm-up", client.count(), "requests"));
      report.add(Figure.of(scenario, name + " p99 (HTTP), old method: 250 after 50", old.percentile(99), "ms"));
      report.add(Figure.of(scenario, name + " server p50 (Server-Timing app)", server.percentile(50), "ms"));
      report.add(Figure.of(scenario, name + " server p99 (Server-Timing app)", server.percentile(99), "ms"));
      report.add(Figure.of(scenario, name + " client - server p99 (Jetty, network, client)", rest.percentile(99),
          "ms"));
      report.add(Figure.of(scenario, name + " Jetty p99 (headers parsed to servlet, Server-Timing jetty)",
          new Stats(measured.stream().filter(x -> x.jettyMs() >= 0).mapToDouble(Sample::jettyMs).toArray())
              .percentile(99), "ms"));
      report.add(Figure.of(scenario, name + " requests an operator collection fell in",
          measured.stream().filter(x -> x.operatorGcs() > 0).count(), "requests"));
      report.add(Figure.of(scenario, name + " requests a bench-JVM collection fell in",
          measured.stream().filter(x -> x.clientGcs() > 0).count(), "requests"));
      report.add(Figure.of(scenario, name + " p99 (HTTP) of requests no collection fell in", untouched.percentile(99),
          "ms"));
    }
  }

  /** Rounds of the eight catalog calls before measuring (settled; a fifth of it while busy). */
  private static final int CATALOG_WARM_UP = 500;
  /** Measured rounds at most: each call this many times. */
  private static final int ROUNDS = 2000;
  /** The measured rounds while busy end after this (the operator's status writes end within about a minute). */
  private static final Duration BUSY_BOUND = Duration.ofSeconds(60);
  private static final int OLD_ROUNDS = 300;
  private static final int OLD_WARM_UP = 50;
  private static final List<java.lang.management.GarbageCollectorMXBean> COLLECTORS =
      java.lang.management.ManagementFactory.getGarbageCollectorMXBeans();

  /**
   * One request: the client's time (ms), the server's from its {@code Server-Timing: app;dur=} (-1 when absent), the
   * operator's collections during the server's time ({@code gc;desc=}) and this JVM's during the request.
   */
  private record Sample(double clientMs, double serverMs, long operatorGcs, long clientGcs, double jettyMs) {
  }

  private interface Call {
    java.net.http.HttpResponse<String> run() throws Exception;
  }

  private static long collections() {
    long n = 0;
    for (java.lang.management.GarbageCollectorMXBean c : COLLECTORS) {
      n += Math.max(0, c.getCollectionCount());
    }
    return n;
  }

  private static void time(Map<String, List<Sample>> times, String name, Call call) throws Exception {
    long gcs = collections();
    long t = System.nanoTime();
    var response = call.run();
    double ms = (System.nanoTime() - t) / 1e6;
    long clientGcs = collections() - gcs;
    if (response.statusCode() != 200) {
      throw new IllegalStateException(name + " answered " + response.statusCode() + ": " + response.body());
    }
    times.computeIfAbsent(name, k -> new ArrayList<>()).add(sample(ms, clientGcs,
        response.headers().firstValue("Server-Timing").orElse("")));
  }

  /** As {@link #time}, a GET through {@code plain} (one socket, no threads between the call and the answer). */
  private static void timePlain(Map<String, List<Sample>> times, String name, PlainHttpClient plain, String path)
      throws Exception {
    long gcs = collections();
    long t = System.nanoTime();
    PlainHttpClient.Answer answer = plain.get(path);
    double ms = (System.nanoTime() - t) / 1e6;
    long clientGcs = collections() - gcs;
    if (answer.status() != 200) {
      throw new IllegalStateException(name + " answered " + answer.status());
    }
    times.computeIfAbsent(name, k -> new ArrayList<>()).add(sample(ms, clientGcs, answer.serverTiming()));
  }

  private static Sample sample(double ms, long clientGcs, String timing) {
    double serverMs = -1;
    long operatorGcs = 0;
    java.util.regex.Matcher app = SERVER_APP.matcher(timing);
    if (app.find()) {
      serverMs = Double.parseDouble(app.group(1));
    }
    java.util.regex.Matcher gc = SERVER_GC.matcher(timing);
    if (gc.find()) {
      operatorGcs = Long.parseLong(gc.group(1));
    }
    java.util.regex.Matcher jetty = SERVER_JETTY.matcher(timing);
    return new Sample(ms, serverMs, operatorGcs, clientGcs, jetty.find() ? Double.parseDouble(jetty.group(1)) : -1);
  }

  private static final java.util.regex.Pattern SERVER_APP = java.util.regex.Pattern.compile("app;dur=([0-9.]+)");
  private static final java.util.regex.Pattern SERVER_JETTY = java.util.regex.Pattern.compile("jetty;dur=([0-9.]+)");
  private static final java.util.regex.Pattern SERVER_GC =
      java.util.regex.Pattern.compile("gc;dur=[0-9]+;desc=([0-9]+)");

  private static GenericKubernetesResource component(String name, int i) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion("platform.tarmac.dev/v1alpha1");
    r.setKind("Component");
    r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace("bench-catalog")
        .addToAnnotations("backstage.io/techdocs-ref", "dir:.").build());
    Map<String, Object> spec = new HashMap<>(Map.of("type", i % 3 == 0 ? "website" : "service",
        "lifecycle", i % 2 == 0 ? "production" : "experimental", "owner", "team-" + (i % 20),
        "system", "system-" + (i % 10)));
    if (i % 10 == 0) {
      spec.put("providesApis", List.of(name + "-api"));
    }
    r.setAdditionalProperty("spec", spec);
    return r;
  }
}
