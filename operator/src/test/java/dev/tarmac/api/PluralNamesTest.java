package dev.tarmac.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.model.annotation.Plural;
import org.junit.jupiter.api.Test;

/**
 * Every Tarmac kind names its plural with {@link Plural}, the same as its CRD's {@code spec.names.plural}. Without
 * the annotation fabric8's {@code CustomResource} constructor derives it with regular expressions
 * ({@code Pluralize}) for every object it deserializes: 8 % of the operator's CPU samples while it listed 10,000
 * Components at start (JFR, issue 17 figure 4).
 */
class PluralNamesTest {

  @Test
  void everyKindNamesThePluralOfItsCrd() {
    assertThat(Crds.KINDS).allSatisfy(kind -> {
      Plural plural = kind.getAnnotation(Plural.class);
      assertThat(plural).as("%s has @Plural", kind.getSimpleName()).isNotNull();
      assertThat(plural.value()).as("%s", kind.getSimpleName())
          .isEqualTo(Crds.tree(kind).path("spec").path("names").path("plural").asText());
    });
  }
}
