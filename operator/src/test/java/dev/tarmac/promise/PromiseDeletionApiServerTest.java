package dev.tarmac.promise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deleting a Promise on a real API server: its {@code workflows.promise.delete} Pipelines run after its requests are
 * gone, and the skip annotation lets a Promise whose requests' delete pipelines never finish go, requests included.
 * No kubelet runs here: the test plays the Job controller's part, visibly.
 */
@Tag("apiserver")
class PromiseDeletionApiServerTest {

  @TempDir
  Path tmp;

  static String promise(String name, String group) {
    return """
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Promise
        metadata: {name: %1$s}
        spec:
          api:
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: buckets.%2$s}
            spec:
              group: %2$s
              names: {kind: Bucket, plural: buckets, singular: bucket}
              scope: Namespaced
              versions:
                - name: v1
                  served: true
                  storage: true
                  schema:
                    openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
          workflows:
            promise:
              delete:
                - apiVersion: platform.kratix.io/v1alpha1
                  kind: Pipeline
                  metadata: {name: teardown}
                  spec:
                    containers: [{name: teardown, image: example.org/teardown:v1}]
            resource:
              delete:
                - apiVersion: platform.kratix.io/v1alpha1
                  kind: Pipeline
                  metadata: {name: empty-bucket}
                  spec:
                    containers: [{name: empty, image: example.org/empty-bucket:v1}]
        """.formatted(name, group);
  }

  @Test
  void promiseDeletePipelinesRunLastAndTheSkipAnnotationReleasesStuckRequests() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String opNs = TestCluster.get().newNamespace("pdel");
    String ns = TestCluster.get().newNamespace("pdel-req");
    String group = opNs + ".example.dev";
    try (TarmacOperator op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, opNs,
        "test", tmp.resolve("data"), false, 4, false, "tarmac:test")).start()) {
      // 1. No requests: deleting the Promise runs workflows.promise.delete, and the Promise waits for it.
      String first = "teardown-" + opNs;
      client.load(new ByteArrayInputStream(promise(first, "a." + group).getBytes(StandardCharsets.UTF_8)))
          .serverSideApply();
      await().atMost(Duration.ofSeconds(30)).until(() -> Conditions.isTrue(
          client.resources(Promise.class).withName(first).get().getStatus(), Conditions.READY));
      client.resources(Promise.class).withName(first).delete();
      Job teardown = await().atMost(Duration.ofSeconds(30)).until(() -> client.batch().v1().jobs().inNamespace(opNs)
          .withLabel(Labels.PIPELINE, "teardown").list().getItems(), l -> !l.isEmpty()).get(0);
      assertThat(teardown.getSpec().getTemplate().getSpec().getInitContainers()).extracting(c -> c.getImage())
          .contains("example.org/teardown:v1");
      Promise deleting = client.resources(Promise.class).withName(first).get();
      assertThat(deleting).as("the Promise stays while its delete pipeline runs").isNotNull();
      await().atMost(Duration.ofSeconds(10)).until(() -> Conditions.find(client.resources(Promise.class)
          .withName(first).get().getStatus().conditions, Conditions.READY).map(c -> c.getReason()).orElse(""),
          "Deleting"::equals);
      // Play the Job controller: the teardown pod succeeded.
      teardown.setStatus(new JobStatusBuilder().withSucceeded(1).withConditions(new JobConditionBuilder()
          .withType("Complete").withStatus("True").build()).build());
      client.resource(teardown).updateStatus();
      await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Promise.class).withName(first).get()
          == null);

      // 2. A request whose delete pipeline never finishes: the skip annotation lets the Promise and it go.
      String second = "stuck-" + opNs;
      client.load(new ByteArrayInputStream(promise(second, "b." + group).getBytes(StandardCharsets.UTF_8)))
          .serverSideApply();
      await().atMost(Duration.ofSeconds(30)).until(() -> Conditions.isTrue(
          client.resources(Promise.class).withName(second).get().getStatus(), Conditions.READY));
      var buckets = client.genericKubernetesResources("b." + group + "/v1", "Bucket").inNamespace(ns);
      buckets.resource(Serialization.YAML.readValue("""
          apiVersion: b.%s/v1
          kind: Bucket
          metadata: {name: logs, namespace: %s}
          spec: {size: small}
          """.formatted(group, ns), GenericKubernetesResource.class)).create();
      await().atMost(Duration.ofSeconds(30)).until(() -> buckets.withName("logs").get().getMetadata()
          .getFinalizers(), f -> f != null && f.contains(Labels.REQUEST_FINALIZER));
      client.resources(Promise.class).withName(second).delete();
      // The request's delete pipeline starts and, with no kubelet, never finishes.
      await().atMost(Duration.ofSeconds(30)).until(() -> client.batch().v1().jobs().inNamespace(ns)
          .withLabel(Labels.PIPELINE, "empty-bucket").list().getItems(), l -> !l.isEmpty());
      assertThat(buckets.withName("logs").get()).isNotNull();
      client.resources(Promise.class).withName(second).edit(p -> {
        p.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(Labels.SKIP_DELETE_PIPELINES,
            "true")));
        return p;
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> buckets.withName("logs").get() == null);
      await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Promise.class).withName(second).get()
          == null);
      assertThat(client.batch().v1().jobs().inNamespace(opNs).withLabel(Labels.PIPELINE, "teardown").list()
          .getItems()).as("the skip annotation skips the Promise's own delete pipelines too").hasSize(1);
    } finally {
      // Whatever this test leaves behind must not hold later tests up.
      for (String p : List.of("teardown-" + opNs, "stuck-" + opNs)) {
        if (client.resources(Promise.class).withName(p).get() != null) {
          client.resources(Promise.class).withName(p).edit(x -> {
            x.getMetadata().setFinalizers(List.of());
            return x;
          });
        }
      }
    }
  }
}
