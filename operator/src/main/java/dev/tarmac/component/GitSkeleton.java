package dev.tarmac.component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;

/**
 * A Template skeleton kept in a Git repository: {@code skeleton: {git: {url, ref, path}}}. Cloned with JGit (depth 1)
 * into a temporary folder; every regular file under {@code path} becomes a skeleton file (path relative to it).
 * Files over 1 MiB, and more than 1,000 files, are refused.
 */
final class GitSkeleton {

  private static final long MAX_FILE = 1024 * 1024;
  private static final int MAX_FILES = 1000;

  private GitSkeleton() {
  }

  /**
   * Reads the skeleton.
   *
   * @throws IllegalStateException when the repository cannot be read (retried later)
   * @throws IllegalArgumentException when the skeleton breaks a limit or {@code path} is missing
   */
  static ObjectNode read(JsonNode git) {
    String url = git.path("url").asText("");
    if (url.isEmpty()) {
      throw new IllegalArgumentException("skeleton.git.url is empty");
    }
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("tarmac-skeleton");
      var clone = Git.cloneRepository().setURI(url).setDirectory(tmp.toFile()).setDepth(1).setTimeout(30);
      if (git.hasNonNull("ref")) {
        clone.setBranch(git.get("ref").asText());
      }
      clone.call().close();
      Path root = tmp.resolve(git.path("path").asText(".")).normalize();
      if (!root.startsWith(tmp) || !Files.isDirectory(root)) {
        throw new IllegalArgumentException("skeleton.git.path " + git.path("path").asText() + " is not a folder of "
            + url);
      }
      ObjectNode files = Serialization.JSON.createObjectNode();
      final Path base = root;
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path p : walk.filter(Files::isRegularFile).filter(p -> !p.toString().contains("/.git/")).toList()) {
          if (files.size() >= MAX_FILES) {
            throw new IllegalArgumentException("the skeleton has more than " + MAX_FILES + " files");
          }
          if (Files.size(p) > MAX_FILE) {
            throw new IllegalArgumentException("skeleton file " + base.relativize(p) + " is over " + MAX_FILE
                + " bytes");
          }
          files.put(base.relativize(p).toString().replace('\\', '/'), Files.readString(p, StandardCharsets.UTF_8));
        }
      }
      return files;
    } catch (GitAPIException e) {
      throw new IllegalStateException("cannot read the skeleton from " + url + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the skeleton: " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        deleteQuietly(tmp);
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A temporary folder left behind is harmless.
    }
  }
}
