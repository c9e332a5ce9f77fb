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
 * {@code publish:git} on the embedded Git server: a new bare repository {@code <name>.git} whose first commit holds
 * the scaffolded files, served at {@code /git/<name>.git}. The commit message carries the Component's UID, so a
 * retry after a crash recognises its own repository (and finishes) while a name taken by something else is an
 * error.
 */
public final class RepositoryPublisher {

  /**
   * The result.
   *
   * @param repo the repository name
   * @param commit the commit SHA
   * @param created false when the repository already held this Component's scaffold
   */
  public record Published(String repo, String commit, boolean created) {
  }

  private final EmbeddedGitServer server;

  /** @param server the embedded Git server whose repositories are written */
  public RepositoryPublisher(EmbeddedGitServer server) {
    this.server = server;
  }

  /**
   * Publishes {@code files} as the first commit of repository {@code repo} on branch {@code branch}.
   *
   * @param owner the Component's UID, recorded in the commit message
   * @throws IllegalStateException when the repository exists and was not scaffolded for {@code owner}
   */
  public Published publish(String repo, String branch, Map<String, String> files, String message, String owner)
      throws IOException {
    boolean existed = server.exists(repo);
    var dir = server.ensureRepository(repo);
    try (Git git = Git.open(dir.toFile())) {
      Repository r = git.getRepository();
      ObjectId head = r.resolve("refs/heads/" + branch);
      if (head != null) {
        try (RevWalk walk = new RevWalk(r)) {
          RevCommit tip = walk.parseCommit(head);
          if (tip.getFullMessage().contains("Component-UID: " + owner)) {
            return new Published(repo, head.name(), false);
          }
        }
        throw new IllegalStateException("repository " + repo + " already exists and was not scaffolded for this"
            + " Component: choose another name");
      }
      if (existed && head == null && r.getRefDatabase().hasRefs()) {
        throw new IllegalStateException("repository " + repo + " already exists: choose another name");
      }
      try (ObjectInserter ins = r.newObjectInserter()) {
        DirCache dc = DirCache.newInCore();
        DirCacheBuilder b = dc.builder();
        for (Map.Entry<String, String> f : new TreeMap<>(files).entrySet()) {
          DirCacheEntry e = new DirCacheEntry(f.getKey());
          e.setFileMode(f.getKey().endsWith(".sh") ? FileMode.EXECUTABLE_FILE : FileMode.REGULAR_FILE);
          e.setObjectId(ins.insert(Constants.OBJ_BLOB, f.getValue().getBytes(StandardCharsets.UTF_8)));
          b.add(e);
        }
        b.finish();
        CommitBuilder c = new CommitBuilder();
        c.setTreeId(dc.writeTree(ins));
        PersonIdent who = new PersonIdent("Tarmac", "tarmac@tarmac.dev");
        c.setAuthor(who);
        c.setCommitter(who);
        c.setMessage(message + "\n\nComponent-UID: " + owner + "\n");
        ObjectId id = ins.insert(c);
        ins.flush();
        RefUpdate u = r.updateRef("refs/heads/" + branch);
        u.setNewObjectId(id);
        u.setExpectedOldObjectId(ObjectId.zeroId());
        RefUpdate.Result result = u.update();
        if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FORCED) {
          throw new IOException("could not create branch " + branch + ": " + result);
        }
        r.updateRef(Constants.HEAD).link("refs/heads/" + branch);
        return new Published(repo, id.name(), true);
      }
    }
  }
}
