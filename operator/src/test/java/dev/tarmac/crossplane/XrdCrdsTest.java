package dev.tarmac.crossplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The XR and claim CRDs generated from XRDs, checked against what Crossplane documents ("Composite Resource
 * Definitions", "Claims", "Composite Resources", v1 and v2): the corpus XRDs as Crossplane's repositories ship them,
 * and the v2 namespaced XRD of examples/crossplane written from Crossplane v2's documentation.
 */
class XrdCrdsTest {

  private static JsonNode corpus(String file) throws IOException {
    return Serialization.YAML.readTree(RepoPaths.corpus().resolve("crossplane").resolve(file).toFile());
  }

  private static JsonNode example(String file) throws IOException {
    Path p = RepoPaths.repo().resolve("examples/crossplane").resolve(file);
    return Serialization.YAML.readTree(p.toFile());
  }

  private static JsonNode version(JsonNode crd, String name) {
    for (JsonNode v : crd.path("spec").path("versions")) {
      if (v.path("name").asText().equals(name)) {
        return v;
      }
    }
    throw new AssertionError("no version " + name + " in " + crd.path("metadata").path("name"));
  }

  private static JsonNode props(JsonNode crd, String version, String part) {
    return version(crd, version).path("schema").path("openAPIV3Schema").path("properties").path(part)
        .path("properties");
  }

  private static List<String> columns(JsonNode version) {
    List<String> names = new ArrayList<>();
    version.path("additionalPrinterColumns").forEach(c -> names.add(c.path("name").asText()));
    return names;
  }

  private static String columnPath(JsonNode version, String name) {
    for (JsonNode c : version.path("additionalPrinterColumns")) {
      if (c.path("name").asText().equals(name)) {
        return c.path("jsonPath").asText();
      }
    }
    return null;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void v1XrdDefinesALegacyClusterXrAndItsClaim() throws IOException {
    XrdKinds kinds = XrdCrds.kinds(corpus("nop-pandt-xrd.yaml"));
    assertThat(kinds.xrdName()).isEqualTo("xnopresources.nop.example.org");
    assertThat(kinds.apiVersion()).isEqualTo("nop.example.org/v1alpha1");
    assertThat(kinds.xrKind()).isEqualTo("XNopResource");
    assertThat(kinds.xrPlural()).isEqualTo("xnopresources");
    // Every apiextensions.crossplane.io/v1 XRD without a scope is LegacyCluster: cluster-scoped, v1 fields, claims.
    assertThat(kinds.scope()).isEqualTo(XrdKinds.LEGACY_CLUSTER);
    assertThat(kinds.namespaced()).isFalse();
    assertThat(kinds.legacyFields()).isTrue();
    assertThat(kinds.claimKind()).isEqualTo("NopResource");
    assertThat(kinds.claimPlural()).isEqualTo("nopresources");
    assertThat(kinds.connectionSecretKeys()).containsExactly("test");
    // The XRD CRD's defaults (Crossplane's API reference).
    assertThat(kinds.defaultCompositionUpdatePolicy()).isEqualTo("Automatic");
    assertThat(kinds.defaultCompositeDeletePolicy()).isEqualTo("Background");
  }

  @Test
  void legacyXrCrdIsClusterScopedWithV1FieldsColumnsAndCategory() throws IOException {
    ObjectNode crd = XrdCrds.compositeCrd(corpus("nop-pandt-xrd.yaml"));
    assertThat(crd.path("metadata").path("name").asText()).isEqualTo("xnopresources.nop.example.org");
    assertThat(crd.path("spec").path("group").asText()).isEqualTo("nop.example.org");
    assertThat(crd.path("spec").path("scope").asText()).isEqualTo("Cluster");
    assertThat(crd.path("spec").path("names").path("kind").asText()).isEqualTo("XNopResource");
    assertThat(texts(crd.path("spec").path("names").path("categories"))).containsExactly("composite");
    JsonNode v = version(crd, "v1alpha1");
    assertThat(v.path("served").asBoolean()).isTrue();
    assertThat(v.path("storage").asBoolean()).isTrue();
    assertThat(v.path("subresources").has("status")).isTrue();
    assertThat(columns(v)).containsExactly("SYNCED", "READY", "COMPOSITION", "COMPOSITIONREVISION", "AGE");
    assertThat(columnPath(v, "SYNCED")).isEqualTo(".status.conditions[?(@.type=='Synced')].status");
    assertThat(columnPath(v, "READY")).isEqualTo(".status.conditions[?(@.type=='Ready')].status");
    assertThat(columnPath(v, "COMPOSITION")).isEqualTo(".spec.compositionRef.name");
    assertThat(columnPath(v, "AGE")).isEqualTo(".metadata.creationTimestamp");
    JsonNode root = v.path("schema").path("openAPIV3Schema");
    assertThat(texts(root.path("required"))).containsExactly("spec");
    assertThat(root.path("properties").path("metadata").path("properties").path("name").path("maxLength").asInt())
        .isEqualTo(63);
    JsonNode spec = props(crd, "v1alpha1", "spec");
    // The XRD's own field, still required.
    assertThat(spec.path("coolField").path("type").asText()).isEqualTo("string");
    assertThat(texts(root.path("properties").path("spec").path("required"))).containsExactly("coolField");
    // Crossplane's v1 fields directly under spec.
    assertThat(spec.fieldNames()).toIterable().contains("compositionRef", "compositionSelector",
        "compositionUpdatePolicy", "compositionRevisionRef", "compositionRevisionSelector", "claimRef",
        "resourceRefs", "writeConnectionSecretToRef", "publishConnectionDetailsTo");
    assertThat(spec.has("crossplane")).isFalse();
    assertThat(texts(spec.path("compositionRef").path("required"))).containsExactly("name");
    assertThat(spec.path("compositionSelector").path("properties").path("matchLabels")
        .path("additionalProperties").path("type").asText()).isEqualTo("string");
    assertThat(texts(spec.path("compositionUpdatePolicy").path("enum"))).containsExactly("Automatic", "Manual");
    assertThat(spec.path("compositionUpdatePolicy").path("default").asText()).isEqualTo("Automatic");
    assertThat(texts(spec.path("claimRef").path("required")))
        .containsExactlyInAnyOrder("apiVersion", "kind", "namespace", "name");
    assertThat(texts(spec.path("writeConnectionSecretToRef").path("required")))
        .containsExactlyInAnyOrder("name", "namespace");
    assertThat(spec.path("resourceRefs").path("items").path("properties").has("namespace")).isTrue();
    JsonNode status = props(crd, "v1alpha1", "status");
    assertThat(status.path("coolerField").path("type").asText()).isEqualTo("string");
    assertThat(status.path("conditions").path("x-kubernetes-list-type").asText()).isEqualTo("map");
    assertThat(status.path("connectionDetails").path("properties").path("lastPublishedTime").path("format")
        .asText()).isEqualTo("date-time");
    assertThat(status.path(CrossplaneFields.STATUS_TARMAC).path("x-kubernetes-preserve-unknown-fields").asBoolean())
        .isTrue();
  }

  @Test
  void claimCrdIsNamespacedWithClaimFieldsColumnsAndCategory() throws IOException {
    ObjectNode crd = XrdCrds.claimCrd(corpus("nop-pandt-xrd.yaml")).orElseThrow();
    assertThat(crd.path("metadata").path("name").asText()).isEqualTo("nopresources.nop.example.org");
    assertThat(crd.path("spec").path("scope").asText()).isEqualTo("Namespaced");
    assertThat(crd.path("spec").path("names").path("kind").asText()).isEqualTo("NopResource");
    assertThat(texts(crd.path("spec").path("names").path("categories"))).containsExactly("claim");
    JsonNode v = version(crd, "v1alpha1");
    assertThat(v.path("subresources").has("status")).isTrue();
    assertThat(columns(v)).containsExactly("SYNCED", "READY", "CONNECTION-SECRET", "AGE");
    assertThat(columnPath(v, "CONNECTION-SECRET")).isEqualTo(".spec.writeConnectionSecretToRef.name");
    JsonNode spec = props(crd, "v1alpha1", "spec");
    assertThat(spec.path("coolField").path("type").asText()).isEqualTo("string");
    assertThat(spec.fieldNames()).toIterable().contains("compositionRef", "compositionSelector",
        "compositionUpdatePolicy", "compositeDeletePolicy", "resourceRef", "writeConnectionSecretToRef");
    assertThat(spec.has("claimRef")).isFalse();
    assertThat(texts(spec.path("compositeDeletePolicy").path("enum"))).containsExactly("Background", "Foreground");
    assertThat(spec.path("compositeDeletePolicy").path("default").asText()).isEqualTo("Background");
    // A claim's connection secret is in the claim's namespace: name only.
    assertThat(spec.path("writeConnectionSecretToRef").path("properties").fieldNames()).toIterable()
        .containsExactly("name");
    assertThat(texts(spec.path("resourceRef").path("required")))
        .containsExactlyInAnyOrder("apiVersion", "kind", "name");
    JsonNode status = props(crd, "v1alpha1", "status");
    assertThat(status.has("conditions")).isTrue();
    assertThat(status.has("connectionDetails")).isTrue();
  }

  @Test
  void azureXrdKeepsItsParametersRequiredAndDescribed() throws IOException {
    JsonNode xrd = corpus("azure-postgres-xrd.yaml");
    XrdKinds kinds = XrdCrds.kinds(xrd);
    assertThat(kinds.claimKind()).isEqualTo("PostgreSQLInstance");
    assertThat(kinds.connectionSecretKeys()).containsExactly("username", "password", "endpoint", "port");
    for (ObjectNode crd : List.of(XrdCrds.compositeCrd(xrd), XrdCrds.claimCrd(xrd).orElseThrow())) {
      JsonNode spec = version(crd, "v1alpha1").path("schema").path("openAPIV3Schema").path("properties")
          .path("spec");
      assertThat(texts(spec.path("required"))).containsExactly("parameters");
      assertThat(spec.path("description").asText()).isEqualTo("The OpenAPIV3Schema of this Composite Resource"
          + " Definition.");
      assertThat(texts(spec.path("properties").path("parameters").path("required"))).containsExactly("storageGB");
      assertThat(spec.path("properties").path("parameters").path("properties").path("storageGB").path("type")
          .asText()).isEqualTo("integer");
    }
    assertThat(XrdCrds.claimCrd(xrd).orElseThrow().path("metadata").path("name").asText())
        .isEqualTo("postgresqlinstances.database.example.org");
  }

  @Test
  void v2NamespacedXrdNestsCrossplaneFieldsAndOffersNoClaim() throws IOException {
    JsonNode xrd = example("app-xrd.yaml");
    XrdKinds kinds = XrdCrds.kinds(xrd);
    assertThat(kinds.scope()).isEqualTo(XrdKinds.NAMESPACED);
    assertThat(kinds.namespaced()).isTrue();
    assertThat(kinds.legacyFields()).isFalse();
    assertThat(kinds.offersClaim()).isFalse();
    assertThat(XrdCrds.claimCrd(xrd)).isEmpty();
    ObjectNode crd = XrdCrds.compositeCrd(xrd);
    assertThat(crd.path("spec").path("scope").asText()).isEqualTo("Namespaced");
    JsonNode v = version(crd, "v1");
    assertThat(columns(v)).containsExactly("SYNCED", "READY", "COMPOSITION", "COMPOSITIONREVISION", "AGE");
    assertThat(columnPath(v, "COMPOSITION")).isEqualTo(".spec.crossplane.compositionRef.name");
    JsonNode spec = props(crd, "v1", "spec");
    assertThat(spec.path("image").path("type").asText()).isEqualTo("string");
    // v2: Crossplane's fields live under spec.crossplane; no claimRef, no connection secret.
    assertThat(spec.fieldNames()).toIterable().containsExactlyInAnyOrder("image", "crossplane");
    JsonNode crossplane = spec.path("crossplane").path("properties");
    assertThat(crossplane.fieldNames()).toIterable().containsExactlyInAnyOrder("compositionRef",
        "compositionSelector", "compositionUpdatePolicy", "compositionRevisionRef", "compositionRevisionSelector",
        "resourceRefs");
    // A namespaced XR composes in its own namespace: its resourceRefs carry no namespace.
    assertThat(crossplane.path("resourceRefs").path("items").path("properties").has("namespace")).isFalse();
    JsonNode status = props(crd, "v1", "status");
    assertThat(status.fieldNames()).toIterable().containsExactlyInAnyOrder("replicas", "address", "conditions",
        CrossplaneFields.STATUS_TARMAC);
  }

  @Test
  void scopeDefaultsFollowTheXrdVersion() {
    JsonNode v2 = xrd("apiextensions.crossplane.io/v2", null, false);
    assertThat(XrdCrds.kinds(v2).scope()).isEqualTo(XrdKinds.NAMESPACED);
    JsonNode v1 = xrd("apiextensions.crossplane.io/v1", null, false);
    assertThat(XrdCrds.kinds(v1).scope()).isEqualTo(XrdKinds.LEGACY_CLUSTER);
    JsonNode cluster = xrd("apiextensions.crossplane.io/v2", "Cluster", false);
    XrdKinds kinds = XrdCrds.kinds(cluster);
    assertThat(kinds.scope()).isEqualTo(XrdKinds.CLUSTER);
    ObjectNode crd = XrdCrds.compositeCrd(cluster);
    assertThat(crd.path("spec").path("scope").asText()).isEqualTo("Cluster");
    // Cluster (not Legacy): v2 fields under spec.crossplane; resourceRefs may name a namespace.
    JsonNode spec = props(crd, "v1", "spec");
    assertThat(spec.has("compositionRef")).isFalse();
    assertThat(spec.path("crossplane").path("properties").path("resourceRefs").path("items").path("properties")
        .has("namespace")).isTrue();
    // v2 with scope LegacyCluster keeps v1's fields and may offer a claim.
    JsonNode legacy = xrd("apiextensions.crossplane.io/v2", "LegacyCluster", true);
    assertThat(XrdCrds.kinds(legacy).offersClaim()).isTrue();
    assertThat(props(XrdCrds.compositeCrd(legacy), "v1", "spec").has("claimRef")).isTrue();
  }

  private static ObjectNode xrd(String apiVersion, String scope, boolean claim) {
    ObjectNode xrd = (ObjectNode) read("""
        metadata: {name: xwidgets.example.org}
        spec:
          group: example.org
          names: {kind: XWidget, plural: xwidgets}
          versions:
            - name: v1
              served: true
              referenceable: true
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    spec: {type: object, properties: {size: {type: integer}}}
        """);
    xrd.put("apiVersion", apiVersion);
    xrd.put("kind", "CompositeResourceDefinition");
    if (scope != null) {
      xrd.with("spec").put("scope", scope);
    }
    if (claim) {
      xrd.with("spec").putObject("claimNames").put("kind", "Widget").put("plural", "widgets");
    }
    return xrd;
  }

  private static JsonNode read(String yaml) {
    try {
      return Serialization.YAML.readTree(yaml);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void everyVersionIsServedAsWrittenAndOnlyTheReferenceableOneIsStored() {
    ObjectNode xrd = xrd("apiextensions.crossplane.io/v1", null, true);
    ObjectNode v2 = ((ObjectNode) xrd.path("spec").path("versions").get(0)).deepCopy();
    v2.put("name", "v2");
    ((ObjectNode) xrd.path("spec").path("versions").get(0)).put("referenceable", false).put("deprecated", true);
    v2.putArray("additionalPrinterColumns").addObject().put("name", "SIZE").put("type", "integer")
        .put("jsonPath", ".spec.size");
    xrd.withArray("/spec/versions").add(v2);
    XrdKinds kinds = XrdCrds.kinds(xrd);
    assertThat(kinds.version()).isEqualTo("v2");
    for (ObjectNode crd : List.of(XrdCrds.compositeCrd(xrd), XrdCrds.claimCrd(xrd).orElseThrow())) {
      assertThat(version(crd, "v1").path("storage").asBoolean()).isFalse();
      assertThat(version(crd, "v1").path("deprecated").asBoolean()).isTrue();
      assertThat(version(crd, "v2").path("storage").asBoolean()).isTrue();
      // The XRD's columns first, then Crossplane's.
      assertThat(columns(version(crd, "v2")).get(0)).isEqualTo("SIZE");
      assertThat(columns(version(crd, "v2"))).contains("SYNCED", "READY", "AGE");
    }
  }

  @Test
  void labelsAnnotationsAndOwnerReferenceOfGeneratedCrds() {
    ObjectNode xrd = xrd("apiextensions.crossplane.io/v1", null, true);
    xrd.with("metadata").put("uid", "1234").putObject("labels").put("team", "platform");
    xrd.with("spec").putObject("metadata").putObject("labels").put("tier", "gold");
    ((ObjectNode) xrd.path("spec").path("metadata")).putObject("annotations").put("docs", "https://example.org");
    for (ObjectNode crd : List.of(XrdCrds.compositeCrd(xrd), XrdCrds.claimCrd(xrd).orElseThrow())) {
      JsonNode meta = crd.path("metadata");
      assertThat(meta.path("labels").path("team").asText()).isEqualTo("platform");
      assertThat(meta.path("labels").path("tier").asText()).isEqualTo("gold");
      assertThat(meta.path("labels").path("app.kubernetes.io/managed-by").asText()).isEqualTo("tarmac");
      assertThat(meta.path("annotations").path("docs").asText()).isEqualTo("https://example.org");
      assertThat(meta.path("annotations").path(XrdCrds.XRD_ANNOTATION).asText()).isEqualTo("xwidgets.example.org");
      JsonNode owner = meta.path("ownerReferences").get(0);
      assertThat(owner.path("kind").asText()).isEqualTo("CompositeResourceDefinition");
      assertThat(owner.path("uid").asText()).isEqualTo("1234");
      assertThat(owner.path("controller").asBoolean()).isTrue();
    }
  }

  @Test
  void generatedCrdsAreCustomResourceDefinitions() throws IOException {
    for (JsonNode xrd : List.of(corpus("nop-pandt-xrd.yaml"), corpus("azure-postgres-xrd.yaml"),
        example("app-xrd.yaml"))) {
      CustomResourceDefinition crd = Serialization.JSON.treeToValue(XrdCrds.compositeCrd(xrd),
          CustomResourceDefinition.class);
      assertThat(crd.getSpec().getVersions()).isNotEmpty();
      assertThat(crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties())
          .containsKeys("spec", "status", "metadata");
    }
  }

  @Test
  void refusesXrdsCrossplaneRefuses() {
    assertRefused(x -> ((ObjectNode) x.path("spec")).remove("group"), "MissingGroup", "spec.group");
    assertRefused(x -> ((ObjectNode) x.path("spec").path("names")).remove("plural"), "MissingNames", "plural");
    assertRefused(x -> x.with("metadata").put("name", "widgets.example.org"), "NameMismatch",
        "xwidgets.example.org");
    assertRefused(x -> ((ObjectNode) x.path("spec").path("versions").get(0)).put("referenceable", false)
        .put("served", false), "NoReferenceableVersion", "referenceable");
    assertRefused(x -> ((ObjectNode) x.path("spec").path("versions").get(0)).remove("schema"), "InvalidSchema",
        "openAPIV3Schema");
    assertRefused(x -> ((ObjectNode) x.path("spec")).putArray("versions"), "NoVersions", "spec.versions");
    assertRefused(x -> x.with("spec").put("scope", "Global"), "InvalidScope", "Global");
    assertRefused(x -> {
      ObjectNode second = ((ObjectNode) x.path("spec").path("versions").get(0)).deepCopy();
      second.put("name", "v2");
      x.withArray("/spec/versions").add(second);
    }, "NoReferenceableVersion", "exactly one");
  }

  @Test
  void refusesClaimsOutsideLegacyClusterAndClashingClaimNames() {
    ObjectNode namespacedWithClaim = xrd("apiextensions.crossplane.io/v2", "Namespaced", true);
    assertThatThrownBy(() -> XrdCrds.kinds(namespacedWithClaim)).isInstanceOfSatisfying(XrdException.class,
        e -> {
          assertThat(e.reason()).isEqualTo("ClaimsNotAllowed");
          assertThat(e.getMessage()).contains("LegacyCluster");
        });
    ObjectNode clash = xrd("apiextensions.crossplane.io/v1", null, true);
    ((ObjectNode) clash.path("spec").path("claimNames")).put("kind", "XWidget");
    assertThatThrownBy(() -> XrdCrds.compositeCrd(clash)).isInstanceOfSatisfying(XrdException.class,
        e -> assertThat(e.reason()).isEqualTo("ConflictingClaimNames"));
    ObjectNode secrets = xrd("apiextensions.crossplane.io/v2", "Cluster", false);
    secrets.with("spec").putArray("connectionSecretKeys").add("password");
    assertThatThrownBy(() -> XrdCrds.kinds(secrets)).isInstanceOfSatisfying(XrdException.class,
        e -> assertThat(e.reason()).isEqualTo("ConnectionSecretsNotAllowed"));
  }

  private void assertRefused(java.util.function.Consumer<ObjectNode> change, String reason, String mentions) {
    ObjectNode xrd = xrd("apiextensions.crossplane.io/v1", null, false);
    change.accept(xrd);
    assertThatThrownBy(() -> XrdCrds.kinds(xrd)).as(reason).isInstanceOfSatisfying(XrdException.class, e -> {
      assertThat(e.reason()).isEqualTo(reason);
      assertThat(e.getMessage()).contains(mentions);
    });
  }

  @Test
  void ownershipOfGeneratedCrds() {
    assertThat(XrdCrds.notOwned("xwidgets.example.org", Map.of("app.kubernetes.io/managed-by", "tarmac"),
        Map.of(XrdCrds.XRD_ANNOTATION, "xwidgets.example.org"), "xwidgets.example.org")).isNull();
    assertThat(XrdCrds.notOwned("xwidgets.example.org", Map.of("app.kubernetes.io/managed-by", "tarmac"),
        Map.of(XrdCrds.XRD_ANNOTATION, "other.example.org"), "xwidgets.example.org")).contains("other.example.org");
    // Crossplane's own CRDs carry no Tarmac marks: never Tarmac's to change.
    assertThat(XrdCrds.notOwned("xwidgets.example.org", null, null, "xwidgets.example.org"))
        .contains("not generated by Tarmac");
  }

  @Test
  void theXrdControllersModelReadsAnXrdAsWritten() throws IOException {
    CompositeResourceDefinition typed = Serialization.YAML.treeToValue(corpus("nop-pandt-xrd.yaml"),
        CompositeResourceDefinition.class);
    assertThat(typed.getApiVersion()).isEqualTo("apiextensions.crossplane.io/v1");
    assertThat(typed.getKind()).isEqualTo("CompositeResourceDefinition");
    assertThat(io.fabric8.kubernetes.api.model.HasMetadata.getPlural(CompositeResourceDefinition.class))
        .isEqualTo("compositeresourcedefinitions");
    // What the reconciler hands XrdCrds: the same kinds as from the file.
    assertThat(XrdCrds.kinds(Serialization.JSON.valueToTree(typed)))
        .isEqualTo(XrdCrds.kinds(corpus("nop-pandt-xrd.yaml")));
    assertThat(new CompositeResourceDefinition().getSpec()).isNull();
  }

  @Test
  void servedCrossplaneCrdsKeepTheirShape() {
    ObjectNode xrdCrd = CrossplaneKinds.xrdCrd();
    assertThat(xrdCrd.path("spec").path("scope").asText()).isEqualTo("Cluster");
    assertThat(texts(xrdCrd.path("spec").path("names").path("shortNames"))).containsExactly("xrd", "xrds");
    JsonNode v1 = version(xrdCrd, "v1");
    JsonNode v2 = version(xrdCrd, "v2");
    assertThat(v1.path("storage").asBoolean()).isTrue();
    assertThat(v2.path("storage").asBoolean()).isFalse();
    assertThat(v2.path("served").asBoolean()).isTrue();
    // No conversion webhook: the two versions differ only in the default scope.
    assertThat(xrdCrd.path("spec").has("conversion")).isFalse();
    assertThat(props(xrdCrd, "v1", "spec").path("scope").path("default").asText()).isEqualTo("LegacyCluster");
    assertThat(props(xrdCrd, "v2", "spec").path("scope").path("default").asText()).isEqualTo("Namespaced");
    assertThat(props(xrdCrd, "v1", "spec").fieldNames()).toIterable().contains("group", "names", "claimNames",
        "versions", "connectionSecretKeys", "defaultCompositionRef", "enforcedCompositionRef",
        "defaultCompositionUpdatePolicy", "defaultCompositeDeletePolicy", "conversion", "metadata", "scope");
    assertThat(columns(v1)).containsExactly("ESTABLISHED", "OFFERED", "AGE");
    ObjectNode comp = CrossplaneKinds.compositionCrd();
    assertThat(comp.path("metadata").path("name").asText()).isEqualTo("compositions.apiextensions.crossplane.io");
    assertThat(props(comp, "v1", "spec").fieldNames()).toIterable().contains("compositeTypeRef", "mode",
        "resources", "patchSets", "pipeline", "environment", "writeConnectionSecretsToNamespace",
        "publishConnectionDetailsWithStoreConfigRef");
    assertThat(texts(props(comp, "v1", "spec").path("mode").path("enum"))).containsExactly("Resources", "Pipeline");
  }
}
