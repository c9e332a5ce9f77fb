package dev.tarmac.statestore;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The git command line, to check from outside what the operator wrote, and a real git daemon on 127.0.0.1. Public for
 * the tests outside this package that read Git repositories (ShardingApiServerTest).
 */
public final class GitCli {

  private GitCli() {
  }

  /**
   * Runs {@code git args} in {@code dir} (as user Test, default branch main) and returns its output.
   *
   * @throws IllegalStateException when git fails or takes over 60 s, with its output
   */
  public static String git(Path dir, String... args) {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
        "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("git " + String.join(" ", args) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A new empty bare repository {@code <name>.git} in {@code parent}, branch main. */
  public static Path bareRepo(Path parent, String name) {
    Path repo = parent.resolve(name + ".git");
    git(parent, "init", "--bare", "-q", "-b", "main", repo.toString());
    return repo;
  }

  /** A git daemon serving {@code base} on 127.0.0.1 with push enabled; close to stop it. */
  static final class Daemon implements AutoCloseable {
    final int port;
    private final Path base;
    private final boolean receivePack;
    private Process process;

    Daemon(Path base) throws IOException {
      this(base, true);
    }

    /** A daemon that refuses every push when {@code receivePack} is false (git daemon's default). */
    Daemon(Path base, boolean receivePack) throws IOException {
      this.base = base;
      this.receivePack = receivePack;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      start();
    }

    void start() throws IOException {
      process = new ProcessBuilder("git", "daemon", "--reuseaddr", "--export-all",
          receivePack ? "--enable=receive-pack" : "--disable=receive-pack",
          "--listen=127.0.0.1", "--port=" + port, "--base-path=" + base, base.toString())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      long deadline = System.currentTimeMillis() + 10_000;
      while (System.currentTimeMillis() < deadline) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
          return;
        } catch (IOException notYet) {
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
      throw new IOException("git daemon did not start on port " + port);
    }

    void stop() throws InterruptedException {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
    }

    String url(String repo) {
      return "git://127.0.0.1:" + port + "/" + repo;
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }
  }
}
