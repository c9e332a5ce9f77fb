package dev.tarmac.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The scenarios of {@code make bench}, each bounded in count and time. */
final class Scenarios {

  private final KubernetesClient client;
  private final Report report;
  private final Path repo;
  private final Path work;
  private final Path kubeconfig;
  private final boolean quick;
  private double baseline;

  Scenarios(KubernetesClient client, Report report, Path repo, Path work, Path kubeconfig, boolean quick) {
    this.client = client;
    this.report = report;
    this.repo = repo;
    this.work = work;
    this.kubeconfig = kubeconfig;
    this.quick = quick;
  }

  void runAll() throws Exception {
    int n = quick ? 300 : 1000;
    baseline = Bench.baselineWritesPerSecond(client, n);
    report.add(Figure.of("baseline", "raw API server writes/s (" + n + " ConfigMaps, " + Bench.CONCURRENCY
        + " threads)", baseline, "writes/s"));

    Path jar = repo.resolve("operator/target/tarmac.jar");
    try (OperatorProcess op = new OperatorProcess(jar, kubeconfig, Files.createDirectories(work.resolve("data")),
        work.resolve("operator.log"), List.of())) {
      double ready = op.awaitReady(Duration.ofSeconds(60));
      report.add(Figure.atMost("start-up", "process start to /readyz (empty cluster)", ready, "s", 5));
      report.add(Figure.atMost("start-up", "operator RSS after start", op.rssMiB(), "MiB", 512));
    }
  }
}
