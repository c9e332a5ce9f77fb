package dev.tarmac.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Label selector semantics from the Kubernetes "Labels and Selectors" document. */
class SelectorTest {

  private static Selector.Requirement req(String key, String op, String... values) {
    Selector.Requirement r = new Selector.Requirement();
    r.key = key;
    r.operator = op;
    r.values = List.of(values);
    return r;
  }

  @Test
  void emptySelectorMatchesEverything() {
    assertThat(new Selector().matches(Map.of("a", "b"))).isTrue();
    assertThat(new Selector().matches(null)).isTrue();
  }

  @Test
  void matchLabelsNeedsEveryPair() {
    Selector s = new Selector();
    s.matchLabels = Map.of("environment", "dev", "team", "a");
    assertThat(s.matches(Map.of("environment", "dev", "team", "a", "extra", "x"))).isTrue();
    assertThat(s.matches(Map.of("environment", "dev"))).isFalse();
    assertThat(s.matches(Map.of("environment", "prod", "team", "a"))).isFalse();
  }

  @Test
  void setBasedOperators() {
    Selector s = new Selector();
    s.matchExpressions = List.of(req("environment", "In", "dev", "qa"), req("tier", "NotIn", "frontend"),
        req("zone", "Exists"), req("legacy", "DoesNotExist"));
    assertThat(s.matches(Map.of("environment", "qa", "zone", "z1"))).isTrue();
    assertThat(s.matches(Map.of("environment", "qa", "zone", "z1", "tier", "frontend"))).isFalse();
    assertThat(s.matches(Map.of("environment", "prod", "zone", "z1"))).isFalse();
    assertThat(s.matches(Map.of("environment", "dev"))).isFalse();
    assertThat(s.matches(Map.of("environment", "dev", "zone", "z", "legacy", "y"))).isFalse();
  }

  @Test
  void unknownOperatorMatchesNothing() {
    Selector s = new Selector();
    s.matchExpressions = List.of(req("a", "Gt", "1"));
    assertThat(s.matches(Map.of("a", "2"))).isFalse();
  }
}
