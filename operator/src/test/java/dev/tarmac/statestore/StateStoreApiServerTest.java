package dev.tarmac.statestore;

import static dev.tarmac.statestore.GitCli.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Work;
import dev.tarmac.testing.TestAccess;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GitStateStore + Destination + Work on a real API server, published to real Git and read back with the git CLI. */
@Tag("apiserver")
class StateStoreApiServerTest {

  @TempDir
  Path tmp;

  private static Work work(String ns, String name, Map<String, String> selector, String content) {
    Work w = new Work();
    w.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    w.setSpec(new Work.Spec());
    w.getSpec().owner = new Work.OwnerRef();
    w.getSpec().owner.kind = "Redis";
    w.getSpec().owner.namespace = ns;
    w.getSpec().owner.name = name;
    Selector s = new Selector();
    s.matchLabels = selector;
    w.getSpec().destinationSelectors = List.of(s);
    w.getSpec().files.add(new Work.WorkFile("redis.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "
        + name + "}\ndata: {v: \"" + content + "\"}\n"));
    return w;
  }

  @Test
  void worksArePublishedToTheEmbeddedStoreAndServedOverHttp() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String ns = TestCluster.get().newNamespace("works");
    String label = ns;
    // A store and Destination of this test's own (the shared cluster may already have a default store).
    TestStores.create(client, ns, null, Map.of("suite", label), "clusters/dev");

    // Authenticated HTTP (no anonymous read): /git needs a token allowed to get the store.
    var settings = new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test", tmp.resolve("data"),
        false, 4, false, "tarmac:test", false);
    try (TarmacOperator op = new TarmacOperator(client, settings).start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> Conditions.isTrue(
          client.resources(Destination.class).withName(ns).get().getStatus(), Conditions.READY));

      client.resource(work(ns, "r1", Map.of("suite", label), "a")).create();
      client.resource(work(ns, "r2", Map.of("suite", label), "b")).create();
      client.resource(work(ns, "nowhere", Map.of("suite", "no-such-destination"), "c")).create();
      for (String name : List.of("r1", "r2")) {
        Work w = await().atMost(Duration.ofSeconds(30)).until(
            () -> client.resources(Work.class).inNamespace(ns).withName(name).get(),
            x -> x.getStatus() != null && Conditions.isTrue(x.getStatus(), Conditions.PUBLISHED));
        assertThat(w.getStatus().placements).singleElement().satisfies(p -> {
          assertThat(p.destination).isEqualTo(ns);
          assertThat(p.path).isEqualTo("clusters/dev/resources/" + ns + "/Redis/" + name);
          assertThat(p.commit).hasSize(40);
          assertThat(p.state).isEqualTo("Written");
        });
      }
      Work nowhere = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Work.class).inNamespace(ns).withName("nowhere").get(),
          x -> x.getStatus() != null && "NoMatchingDestination".equals(Conditions.reason(x.getStatus(),
              Conditions.PUBLISHED)));
      assertThat(Conditions.find(nowhere.getStatus().conditions, Conditions.PUBLISHED).orElseThrow().getMessage())
          .contains("no-such-destination");

      // The store says where it is, and the embedded server serves it over smart HTTP, read-only.
      GitStateStore seen = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(GitStateStore.class).withName(ns).get(),
          s -> s.getStatus() != null && s.getStatus().lastCommit != null && Conditions.isTrue(s.getStatus(),
              Conditions.READY));
      String plain = "http://127.0.0.1:" + op.http().address().getPort() + "/git/" + ns + ".git";
      ProcessBuilder anonymous = new ProcessBuilder("git", "-c", "credential.helper=", "clone", "-q", plain,
          tmp.resolve("anonymous").toString()).redirectErrorStream(true);
      anonymous.environment().put("GIT_TERMINAL_PROMPT", "0");
      Process refusedClone = anonymous.start();
      refusedClone.getOutputStream().close();
      String refused = new String(refusedClone.getInputStream().readAllBytes());
      assertThat(refusedClone.waitFor()).as("clone without a token: %s", refused).isNotZero();
      assertThat(tmp.resolve("anonymous/.git")).doesNotExist();
      // A ServiceAccount allowed get on this store clones with its token as the basic-auth password.
      String token = TestCluster.get().token(ns, "store-reader");
      TestAccess.allowClusterWide(client, ns, "store-reader",
          TestAccess.rule("platform.tarmac.dev", "gitstatestores", List.of(ns), "get"));
      String url = plain.replace("http://", "http://reader:" + token + "@");
      // RBAC takes effect once the API server's informers saw the binding; a denial meanwhile is cached briefly.
      var http = java.net.http.HttpClient.newHttpClient();
      await().atMost(Duration.ofSeconds(20)).until(() -> http.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(plain + "/info/refs?service=git-upload-pack")).header("Authorization", "Bearer " + token)
          .build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
      Path clone = tmp.resolve("clone");
      git(tmp, "clone", "-q", url, clone.toString());
      assertThat(clone.resolve("clusters/dev/resources/" + ns + "/Redis/r1/redis.yaml")).exists();
      assertThat(Files.readString(clone.resolve("clusters/dev/kustomization.yaml")))
          .contains("resources/" + ns + "/Redis/r2/redis.yaml");
      // status.lastCommit is written at most every 10 s while commits stream in; it reaches the tip.
      String head = git(clone, "rev-parse", "HEAD").trim();
      await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(GitStateStore.class).withName(ns).get().getStatus().lastCommit, head::equals);
      assertThat(seen.getStatus().lastCommitTime).isNotNull();
      Files.writeString(clone.resolve("x.txt"), "x");
      git(clone, "add", "x.txt");
      git(clone, "commit", "-q", "-m", "try to push");
      Process push = new ProcessBuilder("git", "push", "origin", "main").directory(clone.toFile())
          .redirectErrorStream(true).start();
      assertThat(push.waitFor()).as("push to the embedded server must be refused").isNotZero();

      // Deleting a Work removes its files and its kustomization entry.
      client.resources(Work.class).inNamespace(ns).withName("r1").delete();
      await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Work.class).inNamespace(ns).withName("r1").get() == null);
      git(clone, "fetch", "-q", "origin");
      git(clone, "reset", "-q", "--hard", "origin/main");
      assertThat(clone.resolve("clusters/dev/resources/" + ns + "/Redis/r1")).doesNotExist();
      assertThat(Files.readString(clone.resolve("clusters/dev/kustomization.yaml"))).doesNotContain("/r1/");
    }
  }

  @Test
  void aForcePushThatDropsTarmacsCommitsIsRepublishedAndReported() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String ns = TestCluster.get().newNamespace("rewrite");
    Path served = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(served, "remote");
    try (GitCli.Daemon daemon = new GitCli.Daemon(served)) {
      TestStores.create(client, ns, daemon.url("remote.git"), Map.of("suite", ns), "dev");

      var settings = new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test", tmp.resolve("data"),
          false, 4, false, "tarmac:test", true);
      try (TarmacOperator op = new TarmacOperator(client, settings).start()) {
        for (String name : List.of("r1", "r2")) {
          client.resource(work(ns, name, Map.of("suite", ns), name)).create();
          awaitPublished(client, ns, name);
        }
        Path other = tmp.resolve("rewrite");
        git(tmp, "init", "-q", "-b", "main", other.toString());
        Files.writeString(other.resolve("NEW.md"), "new history\n");
        git(other, "add", ".");
        git(other, "commit", "-q", "-m", "rewritten");
        git(other, "push", "-q", "--force", daemon.url("remote.git"), "main");

        client.resource(work(ns, "r3", Map.of("suite", ns), "r3")).create();
        awaitPublished(client, ns, "r3");
        GitStateStore seen = await().atMost(Duration.ofSeconds(30)).until(
            () -> client.resources(GitStateStore.class).withName(ns).get(),
            s -> "HistoryRewritten".equals(Conditions.reason(s.getStatus(), Conditions.READY)));
        assertThat(Conditions.isTrue(seen.getStatus(), Conditions.READY)).isTrue();
        assertThat(Conditions.find(seen.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
            // r1 and r2, and r3 as well when its own write is the one that found the rewrite.
            .contains("rewritten").containsPattern("re-published the files of [23] Work\\(s\\)");

        Path clone = tmp.resolve("clone");
        git(tmp, "clone", "-q", bare.toUri().toString(), clone.toString());
        assertThat(clone.resolve("NEW.md")).exists();
        for (String name : List.of("r1", "r2", "r3")) {
          assertThat(clone.resolve("dev/resources/" + ns + "/Redis/" + name + "/redis.yaml")).exists();
        }
        git(bare, "fsck", "--strict");
        // Every Work was placed again: its status names a commit on the rewritten branch, not a dropped one.
        for (String name : List.of("r1", "r2", "r3")) {
          await().atMost(Duration.ofSeconds(30)).until(
              () -> client.resources(Work.class).inNamespace(ns).withName(name).get().getStatus().placements.get(0)
                  .commit,
              c -> c != null && isOnTheBranch(bare, c));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace("default").list()
            .getItems().stream().anyMatch(e -> "HistoryRewritten".equals(e.getReason())
                && ns.equals(e.getInvolvedObject().getName())));
      }
    }
  }

  private static void awaitPublished(KubernetesClient client, String ns, String name) {
    await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Work.class).inNamespace(ns).withName(name).get(),
        x -> x.getStatus() != null && Conditions.isTrue(x.getStatus(), Conditions.PUBLISHED));
  }

  private static boolean isOnTheBranch(Path bare, String commit) {
    try {
      git(bare, "merge-base", "--is-ancestor", commit, "main");
      return true;
    } catch (IllegalStateException notAnAncestor) {
      return false;
    }
  }
}
