package dev.tarmac.bench;

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
import java.util.Map;

/**
 * The operator in a process of its own (so its memory is measured alone, and {@code kill -9} is real):
 * {@code java -jar operator/target/tarmac.jar run} against the benchmark's API server, HTTP on 127.0.0.1 and a free
 * port, log appended to a file.
 */
final class OperatorProcess implements AutoCloseable {

  /**
   * How to run one operator process.
   *
   * @param jar the operator's jar
   * @param kubeconfig the API server's kubeconfig
   * @param dataDir the operator's {@code --data-dir}
   * @param log the file stdout and stderr are appended to
   * @param namespace the operator's {@code --namespace} (Lease, pipeline Jobs)
   * @param pod the Pod name the process runs as ({@code POD_NAME}: its identity in the Lease and the Pod it labels
   *     while it leads), or null for none (no leader election)
   * @param extraArgs more arguments of {@code tarmac run}
   */
  record Options(Path jar, Path kubeconfig, Path dataDir, Path log, String namespace, String pod,
      List<String> extraArgs) {
  }

  private final Options options;
  private final boolean cds;
  private final Process process;
  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();
  final long startedNanos;

  OperatorProcess(Path jar, Path kubeconfig, Path dataDir, Path log, List<String> extraArgs) throws IOException {
    this(new Options(jar, kubeconfig, dataDir, log, "default", null, extraArgs));
  }

  /** As the constructor above; {@code useCds} false starts it without the AppCDS archive even when there is one. */
  OperatorProcess(Path jar, Path kubeconfig, Path dataDir, Path log, List<String> extraArgs, boolean useCds)
      throws IOException {
    this(new Options(jar, kubeconfig, dataDir, log, "default", null, extraArgs), freePort(), useCds);
  }

  /**
   * Starts the process: leader election on when {@code options.pod()} names a Pod, off otherwise.
   */
  OperatorProcess(Options options) throws IOException {
    this(options, freePort(), true);
  }

  private OperatorProcess(Options options, int port, boolean useCds) throws IOException {
    this.options = options;
    this.port = port;
    Path jar = options.jar();
    Path log = options.log();
    // TARMAC_BENCH_JAVA_OPTIONS: the operator's JVM options in place of the defaults (GC experiments).
    String javaOptions = System.getenv().getOrDefault("TARMAC_BENCH_JAVA_OPTIONS", "-XX:+UseSerialGC -Xmx1g");
    List<String> cmd = new ArrayList<>(List.of("java"));
    cmd.addAll(List.of(javaOptions.trim().split("\\s+")));
    // The AppCDS archive of `make cds` (hack/cds.sh), as bin/tarmac uses it: only when made from this jar.
    Path archive = archive(jar);
    this.cds = useCds && archive != null;
    if (cds) {
      cmd.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto", "-Xlog:cds=off"));
    }
    // TARMAC_BENCH_JFR=<folder>: record the operator with Java Flight Recorder (profile settings) for hot spots.
    String jfr = System.getenv("TARMAC_BENCH_JFR");
    if (jfr != null && !jfr.isBlank()) {
      cmd.add("-XX:StartFlightRecording=settings=profile,filename=" + Path.of(jfr).resolve(log.getFileName()
          .toString().replace(".log", ".jfr")));
    }
    cmd.addAll(List.of("-jar", jar.toString(), "run",
        "--install-crds", options.pod() == null ? "--no-leader-election" : "--leader-election",
        "--http-host", "127.0.0.1", "--anonymous-read", "--http-port", String.valueOf(port),
        "--data-dir", options.dataDir().toString(), "--namespace", options.namespace()));
    cmd.addAll(options.extraArgs());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("KUBECONFIG", options.kubeconfig().toString());
    pb.environment().remove("KUBERNETES_SERVICE_HOST");
    if (options.pod() != null) {
      pb.environment().put("POD_NAME", options.pod());
      pb.environment().put("POD_NAMESPACE", options.namespace());
    }
    startedNanos = System.nanoTime();
    process = pb.start();
  }

  /**
   * The AppCDS archive {@code tarmac.jsa} beside {@code jar} when it is newer than the jar (made from this build by
   * {@code make cds}); null otherwise.
   */
  static Path archive(Path jar) {
    Path jsa = jar.resolveSibling("tarmac.jsa");
    try {
      return Files.isRegularFile(jsa) && Files.getLastModifiedTime(jsa).compareTo(Files.getLastModifiedTime(jar)) > 0
          ? jsa : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Whether this process was started with the AppCDS archive. */
  boolean cds() {
    return cds;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A new process with the same options (a new HTTP port): a restart. */
  OperatorProcess restart() throws IOException {
    return new OperatorProcess(options);
  }

  Options options() {
    return options;
  }

  /** {@code kill -9}: SIGKILL ({@link Process#destroyForcibly()} on Linux), then waits until the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  boolean alive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** The last {@code lines} lines of the log. */
  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(options.log());
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Waits until {@code /readyz} answers 200; returns the seconds since the process started. */
  double awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the operator exited with " + process.exitValue() + ":\n" + tail(30));
      }
      try {
        if (get("/readyz").statusCode() == 200) {
          double seconds = (System.nanoTime() - startedNanos) / 1e9;
          cpuAtReady = cpuSeconds();
          return seconds;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the operator was not ready within " + timeout);
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** POSTs {@code json} ({@code Content-Type: application/json}). */
  HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  int port() {
    return port;
  }

  /** {@link #cpuSeconds()} when {@link #awaitReady} last saw {@code /readyz} answer 200; NaN before. */
  double cpuAtReady() {
    return cpuAtReady;
  }

  private double cpuAtReady = Double.NaN;

  /**
   * CPU seconds the process has used so far, user + system ({@code utime} + {@code stime} of
   * {@code /proc/<pid>/stat}, in clock ticks of 1/100 s: Linux's {@code USER_HZ} on every common architecture).
   */
  double cpuSeconds() throws IOException {
    String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3, utime 14, stime 15.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  /** Resident set size of the process in MiB, from /proc. */
  double rssMiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  /**
   * The operator's live heap in MiB: {@code jcmd <pid> GC.class_histogram} forces a full GC and sums every object
   * still reachable after it (the histogram's {@code Total} line), so the figure is the live set, not what the
   * collector happens to have left.
   *
   * @throws IllegalStateException when jcmd fails or prints no total
   */
  double liveHeapMiB() throws IOException, InterruptedException {
    String out = jcmdHistogram();
    for (String line : out.split("\n")) {
      String[] cells = line.trim().split("\\s+");
      if (cells.length == 3 && cells[0].equals("Total")) {
        return Long.parseLong(cells[2]) / (1024.0 * 1024.0);
      }
    }
    throw new IllegalStateException("jcmd GC.class_histogram printed no total: "
        + out.substring(0, Math.min(300, out.length())));
  }

  /** The {@code top} classes of the live heap (after a full GC): "class instances KiB", largest first. */
  String histogram(int top) throws IOException, InterruptedException {
    List<String> rows = new ArrayList<>();
    for (String line : jcmdHistogram().split("\n")) {
      String[] cells = line.trim().split("\\s+");
      if (cells.length >= 4 && cells[0].endsWith(":") && rows.size() < top) {
        rows.add(cells[3] + " " + cells[1] + " " + Long.parseLong(cells[2]) / 1024);
      }
    }
    return String.join("; ", rows);
  }

  private String jcmdHistogram() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jcmd", String.valueOf(process.pid()), "GC.class_histogram")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  /** Every series of metric {@code name}: its labels as printed → value. */
  Map<String, Double> series(String name) throws IOException, InterruptedException {
    Map<String, Double> out = new java.util.TreeMap<>();
    for (String line : get("/metrics").body().split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        out.put(line.substring(name.length(), line.lastIndexOf(' ')).trim(),
            Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
      }
    }
    return out;
  }

  /** A metric's value from {@code /metrics}, summed over its series; NaN when absent. */
  double metric(String name) throws IOException, InterruptedException {
    double sum = 0;
    boolean found = false;
    for (String line : get("/metrics").body().split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    return found ? sum : Double.NaN;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
