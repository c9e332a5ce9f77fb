package dev.tarmac.insights.cost;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.catalog.CatalogIndex;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** status.cost in catalog entities and the costWithinBudget Scorecard check; no cluster. */
class CostCatalogTest {

  static JsonNode yaml(String s) throws Exception {
    return Serialization.YAML.readTree(s);
  }

  @Test
  void costFieldsReachEntitiesAndTheScorecardCheckReadsThem() throws Exception {
    CatalogIndex index = new CatalogIndex();
    for (String name : new String[] {"thrifty", "spendy", "unbudgeted"}) {
      index.upsert(name, yaml("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata: {name: %s, namespace: shop, uid: %s}
          spec: {type: service, lifecycle: production, owner: team-shop}
          """.formatted(name, name)), null);
    }
    index.scorecard("cost", yaml("""
        entityKinds: [Component]
        levels:
          - name: Gold
            checks: [{name: cost-within-budget, costWithinBudget: true}]
        """));
    index.statusField("cost", Map.of(
        "component:shop/thrifty", yaml("{currency: USD, monthly: 10.5, team: team-shop, budget: 50, withinBudget: true}"),
        "component:shop/spendy", yaml("{currency: USD, monthly: 90, team: team-shop, budget: 50, withinBudget: false}"),
        "component:shop/unbudgeted", yaml("{currency: USD, monthly: 1, team: team-shop}")));
    var snapshot = index.rebuild();
    JsonNode thrifty = snapshot.byRef().get("component:shop/thrifty");
    assertThat(thrifty.path("status").path("cost").path("monthly").asDouble()).isEqualTo(10.5);
    assertThat(snapshot.scorecards().get("component:shop/thrifty").get(0).level()).isEqualTo("Gold");
    assertThat(snapshot.scorecards().get("component:shop/spendy").get(0).level()).isEqualTo("None");
    assertThat(snapshot.scorecards().get("component:shop/unbudgeted").get(0).failed())
        .containsExactly("cost-within-budget");
    // Removing the field (no CostModel any more) is a change: the entities lose it at the next rebuild.
    assertThat(index.dirty()).isFalse();
    index.statusField("cost", null);
    assertThat(index.dirty()).isTrue();
    assertThat(index.rebuild().byRef().get("component:shop/thrifty").path("status").has("cost")).isFalse();
  }
}
