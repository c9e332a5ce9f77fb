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

  private GitWriter writer(String url, Duration historyCheck) {
    return new GitWriter(new GitWriter.Config("store", url, "main", GitCredentials.NONE,
        new PersonIdent("Tarmac", "tarmac@tarmac.dev")), tmp.resolve("cache"), s -> { }, historyCheck);
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
  void aRecreationIsTheFirstCommitAndHoldsEveryWorkAndIsReported() throws Exception {
    Path bare = GitCli.bareRepo(tmp, "embedded");
    List<GitWriter.Put> works = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      works.add(put("clusters/dev", i, "x"));
    }
    try (GitWriter w = new GitWriter(new GitWriter.Config("store", bare.toUri().toString(), "main",
        GitCredentials.NONE, new PersonIdent("Tarmac", "tarmac@tarmac.dev")), tmp.resolve("cache"), s -> { },
        new GitWriter.Recreation(works, "repository x was missing"))) {
      w.probe().get(30, TimeUnit.SECONDS);
      assertThat(git(bare, "rev-list", "--count", "main").trim()).isEqualTo("1");
      assertThat(git(bare, "log", "-1", "--format=%s", "main").trim())
          .isEqualTo("tarmac: re-publish 30 Work(s) into the re-created repository");
      assertThat(git(bare, "ls-tree", "-r", "--name-only", "main")).contains(
          "clusters/dev/resources/default/Redis/r29/nested/service.yaml");
      assertThat(w.state().recreated()).startsWith("repository x was missing; Tarmac re-created it and re-published the 30 Work(s)")
          .contains("in one commit, " + git(bare, "rev-parse", "--short=7", "main").trim());
      assertThat(w.state().recreatedAt()).isNotNull();
      // Later writes are ordinary commits and do not report a re-creation again.
      var at = w.state().recreatedAt();
      w.submit(put("clusters/dev", 99, "y")).get(30, TimeUnit.SECONDS);
      assertThat(git(bare, "log", "-1", "--format=%s", "main").trim()).doesNotContain("re-created");
      assertThat(w.state().recreatedAt()).isEqualTo(at);
    }
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
  void changedIsPerWorkEvenWhenTheBatchCommits() throws Exception {
    Path bare = GitCli.bareRepo(tmp, "remote");
    try (GitWriter w = writer(bare.toUri().toString())) {
      w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      // Submitted together within the commit interval: one batch, one commit, but only r2 changed.
      CompletableFuture<GitWriter.CommitResult> same = w.submit(put("dev", 1, "a"));
      CompletableFuture<GitWriter.CommitResult> added = w.submit(put("dev", 2, "b"));
      GitWriter.CommitResult a = same.get(30, TimeUnit.SECONDS);
      GitWriter.CommitResult b = added.get(30, TimeUnit.SECONDS);
      assertThat(a.commit()).isEqualTo(b.commit()).isEqualTo(git(bare, "rev-parse", "main").trim());
      assertThat(a.changed()).isFalse();
      assertThat(b.changed()).isTrue();
      assertThat(git(bare, "rev-list", "--count", "main").trim()).isEqualTo("2");
    }
  }

  @Test
  void aBranchDeletedOnTheRemoteIsRecreatedWithEveryWorkAndReportedApart() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(base, "remote");
    git(bare, "config", "receive.denyDeleteCurrent", "warn");
    try (GitCli.Daemon daemon = new GitCli.Daemon(base);
        GitWriter w = writer(daemon.url("remote.git"), Duration.ofMillis(200))) {
      w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      w.submit(put("dev", 2, "b")).get(30, TimeUnit.SECONDS);
      Path other = clone(bare);
      git(other, "push", "-q", "origin", ":main");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (w.state().branchRecreated() == null && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(w.state().branchRecreated()).startsWith("branch main was deleted on the remote; it held commit ")
          .endsWith("re-created it with the files of 2 Work(s) in commit "
              + git(bare, "rev-parse", "--short=7", "main").trim());
      assertThat(w.state().branchRecreatedAt()).isNotNull();
      assertThat(w.state().historyRewritten()).isNull();
      assertThat(w.state().historyRewrites()).as("counted with rewrites: Works name the new commit").isEqualTo(1);
      Path check = clone(bare);
      assertThat(commits(check)).isEqualTo(1);
      assertThat(git(check, "log", "-1", "--format=%s").trim())
          .isEqualTo("tarmac: re-publish 2 Work(s) into the re-created branch main");
      assertThat(check.resolve("dev/resources/default/Redis/r1/redis.yaml")).exists();
      assertThat(check.resolve("dev/resources/default/Redis/r2/nested/service.yaml")).exists();
      git(bare, "fsck", "--strict");
    }
  }

  @Test
  void aRewriteWhileNoWriterRanIsFoundAgainstTheRecordedCommitAndRepairedFromTheLocalRepository() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(base, "remote");
    try (GitCli.Daemon daemon = new GitCli.Daemon(base)) {
      String url = daemon.url("remote.git");
      String recorded;
      try (GitWriter w = writer(url)) {
        w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
        recorded = w.submit(put("dev", 2, "b")).get(30, TimeUnit.SECONDS).commit();
      }
      // While no writer runs: back to the first commit, r2 gone.
      Path other = clone(bare);
      git(other, "push", "-q", "--force", "origin", "HEAD~1:main");
      String older = git(bare, "rev-parse", "main").trim();
      try (GitWriter w = new GitWriter(new GitWriter.Config("store", url, "main", GitCredentials.NONE,
          new PersonIdent("Tarmac", "tarmac@tarmac.dev")), tmp.resolve("cache"), s -> { }, GitWriter.Timing.DEFAULT,
          GitWriter.Recreation.NONE, recorded)) {
        GitWriter.CommitResult probe = w.probe().get(30, TimeUnit.SECONDS);
        assertThat(w.state().historyRewritten()).contains("while Tarmac was not connected")
            .contains("commit " + recorded.substring(0, 7) + ", the last one recorded in status.lastCommit")
            .contains("re-published the files of 1 Work(s)");
        assertThat(probe.commit()).isEqualTo(git(bare, "rev-parse", "main").trim());
        assertThat(git(bare, "rev-parse", "main~1").trim()).isEqualTo(older);
        Path check = clone(bare);
        assertThat(check.resolve("dev/resources/default/Redis/r2/redis.yaml")).exists();
        assertThat(check.resolve("dev/resources/default/Redis/r1/redis.yaml")).exists();
        // The Works, written again as they are reconciled after a start, change nothing.
        assertThat(w.submit(put("dev", 2, "b")).get(30, TimeUnit.SECONDS).changed()).isFalse();
        assertThat(w.state().historyRewrites()).isEqualTo(1);
      }
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
      // A commit on top of Tarmac's is no rewrite.
      assertThat(w.state().historyRewrites()).isZero();
      assertThat(w.state().historyRewritten()).isNull();
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

  /** Replaces the branch of the repository at {@code url} with one unrelated commit, as a person's force-push would. */
  private void forcePushUnrelatedHistory(String url) {
    Path other = tmp.resolve("rewrite-" + System.nanoTime());
    git(tmp, "init", "-q", "-b", "main", other.toString());
    try {
      Files.writeString(other.resolve("NEW.md"), "new history\n");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    git(other, "add", ".");
    git(other, "commit", "-q", "-m", "rewritten");
    git(other, "push", "-q", "--force", url, "main");
  }

  @Test
  void aForcePushThatDropsEarlierCommitsIsRepublishedWithTheNextWrite() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(base, "remote");
    // A real transport: a file: URL to a bare repository is written in place, with no fetch or push.
    try (GitCli.Daemon daemon = new GitCli.Daemon(base); GitWriter w = writer(daemon.url("remote.git"))) {
      w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      w.submit(put("dev", 2, "b")).get(30, TimeUnit.SECONDS);
      w.submit(put("dev", 4, "d")).get(30, TimeUnit.SECONDS);
      w.submit(new GitWriter.Remove("dev", "resources/default/Redis/r4", "default.r4")).get(30, TimeUnit.SECONDS);
      forcePushUnrelatedHistory(daemon.url("remote.git"));

      w.submit(put("dev", 3, "c")).get(30, TimeUnit.SECONDS);

      Path check = clone(bare);
      assertThat(check.resolve("NEW.md")).exists();
      for (int i : new int[] {1, 2, 3}) {
        assertThat(check.resolve("dev/resources/default/Redis/r" + i + "/redis.yaml")).exists();
        assertThat(check.resolve("dev/resources/default/Redis/r" + i + "/nested/service.yaml")).exists();
        assertThat(check.resolve("dev/.tarmac/works/default.r" + i)).exists();
      }
      assertThat(Files.readString(check.resolve("dev/resources/default/Redis/r1/redis.yaml"))).contains("v: \"a\"");
      // A Work removed before the rewrite stays removed.
      assertThat(check.resolve("dev/resources/default/Redis/r4")).doesNotExist();
      assertThat(Files.readString(check.resolve("dev/kustomization.yaml")))
          .contains("resources/default/Redis/r1/redis.yaml", "resources/default/Redis/r2/nested/service.yaml",
              "resources/default/Redis/r3/redis.yaml")
          .doesNotContain("r4/");
      // The person's commit and one commit of Tarmac's on it: the re-publication shares the write's commit.
      assertThat(commits(check)).isEqualTo(2);
      assertThat(git(check, "log", "-1", "--format=%s")).startsWith("tarmac: re-publish 2 Work(s)");
      git(bare, "fsck", "--strict");
      assertThat(w.state().historyRewrites()).isEqualTo(1);
      assertThat(w.state().historyRewrittenAt()).isNotNull();
      assertThat(w.state().historyRewritten()).contains("history of branch main was rewritten")
          .contains("re-published the files of 2 Work(s)")
          .contains(git(check, "rev-parse", "--short=7", "HEAD").trim());

      // Later writes build on the repaired branch and report no new rewrite.
      w.submit(put("dev", 5, "e")).get(30, TimeUnit.SECONDS);
      Path after = clone(bare);
      assertThat(after.resolve("dev/resources/default/Redis/r1/redis.yaml")).exists();
      assertThat(after.resolve("dev/resources/default/Redis/r5/redis.yaml")).exists();
      assertThat(w.state().historyRewrites()).isEqualTo(1);
    }
  }

  @Test
  void anIdleWriterNoticesARewriteAndRepublishesWithoutANewWrite() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(base, "remote");
    try (GitCli.Daemon daemon = new GitCli.Daemon(base);
        GitWriter w = writer(daemon.url("remote.git"), Duration.ofMillis(200))) {
      w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      w.submit(put("dev", 2, "b")).get(30, TimeUnit.SECONDS);
      forcePushUnrelatedHistory(daemon.url("remote.git"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (w.state().historyRewrites() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(w.state().historyRewrites()).isEqualTo(1);
      Path check = clone(bare);
      assertThat(check.resolve("NEW.md")).exists();
      assertThat(check.resolve("dev/resources/default/Redis/r1/redis.yaml")).exists();
      assertThat(check.resolve("dev/resources/default/Redis/r2/nested/service.yaml")).exists();
      assertThat(commits(check)).isEqualTo(2);
      git(bare, "fsck", "--strict");
      // Checks that find the history intact make no commit.
      Thread.sleep(1000);
      assertThat(commits(clone(bare))).isEqualTo(2);
      assertThat(w.state().historyRewrites()).isEqualTo(1);
    }
  }

  @Test
  void rewrittenHistoryOfALocalBareRepositoryIsFollowedAndKeepsEarlierWorks() throws Exception {
    // A file: URL to a bare repository is written in place (the embedded store's mode): the rewrite is seen there too.
    Path bare = GitCli.bareRepo(tmp, "remote");
    try (GitWriter w = writer(bare.toUri().toString())) {
      w.submit(put("dev", 1, "a")).get(30, TimeUnit.SECONDS);
      forcePushUnrelatedHistory(bare.toUri().toString());
      w.submit(put("dev", 2, "b")).get(30, TimeUnit.SECONDS);
      Path check = clone(bare);
      assertThat(check.resolve("NEW.md")).exists();
      assertThat(check.resolve("dev/resources/default/Redis/r2/redis.yaml")).exists();
      assertThat(check.resolve("dev/resources/default/Redis/r1/redis.yaml")).exists();
      assertThat(w.state().historyRewrites()).isEqualTo(1);
      git(bare, "fsck", "--strict");
    }
  }
}
