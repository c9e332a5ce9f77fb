package dev.tarmac.bench;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The leanest client this harness can write to the API server: the JDK's HTTP client on one HTTP/2 connection (TLS,
 * ALPN; the kubeconfig's client certificate or token), request bodies serialized before the clock starts,
 * {@link #IN_FLIGHT} creates in flight at once, nothing parsed from the answers but the status code. It measures
 * {@code R} of issue 17's efficiency figure (the least time the API server needs for N writes is {@code N / R},
 * whatever the client), and creates the benchmark's requests, so the harness takes as little of the shared CPU as
 * it can.
 */
final class RawWrites {

  /** Creates in flight at once: enough to keep a 2-core API server and etcd busy (more only queues). */
  static final int IN_FLIGHT = 48;

  private final HttpClient http;
  private final String master;
  private final String token;

  /** A client for the API server of {@code config} (its CA, client certificate or bearer token). */
  RawWrites(Config config) throws Exception {
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
        .sslContext(SSLUtils.sslContext(config)).connectTimeout(Duration.ofSeconds(10)).build();
    String url = config.getMasterUrl();
    this.master = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.token = config.getAutoOAuthToken() != null ? config.getAutoOAuthToken() : config.getOauthToken();
  }

  /**
   * Creates {@code n} ConfigMaps {@code raw-<i>} in namespace {@code ns} (which must exist); returns writes per
   * second from the first request sent to the last answer received.
   *
   * @throws IllegalStateException when a create is refused (any status but 201), naming the status and body
   */
  double configMapsPerSecond(String ns, int n) throws Exception {
    List<String> bodies = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      bodies.add("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"raw-" + i
          + "\"},\"data\":{\"k\":\"v" + i + "\"}}");
    }
    return n / post("/api/v1/namespaces/" + ns + "/configmaps", bodies, i -> { });
  }

  /**
   * POSTs each of {@code bodies} (JSON) to {@code path} (e.g. {@code /apis/g/v1/namespaces/ns/kinds}), at most
   * {@link #IN_FLIGHT} at once; {@code sending} is called with a body's index just before it is sent. Returns the
   * seconds from the first send to the last answer.
   *
   * @throws IllegalStateException when a create is refused (any status but 201), naming the status and body
   */
  double post(String path, List<String> bodies, IntConsumer sending) throws Exception {
    URI uri = URI.create(master + path);
    List<HttpRequest> requests = new ArrayList<>(bodies.size());
    for (String body : bodies) {
      requests.add(request(uri).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.UTF_8))).build());
    }
    // One request first, untimed: the TLS handshake and the HTTP/2 connection are made before the clock starts.
    HttpResponse<String> warm = http.send(request(URI.create(master + "/version")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (warm.statusCode() != 200) {
      throw new IllegalStateException("GET /version: " + warm.statusCode() + " " + warm.body());
    }
    int n = requests.size();
    Semaphore slots = new Semaphore(IN_FLIGHT);
    AtomicInteger done = new AtomicInteger();
    AtomicReference<String> failure = new AtomicReference<>();
    CompletableFuture<Void> all = new CompletableFuture<>();
    if (n == 0) {
      all.complete(null);
    }
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      slots.acquire();
      if (failure.get() != null) {
        break;
      }
      sending.accept(i);
      http.sendAsync(requests.get(i), HttpResponse.BodyHandlers.ofString()).whenComplete((resp, e) -> {
        slots.release();
        if (e != null) {
          failure.compareAndSet(null, e.toString());
        } else if (resp.statusCode() != 201) {
          failure.compareAndSet(null, resp.statusCode() + " " + resp.body());
        }
        if (done.incrementAndGet() == n || failure.get() != null) {
          all.complete(null);
        }
      });
    }
    all.get();
    double seconds = (System.nanoTime() - start) / 1e9;
    if (failure.get() != null) {
      throw new IllegalStateException("POST " + path + " failed: " + failure.get());
    }
    return seconds;
  }

  private HttpRequest.Builder request(URI uri) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", "application/json")
        .timeout(Duration.ofSeconds(60));
    return token == null || token.isBlank() ? b : b.header("Authorization", "Bearer " + token);
  }
}
