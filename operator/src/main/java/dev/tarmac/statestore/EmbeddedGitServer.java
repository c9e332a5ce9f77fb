package dev.tarmac.statestore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.transport.resolver.ServiceNotEnabledException;

/**
 * The operator's own Git repositories, served read-only over Git's smart HTTP protocol by JGit's {@link GitServlet}
 * at {@code /git/<name>.git}, so Argo CD or Flux in the same cluster can sync what Tarmac writes with no further setup.
 * Clone and fetch work; push is refused (the operator writes through {@link GitWriter} on the file system).
 *
 * <p>Repositories are bare, under {@code <dataDir>/git/<name>.git}. Names: letters, digits, {@code . _ -}.
 */
public final class EmbeddedGitServer {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EmbeddedGitServer.class);

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  private final Path root;

  /** @param dataDir the operator's data folder; repositories go under {@code git/} */
  public EmbeddedGitServer(Path dataDir) {
    this.root = dataDir.resolve("git");
  }

  /**
   * The bare repository {@code name}, created empty (branch {@code main}) when missing.
   *
   * <p>A repository is created in a temporary folder beside its place and moved there in one step, so a process
   * killed while creating it (kill -9, an evicted Pod) leaves no half-made repository behind. A folder at its place
   * that is not a Git repository (no {@code HEAD}, made by an older version killed at that moment, or damaged) is
   * moved aside to {@code <name>.git.broken-<millis>}, kept for inspection, and replaced by an empty repository; the
   * state store then finds it empty and republishes its Works (docs/reliability.md, "Restarts and lost volumes").
   *
   * @return its folder
   * @throws IllegalArgumentException when the name is not allowed
   * @throws IllegalStateException when the repository cannot be created (disk full, permissions)
   */
  public synchronized Path ensureRepository(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("'" + name + "' is not a valid repository name (letters, digits, . _ -)");
    }
    Path dir = root.resolve(name + ".git");
    if (Files.isDirectory(dir) && isRepository(dir)) {
      return dir;
    }
    try {
      Files.createDirectories(root);
      if (Files.exists(dir)) {
        Path aside = root.resolve(name + ".git.broken-" + System.currentTimeMillis());
        Files.move(dir, aside);
        LOG.warn("repository {} was not a Git repository (no HEAD: a process stopped while creating it?); moved"
            + " to {} and created again empty", dir, aside);
      }
      Path tmp = Files.createTempDirectory(root, "." + name + ".git.new-");
      Git.init().setBare(true).setDirectory(tmp.toFile()).setInitialBranch("main").call().close();
      Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (GitAPIException | IOException e) {
      throw new IllegalStateException("cannot create repository " + dir + ": " + e.getMessage(), e);
    }
    return dir;
  }

  /** True when {@code dir} holds a bare repository JGit can open (HEAD, objects and refs present). */
  private static boolean isRepository(Path dir) {
    return org.eclipse.jgit.lib.RepositoryCache.FileKey.isGitRepository(dir.toFile(),
        org.eclipse.jgit.util.FS.DETECTED);
  }

  /**
   * True when repository {@code name} exists and its branch {@code branch} has a commit: false for a repository that
   * is missing (a new or wiped data volume) or was created but never written.
   */
  public boolean hasBranch(String name, String branch) {
    if (!exists(name)) {
      return false;
    }
    try (Repository r = new FileRepositoryBuilder().setGitDir(root.resolve(name + ".git").toFile())
        .setMustExist(true).build()) {
      return r.resolve("refs/heads/" + branch) != null;
    } catch (IOException e) {
      return false;
    }
  }

  /** True when repository {@code name} exists (a folder that is not a Git repository does not count). */
  public boolean exists(String name) {
    return NAME.matcher(name).matches() && Files.isDirectory(root.resolve(name + ".git"))
        && isRepository(root.resolve(name + ".git"));
  }

  /**
   * The UID of the Component a repository was scaffolded for: the {@code Component-UID} trailer
   * {@code RepositoryPublisher} writes into every commit, read from the tip of its first branch that has one.
   *
   * @return empty when the repository does not exist or no branch tip names a Component
   */
  public java.util.Optional<String> componentUid(String name) {
    if (!exists(name)) {
      return java.util.Optional.empty();
    }
    try (Repository r = new FileRepositoryBuilder().setGitDir(root.resolve(name + ".git").toFile())
        .setMustExist(true).build(); org.eclipse.jgit.revwalk.RevWalk walk = new org.eclipse.jgit.revwalk.RevWalk(r)) {
      for (var ref : r.getRefDatabase().getRefsByPrefix("refs/heads/")) {
        String message = walk.parseCommit(ref.getObjectId()).getFullMessage();
        // The last trailer is the publisher's: the commit message before it may come from a Template.
        var m = COMPONENT_UID.matcher(message);
        String uid = null;
        while (m.find()) {
          uid = m.group(1);
        }
        if (uid != null) {
          return java.util.Optional.of(uid);
        }
      }
      return java.util.Optional.empty();
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }

  private static final Pattern COMPONENT_UID = Pattern.compile("(?m)^Component-UID: ([0-9a-fA-F-]{1,64})$");

  /** The folder of repository {@code name} (it may not exist). */
  public Path repository(String name) {
    return root.resolve(name + ".git");
  }

  /** The URL the writer uses for repository {@code name}: a file URL of its folder. */
  public String writerUrl(String name) {
    return ensureRepository(name).toUri().toString();
  }

  /** The servlet to mount at {@code /git/*}. */
  public GitServlet servlet() {
    GitServlet servlet = new GitServlet();
    servlet.setRepositoryResolver((req, name) -> open(name));
    servlet.setReceivePackFactory((req, db) -> {
      throw new ServiceNotEnabledException("the embedded Git server is read-only: Tarmac writes it");
    });
    return servlet;
  }

  private Repository open(String name) throws RepositoryNotFoundException {
    String bare = name.endsWith(".git") ? name.substring(0, name.length() - 4) : name;
    if (!exists(bare)) {
      throw new RepositoryNotFoundException(name);
    }
    try {
      return new FileRepositoryBuilder().setGitDir(root.resolve(bare + ".git").toFile()).setMustExist(true).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
