package dev.tarmac.statestore;

import dev.tarmac.LogContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Works into one Git state store, batching: one writer thread per store; every change that arrives while a
 * commit is being made and pushed goes into the next commit, so a thousand concurrent writes make a handful of
 * commits (Kratix makes one per placement).
 *
 * <p>This class is the batching loop; each step is a part of its own:
 * <ul>
 *   <li>{@link GitTransport} talks to the repository: fetches the branch tip into a local bare repository (no working
 *       tree, no checkout), pushes (or, for a bare repository on this machine such as the embedded store, moves the
 *       ref with a compare-and-set), runs the write probe, and classifies failures into condition reasons;</li>
 *   <li>{@link TreeBuilder} (pure) computes the next tree from the tip's files and the batch: every Work's files, its
 *       index, each touched Destination's {@code kustomization.yaml}, and the commit message;</li>
 *   <li>{@link HistoryRepair} notices, after each fetch, that the remote dropped what Tarmac wrote (history rewritten
 *       by a force-push, or the branch deleted; also while the operator was down, from the store's recorded
 *       {@code status.lastCommit}) and says what to put back, in the same commit as the batch.</li>
 * </ul>
 * A commit is made only when the tree changed. A push rejected because the remote moved (another writer, rewritten
 * history) is fetched and the same changes are re-applied on the new tip. When the remote cannot be reached, changes
 * stay pending and are retried with exponential backoff ({@link Timing}: 1 s, doubling, capped at 30 s); nothing is
 * lost or written twice, because every change is "make this Work's files be exactly these". While idle, the writer
 * fetches every {@link #HISTORY_CHECK_INTERVAL} so a rewrite, a deleted branch or an unreachable remote is found
 * even when no write follows.
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
   * @param reason a CamelCase reason for the last error ({@link GitFailure}: StateStoreUnreachable,
   *     AuthenticationFailed, HostKeyNotTrusted, CredentialsReadOnly, PushFailed, LocalRepositoryFailed)
   * @param nextRetry when the next attempt is due, while an error lasts
   * @param pending changes waiting
   * @param commits commits made by this writer
   * @param historyRewrites how many times this writer found its commits dropped from the remote branch (history
   *     rewritten, or the branch deleted): every Work's recorded commit may be gone then
   * @param historyRewritten what happened at the last rewrite and what the writer re-published, for a person; null
   *     when none was seen
   * @param historyRewrittenAt when the last rewrite was found; null when none was seen
   * @param recreated what this writer found missing at start and re-published, for a person; null when it did not
   *     re-create the repository
   * @param recreatedAt when the commit that re-created the repository was made; null when none was
   * @param branchRecreated what happened when the writer last found its branch deleted on the remote and what it put
   *     back, for a person; null when it never did
   * @param branchRecreatedAt when that was found; null when never
   */
  public record State(boolean ready, String lastCommit, Instant lastCommitTime, String lastError, String reason,
      Instant nextRetry, int pending, long commits, long historyRewrites, String historyRewritten,
      Instant historyRewrittenAt, String recreated, Instant recreatedAt, String branchRecreated,
      Instant branchRecreatedAt) {

    /** The state of a writer that has not reached its remote yet. */
    static final State INITIAL = new State(false, null, null, null, null, null, 0, 0, 0, null, null, null, null, null,
        null);
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

  /**
   * How long the writer waits.
   *
   * @param minBackoff the delay after the first failed attempt
   * @param maxBackoff the longest delay between two attempts while the remote fails (it bounds how long after a fault
   *     ends the writer notices)
   * @param historyCheck how long an idle writer waits before it fetches to check that the remote still holds its
   *     commits (and is reachable)
   */
  public record Timing(Duration minBackoff, Duration maxBackoff, Duration historyCheck) {

    /**
     * 1 s doubling to 30 s, and a history check every 15 s. The cap is half a minute so a store is written again at
     * most 30 s after its remote comes back (the recovery goal of docs/reliability.md, "Outages").
     */
    public static final Timing DEFAULT = new Timing(Duration.ofSeconds(1), Duration.ofSeconds(30),
        HISTORY_CHECK_INTERVAL);

    /** The delay after {@code failures} failed attempts in a row (1 or more): {@code minBackoff} doubled, capped. */
    public Duration backoff(int failures) {
      int shift = Math.max(0, Math.min(failures - 1, 30));
      Duration d = minBackoff.multipliedBy(1L << shift);
      return d.compareTo(maxBackoff) > 0 || d.isNegative() ? maxBackoff : d;
    }
  }

  record Pending(Change change, CompletableFuture<CommitResult> future) {
  }

  /** A batch that reached the remote: the tip now, whether this writer committed it, each Pending's result. */
  private record Written(ObjectId tip, boolean committed, List<CommitResult> results) {
  }

  private static final Logger LOG = LoggerFactory.getLogger(GitWriter.class);
  /** The shortest time between two commits of one store (1 s): the batching window under load. */
  public static final Duration COMMIT_INTERVAL = Duration.ofSeconds(1);
  private static final int PUSH_ATTEMPTS = 10;
  /**
   * How long an idle writer waits before it fetches to check that the remote still holds its commits (15 s: a
   * force-push, a deleted branch or an unreachable remote is then found and repaired within the 30 s recovery goal of
   * issue 16; an unchanged fetch is one round trip listing refs).
   */
  public static final Duration HISTORY_CHECK_INTERVAL = Duration.ofSeconds(15);

  /**
   * Prefix of the ref a writer pushes once, then deletes, to prove its credentials may write before it says the store
   * is Ready: {@code refs/tarmac/probe/<store>}. Outside {@code refs/heads/} and {@code refs/tags/}, so no branch a
   * GitOps tool syncs ever shows it, and Git servers that accept a push accept it (git http-backend, git daemon with
   * receive-pack, SSH, JGit, GitHub, GitLab, Gitea).
   */
  public static final String PROBE_REF_PREFIX = "refs/tarmac/probe/";

  private final Config config;
  private final Timing timing;
  private final GitTransport transport;
  private final HistoryRepair repair;
  /** Completed by the writer thread when it stops: the changes it had not written, for {@link #handOver()}. */
  private final CompletableFuture<List<Pending>> leftovers = new CompletableFuture<>();
  private volatile boolean handingOver;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Consumer<State> onState;
  private volatile State state = State.INITIAL;
  /** Works still to re-publish into a re-created repository (the first batch), and why; 0 once committed. */
  private int recreating;
  private final String recreatingWhy;
  private String recreated;
  private Instant recreatedAt;
  private Instant historyRewrittenAt;
  private Instant branchRecreatedAt;
  private long lastCommitNanos = System.nanoTime() - COMMIT_INTERVAL.toNanos();
  private long lastContactNanos = System.nanoTime();

  /**
   * Starts the writer thread; nothing is fetched until the first change.
   *
   * @param config the store
   * @param cacheDir folder for the local repository (created if missing)
   * @param onState called on the writer thread after every attempt, for status (may be a no-op)
   */
  public GitWriter(Config config, Path cacheDir, Consumer<State> onState) {
    this(config, cacheDir, onState, Timing.DEFAULT, Recreation.NONE, null);
  }

  /**
   * As {@link #GitWriter(Config, Path, Consumer)}, first re-publishing {@code recreation}'s Works in one commit (the
   * writer's first batch; queued before its thread starts, so nothing else can be committed before them).
   */
  public GitWriter(Config config, Path cacheDir, Consumer<State> onState, Recreation recreation) {
    this(config, cacheDir, onState, Timing.DEFAULT, recreation, null);
  }

  /** As {@link #GitWriter(Config, Path, Consumer)}, checking the remote's history every {@code historyCheck} idle. */
  GitWriter(Config config, Path cacheDir, Consumer<State> onState, Duration historyCheck) {
    this(config, cacheDir, onState, new Timing(Timing.DEFAULT.minBackoff(), Timing.DEFAULT.maxBackoff(),
        historyCheck), Recreation.NONE, null);
  }

  /**
   * The full form.
   *
   * @param config the store
   * @param cacheDir folder for the local repository (created if missing)
   * @param onState called on the writer thread after every attempt, for status (may be a no-op)
   * @param timing backoff and history-check intervals
   * @param recreation Works to re-publish first, in one commit ({@link Recreation#NONE}: none)
   * @param recordedCommit the commit the store's status recorded before this writer was made
   *     ({@code status.lastCommit}; null: none): the remote must still contain it, else its history was rewritten or
   *     its branch deleted while no writer watched, which the first fetch reports and repairs
   */
  public GitWriter(Config config, Path cacheDir, Consumer<State> onState, Timing timing, Recreation recreation,
      String recordedCommit) {
    this.recreating = recreation.works().size();
    this.recreatingWhy = recreation.why();
    recreation.works().forEach(put -> queue.add(new Pending(put, new CompletableFuture<>())));
    this.config = config;
    this.onState = onState;
    this.timing = timing;
    this.transport = new GitTransport(config, cacheDir);
    this.repair = new HistoryRepair(config.branch(), recordedCommit);
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
    int failures = 0;
    List<Pending> batch = new ArrayList<>();
    while (running.get()) {
      try {
        if (batch.isEmpty()) {
          Pending first = queue.poll(500, TimeUnit.MILLISECONDS);
          if (first == null && !historyCheckDue()) {
            continue;
          }
          if (first == null) {
            // Idle: fetch once so a rewrite, a deleted branch or a remote gone away is found without waiting for a
            // write.
            transport.forgetTip();
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
          Written written = writeBatch(batch);
          lastContactNanos = System.nanoTime();
          if (written.committed()) {
            lastCommitNanos = System.nanoTime();
          }
          failures = 0;
          setState(true, written.tip() == null ? null : written.tip().name(),
              written.committed() ? Instant.now() : state.lastCommitTime(), null, null, null,
              written.committed() ? state.commits() + 1 : state.commits());
          for (int i = 0; i < batch.size(); i++) {
            batch.get(i).future().complete(written.results().get(i));
          }
          batch.clear();
        } catch (GitFailure e) {
          failures++;
          Duration delay = timing.backoff(failures);
          Instant next = Instant.now().plus(delay);
          LOG.warn("writing {} change(s) failed ({}): {}; retrying at {}", batch.size(), e.reason, e.getMessage(),
              next);
          setState(false, state.lastCommit(), state.lastCommitTime(), e.getMessage(), e.reason, next,
              state.commits());
          transport.forgetTip();
          Thread.sleep(delay.toMillis());
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
    State now = new State(ready, commit, time, error, reason, next, queue.size(), commits, repair.findings(),
        repair.historyRewritten(), historyRewrittenAt, recreated, recreatedAt, repair.branchRecreated(),
        branchRecreatedAt);
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

  /** Whether an idle writer should fetch to check the remote: only once there is a commit it must keep there. */
  private boolean historyCheckDue() {
    return repair.keep() != null && System.nanoTime() - lastContactNanos >= timing.historyCheck().toNanos();
  }

  /**
   * Fetches the tip (when not known), checks it still holds what this writer wrote, builds the batch's tree on it and
   * pushes; a push rejected because the branch moved starts over on the new tip, up to {@value #PUSH_ATTEMPTS} times.
   */
  private Written writeBatch(List<Pending> batch) throws GitFailure {
    List<Change> changes = batch.stream().map(Pending::change).filter(Objects::nonNull).toList();
    for (int attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
      ObjectId base = transport.tip();
      transport.verifyWrite(base);
      HistoryRepair.Finding finding = repair.check(base, transport::contains, transport::filesIfPresent);
      if (finding == null && changes.isEmpty()) {
        // Only probes: nothing to build.
        return written(batch, changes, base, false, null, null);
      }
      TreeBuilder.Result built;
      ObjectId commit = null;
      try (GitTransport.ObjectWriter objects = transport.objects()) {
        built = TreeBuilder.build(transport.files(base), changes, finding == null ? null : finding.republication(),
            recreating > 0 ? "re-publish " + recreating + " Work(s) into the re-created repository" : null, objects);
        if (!built.unchanged()) {
          commit = objects.commit(base, built.files(), built.message());
        }
      } catch (IOException | UncheckedIOException e) {
        throw new GitFailure("LocalRepositoryFailed", "writing a commit into the operator's local repository "
            + transport.localRepository() + " failed: " + e.getMessage() + "; check the operator's data volume"
            + " (space, permissions)", e);
      }
      if (commit == null) {
        return written(batch, changes, base, false, finding, built);
      }
      if (transport.publish(base, commit)) {
        return written(batch, changes, commit, true, finding, built);
      }
      // The remote moved: fetch its tip and apply the same changes on top of it.
      LOG.info("push to {} rejected (the branch moved); re-applying {} change(s) on the new tip", config.branch(),
          changes.size());
    }
    throw new GitFailure("PushFailed", "push to branch " + config.branch() + " was rejected " + PUSH_ATTEMPTS
        + " times in a row because the branch kept moving; changes are kept and retried", null);
  }

  /**
   * Records a batch that reached the remote ({@code tip}, committed by this writer or not) and what it repaired, and
   * gives each Pending its result: the tip, and whether its own change altered the tree.
   */
  private Written written(List<Pending> batch, List<Change> changes, ObjectId tip, boolean committed,
      HistoryRepair.Finding finding, TreeBuilder.Result built) {
    String report = repair.written(changes, tip, committed, finding, built == null ? 0 : built.republished());
    if (report != null) {
      if (finding.branchDeleted()) {
        branchRecreatedAt = Instant.now();
      } else {
        historyRewrittenAt = Instant.now();
      }
      // The writer thread's LogContext names the store on this line.
      LOG.warn("{}", report);
    }
    if (recreating > 0) {
      recreated = recreatingWhy + "; Tarmac re-created it and re-published the " + recreating + " Work(s) placed"
          + " on it " + (tip == null ? "(they had no files)" : "in one commit, " + tip.abbreviate(7).name())
          + "; the history before that commit is lost";
      recreatedAt = Instant.now();
      recreating = 0;
      LOG.warn("{}", recreated);
    }
    String name = tip == null ? null : tip.name();
    List<CommitResult> results = new ArrayList<>(batch.size());
    int change = 0;
    for (Pending p : batch) {
      boolean changed = false;
      if (p.change() != null) {
        // Per change, not per batch: a Work re-confirmed beside one that changed did not change.
        changed = committed && built.changed().get(change);
        change++;
      }
      results.add(new CommitResult(name, changed));
    }
    return new Written(tip, committed, results);
  }

  /** The local repository (tests read commits from it). */
  Path localRepository() {
    return transport.localRepository();
  }

  /** Reads the commit log of the last known tip, newest first, at most {@code max} entries; for trace and tests. */
  public List<String> log(int max) throws IOException {
    return transport.log(max);
  }

  @Override
  public void close() {
    running.set(false);
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // The embedded repository is served by the Git server too; closing this handle leaves it to the server.
    transport.close();
  }
}
