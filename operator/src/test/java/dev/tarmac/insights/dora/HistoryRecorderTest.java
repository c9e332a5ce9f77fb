package dev.tarmac.insights.dora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryRecorderTest {

  private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

  private static WorkloadState state(String hash, boolean rolledOut, Instant rolledOutAt, boolean available,
      Instant availableChanged) {
    return new WorkloadState("Deployment/web", hash, null, rolledOut, rolledOutAt, available, availableChanged, T0,
        rolledOutAt == null ? null : rolledOutAt.minus(Duration.ofHours(1)), "annotation");
  }

  @Test
  void firstRevisionOfANewWorkloadIsADeploymentOfAnOlderOneIsNot() {
    DoraHistory h = DoraHistory.empty(T0);
    DoraHistory after = HistoryRecorder.observe(h, state("a", true, T0.plusSeconds(30), true, null), T0.plusSeconds(60));
    assertThat(after.deployments()).singleElement().satisfies(d -> {
      assertThat(d.availableAt()).isEqualTo(T0.plusSeconds(30));
      assertThat(d.committedAt()).isEqualTo(T0.plusSeconds(30).minus(Duration.ofHours(1)));
      assertThat(d.rollback()).isFalse();
    });
    DoraHistory older = DoraHistory.empty(T0.plus(Duration.ofDays(1)));
    DoraHistory seen = HistoryRecorder.observe(older, state("a", true, null, true, null), T0.plus(Duration.ofDays(1)));
    assertThat(seen.deployments()).isEmpty();
    assertThat(seen.workloads().get("Deployment/web").templateHash()).isEqualTo("a");
  }

  @Test
  void nothingChangesNothing() {
    DoraHistory h = HistoryRecorder.observe(DoraHistory.empty(T0), state("a", true, T0, true, null), T0);
    assertThat(HistoryRecorder.observe(h, state("a", true, T0, true, null), T0.plusSeconds(5))).isSameAs(h);
    // A rollout in progress records nothing either.
    assertThat(HistoryRecorder.observe(h, state("b", false, null, true, null), T0.plusSeconds(5))).isSameAs(h);
  }

  @Test
  void rollbackIsRecognisedByTemplateWhateverTheRevisionNumber() {
    DoraHistory h = DoraHistory.empty(T0);
    h = HistoryRecorder.observe(h, state("a", true, T0, true, null), T0);
    h = HistoryRecorder.observe(h, state("b", true, T0.plusSeconds(100), true, null), T0.plusSeconds(100));
    h = HistoryRecorder.observe(h, state("a", true, T0.plusSeconds(200), true, null), T0.plusSeconds(200));
    assertThat(h.deployments()).extracting(DeploymentRecord::rollback).containsExactly(false, false, true);
    assertThat(h.deployments().get(2).committedAt()).as("a rollback carries no change").isNull();
    assertThat(h.workloads().get("Deployment/web").earlierHashes()).containsExactly("b");
  }

  @Test
  void controllerTimesInTheFutureAreClampedToNowAndNeverBeforeThePreviousDeployment() {
    DoraHistory h = HistoryRecorder.observe(DoraHistory.empty(T0), state("a", true, T0.plusSeconds(500), true, null),
        T0.plusSeconds(100));
    assertThat(h.deployments().get(0).availableAt()).isEqualTo(T0.plusSeconds(100));
    h = HistoryRecorder.observe(h, state("b", true, T0.plusSeconds(50), true, null), T0.plusSeconds(200));
    assertThat(h.deployments().get(1).availableAt()).isEqualTo(T0.plusSeconds(100));
  }

  @Test
  void incidentsOpenAfterAvailabilityAndCloseWithTheControllersTimes() {
    DoraHistory h = DoraHistory.empty(T0);
    // A first rollout that is not yet available is no incident.
    h = HistoryRecorder.observe(h, state("a", true, T0, false, T0), T0);
    assertThat(h.incidents()).isEmpty();
    h = HistoryRecorder.observe(h, state("a", true, T0, true, T0.plusSeconds(10)), T0.plusSeconds(10));
    assertThat(h.incidents()).isEmpty();
    h = HistoryRecorder.observe(h, state("a", true, T0, false, T0.plusSeconds(100)), T0.plusSeconds(400));
    assertThat(h.incidents()).containsExactly(new IncidentRecord("Deployment/web", T0.plusSeconds(100), null));
    h = HistoryRecorder.observe(h, state("a", true, T0, true, T0.plusSeconds(700)), T0.plusSeconds(900));
    assertThat(h.incidents()).containsExactly(new IncidentRecord("Deployment/web", T0.plusSeconds(100),
        T0.plusSeconds(700)));
  }

  @Test
  void jsonRoundTripAndBounds() {
    DoraHistory h = DoraHistory.empty(T0);
    for (int i = 0; i < 10; i++) {
      h = HistoryRecorder.observe(h, state("h" + i, true, T0.plus(Duration.ofDays(i)), true, null),
          T0.plus(Duration.ofDays(i)));
    }
    h = HistoryRecorder.observe(h, state("h9", true, null, false, T0.plus(Duration.ofDays(9)).plusSeconds(5)),
        T0.plus(Duration.ofDays(9)).plusSeconds(10));
    DoraHistory read = DoraHistory.fromJson(Serialization.JSON.valueToTree(h.toJson()));
    assertThat(read).isEqualTo(h);
    DoraHistory bounded = h.bounded(T0.plus(Duration.ofDays(10)), Duration.ofDays(5), 3, 5);
    assertThat(bounded.deployments()).extracting(DeploymentRecord::templateHash).containsExactly("h7", "h8", "h9");
    assertThat(bounded.pruned()).isEqualTo(7);
    assertThat(bounded.incidents()).hasSize(1);
    assertThat(bounded.bounded(T0.plus(Duration.ofDays(10)), Duration.ofDays(5), 3, 5)).isSameAs(bounded);
    assertThatThrownBy(() -> DoraHistory.fromJson(Serialization.JSON.readTree("{\"v\":1,\"since\":\"yesterday\"}")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void membershipPrefersKubernetesIdThenPartOfInTheSameNamespace() {
    var a = new Membership.ComponentId("shop", "cart", "cart");
    var b = new Membership.ComponentId("shop", "checkout", "checkout-id");
    var other = new Membership.ComponentId("billing", "cart", "cart");
    List<Membership.ComponentId> all = List.of(a, b, other);
    assertThat(Membership.componentOf("shop", java.util.Map.of(Membership.KUBERNETES_ID, "checkout-id",
        Membership.PART_OF, "cart"), all)).contains(b);
    assertThat(Membership.componentOf("shop", java.util.Map.of(Membership.PART_OF, "cart"), all)).contains(a);
    assertThat(Membership.componentOf("billing", java.util.Map.of(Membership.PART_OF, "checkout"), all)).isEmpty();
    assertThat(Membership.componentOf("shop", java.util.Map.of("app", "cart"), all)).isEmpty();
  }

  @Test
  void commitTimeConventions() {
    java.util.function.Function<String, java.util.Optional<Instant>> git = sha -> sha.equals("abc1234")
        ? java.util.Optional.of(T0) : java.util.Optional.empty();
    assertThat(CommitTimes.of(java.util.Map.of(CommitTimes.COMMIT_TIME, "2026-11-30T09:00:00+01:00"), null, git))
        .contains(new CommitTimes.CommitTime(Instant.parse("2026-11-30T08:00:00Z"), "annotation"));
    assertThat(CommitTimes.of(null, java.util.Map.of(CommitTimes.OCI_REVISION, "ABC1234"), git))
        .contains(new CommitTimes.CommitTime(T0, "git"));
    assertThat(CommitTimes.of(java.util.Map.of(CommitTimes.COMMIT, "fffffff", CommitTimes.OCI_CREATED,
        "2026-11-29T00:00:00Z"), null, git)).contains(new CommitTimes.CommitTime(Instant.parse("2026-11-29T00:00:00Z"),
        "image"));
    assertThat(CommitTimes.of(java.util.Map.of(CommitTimes.COMMIT_TIME, "last tuesday"), null, git)).isEmpty();
  }
}
