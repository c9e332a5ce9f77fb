package dev.tarmac.bench;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code make bench}: starts a local API server (the project's binaries, 127.0.0.1), measures the raw API server's
 * write rate, starts the operator in its own process, runs each scenario bounded in count and time, and prints one
 * table plus a JSON file under {@code benchmarks/results/}. {@code QUICK=1} runs smaller counts.
 */
public final class Bench {

  static final int CONCURRENCY = 16;

  private Bench() {
  }

  /**
   * Entry point; arguments: {@code --quick}, {@code --repo DIR}, {@code --revision REV}, {@code --only LIST} (the
   * scenarios to run, comma-separated: requests, databases, catalog, start-up, scale; as
   * {@code TARMAC_BENCH_ONLY}; such a run is for profiling, not the committed figures).
   */
  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    String only = arg(args, "--only", null);
    if (only != null) {
      System.setProperty("tarmac.bench.only", only);
    }
    Path repo = Path.of(arg(args, "--repo", ".")).toAbsolutePath().normalize();
    String revision = arg(args, "--revision", "unknown");
    Report report = new Report();
    Path work = Files.createTempDirectory("tarmac-bench");
    String dir = System.getProperty("user.home") + "/.cache/tarmac";
    if (List.of("requests", "databases", "catalog", "start-up").stream().anyMatch(Scenarios::selected)) {
      onApiServer(dir, work.resolve("kubeconfig"), (client, kubeconfig) ->
          new Scenarios(client, report, repo, work, kubeconfig, quick).runAll());
    }
    if (Scenarios.selected("scale")) {
      // Linear growth on a cluster of its own: the 11,000 requests would otherwise change every later figure (the
      // catalog's entity count, start-up with the objects present).
      onApiServer(dir, work.resolve("kubeconfig-scale"), (client, kubeconfig) ->
          new Scenarios(client, report, repo, work, kubeconfig, quick).runScale());
    }
    report.print();
    // A run of some scenarios only is marked as such: the committed full figures come from runs of all of them.
    String envOnly = System.getenv("TARMAC_BENCH_ONLY");
    String prefix = (only != null || (envOnly != null && !envOnly.isBlank()) ? "partial-" : "")
        + (quick ? "quick" : "full");
    Path file = report.write(repo.resolve("benchmarks/results"), prefix, revision);
    System.out.println("figures written to " + repo.relativize(file));
  }

  /** What runs against one API server: its admin client and the kubeconfig file written for it. */
  @FunctionalInterface
  private interface OnApiServer {
    void run(KubernetesClient client, Path kubeconfig) throws Exception;
  }

  /**
   * Starts a fresh kube-apiserver + etcd (the project's 1.20.2 binaries under {@code dir}, 127.0.0.1), writes its
   * kubeconfig to {@code kubeconfig}, runs {@code body}, and stops it.
   */
  private static void onApiServer(String dir, Path kubeconfig, OnApiServer body) throws Exception {
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig().withTestDir(dir)
        .withApiServerVersion("1.20.2").withOfflineMode(true).withUpdateKubeConfig(false).build());
    long t0 = System.nanoTime();
    server.start();
    System.out.printf("kube-apiserver 1.20.2 + etcd started in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    Files.writeString(kubeconfig, server.getKubeConfigYaml());
    try (KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build()) {
      body.run(client, kubeconfig);
    } finally {
      server.stop();
    }
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  /** Creates {@code n} ConfigMaps with {@link #CONCURRENCY} threads; returns writes per second. */
  static double baselineWritesPerSecond(KubernetesClient client, int n) throws Exception {
    String ns = "bench-baseline";
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .serverSideApply();
    ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
    long start = System.nanoTime();
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int id = i;
      futures.add(pool.submit(() -> client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder()
          .withNewMetadata().withName("cm-" + id).endMetadata().addToData("k", "v" + id).build()).create()));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    return n / seconds;
  }

  static Duration bounded(boolean quick, int fullSeconds) {
    return Duration.ofSeconds(quick ? Math.max(30, fullSeconds / 3) : fullSeconds);
  }
}
