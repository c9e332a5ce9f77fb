package dev.tarmac.bench;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The project's local control plane ({@code hack/cluster.sh}: etcd, kube-apiserver and kube-controller-manager on
 * 127.0.0.1, data under one folder) driven from Java, so that the fault suite can stop it and start it again on the
 * same data, ports, certificates and token ({@code hack/cluster.sh restart}): clients made from {@link #kubeconfig()}
 * before a restart keep working after it. With an audit policy, the API server writes {@code audit.log} (JSON lines)
 * into the folder, appended across restarts.
 */
final class ControlPlane implements AutoCloseable {

  private final Path script;
  private final Path dir;
  private final Path auditPolicy;
  private Path kubeconfig;

  /**
   * @param repo the project's root (where {@code hack/cluster.sh} is)
   * @param dir the folder for etcd's data, certificates, logs and the kubeconfig
   * @param auditPolicy an audit policy file, or null for no audit log
   */
  ControlPlane(Path repo, Path dir, Path auditPolicy) {
    this.script = repo.resolve("hack/cluster.sh");
    this.dir = dir;
    this.auditPolicy = auditPolicy;
  }

  /** Starts it (fresh ports and credentials); returns the seconds it took until {@code /readyz} answered. */
  double start() throws IOException, InterruptedException {
    long t = System.nanoTime();
    kubeconfig = Path.of(run("start").trim());
    return (System.nanoTime() - t) / 1e9;
  }

  /** Stops etcd, the API server and the controller manager (SIGTERM, then SIGKILL after 5 s). */
  void stop() throws IOException, InterruptedException {
    run("stop");
  }

  /**
   * Starts it again after {@link #stop()}, on the same data, ports and token; returns the seconds until {@code /readyz}
   * answered.
   */
  double restart() throws IOException, InterruptedException {
    long t = System.nanoTime();
    run("restart");
    return (System.nanoTime() - t) / 1e9;
  }

  Path kubeconfig() {
    return kubeconfig;
  }

  /** The audit log (may not exist yet). */
  Path auditLog() {
    return dir.resolve("audit.log");
  }

  /**
   * A new admin client (the caller closes it), with a 60 s request timeout: a list of 1,000 Works on 2 shared cores
   * under a burst can take longer than fabric8's default 10 s.
   */
  KubernetesClient newClient() throws IOException {
    Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
    config.setRequestTimeout(60_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private String run(String command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), command, dir.toString())
        .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("cluster-sh.log").toFile()));
    Files.createDirectories(dir);
    if (auditPolicy != null) {
      pb.environment().put("TARMAC_AUDIT_POLICY", auditPolicy.toString());
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("hack/cluster.sh " + command + " failed; see " + dir.resolve("cluster-sh.log"));
    }
    return out;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    stop();
  }
}
