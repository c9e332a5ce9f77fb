package dev.tarmac.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.crossplane.XrdKinds;
import dev.tarmac.testing.RepoPaths;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class XrdNamesTest {

  private static JsonNode corpus(String file) throws Exception {
    return Serialization.YAML.readTree(Files.readString(RepoPaths.corpus().resolve("crossplane").resolve(file)));
  }

  @Test
  void aV1XrdFromTheCorpusDefinesAClusterScopedXrAndAClaim() throws Exception {
    XrdKinds k = XrdNames.kinds(corpus("nop-pandt-xrd.yaml")).orElseThrow();
    assertThat(k.xrdName()).isEqualTo("xnopresources.nop.example.org");
    assertThat(k.apiVersion()).isEqualTo("nop.example.org/v1alpha1");
    assertThat(k.xrKind()).isEqualTo("XNopResource");
    assertThat(k.claimKind()).isEqualTo("NopResource");
    assertThat(k.scope()).isEqualTo(XrdKinds.LEGACY_CLUSTER);
    assertThat(k.connectionSecretKeys()).containsExactly("test");
  }

  @Test
  void matchesKindPluralAndGroupQualifiedNamesInAnyCase() throws Exception {
    JsonNode xrd = corpus("nop-pandt-xrd.yaml");
    assertThat(XrdNames.match("NopResource", xrd)).get().satisfies(m -> {
      assertThat(m.claim()).isTrue();
      assertThat(m.namespaced()).isTrue();
      assertThat(m.kind()).isEqualTo("NopResource");
    });
    assertThat(XrdNames.match("nopresources.nop.example.org", xrd)).get().extracting(XrdNames.Match::claim)
        .isEqualTo(true);
    assertThat(XrdNames.match("XNOPRESOURCES", xrd)).get().satisfies(m -> {
      assertThat(m.claim()).isFalse();
      assertThat(m.namespaced()).isFalse();
    });
    assertThat(XrdNames.match("nop", xrd)).isEmpty();
  }

  @Test
  void aV2XrdIsNamespacedByDefaultAndMatchesShortNamesAndTheReferenceableVersion() throws Exception {
    JsonNode xrd = Serialization.YAML.readTree("""
        apiVersion: apiextensions.crossplane.io/v2
        kind: CompositeResourceDefinition
        metadata: {name: apps.example.org}
        spec:
          group: example.org
          names: {kind: App, plural: apps, singular: app, shortNames: [ap]}
          versions:
          - {name: v1alpha1, served: true, referenceable: false, schema: {openAPIV3Schema: {type: object}}}
          - {name: v1, served: true, referenceable: true, schema: {openAPIV3Schema: {type: object}}}
        """);
    XrdKinds k = XrdNames.kinds(xrd).orElseThrow();
    assertThat(k.scope()).isEqualTo(XrdKinds.NAMESPACED);
    assertThat(k.version()).isEqualTo("v1");
    assertThat(k.offersClaim()).isFalse();
    assertThat(XrdNames.match("AP", xrd)).get().extracting(XrdNames.Match::namespaced).isEqualTo(true);
    assertThat(XrdNames.match("app", xrd)).isPresent();
    assertThat(XrdNames.kinds(Serialization.YAML.readTree("spec: {group: example.org}"))).isEmpty();
  }
}
