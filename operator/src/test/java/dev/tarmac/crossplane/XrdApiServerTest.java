package dev.tarmac.crossplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The XRD controller on a real API server, with the Crossplane CRDs Tarmac serves: the corpus XRDs and Compositions
 * (as Crossplane's repositories ship them) apply unchanged, the XRDs become Established and Offered as Crossplane
 * reports it, the generated claim kinds accept the corpus claims unchanged and refuse what their schema forbids, a
 * v2 namespaced XRD defines a namespaced XR kind without a claim, a bad XRD gets a condition and an Event, and
 * deleting an XRD waits for its claims, then stops the controllers and removes the generated CRDs.
 */
@Tag("apiserver")
class XrdApiServerTest {

  private static final String NOP = "xnopresources.nop.example.org";
  private static final String AZURE = "xpostgresqlinstances.database.example.org";
  private static final String APP = "apps.example.crossplane.io";
  private static final String BAD = "xbadclaims.xrdtest.example.org";
  private static final String NOT_OWNED = "xforeigns.xrdtest.example.org";
  private static final String HOLD = "xholds.hold.example.org";
  private static final List<String> XRDS = List.of(NOP, AZURE, APP, BAD, NOT_OWNED, HOLD);
  private static final List<String> GENERATED = List.of(NOP, "nopresources.nop.example.org", AZURE,
      "postgresqlinstances.database.example.org", APP, NOT_OWNED, HOLD, "holds.hold.example.org");
  private static final List<String> COMPOSITIONS = List.of("xnopresources.nop.example.org",
      "xpostgresqlinstances.azure.database.example.org");

  /** What the XRD controller asked the composite controllers to do, in order. */
  static final List<String> calls = new CopyOnWriteArrayList<>();

  private static KubernetesClient client;
  private static TarmacOperator operator;
  private static Path data;

  @BeforeAll
  static void start() throws IOException {
    client = TestCluster.get().client();
    // Objects another run of this class, or another class, may have left: Tarmac's shipped postgresqlinstance
    // Promise defines the same claim kind (postgresqlinstances.database.example.org) as Crossplane's quickstart XRD.
    // Tarmac's shipped postgresqlinstance Promise generates the same claim CRD: left by another class, this class's
    // operator would re-create that CRD for it.
    TestCluster.removeLeftoverPromise(client, "postgresqlinstance");
    TestCluster.deleteCrds(client, GENERATED);
    data = Files.createTempDirectory("xrd-test");
    String ns = TestCluster.get().newNamespace("xrd");
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, ns, "xrd-test",
        data.resolve("data"), false, 4, false, "ghcr.io/tarmac-dev/tarmac:test")).withCrossplaneCrds(true)
        .withCrossplane(true).withCompositeControllers(new CompositeControllers() {
          @Override
          public void serve(XrdKinds kinds) {
            String call = "serve " + kinds.xrdName() + " " + kinds.apiVersion() + " " + kinds.xrKind() + " "
                + kinds.scope() + " " + kinds.claimKind();
            if (calls.isEmpty() || !calls.contains(call)) {
              calls.add(call);
            }
          }

          @Override
          public void stop(String xrdName) {
            calls.add("stop " + xrdName);
          }
        }).start();
  }

  @AfterAll
  static void stop() {
    try {
      for (String xrd : XRDS) {
        xrds().withName(xrd).delete();
      }
      for (String xrd : XRDS) {
        await().atMost(Duration.ofSeconds(60)).until(() -> xrds().withName(xrd).get() == null);
      }
      for (String c : COMPOSITIONS) {
        client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", "Composition").withName(c).delete();
      }
    } finally {
      if (operator != null) {
        operator.close();
      }
      TestCluster.deleteCrds(client, GENERATED);
    }
  }

  private static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
      io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> xrds() {
    return client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", CrossplaneKinds.XRD_KIND);
  }

  private static GenericKubernetesResource read(Path file) throws IOException {
    return Serialization.YAML.readValue(file.toFile(), GenericKubernetesResource.class);
  }

  private static Path corpus(String file) {
    return RepoPaths.corpus().resolve("crossplane").resolve(file);
  }

  private static GenericKubernetesResource apply(GenericKubernetesResource object) {
    return client.resource(object).fieldManager("xrd-test").forceConflicts().serverSideApply();
  }

  private static JsonNode condition(String xrd, String type) {
    GenericKubernetesResource r = xrds().withName(xrd).get();
    if (r == null) {
      return null;
    }
    for (JsonNode c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    return null;
  }

  private static JsonNode awaitCondition(String xrd, String type, String status, String reason) {
    return await().atMost(Duration.ofSeconds(30)).until(() -> condition(xrd, type),
        c -> c != null && c.path("status").asText().equals(status) && c.path("reason").asText().equals(reason));
  }

  private static CustomResourceDefinition crd(String name) {
    return client.apiextensions().v1().customResourceDefinitions().withName(name).get();
  }

  @Test
  void corpusXrdsAreEstablishedAndOfferedAndTheirClaimKindsCheckClaims() throws IOException {
    for (String c : List.of("nop-pandt-composition.yaml", "azure-postgres-composition.yaml")) {
      GenericKubernetesResource sent = read(corpus(c));
      GenericKubernetesResource stored = apply(sent);
      // Nothing the Composition sets is pruned by the served schema.
      assertThat(Serialization.JSON.valueToTree(stored).path("spec").path("resources"))
          .isEqualTo(Serialization.JSON.valueToTree(sent).path("spec").path("resources"));
      assertThat(Serialization.JSON.valueToTree(stored).path("spec").path("compositeTypeRef"))
          .isEqualTo(Serialization.JSON.valueToTree(sent).path("spec").path("compositeTypeRef"));
    }
    apply(read(corpus("nop-pandt-xrd.yaml")));
    apply(read(corpus("azure-postgres-xrd.yaml")));

    for (String xrd : List.of(NOP, AZURE)) {
      JsonNode established = awaitCondition(xrd, "Established", "True", "WatchingCompositeResource");
      assertThat(established.path("lastTransitionTime").asText()).isNotEmpty();
      awaitCondition(xrd, "Offered", "True", "WatchingCompositeResourceClaim");
    }
    JsonNode status = Serialization.JSON.valueToTree(xrds().withName(NOP).get()).path("status");
    assertThat(status.path("controllers").path("compositeResourceType").path("apiVersion").asText())
        .isEqualTo("nop.example.org/v1alpha1");
    assertThat(status.path("controllers").path("compositeResourceType").path("kind").asText())
        .isEqualTo("XNopResource");
    assertThat(status.path("controllers").path("compositeResourceClaimType").path("kind").asText())
        .isEqualTo("NopResource");
    assertThat(calls).contains("serve " + NOP + " nop.example.org/v1alpha1 XNopResource LegacyCluster NopResource",
        "serve " + AZURE + " database.example.org/v1alpha1 XPostgreSQLInstance LegacyCluster PostgreSQLInstance");

    // v1 XRDs: cluster-scoped XRs, namespaced claims, both served and Established.
    assertThat(crd(NOP).getSpec().getScope()).isEqualTo("Cluster");
    assertThat(crd("nopresources.nop.example.org").getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(TestCluster.established(crd("postgresqlinstances.database.example.org"))).isTrue();

    // The corpus claims, unchanged.
    GenericKubernetesResource nop = apply(read(corpus("nop-pandt-claim.yaml")));
    JsonNode nopSpec = Serialization.JSON.valueToTree(nop).path("spec");
    assertThat(nopSpec.path("coolField").asText()).isEqualTo("I'm cool!");
    assertThat(nopSpec.path("compositeDeletePolicy").asText()).isEqualTo("Foreground");
    GenericKubernetesResource db = apply(read(corpus("azure-postgres-claim.yaml")));
    JsonNode dbSpec = Serialization.JSON.valueToTree(db).path("spec");
    assertThat(dbSpec.path("parameters").path("storageGB").asInt()).isEqualTo(20);
    assertThat(dbSpec.path("compositionSelector").path("matchLabels").path("provider").asText()).isEqualTo("azure");
    assertThat(dbSpec.path("writeConnectionSecretToRef").path("name").asText()).isEqualTo("db-conn");
    // Crossplane's default, from the XRD's defaultCompositeDeletePolicy (itself defaulted to Background).
    assertThat(dbSpec.path("compositeDeletePolicy").asText()).isEqualTo("Background");

    // What the XRD's schema forbids is refused by the API server.
    GenericKubernetesResource noCoolField = read(corpus("nop-pandt-claim.yaml"));
    noCoolField.getMetadata().setName("no-cool-field");
    ((Map<?, ?>) noCoolField.getAdditionalProperties().get("spec")).remove("coolField");
    assertThatThrownBy(() -> client.resource(noCoolField).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getMessage()).contains("coolField");
        });
    GenericKubernetesResource badPolicy = read(corpus("nop-pandt-claim.yaml"));
    badPolicy.getMetadata().setName("bad-policy");
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) badPolicy.getAdditionalProperties().get("spec");
    spec.put("compositeDeletePolicy", "Sideways");
    assertThatThrownBy(() -> client.resource(badPolicy).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getMessage())
            .contains("compositeDeletePolicy"));

    // An XR written directly: cluster-scoped, v1 fields under spec, the update policy defaulted.
    GenericKubernetesResource xr = Serialization.YAML.readValue("""
        apiVersion: nop.example.org/v1alpha1
        kind: XNopResource
        metadata: {name: direct-xr}
        spec:
          coolField: direct
          compositionRef: {name: xnopresources.nop.example.org}
          writeConnectionSecretToRef: {name: direct-xr, namespace: default}
        """, GenericKubernetesResource.class);
    JsonNode xrSpec = Serialization.JSON.valueToTree(client.resource(xr).create()).path("spec");
    assertThat(xrSpec.path("compositionRef").path("name").asText()).isEqualTo("xnopresources.nop.example.org");
    assertThat(xrSpec.path("compositionUpdatePolicy").asText()).isEqualTo("Automatic");
    assertThat(xrSpec.path("writeConnectionSecretToRef").path("namespace").asText()).isEqualTo("default");
  }

  @Test
  void v2NamespacedXrdDefinesANamespacedXrWithoutClaim() throws IOException {
    apply(read(RepoPaths.repo().resolve("examples/crossplane/app-xrd.yaml")));
    awaitCondition(APP, "Established", "True", "WatchingCompositeResource");
    assertThat(condition(APP, "Offered")).isNull();
    JsonNode status = Serialization.JSON.valueToTree(xrds().withName(APP).get()).path("status");
    assertThat(status.path("controllers").path("compositeResourceType").path("kind").asText()).isEqualTo("App");
    assertThat(status.path("controllers").has("compositeResourceClaimType")).isFalse();
    // Stored as v1 (the storage version), the scope given in v2 kept.
    assertThat(Serialization.JSON.valueToTree(xrds().withName(APP).get()).path("spec").path("scope").asText())
        .isEqualTo("Namespaced");
    assertThat(crd(APP).getSpec().getScope()).isEqualTo("Namespaced");

    GenericKubernetesResource app = apply(read(RepoPaths.repo().resolve("examples/crossplane/app.yaml")));
    JsonNode spec = Serialization.JSON.valueToTree(app).path("spec");
    assertThat(spec.path("image").asText()).isEqualTo("nginx");
    assertThat(spec.path("crossplane").path("compositionRef").path("name").asText()).isEqualTo("app-yaml");
    assertThat(spec.path("crossplane").path("compositionUpdatePolicy").asText()).isEqualTo("Automatic");
    client.resource(app).delete();

    // A change of the XRD reaches its CRD: a printer column of the XRD's own, before Crossplane's.
    GenericKubernetesResource changed = read(RepoPaths.repo().resolve("examples/crossplane/app-xrd.yaml"));
    ObjectNode xrdSpec = Serialization.JSON.valueToTree(changed.getAdditionalProperties().get("spec"));
    ((ObjectNode) xrdSpec.path("versions").get(0)).putArray("additionalPrinterColumns").addObject()
        .put("name", "IMAGE").put("type", "string").put("jsonPath", ".spec.image");
    changed.getAdditionalProperties().put("spec", Serialization.JSON.convertValue(xrdSpec, Map.class));
    apply(changed);
    await().atMost(Duration.ofSeconds(30)).until(() -> crd(APP).getSpec().getVersions().get(0)
        .getAdditionalPrinterColumns().stream().map(c -> c.getName()).toList(),
        columns -> columns.equals(List.of("IMAGE", "SYNCED", "READY", "COMPOSITION", "COMPOSITIONREVISION", "AGE")));
  }

  @Test
  void anXrdCrossplaneRefusesGetsAConditionAndAnEvent() throws IOException {
    GenericKubernetesResource bad = Serialization.YAML.readValue("""
        apiVersion: apiextensions.crossplane.io/v2
        kind: CompositeResourceDefinition
        metadata: {name: xbadclaims.xrdtest.example.org}
        spec:
          group: xrdtest.example.org
          names: {kind: XBadClaim, plural: xbadclaims}
          claimNames: {kind: BadClaim, plural: badclaims}
          versions:
            - name: v1
              served: true
              referenceable: true
              schema:
                openAPIV3Schema: {type: object, properties: {spec: {type: object}}}
        """, GenericKubernetesResource.class);
    apply(bad);
    JsonNode established = awaitCondition(BAD, "Established", "False", "ClaimsNotAllowed");
    assertThat(established.path("message").asText()).contains("LegacyCluster");
    awaitCondition(BAD, "Offered", "False", "ClaimsNotAllowed");
    assertThat(crd(BAD)).isNull();
    await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace("default").list().getItems()
        .stream().anyMatch(e -> BAD.equals(e.getInvolvedObject().getName())
            && "ClaimsNotAllowed".equals(e.getReason()) && "Warning".equals(e.getType())));
  }

  @Test
  void aCrdTarmacDidNotGenerateIsLeftAlone() throws IOException {
    CustomResourceDefinition foreign = TestCluster.openCrd("xrdtest.example.org", "XForeign", "xforeigns", "Cluster");
    client.resource(foreign).create();
    apply(Serialization.YAML.readValue("""
        apiVersion: apiextensions.crossplane.io/v1
        kind: CompositeResourceDefinition
        metadata: {name: xforeigns.xrdtest.example.org}
        spec:
          group: xrdtest.example.org
          names: {kind: XForeign, plural: xforeigns}
          versions:
            - name: v1
              served: true
              referenceable: true
              schema:
                openAPIV3Schema: {type: object, properties: {spec: {type: object}}}
        """, GenericKubernetesResource.class));
    JsonNode established = awaitCondition(NOT_OWNED, "Established", "False", "CrdNotOwned");
    assertThat(established.path("message").asText()).contains("not generated by Tarmac");
    CustomResourceDefinition after = crd(NOT_OWNED);
    assertThat(after.getMetadata().getLabels()).isNullOrEmpty();
    assertThat(after.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(after.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema()
        .getXKubernetesPreserveUnknownFields()).isTrue();
    // Deleting the XRD leaves the CRD it does not own.
    xrds().withName(NOT_OWNED).delete();
    await().atMost(Duration.ofSeconds(30)).until(() -> xrds().withName(NOT_OWNED).get() == null);
    assertThat(crd(NOT_OWNED)).isNotNull();
  }

  @Test
  void deletingAnXrdWaitsForItsClaimsThenStopsAndRemovesItsCrds() throws IOException {
    GenericKubernetesResource xrd = read(corpus("nop-pandt-xrd.yaml"));
    xrd.getMetadata().setName(HOLD);
    ObjectNode spec = Serialization.JSON.valueToTree(xrd.getAdditionalProperties().get("spec"));
    spec.put("group", "hold.example.org");
    spec.with("names").put("kind", "XHold").put("plural", "xholds");
    spec.with("claimNames").put("kind", "Hold").put("plural", "holds");
    xrd.getAdditionalProperties().put("spec", Serialization.JSON.convertValue(spec, Map.class));
    apply(xrd);
    awaitCondition(HOLD, "Offered", "True", "WatchingCompositeResourceClaim");
    String ns = TestCluster.get().newNamespace("hold");
    GenericKubernetesResource claim = Serialization.YAML.readValue("""
        apiVersion: hold.example.org/v1alpha1
        kind: Hold
        metadata:
          name: held
          finalizers: [xrd-test.tarmac.dev/hold]
        spec: {coolField: held}
        """, GenericKubernetesResource.class);
    claim.getMetadata().setNamespace(ns);
    client.resource(claim).create();

    xrds().withName(HOLD).delete();
    JsonNode waiting = awaitCondition(HOLD, "Established", "False",
        "TerminatingCompositeResource");
    assertThat(waiting.path("message").asText()).contains("1 Hold claim(s)");
    awaitCondition(HOLD, "Offered", "False", "TerminatingCompositeResourceClaim");
    // Crossplane deletes the claims of a deleted XRD; this one waits for its finalizer.
    GenericKubernetesResource held = client.genericKubernetesResources("hold.example.org/v1alpha1", "Hold")
        .inNamespace(ns).withName("held").get();
    assertThat(held.getMetadata().getDeletionTimestamp()).isNotNull();
    assertThat(calls).doesNotContain("stop xholds.hold.example.org");
    assertThat(crd("holds.hold.example.org")).isNotNull();

    held.getMetadata().setFinalizers(List.of());
    client.resource(held).update();
    await().atMost(Duration.ofSeconds(30)).until(() -> xrds().withName(HOLD).get() == null);
    assertThat(calls).contains("stop xholds.hold.example.org");
    await().atMost(Duration.ofSeconds(30)).until(() -> crd("holds.hold.example.org") == null
        && crd(HOLD) == null);
  }
}
