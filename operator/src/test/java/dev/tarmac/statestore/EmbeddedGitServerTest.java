package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EmbeddedGitServer#ensureRepository}: a repository is created whole or not at all, and a folder left half
 * made (what a process killed during {@code git init} left in the bench on 2026-12-03: {@code branches}, {@code hooks},
 * {@code logs}, {@code objects}, {@code refs} folders, no file, so no {@code HEAD} and no {@code config}, which every later write failed on with "Invalid
 * remote") is moved aside and replaced.
 */
class EmbeddedGitServerTest {

  @TempDir
  Path data;

  @Test
  void aNewRepositoryIsWholeAndNothingTemporaryIsLeft() throws Exception {
    EmbeddedGitServer server = new EmbeddedGitServer(data);
    assertThat(server.exists("default")).isFalse();

    Path dir = server.ensureRepository("default");

    assertThat(dir).isEqualTo(data.resolve("git/default.git"));
    assertThat(dir.resolve("HEAD")).exists();
    assertThat(server.exists("default")).isTrue();
    assertThat(Git.lsRemoteRepository().setRemote(server.writerUrl("default")).call()).isEmpty();
    try (Stream<Path> names = Files.list(data.resolve("git"))) {
      assertThat(names.map(p -> p.getFileName().toString())).containsExactly("default.git");
    }
    // A second call keeps the same repository.
    Files.writeString(dir.resolve("description"), "kept");
    server.ensureRepository("default");
    assertThat(Files.readString(dir.resolve("description"))).isEqualTo("kept");
  }

  @Test
  void aHalfMadeRepositoryIsMovedAsideAndCreatedAgain() throws Exception {
    Path broken = data.resolve("git/default.git");
    for (String d : new String[] {"branches", "hooks", "logs/refs/heads", "objects/info", "objects/pack",
        "refs/heads", "refs/tags"}) {
      Files.createDirectories(broken.resolve(d));
    }
    EmbeddedGitServer server = new EmbeddedGitServer(data);
    // What the state store's writer does first, and what failed on every retry before the fix.
    try (Git clone = Git.init().setDirectory(data.resolve("clone").toFile()).call()) {
      assertThatThrownBy(() -> clone.fetch().setRemote(broken.toUri().toString()).call())
          .hasMessageContaining("Invalid remote");
    }
    assertThat(server.exists("default")).as("a folder that is no repository does not count").isFalse();
    assertThat(server.hasBranch("default", "main")).isFalse();

    server.ensureRepository("default");

    assertThat(server.exists("default")).isTrue();
    try (Git clone = Git.open(data.resolve("clone").toFile())) {
      clone.fetch().setRemote(server.writerUrl("default"))
          .setRefSpecs("+refs/heads/*:refs/remotes/origin/*").call();
    }
    try (Stream<Path> names = Files.list(data.resolve("git"))) {
      assertThat(names.map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.startsWith("default.git.broken-"))
          .contains("default.git")
          .hasSize(2);
    }
  }
}
