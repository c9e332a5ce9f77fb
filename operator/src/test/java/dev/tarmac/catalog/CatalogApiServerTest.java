package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog derived from a real API server's objects, read over HTTP in Backstage's shapes. */
@Tag("apiserver")
class CatalogApiServerTest {

  @TempDir
  Path tmp;
  final HttpClient http = HttpClient.newHttpClient();

  JsonNode get(TarmacOperator op, String path) throws Exception {
    var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + op.http().address().getPort()
        + path)).build(), HttpResponse.BodyHandlers.ofString());
    return Serialization.JSON.readTree(r.body());
  }

  static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void objectsBecomeEntitiesWithinASecondAndTheApiAnswersInBackstagesShapes() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String ns = TestCluster.get().newNamespace("cat");
    client.load(Files.newInputStream(RepoPaths.repo().resolve("examples/scorecards/default.yaml")))
        .serverSideApply();
    try (TarmacOperator op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default",
        "test", tmp.resolve("data"), false, 4, false, "tarmac:test", true)).start()) {
      Component c = Serialization.YAML.readValue("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata:
            name: checkout
            namespace: %s
            annotations: {backstage.io/techdocs-ref: "dir:.", pagerduty.com/service-id: P1}
          spec: {type: service, lifecycle: production, owner: team-%s, system: shop, dependsOn: [component:gone]}
          """.formatted(ns, ns), Component.class);
      long created = System.nanoTime();
      client.resource(c).create();
      String filter = q("kind=component,metadata.namespace=" + ns);
      JsonNode page = await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(
          () -> get(op, "/api/catalog/entities/by-query?filter=" + filter), p -> p.path("totalItems").asInt() == 1);
      double seconds = (System.nanoTime() - created) / 1e9;
      assertThat(seconds).as("change visible over HTTP").isLessThan(1.5);
      JsonNode entity = page.path("items").get(0);
      assertThat(entity.path("metadata").path("uid").asText()).isEqualTo(client.resource(c).get().getMetadata()
          .getUid());
      assertThat(page.has("pageInfo")).isTrue();
      assertThat(entity.path("status").path("items").get(0).path("message").asText()).contains("component:"
          + ns + "/gone");

      JsonNode byName = get(op, "/api/catalog/entities/by-name/component/" + ns + "/checkout");
      assertThat(byName.path("metadata").path("name").asText()).isEqualTo("checkout");
      JsonNode missing = get(op, "/api/catalog/entities/by-name/component/" + ns + "/nope");
      assertThat(missing.path("error").path("name").asText()).isEqualTo("NotFoundError");
      assertThat(missing.path("response").path("statusCode").asInt()).isEqualTo(404);
      JsonNode group = get(op, "/api/catalog/entities/by-name/group/default/team-" + ns);
      assertThat(group.path("relations").toString()).contains("ownerOf").contains("component:" + ns + "/checkout");
      JsonNode facets = get(op, "/api/catalog/entity-facets?facet=spec.lifecycle&filter=" + filter);
      assertThat(facets.path("facets").path("spec.lifecycle").get(0).path("value").asText()).isEqualTo("production");
      var refs = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + op.http().address().getPort()
          + "/api/catalog/entities/by-refs")).POST(HttpRequest.BodyPublishers.ofString(
          "{\"entityRefs\": [\"component:" + ns + "/checkout\", \"component:default/none\"], \"fields\": [\"kind\"]}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(Serialization.JSON.readTree(refs.body()).path("items").toString())
          .isEqualTo("[{\"kind\":\"Component\"},null]");

      // The Scorecard's result lands in the Component's status.
      Component scored = await().atMost(Duration.ofSeconds(10)).until(
          () -> client.resources(Component.class).inNamespace(ns).withName("checkout").get(),
          x -> x.getStatus() != null && !x.getStatus().scorecards.isEmpty());
      assertThat(scored.getStatus().scorecards.get(0).level).isEqualTo("Silver");
      String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + op.http().address()
          .getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("tarmac_scorecard_level{").contains("component:" + ns + "/checkout")
          .contains("tarmac_catalog_entities{kind=\"Component\"}").contains("tarmac_catalog_coverage_ratio{");

      // Deleting the object removes its entity.
      client.resource(c).delete();
      await().atMost(Duration.ofSeconds(5)).until(
          () -> get(op, "/api/catalog/entities/by-query?filter=" + filter).path("totalItems").asInt() == 0);
    }
  }
}
