package dev.tarmac.component;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Where {@code tarmac import template} stores a template's folders: a Git repository, one folder per template
 * ({@code templates/<name>} by default), so the Template references them ({@code skeleton.git}) instead of holding
 * them in YAML. A local path is a bare repository, created when missing and written directly; a URL
 * ({@code https://}, {@code ssh://}, {@code git://}, {@code file://}) is cloned into a temporary folder, committed to
 * and pushed (HTTP credentials from the environment: {@code TARMAC_GIT_USERNAME}, default {@code git}, and
 * {@code TARMAC_GIT_PASSWORD}). The folder is replaced as a whole; the rest of the branch is kept. Bytes and the
 * executable bit are stored as they are on disk.
 */
public final class SkeletonRepository {

  private SkeletonRepository() {
  }

  /**
   * Reads the regular files under {@code dir} (recursively), path relative to {@code dir} with {@code /}.
   *
   * @param skipped receives one line per entry that is not stored (symbolic links, other special files)
   * @throws IOException when a file cannot be read
   */
  public static Map<String, RepositoryPublisher.File> read(Path dir, java.util.List<String> skipped)
      throws IOException {
    Map<String, RepositoryPublisher.File> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        String rel = dir.relativize(p).toString().replace('\\', '/');
        if (Files.isSymbolicLink(p)) {
          skipped.add(rel + " is a symbolic link; Tarmac stores no links (Git skeletons refuse them): copy the file");
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          out.put(rel, new RepositoryPublisher.File(Files.readAllBytes(p), Files.isExecutable(p)));
        }
      }
    }
    return out;
  }

  /**
   * Makes folder {@code folder} of branch {@code branch} of {@code repo} hold exactly {@code files}.
   *
   * @param repo a local path or a Git URL (see above)
   * @param folder a relative folder, {@code ""} for the root
   * @return the commit the branch points at afterwards (unchanged when the folder already held these files)
   * @throws IOException when the repository cannot be created, read, written or pushed to
   */
  public static String write(String repo, String branch, String folder, Map<String, RepositoryPublisher.File> files,
      String message) throws IOException {
    CredentialsProvider creds = System.getenv("TARMAC_GIT_PASSWORD") == null ? null
        : new UsernamePasswordCredentialsProvider(System.getenv().getOrDefault("TARMAC_GIT_USERNAME", "git"),
            System.getenv("TARMAC_GIT_PASSWORD"));
    return write(repo, branch, folder, files, message, creds);
  }

  /**
   * {@link #write(String, String, String, Map, String)} with the credentials of a remote given.
   *
   * @param creds for a URL; null for none
   */
  public static String write(String repo, String branch, String folder, Map<String, RepositoryPublisher.File> files,
      String message, CredentialsProvider creds) throws IOException {
    boolean remote = repo.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*") || repo.matches("^[^/]+@[^/:]+:.*");
    if (!remote) {
      Path dir = Path.of(repo).toAbsolutePath();
      if (!Files.exists(dir)) {
        try (Git git = Git.init().setBare(true).setDirectory(dir.toFile()).setInitialBranch(branch).call()) {
          // created
        } catch (GitAPIException e) {
          throw new IOException("cannot create repository " + dir + ": " + e.getMessage(), e);
        }
      }
      try (Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build()) {
        return commit(r, branch, folder, files, message);
      }
    }
    Path tmp = Files.createTempDirectory("tarmac-import");
    try {
      try (Git git = Git.cloneRepository().setURI(repo).setDirectory(tmp.toFile()).setBare(true)
          .setCredentialsProvider(creds).setTimeout(60).call()) {
        String id = commit(git.getRepository(), branch, folder, files, message);
        var results = git.push().setRemote("origin").setCredentialsProvider(creds).setTimeout(60)
            .setRefSpecs(new RefSpec("refs/heads/" + branch + ":refs/heads/" + branch)).call();
        for (var result : results) {
          for (RemoteRefUpdate u : result.getRemoteUpdates()) {
            if (u.getStatus() != RemoteRefUpdate.Status.OK && u.getStatus() != RemoteRefUpdate.Status.UP_TO_DATE) {
              throw new IOException("push of " + branch + " to " + repo + " failed: " + u.getStatus()
                  + (u.getMessage() == null ? "" : " (" + u.getMessage() + ")"));
            }
          }
        }
        return id;
      } catch (GitAPIException e) {
        throw new IOException("cannot write the skeleton to " + repo + ": " + e.getMessage(), e);
      }
    } finally {
      try (Stream<Path> walk = Files.walk(tmp)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static String commit(Repository r, String branch, String folder, Map<String, RepositoryPublisher.File> files,
      String message) throws IOException {
    ObjectId head = r.resolve("refs/heads/" + branch);
    String prefix = folder.isEmpty() ? "" : folder + "/";
    try (ObjectInserter ins = r.newObjectInserter(); RevWalk rw = new RevWalk(r)) {
      RevCommit tip = head == null ? null : rw.parseCommit(head);
      DirCache dc = DirCache.newInCore();
      DirCacheBuilder b = dc.builder();
      Map<String, DirCacheEntry> entries = new TreeMap<>();
      if (tip != null) {
        try (TreeWalk walk = new TreeWalk(r)) {
          walk.addTree(tip.getTree());
          walk.setRecursive(true);
          while (walk.next()) {
            String path = walk.getPathString();
            if (!prefix.isEmpty() && path.startsWith(prefix) || prefix.isEmpty()) {
              continue;
            }
            DirCacheEntry e = new DirCacheEntry(path);
            e.setFileMode(walk.getFileMode(0));
            e.setObjectId(walk.getObjectId(0));
            entries.put(path, e);
          }
        }
      }
      for (Map.Entry<String, RepositoryPublisher.File> f : files.entrySet()) {
        String path = prefix + f.getKey();
        DirCacheEntry e = new DirCacheEntry(path);
        e.setFileMode(f.getValue().executable() ? FileMode.EXECUTABLE_FILE : FileMode.REGULAR_FILE);
        e.setObjectId(ins.insert(Constants.OBJ_BLOB, f.getValue().data()));
        entries.put(path, e);
      }
      entries.values().forEach(b::add);
      b.finish();
      return RepositoryPublisher.commit(r, ins, tip, dc.writeTree(ins), branch, message).name();
    }
  }
}
