package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Backstage's published example catalogs (shared/corpus/backstage, unmodified) as the API server stores them, in the
 * catalog index, no cluster: the relations expected here are written by hand from Backstage's processing rules
 * (BuiltinKindsEntityProcessor: each reference parsed with the kind's default kind and the entity's own namespace;
 * both directions emitted; relations to missing entities kept on the side that names them), not from our output.
 */
class BackstageCatalogTest {

  private static CatalogIndex.Snapshot s;

  /**
   * The documents of every corpus catalog file, each as the API server stores it after a client-side
   * {@code kubectl apply -f}: namespace and uid set, Backstage's metadata fields dropped from metadata, the applied
   * document kept as JSON in the last-applied-configuration annotation.
   */
  static List<ObjectNode> corpusObjects() throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    Path root = RepoPaths.corpus().resolve("backstage");
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        for (JsonNode doc : Serialization.YAML.readValues(Serialization.YAML.createParser(f.toFile()),
            JsonNode.class).readAll()) {
          if (doc == null || !doc.isObject()) {
            continue;
          }
          ObjectNode o = (ObjectNode) doc.deepCopy();
          ObjectNode meta = (ObjectNode) o.get("metadata");
          if (!meta.has("namespace")) {
            meta.put("namespace", "default");
          }
          meta.put("uid", UUID.nameUUIDFromBytes((o.path("kind").asText() + meta).getBytes()).toString());
          String applied = doc.toString();
          for (String dropped : List.of("title", "description", "tags", "links")) {
            meta.remove(dropped);
          }
          meta.with("annotations").put(BackstageObjects.LAST_APPLIED, applied);
          out.add(o);
        }
      }
    }
    return out;
  }

  @BeforeAll
  static void index() throws IOException {
    CatalogIndex index = new CatalogIndex();
    for (ObjectNode o : corpusObjects()) {
      index.upsert(o.path("apiVersion").asText() + "/" + o.path("kind").asText() + "/"
          + o.path("metadata").path("namespace").asText() + "/" + o.path("metadata").path("name").asText(), o, null);
    }
    s = index.rebuild();
  }

  private static List<String> rel(String ref, String type) {
    ObjectNode e = s.byRef().get(ref);
    assertThat(e).as(ref).isNotNull();
    List<String> out = new ArrayList<>();
    e.path("relations").forEach(r -> {
      if (r.path("type").asText().equals(type)) {
        out.add(r.path("targetRef").asText());
      }
    });
    return out;
  }

  @Test
  void createAppExamples() {
    assertThat(rel("component:default/example-website", "ownedBy")).containsExactly("group:default/guests");
    assertThat(rel("component:default/example-website", "partOf")).containsExactly("system:default/examples");
    assertThat(rel("component:default/example-website", "providesApi")).containsExactly("api:default/example-grpc-api");
    assertThat(rel("api:default/example-grpc-api", "apiProvidedBy")).containsExactly("component:default/example-website");
    assertThat(rel("api:default/example-grpc-api", "partOf")).containsExactly("system:default/examples");
    assertThat(rel("system:default/examples", "hasPart")).containsExactly("api:default/example-grpc-api",
        "component:default/example-website");
    assertThat(rel("user:default/guest", "memberOf")).containsExactly("group:default/guests");
    assertThat(rel("group:default/guests", "hasMember")).containsExactly("user:default/guest");
    assertThat(rel("group:default/guests", "ownerOf")).containsExactly("api:default/example-grpc-api",
        "component:default/example-website", "system:default/examples");
    // The scaffolder Template's owner is user:guest: kind kept, namespace defaulted.
    assertThat(rel("template:default/example-nodejs-template", "ownedBy")).containsExactly("user:default/guest");
    assertThat(rel("user:default/guest", "ownerOf")).containsExactly("template:default/example-nodejs-template");
  }

  @Test
  void demoKeepsReferencesToEntitiesDefinedElsewhere() {
    // owner: backstage/maintainers is namespace "backstage", name "maintainers"; no such Group here, none made up.
    assertThat(rel("component:default/backstage-demo", "ownedBy")).containsExactly("group:backstage/maintainers");
    assertThat(rel("component:default/backstage-demo", "consumesApi")).containsExactly("api:default/demo-graphql");
    // spec.apiConsumedBy is no field Backstage reads: only the Component's consumesApis makes the relation.
    assertThat(rel("api:default/demo-graphql", "apiConsumedBy")).containsExactly("component:default/backstage-demo");
    assertThat(s.byRef()).doesNotContainKey("group:backstage/maintainers");
    assertThat(rel("airesource:default/mui-to-bui-migration", "partOf")).containsExactly("system:default/backstage");
    assertThat(s.byRef().get("api:default/demo-graphql").path("spec").path("definition").path("$text").asText())
        .isEqualTo("https://demo.backstage.io/api/graphql/schema");
  }

  @Test
  void janusShowcase() {
    assertThat(rel("component:default/backstage-showcase", "dependsOn")).containsExactly("resource:default/argocd",
        "resource:default/github", "resource:default/keycloak", "resource:default/obc", "resource:default/pgdb");
    assertThat(rel("resource:default/pgdb", "dependencyOf")).containsExactly("component:default/backstage-showcase");
    assertThat(rel("system:default/janus-idp", "hasPart")).containsExactly("api:default/nexus-repo-manager3",
        "api:default/petstore", "component:default/backstage-showcase", "resource:default/argocd",
        "resource:default/github", "resource:default/keycloak", "resource:default/obc", "resource:default/pgdb");
    // A System and a Component both named rhdh: two entities, the Component part of the System.
    assertThat(rel("component:default/rhdh", "partOf")).containsExactly("system:default/rhdh");
    assertThat(rel("system:default/rhdh", "hasPart")).containsExactly("component:default/rhdh");
    assertThat(rel("group:default/rhdh-team", "ownerOf")).containsExactly("component:default/rhdh",
        "system:default/rhdh");
    ObjectNode system = s.byRef().get("system:default/rhdh");
    // Title, tags and links are in the YAML as Backstage has them: the index serves them.
    assertThat(system.path("metadata").path("title").asText()).isEqualTo("Red Hat Developer Hub");
    assertThat(system.path("metadata").path("tags").toString()).isEqualTo("[\"backstage\",\"rhdh\"]");
    assertThat(system.path("metadata").path("links")).hasSize(5);
    assertThat(s.byRef().get("location:default/entities").path("spec").path("targets")).hasSize(5);
  }

  @Test
  void portefaixGroupsDomainsAndAFailedParentLink() {
    assertThat(rel("group:portefaix/org-portefaix", "parentOf")).containsExactly("group:portefaix/bu-engineering");
    assertThat(rel("group:portefaix/bu-engineering", "childOf")).containsExactly("group:portefaix/org-portefaix");
    // children: [team-infra, team-dev] resolve in the portefaix namespace; team-dev lives in default.
    assertThat(rel("group:portefaix/bu-engineering", "parentOf")).containsExactly("group:portefaix/team-dev",
        "group:portefaix/team-infra");
    assertThat(rel("group:portefaix/team-infra", "childOf")).containsExactly("group:portefaix/bu-engineering");
    assertThat(rel("group:default/team-dev", "childOf")).containsExactly("group:default/bu-engineering");
    assertThat(rel("domain:portefaix/platform", "ownedBy")).containsExactly("group:portefaix/team-infra");
    assertThat(rel("domain:portefaix/sre", "hasPart")).containsExactly("system:portefaix/continuous-delivery",
        "system:portefaix/observability");
    assertThat(rel("system:portefaix/software-catalog", "partOf")).containsExactly("domain:portefaix/platform");
    assertThat(rel("group:portefaix/team-infra", "ownerOf")).containsExactly("domain:portefaix/platform",
        "domain:portefaix/sre", "domain:portefaix/tools", "system:portefaix/continuous-delivery",
        "system:portefaix/observability", "system:portefaix/software-catalog");
  }

  @Test
  void predicatesOverTheCorpus() {
    assertThat(refs(query("{\"kind\":\"group\",\"metadata.namespace\":\"portefaix\"}")))
        .containsExactly("group:portefaix/bu-engineering", "group:portefaix/org-portefaix",
            "group:portefaix/team-infra");
    assertThat(refs(query("{\"$all\":[{\"kind\":\"resource\"},{\"$not\":{\"spec.type\":{\"$in\":[\"database\","
        + "\"s3-bucket\"]}}}]}"))).containsExactly("resource:default/argocd", "resource:default/github",
        "resource:default/keycloak");
    assertThat(refs(query("{\"$any\":[{\"kind\":\"domain\"},{\"relations.memberOf\":\"group:default/guests\"}]}")))
        .containsExactly("domain:portefaix/platform", "domain:portefaix/sre", "domain:portefaix/tools",
            "user:default/guest");
    // Placeholders ($text, $openapi) are kept as data, not fetched: only an inline definition is a string.
    assertThat(refs(query("{\"kind\":\"api\",\"spec.definition\":{\"$exists\":false}}"))).containsExactly(
        "api:default/demo-graphql", "api:default/github-mcp-server", "api:default/nexus-repo-manager3",
        "api:default/petstore");
    assertThat(refs(query("{\"metadata.tags\":{\"$contains\":\"rhdh\"},\"kind\":\"system\"}")))
        .containsExactly("system:default/rhdh");
    assertThat(refs(query("{\"metadata.tags.rhdh\":true,\"kind\":\"component\"}")))
        .containsExactly("component:default/rhdh");
    assertThat(refs(query("{\"relations\":{\"$contains\":{\"type\":\"ownedBy\",\"targetRef\":"
        + "\"group:default/rhdh-team\"}}}"))).containsExactly("component:default/rhdh", "system:default/rhdh");
    assertThat(refs(query("{\"metadata.name\":{\"$hasPrefix\":\"ORG-\"}}")))
        .containsExactly("group:portefaix/org-portefaix");
    assertThatThrownBy(() -> CatalogPredicate.parse(Serialization.JSON.readTree("{\"$all\":{},\"kind\":\"x\"}")))
        .hasMessageContaining("operators must be a single $all or $any");
    assertThatThrownBy(() -> CatalogPredicate.parse(Serialization.JSON.readTree("{\"kind\":{\"$regex\":\"x\"}}")))
        .hasMessageContaining("Invalid filter predicate value for field \"kind\"");
  }

  @Test
  void facetsAreCountedPerValueAsWritten() {
    var sel = CatalogQuery.select(s, (CatalogPredicate) null, null, List.of(), null);
    var facets = CatalogQuery.facets(s, sel, List.of("kind", "spec.type"));
    assertThat(facets.get("kind")).contains(java.util.Map.of("value", "Group", "count", 7),
        java.util.Map.of("value", "Location", "count", 11));
    assertThat(facets.get("kind").get(0).get("value")).isEqualTo("API");
  }

  @Test
  void parsesReferencesAsBackstageDoes() {
    assertThat(BackstageObjects.parse("backstage/maintainers", "Group", "default").toString())
        .isEqualTo("group:backstage/maintainers");
    assertThat(BackstageObjects.parse("user:guest", "Group", "team-a").toString()).isEqualTo("user:team-a/guest");
    assertThat(BackstageObjects.parse("a/b:c", "Group", "default").toString()).isEqualTo("group:a/b:c");
    assertThat(BackstageObjects.parse("Component:Default/My_Service", null, "x").toString())
        .isEqualTo("component:default/My_Service");
    assertThatThrownBy(() -> BackstageObjects.parse("pgdb", null, "default")).hasMessageContaining("missing or"
        + " empty kind");
  }

  private static List<Integer> query(String predicate) {
    try {
      return CatalogQuery.select(s, CatalogPredicate.parse(Serialization.JSON.readTree(predicate)), null, List.of(),
          null);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> refs(List<Integer> selected) {
    return selected.stream().map(i -> CatalogIndex.displayRef(s.entities().get(i))).toList();
  }
}
