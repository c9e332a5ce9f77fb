package dev.tarmac.statestore;

import static dev.tarmac.statestore.GitCli.git;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batched writer against real repositories, checked from outside with the git command line. */
class GitWriterTest {

  @TempDir
  Path tmp;

  private GitWriter writer(String url) {
    return new GitWriter(new GitWriter.Config("store", url, "main", GitCredentials.NONE,
        new PersonIdent("Tarmac", "tarmac@tarmac.dev")), tmp.resolve("cache"), s -> { });
  }

  private static GitWriter.Put put(String dest, int i, String content) {
    return new GitWriter.Put(dest, "resources/default/Redis/r" + i, "default.r" + i,
        Map.of("redis.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r" + i + "}\ndata: {v: \"" + content
            + "\"}\n", "nested/service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: r" + i + "}\n"));
  }

  private Path clone(Path bare) {
    Path out = tmp.resolve("clone-" + System.nanoTime());
    git(tmp, "clone", "-q", bare.toUri().toString(), out.toString());
    return out;
  }

  private static int commits(Path clone) {
    return Integer.parseInt(git(clone, "rev-list", "--count", "HEAD").trim());
  }

  @Test
  void fiftyConcurrentWorksLandOnceInFewCommitsAndFsckIsClean() throws Exception {
    Path bare = GitCli.bareRepo(tmp, "remote");
    try (GitWriter w = writer(bare.toUri().toString())) {
      List<CompletableFuture<GitWriter.CommitResult>> futures = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        futures.add(w.submit(put("clusters/dev", i, "x")));
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      Path clone = clone(bare);
      for (int i = 0; i < 50; i++) {
        assertThat(clone.resolve("clusters/dev/resources/default/Redis/r" + i + "/redis.yaml")).exists();
        assertThat(clone.resolve("clusters/dev/resources/default/Redis/r" + i + "/nested/service.yaml")).exists();
      }
      assertThat(commits(clone)).isBetween(1, 10);
      String kustomization = Files.readString(clone.resolve("clusters/dev/kustomization.yaml"));
      assertThat(kustomization).contains("  - resources/default/Redis/r0/nested/service.yaml")
          .contains("  - resources/default/Redis/r49/redis.yaml").doesNotContain(".tarmac");
      assertThat(kustomization.lines().filter(l -> l.startsWith("  - ")).count()).isEqualTo(100);
      git(bare, "fsck", "--strict");
      assertThat(git(clone, "log", "-1", "--format=%s")).startsWith("tarmac:");
    }
  }

  @Test
  void anUnchangedRewriteMakesNoCommitAndARemovalDeletesFilesAndTheKustomizationEntry() throws Exception {
    Path bare = GitCli.bareRepo(tmp, "remote");
    try (GitWriter w = writer(bare.toUri().toString())) {
      var first = w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      w.submit(put("dev", 2, "a")).get(30, TimeUnit.SECONDS);
      assertThat(first.changed()).isTrue();
      var again = w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      assertThat(again.changed()).isFalse();
      Path clone = clone(bare);
      assertThat(commits(clone)).isEqualTo(2);

      // A Work that now produces one file fewer loses that file.
      w.submit(new GitWriter.Put("dev", "resources/default/Redis/r2", "default.r2",
          Map.of("redis.yaml", "kind: ConfigMap\n"))).get(30, TimeUnit.SECONDS);
      w.submit(new GitWriter.Remove("dev", "resources/default/Redis/r1", "default.r1")).get(30, TimeUnit.SECONDS);
      git(clone, "pull", "-q");
      assertThat(clone.resolve("dev/resources/default/Redis/r1")).doesNotExist();
      assertThat(clone.resolve("dev/resources/default/Redis/r2/nested/service.yaml")).doesNotExist();
      assertThat(clone.resolve("dev/resources/default/Redis/r2/redis.yaml")).exists();
      assertThat(Files.readString(clone.resolve("dev/kustomization.yaml")))
          .doesNotContain("r1/").contains("resources/default/Redis/r2/redis.yaml");
      assertThat(clone.resolve("dev/.tarmac/works/default.r1")).doesNotExist();
    }
  }

  @Test
  void anotherWriterPushingMeanwhileKeepsBothSetsOfChanges() throws Exception {
    Path bare = GitCli.bareRepo(tmp, "remote");
    try (GitWriter w = writer(bare.toUri().toString())) {
      w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      Path other = clone(bare);
      Files.writeString(other.resolve("README.md"), "written by a person\n");
      git(other, "add", "README.md");
      git(other, "commit", "-q", "-m", "a person's change");
      git(other, "push", "-q", "origin", "main");
      // The writer's idea of the tip is now stale: its push is rejected and re-applied on the new tip.
      w.submit(put("dev", 2, "b")).get(30, TimeUnit.SECONDS);
      Path check = clone(bare);
      assertThat(check.resolve("README.md")).hasContent("written by a person");
      assertThat(check.resolve("dev/resources/default/Redis/r2/redis.yaml")).exists();
      assertThat(check.resolve("dev/resources/default/Redis/r1/redis.yaml")).exists();
      git(bare, "fsck", "--strict");
    }
  }

  @Test
  void changesWaitWhileTheRemoteIsDownAndLandWhenItReturns() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(base, "remote");
    try (GitCli.Daemon daemon = new GitCli.Daemon(base); GitWriter w = writer(daemon.url("remote.git"))) {
      w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      daemon.stop();
      CompletableFuture<GitWriter.CommitResult> pending = w.submit(put("dev", 2, "b"));
      Thread.sleep(1500);
      assertThat(pending).isNotDone();
      assertThat(w.state().ready()).isFalse();
      assertThat(w.state().reason()).isEqualTo("StateStoreUnreachable");
      assertThat(w.state().nextRetry()).isNotNull();
      daemon.start();
      pending.get(90, TimeUnit.SECONDS);
      assertThat(w.state().ready()).isTrue();
      Path check = clone(bare);
      assertThat(check.resolve("dev/resources/default/Redis/r2/redis.yaml")).exists();
      assertThat(commits(check)).isEqualTo(2);
    }
  }

  @Test
  void rewrittenRemoteHistoryIsFollowed() throws Exception {
    Path bare = GitCli.bareRepo(tmp, "remote");
    try (GitWriter w = writer(bare.toUri().toString())) {
      w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      Path other = tmp.resolve("rewrite");
      git(tmp, "init", "-q", "-b", "main", other.toString());
      Files.writeString(other.resolve("NEW.md"), "new history\n");
      git(other, "add", ".");
      git(other, "commit", "-q", "-m", "rewritten");
      git(other, "push", "-q", "--force", bare.toUri().toString(), "main");
      w.submit(put("dev", 2, "b")).get(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS);
      Path check = clone(bare);
      assertThat(check.resolve("NEW.md")).exists();
      assertThat(check.resolve("dev/resources/default/Redis/r2/redis.yaml")).exists();
    }
  }
}
