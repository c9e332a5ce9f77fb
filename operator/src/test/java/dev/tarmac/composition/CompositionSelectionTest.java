package dev.tarmac.composition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Composition;
import dev.tarmac.api.Database;
import dev.tarmac.api.Serialization;
import org.junit.jupiter.api.Test;

/** Which claims a Composition's change reaches. */
class CompositionSelectionTest {

  static Composition composition(String name, String labels) throws Exception {
    return Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: %s, labels: %s}
        spec: {compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}}
        """.formatted(name, labels), Composition.class);
  }

  static Database claim(String spec) throws Exception {
    return Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: orders, namespace: shop}
        spec: %s
        """.formatted(spec), Database.class);
  }

  @Test
  void aClaimIsAffectedByTheCompositionItsStatusRecordsEvenWhenItNoLongerMatches() throws Exception {
    Database db = claim("{engine: postgresql, compositionSelector: {matchLabels: {tier: gold}}}");
    db.setStatus(new Database.Status());
    db.getStatus().compositionName = "gold-pg";
    // The label that selected it is gone: the claim must hear of it to select again.
    assertThat(CompositionSelection.affects(composition("gold-pg", "{}"), db)).isTrue();
    assertThat(CompositionSelection.affects(composition("silver-pg", "{}"), db)).isFalse();
  }

  @Test
  void aRefIsAffectedOnlyByTheCompositionItNames() throws Exception {
    Database db = claim("{engine: postgresql, compositionRef: {name: pg}}");
    assertThat(CompositionSelection.affects(composition("pg", "{}"), db)).isTrue();
    assertThat(CompositionSelection.affects(
        composition("other", "{platform.tarmac.dev/default-for-engine: postgresql}"), db)).isFalse();
  }

  @Test
  void withoutARefTheSelectorOrTheEngineDefaultDecides() throws Exception {
    Database selecting = claim("{engine: postgresql, compositionSelector: {matchLabels: {tier: gold}}}");
    assertThat(CompositionSelection.affects(composition("a", "{tier: gold, provider: aws}"), selecting)).isTrue();
    assertThat(CompositionSelection.affects(composition("b", "{tier: silver}"), selecting)).isFalse();
    Database defaulted = claim("{engine: mysql}");
    assertThat(CompositionSelection.affects(
        composition("c", "{platform.tarmac.dev/default-for-engine: mysql}"), defaulted)).isTrue();
    assertThat(CompositionSelection.affects(
        composition("d", "{platform.tarmac.dev/default-for-engine: postgresql}"), defaulted)).isFalse();
  }
}
