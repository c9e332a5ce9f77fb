package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.crossplane.XrdKinds;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.trace.XrdNames;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Claims, XRs and Compositions as catalog entities, from objects written as CrossplaneFields describes them. */
class CrossplaneEntitiesTest {

  private final List<JsonNode> objects = new ArrayList<>();
  private JsonNode composition;
  private XrdKinds kinds;

  @BeforeEach
  void load() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/crossplane/trace-objects.yaml")) {
      Serialization.YAML.readValues(Serialization.YAML.getFactory().createParser(in), JsonNode.class).readAll()
          .forEach(objects::add);
    }
    composition = Serialization.YAML.readTree(Files.readString(RepoPaths.corpus()
        .resolve("crossplane/azure-postgres-composition.yaml")));
    kinds = XrdNames.kinds(Serialization.YAML.readTree(Files.readString(RepoPaths.corpus()
        .resolve("crossplane/azure-postgres-xrd.yaml")))).orElseThrow();
  }

  private ObjectNode object(String kind) {
    return (ObjectNode) objects.stream().filter(o -> o.path("kind").asText().equals(kind)).findFirst().orElseThrow()
        .deepCopy();
  }

  static List<String> relations(JsonNode e, String type) {
    List<String> out = new ArrayList<>();
    e.path("relations").forEach(r -> {
      if (r.path("type").asText().equals(type)) {
        out.add(r.path("targetRef").asText());
      }
    });
    return out;
  }

  @Test
  void aClaimIsAResourceThatDependsOnItsXrAndComposition() {
    ObjectNode e = CrossplaneEntities.map(object("PostgreSQLInstance"), kinds, true);

    assertThat(e.path("kind").asText()).isEqualTo("Resource");
    assertThat(e.path("metadata").path("namespace").asText()).isEqualTo("payments");
    assertThat(e.path("metadata").path("name").asText()).isEqualTo("orders-db");
    JsonNode spec = e.path("spec");
    assertThat(spec.path("type").asText()).isEqualTo("postgresqlinstance");
    assertThat(spec.path("composition").asText()).isEqualTo("azure-postgres");
    assertThat(spec.path("ready").asText()).isEqualTo("False");
    assertThat(spec.path("synced").asText()).isEqualTo("True");
    assertThat(spec.path("composite").asText()).isEqualTo("resource:payments/orders-db-7xk2p");
    assertThat(spec.path("parameters").toString()).isEqualTo("{\"parameters\":{\"storageGB\":20}}");
    assertThat(e.path("metadata").path("annotations").path(CrossplaneEntities.ROLE).asText()).isEqualTo("claim");
    assertThat(e.path("metadata").path("annotations").path(CrossplaneEntities.XRD).asText())
        .isEqualTo("xpostgresqlinstances.database.example.org");
    assertThat(relations(e, "dependsOn")).containsExactly("template:default/azure-postgres",
        "resource:payments/orders-db-7xk2p");
  }

  @Test
  void aClaimedClusterScopedXrSitsInItsClaimsNamespace() {
    ObjectNode e = CrossplaneEntities.map(object("XPostgreSQLInstance"), kinds, false);

    assertThat(e.path("metadata").path("namespace").asText()).isEqualTo("payments");
    assertThat(e.path("metadata").path("name").asText()).isEqualTo("orders-db-7xk2p");
    assertThat(e.path("spec").path("type").asText()).isEqualTo("xpostgresqlinstance");
    assertThat(e.path("spec").path("claim").asText()).isEqualTo("resource:payments/orders-db");
    assertThat(e.path("spec").path("parameters").has("claimRef")).isFalse();
    assertThat(e.path("spec").path("parameters").has("resourceRefs")).isFalse();
    assertThat(relations(e, "dependencyOf")).containsExactly("resource:payments/orders-db");
    assertThat(e.path("metadata").path("annotations").path("backstage.io/managed-by-location").asText())
        .isEqualTo("kubernetes:database.example.org/v1alpha1/XPostgreSQLInstance/orders-db-7xk2p");
  }

  @Test
  void xrsWithoutClaimsAndNamespacedXrs() throws Exception {
    ObjectNode xr = object("XPostgreSQLInstance");
    ((ObjectNode) xr.get("spec")).remove("claimRef");
    ((ObjectNode) xr.get("metadata")).remove("labels");
    ((ObjectNode) xr.get("status")).remove("tarmac");
    JsonNode e = CrossplaneEntities.map(xr, kinds, false);
    assertThat(e.path("metadata").path("namespace").asText()).isEqualTo("default");
    assertThat(relations(e, "dependencyOf")).isEmpty();
    assertThat(e.path("spec").path("composition").asText()).as("from spec.compositionRef").isEqualTo("azure-postgres");

    JsonNode v2 = Serialization.YAML.readTree("""
        apiVersion: example.org/v1
        kind: App
        metadata: {name: web, namespace: team-a}
        spec: {image: nginx, crossplane: {compositionRef: {name: app-k8s}}}
        """);
    e = CrossplaneEntities.map(v2, null, false);
    assertThat(e.path("metadata").path("namespace").asText()).isEqualTo("team-a");
    assertThat(e.path("spec").path("composition").asText()).isEqualTo("app-k8s");
    assertThat(e.path("spec").path("parameters").toString()).isEqualTo("{\"image\":\"nginx\"}");
  }

  @Test
  void anXrNamedAsItsClaimGetsASuffixSoTheTwoEntitiesStayApart() {
    ObjectNode claim = object("PostgreSQLInstance");
    ((ObjectNode) claim.path("spec").path("resourceRef")).put("name", "orders-db");
    ObjectNode xr = object("XPostgreSQLInstance");
    ((ObjectNode) xr.get("metadata")).put("name", "orders-db");
    assertThat(relations(CrossplaneEntities.map(claim, kinds, true), "dependsOn"))
        .contains("resource:payments/orders-db-xr");
    assertThat(CrossplaneEntities.map(xr, kinds, false).path("metadata").path("name").asText())
        .isEqualTo("orders-db-xr");
  }

  @Test
  void inTheIndexTheTeamOfTheNamespaceOwnsClaimAndXrAndRelationsResolveBothWays() throws Exception {
    CatalogIndex index = new CatalogIndex();
    ObjectNode claim = object("PostgreSQLInstance");
    ObjectNode xr = object("XPostgreSQLInstance");
    String name = composition.path("metadata").path("name").asText();
    ((ObjectNode) claim.get("spec")).putObject("compositionRef").put("name", name);
    ((ObjectNode) xr.path("status").path("tarmac")).put("composition", name);
    index.upsertEntities("claim", List.of(CrossplaneEntities.map(claim, kinds, true)));
    index.upsertEntities("xr", List.of(CrossplaneEntities.map(xr, kinds, false)));
    index.upsert("composition", composition, null);
    index.upsert("ns", Serialization.YAML.readTree("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: payments, labels: {platform.tarmac.dev/team: team-payments}}
        """), null);
    var s = index.rebuild();

    ObjectNode c = s.byRef().get("resource:payments/orders-db");
    ObjectNode x = s.byRef().get("resource:payments/orders-db-7xk2p");
    ObjectNode t = s.byRef().get("template:default/" + name);
    assertThat(c.path("spec").path("owner").asText()).isEqualTo("group:default/team-payments");
    assertThat(x.path("spec").path("owner").asText()).isEqualTo("group:default/team-payments");
    assertThat(relations(c, "dependsOn")).contains("resource:payments/orders-db-7xk2p", "template:default/" + name);
    assertThat(relations(x, "dependencyOf")).contains("resource:payments/orders-db");
    assertThat(relations(x, "dependsOn")).contains("template:default/" + name);
    assertThat(t.path("spec").path("type").asText()).isEqualTo("composition");
    assertThat(t.path("spec").path("compositeTypeRef").path("kind").asText()).isEqualTo("XPostgreSQLInstance");
    assertThat(relations(t, "dependencyOf")).contains("resource:payments/orders-db", "resource:payments/orders-db-7xk2p");
    assertThat(c.path("status").path("items").isMissingNode()).as("no dangling relations").isTrue();
    assertThat(x.path("status").path("items").isMissingNode()).isTrue();

    index.remove("xr");
    s = index.rebuild();
    assertThat(s.byRef()).doesNotContainKey("resource:payments/orders-db-7xk2p");
    assertThat(s.byRef().get("resource:payments/orders-db").path("status").path("items").toString())
        .contains("points to resource:payments/orders-db-7xk2p, which is not in the catalog");
  }

  @Test
  void anXrdWantsItsXrKindAndItsClaimKindOnceTheirCrdsAreServed() throws Exception {
    ObjectNode xrd = (ObjectNode) Serialization.YAML.readTree(Files.readString(RepoPaths.corpus()
        .resolve("crossplane/nop-pandt-xrd.yaml")));
    List<XrdKindInformers.Wanted> wanted = XrdKindInformers.wanted(xrd);
    assertThat(wanted).extracting(XrdKindInformers.Wanted::source)
        .containsExactly("xnopresources.nop.example.org/xr", "xnopresources.nop.example.org/claim");
    var xrKind = wanted.get(0).kind().orElseThrow();
    assertThat(xrKind.getKind()).isEqualTo("XNopResource");
    assertThat(xrKind.getPlural()).isEqualTo("xnopresources");
    assertThat(xrKind.getVersion()).isEqualTo("v1alpha1");
    assertThat(xrKind.isNamespaceScoped()).isFalse();
    var claimKind = wanted.get(1).kind().orElseThrow();
    assertThat(claimKind.getKind()).isEqualTo("NopResource");
    assertThat(claimKind.isNamespaceScoped()).isTrue();

    xrd.putObject("status").putArray("conditions").addObject().put("type", "Offered").put("status", "False");
    wanted = XrdKindInformers.wanted(xrd);
    assertThat(wanted.get(0).kind()).isPresent();
    assertThat(wanted.get(1).kind()).as("claim CRD not offered yet").isEmpty();

    ((ObjectNode) xrd.get("spec")).remove("claimNames");
    assertThat(XrdKindInformers.wanted(xrd).get(1).kinds().offersClaim()).isFalse();
  }
}
