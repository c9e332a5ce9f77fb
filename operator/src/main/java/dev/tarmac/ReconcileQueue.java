package dev.tarmac;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reconcile queue with the guarantees of client-go's workqueue: a key is queued at most once however many events
 * arrive for it; a key is never reconciled by two threads at once (an event that arrives while it is being reconciled
 * queues it once more, after); delayed requeues for timed checks, and for retries after a reconcile threw, with
 * {@link Retries}' backoff. Keys are strings such as
 * {@code namespace/name}. A failing key is logged once per streak of failures (WARN), its retries at DEBUG, its
 * recovery at INFO.
 *
 * <p>Used for Promise request kinds, whose controllers are started and stopped at run time, one queue per kind.
 */
public final class ReconcileQueue implements AutoCloseable {

  /** What a reconcile asks for next. */
  public record Result(Duration requeueAfter) {
    /** Nothing more to do until the next event. */
    public static final Result DONE = new Result(null);

    /** Reconcile the key again after {@code delay}. */
    public static Result after(Duration delay) {
      return new Result(delay);
    }
  }

  /** The reconcile function: given a key, do the work; exceptions are logged and retried with backoff. */
  @FunctionalInterface
  public interface Reconcile {
    /** Reconciles {@code key}. */
    Result reconcile(String key) throws Exception;
  }

  /** What to do when a reconcile threw: record it (status, Event) and say whether to retry. */
  @FunctionalInterface
  public interface OnFailure {
    /**
     * Called on the worker thread after a reconcile of {@code key} threw; must not throw.
     *
     * @param key the key
     * @param e what the reconcile threw
     * @param attempts failed attempts before this one (0 on the first failure)
     * @return true to retry after {@link Retries#delayAfter(int) delayAfter(attempts)}, false to wait for the next
     *     event of the key (bad input that only a change can fix)
     */
    boolean failed(String key, Exception e, int attempts);
  }

  /** Retries every failure: the default. */
  public static final OnFailure RETRY = (key, e, attempts) -> true;

  private static final Logger LOG = LoggerFactory.getLogger(ReconcileQueue.class);

  private final String name;
  private final Reconcile reconcile;
  private final OnFailure onFailure;
  private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final Set<String> processing = ConcurrentHashMap.newKeySet();
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
  private final ExecutorService workers;
  private final ScheduledExecutorService timer;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final int threads;

  /**
   * Starts {@code threads} workers.
   *
   * @param name used in thread names and logs
   * @param threads concurrent reconciles, at least 1
   * @param reconcile the function to call per key
   */
  public ReconcileQueue(String name, int threads, Reconcile reconcile) {
    this(name, threads, reconcile, RETRY);
  }

  /**
   * As {@link #ReconcileQueue(String, int, Reconcile)}, telling {@code onFailure} about every reconcile that threw; a
   * failure it does not retry waits for the key's next {@link #add}.
   */
  public ReconcileQueue(String name, int threads, Reconcile reconcile, OnFailure onFailure) {
    this.name = name;
    this.reconcile = reconcile;
    this.onFailure = onFailure;
    this.threads = Math.max(1, threads);
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(this.threads, r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name + "-timer");
      t.setDaemon(true);
      return t;
    });
    for (int i = 0; i < this.threads; i++) {
      workers.submit(this::work);
    }
  }

  /** Queues {@code key} unless it is queued already; if it is being reconciled, it runs once more afterwards. */
  public void add(String key) {
    if (!running.get()) {
      return;
    }
    if (processing.contains(key)) {
      dirty.add(key);
      // It may have finished between the check and the add; then nobody else will requeue it.
      if (!processing.contains(key) && dirty.remove(key)) {
        offer(key);
      }
      return;
    }
    offer(key);
  }

  /** Queues {@code key} after {@code delay}. */
  public void addAfter(String key, Duration delay) {
    if (running.get()) {
      timer.schedule(() -> add(key), Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }
  }

  /** Keys waiting, for metrics and tests. */
  public int depth() {
    return queue.size();
  }

  private void offer(String key) {
    if (queued.add(key)) {
      queue.offer(key);
    }
  }

  private void work() {
    while (running.get()) {
      String key;
      try {
        key = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (key == null) {
        continue;
      }
      if (!processing.add(key)) {
        // Another worker holds it; it will see the dirty mark.
        queued.remove(key);
        dirty.add(key);
        continue;
      }
      queued.remove(key);
      try {
        Result result = reconcile.reconcile(key);
        AtomicInteger failed = failures.remove(key);
        if (failed != null) {
          LOG.info("{}: reconcile of {} succeeded after {} failed attempts", name, key, failed.get());
        }
        if (result != null && result.requeueAfter() != null) {
          addAfter(key, result.requeueAfter());
        }
      } catch (Exception e) {
        int attempt = failures.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        boolean retry = failed(key, e, attempt - 1);
        if (retry) {
          // The same backoff as every JOSDK controller's: one policy for all failed reconciles.
          Duration delay = Retries.delayAfter(attempt - 1);
          // Logged once per fault: the first failure of a streak at WARN, its retries at DEBUG (an outage would
          // otherwise log every key at every retry).
          if (attempt == 1) {
            LOG.warn("{}: reconcile of {} failed, retrying with backoff ({} ms first): {}", name, key,
                delay.toMillis(), e.toString());
          } else {
            LOG.debug("{}: reconcile of {} failed (attempt {}), retrying in {} ms: {}", name, key, attempt,
                delay.toMillis(), e.toString());
          }
          addAfter(key, delay);
        } else {
          failures.remove(key);
          LOG.warn("{}: reconcile of {} failed, waiting for a change: {}", name, key, e.toString());
        }
      } catch (Error e) {
        LOG.error("{}: reconcile of {} failed", name, key, e);
      } finally {
        processing.remove(key);
        if (dirty.remove(key)) {
          offer(key);
        }
      }
    }
  }

  private boolean failed(String key, Exception e, int attempts) {
    try {
      return onFailure.failed(key, e, attempts);
    } catch (RuntimeException bug) {
      LOG.error("{}: recording the failure of {} failed", name, key, bug);
      return true;
    }
  }

  @Override
  public void close() {
    running.set(false);
    timer.shutdownNow();
    workers.shutdownNow();
  }
}
