package dev.tarmac.promise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.KratixPromise;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.pipeline.PipelineCommand;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Promise from the Kratix marketplace, applied unchanged from shared/corpus: its request kind is served, a request
 * gets a Job of the Kratix shape, and — playing the parts no kubelet plays here — running the collector on the
 * pipeline's files and marking the Job complete, as the Job controller would, makes the request Ready.
 */
@Tag("apiserver")
class KratixCompatibilityApiServerTest {

  @TempDir
  Path tmp;

  @Test
  void theMarketplaceRedisPromiseWorksAsItIs() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String operatorNs = TestCluster.get().newNamespace("kratix");
    // The marketplace Promise selects environment: dev.
    TestStores.create(client, operatorNs, null, Map.of("environment", "dev"), null);

    try (TarmacOperator op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false,
        operatorNs, "test", tmp.resolve("data"), false, 4, false, "ghcr.io/tarmac-dev/tarmac:test")).start()) {
      Path promiseFile = RepoPaths.corpus().resolve("kratix/redis-promise.yaml");
      client.load(Files.newInputStream(promiseFile)).serverSideApply();
      KratixPromise promise = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(KratixPromise.class).withName("redis").get(),
          p -> p.getStatus() != null && Conditions.isTrue(p.getStatus(), Conditions.AVAILABLE));
      assertThat(promise.getStatus().kind).isEqualTo("redis");
      assertThat(promise.getStatus().apiVersion).isEqualTo("marketplace.kratix.io/v1alpha1");

      String ns = TestCluster.get().newNamespace("redis");
      String request = Files.readString(RepoPaths.corpus().resolve("kratix/redis-request.yaml"));
      client.load(new java.io.ByteArrayInputStream(request.getBytes())).inNamespace(ns).serverSideApply();
      var requests = client.genericKubernetesResources("marketplace.kratix.io/v1alpha1", "redis").inNamespace(ns);

      Job job = await().atMost(Duration.ofSeconds(30)).until(() -> client.batch().v1().jobs().inNamespace(ns)
          .withLabel(Labels.OWNER_NAME, "example").list().getItems().stream().findFirst().orElse(null),
          j -> j != null);
      var pod = job.getSpec().getTemplate().getSpec();
      assertThat(pod.getInitContainers()).extracting(c -> c.getImage())
          .containsExactly("ghcr.io/syntasso/kratix-marketplace/redis-configure-pipeline:v0.1.0");
      assertThat(pod.getInitContainers().get(0).getVolumeMounts()).extracting(m -> m.getMountPath())
          .contains("/kratix/input", "/kratix/output", "/kratix/metadata", "/tarmac/input", "/tarmac/output");
      assertThat(pod.getContainers()).singleElement().satisfies(c -> {
        assertThat(c.getImage()).isEqualTo("ghcr.io/tarmac-dev/tarmac:test");
        assertThat(c.getArgs()).containsExactly("pipeline", "collect");
      });
      for (var c : pod.getInitContainers()) {
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(c.getEnv()).extracting(EnvVar::getName).contains("KRATIX_WORKFLOW_TYPE", "KRATIX_PROMISE_NAME");
      }
      assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(job.getMetadata().getLabels()).containsEntry(Labels.PROMISE, "redis")
          .containsKey(Labels.SPEC_HASH).containsEntry(Labels.OWNER_KIND, "redis");
      String inputName = pod.getVolumes().stream().filter(v -> v.getName().equals("input")).findFirst()
          .orElseThrow().getConfigMap().getName();
      var inputMap = await().atMost(Duration.ofSeconds(10)).until(
          () -> client.configMaps().inNamespace(ns).withName(inputName).get(), java.util.Objects::nonNull);
      // The input belongs to its Job, so it goes when the Job does.
      assertThat(inputMap.getMetadata().getOwnerReferences()).singleElement()
          .satisfies(o -> assertThat(o.getUid()).isEqualTo(job.getMetadata().getUid()));
      String input = inputMap.getData().get("object.yaml");
      assertThat(input).contains("size: small").contains("name: example");
      GenericKubernetesResource running = requests.withName("example").get();
      assertThat(PromiseApiServerTest.condition(running, "PipelineCompleted")).isEqualTo("False");
      // tarmac trace knows the request kinds of Kratix Promises too.
      var trace = new dev.tarmac.trace.Tracer(client).trace("redis", ns, "example");
      assertThat(trace.kind).isEqualTo("redis");
      assertThat(dev.tarmac.trace.TraceRenderer.text(trace)).contains(job.getMetadata().getName());

      // Play the pipeline container: it writes Kratix's output and metadata files.
      Path root = tmp.resolve("tarmac");
      Files.createDirectories(root.resolve("output/redis"));
      Files.createDirectories(root.resolve("metadata"));
      Files.writeString(root.resolve("output/redis/redis.yaml"), "apiVersion: databases.spotahome.com/v1\n"
          + "kind: RedisFailover\nmetadata: {name: example}\nspec: {redis: {replicas: 1}}\n");
      Files.writeString(root.resolve("metadata/status.yaml"), "message: redis example is provisioned\n");
      // Play the collector container with the environment the Job gives it, as the Job's ServiceAccount: the run's
      // Role must let it hand the output over in the run's ConfigMap, and nothing more.
      Map<String, String> env = new HashMap<>();
      pod.getContainers().get(0).getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
      assertThat(pod.getServiceAccountName()).isEqualTo(dev.tarmac.promise.PipelineAccess.serviceAccountName("redis"));
      String outputName = env.get("TARMAC_OUTPUT_CONFIGMAP");
      assertThat(outputName).isEqualTo(job.getMetadata().getName() + "-output");
      var outputMap = client.configMaps().inNamespace(ns).withName(outputName).get();
      assertThat(outputMap.getMetadata().getOwnerReferences()).singleElement()
          .satisfies(o -> assertThat(o.getUid()).isEqualTo(job.getMetadata().getUid()));
      try (KubernetesClient pipeline = TestCluster.get().clientAs(ns, pod.getServiceAccountName())) {
        PipelineCommand.collect(pipeline, root, env);
      }
      // The collector wrote no Work and no status: the operator does, once the Job is complete.
      assertThat(client.resources(Work.class).inNamespace(ns).withName("example-redis-instance-configure").get())
          .isNull();
      assertThat(Serialization.JSON.valueToTree(requests.withName("example").get()).path("status").has("message"))
          .isFalse();
      // Play the Job controller: the pod succeeded.
      job.setStatus(new io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder().withSucceeded(1)
          .withConditions(new JobConditionBuilder().withType("Complete").withStatus("True").build()).build());
      client.resource(job).updateStatus();

      GenericKubernetesResource ready = await().atMost(Duration.ofSeconds(30)).until(
          () -> requests.withName("example").get(), r -> "True".equals(PromiseApiServerTest.condition(r, "Ready")));
      JsonNode status = Serialization.JSON.valueToTree(ready).path("status");
      assertThat(status.path("message").asText()).isEqualTo("redis example is provisioned");
      Work work = client.resources(Work.class).inNamespace(ns).withName("example-redis-instance-configure").get();
      assertThat(work.getSpec().files).extracting(f -> f.path).containsExactly("redis/redis.yaml");
      assertThat(Conditions.isTrue(work.getStatus(), Conditions.PUBLISHED)).isTrue();
      assertThat(work.getStatus().placements.get(0).path)
          .isEqualTo(operatorNs + "/resources/" + ns + "/redis/example");
    }
  }
}
