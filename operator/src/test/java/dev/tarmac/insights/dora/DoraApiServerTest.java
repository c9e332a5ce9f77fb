package dev.tarmac.insights.dora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DORA metrics from a Deployment whose rollouts the test plays as the Deployment controller and the kubelet would
 * report them (no controller-manager runs): spec changes bump the generation, a ReplicaSet per revision, status
 * patches with the {@code Progressing} and {@code Available} conditions and their times. The four metrics and the
 * tier are compared with values worked out by hand from the scenario; the operator is stopped in the middle, a
 * rollout completes while it is down, and nothing recorded before is lost.
 */
@Tag("apiserver")
class DoraApiServerTest {

  @TempDir
  Path tmp;

  private KubernetesClient client;
  private String ns;
  private Instant availableSince;
  private int revision;

  @Test
  void fourMetricsAndTierMatchTheScenarioAcrossARestart() throws Exception {
    client = TestCluster.get().client();
    ns = TestCluster.get().newNamespace("dora");
    String team = "team-" + ns;
    // T: ten days ago, so the whole scenario lies in the 30-day window.
    Instant t = Instant.now().minus(Duration.ofDays(10)).truncatedTo(ChronoUnit.SECONDS);
    Instant d2 = t.plus(Duration.ofDays(1));
    TarmacOperator op = start();
    try {
      shop(team, t.minus(Duration.ofHours(2)));
      // D1: the first revision becomes available at T (lead time 2 h).
      availableSince = t;
      completeRollout(t);
      awaitHistory(h -> h.deployments().size() == 1);
      // D2: image b, committed at T+1d-4h, available at T+1d (lead time 4 h).
      newRevision("shop:b", d2.minus(Duration.ofHours(4)));
      completeRollout(d2);
      awaitHistory(h -> h.deployments().size() == 2);
      // 30 minutes later the Deployment loses its minimum availability for one hour: D2 failed; restored in 3600 s.
      unavailable(d2.plus(Duration.ofMinutes(30)));
      awaitHistory(h -> h.incidents().size() == 1);
      availableSince = d2.plus(Duration.ofMinutes(90));
      available(d2);
      awaitHistory(h -> h.incidents().size() == 1 && h.incidents().get(0).end() != null);
      ConfigMap saved = await().atMost(Duration.ofSeconds(30)).until(() -> configMap(),
          cm -> cm != null && cm.getData().get(DoraHistory.KEY).contains("\"end\""));
      assertThat(saved.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
        assertThat(o.getKind()).isEqualTo("Component");
        assertThat(o.getName()).isEqualTo("shop");
      });
    } finally {
      op.close();
    }

    // While the operator is down, D3 (image c, committed T+3d-6h) becomes available at T+3d.
    Instant d3 = t.plus(Duration.ofDays(3));
    newRevision("shop:c", d3.minus(Duration.ofHours(6)));
    completeRollout(d3);

    TarmacOperator restarted = start();
    try {
      DoraHistory resumed = awaitHistory(h -> h.deployments().size() == 3);
      assertThat(resumed.deployments().get(2).availableAt()).as("the controller's time, not the restart's")
          .isEqualTo(d3);
      assertThat(resumed.incidents()).as("kept across the restart").hasSize(1);
      // Two hours later a rollback to image b (the controller reuses b's ReplicaSet under a new revision): D3 failed.
      newRevision("shop:b", d2.minus(Duration.ofHours(4)));
      completeRollout(d3.plus(Duration.ofHours(2)));
      awaitHistory(h -> h.deployments().size() == 4 && h.deployments().get(3).rollback());
      // D4: image d, committed at T+5d-1h, available at T+5d (lead time 1 h).
      Instant d4 = t.plus(Duration.ofDays(5));
      newRevision("shop:d", d4.minus(Duration.ofHours(1)));
      completeRollout(d4);
      awaitHistory(h -> h.deployments().size() == 5);

      // By hand: 4 changes (the rollback is none) in 30 days = 0.1333/day (Medium: under one a week);
      // lead times 2, 4, 6, 1 h → median 3 h = 10800 s (Elite); failed D2 and D3 → 0.5 (Low);
      // one incident of 3600 s (High: not under an hour). Overall: the lowest, Low.
      JsonNode dora = await().atMost(Duration.ofSeconds(30)).until(() -> restarted.catalog().index().snapshot().byRef()
          .get("component:" + ns + "/shop"), e -> e != null && e.path("status").path("dora").path("deployments")
          .asInt() == 4).path("status").path("dora");
      assertThat(dora.path("deploymentsPerDay").asDouble()).isEqualTo(0.1333);
      assertThat(dora.path("leadTimeSeconds").asDouble()).isEqualTo(10800.0);
      assertThat(dora.path("changeFailureRate").asDouble()).isEqualTo(0.5);
      assertThat(dora.path("failedDeployments").asInt()).isEqualTo(2);
      assertThat(dora.path("timeToRestoreSeconds").asDouble()).isEqualTo(3600.0);
      assertThat(dora.path("tier").asText()).isEqualTo("Low");
      assertThat(dora.path("tierRank").asInt()).isEqualTo(1);
      assertThat(dora.path("tiers").path("deploymentFrequency").asText()).isEqualTo("Medium");
      assertThat(dora.path("tiers").path("leadTime").asText()).isEqualTo("Elite");
      assertThat(dora.path("tiers").path("changeFailureRate").asText()).isEqualTo("Low");
      assertThat(dora.path("tiers").path("timeToRestore").asText()).isEqualTo("High");
      // The team (its only Component) has the same figures, on its Group entity.
      JsonNode group = restarted.catalog().index().snapshot().byRef().get("group:default/" + team);
      assertThat(group.path("status").path("dora").path("tier").asText()).isEqualTo("Low");

      String labels = "component=\"" + ns + "/shop\",scope=\"component\",team=\"" + team + "\"";
      String metrics = await().atMost(Duration.ofSeconds(30)).until(() -> scrape(restarted),
          body -> body.contains("tarmac_dora_tier{" + labels + "} 1.0"));
      assertThat(metrics).contains("tarmac_dora_deployment_frequency{" + labels + "} 0.1333")
          .contains("tarmac_dora_lead_time_seconds{" + labels + "} 10800.0")
          .contains("tarmac_dora_change_failure_ratio{" + labels + "} 0.5")
          .contains("tarmac_dora_time_to_restore_seconds{" + labels + "} 3600.0")
          .contains("tarmac_dora_tier{component=\"\",scope=\"team\",team=\"" + team + "\"} 1.0")
          .contains("tarmac_dora_tier{component=\"\",scope=\"platform\",team=\"\"}");
      // The unrelated Deployment belongs to no Component: it is in no history.
      assertThat(restarted.dora().history(ns, "shop").orElseThrow().workloads()).containsOnlyKeys("Deployment/web");
    } finally {
      restarted.close();
    }
  }

  /**
   * A history that cannot be written (a ResourceQuota allows no ConfigMap in the namespace: the API server refuses the
   * write) is kept in memory and its figures are published anyway; the write is retried with backoff, not at every
   * pass nor in a loop; once the quota is gone the ConfigMap is written.
   */
  @Test
  void aHistoryThatCannotBeWrittenIsRetriedWithBackoffAndWrittenOnceItCan() throws Exception {
    client = TestCluster.get().client();
    ns = TestCluster.get().newNamespace("dora-quota");
    client.resourceQuotas().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.ResourceQuotaBuilder()
        .withNewMetadata().withName("no-configmaps").endMetadata().withNewSpec()
        .addToHard("configmaps", new io.fabric8.kubernetes.api.model.Quantity("0")).endSpec().build()).create();
    // No controller-manager here: the quota's usage is what the quota controller would have written.
    client.resourceQuotas().inNamespace(ns).withName("no-configmaps").subresource("status").patch(
        PatchContext.of(PatchType.JSON_MERGE), "{\"status\": {\"hard\": {\"configmaps\": \"0\"},"
            + " \"used\": {\"configmaps\": \"0\"}}}");
    Instant t = Instant.now().minus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
    TarmacOperator op = start();
    try {
      shop("team-" + ns, t.minus(Duration.ofHours(2)));
      availableSince = t;
      completeRollout(t);
      // Observed and published, though not written.
      await().atMost(Duration.ofSeconds(60)).until(() -> op.dora().history(ns, "shop")
          .map(h -> h.deployments().size() == 1).orElse(false));
      await().atMost(Duration.ofSeconds(30)).until(() -> op.catalog().index().snapshot().byRef()
          .get("component:" + ns + "/shop"), e -> e != null && e.path("status").path("dora").path("deployments")
          .asInt() == 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> op.dora().historyFailures() >= 1);
      long first = op.dora().historyFailures();
      // Retries' backoff (1 s, 2 s, 4 s...) gives 2 or 3 attempts in 6 s (a Component status event may add one); the
      // worker's old 100 ms pass, which retried a failing read at each pass, would give about 60.
      Thread.sleep(6_000);
      long failures = op.dora().historyFailures() - first;
      System.out.printf("dora: %d further failed writes in 6 s while the quota refused them%n", failures);
      assertThat(failures).as("failed writes in the 6 s after the first").isBetween(1L, 10L);
      assertThat(configMap()).isNull();

      client.resourceQuotas().inNamespace(ns).withName("no-configmaps").delete();
      // The next retry (at most Retries.MAX = 30 s later) writes it.
      DoraHistory saved = awaitHistory(h -> h.deployments().size() == 1, Duration.ofSeconds(60));
      assertThat(saved.deployments().get(0).availableAt()).isEqualTo(t);
    } finally {
      op.close();
    }
  }

  /**
   * Component {@code shop} of {@code team}, its Deployment {@code web} (first revision committed at {@code committed})
   * and a Deployment of another Component.
   */
  private void shop(String team, Instant committed) {
    client.load(new ByteArrayInputStream("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: shop, namespace: %s}
        spec: {type: service, lifecycle: production, owner: %s}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: %1$s
          labels: {app.kubernetes.io/part-of: shop}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata:
              labels: {app: web}
              annotations: {platform.tarmac.dev/commit-time: "%s"}
            spec:
              containers: [{name: web, image: "shop:a"}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: unrelated, namespace: %1$s, labels: {app.kubernetes.io/part-of: other}}
        spec:
          selector: {matchLabels: {app: unrelated}}
          template:
            metadata: {labels: {app: unrelated}}
            spec: {containers: [{name: x, image: x}]}
        """.formatted(ns, team, committed).getBytes(StandardCharsets.UTF_8))).serverSideApply();
  }

  private TarmacOperator start() {
    return new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 4, true, "tarmac:test", true)).start();
  }

  private ConfigMap configMap() {
    return client.configMaps().inNamespace(ns).withName(DoraEngine.configMapName("shop")).get();
  }

  private DoraHistory awaitHistory(java.util.function.Predicate<DoraHistory> done) {
    return awaitHistory(done, Duration.ofSeconds(30));
  }

  private DoraHistory awaitHistory(java.util.function.Predicate<DoraHistory> done, Duration timeout) {
    // Read from the ConfigMap, as a restarted operator would: what is there is what survives.
    return await().atMost(timeout).until(() -> {
      ConfigMap cm = configMap();
      return cm == null ? DoraHistory.empty(Instant.EPOCH)
          : DoraHistory.fromJson(Serialization.JSON.readTree(cm.getData().get(DoraHistory.KEY)));
    }, done::test);
  }

  /** A new pod template, as {@code kubectl set image} and a CI's annotation make it: the generation goes up. */
  private void newRevision(String image, Instant committed) {
    client.apps().deployments().inNamespace(ns).withName("web").patch(PatchContext.of(PatchType.JSON_MERGE), """
        {"spec": {"template": {"metadata": {"annotations": {"platform.tarmac.dev/commit-time": "%s"}},
         "spec": {"containers": [{"name": "web", "image": "%s"}]}}}}""".formatted(committed, image));
  }

  /**
   * What the Deployment controller reports when the rollout of the current template completes at {@code at}: the
   * revision annotation and the new ReplicaSet (or the old one reused, for a rollback), then status with every
   * replica updated and available and {@code Progressing=True/NewReplicaSetAvailable}.
   */
  private void completeRollout(Instant at) {
    var d = client.apps().deployments().inNamespace(ns).withName("web").get();
    String hash = Workloads.templateHash(d.getSpec().getTemplate()).substring(0, 10);
    revision++;
    client.apps().replicaSets().inNamespace(ns).resource(new ReplicaSetBuilder().withNewMetadata()
        .withName("web-" + hash).withNamespace(ns)
        .withLabels(Map.of("app", "web", "pod-template-hash", hash))
        .withAnnotations(Map.of("deployment.kubernetes.io/revision", String.valueOf(revision)))
        .addNewOwnerReference().withApiVersion("apps/v1").withKind("Deployment").withName("web")
        .withUid(d.getMetadata().getUid()).withController(true).endOwnerReference().endMetadata()
        .withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", "web")
        .addToMatchLabels("pod-template-hash", hash).endSelector()
        .withTemplate(new io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder(d.getSpec().getTemplate())
            .editMetadata().addToLabels("pod-template-hash", hash).endMetadata().build())
        .endSpec().build()).serverSideApply();
    // The API server counts a change of a Deployment's annotations as a new generation too: the controller observes
    // the generation after its own revision annotation.
    d = client.apps().deployments().inNamespace(ns).withName("web").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\": {\"annotations\": {\"deployment.kubernetes.io/revision\": \"" + revision + "\"}}}");
    status(d.getMetadata().getGeneration(), 1, """
        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
         "lastUpdateTime": "%1$s", "lastTransitionTime": "%1$s"},
        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
         "message": "ReplicaSet \\"web-%3$s\\" has successfully progressed.",
         "lastUpdateTime": "%2$s", "lastTransitionTime": "%2$s"}""".formatted(availableSince, at, hash));
  }

  /** The pod is ready again: the controller marks the Deployment {@code Available=True} (at {@code availableSince}). */
  private void available(Instant progressed) {
    var d = client.apps().deployments().inNamespace(ns).withName("web").get();
    status(d.getMetadata().getGeneration(), 1, """
        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
         "lastUpdateTime": "%1$s", "lastTransitionTime": "%1$s"},
        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
         "lastUpdateTime": "%2$s", "lastTransitionTime": "%2$s"}""".formatted(availableSince, progressed));
  }

  /** The kubelet reports the pod not ready; the controller marks the Deployment {@code Available=False} at {@code at}. */
  private void unavailable(Instant at) {
    var d = client.apps().deployments().inNamespace(ns).withName("web").get();
    status(d.getMetadata().getGeneration(), 0, """
        {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
         "lastUpdateTime": "%1$s", "lastTransitionTime": "%1$s"},
        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
         "lastUpdateTime": "%2$s", "lastTransitionTime": "%2$s"}""".formatted(at, d.getStatus().getConditions()
        .stream().filter(c -> c.getType().equals("Progressing")).findFirst().orElseThrow().getLastUpdateTime()));
  }

  private void status(long generation, int available, String conditions) {
    client.apps().deployments().inNamespace(ns).withName("web").subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), """
            {"status": {"observedGeneration": %d, "replicas": 1, "updatedReplicas": 1, "readyReplicas": %d,
             "availableReplicas": %d, "unavailableReplicas": %d, "conditions": [%s]}}"""
            .formatted(generation, available, available, 1 - available, conditions));
  }

  private static String scrape(TarmacOperator op) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + op.http().address().getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
