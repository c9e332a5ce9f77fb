package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tarmac.api.Composition;
import dev.tarmac.api.Conditions;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code tarmac run}'s process against a real kube-apiserver: readiness, metrics, conditions, no needless writes. */
@Tag("apiserver")
class OperatorApiServerTest {

  private final HttpClient http = HttpClient.newHttpClient();

  static TarmacOperator.Settings settings(int port, Path dataDir) {
    return new TarmacOperator.Settings("127.0.0.1", port, false, "default", "test", dataDir, false, 4, true, "tarmac:test",
        true);
  }

  private HttpResponse<String> get(TarmacOperator op, String path) throws Exception {
    var address = op.http().address();
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static Composition composition(KubernetesClient client, String name, String kind) {
    String yaml = """
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: %s}
        spec:
          compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: %s}
          resources:
            - name: config
              base: {apiVersion: v1, kind: ConfigMap, data: {a: b}}
        """.formatted(name, kind);
    return client.resources(Composition.class).load(new ByteArrayInputStream(yaml.getBytes())).item();
  }

  private static double successfulReconciles(TarmacOperator op) {
    return op.metrics().getMeters().stream()
        .filter(m -> m.getId().getName().contains("reconciliations") && m.getId().getName().contains("success"))
        .mapToDouble(m -> m.measure().iterator().next().getValue()).sum();
  }

  @Test
  void anInformerThatStopsWithAnErrorFailsHealthzWithTheCause() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    TarmacOperator op = new TarmacOperator(client, settings(0, Files.createTempDirectory("tarmac-data")));
    assertThat(op.liveness().ready()).isTrue();
    var informer = client.resources(Composition.class).runnableInformer(0);
    op.informerStopped(informer, new io.fabric8.kubernetes.client.KubernetesClientException(
        "compositions.platform.tarmac.dev is forbidden", 403, null));
    assertThat(op.liveness().ready()).isFalse();
    assertThat(op.liveness().detail()).contains("Composition").contains("forbidden");
  }

  @Test
  void installingCrdsAtStartWritesThemOnlyWhenTheyChanged() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String name = dev.tarmac.api.Crds.crdName(Composition.class);
    TarmacOperator.Settings install = new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        Files.createTempDirectory("tarmac-data"), true, 4, false, "tarmac:test", true);
    try (TarmacOperator op = new TarmacOperator(client, install).start()) {
      assertThat(client.apiextensions().v1().customResourceDefinitions().withName(name).get().getMetadata()
          .getAnnotations()).containsKey(TarmacOperator.CRD_HASH);
    }
    String version = client.apiextensions().v1().customResourceDefinitions().withName(name).get().getMetadata()
        .getResourceVersion();
    try (TarmacOperator op = new TarmacOperator(client, install).start()) {
      assertThat(client.apiextensions().v1().customResourceDefinitions().withName(name).get().getMetadata()
          .getResourceVersion()).as("an unchanged CRD is not written again").isEqualTo(version);
    }
  }

  @Test
  void becomesReadyServesMetricsAndSetsConditionsWithoutRewritingStatus() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    Path data = Files.createTempDirectory("tarmac-data");
    String name = "readiness-" + System.nanoTime();
    try (TarmacOperator op = new TarmacOperator(client, settings(0, data)).start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> get(op, "/readyz").statusCode() == 200);
      assertThat(get(op, "/healthz").statusCode()).isEqualTo(200);
      String metrics = get(op, "/metrics").body();
      assertThat(metrics).contains("jvm_memory_used_bytes").contains("process_uptime_seconds");

      client.resource(composition(client, name, "Database")).create();
      Composition ready = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Composition.class).withName(name).get(),
          c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), Conditions.READY));
      assertThat(ready.getStatus().observedGeneration).isEqualTo(1L);
      assertThat(Conditions.isTrue(ready.getStatus(), Conditions.SYNCED)).isTrue();
      assertThat(get(op, "/metrics").body()).contains("operator_sdk");
    }

    // A fresh operator reconciles every object again; nothing changed, so it must not write status.
    String versionBefore = client.resources(Composition.class).withName(name).get().getMetadata()
        .getResourceVersion();
    try (TarmacOperator op = new TarmacOperator(client, settings(0, data)).start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> successfulReconciles(op) >= 1);
      Thread.sleep(500);
      assertThat(client.resources(Composition.class).withName(name).get().getMetadata().getResourceVersion())
          .as("status written again although nothing changed").isEqualTo(versionBefore);
    }
  }

  @Test
  void anInvalidObjectGetsAConditionThatSaysWhatToChange() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String name = "invalid-" + System.nanoTime();
    try (TarmacOperator op = new TarmacOperator(client, settings(0, Files.createTempDirectory("d"))).start()) {
      Composition c = composition(client, name, "Database");
      c.getSpec().compositeTypeRef = null;
      client.resource(c).create();
      Composition seen = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Composition.class).withName(name).get(),
          x -> x.getStatus() != null && "Invalid".equals(Conditions.reason(x.getStatus(), Conditions.READY)));
      assertThat(Conditions.find(seen.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
          .contains("compositeTypeRef needs apiVersion and kind");
      await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace("default").list()
          .getItems().stream().anyMatch(e -> name.equals(e.getInvolvedObject().getName())
              && "Invalid".equals(e.getReason()) && "Warning".equals(e.getType())));
    }
  }

  @Test
  void aTakenPortIsAClearError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      TarmacOperator op = new TarmacOperator(TestCluster.get().client(),
          settings(taken.getLocalPort(), Files.createTempDirectory("d")));
      assertThatThrownBy(op::start).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("port " + taken.getLocalPort()).hasMessageContaining("is taken");
      op.close();
    }
  }

  @Test
  void anUnreachableClusterIsAClearError() {
    Config config = new ConfigBuilder().withMasterUrl("https://127.0.0.1:1").withRequestTimeout(2000)
        .withConnectionTimeout(2000).build();
    try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(config).build()) {
      TarmacOperator op = new TarmacOperator(unreachable, settings(0, Path.of("/tmp")));
      assertThatThrownBy(op::start).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot reach the Kubernetes API server at https://127.0.0.1:1");
    }
  }
}
