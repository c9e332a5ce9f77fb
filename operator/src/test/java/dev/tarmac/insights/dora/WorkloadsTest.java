package dev.tarmac.insights.dora;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Serialization;
import dev.tarmac.catalog.CatalogIndex;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkloadsTest {

  private static Deployment deployment(String status, String templateAnnotations) throws Exception {
    return Serialization.JSON.readValue("""
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "web", "namespace": "shop", "generation": 3,
                      "creationTimestamp": "2026-11-01T00:00:00Z"},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}, "annotations": %s},
                               "spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
         "status": %s}""".formatted(templateAnnotations, status), Deployment.class);
  }

  private static final String COMPLETE = """
      {"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
       "conditions": [{"type": "Available", "status": "True", "lastTransitionTime": "2026-11-02T00:00:00Z"},
                      {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                       "lastUpdateTime": "2026-11-03T00:00:00Z"}]}""";

  @Test
  void rolloutCompleteByKubectlsRule() throws Exception {
    WorkloadState s = Workloads.state(deployment(COMPLETE, "{}"), sha -> Optional.empty());
    assertThat(s.rolledOut()).isTrue();
    assertThat(s.rolledOutAt()).isEqualTo(Instant.parse("2026-11-03T00:00:00Z"));
    assertThat(s.available()).isTrue();
    // The controller has not observed the latest generation, or an old replica is still there: not complete.
    assertThat(Workloads.state(deployment(COMPLETE.replace("\"observedGeneration\": 3", "\"observedGeneration\": 2"),
        "{}"), sha -> Optional.empty()).rolledOut()).isFalse();
    assertThat(Workloads.state(deployment(COMPLETE.replace("\"replicas\": 2", "\"replicas\": 3"), "{}"),
        sha -> Optional.empty()).rolledOut()).isFalse();
    WorkloadState down = Workloads.state(deployment(COMPLETE.replace("\"status\": \"True\", \"lastTransition",
        "\"status\": \"False\", \"lastTransition"), "{}"), sha -> Optional.empty());
    assertThat(down.available()).isFalse();
    assertThat(down.availabilityChangedAt()).isEqualTo(Instant.parse("2026-11-02T00:00:00Z"));
  }

  @Test
  void restartIsNotANewTemplateButAnyOtherChangeIs() throws Exception {
    String plain = Workloads.state(deployment(COMPLETE, "{}"), sha -> Optional.empty()).templateHash();
    String restarted = Workloads.state(deployment(COMPLETE,
        "{\"kubectl.kubernetes.io/restartedAt\": \"2026-11-04T00:00:00Z\"}"), sha -> Optional.empty()).templateHash();
    String annotated = Workloads.state(deployment(COMPLETE, "{\"a\": \"b\"}"), sha -> Optional.empty())
        .templateHash();
    assertThat(restarted).isEqualTo(plain);
    assertThat(annotated).isNotEqualTo(plain);
  }

  @Test
  void catalogStatusFieldsFeedScorecardChecks() throws Exception {
    CatalogIndex index = new CatalogIndex();
    index.upsert("c", Serialization.JSON.readTree("""
        {"apiVersion": "platform.tarmac.dev/v1alpha1", "kind": "Component",
         "metadata": {"name": "shop", "namespace": "shop", "uid": "u1"},
         "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}}"""), null);
    index.scorecard("dora", Serialization.JSON.readTree("""
        {"entityKinds": ["Component"], "levels": [{"name": "Gold", "checks": [
          {"name": "dora-tier-high-or-better", "field": "status.dora.tierRank", "op": "gte", "value": 3}]}]}"""));
    assertThat(index.rebuild().scorecards().get("component:shop/shop").get(0).level()).isEqualTo("None");
    // The ref's case does not matter; the whole field is set at once.
    index.statusField("dora", java.util.Map.of(
        "Component:shop/shop", Serialization.JSON.readTree("{\"tier\": \"High\", \"tierRank\": 3}"),
        "group:default/team-a", Serialization.JSON.readTree("{\"tier\": \"Low\"}")));
    CatalogIndex.Snapshot s = index.rebuild();
    assertThat(s.scorecards().get("component:shop/shop").get(0).level()).isEqualTo("Gold");
    assertThat(s.byRef().get("group:default/team-a").path("status").path("dora").path("tier").asText())
        .isEqualTo("Low");
    // A ref left out of the next value loses the field; the others keep it.
    index.statusField("dora", java.util.Map.of("group:default/team-a",
        Serialization.JSON.readTree("{\"tier\": \"Low\"}")));
    s = index.rebuild();
    assertThat(s.byRef().get("component:shop/shop").path("status").has("dora")).isFalse();
    assertThat(s.byRef().get("group:default/team-a").path("status").path("dora").path("tier").asText())
        .isEqualTo("Low");
  }
}
