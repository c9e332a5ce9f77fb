package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.cli.ImportCatalogCommand;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code tarmac import catalog}'s rewrite and {@code /validate-entity}'s checks, no cluster. */
class BackstageImportAndValidationTest {

  private static ObjectNode yaml(String text) throws Exception {
    return (ObjectNode) Serialization.YAML.readTree(text);
  }

  @Test
  void importMovesMetadataIntoAnnotationsAndTheCatalogServesThemBack() throws Exception {
    ObjectNode doc = yaml("""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: My_Service
          title: Mine
          description: Does things
          tags: [java, payments]
          links: [{url: "https://example.com", title: Docs}]
        spec: {type: service, lifecycle: production, owner: Team_A}
        """);
    List<String> report = new ArrayList<>();
    ImportCatalogCommand.rewrite(doc, report);
    assertThat(report).hasSize(2);
    assertThat(report.get(1)).contains("renamed to my-service");
    assertThat(doc.path("metadata").path("name").asText()).isEqualTo("my-service");
    assertThat(doc.path("metadata").has("title")).isFalse();
    // As the API server stores it, then as the catalog serves it: Backstage's metadata again.
    doc.with("metadata").put("namespace", "default").put("uid", "u-1");
    ObjectNode entity = BackstageObjects.entity(doc);
    JsonNode meta = entity.path("metadata");
    assertThat(meta.path("name").asText()).isEqualTo("My_Service");
    assertThat(meta.path("title").asText()).isEqualTo("Mine");
    assertThat(meta.path("description").asText()).isEqualTo("Does things");
    assertThat(meta.path("tags").toString()).isEqualTo("[\"java\",\"payments\"]");
    assertThat(meta.path("links").get(0).path("title").asText()).isEqualTo("Docs");
    assertThat(meta.path("annotations").has(BackstageObjects.TITLE)).isFalse();
    assertThat(entity.path("relations").toString()).contains("group:default/Team_A");
    // Other kinds are left alone; a valid name is not renamed.
    ObjectNode other = yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: X_Y, title: t}}");
    ImportCatalogCommand.rewrite(other, report);
    assertThat(other.path("metadata").path("title").asText()).isEqualTo("t");
    assertThat(report).hasSize(2);
  }

  @Test
  void lastAppliedCopyCountsOnlyForTheSameObject() throws Exception {
    ObjectNode stored = yaml("""
        apiVersion: backstage.io/v1alpha1
        kind: System
        metadata:
          name: shop
          namespace: default
          uid: u-2
          annotations:
            kubectl.kubernetes.io/last-applied-configuration: '{"kind":"System","metadata":{"name":"other","title":"No"}}'
        spec: {owner: team-a}
        """);
    assertThat(BackstageObjects.entity(stored).path("metadata").has("title")).isFalse();
    stored.with("metadata").with("annotations").put(BackstageObjects.LAST_APPLIED,
        "{\"kind\":\"System\",\"metadata\":{\"name\":\"shop\",\"title\":\"Shop\"}}");
    assertThat(BackstageObjects.entity(stored).path("metadata").path("title").asText()).isEqualTo("Shop");
  }

  @Test
  void validatesEnvelopeNamesAndTheKindsSchema() throws Exception {
    assertThat(EntityValidation.problems(yaml("""
        {apiVersion: backstage.io/v1alpha1, kind: Component, metadata: {name: ok-name, tags: [java]},
         spec: {type: service, lifecycle: production, owner: team-a}}
        """))).isEmpty();
    assertThat(EntityValidation.problems(yaml("""
        {apiVersion: backstage.io/v1alpha1, kind: Component, metadata: {name: ok},
         spec: {type: service, lifecycle: production}}
        """))).singleElement().asString().contains("owner");
    assertThat(EntityValidation.problems(yaml("""
        {apiVersion: backstage.io/v1alpha1, kind: Group, metadata: {name: "bad name"}, spec: {type: t, children: []}}
        """))).singleElement().asString().contains("metadata.name");
    assertThat(EntityValidation.problems(yaml("""
        {apiVersion: backstage.io/v1alpha1, kind: API, metadata: {name: mcp},
         spec: {type: mcp-server, lifecycle: production, owner: a}}
        """))).singleElement().asString().contains("remotes");
    assertThat(EntityValidation.problems(yaml("""
        {apiVersion: backstage.io/v1alpha1, kind: API, metadata: {name: api},
         spec: {type: openapi, lifecycle: production, owner: a}}
        """))).singleElement().asString().contains("definition");
    assertThat(EntityValidation.problems(yaml("{apiVersion: example.com/v1, kind: Thing, metadata: {name: x}}")))
        .singleElement().asString().contains("Unsupported object");
  }
}
