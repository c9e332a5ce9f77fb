package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which entities a caller sees, decided once per (group, kind, namespace), with no cluster. */
class EntityVisibilityTest {

  CatalogIndex index;
  CatalogIndex.Snapshot s;

  static JsonNode yaml(String s) throws Exception {
    return Serialization.YAML.readTree(s);
  }

  @BeforeEach
  void fill() throws Exception {
    index = new CatalogIndex();
    for (String ns : List.of("team-a", "team-b")) {
      for (int i = 0; i < 3; i++) {
        index.upsert("c" + ns + i, yaml("""
            apiVersion: platform.tarmac.dev/v1alpha1
            kind: Component
            metadata: {name: svc-%2$d, namespace: %1$s, uid: %1$s-c%2$d}
            spec: {type: service, lifecycle: production, owner: shared-team, system: shop}
            """.formatted(ns, i)), null);
      }
      index.upsert("r" + ns, yaml("""
          apiVersion: marketplace.tarmac.dev/v1
          kind: Redis
          metadata: {name: cache, namespace: %s, uid: %s-r}
          spec: {size: small}
          """.formatted(ns, ns)), "redis");
    }
    index.upsert("ns", yaml("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: team-a, uid: ns-a, labels: {platform.tarmac.dev/team: team-a}}
        """), null);
    index.upsert("t", yaml("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Template
        metadata: {name: go-service, uid: t1}
        spec: {owner: group:default/platform, type: service}
        """), null);
    s = index.rebuild();
  }

  @Test
  void theSourceIsTheObjectTheMapperNamedAndDerivedEntitiesArePublic() {
    assertThat(EntityVisibility.sourceOf(s.byRef().get("component:team-a/svc-0")))
        .isEqualTo(new EntityVisibility.Source("platform.tarmac.dev/v1alpha1", "Component", "team-a"));
    assertThat(EntityVisibility.sourceOf(s.byRef().get("resource:team-b/cache")).group())
        .isEqualTo("marketplace.tarmac.dev");
    assertThat(EntityVisibility.sourceOf(s.byRef().get("template:default/go-service")))
        .as("cluster-scoped: namespace empty").isEqualTo(
            new EntityVisibility.Source("platform.tarmac.dev/v1alpha1", "Template", ""));
    assertThat(EntityVisibility.sourceOf(s.byRef().get("group:default/team-a")))
        .as("a Group from a Namespace").isEqualTo(EntityVisibility.Source.PUBLIC);
    assertThat(EntityVisibility.sourceOf(s.byRef().get("group:default/shared-team")))
        .as("a synthesized owner").isEqualTo(EntityVisibility.Source.PUBLIC);
    assertThat(EntityVisibility.sourceOf(s.byRef().get("system:default/shop"))).isEqualTo(
        EntityVisibility.Source.PUBLIC);
    assertThat(EntityVisibility.sourceOf(yaml0("{metadata: {annotations: {backstage.io/managed-by-location:"
        + " 'kubernetes:x'}}}")).kind()).as("malformed: matches no resource").isEqualTo("?");
  }

  @Test
  void aCallerOfOneNamespaceSeesItsEntitiesAndThePublicOnesAskingOncePerSource() {
    List<EntityVisibility.Source> asked = new ArrayList<>();
    EntityVisibility visibility = new EntityVisibility();
    EntityVisibility.Viewer viewer = visibility.viewer(src -> {
      asked.add(src);
      return src.namespace().equals("team-a");
    });
    BitSet visible = viewer.visible(s);
    List<String> refs = new ArrayList<>();
    visible.stream().forEach(i -> refs.add(CatalogIndex.ref(s.entities().get(i))));
    assertThat(refs).contains("component:team-a/svc-0", "component:team-a/svc-2", "resource:team-a/cache",
        "group:default/team-a", "group:default/shared-team", "system:default/shop")
        .noneMatch(r -> r.contains("team-b/")).doesNotContain("template:default/go-service");
    // Components and Redis in two namespaces, and the Template: five sources, five reviews, whatever the count.
    assertThat(asked).hasSize(5).doesNotHaveDuplicates();
    viewer.visible(s);
    viewer.sees(s.byRef().get("component:team-b/svc-1"));
    assertThat(asked).as("memoized for the request").hasSize(5);

    List<Integer> selected = CatalogQuery.select(s, CatalogQuery.parseFilters(List.of("kind=component")), null,
        null, visible);
    assertThat(selected).hasSize(3);
    assertThat(CatalogQuery.facets(s, CatalogQuery.select(s, List.of(), null, null, visible), List.of("kind"))
        .get("kind")).contains(java.util.Map.of("value", "Component", "count", 3));
  }

  @Test
  void relationsToHiddenEntitiesAreLeftOutOfWhatIsServed() {
    EntityVisibility.Viewer viewer = new EntityVisibility().viewer(src -> src.namespace().equals("team-a"));
    JsonNode group = s.byRef().get("group:default/shared-team");
    assertThat(group.path("relations").toString()).contains("component:team-b/svc-0");
    JsonNode served = viewer.redact(group, s);
    assertThat(served.path("relations").toString()).contains("component:team-a/svc-0")
        .doesNotContain("team-b");
    assertThat(group.path("relations").toString()).as("the snapshot is not changed").contains("team-b");
    JsonNode own = s.byRef().get("component:team-a/svc-0");
    assertThat(viewer.redact(own, s)).as("nothing hidden: the same instance").isSameAs(own);
    assertThat(new EntityVisibility().viewer(null).visible(s)).as("unrestricted: no filtering").isNull();
  }

  private static JsonNode yaml0(String s) {
    try {
      return yaml(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
