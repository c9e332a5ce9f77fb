package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.statestore.EmbeddedGitServer;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code publish:git} leaves in a repository of the embedded Git server, read back with JGit. */
class RepositoryPublisherTest {

  @TempDir
  Path tmp;

  private static int commits(Path dir) throws Exception {
    try (Git git = Git.open(dir.toFile())) {
      int n = 0;
      for (RevCommit ignored : git.log().call()) {
        n++;
      }
      return n;
    }
  }

  @Test
  void theSameFilesMakeNoCommitAndChangedFilesACommitOnTop() throws Exception {
    EmbeddedGitServer server = new EmbeddedGitServer(tmp);
    RepositoryPublisher publisher = new RepositoryPublisher(server);
    var v1 = Map.of("README.md", RepositoryPublisher.File.text("v1\n"));
    var first = publisher.publish("svc", "main", v1, "initial", "uid-1");
    assertThat(first.committed()).isTrue();

    var same = publisher.publish("svc", "main", v1, "again", "uid-1");
    assertThat(same.committed()).isFalse();
    assertThat(same.commit()).isEqualTo(first.commit());
    assertThat(commits(server.ensureRepository("svc"))).isEqualTo(1);

    var changed = publisher.publish("svc", "main", Map.of("README.md", RepositoryPublisher.File.text("v2\n"), "run.sh",
        new RepositoryPublisher.File("echo\n", true)), "rescaffold",
        "uid-1");
    assertThat(changed.committed()).isTrue();
    try (Git git = Git.open(server.ensureRepository("svc").toFile())) {
      RevCommit tip = git.log().setMaxCount(1).call().iterator().next();
      assertThat(tip.name()).isEqualTo(changed.commit());
      assertThat(tip.getParent(0).name()).isEqualTo(first.commit());
      assertThat(tip.getFullMessage()).startsWith("rescaffold").contains("Component-UID: uid-1");
    }
    assertThat(commits(server.ensureRepository("svc"))).isEqualTo(2);
  }

  @Test
  void aRepositoryScaffoldedForAnotherComponentIsRefused() throws Exception {
    RepositoryPublisher publisher = new RepositoryPublisher(new EmbeddedGitServer(tmp));
    publisher.publish("svc", "main", Map.of("README.md", RepositoryPublisher.File.text("v1\n")), "initial",
        "uid-1");
    assertThatThrownBy(() -> publisher.publish("svc", "main", Map.of("README.md",
        RepositoryPublisher.File.text("v2\n")), "mine", "uid-2"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("choose another name");
  }
}
