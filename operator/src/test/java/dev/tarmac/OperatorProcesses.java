package dev.tarmac;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real operator processes for tests: {@code tarmac run --leader-election}, each a JVM of its own with its own data
 * directory, HTTP port and log, against the test API server, as replicas or shards of the chart run. The class path
 * is the test's own (Maven runs tests before it packages the jar: the same classes tarmac.jar holds). Each process runs
 * as a Pod ({@code POD_NAME}, {@code POD_NAMESPACE}): its identity in the Lease and the Pod it labels while it leads.
 * {@link #close()} stops every process started (SIGTERM, then SIGKILL after 15 s).
 */
final class OperatorProcesses implements AutoCloseable {

  private final Path dir;
  private final Path kubeconfig;
  private final String namespace;
  private final List<Operator> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * @param dir where kubeconfig, data directories and logs go (a test's {@code @TempDir})
   * @param kubeconfig the API server's kubeconfig (YAML)
   * @param namespace the operator's namespace ({@code --namespace}, and the Pods')
   */
  OperatorProcesses(Path dir, String kubeconfig, String namespace) throws IOException {
    this.dir = dir;
    this.kubeconfig = Files.writeString(dir.resolve("kubeconfig"), kubeconfig);
    this.namespace = namespace;
  }

  /**
   * Starts one operator.
   *
   * @param pod the Pod it runs as; also names its log ({@code <pod>.log}) and data directory ({@code <pod>-data})
   * @param jvmOptions e.g. {@code -Xmx384m}
   * @param args {@code tarmac run} options besides leader election, namespace, HTTP, data directory and state store,
   *     e.g. {@code --shard a}
   */
  Operator start(String pod, List<String> jvmOptions, String... args) throws IOException {
    Operator o = new Operator(pod, jvmOptions, List.of(args));
    started.add(o);
    return o;
  }

  /** One {@code tarmac run} process, its HTTP port, data directory and log. */
  final class Operator {
    final String pod;
    final Process process;
    final int port;
    final Path log;
    final Path data;

    private Operator(String pod, List<String> jvmOptions, List<String> args) throws IOException {
      this.pod = pod;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      log = dir.resolve(pod + ".log");
      data = Files.createDirectories(dir.resolve(pod + "-data"));
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvmOptions);
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
          "--leader-election", "--namespace", namespace, "--http-host", "127.0.0.1", "--http-port",
          String.valueOf(port), "--anonymous-read", "--data-dir", data.toString(), "--no-default-state-store"));
      cmd.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().put("KUBECONFIG", kubeconfig.toString());
      pb.environment().put("POD_NAME", pod);
      pb.environment().put("POD_NAMESPACE", namespace);
      pb.environment().remove("KUBERNETES_SERVICE_HOST");
      pb.environment().remove("TARMAC_SHARD");
      process = pb.start();
    }

    /** GET {@code path} on its HTTP port. */
    HttpResponse<String> get(String path) throws IOException, InterruptedException {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A counter or gauge of {@code /metrics} (the sum over its series). */
    double metric(String name) throws IOException, InterruptedException {
      double sum = 0;
      for (String line : get("/metrics").body().split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    }

    /**
     * {@code /readyz}; null while the process does not listen yet.
     *
     * @throws IllegalStateException when the process exited (with its log's tail)
     */
    HttpResponse<String> readyz() throws InterruptedException {
      if (!process.isAlive()) {
        throw new IllegalStateException(pod + " exited with " + process.exitValue() + ":\n" + tail());
      }
      try {
        return get("/readyz");
      } catch (IOException notYet) {
        return null;
      }
    }

    /**
     * Waits until {@code /readyz} answers 200 with {@code detail} in its body (e.g. {@code leader}).
     *
     * @throws AssertionError after {@code timeout}, with the log's tail
     */
    void awaitReady(String detail, Duration timeout) {
      try {
        await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> {
          HttpResponse<String> r = readyz();
          return r != null && r.statusCode() == 200 && r.body().contains(detail);
        });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError(pod + " did not report '" + detail + "' on /readyz within " + timeout
            + " (JVM start and informers listing are slow on a loaded machine); log:\n" + tail(), e);
      }
    }

    /** The last 40 lines of its log. */
    String tail() {
      try {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
      } catch (IOException e) {
        return "(no log: " + e.getMessage() + ")";
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Operator o : started) {
      o.process.destroy();
    }
    for (Operator o : started) {
      if (!o.process.waitFor(15, TimeUnit.SECONDS)) {
        o.process.destroyForcibly();
      }
    }
  }
}
