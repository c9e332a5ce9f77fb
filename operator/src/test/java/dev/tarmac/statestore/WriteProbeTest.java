package dev.tarmac.statestore;

import static dev.tarmac.statestore.GitCli.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.api.GitStateStore;
import dev.tarmac.testing.AuthGitServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write probe and writer replacement against real Git servers on 127.0.0.1: JGit's smart-HTTP server with
 * read-only and read-write users, and git daemon without receive-pack.
 */
class WriteProbeTest {

  @TempDir
  Path tmp;

  private GitWriter writer(String url, GitCredentials credentials) {
    return new GitWriter(new GitWriter.Config("probe-store", url, "main", credentials,
        new PersonIdent("Tarmac", "tarmac@tarmac.dev")), tmp.resolve("cache"), s -> { });
  }

  private static GitWriter.Put put(int i) {
    return new GitWriter.Put("dev", "resources/default/Redis/r" + i, "default.r" + i,
        Map.of("redis.yaml", "kind: ConfigMap\nmetadata: {name: r" + i + "}\n"));
  }

  /** Every ref of the bare repository, one a line ({@code <sha> <ref>}). */
  private static String refs(Path bare) {
    return git(bare, "for-each-ref", "--format=%(objectname) %(refname)");
  }

  @Test
  void aReadOnlyTokenIsNotReadyAndNothingIsWritten() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(base, "remote");
    try (AuthGitServer server = new AuthGitServer(base).user("reader", "r-secret", false);
        GitWriter w = writer(server.url("remote.git"), GitCredentials.basic("reader", "r-secret"))) {
      CompletableFuture<GitWriter.CommitResult> pending = w.submit(put(1));
      await().atMost(Duration.ofSeconds(30)).until(() -> w.state().reason() != null);
      assertThat(w.state().ready()).isFalse();
      assertThat(w.state().reason()).isEqualTo("CredentialsReadOnly");
      assertThat(w.state().lastError()).contains("refs/tarmac/probe/probe-store").contains("write access")
          .doesNotContain("r-secret");
      assertThat(pending).isNotDone();
      assertThat(server.refusedPushes()).isPositive();
      assertThat(refs(bare)).isEmpty();
    }
  }

  @Test
  void aWritableCredentialPassesTheProbeAndLeavesNoProbeRef() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(base, "remote");
    try (AuthGitServer server = new AuthGitServer(base).user("writer", "w-secret", true);
        GitWriter w = writer(server.url("remote.git"), GitCredentials.basic("writer", "w-secret"))) {
      // Empty branch: the probe pushes a parentless empty commit to the probe ref, then deletes it.
      w.probe().get(30, TimeUnit.SECONDS);
      assertThat(w.state().ready()).isTrue();
      assertThat(refs(bare)).isEmpty();
      w.submit(put(1)).get(30, TimeUnit.SECONDS);
      assertThat(refs(bare)).contains("refs/heads/main").doesNotContain("refs/tarmac");
      assertThat(git(bare, "rev-list", "--count", "main").trim()).as("the probe commit is on no branch")
          .isEqualTo("1");
    }
  }

  @Test
  void gitDaemonWithoutReceivePackIsReadOnly() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(base, "remote");
    try (GitCli.Daemon daemon = new GitCli.Daemon(base, false);
        GitWriter w = writer(daemon.url("remote.git"), GitCredentials.NONE)) {
      w.probe();
      await().atMost(Duration.ofSeconds(30)).until(() -> w.state().reason() != null);
      assertThat(w.state().reason()).isEqualTo("CredentialsReadOnly");
      assertThat(refs(bare)).isEmpty();
    }
  }

  @Test
  void aRotatedCredentialReplacesTheWriterAndItsQueuedChangesLand() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("served"));
    Path bare = GitCli.bareRepo(base, "remote");
    try (AuthGitServer server = new AuthGitServer(base).user("bot", "old", false);
        StateStores stores = new StateStores(null, tmp.resolve("data"), StateStoreLayout.Limits.DEFAULT)) {
      GitStateStore store = new GitStateStore();
      store.setMetadata(new ObjectMetaBuilder().withName("rotating").build());
      store.setSpec(new GitStateStore.Spec());
      store.getSpec().url = server.url("remote.git");
      GitWriter first = stores.writer(store, GitCredentials.basic("bot", "old"));
      CompletableFuture<GitWriter.CommitResult> queued = first.submit(put(1));
      await().atMost(Duration.ofSeconds(30)).until(() -> "CredentialsReadOnly".equals(first.state().reason()));
      // The same kind of credential with another password: the writer must be replaced.
      assertThat(stores.writer(store, GitCredentials.basic("bot", "old"))).isSameAs(first);
      server.user("bot", "new", true);
      GitWriter second = stores.writer(store, GitCredentials.basic("bot", "new"));
      assertThat(second).isNotSameAs(first);
      GitWriter.CommitResult result = queued.get(30, TimeUnit.SECONDS);
      assertThat(result.changed()).isTrue();
      assertThat(refs(bare)).contains("refs/heads/main");
      assertThat(second.state().ready()).isTrue();
    }
  }
}
