package dev.tarmac;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one {@link TarmacOperator} running in this process: when the running one lost its leader-election Lease (an
 * API server it could not reach for longer than the renew deadline), it waits until the API server answers again,
 * closes it and starts a new one, which stands by or takes the Lease again — the in-process equivalent of the
 * kubelet restarting the container, for {@code tarmac run} outside a cluster and for tests. Other liveness failures
 * (an informer stopped: RBAC) are returned to the caller, which exits: a new operator would fail the same way.
 */
public final class OperatorSupervisor implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorSupervisor.class);

  private final Supplier<TarmacOperator> start;
  private final AtomicInteger restarts = new AtomicInteger();
  private volatile TarmacOperator current;
  private volatile boolean closed;

  /**
   * Starts the first operator.
   *
   * @param start makes and starts an operator; throws {@link IllegalStateException} (with what to do) when it cannot,
   *     having closed whatever it started
   * @throws IllegalStateException when the first start fails
   */
  public OperatorSupervisor(Supplier<TarmacOperator> start) {
    this.start = start;
    this.current = start.get();
  }

  /** The operator running now (a new instance after each restart). */
  public TarmacOperator current() {
    return current;
  }

  /** Operators started after the first. */
  public int restarts() {
    return restarts.get();
  }

  /**
   * Checks the running operator once; call it every few seconds. When it lost its Lease and the API server answers
   * again, closes it and starts a new one, retrying with {@link Retries}' backoff while that fails.
   *
   * @return null while all is well (or a restart waits for the API server); else why the process should exit
   */
  public String check() {
    TarmacOperator op = current;
    HttpServer.Readiness liveness = op.liveness();
    if (liveness.ready()) {
      return null;
    }
    if (!op.lostLeadership()) {
      return liveness.detail();
    }
    if (!op.apiServer().reachable()) {
      return null;
    }
    op.close();
    for (int attempt = 0; !closed; attempt++) {
      try {
        current = start.get();
        LOG.info("started a new operator after the lost Lease (restart {})", restarts.incrementAndGet());
        return null;
      } catch (RuntimeException e) {
        Duration delay = Retries.delayAfter(attempt);
        LOG.warn("starting a new operator after the lost Lease failed ({}); next attempt in {} ms", e.getMessage(),
            delay.toMillis());
        try {
          Thread.sleep(delay.toMillis());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return "interrupted while restarting";
        }
      }
    }
    return null;
  }

  /** Closes the running operator. */
  @Override
  public void close() {
    closed = true;
    current.close();
  }
}
