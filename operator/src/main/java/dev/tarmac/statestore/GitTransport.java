package dev.tarmac.statestore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.api.errors.TransportException;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One state store's Git repository as the writer sees it: a local bare repository (a cache of the remote branch, or,
 * for a {@code file:} URL to a bare repository on this machine such as the embedded store, that repository itself)
 * and the remote behind it. It fetches the branch, reports its tip, reads and writes trees and commits, moves the
 * branch (a push, or a compare-and-set of the ref when the repository is local), runs the write probe, and turns
 * every failure into a {@link GitFailure} whose reason and message say what to change.
 *
 * <p>Not thread-safe: the writer's thread is its only user.
 */
final class GitTransport implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(GitTransport.class);
  /** Seconds a fetch or push may take before it is taken for an unreachable remote. */
  static final int TIMEOUT_SECONDS = 30;
  private static final String UNREACHABLE_FIX = "; check that spec.url is right and that the Git server is up and"
      + " reachable from the operator (DNS, network policy, proxy)";
  /** An HTTP 401 or 403 as a word of its own, not digits of a port or a commit ({@code 127.0.0.1:40312}). */
  private static final Pattern HTTP_REFUSED = Pattern.compile("(?<![:\\w])40[13](?!\\w)");

  private final GitWriter.Config config;
  private final Path local;
  /** The store is a bare repository on this machine (the embedded store): commit into it, no clone, no push. */
  private final boolean direct;
  private Repository repo;
  /** Whether the local tracking ref is the remote's tip as far as this writer knows (no fetch needed). */
  private boolean tipKnown;
  /** Whether the write probe succeeded with these credentials (always true for a local repository). */
  private boolean writeVerified;

  /**
   * @param config the store
   * @param cacheDir where the local clone of a remote lives ({@code <cacheDir>/<store>.git}), created on first use
   */
  GitTransport(GitWriter.Config config, Path cacheDir) {
    this.config = config;
    Path target = localBareRepository(config.url());
    this.direct = target != null;
    this.local = direct ? target : cacheDir.resolve(config.name() + ".git");
    this.writeVerified = direct;
  }

  /** The local repository's folder. */
  Path localRepository() {
    return local;
  }

  /** The folder of a {@code file:} URL that is a bare repository on this machine, else null. */
  static Path localBareRepository(String url) {
    if (!url.startsWith("file:")) {
      return null;
    }
    try {
      Path p = Path.of(java.net.URI.create(url));
      return Files.isDirectory(p.resolve("objects")) && Files.isRegularFile(p.resolve("HEAD")) ? p : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Opens (or creates) the local repository; idempotent.
   *
   * @throws GitFailure {@code LocalRepositoryFailed} when it cannot be opened or created
   */
  void open() throws GitFailure {
    if (repo != null) {
      return;
    }
    try {
      if (direct) {
        repo = new FileRepositoryBuilder().setGitDir(local.toFile()).setMustExist(true).build();
        return;
      }
      Files.createDirectories(local.getParent());
      Git git = Files.isDirectory(local) ? Git.open(local.toFile())
          : Git.init().setBare(true).setDirectory(local.toFile()).setInitialBranch(config.branch()).call();
      repo = git.getRepository();
      var cfg = repo.getConfig();
      cfg.setString("remote", "origin", "url", config.url());
      cfg.save();
    } catch (IOException | GitAPIException e) {
      throw localFailure(e);
    }
  }

  /** Forgets the remote's tip: the next {@link #tip()} fetches (after a failure, or to check the remote's history). */
  void forgetTip() {
    tipKnown = false;
  }

  /**
   * The branch's tip on the remote (null: the branch does not exist), fetched unless this transport's last push or
   * fetch already told it.
   *
   * @throws GitFailure when the remote cannot be reached or refuses to be read
   */
  ObjectId tip() throws GitFailure {
    open();
    if (!tipKnown) {
      fetch();
      tipKnown = true;
    }
    try {
      Ref ref = repo.exactRef(trackingRef());
      return ref == null ? null : ref.getObjectId();
    } catch (IOException e) {
      throw localFailure(e);
    }
  }

  /** The tip the local repository holds now, without fetching (null: none); for logs and tests. */
  ObjectId localTip() throws IOException {
    if (repo == null) {
      return null;
    }
    Ref ref = repo.exactRef(trackingRef());
    return ref == null ? null : ref.getObjectId();
  }

  private String trackingRef() {
    return direct ? "refs/heads/" + config.branch() : "refs/remotes/origin/" + config.branch();
  }

  private void fetch() throws GitFailure {
    if (direct) {
      return;
    }
    try (Git git = new Git(repo)) {
      var fetch = git.fetch().setRemote(config.url())
          .setRefSpecs(new RefSpec("+refs/heads/" + config.branch() + ":" + trackingRef()))
          .setRemoveDeletedRefs(true)
          .setTimeout(TIMEOUT_SECONDS);
      config.credentials().configure(fetch);
      fetch.call();
      if (repo.exactRef(trackingRef()) == null) {
        LOG.info("branch {} does not exist on the remote; the next commit creates it", config.branch());
      }
    } catch (InvalidRemoteException e) {
      throw classify(e);
    } catch (TransportException e) {
      if (String.valueOf(e.getMessage()).contains("Remote does not have")) {
        deleteTrackingRef();
        return;
      }
      throw classify(e);
    } catch (GitAPIException | IOException e) {
      throw classify(e);
    }
  }

  private void deleteTrackingRef() {
    try {
      if (repo.exactRef(trackingRef()) != null) {
        RefUpdate u = repo.updateRef(trackingRef());
        u.setForceUpdate(true);
        u.delete();
      }
    } catch (IOException e) {
      LOG.warn("could not drop stale ref {}: {}", trackingRef(), e.getMessage());
    }
  }

  /**
   * Whether {@code tip}'s history contains {@code commit}. After a fetch of {@code tip}, a commit missing from the
   * local repository is not in that history (a fetch brings every ancestor), so that is false too.
   */
  boolean contains(ObjectId tip, ObjectId commit) throws GitFailure {
    if (tip == null) {
      return false;
    }
    try (RevWalk walk = new RevWalk(repo)) {
      return walk.isMergedInto(walk.parseCommit(commit), walk.parseCommit(tip));
    } catch (MissingObjectException e) {
      return false;
    } catch (IOException e) {
      throw localFailure(e);
    }
  }

  /** Every file of {@code commit}'s tree: path → blob; empty for null. */
  TreeMap<String, ObjectId> files(ObjectId commit) throws GitFailure {
    if (commit == null) {
      return new TreeMap<>();
    }
    try (RevWalk walk = new RevWalk(repo)) {
      return readTree(walk.getObjectReader(), walk.parseCommit(commit).getTree().getId());
    } catch (IOException e) {
      throw localFailure(e);
    }
  }

  /** The files of {@code commit}, or null when the local repository does not have it (it was never fetched here). */
  TreeMap<String, ObjectId> filesIfPresent(ObjectId commit) throws GitFailure {
    try (RevWalk walk = new RevWalk(repo)) {
      return readTree(walk.getObjectReader(), walk.parseCommit(commit).getTree().getId());
    } catch (MissingObjectException e) {
      return null;
    } catch (IOException e) {
      throw localFailure(e);
    }
  }

  private static TreeMap<String, ObjectId> readTree(ObjectReader reader, ObjectId tree) throws IOException {
    TreeMap<String, ObjectId> files = new TreeMap<>();
    try (TreeWalk tw = new TreeWalk(reader)) {
      tw.addTree(tree);
      tw.setRecursive(true);
      while (tw.next()) {
        files.put(tw.getPathString(), tw.getObjectId(0));
      }
    }
    return files;
  }

  /** Objects being written for one commit: blobs for {@link TreeBuilder}, then the commit itself. */
  final class ObjectWriter implements TreeBuilder.Blobs, AutoCloseable {
    private final ObjectInserter inserter = repo.newObjectInserter();
    private final ObjectReader reader = inserter.newReader();

    @Override
    public ObjectId write(byte[] content) {
      try {
        return inserter.insert(Constants.OBJ_BLOB, content);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public byte[] read(ObjectId id) {
      try {
        return reader.open(id, Constants.OBJ_BLOB).getBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Writes {@code files} as a tree and a commit on {@code parent} (null: a root commit); returns its id. */
    ObjectId commit(ObjectId parent, Map<String, ObjectId> files, String message) throws IOException {
      DirCache dc = DirCache.newInCore();
      DirCacheBuilder builder = dc.builder();
      for (Map.Entry<String, ObjectId> e : files.entrySet()) {
        DirCacheEntry entry = new DirCacheEntry(e.getKey());
        entry.setFileMode(FileMode.REGULAR_FILE);
        entry.setObjectId(e.getValue());
        builder.add(entry);
      }
      builder.finish();
      CommitBuilder commit = new CommitBuilder();
      commit.setTreeId(dc.writeTree(inserter));
      if (parent != null) {
        commit.setParentId(parent);
      }
      PersonIdent who = new PersonIdent(config.author(), Instant.now(), ZoneOffset.UTC);
      commit.setAuthor(who);
      commit.setCommitter(who);
      commit.setMessage(message);
      ObjectId id = inserter.insert(commit);
      inserter.flush();
      return id;
    }

    @Override
    public void close() {
      reader.close();
      inserter.close();
    }
  }

  /** Starts writing objects for a commit. */
  ObjectWriter objects() throws GitFailure {
    open();
    return new ObjectWriter();
  }

  /**
   * Moves the branch from {@code base} (null: it does not exist) to {@code commit}: a push, or for a local
   * repository a compare-and-set of the ref. False when the branch moved meanwhile (someone else pushed, or rewrote
   * it): fetch and build again.
   *
   * @throws GitFailure when the remote refuses the push for another reason or cannot be reached
   */
  boolean publish(ObjectId base, ObjectId commit) throws GitFailure {
    try {
      if (direct) {
        RefUpdate u = repo.updateRef(trackingRef());
        u.setNewObjectId(commit);
        u.setExpectedOldObjectId(base == null ? ObjectId.zeroId() : base);
        RefUpdate.Result r = u.update();
        boolean moved = r == RefUpdate.Result.NEW || r == RefUpdate.Result.FAST_FORWARD
            || r == RefUpdate.Result.FORCED;
        tipKnown = moved;
        return moved;
      }
      if (!push(commit)) {
        tipKnown = false;
        return false;
      }
      RefUpdate u = repo.updateRef(trackingRef());
      u.setNewObjectId(commit);
      u.setForceUpdate(true);
      u.update();
      tipKnown = true;
      return true;
    } catch (IOException e) {
      throw localFailure(e);
    }
  }

  private boolean push(ObjectId commit) throws GitFailure {
    try (Git git = new Git(repo)) {
      var push = git.push().setRemote(config.url())
          .setRefSpecs(new RefSpec(commit.name() + ":refs/heads/" + config.branch()))
          .setTimeout(TIMEOUT_SECONDS);
      config.credentials().configure(push);
      for (PushResult result : push.call()) {
        for (RemoteRefUpdate update : result.getRemoteUpdates()) {
          switch (update.getStatus()) {
            case OK, UP_TO_DATE -> {
            }
            case REJECTED_NONFASTFORWARD, REJECTED_REMOTE_CHANGED -> {
              return false;
            }
            default -> throw new GitFailure("PushFailed", "push to branch " + config.branch() + " was refused: "
                + update.getStatus() + (update.getMessage() == null ? "" : " (" + update.getMessage() + ")")
                + "; allow Tarmac's credentials to push to it (branch protection, a pre-receive hook)", null);
          }
        }
      }
      return true;
    } catch (GitAPIException e) {
      throw classify(e);
    }
  }

  /**
   * Runs the write probe once per transport (its credentials do not change): pushes {@code tip} (or, for an empty
   * branch, a commit with an empty tree that no branch will hold) to {@value GitWriter#PROBE_REF_PREFIX}{@code
   * <store>}, then deletes that ref. A fetch has just succeeded, so a refusal means the credentials (or the server)
   * allow reading only.
   *
   * @throws GitFailure {@code CredentialsReadOnly} when the remote refuses the push, {@code StateStoreUnreachable}
   *     when the connection fails
   */
  void verifyWrite(ObjectId tip) throws GitFailure {
    if (writeVerified) {
      return;
    }
    String probeRef = GitWriter.PROBE_REF_PREFIX + config.name();
    ObjectId commit = tip != null ? tip : emptyCommit();
    pushProbe(new RefSpec("+" + commit.name() + ":" + probeRef), probeRef);
    pushProbe(new RefSpec(":" + probeRef), probeRef);
    writeVerified = true;
    LOG.info("write probe succeeded: pushed and deleted {}", probeRef);
  }

  private void pushProbe(RefSpec spec, String probeRef) throws GitFailure {
    String refused;
    try (Git git = new Git(repo)) {
      var push = git.push().setRemote(config.url()).setRefSpecs(spec).setTimeout(TIMEOUT_SECONDS);
      config.credentials().configure(push);
      refused = null;
      for (PushResult result : push.call()) {
        for (RemoteRefUpdate update : result.getRemoteUpdates()) {
          switch (update.getStatus()) {
            case OK, UP_TO_DATE, NON_EXISTING -> {
            }
            default -> refused = update.getStatus() + (update.getMessage() == null ? "" : " " + update.getMessage());
          }
        }
      }
    } catch (GitAPIException e) {
      String message = GitCredentials.redact(String.valueOf(e.getMessage()), config.url());
      if (unreachable(message)) {
        throw new GitFailure("StateStoreUnreachable", message + UNREACHABLE_FIX, e);
      }
      refused = message;
    }
    if (refused != null) {
      throw new GitFailure("CredentialsReadOnly", "the remote lets these credentials read but refused the write"
          + " probe (a push of " + probeRef + "): " + refused + "; give the credentials write access to the"
          + " repository (a token with write scope, a deploy key with write access, receive-pack enabled on the"
          + " server)", null);
    }
  }

  private static boolean unreachable(String message) {
    String lower = message.toLowerCase(Locale.ROOT);
    return lower.contains("connection refused") || lower.contains("timed out") || lower.contains("timeout")
        || lower.contains("unknownhost") || lower.contains("unknown host") || lower.contains("no route")
        || lower.contains("connection reset");
  }

  /** A commit with an empty tree and no parent, written to the local repository only. */
  private ObjectId emptyCommit() throws GitFailure {
    try (ObjectInserter inserter = repo.newObjectInserter()) {
      ObjectId tree = inserter.insert(new TreeFormatter());
      CommitBuilder cb = new CommitBuilder();
      cb.setTreeId(tree);
      cb.setAuthor(config.author());
      cb.setCommitter(config.author());
      cb.setMessage("Tarmac write probe (never on a branch)\n");
      ObjectId id = inserter.insert(cb);
      inserter.flush();
      return id;
    } catch (IOException e) {
      throw localFailure(e);
    }
  }

  /**
   * The failure a fetch or push threw, classified: {@code HostKeyNotTrusted}, {@code AuthenticationFailed} or
   * {@code StateStoreUnreachable}, with what to change.
   */
  GitFailure classify(Exception e) {
    return classify(e, config.url(), !"none".equals(config.credentials().toString()));
  }

  /**
   * Classifies the failure {@code e} of a fetch or push to {@code url} from its message (JGit reports the three
   * through the same {@link TransportException}): {@code HostKeyNotTrusted}, {@code AuthenticationFailed} (JGit's
   * "not authorized", an SSH "Auth fail", an HTTP 401/403) or else {@code StateStoreUnreachable}. The URL's
   * credentials are redacted from the message; digits inside the URL's port never count as an HTTP status.
   *
   * @param withCredentials whether the store names a Secret, which changes what the message tells the user to fix
   */
  static GitFailure classify(Exception e, String url, boolean withCredentials) {
    String message = GitCredentials.redact(String.valueOf(e.getMessage()), url);
    String lower = message.toLowerCase(Locale.ROOT);
    if (lower.contains("server key did not validate") || lower.contains("host key")) {
      // JGit's SSH client checked the server's key against the store Secret's knownHosts and refused it.
      return new GitFailure("HostKeyNotTrusted", message + ": the server's SSH host key is not in knownHosts of the"
          + " store's Secret; add the server's line (ssh-keyscan) or fix the URL", e);
    }
    if (lower.contains("not authorized") || lower.contains("authentication") || lower.contains("auth fail")
        || HTTP_REFUSED.matcher(lower).find()) {
      String fix = withCredentials
          ? "the remote refused the credentials: put a valid password or token (HTTPS) or a key the server accepts"
              + " (SSH) in the store's Secret"
          : "the remote asks for credentials: name a Secret with them in spec.secretRef";
      return new GitFailure("AuthenticationFailed", message + "; " + fix, e);
    }
    return new GitFailure("StateStoreUnreachable", message + UNREACHABLE_FIX, e);
  }

  private GitFailure localFailure(Exception e) {
    return new GitFailure("LocalRepositoryFailed", "the operator's local repository " + local + " failed: "
        + e.getMessage() + "; check the operator's data volume (space, permissions); it is rebuilt by a fetch when"
        + " deleted", e);
  }

  /** The commit log from the local tip, newest first, at most {@code max} entries ({@code <sha> <subject>}). */
  List<String> log(int max) throws IOException {
    List<String> out = new ArrayList<>();
    ObjectId tip = localTip();
    if (tip == null) {
      return out;
    }
    try (RevWalk walk = new RevWalk(repo)) {
      walk.markStart(walk.parseCommit(tip));
      for (RevCommit c : walk) {
        if (out.size() >= max) {
          break;
        }
        out.add(c.getName() + " " + c.getShortMessage());
      }
    }
    return out;
  }

  @Override
  public void close() {
    if (repo != null) {
      repo.close();
    }
  }
}
