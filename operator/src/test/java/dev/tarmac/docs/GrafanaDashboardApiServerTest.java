package dev.tarmac.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Composition;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard under {@code examples/grafana/} queries only metrics the operator really exports: the names
 * in every panel's PromQL are looked up in the {@code /metrics} text of an operator running against the real API
 * server after it reconciled something, not in a list kept by hand.
 *
 * <p>The cost panels query {@link #COST}, which the cost-attribution engine exports once a CostModel prices something
 * (docs/insights-cost.md): the test applies the example CostModel, a team budget and a PersistentVolumeClaim to price.
 */
@Tag("apiserver")
class GrafanaDashboardApiServerTest {

  /** A metric name in PromQL: an identifier not followed by {@code (} (a function) and not a label or keyword. */
  private static final Pattern NAME = Pattern.compile("\\b([a-z_][a-z0-9_]*)\\b(?!\\s*\\()");
  private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "sum", "count", "rate", "increase",
      "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "max", "min", "avg");
  /** The cost metrics the dashboard queries (docs/insights.md, "Cost attribution"). */
  static final Set<String> COST = Set.of("tarmac_cost_monthly", "tarmac_cost_attribution_ratio",
      "tarmac_cost_budget_ratio");

  @TempDir
  Path tmp;

  @Test
  void everyMetricTheDashboardQueriesIsExported() throws Exception {
    JsonNode dashboard = Serialization.JSON.readTree(RepoPaths.repo().resolve("examples/grafana/tarmac-dashboard.json")
        .toFile());
    assertThat(dashboard.path("templating").path("list").get(0).path("query").asText()).isEqualTo("prometheus");
    Set<String> queried = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(panel.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText()
            .replaceAll("\\{[^}]*}", "")      // label matchers
            .replaceAll("\\[[^]]*]", "")      // range selectors
            .replaceAll("\\((?:[a-z_]+,\\s*)*[a-z_]+\\)\\s*\\(", "("); // "by (kind) (" label lists
        Matcher m = NAME.matcher(expr);
        while (m.find()) {
          String name = m.group(1);
          if (!PROMQL_WORDS.contains(name)) {
            queried.add(name);
          }
        }
      }
    }
    assertThat(queried).contains("operator_sdk_reconciliations_started_total", "tarmac_git_commits_total",
        "tarmac_catalog_entities", "jvm_memory_used_bytes", "tarmac_dora_tier", "tarmac_dora_lead_time_seconds",
        "tarmac_dora_deployment_frequency", "tarmac_dora_change_failure_ratio", "tarmac_dora_time_to_restore_seconds",
        "tarmac_selfservice_ratio", "tarmac_template_usage", "tarmac_catalog_workload_coverage_ratio");
    assertThat(queried).containsAll(COST);

    KubernetesClient client = TestCluster.get().client();
    String ns = TestCluster.get().newNamespace("dashboard");
    String composition = "dashboard-" + ns;
    try (TarmacOperator op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default",
        "test", tmp.resolve("data"), false, 4, true, "tarmac:test", true)).start()) {
      // Something for every family of metrics: a Scorecard, a claim (self-service), a Component (the catalog).
      client.load(Files.newInputStream(RepoPaths.repo().resolve("examples/scorecards/default.yaml")))
          .serverSideApply();
      client.load(new ByteArrayInputStream("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Composition
          metadata: {name: %1$s}
          spec:
            compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}
            resources:
              - name: config
                base: {apiVersion: v1, kind: ConfigMap, data: {a: b}}
                readinessChecks: [{type: None}]
          ---
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Database
          metadata: {name: metrics-db, namespace: %2$s}
          spec: {engine: postgresql, compositionRef: {name: %1$s}}
          ---
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata: {name: metrics-service, namespace: %2$s}
          spec: {type: service, lifecycle: production, owner: team-metrics, template: {name: golden-%2$s}}
          ---
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: metrics-web, namespace: %2$s, labels: {app.kubernetes.io/part-of: metrics-service}}
          spec:
            selector: {matchLabels: {app: metrics-web}}
            template:
              metadata:
                labels: {app: metrics-web}
                annotations: {platform.tarmac.dev/commit-time: "%3$s"}
              spec: {containers: [{name: web, image: web}]}
          """.formatted(composition, ns, Instant.now().minus(Duration.ofHours(3))).getBytes(StandardCharsets.UTF_8)))
          .serverSideApply();
      // For the DORA gauges: the Deployment's rollout completes two hours ago, as its controller would report it,
      // then it is unavailable for half an hour (the kubelet reports its pod not ready).
      Instant rolledOut = Instant.now().minus(Duration.ofHours(2));
      deploymentStatus(client, ns, 1, rolledOut, rolledOut);
      await().atMost(Duration.ofSeconds(30)).until(() -> op.dora().history(ns, "metrics-service")
          .map(h -> h.deployments().size()).orElse(0) == 1);
      deploymentStatus(client, ns, 0, rolledOut, rolledOut.plus(Duration.ofMinutes(30)));
      await().atMost(Duration.ofSeconds(30)).until(() -> op.dora().history(ns, "metrics-service")
          .map(h -> h.incidents().size()).orElse(0) == 1);
      deploymentStatus(client, ns, 1, rolledOut, rolledOut.plus(Duration.ofMinutes(60)));
      await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Composition.class).withName(composition)
          .get(), c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), Conditions.READY));
      // For the cost gauges: the example CostModel, a team namespace with a budget, and a claim it prices.
      client.load(Files.newInputStream(RepoPaths.repo().resolve("examples/costs/default.yaml"))).serverSideApply();
      client.namespaces().withName(ns).edit(n -> new io.fabric8.kubernetes.api.model.NamespaceBuilder(n).editMetadata()
          .addToLabels("platform.tarmac.dev/team", "team-metrics")
          .addToAnnotations("platform.tarmac.dev/monthly-budget", "100").endMetadata().build());
      client.load(new ByteArrayInputStream("""
          apiVersion: v1
          kind: PersistentVolumeClaim
          metadata: {name: metrics-data, namespace: %s}
          spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
          """.formatted(ns).getBytes(StandardCharsets.UTF_8))).serverSideApply();
      // Micrometer creates the GC pause timer at the first collection this JVM reports; a test JVM with a large
      // heap may not have had one yet, where a running operator always has.
      System.gc();
      String metrics = await().atMost(Duration.ofSeconds(30)).until(() -> scrape(op),
          body -> body.contains("tarmac_catalog_entities{") && body.contains("tarmac_scorecard_level{")
              && body.contains("tarmac_selfservice_requests{") && body.contains("jvm_gc_pause_seconds_sum")
              && body.contains("tarmac_dora_time_to_restore_seconds{") && body.contains("tarmac_template_usage{")
              && body.contains("tarmac_selfservice_ratio") && body.contains("tarmac_cost_monthly{")
              && body.contains("tarmac_cost_budget_ratio{"));
      Set<String> exported = new TreeSet<>();
      for (String line : metrics.split("\n")) {
        if (!line.startsWith("#") && !line.isBlank()) {
          exported.add(line.split("[{ ]")[0]);
        }
      }
      Set<String> missing = new TreeSet<>(queried);
      missing.removeAll(exported);
      // JOSDK creates its failure counter at the first failed reconcile; until then Prometheus has no series and
      // the panel shows "no data", which is what it should show.
      Set<String> mayBeMissing = new TreeSet<>(Set.of("operator_sdk_reconciliations_failed_total"));
      assertThat(missing).as("metrics the dashboard queries that the operator does not export")
          .isSubsetOf(mayBeMissing);
    } finally {
      client.resources(Composition.class).withName(composition).delete();
      client.resources(dev.tarmac.api.CostModel.class).withName("default").delete();
    }
  }

  /**
   * What the Deployment controller reports of Deployment {@code metrics-web}: its rollout complete at
   * {@code rolledOut}, {@code available} replicas, the {@code Available} condition last changed at {@code changed}.
   */
  private static void deploymentStatus(KubernetesClient client, String ns, int available, Instant rolledOut,
      Instant changed) {
    long generation = client.apps().deployments().inNamespace(ns).withName("metrics-web").get().getMetadata()
        .getGeneration();
    client.apps().deployments().inNamespace(ns).withName("metrics-web").subresource("status").patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), """
        {"status": {"observedGeneration": %d, "replicas": 1, "updatedReplicas": 1, "readyReplicas": %d,
         "availableReplicas": %2$d, "conditions": [
          {"type": "Available", "status": "%s", "reason": "R", "lastUpdateTime": "%s", "lastTransitionTime": "%4$s"},
          {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
           "lastUpdateTime": "%s", "lastTransitionTime": "%5$s"}]}}""".formatted(generation, available,
        available == 1 ? "True" : "False", changed, rolledOut));
  }

  private static String scrape(TarmacOperator op) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + op.http().address().getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
