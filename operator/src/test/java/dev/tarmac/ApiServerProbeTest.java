package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The probe against a real HTTP server on 127.0.0.1 that answers as kube-apiserver's /readyz does, and a closed port. */
class ApiServerProbeTest {

  private static final String FAILING = """
      [+]ping ok
      [+]log ok
      [-]etcd failed: reason withheld
      [+]poststarthook/start-apiextensions-informers ok
      readyz check failed
      """;

  @Test
  void failingChecksAreNamed() {
    assertThat(ApiServerProbe.failingChecks(FAILING)).isEqualTo("etcd failed: reason withheld");
    assertThat(ApiServerProbe.failingChecks("")).isEqualTo("(no body)");
    assertThat(ApiServerProbe.failingChecks("service unavailable\n")).isEqualTo("service unavailable");
  }

  @Test
  void followsTheApiServersReadyzAndSaysWhySinceWhen() throws Exception {
    AtomicInteger code = new AtomicInteger(200);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/readyz", exchange -> {
      byte[] body = (code.get() == 200 ? "ok" : FAILING).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(code.get(), body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try (KubernetesClient client = client(server.getAddress().getPort());
        ApiServerProbe probe = new ApiServerProbe(client, Clock.systemUTC())) {
      assertThat(probe.probe().reachable()).isTrue();
      code.set(500);
      ApiServerProbe.State down = probe.probe();
      assertThat(down.reachable()).isFalse();
      assertThat(down.detail()).isEqualTo("its /readyz answered HTTP 500: etcd failed: reason withheld");
      assertThat(probe.probe().since()).as("the outage keeps its start").isEqualTo(down.since());
      code.set(200);
      assertThat(probe.probe()).extracting(ApiServerProbe.State::reachable, ApiServerProbe.State::detail)
          .containsExactly(true, "ok");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aClosedPortIsUnreachableAtOnceWithoutTheClientsRetries() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (KubernetesClient client = client(port); ApiServerProbe probe = new ApiServerProbe(client, Clock.systemUTC())) {
      long started = System.nanoTime();
      ApiServerProbe.State state = probe.probe();
      assertThat(state.reachable()).isFalse();
      assertThat(state.detail()).containsIgnoringCase("refused");
      assertThat((System.nanoTime() - started) / 1_000_000).as("ms: no 19 s of client retries").isLessThan(2000);
    }
  }

  private static KubernetesClient client(int port) {
    return new KubernetesClientBuilder().withConfig(new ConfigBuilder(Config.empty())
        .withMasterUrl("http://127.0.0.1:" + port + "/").build()).build();
  }
}
