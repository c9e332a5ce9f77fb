package dev.tarmac.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The tree of a claim and an XR, built from objects written as the contract (CrossplaneFields) describes them. */
class CrossplaneTraceTest {

  private final Map<String, JsonNode> objects = new HashMap<>();

  @BeforeEach
  void load() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/crossplane/trace-objects.yaml")) {
      var parser = Serialization.YAML.getFactory().createParser(in);
      Serialization.YAML.readValues(parser, JsonNode.class).readAll().forEach(this::put);
    }
  }

  private void put(JsonNode o) {
    objects.put(key(o.path("apiVersion").asText(), o.path("kind").asText(),
        o.path("metadata").path("namespace").asText(null), o.path("metadata").path("name").asText()), o);
  }

  private static String key(String apiVersion, String kind, String namespace, String name) {
    return apiVersion + "|" + kind + "|" + (namespace == null ? "" : namespace) + "|" + name;
  }

  private JsonNode get(String apiVersion, String kind, String namespace, String name) {
    return objects.get(key(apiVersion, kind, namespace, name));
  }

  private JsonNode object(String kind, String namespace, String name) {
    return objects.values().stream().filter(o -> o.path("kind").asText().equals(kind)
        && o.path("metadata").path("name").asText().equals(name)
        && (namespace == null || namespace.equals(o.path("metadata").path("namespace").asText()))).findFirst()
        .orElseThrow();
  }

  @Test
  void claimToXrToComposedResourcesToConnectionSecret() {
    TraceNode root = CrossplaneTrace.claim(object("PostgreSQLInstance", "payments", "orders-db"), false, this::get);

    assertThat(TraceRenderer.table(root, false)).isEqualTo("""
        NAME                                                  SYNCED   READY       DETAIL                                              STATUS
        PostgreSQLInstance/orders-db (payments)               True     False                                                           Waiting: ...resource claim is waiting for composite resource to become Ready
        ├─ XPostgreSQLInstance/orders-db-7xk2p                True     False       Composition azure-postgres                          Creating: Unready resources: server
        │  ├─ ConfigMap/orders-db-7xk2p-settings (payments)   -        True        Cluster, resource settings                          Available
        │  ├─ PostgreSQLServer/orders-db-7xk2p-server         -        False       Git (Work orders-db-7xk2p), resource server         NotPublished: ...Destinations of Work payments/orders-db-7xk2p, not published yet
        │  │  └─ Work/orders-db-7xk2p (payments)              -        False       1 files                                             Pending: waiting for the commit to Destination dev
        │  │     ├─ Destination/dev                           -        Pending     path payments/orders-db-7xk2p
        │  │     └─ Destination/prod                          -        Published   path payments/orders-db-7xk2p
        │  │        └─ Commit/4f2a9c1                         -        -           in GitStateStore fleet-repo
        │  └─ Secret/0b1c2d3e-orders-db (crossplane-system)   -        False                                                           NotFound: connection Secret not written yet
        └─ Secret/orders-db-conn (payments)                   -        True        connection Secret, keys: username, password, host   Exists
        """);
  }

  @Test
  void wideShowsWholeMessagesAndJsonCarriesNoSecretValues() throws Exception {
    ((ObjectNode) object("Secret", "payments", "orders-db-conn").path("data")).put("password", "czNjcjN0");
    TraceNode root = CrossplaneTrace.claim(object("PostgreSQLInstance", "payments", "orders-db"), false, this::get);

    String wide = TraceRenderer.table(root, true);
    assertThat(wide).contains("Waiting: Composite resource claim is waiting for composite resource to become Ready")
        .contains("NotPublished: the cluster does not serve dbforpostgresql.azure.upbound.io/v1beta1"
            + " PostgreSQLServer; written to the Destinations of Work payments/orders-db-7xk2p, not published yet");
    String json = Serialization.JSON.writeValueAsString(root);
    assertThat(json).contains("\"synced\":\"True\"").contains("keys: username, password, host")
        .doesNotContain("czNjcjN0");
    assertThat(root.failing()).isTrue();
  }

  @Test
  void anXrWithoutStatusTarmacIsTracedThroughItsResourceRefs() {
    ObjectNode xr = (ObjectNode) object("XPostgreSQLInstance", null, "orders-db-7xk2p").deepCopy();
    ((ObjectNode) xr.get("status")).remove("tarmac");
    ((ObjectNode) xr.get("spec")).withArray("resourceRefs").addObject().put("apiVersion", "v1")
        .put("kind", "ConfigMap").put("namespace", "payments").put("name", "gone");

    TraceNode root = CrossplaneTrace.composite(xr, this::get);

    assertThat(root.detail).isEqualTo("Composition azure-postgres");
    assertThat(root.children).extracting(n -> n.kind + "/" + n.name + " " + n.status + " " + n.detail)
        .containsExactly("ConfigMap/orders-db-7xk2p-settings null Cluster",
            "ConfigMap/gone False null",
            "Secret/0b1c2d3e-orders-db False null");
    assertThat(root.children.get(1).message).isEqualTo("named in the XR's resourceRefs but not in the cluster");
  }

  @Test
  void aV2NamespacedXrKeepsItsFieldsUnderSpecCrossplane() throws Exception {
    JsonNode xr = Serialization.YAML.readTree("""
        apiVersion: example.org/v1
        kind: App
        metadata: {name: web, namespace: team-a}
        spec:
          crossplane:
            compositionRef: {name: app-k8s}
            resourceRefs:
            - {apiVersion: v1, kind: ConfigMap, name: orders-db-7xk2p-settings}
        status:
          conditions:
          - {type: Synced, status: "False", reason: ReconcileError, message: "cannot compose: boom"}
          - {type: Ready, status: "True", reason: Available}
        """);
    ((ObjectNode) object("ConfigMap", "payments", "orders-db-7xk2p-settings").path("metadata"))
        .put("namespace", "team-a");
    put(object("ConfigMap", "team-a", "orders-db-7xk2p-settings"));

    TraceNode root = CrossplaneTrace.composite(xr, this::get);

    assertThat(root.synced).isEqualTo("False");
    assertThat(root.status).isEqualTo("True");
    assertThat(root.reason).as("the condition that is not True is the one shown").isEqualTo("ReconcileError");
    assertThat(root.detail).isEqualTo("Composition app-k8s");
    assertThat(root.children).singleElement().satisfies(n -> {
      assertThat(n.namespace).as("resourceRefs without a namespace are in the XR's").isEqualTo("team-a");
      assertThat(n.detail).isEqualTo("Cluster");
    });
  }

  @Test
  void aClaimWhoseXrIsMissingOrNotCreatedSaysSo() {
    ObjectNode claim = (ObjectNode) object("PostgreSQLInstance", "payments", "orders-db").deepCopy();
    ((ObjectNode) claim.path("spec").path("resourceRef")).put("name", "orders-db-gone");
    TraceNode root = CrossplaneTrace.claim(claim, false, this::get);
    assertThat(root.children.get(0).reason).isEqualTo("NotFound");
    assertThat(root.children.get(0).name).isEqualTo("orders-db-gone");

    ((ObjectNode) claim.get("spec")).remove("resourceRef");
    ((ObjectNode) claim).remove("status");
    root = CrossplaneTrace.claim(claim, false, this::get);
    assertThat(root.synced).isEqualTo("-");
    assertThat(root.children.get(0).message).contains("no spec.resourceRef yet");
  }
}
