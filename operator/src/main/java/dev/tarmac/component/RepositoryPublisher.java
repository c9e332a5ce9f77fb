package dev.tarmac.component;

import dev.tarmac.statestore.EmbeddedGitServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * {@code publish:git} on the embedded Git server: a bare repository {@code <name>.git} whose branch holds the
 * scaffolded files, served at {@code /git/<name>.git}. Every commit message carries the Component's UID, so a retry
 * after a crash and a rescaffold recognise the Component's own repository while a name taken by something else is an
 * error. Publishing the files the branch already holds makes no commit.
 */
public final class RepositoryPublisher {

  /**
   * The result.
   *
   * @param repo the repository name
   * @param commit the branch tip after publishing (SHA-1, hex)
   * @param committed false when the branch already held exactly these files and no commit was made
   */
  public record Published(String repo, String commit, boolean committed) {
  }

  /**
   * One file of a repository, byte-exact.
   *
   * @param data the bytes (text as UTF-8; binary files as they are)
   * @param executable whether it gets Git mode 100755 (else 100644)
   */
  public record File(byte[] data, boolean executable) {
    /** A text file, written as UTF-8. */
    public File(String content, boolean executable) {
      this(content.getBytes(StandardCharsets.UTF_8), executable);
    }

    /** A file that is not executable. */
    public static File text(String content) {
      return new File(content, false);
    }

    /** The bytes read as UTF-8 (for text files). */
    public String content() {
      return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof File f && f.executable == executable && java.util.Arrays.equals(f.data, data);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(data) * 31 + Boolean.hashCode(executable);
    }

    @Override
    public String toString() {
      return "File[" + data.length + " bytes" + (executable ? ", executable" : "") + "]";
    }
  }

  private final EmbeddedGitServer server;

  /** @param server the embedded Git server whose repositories are written */
  public RepositoryPublisher(EmbeddedGitServer server) {
    this.server = server;
  }

  /** True when repository {@code repo} exists on the embedded Git server. */
  public boolean exists(String repo) {
    return server.exists(repo);
  }

  /**
   * Makes branch {@code branch} of repository {@code repo} hold exactly {@code files}. A new repository gets them as
   * its first commit. A repository scaffolded for {@code owner} before (its branch tip names the UID) gets a new
   * commit on top when the files differ and none when they are the same, so a rescaffold rewrites it with what the
   * Template renders now, and a retry after a crash changes nothing.
   *
   * @param repo the repository name
   * @param branch the branch, e.g. {@code main}
   * @param files path to file (content and mode)
   * @param message the commit message; a {@code Component-UID} trailer is appended
   * @param owner the Component's UID
   * @return the branch tip and whether a commit was made
   * @throws IllegalStateException when the repository exists and was not scaffolded for {@code owner}
   * @throws IOException when the repository cannot be read or written, or the branch moved while publishing
   */
  public Published publish(String repo, String branch, Map<String, File> files, String message, String owner)
      throws IOException {
    boolean existed = server.exists(repo);
    var dir = server.ensureRepository(repo);
    try (Git git = Git.open(dir.toFile())) {
      Repository r = git.getRepository();
      ObjectId head = r.resolve("refs/heads/" + branch);
      RevCommit tip = null;
      if (head != null) {
        try (RevWalk walk = new RevWalk(r)) {
          tip = walk.parseCommit(head);
        }
        if (!tip.getFullMessage().contains("Component-UID: " + owner)) {
          throw new IllegalStateException("repository " + repo + " already exists and was not scaffolded for this"
              + " Component: choose another name");
        }
      } else if (existed && r.getRefDatabase().hasRefs()) {
        throw new IllegalStateException("repository " + repo + " already exists: choose another name");
      }
      try (ObjectInserter ins = r.newObjectInserter()) {
        DirCache dc = DirCache.newInCore();
        DirCacheBuilder b = dc.builder();
        for (Map.Entry<String, File> f : new TreeMap<>(files).entrySet()) {
          DirCacheEntry e = new DirCacheEntry(f.getKey());
          e.setFileMode(f.getValue().executable() ? FileMode.EXECUTABLE_FILE : FileMode.REGULAR_FILE);
          e.setObjectId(ins.insert(Constants.OBJ_BLOB, f.getValue().data()));
          b.add(e);
        }
        b.finish();
        ObjectId id = commit(r, ins, tip, dc.writeTree(ins), branch, message + "\n\nComponent-UID: " + owner);
        return new Published(repo, id.name(), !id.equals(tip));
      }
    }
  }

  /**
   * Commits {@code tree} on {@code branch} with {@code tip} as parent, as Tarmac; the branch becomes HEAD when it is
   * new. Nothing is committed when {@code tree} is {@code tip}'s tree: the same files (names, modes and contents)
   * would only add noise to the history.
   *
   * @param r the repository
   * @param ins the inserter {@code tree} was written with (flushed here)
   * @param tip the branch's tip as read before writing, or null when the branch does not exist
   * @param tree the new root tree
   * @param branch the branch name, without {@code refs/heads/}
   * @param message the commit message (a line feed is appended)
   * @return the new commit, or {@code tip} when nothing changed
   * @throws IOException when the branch moved since {@code tip} was read (a concurrent write: retried by the
   *     caller, never a lost commit) or cannot be written
   */
  static ObjectId commit(Repository r, ObjectInserter ins, RevCommit tip, ObjectId tree, String branch,
      String message) throws IOException {
    if (tip != null && tip.getTree().getId().equals(tree)) {
      return tip;
    }
    CommitBuilder c = new CommitBuilder();
    c.setTreeId(tree);
    if (tip != null) {
      c.setParentId(tip);
    }
    PersonIdent who = new PersonIdent("Tarmac", "tarmac@tarmac.dev");
    c.setAuthor(who);
    c.setCommitter(who);
    c.setMessage(message + "\n");
    ObjectId id = ins.insert(c);
    ins.flush();
    RefUpdate u = r.updateRef("refs/heads/" + branch);
    u.setNewObjectId(id);
    u.setExpectedOldObjectId(tip == null ? ObjectId.zeroId() : tip);
    RefUpdate.Result result = u.update();
    if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FAST_FORWARD) {
      throw new IOException("could not " + (tip == null ? "create" : "update") + " branch " + branch + ": " + result);
    }
    if (tip == null) {
      r.updateRef(Constants.HEAD).link("refs/heads/" + branch);
    }
    return id;
  }
}
