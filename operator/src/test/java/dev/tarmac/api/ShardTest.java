package dev.tarmac.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardTest {

  @Test
  void aNamedShardSelectsItsLabelAndTakesALeaseOfItsOwn() {
    Shard a = Shard.of("team-a", false);
    assertThat(a.labelSelector()).isEqualTo("platform.tarmac.dev/shard=team-a");
    assertThat(a.leaseName()).isEqualTo("tarmac-team-a");
    assertThat(a.owns(Map.of(Labels.SHARD, "team-a"))).isTrue();
    assertThat(a.owns(Map.of(Labels.SHARD, "team-b"))).isFalse();
    assertThat(a.owns(Map.of())).isFalse();
    assertThat(a.owns(null)).isFalse();
    assertThat(a.writesClusterKinds()).isFalse();
    assertThat(a.ignoreSharded()).as("a named shard has nothing to ignore but the others").isTrue();
  }

  @Test
  void theDefaultShardIgnoresLabelledObjectsUnlessToldToTakeAll() {
    Shard d = Shard.of(null, true);
    assertThat(d).isEqualTo(Shard.DEFAULT);
    assertThat(d.labelSelector()).isEqualTo("!platform.tarmac.dev/shard");
    assertThat(d.leaseName()).as("the Lease of an operator from before shards").isEqualTo("tarmac");
    assertThat(d.owns(Map.of("team", "x"))).isTrue();
    assertThat(d.owns(Map.of(Labels.SHARD, "a"))).isFalse();
    assertThat(d.owns(Map.of(Labels.SHARD, ""))).as("as the API server's !key selector").isFalse();
    assertThat(d.writesClusterKinds()).isTrue();
    Shard all = Shard.of(" ", false);
    assertThat(all).isEqualTo(Shard.ALL);
    assertThat(all.labelSelector()).isNull();
    assertThat(all.owns(Map.of(Labels.SHARD, "a"))).isTrue();
    assertThat(all.displayName()).isEqualTo("default");
  }

  @Test
  void badNamesAreRefusedWithWhatToUse() {
    assertThatThrownBy(() -> Shard.of("Team_A", true)).hasMessageContaining("lower-case letters");
    assertThatThrownBy(() -> Shard.of("a".repeat(57), true)).hasMessageContaining("at most 56");
    assertThatThrownBy(() -> Shard.of("-a", true)).hasMessageContaining("starting and ending");
    assertThatThrownBy(() -> Shard.of("default", true)).hasMessageContaining("reserved");
    assertThat(Shard.of("a".repeat(56), true).leaseName()).hasSize(63);
  }

  @Test
  void theShardOfAnObjectForMessages() {
    Map<String, String> labels = new HashMap<>();
    assertThat(Shard.of(labels)).isEqualTo("default");
    assertThat(Shard.of((Map<String, String>) null)).isEqualTo("default");
    labels.put(Labels.SHARD, "b");
    assertThat(Shard.of(labels)).isEqualTo("b");
  }
}
