package dev.tarmac.statestore;

import dev.tarmac.LogContext;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
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
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Works into one Git state store, batching: one writer thread per store; every change that arrives while a
 * commit is being made and pushed goes into the next commit, so a thousand concurrent writes make a handful of
 * commits (Kratix makes one per placement).
 *
 * <p>How: a bare local repository per store (under the cache folder) fetches the remote branch; each batch builds the
 * new tree in memory from the branch tip (no working tree, no checkout), applies every pending change, regenerates
 * each touched Destination's {@code kustomization.yaml}, and commits only when the tree changed. A push rejected
 * because the remote moved (another writer, rewritten history) is fetched and the same changes are re-applied on the
 * new tip. When the remote cannot be reached, changes stay pending and are retried with exponential backoff (1 s,
 * doubling, capped at 60 s); nothing is lost or written twice, because every change is "make this Work's files be
 * exactly these".
 *
 * <p>A push that is rejected is not always another writer: someone may have rewritten the remote branch (a
 * force-push) and dropped Tarmac's commits. Re-applying the batch in flight would then lose every Work written before
 * it, while those Works still say Published. So after each fetch the writer checks that the remote branch still
 * contains the commit it last pushed; when it does not, it puts back the files of every Work it wrote (and has not
 * removed) as they were in the tip it last saw, in the same commit as the batch, and records the rewrite in its
 * {@link State}. While idle it fetches every {@link #HISTORY_CHECK_INTERVAL} so a rewrite is repaired even when no
 * write follows it.
 *
 * <p>Commits are paced: a change that arrives when the last commit is at least {@link #COMMIT_INTERVAL} old is
 * committed at once; changes that arrive sooner wait for the rest of that interval and go into one commit. A single
 * change is as fast as before; a burst of a thousand Works over twenty seconds makes about twenty commits instead of
 * one per batch the writer happened to pick up.
 */
public final class GitWriter implements AutoCloseable {

  /** A change to make. */
  public sealed interface Change permits Put, Remove {
    /** The Destination's folder, relative to the repository root (store path + destination path). */
    String destinationDir();

    /** The folder the Work owns, relative to the Destination's folder ({@link StateStoreLayout#ownerDir}). */
    String ownerDir();

    /** The Work's index key ({@link StateStoreLayout#indexKey}). */
    String workKey();

    /** What changed, for the commit message, e.g. {@code resources/default/Redis/r1}. */
    default String describe() {
      return ownerDir();
    }
  }

  /** Make the Work's files under {@code ownerDir} exactly {@code files} (relative path → content). */
  public record Put(String destinationDir, String ownerDir, String workKey, Map<String, String> files)
      implements Change {
  }

  /** Remove every file the Work wrote. */
  public record Remove(String destinationDir, String ownerDir, String workKey) implements Change {
  }

  /**
   * The outcome of a change.
   *
   * @param commit the commit that holds the change (the branch tip when nothing had to change)
   * @param changed whether this change altered the tree
   */
  public record CommitResult(String commit, boolean changed) {
  }

  /**
   * What the store is doing, for GitStateStore status.
   *
   * @param ready the last attempt reached the remote
   * @param lastCommit SHA of the last commit pushed (or found)
   * @param lastCommitTime when it was pushed
   * @param lastError the last error, without credentials; null when the last attempt succeeded
   * @param reason a CamelCase reason for the last error (StateStoreUnreachable, AuthenticationFailed,
   *     HostKeyNotTrusted, PushFailed)
   * @param nextRetry when the next attempt is due, while an error lasts
   * @param pending changes waiting
   * @param commits commits made by this writer
   * @param historyRewrites how many times this writer found the remote branch rewritten (its last commit dropped)
   * @param historyRewritten what happened at the last rewrite and what the writer re-published, for a person; null
   *     when none was seen
   * @param historyRewrittenAt when the last rewrite was found; null when none was seen
   * @param recreated what this writer found missing at start and re-published, for a person; null when it did not
   *     re-create the repository
   * @param recreatedAt when the commit that re-created the repository was made; null when none was
   */
  public record State(boolean ready, String lastCommit, Instant lastCommitTime, String lastError, String reason,
      Instant nextRetry, int pending, long commits, long historyRewrites, String historyRewritten,
      Instant historyRewrittenAt, String recreated, Instant recreatedAt) {
  }

  /**
   * Works to write back into a repository found missing (or empty) at start while Works say they were published to
   * it: they are the writer's first batch, so they go into one commit, made through the same batch path as every
   * other write (and reported like a history rewrite: {@link State#recreated()}).
   *
   * @param works one {@link Put} per placement to re-publish
   * @param why what was found, for the report, e.g. "repository /git/default.git was missing"
   */
  public record Recreation(List<Put> works, String why) {
    /** Nothing to re-create. */
    public static final Recreation NONE = new Recreation(List.of(), null);
  }

  /**
   * How to reach the store.
   *
   * @param name the GitStateStore's name (thread names, logs)
   * @param url clone URL (https, http, ssh, file or a local path)
   * @param branch the branch to write
   * @param credentials how to authenticate; {@link GitCredentials#NONE} for none
   * @param author commit author and committer
   */
  public record Config(String name, String url, String branch, GitCredentials credentials, PersonIdent author) {
  }

  record Pending(Change change, CompletableFuture<CommitResult> future) {
  }

  /** A commit built for a batch ({@code commit} null when the tree did not change) and the Works it re-published. */
  private record Built(ObjectId commit, int republished) {
  }

  private static final Logger LOG = LoggerFactory.getLogger(GitWriter.class);
  /** The shortest time between two commits of one store (1 s): the batching window under load. */
  public static final Duration COMMIT_INTERVAL = Duration.ofSeconds(1);
  private static final Duration MIN_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
  private static final int PUSH_ATTEMPTS = 10;
  /**
   * How long an idle writer waits before it fetches to check that the remote still holds its commits (1 min, the
   * default poll interval of Flux's GitRepository).
   */
  public static final Duration HISTORY_CHECK_INTERVAL = Duration.ofMinutes(1);

  /**
   * Prefix of the ref a writer pushes once, then deletes, to prove its credentials may write before it says the store
   * is Ready: {@code refs/tarmac/probe/<store>}. Outside {@code refs/heads/} and {@code refs/tags/}, so no branch a
   * GitOps tool syncs ever shows it, and Git servers that accept a push accept it (git http-backend, git daemon with
   * receive-pack, SSH, JGit, GitHub, GitLab, Gitea).
   */
  public static final String PROBE_REF_PREFIX = "refs/tarmac/probe/";

  private final Config config;
  private final Path local;
  /** Whether the write probe succeeded with this writer's credentials (always true for the embedded store). */
  private boolean writeVerified;
  /** Completed by the writer thread when it stops: the changes it had not written, for {@link #handOver()}. */
  private final CompletableFuture<List<Pending>> leftovers = new CompletableFuture<>();
  private volatile boolean handingOver;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Consumer<State> onState;
  private volatile State state = new State(false, null, null, null, null, null, 0, 0, 0, null, null, null, null);
  /** Works still to re-publish into a re-created repository (the first batch), and why; 0 once committed. */
  private int recreating;
  private final String recreatingWhy;
  private String recreated;
  private Instant recreatedAt;
  private Repository repo;
  private boolean tipKnown;
  private long lastCommitNanos = System.nanoTime() - COMMIT_INTERVAL.toNanos();
  private final Duration historyCheckInterval;
  private long lastContactNanos = System.nanoTime();
  /** The commit this writer pushed last (null until it pushes): the remote branch must go on containing it. */
  private ObjectId lastPushed;
  /** The branch tip after the last successful batch: its tree holds the files of every Work in {@link #owned}. */
  private ObjectId lastTip;
  /** The Works this writer has put and not removed since it started: destination folder → index keys. */
  private final Map<String, Set<String>> owned = new TreeMap<>();
  private long historyRewrites;
  private String historyRewritten;
  private Instant historyRewrittenAt;
  /** The store is a bare repository on this machine (the embedded store): commit into it, no clone, no push. */
  private final boolean direct;

  /**
   * Starts the writer thread; nothing is fetched until the first change.
   *
   * @param config the store
   * @param cacheDir folder for the local repository (created if missing)
   * @param onState called on the writer thread after every attempt, for status (may be a no-op)
   */
  public GitWriter(Config config, Path cacheDir, Consumer<State> onState) {
    this(config, cacheDir, onState, HISTORY_CHECK_INTERVAL, Recreation.NONE);
  }

  /**
   * As {@link #GitWriter(Config, Path, Consumer)}, first re-publishing {@code recreation}'s Works in one commit (the
   * writer's first batch; queued before its thread starts, so nothing else can be committed before them).
   */
  public GitWriter(Config config, Path cacheDir, Consumer<State> onState, Recreation recreation) {
    this(config, cacheDir, onState, HISTORY_CHECK_INTERVAL, recreation);
  }

  /** As {@link #GitWriter(Config, Path, Consumer)}, checking the remote's history every {@code historyCheck} idle. */
  GitWriter(Config config, Path cacheDir, Consumer<State> onState, Duration historyCheck) {
    this(config, cacheDir, onState, historyCheck, Recreation.NONE);
  }

  private GitWriter(Config config, Path cacheDir, Consumer<State> onState, Duration historyCheck,
      Recreation recreation) {
    this.recreating = recreation.works().size();
    this.recreatingWhy = recreation.why();
    recreation.works().forEach(put -> queue.add(new Pending(put, new CompletableFuture<>())));
    this.config = config;
    this.onState = onState;
    this.historyCheckInterval = historyCheck;
    Path target = localBareRepository(config.url());
    this.direct = target != null;
    this.local = direct ? target : cacheDir.resolve(config.name() + ".git");
    this.writeVerified = direct;
    this.thread = new Thread(this::loop, "git-writer-" + config.name());
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues {@code change}; the future completes when a pushed commit holds it. It never fails for remote errors. */
  public CompletableFuture<CommitResult> submit(Change change) {
    CompletableFuture<CommitResult> f = new CompletableFuture<>();
    if (!running.get()) {
      f.completeExceptionally(new IllegalStateException("the writer for store " + config.name() + " is closed"));
      return f;
    }
    queue.add(new Pending(change, f));
    return f;
  }

  /**
   * Asks the writer to reach the remote once (fetch) without changing anything, so the store's state says whether it
   * is reachable before the first Work arrives. The future completes with the branch tip (null for an empty branch).
   */
  public CompletableFuture<CommitResult> probe() {
    CompletableFuture<CommitResult> f = new CompletableFuture<>();
    queue.add(new Pending(null, f));
    return f;
  }

  /** The store's state now. */
  public State state() {
    return state;
  }

  /** The configuration this writer was made with. */
  public Config config() {
    return config;
  }

  private void loop() {
    Duration backoff = MIN_BACKOFF;
    List<Pending> batch = new ArrayList<>();
    while (running.get()) {
      try {
        if (batch.isEmpty()) {
          Pending first = queue.poll(500, TimeUnit.MILLISECONDS);
          if (first == null && !historyCheckDue()) {
            continue;
          }
          if (first == null) {
            // Idle: fetch once so a rewrite that dropped this writer's commits is repaired without waiting for a write.
            tipKnown = false;
            first = new Pending(null, new CompletableFuture<>());
          }
          batch.add(first);
        }
        long wait = lastCommitNanos + COMMIT_INTERVAL.toNanos() - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        queue.drainTo(batch);
        try (LogContext ignored = LogContext.of("GitStateStore", null, config.name())) {
          CommitResult result = writeBatch(batch);
          lastContactNanos = System.nanoTime();
          if (result.changed()) {
            lastCommitNanos = System.nanoTime();
          }
          backoff = MIN_BACKOFF;
          setState(true, result.commit(), result.changed() ? Instant.now() : state.lastCommitTime(), null, null,
              null, result.changed() ? state.commits() + 1 : state.commits());
          batch.forEach(p -> p.future().complete(result));
          batch.clear();
        } catch (GitFailure e) {
          Instant next = Instant.now().plus(backoff);
          LOG.warn("writing {} change(s) failed ({}): {}; retrying at {}", batch.size(), e.reason, e.getMessage(),
              next);
          setState(false, state.lastCommit(), state.lastCommitTime(), e.getMessage(), e.reason, next,
              state.commits());
          tipKnown = false;
          sleep(backoff);
          backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        if (!running.get()) {
          break;
        }
        // A bug, not a remote problem: fail these changes so their Works say so, keep serving the others.
        LOG.error("writing to store {} failed unexpectedly", config.name(), e);
        batch.forEach(p -> p.future().completeExceptionally(e));
        batch.clear();
      }
    }
    if (handingOver) {
      List<Pending> left = new ArrayList<>(batch);
      queue.drainTo(left);
      left.removeIf(p -> p.change() == null && p.future().isDone());
      leftovers.complete(left);
      return;
    }
    batch.forEach(p -> p.future().completeExceptionally(new IllegalStateException("writer closed")));
    queue.forEach(p -> p.future().completeExceptionally(new IllegalStateException("writer closed")));
    leftovers.complete(List.of());
  }

  /**
   * Stops this writer (as {@link #close()}) but keeps the changes it had not yet written, for the writer that
   * replaces it (new credentials): the future completes, once the writer thread has stopped, with those changes,
   * their futures still pending. Pass it to {@link #adopt}.
   */
  CompletableFuture<List<Pending>> handOver() {
    handingOver = true;
    close();
    return leftovers;
  }

  /** Queues changes handed over by the writer this one replaces; their futures complete when this one writes them. */
  void adopt(List<Pending> changes) {
    if (!running.get()) {
      changes.forEach(p -> p.future().completeExceptionally(new IllegalStateException("writer closed")));
      return;
    }
    queue.addAll(changes);
  }

  private void setState(boolean ready, String commit, Instant time, String error, String reason, Instant next,
      long commits) {
    State now = new State(ready, commit, time, error, reason, next, queue.size(), commits, historyRewrites,
        historyRewritten, historyRewrittenAt, recreated, recreatedAt);
    if (now.equals(state)) {
      // An idle history check that found nothing new wakes no listener (each would reconcile the store).
      return;
    }
    state = now;
    try {
      onState.accept(state);
    } catch (RuntimeException e) {
      LOG.warn("state listener failed: {}", e.getMessage());
    }
  }

  /** Whether an idle writer should fetch to check the remote's history: only once it has pushed something to keep. */
  private boolean historyCheckDue() {
    return lastPushed != null && System.nanoTime() - lastContactNanos >= historyCheckInterval.toNanos();
  }

  private static void sleep(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }

  /** A failure to reach or update the remote; the message carries no credentials. */
  static final class GitFailure extends Exception {
    final String reason;

    GitFailure(String reason, String message, Throwable cause) {
      super(message, cause);
      this.reason = reason;
    }
  }

  private CommitResult writeBatch(List<Pending> batch) throws GitFailure {
    try {
      openRepository();
      for (int attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
        if (!tipKnown) {
          fetch();
        }
        ObjectId base = remoteTip();
        if (!writeVerified) {
          verifyWrite(base);
        }
        ObjectId dropped = droppedCommit(base);
        if (dropped == null && batch.stream().allMatch(p -> p.change() == null)) {
          // Only probes: nothing to build.
          written(batch, base, false, null, 0);
          return new CommitResult(base == null ? null : base.name(), false);
        }
        Built built = buildCommit(base, batch, dropped == null ? null : lastTip);
        ObjectId commit = built.commit();
        if (commit == null) {
          written(batch, base, false, dropped, 0);
          return new CommitResult(base == null ? null : base.name(), false);
        }
        if (direct ? compareAndSet(base, commit) : push(commit)) {
          if (!direct) {
            updateRemoteRef(commit);
          }
          tipKnown = true;
          written(batch, commit, true, dropped, built.republished());
          return new CommitResult(commit.name(), true);
        }
        // The remote moved: fetch its tip and apply the same changes on top of it.
        tipKnown = false;
        LOG.info("push to {} rejected (the branch moved); re-applying {} change(s) on the new tip", config.branch(),
            batch.size());
      }
      throw new GitFailure("PushFailed", "push to branch " + config.branch() + " was rejected " + PUSH_ATTEMPTS
          + " times in a row", null);
    } catch (IOException e) {
      throw new GitFailure("StateStoreUnreachable", "local repository " + local + ": " + e.getMessage(), e);
    }
  }

  /**
   * The commit this writer last pushed when {@code tip} (null: the branch is gone) no longer contains it, that is, the
   * remote history was rewritten; null when it still does or nothing was pushed yet.
   */
  private ObjectId droppedCommit(ObjectId tip) throws IOException {
    if (lastPushed == null || lastPushed.equals(tip)) {
      return null;
    }
    if (tip == null) {
      return lastPushed;
    }
    try (RevWalk walk = new RevWalk(repo)) {
      return walk.isMergedInto(walk.parseCommit(lastPushed), walk.parseCommit(tip)) ? null : lastPushed;
    } catch (MissingObjectException e) {
      // The commit is gone from the local repository too, so nobody can tell; re-publishing writes nothing when
      // the files are all there.
      return lastPushed;
    }
  }

  /**
   * Records a batch that reached the remote: which Works this writer now owns, the tip whose tree holds them
   * ({@code pushed}: a commit of this writer's), and the rewrite it repaired ({@code dropped} non-null).
   */
  private void written(List<Pending> batch, ObjectId tip, boolean pushed, ObjectId dropped, int republished) {
    for (Pending p : batch) {
      if (p.change() instanceof Put put) {
        owned.computeIfAbsent(put.destinationDir(), d -> new TreeSet<>()).add(put.workKey());
      } else if (p.change() instanceof Remove remove) {
        Set<String> keys = owned.get(remove.destinationDir());
        if (keys != null) {
          keys.remove(remove.workKey());
          if (keys.isEmpty()) {
            owned.remove(remove.destinationDir());
          }
        }
      }
    }
    lastTip = tip;
    if (recreating > 0) {
      recreated = recreatingWhy + "; Tarmac re-created it and re-published the " + recreating + " Work(s) placed"
          + " on it " + (tip == null ? "(they had no files)" : "in one commit, " + tip.abbreviate(7).name())
          + "; the history before that commit is lost";
      recreatedAt = Instant.now();
      recreating = 0;
      LOG.warn("{}", recreated);
    }
    if (pushed || dropped != null) {
      // After a rewrite the new tip holds everything this writer wrote, so it is what the remote must keep next.
      lastPushed = tip;
    }
    if (dropped == null) {
      return;
    }
    historyRewrites++;
    historyRewrittenAt = Instant.now();
    historyRewritten = "the history of branch " + config.branch() + " was rewritten on the remote: commit "
        + dropped.abbreviate(7).name() + ", the last one Tarmac pushed, is no longer on it; "
        + (republished > 0 ? "Tarmac re-published the files of " + republished + " Work(s) in commit "
            + tip.abbreviate(7).name()
            : "the files of every Work Tarmac wrote were still there, nothing had to be re-published");
    // The writer thread's LogContext names the store on this line.
    LOG.warn("{}", historyRewritten);
  }

  /** The folder of a {@code file:} URL that is a bare repository on this machine, else null. */
  private static Path localBareRepository(String url) {
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

  private void openRepository() throws IOException, GitFailure {
    if (repo != null) {
      return;
    }
    if (direct) {
      repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder().setGitDir(local.toFile()).setMustExist(true)
          .build();
      return;
    }
    try {
      Files.createDirectories(local.getParent());
      Git git = Files.isDirectory(local) ? Git.open(local.toFile())
          : Git.init().setBare(true).setDirectory(local.toFile()).setInitialBranch(config.branch()).call();
      repo = git.getRepository();
      var cfg = repo.getConfig();
      cfg.setString("remote", "origin", "url", config.url());
      cfg.save();
    } catch (GitAPIException e) {
      throw new GitFailure("StateStoreUnreachable", "cannot create local repository: " + e.getMessage(), e);
    }
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
          .setTimeout(30);
      config.credentials().configure(fetch);
      fetch.call();
      if (repo.exactRef(trackingRef()) == null) {
        LOG.info("branch {} does not exist on the remote yet; the first commit creates it", config.branch());
      }
    } catch (org.eclipse.jgit.api.errors.InvalidRemoteException e) {
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

  private GitFailure classify(Exception e) {
    String message = GitCredentials.redact(String.valueOf(e.getMessage()), config.url());
    String lower = message.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("server key did not validate") || lower.contains("host key")) {
      // JGit's SSH client checked the server's key against the store Secret's knownHosts and refused it.
      return new GitFailure("HostKeyNotTrusted", message + ": the server's SSH host key is not in knownHosts of the"
          + " store's Secret; add the server's line (ssh-keyscan) or fix the URL", e);
    }
    String reason = lower.contains("not authorized") || lower.contains("authentication") || lower.contains("auth fail")
        || lower.contains("401") || lower.contains("403") ? "AuthenticationFailed" : "StateStoreUnreachable";
    return new GitFailure(reason, message, e);
  }

  private ObjectId remoteTip() throws IOException {
    Ref ref = repo.exactRef(trackingRef());
    return ref == null ? null : ref.getObjectId();
  }

  /** Moves the branch from {@code base} to {@code commit} only if nobody moved it meanwhile. */
  private boolean compareAndSet(ObjectId base, ObjectId commit) throws IOException {
    RefUpdate u = repo.updateRef(trackingRef());
    u.setNewObjectId(commit);
    u.setExpectedOldObjectId(base == null ? ObjectId.zeroId() : base);
    RefUpdate.Result r = u.update();
    return r == RefUpdate.Result.NEW || r == RefUpdate.Result.FAST_FORWARD || r == RefUpdate.Result.FORCED;
  }

  private void updateRemoteRef(ObjectId commit) throws IOException {
    RefUpdate u = repo.updateRef(trackingRef());
    u.setNewObjectId(commit);
    u.setForceUpdate(true);
    u.update();
  }

  /**
   * The write probe: pushes {@code tip} (or, for an empty branch, a commit with an empty tree that no branch will
   * hold) to {@value #PROBE_REF_PREFIX}{@code <store>}, then deletes that ref. A fetch has just succeeded, so a
   * refusal means the credentials (or the server) allow reading only.
   *
   * @throws GitFailure {@code CredentialsReadOnly} when the remote refuses the push, {@code StateStoreUnreachable}
   *     when the connection fails
   */
  private void verifyWrite(ObjectId tip) throws GitFailure, IOException {
    String probeRef = PROBE_REF_PREFIX + config.name();
    ObjectId commit = tip != null ? tip : emptyCommit();
    pushProbe(new RefSpec("+" + commit.name() + ":" + probeRef), probeRef);
    pushProbe(new RefSpec(":" + probeRef), probeRef);
    writeVerified = true;
    LOG.info("write probe succeeded: pushed and deleted {}", probeRef);
  }

  private void pushProbe(RefSpec spec, String probeRef) throws GitFailure {
    String refused;
    try (Git git = new Git(repo)) {
      var push = git.push().setRemote(config.url()).setRefSpecs(spec).setTimeout(30);
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
      String lower = message.toLowerCase(java.util.Locale.ROOT);
      if (lower.contains("connection refused") || lower.contains("timed out") || lower.contains("timeout")
          || lower.contains("unknownhost") || lower.contains("unknown host") || lower.contains("no route")) {
        throw new GitFailure("StateStoreUnreachable", message, e);
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

  /** A commit with an empty tree and no parent, written to the local repository only. */
  private ObjectId emptyCommit() throws IOException {
    try (ObjectInserter inserter = repo.newObjectInserter()) {
      ObjectId tree = inserter.insert(new org.eclipse.jgit.lib.TreeFormatter());
      CommitBuilder cb = new CommitBuilder();
      cb.setTreeId(tree);
      cb.setAuthor(config.author());
      cb.setCommitter(config.author());
      cb.setMessage("Tarmac write probe (never on a branch)\n");
      ObjectId id = inserter.insert(cb);
      inserter.flush();
      return id;
    }
  }

  private boolean push(ObjectId commit) throws GitFailure {
    try (Git git = new Git(repo)) {
      var push = git.push().setRemote(config.url())
          .setRefSpecs(new RefSpec(commit.name() + ":refs/heads/" + config.branch()))
          .setTimeout(30);
      config.credentials().configure(push);
      for (PushResult result : push.call()) {
        for (RemoteRefUpdate update : result.getRemoteUpdates()) {
          switch (update.getStatus()) {
            case OK, UP_TO_DATE -> {
            }
            case REJECTED_NONFASTFORWARD, REJECTED_REMOTE_CHANGED -> {
              return false;
            }
            default -> throw new GitFailure("PushFailed", "push to " + config.branch() + " failed: "
                + update.getStatus() + (update.getMessage() == null ? "" : " (" + update.getMessage() + ")"), null);
          }
        }
      }
      return true;
    } catch (GitAPIException e) {
      throw classify(e);
    }
  }

  /**
   * Builds the commit for {@code batch} on {@code base} (null: an empty branch). With {@code republishFrom} (the tip
   * the writer last saw, before a rewrite dropped it), first puts back every owned Work's files as they were there, so
   * the re-publication and the batch share one commit. The commit is null when the tree did not change.
   */
  private Built buildCommit(ObjectId base, List<Pending> batch, ObjectId republishFrom) throws IOException {
    try (ObjectInserter inserter = repo.newObjectInserter(); ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      ObjectId baseTree = base == null ? null : walk.parseCommit(base).getTree().getId();
      TreeMap<String, ObjectId> files = baseTree == null ? new TreeMap<>() : readTree(reader, baseTree);
      Set<String> touchedDestinations = new LinkedHashSet<>();
      Set<String> changed = new TreeSet<>();
      int republished = 0;
      if (republishFrom != null) {
        TreeMap<String, ObjectId> source = republishSource(walk, republishFrom);
        for (Map.Entry<String, Set<String>> e : owned.entrySet()) {
          for (String key : e.getValue()) {
            if (republish(e.getKey(), key, source, files, reader)) {
              changed.add("re-publish " + key + " in " + (e.getKey().isEmpty() ? "/" : e.getKey()));
              republished++;
            }
          }
          touchedDestinations.add(e.getKey());
        }
      }
      for (Pending p : batch) {
        if (p.change() == null) {
          continue;
        }
        if (apply(p.change(), files, reader, inserter)) {
          changed.add((p.change() instanceof Remove ? "remove " : "write ") + p.change().describe());
        }
        touchedDestinations.add(p.change().destinationDir());
      }
      for (String dest : touchedDestinations) {
        String prefix = dest.isEmpty() ? "" : dest + "/";
        List<String> inDest = files.keySet().stream().filter(f -> f.startsWith(prefix))
            .map(f -> f.substring(prefix.length())).toList();
        String kustomization = StateStoreLayout.kustomization(inDest);
        String path = prefix + "kustomization.yaml";
        if (kustomization == null) {
          files.remove(path);
        } else {
          files.put(path, inserter.insert(Constants.OBJ_BLOB, kustomization.getBytes(StandardCharsets.UTF_8)));
        }
      }
      DirCache dc = DirCache.newInCore();
      DirCacheBuilder builder = dc.builder();
      for (Map.Entry<String, ObjectId> e : files.entrySet()) {
        DirCacheEntry entry = new DirCacheEntry(e.getKey());
        entry.setFileMode(FileMode.REGULAR_FILE);
        entry.setObjectId(e.getValue());
        builder.add(entry);
      }
      builder.finish();
      ObjectId tree = dc.writeTree(inserter);
      if (tree.equals(baseTree) || (baseTree == null && files.isEmpty())) {
        return new Built(null, 0);
      }
      CommitBuilder commit = new CommitBuilder();
      commit.setTreeId(tree);
      if (base != null) {
        commit.setParentId(base);
      }
      PersonIdent who = new PersonIdent(config.author(), Instant.now(), java.time.ZoneOffset.UTC);
      commit.setAuthor(who);
      commit.setCommitter(who);
      commit.setMessage(message(changed, batch.size(), republished, recreating));
      ObjectId id = inserter.insert(commit);
      inserter.flush();
      return new Built(id, republished);
    }
  }

  /** Every file of {@code tree}: path → blob. */
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

  /** The files of {@code commit} to re-publish from; none (with a warning) when the local repository lost it. */
  private TreeMap<String, ObjectId> republishSource(RevWalk walk, ObjectId commit) throws IOException {
    try {
      return readTree(walk.getObjectReader(), walk.parseCommit(commit).getTree().getId());
    } catch (MissingObjectException e) {
      // Nothing to copy from; the Works are placed again (the rewrite count is part of their placement) and write
      // their files themselves.
      LOG.warn("commit {} to re-publish from is gone from the local repository; the Works are written again as they"
          + " are reconciled", commit.abbreviate(7).name());
      return new TreeMap<>();
    }
  }

  private static String message(Set<String> changed, int changes, int republished, int recreating) {
    StringBuilder m = new StringBuilder("tarmac: ");
    if (recreating > 0) {
      m.append("re-publish ").append(recreating).append(" Work(s) into the re-created repository");
    } else if (republished > 0) {
      m.append("re-publish ").append(republished).append(" Work(s) after the branch's history was rewritten");
    } else if (changed.size() == 1) {
      m.append(changed.iterator().next());
    } else {
      m.append(changed.size()).append(" objects changed");
    }
    m.append("\n\n");
    int shown = 0;
    for (String c : changed) {
      if (shown++ == 50) {
        m.append("... and ").append(changed.size() - 50).append(" more\n");
        break;
      }
      m.append("- ").append(c).append('\n');
    }
    m.append("\n(").append(changes).append(" change(s) in this batch)\n");
    return m.toString();
  }

  /** Applies one change to the file map; true when it changed anything. */
  private static boolean apply(Change change, TreeMap<String, ObjectId> files, ObjectReader reader,
      ObjectInserter inserter) throws IOException {
    String dest = change.destinationDir().isEmpty() ? "" : change.destinationDir() + "/";
    String owner = dest + change.ownerDir() + "/";
    String indexPath = dest + StateStoreLayout.INDEX_DIR + "/" + change.workKey();
    if (!(change instanceof Put put)) {
      return replace(indexPath, Map.of(), null, files, reader);
    }
    Map<String, ObjectId> wanted = new TreeMap<>();
    for (Map.Entry<String, String> f : new TreeMap<>(put.files()).entrySet()) {
      wanted.put(owner + StateStoreLayout.checkPath(f.getKey()),
          inserter.insert(Constants.OBJ_BLOB, f.getValue().getBytes(StandardCharsets.UTF_8)));
    }
    ObjectId index = inserter.insert(Constants.OBJ_BLOB,
        (String.join("\n", wanted.keySet()) + "\n").getBytes(StandardCharsets.UTF_8));
    return replace(indexPath, wanted, index, files, reader);
  }

  /**
   * Puts back the files of the Work {@code workKey} in destination folder {@code destinationDir} as {@code source}
   * has them (its index and every file the index names); true when that changed anything. A Work with no index in
   * {@code source} is left alone.
   */
  private static boolean republish(String destinationDir, String workKey, TreeMap<String, ObjectId> source,
      TreeMap<String, ObjectId> files, ObjectReader reader) throws IOException {
    String indexPath = (destinationDir.isEmpty() ? "" : destinationDir + "/") + StateStoreLayout.INDEX_DIR + "/"
        + workKey;
    ObjectId index = source.get(indexPath);
    if (index == null) {
      return false;
    }
    Map<String, ObjectId> wanted = new TreeMap<>();
    for (String path : listed(index, reader)) {
      if (source.containsKey(path)) {
        wanted.put(path, source.get(path));
      }
    }
    return replace(indexPath, wanted, index, files, reader);
  }

  /**
   * Makes the Work whose index is at {@code indexPath} own exactly {@code wanted} (path → blob): the files its current
   * index names are dropped, then {@code wanted} and the index blob {@code index} are written (no index: the Work is
   * removed). True when the file map changed.
   */
  private static boolean replace(String indexPath, Map<String, ObjectId> wanted, ObjectId index,
      TreeMap<String, ObjectId> files, ObjectReader reader) throws IOException {
    ObjectId previousIndex = files.get(indexPath);
    Set<String> previous = previousIndex == null ? Set.of() : listed(previousIndex, reader);
    Map<String, ObjectId> before = new TreeMap<>();
    previous.forEach(p -> {
      if (files.containsKey(p)) {
        before.put(p, files.get(p));
      }
    });
    before.put(indexPath, previousIndex);
    previous.forEach(files::remove);
    files.remove(indexPath);
    Map<String, ObjectId> after = new TreeMap<>(wanted);
    after.put(indexPath, index);
    files.putAll(wanted);
    if (index != null) {
      files.put(indexPath, index);
    }
    return !before.equals(after);
  }

  /** The paths an index blob names, one a line. */
  private static Set<String> listed(ObjectId index, ObjectReader reader) throws IOException {
    Set<String> paths = new TreeSet<>();
    new String(reader.open(index).getBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank())
        .forEach(paths::add);
    return paths;
  }

  /** The local repository (tests read commits from it). */
  Path localRepository() {
    return local;
  }

  /** Reads the commit log of the last pushed tip, newest first, at most {@code max} entries; for trace and tests. */
  public List<String> log(int max) throws IOException {
    List<String> out = new ArrayList<>();
    if (repo == null) {
      return out;
    }
    ObjectId tip = remoteTip();
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
    running.set(false);
    // The embedded repository is served by the Git server too; only close what this writer opened.
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (repo != null) {
      repo.close();
    }
  }

  static URIish uri(String url) {
    try {
      return new URIish(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a Git URL: " + url, e);
    }
  }
}
