package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestPromises;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 part 3: a restarted operator is invisible from outside. 100 Ready requests of a built-in-step Promise
 * (and a few Works made directly) publish to a real {@code git daemon} on 127.0.0.1 and to the embedded store; the
 * operator is closed and a new one started on the same data directory. Counted by the API server
 * ({@code apiserver_request_total}) and the Git repositories, not by our own counters: zero status writes, zero
 * writes of any kind to Tarmac's objects, zero commits, and a watch started before the restart never sees a request
 * leave {@code Ready=True}.
 */
@Tag("apiserver")
class RestartApiServerTest {

  static final int REQUESTS = 100;
  /** Works made directly (not by a request), placed like the requests' Works. */
  static final int WORKS = 3;

  @TempDir
  Path tmp;

  @Test
  void aRestartedOperatorMakesNoWritesNoCommitsAndNoReadyFlip() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String suite = TestCluster.get().newNamespace("restart");
    String group = suite + ".example.dev";
    Path served = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(served, "remote");
    try (GitCli.Daemon daemon = new GitCli.Daemon(served)) {
      TestStores.create(client, suite, daemon.url("remote.git"), Map.of("suite", suite), "dev");
      // A second Destination, on the embedded store: every Work is placed on both.
      String embedded = suite + "-e";
      TestStores.create(client, embedded, null, Map.of("suite", suite), "dev");
      Path embeddedRepo = tmp.resolve("data/git/" + embedded + ".git");
      var settings = new TarmacOperator.Settings("127.0.0.1", 0, false, suite, "test", tmp.resolve("data"), false,
          4, false, "tarmac:test", true);
      TarmacOperator first = new TarmacOperator(client, settings).start();
      TarmacOperator second = null;
      Watch watch = null;
      try {
        client.resource(Serialization.YAML.treeToValue(Serialization.YAML.readTree(
            TestPromises.templatePromise("cache-" + suite, group, "Cache", "suite", suite)), Promise.class)).create();
        await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Promise.class).withName("cache-" + suite)
            .get(), p -> p.getStatus() != null && Conditions.isTrue(p.getStatus(), Conditions.AVAILABLE));
        var requests = client.genericKubernetesResources(group + "/v1", "Cache").inNamespace(suite);
        IntStream.range(0, REQUESTS).forEach(i -> requests.resource(request(group, suite, "c" + i)).create());
        IntStream.range(0, WORKS).forEach(i -> client.resource(work(suite, "w" + i, Map.of("suite", suite)))
            .create());

        // Steady state: every request Ready, every Work Published, the store's status names the remote's tip.
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> requests.list()
            .getItems().stream().filter(r -> "True".equals(ready(r))).count() == REQUESTS);
        await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Work.class).inNamespace(suite).list()
            .getItems().stream().filter(w -> w.getStatus() != null
                && Conditions.isTrue(w.getStatus(), Conditions.PUBLISHED)
                && w.getStatus().placements.size() == 2).count() == REQUESTS + WORKS);
        String tip = GitCli.git(bare, "rev-parse", "main").trim();
        String embeddedTip = GitCli.git(embeddedRepo, "rev-parse", "main").trim();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          GitStateStore s = client.resources(GitStateStore.class).withName(suite).get();
          GitStateStore e = client.resources(GitStateStore.class).withName(embedded).get();
          return s.getStatus() != null && tip.equals(s.getStatus().lastCommit)
              && e.getStatus() != null && embeddedTip.equals(e.getStatus().lastCommit);
        });
        // The Promise's request counts are refreshed on its periodic reconcile (every 30 s): steady means they
        // show every request Ready too.
        await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Promise.class).withName("cache-" + suite)
            .get(), p -> p.getStatus().requests != null && p.getStatus().requests.ready == REQUESTS);
        String commitsBefore = GitCli.git(bare, "rev-list", "--count", "main").trim();
        String tipBefore = GitCli.git(bare, "rev-parse", "main").trim();
        String embeddedCommitsBefore = GitCli.git(embeddedRepo, "rev-list", "--count", "main").trim();
        Map<String, String> versions = versions(client, suite, group);

        // Every status the restart window shows, seen by a watch started before it.
        List<String> leftReady = new CopyOnWriteArrayList<>();
        Map<String, String> modified = new ConcurrentHashMap<>();
        watch = requests.watch(new Watcher<>() {
          @Override
          public void eventReceived(Action action, GenericKubernetesResource r) {
            if (action == Action.MODIFIED) {
              modified.put(r.getMetadata().getName(), r.getMetadata().getResourceVersion());
            }
            if (!"True".equals(ready(r))) {
              leftReady.add(r.getMetadata().getName() + " " + action + " " + Serialization.JSON.valueToTree(r)
                  .path("status").path("conditions"));
            }
          }

          @Override
          public void onClose(WatcherException cause) {
          }
        });
        // Works, stores and Destinations of this test: every MODIFIED event on them.
        List<String> otherModified = new CopyOnWriteArrayList<>();
        List<Watch> watches = new java.util.ArrayList<>();
        watches.add(client.resources(Work.class).inNamespace(suite).watch(modifiedInto(otherModified, n -> true)));
        watches.add(client.resources(GitStateStore.class).watch(modifiedInto(otherModified,
            n -> n.equals(suite) || n.equals(embedded))));
        watches.add(client.resources(dev.tarmac.api.Destination.class).watch(modifiedInto(otherModified,
            n -> n.equals(suite) || n.equals(embedded))));
        // Other tests in this JVM may have left their objects (a closed operator's stores whose remote is gone):
        // the new operator reconciles those too, and their changes are real. The API server's own count is then
        // asserted for this test's request kind (its group is unique), and for everything when nothing else is there.
        boolean alone = client.resources(Work.class).inAnyNamespace().list().getItems().stream()
            .allMatch(w -> w.getMetadata().getNamespace().equals(suite))
            && client.resources(GitStateStore.class).list().getItems().size() == 2
            && client.resources(dev.tarmac.api.Component.class).inAnyNamespace().list().getItems().isEmpty()
            && client.resources(dev.tarmac.api.Database.class).inAnyNamespace().list().getItems().isEmpty();
        Map<String, Double> writesBefore = writes(client);

        first.close();
        second = new TarmacOperator(client, settings).start();
        TarmacOperator restarted = second;
        // Proof that the new operator has done its work: every request reconciled, every Work re-confirmed against
        // the remote (a write that found its files in place), and nothing left to commit.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(
            () -> restarted.requestReconciles("cache-" + suite) >= REQUESTS
                && restarted.workConfirmations(suite) >= REQUESTS + WORKS);
        await().atMost(Duration.ofSeconds(30)).until(() -> restarted.metrics().get("tarmac.git.pending.changes")
            .gauge().value() == 0);
        // The store is reconciled when its new writer is made and again when the writer's first answer comes back;
        // the Destination and the Promise at least once.
        await().atMost(Duration.ofSeconds(30)).until(() -> reconciled(restarted, "GitStateStore") >= 4
            && reconciled(restarted, "Destination") >= 2 && reconciled(restarted, "Promise") >= 1);
        double reconciles = restarted.requestReconciles("cache-" + suite);
        double confirmations = restarted.workConfirmations(suite);
        Map<String, Double> writesAfter = writes(client);
        Map<String, Double> delta = new TreeMap<>();
        writesAfter.forEach((k, v) -> {
          double d = v - writesBefore.getOrDefault(k, 0.0);
          if (d > 0) {
            delta.put(k, d);
          }
        });
        System.out.printf("restart: %d requests, %.0f request reconciles, %.0f Work confirmations, %.0f store, %.0f"
            + " Destination and %.0f Promise reconciles; API writes %s; remote commits %s -> %s; embedded store"
            + " commits %s -> %s; only this test's objects in the cluster: %s%n", REQUESTS, reconciles, confirmations,
            reconciled(restarted, "GitStateStore"), reconciled(restarted, "Destination"),
            reconciled(restarted, "Promise"), delta, commitsBefore,
            GitCli.git(bare, "rev-list", "--count", "main").trim(), embeddedCommitsBefore,
            GitCli.git(embeddedRepo, "rev-list", "--count", "main").trim(), alone);

        assertThat(delta.keySet().stream().filter(k -> k.contains(group)).toList())
            .as("writes of %s answered by the API server during the restart", group).isEmpty();
        if (alone) {
          assertThat(delta).as("writes answered by the API server during the restart (verb resource/subresource)")
              .isEmpty();
        }
        watches.forEach(Watch::close);
        assertThat(otherModified).as("Works, stores and Destinations modified during the restart").isEmpty();
        assertThat(modified).as("requests modified during the restart").isEmpty();
        assertThat(leftReady).as("request statuses other than Ready=True seen during the restart").isEmpty();
        assertThat(versions(client, suite, group)).as("resourceVersions of every request, Work, store, Destination")
            .isEqualTo(versions);
        assertThat(GitCli.git(bare, "rev-parse", "main").trim()).as("remote tip").isEqualTo(tipBefore);
        assertThat(GitCli.git(bare, "rev-list", "--count", "main").trim()).as("remote commits")
            .isEqualTo(commitsBefore);
        assertThat(GitCli.git(embeddedRepo, "rev-list", "--count", "main").trim()).as("embedded store commits")
            .isEqualTo(embeddedCommitsBefore);
        assertThat(counter(restarted, "tarmac.git.commits")).as("commits by the new operator").isZero();
      } finally {
        if (watch != null) {
          watch.close();
        }
        if (second != null) {
          second.close();
        } else {
          first.close();
        }
      }
    }
  }

  static <T extends io.fabric8.kubernetes.api.model.HasMetadata> Watcher<T> modifiedInto(List<String> seen,
      java.util.function.Predicate<String> mine) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, T o) {
        if (action == Action.MODIFIED && mine.test(o.getMetadata().getName())) {
          seen.add(o.getKind() + "/" + o.getMetadata().getName() + " " + o.getMetadata().getResourceVersion());
        }
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    };
  }

  static GenericKubernetesResource request(String group, String ns, String name) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(group + "/v1");
    r.setKind("Cache");
    r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    r.setAdditionalProperty("spec", Map.of("size", "large"));
    return r;
  }

  static Work work(String ns, String name, Map<String, String> selector) {
    Work w = new Work();
    w.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    w.setSpec(new Work.Spec());
    w.getSpec().owner = new Work.OwnerRef();
    w.getSpec().owner.kind = "Redis";
    w.getSpec().owner.namespace = ns;
    w.getSpec().owner.name = name;
    dev.tarmac.api.Selector s = new dev.tarmac.api.Selector();
    s.matchLabels = selector;
    w.getSpec().destinationSelectors = List.of(s);
    w.getSpec().files.add(new Work.WorkFile("redis.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "
        + name + "}\n"));
    return w;
  }

  static String ready(GenericKubernetesResource r) {
    for (JsonNode c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        return c.path("status").asText();
      }
    }
    return null;
  }

  static double counter(TarmacOperator op, String name) {
    return op.metrics().get(name).functionCounter().count();
  }

  /** Reconciles of {@code kind} the operator's controllers finished since it started (JOSDK's own metric). */
  static double reconciled(TarmacOperator op, String kind) {
    return op.metrics().find("operator.sdk.reconciliations.success").tag("kind", kind).counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  /** resourceVersion of every object the restart could write, by kind/name. */
  static Map<String, String> versions(KubernetesClient client, String ns, String group) {
    Map<String, String> v = new TreeMap<>();
    client.genericKubernetesResources(group + "/v1", "Cache").inNamespace(ns).list().getItems()
        .forEach(r -> v.put("Cache/" + r.getMetadata().getName(), r.getMetadata().getResourceVersion()));
    client.resources(Work.class).inNamespace(ns).list().getItems()
        .forEach(r -> v.put("Work/" + r.getMetadata().getName(), r.getMetadata().getResourceVersion()));
    for (String store : List.of(ns, ns + "-e")) {
      v.put("GitStateStore/" + store, client.resources(GitStateStore.class).withName(store).get().getMetadata()
          .getResourceVersion());
      v.put("Destination/" + store, client.resources(dev.tarmac.api.Destination.class).withName(store).get()
          .getMetadata().getResourceVersion());
    }
    v.put("Promise", client.resources(Promise.class).withName("cache-" + ns).get().getMetadata()
        .getResourceVersion());
    return v;
  }

  /**
   * Writes the API server has answered so far, from its own {@code apiserver_request_total}: "VERB resource group"
   * or "VERB resource/subresource group" to count. Events and Leases are left out (an Event is not a change to an
   * object; the test runs without leader election).
   */
  static Map<String, Double> writes(KubernetesClient client) {
    Map<String, Double> total = new TreeMap<>();
    for (String line : client.raw("/metrics").split("\n")) {
      if (!line.startsWith("apiserver_request_total{")) {
        continue;
      }
      String verb = label(line, "verb");
      if (!List.of("PATCH", "UPDATE", "POST", "CREATE", "DELETE", "APPLY").contains(verb)) {
        continue;
      }
      String resource = label(line, "resource");
      if (List.of("events", "leases", "tokenreviews", "subjectaccessreviews", "selfsubjectaccessreviews")
          .contains(resource)) {
        continue;
      }
      String sub = label(line, "subresource");
      String key = verb + " " + resource + (sub.isEmpty() ? "" : "/" + sub) + " " + label(line, "group");
      total.merge(key, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
    }
    return total;
  }

  private static String label(String line, String name) {
    int i = line.indexOf("," + name + "=\"");
    if (i < 0) {
      i = line.indexOf("{" + name + "=\"");
    }
    if (i < 0) {
      return "";
    }
    int start = i + name.length() + 3;
    return line.substring(start, line.indexOf('"', start));
  }
}
