package dev.tarmac.insights.dora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DoraCalculatorTest {

  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
  private static final DoraCalculator.Settings S = DoraCalculator.Settings.DEFAULT;

  private static Instant ago(Duration d) {
    return NOW.minus(d);
  }

  private static DeploymentRecord deploy(String hash, Instant at, Instant committed, boolean rollback) {
    return new DeploymentRecord("Deployment/web", hash, null, at, committed, committed == null ? null : "annotation",
        rollback);
  }

  private static DoraMetrics metrics(List<DeploymentRecord> d, List<IncidentRecord> i) {
    return DoraCalculator.summarize(DoraCalculator.evaluate(new DoraHistory(NOW.minus(Duration.ofDays(90)), 0,
        Map.of(), d, i), S), NOW, S);
  }

  @Test
  void noDeploymentsHasNoTierAndNoRatios() {
    DoraMetrics m = metrics(List.of(), List.of());
    assertThat(m.tier()).isEqualTo(DoraTier.NONE);
    assertThat(m.deploymentsPerDay()).isZero();
    assertThat(m.leadTimeSeconds()).isNull();
    assertThat(m.changeFailureRatio()).isNull();
    assertThat(m.timeToRestoreSeconds()).isNull();
    assertThat(m.toJson().has("changeFailureRate")).isFalse();
    assertThat(m.toJson().path("tier").asText()).isEqualTo("None");
  }

  @Test
  void onlyPrunedDeploymentsAreLowNotNone() {
    DoraHistory h = new DoraHistory(NOW.minus(Duration.ofDays(90)), 3, Map.of(), List.of(), List.of());
    DoraMetrics m = DoraCalculator.summarize(DoraCalculator.evaluate(h, S), NOW, S);
    assertThat(m.tier()).isEqualTo(DoraTier.LOW);
    assertThat(m.deploymentFrequencyTier()).isEqualTo(DoraTier.LOW);
  }

  @Test
  void fourMetricsByHand() {
    // 30 deployments a day apart over the last 30 days, each committed 2 hours before: Elite frequency and lead time.
    List<DeploymentRecord> d = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      Instant at = ago(Duration.ofDays(i).plusHours(1));
      d.add(deploy("h" + i, at, at.minus(Duration.ofHours(2)), false));
    }
    d.sort(java.util.Comparator.comparing(DeploymentRecord::availableAt));
    // One incident 30 minutes after the latest deployment, lasting 20 minutes: that deployment failed.
    Instant latest = d.get(d.size() - 1).availableAt();
    List<IncidentRecord> i = List.of(new IncidentRecord("Deployment/web", latest.plus(Duration.ofMinutes(30)),
        latest.plus(Duration.ofMinutes(50))));
    DoraMetrics m = metrics(d, i);
    assertThat(m.deployments()).isEqualTo(30);
    assertThat(m.deploymentsPerDay()).isCloseTo(1.0, within(1e-9));
    assertThat(m.leadTimeSeconds()).isEqualTo(7200.0);
    assertThat(m.failedDeployments()).isEqualTo(1);
    assertThat(m.changeFailureRatio()).isCloseTo(1 / 30.0, within(1e-9));
    assertThat(m.timeToRestoreSeconds()).isEqualTo(1200.0);
    assertThat(m.tier()).isEqualTo(DoraTier.ELITE);
  }

  @Test
  void clockSkewWithinToleranceCountsAsZeroBeyondIsLeftOut() {
    Instant a = ago(Duration.ofDays(2));
    Instant b = ago(Duration.ofDays(1));
    DoraMetrics m = metrics(List.of(
        deploy("a", a, a.plus(Duration.ofMinutes(2)), false),      // commit 2 min "after" available: skew, counts 0
        deploy("b", b, b.plus(Duration.ofHours(3)), false)), List.of()); // 3 h after: implausible, left out
    assertThat(m.leadTimeSeconds()).isEqualTo(0.0);
    assertThat(m.deployments()).isEqualTo(2);
  }

  @Test
  void rollbackToTheSameRevisionIsNothing() {
    Instant a = ago(Duration.ofDays(3));
    DoraMetrics m = metrics(List.of(deploy("a", a, null, false), deploy("a", a.plus(Duration.ofMinutes(5)), null,
        true)), List.of());
    assertThat(m.deployments()).isEqualTo(1);
    assertThat(m.failedDeployments()).isZero();
  }

  @Test
  void rollbackFailsEveryChangeSinceTheRestoredRevisionWithinTheWindow() {
    Instant t = ago(Duration.ofDays(5));
    DoraMetrics m = metrics(List.of(
        deploy("a", t, null, false),
        deploy("b", t.plus(Duration.ofHours(1)), null, false),
        deploy("c", t.plus(Duration.ofHours(2)), null, false),
        deploy("a", t.plus(Duration.ofHours(3)), null, true)), List.of());
    assertThat(m.deployments()).as("the rollback is not a change").isEqualTo(3);
    assertThat(m.failedDeployments()).isEqualTo(2);
  }

  @Test
  void rollbackLaterThanTheFailureWindowFailsNothing() {
    Instant t = ago(Duration.ofDays(5));
    DoraMetrics m = metrics(List.of(deploy("a", t, null, false), deploy("b", t.plus(Duration.ofHours(1)), null, false),
        deploy("a", t.plus(Duration.ofHours(30)), null, true)), List.of());
    assertThat(m.failedDeployments()).isZero();
  }

  @Test
  void unavailabilityFailsOnlyTheLatestDeploymentAndOnlyWithinTheWindow() {
    Instant t = ago(Duration.ofDays(5));
    List<DeploymentRecord> d = List.of(deploy("a", t, null, false), deploy("b", t.plus(Duration.ofHours(1)), null,
        false));
    assertThat(metrics(d, List.of(new IncidentRecord("Deployment/web", t.plus(Duration.ofHours(2)),
        t.plus(Duration.ofHours(3))))).failedDeployments()).isEqualTo(1);
    assertThat(metrics(d, List.of(new IncidentRecord("Deployment/web", t.plus(Duration.ofHours(26)),
        t.plus(Duration.ofHours(27))))).failedDeployments()).isZero();
    // An incident of another workload of the Component does not fail this one's deployment.
    assertThat(metrics(d, List.of(new IncidentRecord("StatefulSet/db", t.plus(Duration.ofHours(2)),
        t.plus(Duration.ofHours(3))))).failedDeployments()).isZero();
  }

  @Test
  void overlappingIncidentsAreOneOutageOpenOnesAreCountedApart() {
    Instant t = ago(Duration.ofDays(2));
    List<IncidentRecord> i = List.of(
        new IncidentRecord("Deployment/web", t, t.plus(Duration.ofMinutes(30))),
        new IncidentRecord("StatefulSet/db", t.plus(Duration.ofMinutes(10)), t.plus(Duration.ofMinutes(90))),
        new IncidentRecord("Deployment/web", t.plus(Duration.ofHours(5)), t.plus(Duration.ofHours(5).plusMinutes(10))),
        new IncidentRecord("Deployment/web", t.plus(Duration.ofHours(20)), null));
    DoraMetrics m = metrics(List.of(deploy("a", ago(Duration.ofDays(10)), null, false)), i);
    // Outages: 90 min (merged) and 10 min; the median of two is their mean.
    assertThat(m.incidents()).isEqualTo(2);
    assertThat(m.openIncidents()).isEqualTo(1);
    assertThat(m.timeToRestoreSeconds()).isEqualTo((5400.0 + 600.0) / 2);
    // An open incident swallows those that start during it.
    assertThat(DoraCalculator.merge(List.of(new IncidentRecord("x", t, null),
        new IncidentRecord("y", t.plus(Duration.ofHours(1)), t.plus(Duration.ofHours(2))))))
        .containsExactly(new DoraCalculator.Outage(t, null));
  }

  @Test
  void deploymentsOutsideTheWindowDoNotCount() {
    DoraMetrics m = metrics(List.of(deploy("a", ago(Duration.ofDays(40)), null, false),
        deploy("b", ago(Duration.ofDays(10)), null, false)), List.of());
    assertThat(m.deployments()).isEqualTo(1);
    assertThat(m.deploymentsPerDay()).isCloseTo(1 / 30.0, within(1e-9));
    assertThat(m.tier()).isEqualTo(DoraTier.MEDIUM);
  }

  @Test
  void tierIsTheLowestOfTheMetricsWithData() {
    Instant t = ago(Duration.ofDays(1));
    // Daily deployments (Elite) with a lead time of ten days (Medium).
    List<DeploymentRecord> d = new java.util.ArrayList<>();
    for (int i = 29; i >= 0; i--) {
      Instant at = ago(Duration.ofDays(i).plusHours(1));
      d.add(deploy("h" + i, at, at.minus(Duration.ofDays(10)), false));
    }
    DoraMetrics m = metrics(d, List.of());
    assertThat(m.deploymentFrequencyTier()).isEqualTo(DoraTier.ELITE);
    assertThat(m.leadTimeTier()).isEqualTo(DoraTier.MEDIUM);
    assertThat(m.changeFailureTier()).isEqualTo(DoraTier.ELITE);
    assertThat(m.timeToRestoreTier()).isEqualTo(DoraTier.NONE);
    assertThat(m.tier()).isEqualTo(DoraTier.MEDIUM);
    assertThat(t).isBefore(NOW);
  }

  @Test
  void thresholdsFollowTheReport() {
    assertThat(DoraTier.ofDeploymentFrequency(1)).isEqualTo(DoraTier.ELITE);
    assertThat(DoraTier.ofDeploymentFrequency(1.0 / 7)).isEqualTo(DoraTier.HIGH);
    assertThat(DoraTier.ofDeploymentFrequency(1.0 / 8)).isEqualTo(DoraTier.MEDIUM);
    assertThat(DoraTier.ofDeploymentFrequency(1.0 / 31)).isEqualTo(DoraTier.LOW);
    assertThat(DoraTier.ofLeadTime(Duration.ofHours(23))).isEqualTo(DoraTier.ELITE);
    assertThat(DoraTier.ofLeadTime(Duration.ofDays(1))).isEqualTo(DoraTier.HIGH);
    assertThat(DoraTier.ofLeadTime(Duration.ofDays(31))).isEqualTo(DoraTier.LOW);
    assertThat(DoraTier.ofChangeFailureRate(0.05)).isEqualTo(DoraTier.ELITE);
    assertThat(DoraTier.ofChangeFailureRate(0.10)).isEqualTo(DoraTier.HIGH);
    assertThat(DoraTier.ofChangeFailureRate(0.15)).isEqualTo(DoraTier.MEDIUM);
    assertThat(DoraTier.ofChangeFailureRate(0.16)).isEqualTo(DoraTier.LOW);
    assertThat(DoraTier.ofTimeToRestore(Duration.ofMinutes(59))).isEqualTo(DoraTier.ELITE);
    assertThat(DoraTier.ofTimeToRestore(Duration.ofHours(1))).isEqualTo(DoraTier.HIGH);
    assertThat(DoraTier.ofTimeToRestore(Duration.ofDays(7))).isEqualTo(DoraTier.MEDIUM);
    assertThat(DoraTier.ofTimeToRestore(Duration.ofDays(8))).isEqualTo(DoraTier.LOW);
  }

  @Test
  void teamsPoolTheirComponents() {
    Instant t = ago(Duration.ofDays(3));
    DoraHistory web = new DoraHistory(t, 0, Map.of(), List.of(deploy("a", t, t.minus(Duration.ofHours(1)), false)),
        List.of());
    DoraHistory api = new DoraHistory(t, 0, Map.of(), List.of(
        new DeploymentRecord("Deployment/api", "x", null, t, t.minus(Duration.ofHours(3)), "annotation", false)),
        List.of(new IncidentRecord("Deployment/api", t.plus(Duration.ofMinutes(1)), t.plus(Duration.ofMinutes(3)))));
    DoraMetrics team = DoraCalculator.summarize(DoraCalculator.Evaluated.pool(List.of(
        DoraCalculator.evaluate(web, S), DoraCalculator.evaluate(api, S))), NOW, S);
    assertThat(team.deployments()).isEqualTo(2);
    assertThat(team.failedDeployments()).isEqualTo(1);
    assertThat(team.changeFailureRatio()).isEqualTo(0.5);
    assertThat(team.leadTimeSeconds()).isEqualTo(7200.0);
    assertThat(team.timeToRestoreSeconds()).isEqualTo(120.0);
  }
}
