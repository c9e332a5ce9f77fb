package dev.tarmac.promise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import org.junit.jupiter.api.Test;

class RequestCrdBuilderTest {

  private static JsonNode api(String file) throws Exception {
    return Serialization.YAML.readTree(RepoPaths.corpus().resolve(file).toFile()).path("spec").path("api");
  }

  @Test
  void keepsTheAuthorsSchemaAndAddsStatusColumnsAndCategory() throws Exception {
    JsonNode crd = RequestCrdBuilder.build("redis", api("kratix/redis-promise.yaml"));
    JsonNode version = crd.path("spec").path("versions").get(0);
    assertThat(version.path("subresources").has("status")).isTrue();
    assertThat(version.path("schema").path("openAPIV3Schema").path("properties").path("spec").path("properties")
        .path("size").path("pattern").asText()).isEqualTo("^(small|large)$");
    assertThat(version.path("additionalPrinterColumns").findValuesAsText("name")).containsExactly("READY", "REASON",
        "AGE");
    assertThat(crd.path("spec").path("names").path("categories").toString()).contains("tarmac");
    assertThat(crd.path("metadata").path("labels").path("platform.tarmac.dev/promise").asText()).isEqualTo("redis");
    var kind = RequestCrdBuilder.kind(crd);
    assertThat(kind.getKind()).isEqualTo("redis");
    assertThat(kind.getVersion()).isEqualTo("v1alpha1");
    assertThat(kind.isNamespaceScoped()).isTrue();
  }

  @Test
  void refusesRenamesAndBrokenApis() throws Exception {
    JsonNode crd = RequestCrdBuilder.build("namespace", api("kratix/namespace-promise.yaml"));
    JsonNode renamed = crd.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) renamed.path("spec").path("names")).put("kind", "Ns");
    assertThatThrownBy(() -> RequestCrdBuilder.checkRename(crd, renamed))
        .isInstanceOf(PromiseException.class).hasMessageContaining("names.kind");
    assertThatThrownBy(() -> RequestCrdBuilder.build("x", Serialization.YAML.readTree(
        "{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, spec: {group: platform.tarmac.dev,"
            + " names: {kind: X, plural: xs}, versions: [{name: v1, served: true, storage: true}]}}")))
        .hasMessageContaining("is reserved");
    assertThatThrownBy(() -> RequestCrdBuilder.build("x", Serialization.YAML.readTree(
        "{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, spec: {group: a.dev,"
            + " names: {kind: X, plural: xs}, versions: [{name: v1, served: true, storage: false}]}}")))
        .hasMessageContaining("exactly one version with storage: true");
  }

  @Test
  void aPromiseWithoutAnApiIsOneWhoseApiIsAbsentNullOrEmpty() throws Exception {
    // Kratix's Promise.DoesNotContainAPI: nil, empty, {} or null.
    assertThat(RequestCrdBuilder.hasApi(null)).isFalse();
    assertThat(RequestCrdBuilder.hasApi(Serialization.JSON.readTree("null"))).isFalse();
    assertThat(RequestCrdBuilder.hasApi(Serialization.JSON.readTree("{}"))).isFalse();
    assertThat(RequestCrdBuilder.hasApi(Serialization.JSON.readTree("{\"kind\": \"X\"}"))).isTrue();
  }
}
