package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Serialization;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link ErrorStatus#update(io.fabric8.kubernetes.client.dsl.Resource, GenericKubernetesResource, int, Exception,
 * ErrorStatus.Warning, Clock)}, the failure record of controllers that read their objects unstructured (Promise
 * request kinds, Crossplane XRs and claims): written to a real object's status subresource, other conditions kept.
 */
@Tag("apiserver")
class ErrorStatusApiServerTest {

  @Test
  void aPassingFailureIsRetriedWithNextRetryTimeAndBadInputWaitsWithout() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String ns = TestCluster.get().newNamespace("errstatus");
    var op = client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Component").inNamespace(ns);
    GenericKubernetesResource c = Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: svc}
        spec: {type: service, lifecycle: production, owner: group:default/team-a}
        """, GenericKubernetesResource.class);
    op.resource(c).create();
    // A condition written by the controller before: kept.
    op.withName("svc").subresource("status").patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
        io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), """
        {"status": {"conditions": [{"type": "Published", "status": "True", "reason": "Published",
          "message": "in Git", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}""");
    List<String> events = new ArrayList<>();
    Clock clock = Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC);

    boolean retried = ErrorStatus.update(op.withName("svc"), op.withName("svc").get(), 0,
        new KubernetesClientException(new StatusBuilder().withCode(503).withMessage("etcd leader changed").build()),
        (o, reason, message) -> events.add(reason), clock);
    var after = Serialization.JSON.valueToTree(op.withName("svc").get()).path("status");
    assertThat(retried).isTrue();
    assertThat(after.path("nextRetryTime").asText()).isEqualTo("2026-12-02T10:00:01Z");
    assertThat(condition(after, "Synced").path("reason").asText()).isEqualTo("ApiServerUnavailable");
    assertThat(condition(after, "Synced").path("message").asText()).contains("etcd leader changed");
    assertThat(condition(after, "Published").path("status").asText()).as("other conditions kept").isEqualTo("True");
    assertThat(events).containsExactly("ApiServerUnavailable");

    // The same failure again: status rewritten (next attempt later), no second Event.
    ErrorStatus.update(op.withName("svc"), op.withName("svc").get(), 1,
        new KubernetesClientException(new StatusBuilder().withCode(503).withMessage("etcd leader changed").build()),
        (o, reason, message) -> events.add(reason), clock);
    assertThat(events).hasSize(1);

    // A schema refusal (422 naming a field): bad input, not retried, no nextRetryTime, Ready=False too.
    Status invalid = new StatusBuilder().withCode(422).withMessage("spec.replicas: Invalid value")
        .withNewDetails().addNewCause().withField("spec.replicas").withMessage("Invalid value").endCause()
        .endDetails().build();
    retried = ErrorStatus.update(op.withName("svc"), op.withName("svc").get(), 2,
        new KubernetesClientException(invalid), (o, reason, message) -> events.add(reason), clock);
    after = Serialization.JSON.valueToTree(op.withName("svc").get()).path("status");
    assertThat(retried).isFalse();
    assertThat(after.has("nextRetryTime")).isFalse();
    assertThat(condition(after, "Synced").path("reason").asText()).isEqualTo("Invalid");
    assertThat(condition(after, "Ready").path("reason").asText()).isEqualTo("Invalid");
    assertThat(events).containsExactly("ApiServerUnavailable", "Invalid");
  }

  private static com.fasterxml.jackson.databind.JsonNode condition(com.fasterxml.jackson.databind.JsonNode status,
      String type) {
    for (var c : status.path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }
}
