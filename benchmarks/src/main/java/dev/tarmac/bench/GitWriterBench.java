package dev.tarmac.bench;

import dev.tarmac.statestore.GitCredentials;
import dev.tarmac.statestore.GitWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * The state-store writer alone: N Works submitted at once to one store (a bare repository, written directly as the
 * embedded store is), then wall time to all committed, commits made, and files present. Bounded: N ≤ 10,000.
 * Run with {@code make bench-git}.
 */
public final class GitWriterBench {

  private GitWriterBench() {
  }

  /** Arguments: {@code N} (default 1000). */
  public static void main(String[] args) throws Exception {
    int n = Math.min(10_000, args.length > 0 ? Integer.parseInt(args[0]) : 1000);
    Path dir = Files.createTempDirectory("tarmac-git-bench");
    Path bare = dir.resolve("store.git");
    Git.init().setBare(true).setDirectory(bare.toFile()).setInitialBranch("main").call().close();
    try (GitWriter w = new GitWriter(new GitWriter.Config("store", bare.toUri().toString(), "main",
        GitCredentials.NONE, new PersonIdent("Tarmac", "tarmac@tarmac.dev")), dir.resolve("cache"), s -> { })) {
      long start = System.nanoTime();
      List<CompletableFuture<GitWriter.CommitResult>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(w.submit(new GitWriter.Put("dev", "resources/default/Cache/c" + i, "default.c" + i,
            Map.of("cache.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c" + i + "}\n"))));
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - start) / 1e9;
      long commits;
      long files;
      try (Git git = Git.open(bare.toFile())) {
        commits = 0;
        for (var ignored : git.log().call()) {
          commits++;
        }
      }
      Path clone = dir.resolve("clone");
      Git.cloneRepository().setURI(bare.toUri().toString()).setDirectory(clone.toFile()).call().close();
      try (var walk = Files.walk(clone.resolve("dev/resources"))) {
        files = walk.filter(Files::isRegularFile).count();
      }
      System.out.printf("git writer: %d Works to one store: %.2f s to all committed, %d commits, %d files present"
          + " (goal: <= 10 s, <= 20 commits)%n", n, seconds, commits, files);
    }
  }
}
