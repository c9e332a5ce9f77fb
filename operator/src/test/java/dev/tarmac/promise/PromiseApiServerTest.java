package dev.tarmac.promise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Promises on a real API server: generated request CRDs, dynamic controllers, built-in pipelines, Works, status. */
@Tag("apiserver")
class PromiseApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator operator;
  static String suite;

  @BeforeAll
  static void start() {
    client = TestCluster.get().client();
    suite = TestCluster.get().newNamespace("promises");
    TestStores.create(client, suite, null, Map.of("suite", suite), null);
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, suite, "test",
        tmp.resolve("data"), false, 8, false, "tarmac:test")).start();
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  static JsonNode readTree(String yaml) {
    try {
      return Serialization.YAML.readTree(yaml);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String promiseYaml(String name, String group, String kind) {
    return dev.tarmac.testing.TestPromises.templatePromise(name, group, kind, "suite", suite);
  }

  @Test
  void aBuiltInPromiseServesRequestsThatBecomeReadyAndPublished() throws Exception {
    String group = suite + ".example.dev";
    client.resource(Serialization.YAML.treeToValue(readTree(promiseYaml("cache-" + suite, group, "Cache")),
        Promise.class)).create();
    Promise promise = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Promise.class).withName("cache-" + suite).get(),
        p -> p.getStatus() != null && Conditions.isTrue(p.getStatus(), Conditions.AVAILABLE));
    assertThat(promise.getStatus().kind).isEqualTo("Cache");
    assertThat(promise.getStatus().apiVersion).isEqualTo(group + "/v1");
    var crd = client.apiextensions().v1().customResourceDefinitions().withName("caches." + group).get();
    assertThat(crd.getSpec().getVersions().get(0).getSubresources().getStatus()).isNotNull();
    assertThat(crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns()).extracting(c -> c.getName())
        .contains("READY", "REASON", "AGE");

    String ns = TestCluster.get().newNamespace("cache");
    var requests = client.genericKubernetesResources(group + "/v1", "Cache");
    GenericKubernetesResource request = Serialization.YAML.treeToValue(readTree("""
        apiVersion: %s/v1
        kind: Cache
        metadata: {name: c1, namespace: %s}
        spec: {size: large}
        """.formatted(group, ns)), GenericKubernetesResource.class);
    requests.inNamespace(ns).resource(request).create();
    GenericKubernetesResource ready = await().atMost(Duration.ofSeconds(30)).until(
        () -> requests.inNamespace(ns).withName("c1").get(),
        r -> "True".equals(condition(r, "Ready")));
    JsonNode status = Serialization.JSON.valueToTree(ready).path("status");
    assertThat(status.path("pipelines").get(0).path("phase").asText()).isEqualTo("Succeeded");
    assertThat(condition(ready, "Published")).isEqualTo("True");
    assertThat(status.path("observedGeneration").asLong()).isEqualTo(1);

    Work work = client.resources(Work.class).inNamespace(ns).withName("c1-cache-render").get();
    assertThat(work.getSpec().files).singleElement().satisfies(f -> assertThat(f.content)
        .contains("name: \"c1-cache\"").contains("size: \"large\""));
    assertThat(work.getMetadata().getLabels()).containsEntry(Labels.OWNER_NAME, "c1");
    assertThat(Conditions.isTrue(work.getStatus(), Conditions.PUBLISHED)).isTrue();

    // A spec change runs the pipeline again and publishes the new output.
    requests.inNamespace(ns).withName("c1").edit(r -> {
      ((Map<String, Object>) r.getAdditionalProperties().get("spec")).put("size", "small");
      return r;
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Work.class).inNamespace(ns)
        .withName("c1-cache-render").get().getSpec().files.get(0).content.contains("size: \"small\""));
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      var r = requests.inNamespace(ns).withName("c1").get();
      // Ready of generation 2 itself: the condition keeps the generation it was computed for, and a True left
      // from generation 1 stands until the new Work is published.
      for (JsonNode c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
        if (c.path("type").asText().equals("Ready")) {
          return c.path("status").asText().equals("True") && c.path("observedGeneration").asLong() == 2;
        }
      }
      return false;
    });

    // Steady state: nothing changes, so nothing is written.
    JsonNode settled = Serialization.JSON.valueToTree(requests.inNamespace(ns).withName("c1").get());
    Thread.sleep(1500);
    JsonNode later = Serialization.JSON.valueToTree(requests.inNamespace(ns).withName("c1").get());
    assertThat(later.path("metadata").path("resourceVersion").asText())
        .as("no write in steady state; status was %s and is %s", settled.path("status"), later.path("status"))
        .isEqualTo(settled.path("metadata").path("resourceVersion").asText());
  }

  @Test
  void anInvalidApiIsAConditionThatSaysWhatToChange() throws Exception {
    String yaml = """
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Promise
        metadata: {name: broken-%s}
        spec:
          api: {apiVersion: v1, kind: ConfigMap}
        """.formatted(suite);
    client.resource(Serialization.YAML.treeToValue(readTree(yaml), Promise.class)).create();
    Promise p = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Promise.class).withName("broken-" + suite).get(),
        x -> x.getStatus() != null && "InvalidAPI".equals(Conditions.reason(x.getStatus(), Conditions.READY)));
    assertThat(Conditions.find(p.getStatus().conditions, Conditions.AVAILABLE).orElseThrow().getMessage())
        .contains("must be an apiextensions.k8s.io/v1 CustomResourceDefinition");
  }

  static String condition(GenericKubernetesResource r, String type) {
    for (JsonNode c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path("status").asText();
      }
    }
    return null;
  }
}
