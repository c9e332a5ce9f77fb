package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.Serialization;
import dev.tarmac.statestore.EmbeddedGitServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rules a skeleton's files follow: names inside the skeleton, no links, modes kept. */
class SkeletonTest {

  @TempDir
  Path tmp;

  @Test
  void namesOutsideTheSkeletonAreRefusedWithTheFileNamed() {
    assertThat(Skeleton.checkPath("src/main/App.java", "skeleton file")).isEqualTo("src/main/App.java");
    assertThat(Skeleton.checkPath(".github/workflows/ci.yaml", "skeleton file")).isNotNull();
    for (var bad : Map.of(
        "../x", "leaves the skeleton",
        "a/../../x", "leaves the skeleton",
        "a//b", "empty segment",
        "./a", "leaves the skeleton",
        "/etc/passwd", "is an absolute path",
        "C:/x", "is an absolute path",
        "a\\b", "is an absolute path",
        "a\0b", "contains a control character (NUL)",
        ".GIT/config", "is inside .git",
        "", "has no name").entrySet()) {
      assertThatThrownBy(() -> Skeleton.checkPath(bad.getKey(), "skeleton file")).as(bad.getKey())
          .isInstanceOf(InvalidSkeletonException.class).hasMessageContaining(bad.getValue())
          .hasMessageStartingWith("skeleton file '" + Skeleton.printable(bad.getKey()) + "'");
    }
    assertThatThrownBy(() -> Skeleton.checkPath("x".repeat(300), "skeleton file"))
        .hasMessageContaining("segment over 255");
    assertThatThrownBy(() -> Skeleton.checkPath("a/".repeat(600) + "x", "skeleton file"))
        .hasMessageContaining("over the limit of 1024");
    assertThat(Skeleton.printable("a\0b")).isEqualTo("a\\u0000b");
  }

  @Test
  void inlineFilesMayBeExecutable() throws Exception {
    var files = Skeleton.inline(Serialization.YAML.readTree("""
        README.md: "# x"
        build.sh: "echo"
        bin/run: {content: "#!/bin/sh", executable: true}
        tool.sh: {content: "echo", executable: false}
        """));
    assertThat(files.get("README.md")).isEqualTo(new RepositoryPublisher.File("# x", false));
    assertThat(files.get("build.sh").executable()).isTrue();
    assertThat(files.get("bin/run")).isEqualTo(new RepositoryPublisher.File("#!/bin/sh", true));
    assertThat(files.get("tool.sh").executable()).isFalse();
    assertThatThrownBy(() -> Skeleton.inline(Serialization.YAML.readTree("{a: {content: 1}}")))
        .hasMessageContaining("skeleton file a must be text, or {content: text, executable: true|false}");
    assertThatThrownBy(() -> Skeleton.inline(Serialization.YAML.readTree("{../a: x}")))
        .isInstanceOf(InvalidSkeletonException.class);
    // The Template's own status lists every bad inline file; templated names wait until they are rendered.
    assertThat(Skeleton.problems(Serialization.YAML.readTree("{../a: x, /b: y, ok.txt: z, \"${{ values.d }}/c\": w,"
        + " d: {content: 1}}"))).containsExactly(
            "skeleton file '../a' leaves the skeleton or has an empty segment: use a plain relative path such as"
                + " src/main.go",
            "skeleton file '/b' is an absolute path: use a path relative to the skeleton such as src/main.go",
            "skeleton file d must be text, or {content: text, executable: true|false}");
  }

  private Path repo(String name) throws Exception {
    Path repo = tmp.resolve(name);
    Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call().close();
    return repo;
  }

  private static void commit(Path repo) throws Exception {
    try (Git git = Git.open(repo.toFile())) {
      git.add().addFilepattern(".").call();
      git.commit().setMessage("skeleton").setAuthor("t", "t@t").setCommitter("t", "t@t").call();
    }
  }

  @Test
  void gitSkeletonsRefuseSymlinksAnywhereAndKeepTheExecutableBit() throws Exception {
    Path repo = repo("links");
    Files.createDirectories(repo.resolve("sk/deep"));
    Files.writeString(repo.resolve("sk/README.md"), "x");
    Files.createSymbolicLink(repo.resolve("sk/deep/token"), Path.of("/var/run/secrets/kubernetes.io/serviceaccount"
        + "/token"));
    commit(repo);
    assertThatThrownBy(() -> GitSkeleton.read(Serialization.YAML.readTree("{url: " + repo.toUri() + ", path: sk}")))
        .isInstanceOf(InvalidSkeletonException.class)
        .hasMessage("skeleton file deep/token in " + repo.toUri() + " is a symbolic link (to"
            + " /var/run/secrets/kubernetes.io/serviceaccount/token); symbolic links are refused: commit the file"
            + " itself");

    // A link as the skeleton folder itself is not a folder of the repository.
    Path linked = repo("linked");
    Files.createSymbolicLink(linked.resolve("sk"), Path.of("/etc"));
    Files.writeString(linked.resolve("other.txt"), "x");
    commit(linked);
    assertThatThrownBy(() -> GitSkeleton.read(Serialization.YAML.readTree("{url: " + linked.toUri()
        + ", path: sk}"))).hasMessageContaining("is not a folder");

    Path modes = repo("modes");
    Files.createDirectories(modes.resolve("sk"));
    Files.writeString(modes.resolve("sk/run"), "#!/bin/sh\n");
    modes.resolve("sk/run").toFile().setExecutable(true);
    Files.writeString(modes.resolve("sk/plain.sh"), "echo\n");
    commit(modes);
    var files = GitSkeleton.read(Serialization.YAML.readTree("{url: " + modes.toUri() + ", path: ./sk/}"));
    assertThat(files.get("run")).isEqualTo(new RepositoryPublisher.File("#!/bin/sh\n", true));
    assertThat(files.get("plain.sh").executable()).isFalse();

    // Published with JGit: the modes are the Git modes of the scaffolded repository.
    EmbeddedGitServer server = new EmbeddedGitServer(tmp.resolve("data"));
    new RepositoryPublisher(server).publish("svc", "main", files, "initial", "uid-1");
    try (Git git = Git.open(server.ensureRepository("svc").toFile());
        TreeWalk walk = new TreeWalk(git.getRepository())) {
      walk.addTree(git.getRepository().parseCommit(git.getRepository().resolve("main")).getTree());
      walk.setRecursive(true);
      Map<String, FileMode> seen = new java.util.TreeMap<>();
      while (walk.next()) {
        seen.put(walk.getPathString(), walk.getFileMode(0));
      }
      assertThat(seen).containsEntry("run", FileMode.EXECUTABLE_FILE).containsEntry("plain.sh",
          FileMode.REGULAR_FILE);
    }
    assertThatThrownBy(() -> GitSkeleton.read(Serialization.YAML.readTree("{url: " + modes.toUri()
        + ", path: ../sk}"))).hasMessageContaining("is not a folder");
  }
}
