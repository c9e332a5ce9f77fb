package dev.tarmac.insights.dora;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Component;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which Component changes DORA looks at again; pure, no cluster. */
class DoraEngineTest {

  private static Component component(long generation, Map<String, String> annotations, String repositoryUrl,
      String commit) {
    Component c = new Component();
    c.setMetadata(new ObjectMetaBuilder().withNamespace("team-a").withName("payments").withGeneration(generation)
        .withAnnotations(annotations).build());
    c.setStatus(new Component.Status());
    c.getStatus().repositoryUrl = repositoryUrl;
    c.getStatus().commit = commit;
    return c;
  }

  @Test
  void aStatusWriteIsNotAChangeForDora() {
    Component before = component(1, Map.of(), "http://git/payments.git", "abc123");
    assertThat(DoraEngine.sameForDora(before, component(1, Map.of(), "http://git/payments.git", "def456"))).isTrue();
  }

  @Test
  void specAnnotationsAndRepositoryAreChanges() {
    Component before = component(1, Map.of(), "http://git/payments.git", "def456");
    assertThat(DoraEngine.sameForDora(before, component(2, Map.of(), "http://git/payments.git", "def456"))).isFalse();
    assertThat(DoraEngine.sameForDora(before,
        component(1, Map.of(Membership.KUBERNETES_ID, "pay"), "http://git/payments.git", "def456"))).isFalse();
    assertThat(DoraEngine.sameForDora(before, component(1, Map.of(), "http://git/other.git", "def456"))).isFalse();
    assertThat(DoraEngine.sameForDora(before, component(1, Map.of(), null, "def456"))).isFalse();
  }
}
