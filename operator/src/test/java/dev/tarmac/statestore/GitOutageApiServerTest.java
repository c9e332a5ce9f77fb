package dev.tarmac.statestore;

import static dev.tarmac.statestore.GitCli.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestPromises;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 part 4, Git side: every outage of a real {@code git daemon} on 127.0.0.1 is a condition on the
 * GitStateStore and its Destination, with the next attempt time, and clears itself with nothing lost. In order: the
 * daemon stopped (StateStoreUnreachable on store, Destination, a waiting Work and the request whose Work it is) and
 * restarted; the branch deleted with the git CLI (re-created with every Work, BranchRecreated); and, while the
 * operator is stopped, the branch force-pushed to an older commit (HistoryRewritten found at the next start, the
 * dropped Work's files back). After each, every Work's files are in the branch exactly once and nothing else is.
 *
 * <p>The writer's backoff is capped at 2 s and its idle history check runs every 2 s here ({@link #TIMING}); the
 * defaults (30 s, 1 min) only stretch the same sequence.
 */
@Tag("apiserver")
class GitOutageApiServerTest {

  /** Backoff 200 ms doubling to 2 s; an idle writer fetches every 2 s. */
  static final GitWriter.Timing TIMING = new GitWriter.Timing(Duration.ofMillis(200), Duration.ofSeconds(2),
      Duration.ofSeconds(2));
  /**
   * The longest a fault may take to show on the store: the idle check, a retry, and the reconcile that writes status.
   */
  static final Duration ONE_INTERVAL = TIMING.historyCheck().plus(TIMING.maxBackoff()).plusSeconds(6);

  @TempDir
  Path tmp;

  private KubernetesClient client;
  private String ns;

  private TarmacOperator operator() {
    return new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, ns, "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test", true)).withGitTiming(TIMING).start();
  }

  private GitStateStore store() {
    return client.resources(GitStateStore.class).withName(ns).get();
  }

  private Destination destination() {
    return client.resources(Destination.class).withName(ns).get();
  }

  private static Condition ready(dev.tarmac.api.TarmacStatus status) {
    return status == null ? null : Conditions.find(status.conditions, Conditions.READY).orElse(null);
  }

  private static boolean is(dev.tarmac.api.TarmacStatus status, String state, String reason) {
    Condition c = ready(status);
    return c != null && state.equals(c.getStatus()) && reason.equals(c.getReason());
  }

  private List<String> events(String kind, String reason) {
    return client.v1().events().inAnyNamespace().list().getItems().stream()
        .filter(e -> ns.equals(e.getInvolvedObject().getName()) && kind.equals(e.getInvolvedObject().getKind())
            && reason.equals(e.getReason()))
        .map(e -> e.getMessage()).toList();
  }

  private Work work(String name) {
    return client.resources(Work.class).inNamespace(ns).withName(name).get();
  }

  private void awaitAllPublished() {
    await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Work.class).inNamespace(ns).list().getItems()
        .stream().allMatch(w -> w.getStatus() != null && Conditions.isTrue(w.getStatus(), Conditions.PUBLISHED)));
  }

  /**
   * Every Work's files are on branch main exactly as its spec says, under its placement, and the Destination folder
   * holds nothing else (no stale or duplicated file); its kustomization lists each YAML file once.
   */
  private void assertEveryWorkExactlyOnce(Path bare) {
    Set<String> expected = new TreeSet<>();
    for (Work w : client.resources(Work.class).inNamespace(ns).list().getItems()) {
      assertThat(w.getStatus().placements).hasSize(1);
      String path = w.getStatus().placements.get(0).path;
      w.getSpec().files.forEach(f -> expected.add(path + "/" + f.path));
    }
    List<String> tree = git(bare, "ls-tree", "-r", "--name-only", "main").lines().toList();
    Set<String> resources = tree.stream().filter(p -> p.startsWith("dev/") && !p.startsWith("dev/.tarmac/")
        && !p.equals("dev/kustomization.yaml")).collect(Collectors.toCollection(TreeSet::new));
    assertThat(resources).isEqualTo(expected);
    String kustomization = git(bare, "show", "main:dev/kustomization.yaml");
    List<String> listed = kustomization.lines().filter(l -> l.startsWith("  - ")).map(l -> "dev/" + l.substring(4))
        .toList();
    assertThat(listed).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
    for (Work w : client.resources(Work.class).inNamespace(ns).list().getItems()) {
      String path = w.getStatus().placements.get(0).path;
      for (Work.WorkFile f : w.getSpec().files) {
        assertThat(git(bare, "show", "main:" + path + "/" + f.path)).isEqualTo(f.content);
      }
    }
  }

  private static GenericKubernetesResource request(String group, String ns, String name) {
    return RestartApiServerTest.request(group, ns, name);
  }

  private static String requestReady(KubernetesClient client, String group, String ns, String name) {
    var r = client.genericKubernetesResources(group + "/v1", "Cache").inNamespace(ns).withName(name).get();
    for (var c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        return c.path("status").asText() + " " + c.path("reason").asText() + " " + c.path("message").asText();
      }
    }
    return "";
  }

  @Test
  void everyGitOutageIsAConditionWithTheNextAttemptAndClearsItselfWithNothingLost() throws Exception {
    client = TestCluster.get().client();
    ns = TestCluster.get().newNamespace("outage");
    String group = ns + ".example.dev";
    Path served = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(served, "remote");
    // Like a Git server that lets a branch be deleted (GitHub does, for any branch but the default one).
    git(bare, "config", "receive.denyDeleteCurrent", "warn");
    List<String> figures = new ArrayList<>();
    try (GitCli.Daemon daemon = new GitCli.Daemon(served)) {
      String url = daemon.url("remote.git");
      TestStores.create(client, ns, url, Map.of("suite", ns), "dev");
      TarmacOperator first = operator();
      try {
        client.resource(Serialization.YAML.treeToValue(Serialization.YAML.readTree(
            TestPromises.templatePromise("cache-" + ns, group, "Cache", "suite", ns)), Promise.class)).create();
        await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Promise.class).withName("cache-" + ns)
            .get(), p -> p.getStatus() != null && Conditions.isTrue(p.getStatus(), Conditions.AVAILABLE));
        var requests = client.genericKubernetesResources(group + "/v1", "Cache").inNamespace(ns);
        requests.resource(request(group, ns, "c0")).create();
        for (String w : List.of("w0", "w1", "w2")) {
          client.resource(RestartApiServerTest.work(ns, w, Map.of("suite", ns))).create();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> requestReady(client, group, ns, "c0").startsWith("True"));
        awaitAllPublished();
        await().atMost(Duration.ofSeconds(30)).until(() -> is(store().getStatus(), "True", "Reachable"));

        // 1. The remote goes away while the writer is idle: its history check finds it.
        daemon.stop();
        long stopped = System.nanoTime();
        GitStateStore down = await().atMost(ONE_INTERVAL).pollInterval(Duration.ofMillis(100)).until(this::store,
            s -> is(s.getStatus(), "False", "StateStoreUnreachable"));
        double toCondition = (System.nanoTime() - stopped) / 1e9;
        assertThat(ready(down.getStatus()).getMessage()).contains(url).contains("check that spec.url is right")
            .contains("next attempt at");
        assertThat(down.getStatus().lastError).contains(url);
        assertThat(Instant.parse(down.getStatus().nextRetryTime))
            .isBetween(Instant.now().minusSeconds(10), Instant.now().plus(TIMING.maxBackoff()).plusSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> !events("GitStateStore", "StateStoreUnreachable").isEmpty());
        Destination destDown = await().atMost(Duration.ofSeconds(10)).until(this::destination,
            d -> is(d.getStatus(), "False", "StateStoreUnreachable"));
        double toDestination = (System.nanoTime() - stopped) / 1e9;
        assertThat(ready(destDown.getStatus()).getMessage())
            .startsWith("GitStateStore " + ns + " is not Ready (StateStoreUnreachable): ").contains("next attempt at");
        await().atMost(Duration.ofSeconds(10)).until(() -> !events("Destination", "StateStoreUnreachable").isEmpty());
        // The Destination follows each retry's next attempt time.
        String firstNext = store().getStatus().nextRetryTime;
        await().atMost(ONE_INTERVAL).until(() -> !firstNext.equals(store().getStatus().nextRetryTime)
            && ready(destination().getStatus()).getMessage().contains(store().getStatus().nextRetryTime)
            && store().getStatus().nextRetryTime.equals(destination().getStatus().nextRetryTime));
        // One Warning Event per fault and object, not one per retry.
        assertThat(events("GitStateStore", "StateStoreUnreachable")).hasSize(1);
        assertThat(events("Destination", "StateStoreUnreachable")).hasSize(1);
        figures.add(String.format("remote stopped -> store StateStoreUnreachable %.1f s, Destination %.1f s",
            toCondition, toDestination));

        // What waits for the store says which store and why; what is in Git stays Published.
        client.resource(RestartApiServerTest.work(ns, "w3", Map.of("suite", ns))).create();
        requests.resource(request(group, ns, "c1")).create();
        Work waiting = await().atMost(Duration.ofSeconds(20)).until(() -> work("w3"),
            w -> w != null && w.getStatus() != null && "StateStoreUnreachable".equals(
                Conditions.reason(w.getStatus(), Conditions.PUBLISHED)));
        assertThat(Conditions.find(waiting.getStatus().conditions, Conditions.PUBLISHED).orElseThrow().getMessage())
            .startsWith("GitStateStore " + ns + " is not Ready (StateStoreUnreachable): ");
        await().atMost(Duration.ofSeconds(30)).until(() -> requestReady(client, group, ns, "c1"),
            r -> r.startsWith("False StateStoreUnreachable Work ") && r.contains("GitStateStore " + ns
                + " is not Ready (StateStoreUnreachable)"));
        assertThat(requestReady(client, group, ns, "c0")).startsWith("True");
        assertThat(Conditions.isTrue(work("w0").getStatus(), Conditions.PUBLISHED)).isTrue();

        // The remote comes back: everything clears itself and the waiting writes land.
        daemon.start();
        long restarted = System.nanoTime();
        GitStateStore up = await().atMost(ONE_INTERVAL).pollInterval(Duration.ofMillis(100)).until(this::store,
            s -> is(s.getStatus(), "True", "Reachable"));
        double toReady = (System.nanoTime() - restarted) / 1e9;
        assertThat(up.getStatus().lastError).isNull();
        assertThat(up.getStatus().nextRetryTime).isNull();
        await().atMost(Duration.ofSeconds(10)).until(() -> is(destination().getStatus(), "True", "StateStoreReady"));
        assertThat(destination().getStatus().nextRetryTime).isNull();
        await().atMost(Duration.ofSeconds(30)).until(() -> requestReady(client, group, ns, "c1").startsWith("True"));
        awaitAllPublished();
        assertEveryWorkExactlyOnce(bare);
        figures.add(String.format("remote restarted -> store Ready %.1f s", toReady));

        // 2. The branch is deleted on the remote: re-created with every Work, and reported.
        Path clone = tmp.resolve("clone");
        git(tmp, "clone", "-q", url, clone.toString());
        git(clone, "push", "-q", "origin", ":main");
        long deleted = System.nanoTime();
        GitStateStore recreated = await().atMost(ONE_INTERVAL).pollInterval(Duration.ofMillis(100)).until(
            this::store, s -> is(s.getStatus(), "True", "BranchRecreated"));
        figures.add(String.format("branch deleted -> BranchRecreated %.1f s", (System.nanoTime() - deleted) / 1e9));
        int works = client.resources(Work.class).inNamespace(ns).list().getItems().size();
        assertThat(ready(recreated.getStatus()).getMessage()).startsWith("branch main was deleted on the remote;")
            .contains("re-created it with the files of " + works + " Work(s) in commit "
                + git(bare, "rev-parse", "--short=7", "main").trim());
        await().atMost(Duration.ofSeconds(10)).until(() -> !events("GitStateStore", "BranchRecreated").isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> is(destination().getStatus(), "True", "BranchRecreated"));
        assertThat(git(bare, "rev-list", "--count", "main").trim()).isEqualTo("1");
        assertEveryWorkExactlyOnce(bare);
        String newRoot = git(bare, "rev-parse", "main").trim();
        // Every Work names a commit on the new history.
        await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Work.class).inNamespace(ns).list()
            .getItems().stream().allMatch(w -> newRoot.equals(w.getStatus().placements.get(0).commit)));

        // One more Work, then the store's status records the tip the next operator must find.
        client.resource(RestartApiServerTest.work(ns, "w4", Map.of("suite", ns))).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> work("w4"),
            w -> w.getStatus() != null && Conditions.isTrue(w.getStatus(), Conditions.PUBLISHED));
        String tip = git(bare, "rev-parse", "main").trim();
        assertThat(tip).isNotEqualTo(newRoot);
        await().atMost(Duration.ofSeconds(30)).until(() -> tip.equals(store().getStatus().lastCommit));
      } finally {
        first.close();
      }

      // 3. While no operator runs, the branch is force-pushed back to the older commit: w4's files are gone.
      Path clone = tmp.resolve("clone");
      git(clone, "fetch", "-q", "origin");
      String older = git(clone, "rev-parse", "origin/main~1").trim();
      git(clone, "push", "-q", "--force", "origin", older + ":main");
      assertThat(git(bare, "ls-tree", "-r", "--name-only", "main")).doesNotContain("/w4/");
      long started = System.nanoTime();
      try (TarmacOperator second = operator()) {
        GitStateStore rewritten = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(this::store, s -> is(s.getStatus(), "True", "HistoryRewritten"));
        figures.add(String.format("force-push while stopped -> HistoryRewritten %.1f s after start",
            (System.nanoTime() - started) / 1e9));
        assertThat(ready(rewritten.getStatus()).getMessage())
            .contains("was rewritten on the remote while Tarmac was not connected")
            .contains("recorded in status.lastCommit")
            .contains("re-published the files of 1 Work(s) in commit");
        await().atMost(Duration.ofSeconds(10)).until(() -> !events("GitStateStore", "HistoryRewritten").isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> is(destination().getStatus(), "True", "HistoryRewritten"));
        awaitAllPublished();
        // The older commit and one repair commit on it; the Works' own writes found their files in place.
        String repaired = git(bare, "rev-parse", "main").trim();
        assertThat(git(bare, "rev-list", "--count", "main").trim()).isEqualTo("2");
        assertThat(git(bare, "rev-parse", "main~1").trim()).isEqualTo(older);
        assertEveryWorkExactlyOnce(bare);
        await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Work.class).inNamespace(ns).list()
            .getItems().stream().allMatch(w -> repaired.equals(w.getStatus().placements.get(0).commit)));
        assertThat(git(bare, "rev-parse", "main").trim()).isEqualTo(repaired);
      }
    }
    figures.forEach(f -> System.out.println("git outage: " + f));
  }
}
