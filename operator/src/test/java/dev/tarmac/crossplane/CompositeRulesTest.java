package dev.tarmac.crossplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.composition.CompositionException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure rules of XRs and claims: Composition choice, XR names, spec copy claim → XR, status copy XR → claim. */
class CompositeRulesTest {

  static final XrdKinds V1 = new XrdKinds("xdatabases.example.org", "example.org", "v1alpha1", "XDatabase",
      "xdatabases", XrdKinds.LEGACY_CLUSTER, "Database", "databases", List.of("username", "password"), null, null,
      null, null);

  static JsonNode yaml(String text) throws Exception {
    return Serialization.YAML.readTree(text);
  }

  static JsonNode composition(String name, String kind, String labels) throws Exception {
    return yaml("""
        apiVersion: apiextensions.crossplane.io/v1
        kind: Composition
        metadata: {name: %s, labels: %s}
        spec: {compositeTypeRef: {apiVersion: example.org/v1alpha1, kind: %s}, resources: []}
        """.formatted(name, labels, kind));
  }

  static JsonNode xr(String spec) throws Exception {
    return yaml("""
        apiVersion: example.org/v1alpha1
        kind: XDatabase
        metadata: {name: db-1, uid: 1234}
        spec: %s
        """.formatted(spec));
  }

  static XrdKinds with(String defaultRef, String enforcedRef) {
    return new XrdKinds(V1.xrdName(), V1.group(), V1.version(), V1.xrKind(), V1.xrPlural(), V1.scope(),
        V1.claimKind(), V1.claimPlural(), V1.connectionSecretKeys(), defaultRef, enforcedRef, null, null);
  }

  @Test
  void compositionRefNamesTheComposition() throws Exception {
    var all = List.of(composition("a", "XDatabase", "{}"), composition("b", "XDatabase", "{}"));
    var choice = CompositeRules.choose(xr("{compositionRef: {name: b}}"), V1, all);
    assertThat(choice.name()).isEqualTo("b");
    assertThat(choice.how()).isEqualTo("spec.compositionRef");
  }

  @Test
  void theEnforcedCompositionWinsOverTheXrsRef() throws Exception {
    var all = List.of(composition("a", "XDatabase", "{}"), composition("b", "XDatabase", "{}"));
    var choice = CompositeRules.choose(xr("{compositionRef: {name: b}}"), with(null, "a"), all);
    assertThat(choice.name()).isEqualTo("a");
  }

  @Test
  void aSelectorMatchingSeveralChoosesTheFirstByNameEveryTime() throws Exception {
    var all = List.of(composition("zeta", "XDatabase", "{provider: azure}"),
        composition("alpha", "XDatabase", "{provider: azure, tier: gold}"),
        composition("other-kind", "XBucket", "{provider: azure}"),
        composition("aws", "XDatabase", "{provider: aws}"));
    var choice = CompositeRules.choose(xr("{compositionSelector: {matchLabels: {provider: azure}}}"), V1, all);
    assertThat(choice.name()).isEqualTo("alpha");
    assertThat(choice.how()).contains("first by name of 2").contains("zeta");
    assertThat(CompositeRules.choose(xr("{compositionSelector: {matchLabels: {provider: azure}}}"), V1,
        List.of(all.get(0), all.get(1))).name()).isEqualTo("alpha");
  }

  @Test
  void aSelectorMatchingNothingSaysWhichLabelsWereWanted() throws Exception {
    var all = List.of(composition("aws", "XDatabase", "{provider: aws}"));
    assertThatThrownBy(() -> CompositeRules.choose(xr("{compositionSelector: {matchLabels: {provider: gcp}}}"), V1,
        all)).isInstanceOf(CompositionException.class).hasMessageContaining("provider=gcp")
        .satisfies(e -> assertThat(((CompositionException) e).reason()).isEqualTo("CompositionNotFound"));
  }

  @Test
  void theXrdsDefaultComesAfterRefAndSelector() throws Exception {
    var all = List.of(composition("a", "XDatabase", "{x: y}"), composition("b", "XDatabase", "{}"));
    assertThat(CompositeRules.choose(xr("{}"), with("b", null), all).name()).isEqualTo("b");
    assertThat(CompositeRules.choose(xr("{compositionSelector: {matchLabels: {x: y}}}"), with("b", null), all)
        .name()).isEqualTo("a");
  }

  @Test
  void theOnlyCompositionForTheTypeIsChosenAndSeveralWithoutAChoiceAreAmbiguous() throws Exception {
    var one = List.of(composition("a", "XDatabase", "{}"), composition("b", "XBucket", "{}"));
    assertThat(CompositeRules.choose(xr("{}"), V1, one).name()).isEqualTo("a");
    var two = List.of(composition("a", "XDatabase", "{}"), composition("c", "XDatabase", "{}"));
    assertThatThrownBy(() -> CompositeRules.choose(xr("{}"), V1, two)).isInstanceOf(CompositionException.class)
        .hasMessageContaining("a, c").hasMessageContaining("spec.compositionRef");
    assertThatThrownBy(() -> CompositeRules.choose(xr("{}"), V1, List.of(composition("b", "XBucket", "{}"))))
        .hasMessageContaining("no Composition has compositeTypeRef example.org/v1alpha1 XDatabase");
  }

  @Test
  void aNamedCompositionOfAnotherTypeOrMissingIsRefused() throws Exception {
    var all = List.of(composition("bucket", "XBucket", "{}"));
    assertThatThrownBy(() -> CompositeRules.choose(xr("{compositionRef: {name: bucket}}"), V1, all))
        .hasMessageContaining("composes XBucket").hasMessageContaining("not XDatabase");
    assertThatThrownBy(() -> CompositeRules.choose(xr("{compositionRef: {name: gone}}"), V1, all))
        .hasMessageContaining("Composition gone named by the XR's spec.compositionRef does not exist");
  }

  @Test
  void v2XrsKeepTheirRefUnderSpecCrossplane() throws Exception {
    XrdKinds v2 = new XrdKinds("xapps.example.org", "example.org", "v1alpha1", "XDatabase", "xdatabases",
        XrdKinds.NAMESPACED, null, null, List.of(), null, null, null, null);
    var all = List.of(composition("a", "XDatabase", "{}"), composition("b", "XDatabase", "{}"));
    var choice = CompositeRules.choose(xr("{crossplane: {compositionRef: {name: b}}, compositionRef: {name: a}}"),
        v2, all);
    assertThat(choice.name()).isEqualTo("b");
    assertThat(choice.how()).isEqualTo("spec.crossplane.compositionRef");
  }

  @Test
  void aCompositionChangeReachesTheXrsOfItsTypeAndThoseUsingIt() throws Exception {
    JsonNode using = xr("{compositionRef: {name: old-type}}");
    assertThat(CompositeRules.affects(composition("old-type", "XBucket", "{}"), using, V1)).isTrue();
    assertThat(CompositeRules.affects(composition("new", "XDatabase", "{}"), xr("{}"), V1)).isTrue();
    assertThat(CompositeRules.affects(composition("bucket", "XBucket", "{}"), xr("{}"), V1)).isFalse();
  }

  @Test
  void theXrNameIsDeterministicPerClaimAndDiffersAcrossNamespacesAndUids() {
    String a = CompositeRules.xrName("team-a", "my-db", "uid-1");
    assertThat(a).matches("my-db-[a-z0-9]{5}");
    assertThat(CompositeRules.xrName("team-a", "my-db", "uid-1")).isEqualTo(a);
    assertThat(CompositeRules.xrName("team-b", "my-db", "uid-1")).isNotEqualTo(a);
    assertThat(CompositeRules.xrName("team-a", "my-db", "uid-2")).isNotEqualTo(a);
    String longName = "x".repeat(63);
    assertThat(CompositeRules.xrName("ns", longName, "u")).hasSize(63);
  }

  @Test
  void composedNamesAreDnsNames() {
    assertThat(CompositeRules.composedName("my-db-abcde", "nop-resource-1")).isEqualTo("my-db-abcde-nop-resource-1");
    assertThat(CompositeRules.composedName("x", "Resource_Group")).isEqualTo("x-resource-group");
  }

  @Test
  void theClaimsSpecIsCopiedWithoutClaimOnlyFieldsAndKeepsWhatTheXrOwns() throws Exception {
    JsonNode claim = yaml("""
        apiVersion: example.org/v1alpha1
        kind: Database
        metadata: {name: my-db, namespace: team-a}
        spec:
          parameters: {storageGB: 20}
          compositionSelector: {matchLabels: {provider: azure}}
          writeConnectionSecretToRef: {name: db-conn}
          compositeDeletePolicy: Foreground
          resourceRef: {apiVersion: example.org/v1alpha1, kind: XDatabase, name: my-db-abcde}
        """);
    JsonNode existing = yaml("""
        parameters: {storageGB: 10}
        compositionRef: {name: chosen}
        resourceRefs: [{apiVersion: v1, kind: ConfigMap, name: c}]
        writeConnectionSecretToRef: {name: u1, namespace: team-a}
        """);
    ObjectNode spec = CompositeRules.xrSpec(claim, existing);
    assertThat(spec.path("parameters").path("storageGB").asInt()).isEqualTo(20);
    assertThat(spec.has("compositeDeletePolicy")).isFalse();
    assertThat(spec.has("resourceRef")).isFalse();
    assertThat(spec.path("writeConnectionSecretToRef").path("name").asText()).isEqualTo("u1");
    assertThat(spec.path("compositionRef").path("name").asText()).isEqualTo("chosen");
    assertThat(spec.path("resourceRefs")).hasSize(1);
    assertThat(spec.path("compositionSelector").path("matchLabels").path("provider").asText()).isEqualTo("azure");
    assertThat(spec.path("claimRef")).isEqualTo(yaml("""
        {apiVersion: example.org/v1alpha1, kind: Database, namespace: team-a, name: my-db}
        """));
    // A new XR: nothing kept, no connection Secret of its own yet.
    ObjectNode fresh = CompositeRules.xrSpec(claim, null);
    assertThat(fresh.has("writeConnectionSecretToRef")).isFalse();
    assertThat(fresh.has("compositionRef")).isFalse();
  }

  @Test
  void theClaimGetsTheXrsStatusFieldsAndReadyButKeepsItsSynced() throws Exception {
    JsonNode xrStatus = yaml("""
        coolerField: I'M COOL!
        tarmac: {composition: c}
        conditions:
          - {type: Synced, status: "False", reason: ReconcileError, message: xr}
          - {type: Ready, status: "True", reason: Available, message: ok}
        """);
    JsonNode claimStatus = yaml("""
        old: kept
        conditions:
          - {type: Synced, status: "True", reason: ReconcileSuccess, message: claim}
          - {type: Ready, status: "False", reason: Creating, message: waiting}
        """);
    ObjectNode out = CompositeRules.claimStatus(xrStatus, claimStatus);
    assertThat(out.path("coolerField").asText()).isEqualTo("I'M COOL!");
    assertThat(out.path("old").asText()).isEqualTo("kept");
    assertThat(out.path("tarmac").path("composition").asText()).isEqualTo("c");
    assertThat(out.path("conditions")).hasSize(2);
    assertThat(out.path("conditions").get(0).path("message").asText()).isEqualTo("claim");
    assertThat(out.path("conditions").get(1).path("reason").asText()).isEqualTo("Available");
  }

  @Test
  void connectionKeysAreFilteredByTheXrdsList() {
    assertThat(CompositeRules.connectionKeys(Map.of("username", "u", "password", "p", "host", "h"),
        List.of("username", "password"))).containsOnlyKeys("username", "password");
    assertThat(CompositeRules.connectionKeys(Map.of("host", "h"), List.of())).containsOnlyKeys("host");
  }

  @Test
  void readinessWaitsForClusterResourcesAndThePublishedWorkAndNamesAWorkProblem() {
    var published = new dev.tarmac.composition.Composer.Publication(true, "Published", "in Git");
    var writing = new dev.tarmac.composition.Composer.Publication(false, "Writing", "writing Work w");
    var nowhere = new dev.tarmac.composition.Composer.Publication(false, "NoMatchingDestination", "Work w: none");
    assertThat(CompositeRules.readiness(List.of(), published, "1 written to Git by Work ns/w"))
        .isEqualTo(new CompositeRules.Readiness(true, "Available",
            "every composed resource is ready (1 written to Git by Work ns/w, counted ready once published)"));
    assertThat(CompositeRules.readiness(List.of(), null, null).reason()).isEqualTo("Available");
    var creating = CompositeRules.readiness(List.of("ConfigMap c: not created yet"), writing, "1");
    assertThat(creating.ready()).isFalse();
    assertThat(creating.reason()).isEqualTo("Creating");
    assertThat(creating.message()).isEqualTo("waiting for ConfigMap c: not created yet; writing Work w");
    assertThat(CompositeRules.readiness(List.of("ConfigMap c: x"), nowhere, "1"))
        .isEqualTo(new CompositeRules.Readiness(false, "Unavailable", "Work w: none"));
  }

  @Test
  void aClaimIsBoundOnlyToAnXrWhoseClaimRefNamesIt() throws Exception {
    JsonNode claim = yaml("metadata: {name: db, namespace: team-a}");
    assertThat(CompositeRules.claimOwns(claim, xr("{claimRef: {namespace: team-a, name: db}}"))).isTrue();
    assertThat(CompositeRules.claimOwns(claim, xr("{claimRef: {namespace: team-b, name: db}}"))).isFalse();
    assertThat(CompositeRules.claimOwns(claim, xr("{claimRef: {namespace: team-a, name: other}}"))).isFalse();
    // A platform team's standalone XR: a tenant's claim naming it in spec.resourceRef does not take it over.
    assertThat(CompositeRules.claimOwns(claim, xr("{parameters: {size: large}}"))).isFalse();
  }
}
