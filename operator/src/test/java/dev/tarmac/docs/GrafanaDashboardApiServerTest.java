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
 */
@Tag("apiserver")
class GrafanaDashboardApiServerTest {

  /** A metric name in PromQL: an identifier not followed by {@code (} (a function) and not a label or keyword. */
  private static final Pattern NAME = Pattern.compile("\\b([a-z_][a-z0-9_]*)\\b(?!\\s*\\()");
  private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "sum", "count", "rate", "increase",
      "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset");

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
        "tarmac_catalog_entities", "jvm_memory_used_bytes");

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
          spec: {type: service, lifecycle: production, owner: team-metrics}
          """.formatted(composition, ns).getBytes(StandardCharsets.UTF_8))).serverSideApply();
      await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Composition.class).withName(composition)
          .get(), c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), Conditions.READY));
      // Micrometer creates the GC pause timer at the first collection this JVM reports; a test JVM with a large
      // heap may not have had one yet, where a running operator always has.
      System.gc();
      String metrics = await().atMost(Duration.ofSeconds(30)).until(() -> scrape(op),
          body -> body.contains("tarmac_catalog_entities{") && body.contains("tarmac_scorecard_level{")
              && body.contains("tarmac_selfservice_requests{") && body.contains("jvm_gc_pause_seconds_sum"));
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
      assertThat(missing).as("metrics the dashboard queries that the operator does not export")
          .isSubsetOf(Set.of("operator_sdk_reconciliations_failed_total"));
    } finally {
      client.resources(Composition.class).withName(composition).delete();
    }
  }

  private static String scrape(TarmacOperator op) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + op.http().address().getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
