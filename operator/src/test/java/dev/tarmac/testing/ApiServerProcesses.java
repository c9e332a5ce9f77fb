package dev.tarmac.testing;

import io.fabric8.kubeapitest.Utils;
import io.fabric8.kubeapitest.cert.CertManager;
import io.fabric8.kubeapitest.kubeconfig.KubeConfig;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An etcd and a kube-apiserver run as processes this class owns, on ports chosen once (so the API server comes back
 * at the same address after {@link #stopApiServer()} and {@link #startApiServer()}), with etcd's data in a folder of
 * its own that survives an API server restart. The binaries are the ones {@code hack/kube-binaries.sh} builds; the
 * certificates are kube-api-test's ({@link CertManager}, shared with the shared {@link TestCluster}); the flags are
 * those kube-api-test starts its API server with. Logs go to {@code etcd.log} and {@code kube-apiserver.log} in the
 * data folder.
 */
final class ApiServerProcesses implements AutoCloseable {

  private final Path binaries;
  private final CertManager certs;
  private final String certDir;
  private final Path dataDir;
  private final int etcdPort = Utils.findFreePort();
  private final int etcdPeerPort = Utils.findFreePort();
  private final int apiPort = Utils.findFreePort();
  private final String kubeconfig;
  private Process etcd;
  private Process apiServer;

  /**
   * Starts etcd and the API server and waits until the API server serves the {@code default} namespace.
   *
   * @param binaries folder with {@code etcd} and {@code kube-apiserver}
   * @param certDir kube-api-test's folder (certificates)
   * @param dataDir etcd's data and the logs; created
   */
  ApiServerProcesses(Path binaries, String certDir, Path dataDir) throws IOException {
    this.binaries = binaries;
    this.certDir = certDir;
    this.dataDir = Files.createDirectories(dataDir);
    this.certs = new CertManager(certDir);
    certs.createCertificatesIfNeeded();
    this.kubeconfig = new KubeConfig(certs, null).generateKubeConfigYaml(apiPort);
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "dedicated-apiserver-stop"));
    etcd = start(List.of(binaries.resolve("etcd").toString(), "--name", "default",
        "--data-dir", dataDir.resolve("etcd-data").toString(), "--wal-dir", dataDir.resolve("etcd-wal").toString(),
        "--listen-client-urls", "http://127.0.0.1:" + etcdPort,
        "--advertise-client-urls", "http://127.0.0.1:" + etcdPort,
        "--listen-peer-urls", "http://127.0.0.1:" + etcdPeerPort,
        "--initial-advertise-peer-urls", "http://127.0.0.1:" + etcdPeerPort,
        "--initial-cluster", "default=http://127.0.0.1:" + etcdPeerPort), "etcd.log");
    startApiServer();
  }

  /** The admin kubeconfig (client certificate), valid across restarts. */
  String kubeconfig() {
    return kubeconfig;
  }

  /** The API server's port on 127.0.0.1. */
  int apiPort() {
    return apiPort;
  }

  /** Starts the API server on its port and waits (up to 60 s) until it serves the {@code default} namespace. */
  synchronized void startApiServer() {
    if (apiServer != null && apiServer.isAlive()) {
      return;
    }
    String key = certs.getAPIServerKeyPath();
    apiServer = start(List.of(binaries.resolve("kube-apiserver").toString(), "--cert-dir", certDir,
        "--secure-port", String.valueOf(apiPort), "--bind-address", "127.0.0.1",
        "--etcd-servers", "http://127.0.0.1:" + etcdPort, "--authorization-mode", "RBAC",
        "--service-account-issuer", "https://localhost", "--service-account-signing-key-file", key,
        "--service-account-key-file", key, "--disable-admission-plugins", "ServiceAccount",
        "--client-ca-file", certs.getClientCertPath(), "--service-cluster-ip-range", "10.0.0.0/24",
        "--allow-privileged"), "kube-apiserver.log");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Config quick = new ConfigBuilder(Config.fromKubeconfig(kubeconfig)).withRequestRetryBackoffLimit(0)
        .withRequestTimeout(2000).withConnectionTimeout(1000).build();
    try (KubernetesClient probe = new KubernetesClientBuilder().withConfig(quick).build()) {
      while (true) {
        try {
          if (probe.namespaces().withName("default").get() != null) {
            return;
          }
        } catch (RuntimeException e) {
          if (System.nanoTime() > deadline || !apiServer.isAlive()) {
            throw new IllegalStateException("kube-apiserver did not come up on port " + apiPort + " (see "
                + dataDir.resolve("kube-apiserver.log") + "): " + e.getMessage(), e);
          }
        }
        sleep(200);
      }
    }
  }

  /** Kills the API server (SIGKILL: requests in flight get no answer); etcd and its data stay. */
  synchronized void stopApiServer() {
    if (apiServer == null) {
      return;
    }
    apiServer.destroyForcibly();
    try {
      apiServer.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    apiServer = null;
  }

  private Process start(List<String> command, String log) {
    try {
      return new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve(log).toFile())).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Kills the API server and etcd. */
  @Override
  public synchronized void close() {
    stopApiServer();
    if (etcd != null) {
      etcd.destroyForcibly();
      try {
        etcd.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      etcd = null;
    }
  }
}
