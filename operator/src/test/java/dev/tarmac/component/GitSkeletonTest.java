package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitSkeletonTest {

  @TempDir
  Path tmp;

  @Test
  void readsTheFilesUnderAPathOfARealRepository() throws Exception {
    Path repo = tmp.resolve("templates");
    try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
      Files.createDirectories(repo.resolve("java/skeleton/docs"));
      Files.writeString(repo.resolve("java/skeleton/README.md"), "# ${{ values.name }}\n");
      Files.writeString(repo.resolve("java/skeleton/docs/index.md"), "docs\n");
      Files.writeString(repo.resolve("other.txt"), "not part of it\n");
      git.add().addFilepattern(".").call();
      git.commit().setMessage("skeleton").setAuthor("t", "t@t").setCommitter("t", "t@t").call();
    }
    var files = GitSkeleton.read(Serialization.YAML.readTree("{url: " + repo.toUri() + ", path: java/skeleton}"));
    assertThat(files.keySet()).containsExactlyInAnyOrder("README.md", "docs/index.md");
    assertThat(files.get("README.md").content()).isEqualTo("# ${{ values.name }}\n");
    assertThatThrownBy(() -> GitSkeleton.read(Serialization.YAML.readTree("{url: " + repo.toUri()
        + ", path: ../../etc}"))).hasMessageContaining("is not a folder");
  }
}
