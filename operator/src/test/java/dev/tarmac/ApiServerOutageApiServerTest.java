package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestPromises;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 part 4: the kube-apiserver goes away for {@link #OUTAGE} and comes back (same etcd data, same address),
 * on a cluster of this test's own ({@link TestCluster#dedicated}). Requests of a built-in-step Promise are created
 * right before the kill (so their reconciles are in flight when it dies) and, by a client that retries as
 * {@code kubectl apply} in a loop would, throughout the outage. Asserted: the operator's {@code /readyz} says the API
 * server is unreachable during the outage and is ready again after it; afterwards every request is {@code Ready}
 * with no manual step, each has exactly one Work, there is no Job (built-in steps), and the state store holds each
 * request's file exactly once. The operator runs as the chart runs it, with leader election (Lease timings 8 s / 5 s /
 * 1 s), under {@link OperatorSupervisor} as {@code tarmac run} does: it loses its Lease 5 s into the outage, stops
 * reconciling, and a new operator in the same process takes the Lease again when the API server is back.
 * ({@code make run} and {@code make demo} run without leader election: nothing stops, the same operator resumes.)
 */
@Tag("apiserver")
class ApiServerOutageApiServerTest {

  static final Duration OUTAGE = Duration.ofSeconds(30);
  /** Requests created and Ready before the outage. */
  static final int SETTLED = 10;
  /** Requests created just before the kill: in flight when the API server dies. */
  static final int IN_FLIGHT = 10;

  @TempDir
  Path tmp;

  @Test
  void everyRequestIsReadyAfterTheApiServerComesBackAndReadyzToldTheOutage() throws Exception {
    try (TestCluster cluster = TestCluster.dedicated(tmp.resolve("cluster"));
        KubernetesClient client = cluster.newClient();
        KubernetesClient operatorClient = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
            TarmacOperator.tune(io.fabric8.kubernetes.client.Config.fromKubeconfig(cluster.kubeconfig()))).build()) {
      String ns = cluster.newNamespace("outage");
      String group = ns + ".example.dev";
      TestStores.create(client, ns, null, Map.of("suite", ns), "dev");
      int port;
      try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
        port = free.getLocalPort();
      }
      var settings = new TarmacOperator.Settings("127.0.0.1", port, true, ns, "test", tmp.resolve("data"), false, 4,
          false, "tarmac:test", true);
      try (OperatorSupervisor operators = new OperatorSupervisor(() -> new TarmacOperator(operatorClient, settings)
          .start())) {
        // What tarmac run does every 2 s.
        AtomicBoolean supervising = new AtomicBoolean(true);
        List<String> fatal = new CopyOnWriteArrayList<>();
        Thread supervisor = new Thread(() -> {
          while (supervising.get()) {
            String why = operators.check();
            if (why != null) {
              fatal.add(why);
            }
            sleep(1000);
          }
        }, "test-supervisor");
        supervisor.setDaemon(true);
        supervisor.start();
        URI readyz = URI.create("http://127.0.0.1:" + port + "/readyz");
        await().atMost(Duration.ofSeconds(30)).until(() -> get(readyz).statusCode() == 200);
        client.resource(Serialization.YAML.treeToValue(Serialization.YAML.readTree(
            TestPromises.templatePromise("cache-" + ns, group, "Cache", "suite", ns)), Promise.class)).create();
        await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Promise.class).withName("cache-" + ns)
            .get(), p -> p.getStatus() != null && Conditions.isTrue(p.getStatus(), Conditions.AVAILABLE));
        var requests = client.genericKubernetesResources(group + "/v1", "Cache").inNamespace(ns);
        Set<String> created = new ConcurrentSkipListSet<>();
        for (int i = 0; i < SETTLED; i++) {
          requests.resource(request(group, ns, "s" + i)).create();
          created.add("s" + i);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> readyCount(requests.list().getItems()) == SETTLED);
        assertThat(get(readyz).statusCode()).isEqualTo(200);

        // A client creating one request every 500 ms, each retried until the API server accepts it (409: an
        // earlier attempt did reach it).
        AtomicBoolean creating = new AtomicBoolean(true);
        Thread creator = new Thread(() -> {
          for (int i = 0; creating.get(); i++) {
            String name = "d" + i;
            while (true) {
              try {
                requests.resource(request(group, ns, name)).create();
                created.add(name);
                break;
              } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                  created.add(name);
                  break;
                }
                sleep(250);
              }
            }
            sleep(500);
          }
        }, "outage-creator");

        for (int i = 0; i < IN_FLIGHT; i++) {
          requests.resource(request(group, ns, "f" + i)).create();
          created.add("f" + i);
        }
        creator.start();
        long killed = System.nanoTime();
        cluster.stopApiServer();

        // /readyz during the outage: not ready, and why.
        List<String> outageBodies = new CopyOnWriteArrayList<>();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
          Answer r = get(readyz);
          if (r.statusCode() != 200) {
            outageBodies.add(r.body());
          }
          return r.statusCode() == 503;
        });
        double notReadyAfter = seconds(killed);
        long restUntil = killed + OUTAGE.toNanos();
        double lostAfter = -1;
        while (System.nanoTime() < restUntil) {
          Answer r = get(readyz);
          assertThat(r.statusCode()).as("/readyz while the API server is down: %s", r.body()).isEqualTo(503);
          outageBodies.add(r.body());
          if (lostAfter < 0 && r.body().contains("lost leadership")) {
            lostAfter = seconds(killed);
          }
          Thread.sleep(250);
        }
        // The Lease was last renewed at most a retry period (1 s) before the kill and expires 8 s after that: the
        // leader must have stopped before a standby could take it.
        assertThat(lostAfter).as("s from the kill to the stop after the lost Lease").isBetween(0.0, 7.0);
        assertThat(outageBodies.get(outageBodies.size() - 1)).contains("API server").contains("unreachable since")
            .contains("connection refused").contains("lost leadership");
        assertThat(operators.restarts()).as("no restart while the API server is down").isZero();

        long restarted = System.nanoTime();
        cluster.startApiServer();
        double startedIn = seconds(restarted);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .until(() -> get(readyz).statusCode() == 200);
        double readyzBackAfter = seconds(restarted);
        // Two more requests after the API server is back, then the creator stops.
        int before = created.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> created.size() >= before + 2);
        creating.set(false);
        creator.join(30_000);
        int total = created.size();

        try {
          // Recovery takes seconds on an idle machine (docs/reliability.md); the bound leaves room for a loaded one.
          await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            var items = requests.list().getItems();
            return items.size() == total && readyCount(items) == total;
          });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          StringBuilder why = new StringBuilder("not all " + total + " requests Ready; /readyz: " + get(readyz)
              + "\n");
          for (var r : requests.list().getItems()) {
            if (!"True".equals(ready(r))) {
              why.append(r.getMetadata().getName()).append(": ").append(Serialization.JSON.valueToTree(r)
                  .path("status").path("conditions").toString()).append("\n");
            }
          }
          for (Work w : client.resources(Work.class).inNamespace(ns).list().getItems()) {
            if (w.getStatus() == null || !Conditions.isTrue(w.getStatus(), Conditions.PUBLISHED)) {
              why.append("Work ").append(w.getMetadata().getName()).append(": ")
                  .append(String.valueOf((Object) Serialization.JSON.valueToTree(w.getStatus()))).append("\n");
            }
          }
          why.append("store: ").append(String.valueOf((Object) Serialization.JSON.valueToTree(client.resources(
              dev.tarmac.api.GitStateStore.class).withName(ns).get().getStatus())));
          throw new AssertionError(why.toString(), e);
        }
        double allReadyAfter = seconds(restarted);
        supervising.set(false);
        assertThat(fatal).isEmpty();
        assertThat(operators.restarts()).as("one new operator after the lost Lease").isEqualTo(1);
        assertThat(operators.current().leading()).isTrue();

        // Nothing duplicated: one Work per request, no Job, each request's file once in the store.
        Map<String, Long> worksPerRequest = client.resources(Work.class).inNamespace(ns).list().getItems().stream()
            .filter(w -> w.getMetadata().getLabels() != null && "Cache".equals(w.getMetadata().getLabels()
                .get(Labels.OWNER_KIND)))
            .collect(Collectors.groupingBy(w -> w.getMetadata().getLabels().get(Labels.OWNER_NAME), TreeMap::new,
                Collectors.counting()));
        assertThat(worksPerRequest.keySet()).containsExactlyInAnyOrderElementsOf(created);
        assertThat(worksPerRequest.values()).allMatch(n -> n == 1L);
        assertThat(client.batch().v1().jobs().inAnyNamespace().list().getItems()).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> cacheFiles(tmp.resolve("data/git/" + ns + ".git"))
            .size() == total);
        List<String> files = cacheFiles(tmp.resolve("data/git/" + ns + ".git"));
        assertThat(files).doesNotHaveDuplicates().hasSize(total);

        System.out.printf("apiserver outage (leader election, %d in-process restart): %d requests (%d settled, %d in flight at the kill, %d created by a"
            + " retrying client around a %d s outage); /readyz not ready %.1f s after the kill, the Lease lost and"
            + " reconciling stopped %.1f s after it (%s); API server"
            + " serving %.1f s after its start; /readyz ready %.1f s and every request Ready %.1f s after the API"
            + " server was started; 1 Work per request, 0 Jobs, %d files in Git%n", operators.restarts(), total, SETTLED, IN_FLIGHT,
            total - SETTLED - IN_FLIGHT, OUTAGE.toSeconds(), notReadyAfter, lostAfter,
            outageBodies.get(outageBodies.size() - 1).strip(), startedIn, readyzBackAfter, allReadyAfter,
            files.size());
      }
    }
  }

  private static List<String> cacheFiles(Path bare) throws Exception {
    Process p = new ProcessBuilder("git", "--git-dir", bare.toString(), "ls-tree", "-r", "--name-only", "main")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out.lines().filter(l -> l.endsWith("cache.yaml")).toList();
  }

  /** An HTTP answer; status 0 while nothing listens (a new operator is starting). */
  record Answer(int statusCode, String body) {
  }

  private static Answer get(URI uri) throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body());
    } catch (java.io.IOException e) {
      return new Answer(0, e.toString());
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long readyCount(List<GenericKubernetesResource> items) {
    return items.stream().filter(r -> "True".equals(ready(r))).count();
  }

  static GenericKubernetesResource request(String group, String ns, String name) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(group + "/v1");
    r.setKind("Cache");
    r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    r.setAdditionalProperty("spec", Map.of("size", "large"));
    return r;
  }

  static String ready(GenericKubernetesResource r) {
    for (JsonNode c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        return c.path("status").asText();
      }
    }
    return null;
  }
}
