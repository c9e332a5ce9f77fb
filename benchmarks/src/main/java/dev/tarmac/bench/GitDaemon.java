package dev.tarmac.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Git remote for the fault suite: {@code git daemon} serving the bare repositories under one folder on
 * 127.0.0.1 (push enabled), which can be stopped and started again on the same port; and the {@code git} command
 * line for what the suite does to a remote from outside (a force-push).
 */
final class GitDaemon implements AutoCloseable {

  private final Path base;
  private final int port;
  private Process process;

  /** Serves the bare repositories under {@code base}; not started yet. */
  GitDaemon(Path base) throws IOException {
    this.base = base;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
  }

  /** Starts the daemon and waits (at most 10 s) until it accepts connections. */
  void start() throws IOException, InterruptedException {
    process = new ProcessBuilder("git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
        "--listen=127.0.0.1", "--port=" + port, "--base-path=" + base, base.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new IOException("git daemon did not start on port " + port);
  }

  /**
   * Stops the daemon and every connection it serves: the daemon forks a child per connection, so the whole process
   * tree goes (a remote that is down, not one that finishes what it started).
   */
  void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    process = null;
  }

  /** The clone URL of repository {@code name} (e.g. {@code chaos.git}). */
  String url(String name) {
    return "git://127.0.0.1:" + port + "/" + name;
  }

  /** Creates bare repository {@code name} (e.g. {@code chaos.git}) with branch main and no commit; returns it. */
  Path bareRepo(String name) {
    git(base, "init", "--bare", "-q", "-b", "main", base.resolve(name).toString());
    return base.resolve(name);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  /** Runs git in {@code dir}; returns its output; throws when it fails or takes over 2 minutes. */
  static String git(Path dir, String... args) {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=Chaos", "-c", "user.email=chaos@example.com",
        "-c", "init.defaultBranch=main"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
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
}
