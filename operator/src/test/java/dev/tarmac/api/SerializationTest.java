package dev.tarmac.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import org.junit.jupiter.api.Test;

class SerializationTest {

  @Test
  void aStatusReadBackFromTheApiServerEqualsTheSameStatusBuiltWithALongGeneration() throws Exception {
    // What a request's reconcile does: read status from the cached object, set observedGeneration (a long), compare.
    GenericKubernetesResource cached = Serialization.JSON.readValue(
        "{\"apiVersion\": \"x/v1\", \"kind\": \"Cache\", \"metadata\": {\"name\": \"c1\", \"generation\": 2},"
            + " \"status\": {\"observedGeneration\": 2, \"conditions\": [{\"type\": \"Ready\", \"observedGeneration\": 2}]}}",
        GenericKubernetesResource.class);
    ObjectNode status = (ObjectNode) Serialization.JSON.valueToTree(cached).get("status").deepCopy();
    JsonNode before = status.deepCopy();
    status.put("observedGeneration", cached.getMetadata().getGeneration());
    ((ObjectNode) status.get("conditions").get(0)).put("observedGeneration", 2L);

    assertThat(status.equals(before)).as("Jackson's own equals tells IntNode 2 from LongNode 2").isFalse();
    assertThat(Serialization.sameJson(status, before)).isTrue();
    status.put("observedGeneration", 3L);
    assertThat(Serialization.sameJson(status, before)).isFalse();
    assertThat(Serialization.sameJson(null, null)).isTrue();
    assertThat(Serialization.sameJson(before, null)).isFalse();
  }
}
