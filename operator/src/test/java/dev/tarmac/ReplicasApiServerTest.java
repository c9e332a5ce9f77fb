package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.OperatorProcesses.Operator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestPromises;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real operator processes ({@code tarmac run --leader-election}, each a JVM of its own with its own data
 * directory) against one API server, as two replicas of the chart: the leader reconciles and labels its Pod for the
 * Git Service; the standby answers the catalog API exactly as the leader does (request entities included), answers
 * {@code /git} with 503 naming the leader, and is Ready saying so; after a kill -9 of the leader the standby
 * reconciles a new request within 15 s (the figure is printed).
 */
@Tag("apiserver")
class ReplicasApiServerTest {

  /** The Lease changes hands within this after kill -9 (Lease duration + retry period, with room). */
  private static final Duration FAILOVER_GOAL = Duration.ofSeconds(15);
  /**
   * The standby reconciles a new request within this: the goal is 15 s too (docs/reliability.md has the figures,
   * 9.6–11 s on an idle machine), but the time after the takeover is CPU-bound (listing and starting informers), so
   * the test asserts it takes over at all, with room for a loaded CI machine, and prints the figure.
   */
  private static final Duration RECONCILE_BOUND = Duration.ofSeconds(30);

  @TempDir
  Path tmp;

  private OperatorProcesses operators;

  @AfterEach
  void stopReplicas() throws InterruptedException {
    if (operators != null) {
      operators.close();
    }
  }

  @Test
  void bothReplicasServeTheSameCatalogOnlyTheLeaderServesGitAndTheStandbyTakesOverWithin15s() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String ns = TestCluster.get().newNamespace("replicas");
    operators = new OperatorProcesses(tmp, TestCluster.get().kubeconfig(), ns);
    // The two Pods the replicas run as (no kubelet here: they stay Pending, only their labels matter).
    client.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata()
        .withName("default").endMetadata().build()).create();
    for (String pod : List.of("tarmac-a", "tarmac-b")) {
      client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName(pod)
          .withLabels(Map.of("app.kubernetes.io/name", "tarmac")).endMetadata().withNewSpec()
          .withAutomountServiceAccountToken(false).addNewContainer().withName("tarmac").withImage("tarmac:test")
          .endContainer().endSpec().build()).create();
    }
    TestStores.create(client, ns, null, Map.of("suite", ns), null);

    // A first, so it leads; then B, which stands by.
    Operator a = replica("tarmac-a");
    a.awaitReady("leader; serving reconciles", Duration.ofSeconds(90));
    Operator b = replica("tarmac-b");
    b.awaitReady("standby; leader is tarmac-a; serving catalog and metrics", Duration.ofSeconds(90));

    // The leader reconciles: a Promise becomes Available and its request Ready.
    String group = ns + ".example.dev";
    String promise = "cache-" + ns;
    client.resource(Serialization.YAML.treeToValue(Serialization.YAML.readTree(
        TestPromises.templatePromise(promise, group, "Cache", "suite", ns)), Promise.class)).create();
    await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Promise.class).withName(promise).get(),
        p -> p.getStatus() != null && Conditions.isTrue(p.getStatus(), Conditions.AVAILABLE));
    var requests = client.genericKubernetesResources(group + "/v1", "Cache").inNamespace(ns);
    requests.resource(request(group, ns, "c1")).create();
    await().atMost(Duration.ofSeconds(60)).until(() -> requests.withName("c1").get(),
        r -> "True".equals(condition(r, "Ready")));

    // The catalog: the same request entities (Ready included) through either replica.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Map<String, JsonNode> onA = requestEntities(a, promise);
      assertThat(onA).containsOnlyKeys("c1");
      assertThat(onA.get("c1").toString()).contains("\"ready\"");
      assertThat(requestEntities(b, promise)).isEqualTo(onA);
    });

    // /git: the leader serves it and labelled its Pod for the Git Service; the standby says where to go.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(leaderLabel(client, ns, "tarmac-a")).isEqualTo("true");
      assertThat(leaderLabel(client, ns, "tarmac-b")).isNull();
    });
    String refs = "/git/" + ns + ".git/info/refs?service=git-upload-pack";
    assertThat(a.get(refs).statusCode()).isEqualTo(200);
    HttpResponse<String> standbyGit = b.get(refs);
    assertThat(standbyGit.statusCode()).isEqualTo(503);
    assertThat(standbyGit.body()).contains("standby").contains("tarmac-a").contains("-git");

    // kill -9 of the leader, then a new request: the standby must reconcile it within 15 s.
    long killed = System.nanoTime();
    a.process.destroyForcibly();
    requests.resource(request(group, ns, "c2")).create();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> client.leases()
        .inNamespace(ns).withName("tarmac").get(), l -> "tarmac-b".equals(l.getSpec().getHolderIdentity()));
    double takenOver = (System.nanoTime() - killed) / 1e9;
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> requests.withName("c2").get(), r -> r.getAdditionalProperties().get("status") != null);
    double reconciled = (System.nanoTime() - killed) / 1e9;
    b.awaitReady("leader; serving reconciles", Duration.ofSeconds(30));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> requests.withName("c2").get(), r -> "True".equals(condition(r, "Ready")));
    double ready = (System.nanoTime() - killed) / 1e9;
    System.out.printf("replicas: kill -9 of the leader -> standby held the Lease after %.1f s, reconciled a new request"
        + " after %.1f s, Ready after %.1f s (Lease %s)%n", takenOver, reconciled, ready, LeaseTimings.DEFAULT);
    assertThat(takenOver).as("failover: seconds from kill -9 until the standby held the Lease").isLessThanOrEqualTo(
        FAILOVER_GOAL.toSeconds());
    assertThat(reconciled).as("seconds from kill -9 until the standby reconciled").isLessThanOrEqualTo(
        RECONCILE_BOUND.toSeconds());

    // The new leader took the label from the dead one and serves /git; its catalog has both requests.
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(leaderLabel(client, ns, "tarmac-b")).isEqualTo("true");
      assertThat(leaderLabel(client, ns, "tarmac-a")).isNull();
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(b.get(refs).statusCode()).isEqualTo(200));
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(requestEntities(b, promise))
        .containsOnlyKeys("c1", "c2"));
  }

  /** A replica of the chart: one {@code tarmac run --leader-election} process. */
  private Operator replica(String pod) throws IOException {
    return operators.start(pod, List.of("-XX:+UseSerialGC", "-Xmx384m", "-XX:TieredStopAtLevel=1"),
        "--reconcile-threads", "4");
  }

  /** The catalog's Resource entities of Promise {@code promise} on replica {@code r}, by name. */
  private static Map<String, JsonNode> requestEntities(Operator r, String promise) throws Exception {
    HttpResponse<String> res = r.get("/api/catalog/entities/by-query?filter="
        + URLEncoder.encode("kind=resource,spec.promise=" + promise, StandardCharsets.UTF_8));
    assertThat(res.statusCode()).as("catalog on %s: %s", r.pod, res.body()).isEqualTo(200);
    Map<String, JsonNode> out = new TreeMap<>();
    for (JsonNode e : Serialization.JSON.readTree(res.body()).path("items")) {
      out.put(e.path("metadata").path("name").asText(), e);
    }
    return out;
  }

  private static String leaderLabel(KubernetesClient client, String ns, String pod) {
    Pod p = client.pods().inNamespace(ns).withName(pod).get();
    return p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(LeaderLabel.LABEL);
  }

  private static GenericKubernetesResource request(String group, String ns, String name) throws IOException {
    return Serialization.YAML.treeToValue(Serialization.YAML.readTree("""
        apiVersion: %s/v1
        kind: Cache
        metadata: {name: %s, namespace: %s}
        spec: {size: large}
        """.formatted(group, name, ns)), GenericKubernetesResource.class);
  }

  private static String condition(GenericKubernetesResource r, String type) {
    for (JsonNode c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path("status").asText();
      }
    }
    return null;
  }
}
