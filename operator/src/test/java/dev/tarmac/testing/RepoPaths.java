package dev.tarmac.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the repository and of shared/ for tests (set by surefire; resolved from the working folder otherwise). */
public final class RepoPaths {

  private RepoPaths() {
  }

  /** The repository root. */
  public static Path repo() {
    String dir = System.getProperty("tarmac.repo.dir");
    return (dir != null ? Path.of(dir) : Path.of("..")).toAbsolutePath().normalize();
  }

  /**
   * {@code shared/corpus}, beside the repository as CI lays it out, or where {@code TARMAC_CORPUS_DIR} says (a git
   * worktree elsewhere).
   */
  public static Path corpus() {
    String env = System.getenv("TARMAC_CORPUS_DIR");
    if (env != null && Files.isDirectory(Path.of(env))) {
      return Path.of(env);
    }
    Path beside = repo().resolve("../shared/corpus").normalize();
    if (Files.isDirectory(beside)) {
      return beside;
    }
    throw new IllegalStateException("shared/corpus not found beside " + repo());
  }
}
