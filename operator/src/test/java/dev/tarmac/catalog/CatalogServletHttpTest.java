package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.HttpServer;
import dev.tarmac.api.Serialization;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The catalog servlet on a real Jetty over loopback: its Server-Timing header and whole bodies, no cluster. */
class CatalogServletHttpTest {

  static HttpServer server;
  static String base;
  static final HttpClient CLIENT = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    CatalogIndex index = new CatalogIndex();
    // 300 Components with a long description each: the whole list (~150 KiB) outgrows the response buffer.
    String description = "x".repeat(400);
    for (int i = 0; i < 300; i++) {
      index.upsert("c" + i, Serialization.YAML.readTree("""
          apiVersion: backstage.io/v1alpha1
          kind: Component
          metadata: {name: svc-%d, namespace: default, uid: u-%d, description: %s}
          spec: {type: service, lifecycle: production, owner: team-a}
          """.formatted(i, i, description)), null);
    }
    index.rebuild();
    server = new HttpServer("127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        () -> new HttpServer.Readiness(true, ""), () -> new HttpServer.Readiness(true, ""));
    server.mount("/api/catalog/*", new CatalogServlet(index));
    server.start();
    base = "http://127.0.0.1:" + server.address().getPort() + "/api/catalog";
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aPageCarriesTheServersTimeAndItsLength() throws Exception {
    HttpResponse<String> r = get("/entities/by-query?limit=20&filter=kind=component");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Server-Timing")).hasValueSatisfying(v ->
        assertThat(v).matches("app;dur=[0-9]+\\.[0-9]+, gc;dur=[0-9]+;desc=[0-9]+, jetty;dur=[0-9]+\\.[0-9]+"));
    assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(r.body().getBytes().length);
    JsonNode body = Serialization.JSON.readTree(r.body());
    assertThat(body.path("items")).hasSize(20);
    assertThat(body.path("totalItems").asInt()).isEqualTo(300);
  }

  @Test
  void errorsCarryItToo() throws Exception {
    HttpResponse<String> r = get("/entities/by-name/component/default/nope");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Server-Timing")).hasValueSatisfying(v -> assertThat(v).startsWith("app;dur="));
    assertThat(Serialization.JSON.readTree(r.body()).path("error").path("name").asText()).isEqualTo("NotFoundError");
  }

  @Test
  void aResponseLargerThanTheBufferIsWholeWithoutIt() throws Exception {
    HttpResponse<String> r = get("/entities/by-query?limit=300");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body().length()).isGreaterThan(64 * 1024);
    assertThat(r.headers().firstValue("Server-Timing")).isEmpty();
    assertThat(Serialization.JSON.readTree(r.body()).path("items")).hasSize(300);
  }
}
