package dev.tarmac.insights.cost;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.CostModel;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Budgets from namespaces, standings, and which CostModel is in effect; no cluster. */
class BudgetsTest {

  static JsonNode ns(String name, String team, String budget) {
    var meta = Serialization.JSON.createObjectNode().putObject("metadata").put("name", name);
    if (team != null) {
      meta.putObject("labels").put("platform.tarmac.dev/team", team);
    }
    if (budget != null) {
      meta.putObject("annotations").put(Budgets.ANNOTATION, budget);
    }
    return Serialization.JSON.createObjectNode().set("metadata", meta);
  }

  @Test
  void theLowestBudgetOfATeamAppliesAndBadValuesAreReported() {
    Budgets.Read read = Budgets.read(List.of(ns("payments", "team-payments", "500"),
        ns("payments-prod", "team-payments", "300.50"), ns("search", "team-search", "lots"),
        ns("scratch", null, "10"), ns("web", "team-web", "-1"), ns("plain", "team-plain", null)));
    assertThat(read.byTeam()).containsOnlyKeys("team-payments");
    assertThat(read.byTeam().get("team-payments").amount()).isEqualTo(300.50);
    assertThat(read.byTeam().get("team-payments").namespace()).isEqualTo("payments-prod");
    assertThat(read.problems()).extracting(Budgets.Problem::namespace).containsExactly("search", "scratch", "web");
    assertThat(read.problems().get(0).message()).contains("'lots'", "e.g. \"500\"");
    assertThat(read.problems().get(1).message()).contains("no team label");
  }

  @Test
  void standings() {
    var budgets = Budgets.read(List.of(ns("a", "team-a", "100"), ns("b", "team-b", "0"), ns("c", "team-c", "50")))
        .byTeam();
    var s = Budgets.standings(Map.of("team-a", 100.004, "team-b", 1.0, "team-d", 7.0), budgets);
    assertThat(s.get("team-a").over()).as("equal to the cent is within").isFalse();
    assertThat(s.get("team-a").ratio()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-3));
    assertThat(s.get("team-b").over()).isTrue();
    assertThat(s.get("team-b").ratio()).isInfinite();
    assertThat(s.get("team-c").monthly()).isZero();
    assertThat(s.get("team-c").over()).isFalse();
    assertThat(s.get("team-d").budget()).isNull();
    assertThat(s.get("team-d").ratio()).isNull();
    assertThat(s.get("team-b").message("EUR")).contains("1.00 EUR", "over its budget of 0.00 EUR", "namespace b");
  }

  static CostModel model(String name, String created) {
    CostModel m = new CostModel();
    m.setMetadata(new ObjectMetaBuilder().withName(name).withCreationTimestamp(created).build());
    return m;
  }

  @Test
  void theCostModelNamedDefaultIsInEffectElseTheOldest() {
    assertThat(CostController.inEffect(List.of(model("b", "2026-01-02T00:00:00Z"), model("a",
        "2026-01-03T00:00:00Z"), model("default", "2026-01-04T00:00:00Z"))).orElseThrow().getMetadata().getName())
        .isEqualTo("default");
    assertThat(CostController.inEffect(List.of(model("b", "2026-01-02T00:00:00Z"), model("a",
        "2026-01-03T00:00:00Z"))).orElseThrow().getMetadata().getName()).isEqualTo("b");
    assertThat(CostController.inEffect(List.of())).isEmpty();
  }
}
