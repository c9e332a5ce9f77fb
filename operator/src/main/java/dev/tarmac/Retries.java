package dev.tarmac;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.javaoperatorsdk.operator.processing.retry.RetryExecution;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The one backoff for reconciles that failed: JOSDK's {@link GenericRetry} with {@link #INITIAL} after the first
 * failure, then doubling ({@link #MULTIPLIER}) up to {@link #MAX}, and no limit on attempts — an outage of the API
 * server or of a Git remote may last longer than any fixed count, and JOSDK's default (5 attempts) would then leave
 * an object alone until its next event. Every JOSDK controller is registered with it, and the request kinds'
 * {@link ReconcileQueue} uses the same delays.
 *
 * <p>JOSDK's sequence of delays (from {@code GenericRetryExecution}) is 1 s, 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, 30 s...:
 * the delay before the next attempt after a failure that happened when {@link RetryInfo#getAttemptCount()} was
 * {@code n} is {@link #delayAfter(int) delayAfter(n)}. {@link #nextAttempt} turns it into the time written to
 * {@code status.nextRetryTime}.
 */
public final class Retries {

  /** Delay after the first failure. */
  public static final Duration INITIAL = Duration.ofSeconds(1);
  /** Factor between two delays. */
  public static final double MULTIPLIER = 2.0;
  /** The longest delay: an object is tried at least this often while it fails. */
  public static final Duration MAX = Duration.ofSeconds(30);

  private Retries() {
  }

  /** A new retry policy (JOSDK's {@link GenericRetry} is mutable: one per controller). */
  public static GenericRetry policy() {
    return new GenericRetry().setInitialInterval(INITIAL.toMillis()).setIntervalMultiplier(MULTIPLIER)
        .setMaxInterval(MAX.toMillis()).withoutMaxAttempts();
  }

  /**
   * The delay JOSDK waits after a failed reconcile whose {@link RetryInfo#getAttemptCount()} was {@code attempts}
   * (0: the first failure), computed by JOSDK's own {@code GenericRetryExecution} so that it cannot drift from the
   * schedule actually used.
   *
   * @param attempts failures before this one, 0 or more
   */
  public static Duration delayAfter(int attempts) {
    RetryExecution execution = policy().initExecution();
    long delay = 0;
    for (int i = 0; i <= Math.max(0, attempts); i++) {
      delay = execution.nextDelay().orElseThrow();
      if (delay >= MAX.toMillis()) {
        break;
      }
    }
    return Duration.ofMillis(delay);
  }

  /** The retry count of a reconcile, 0 when it is not a retry. */
  public static int attempts(Context<?> context) {
    return context == null ? 0 : context.getRetryInfo().map(RetryInfo::getAttemptCount).orElse(0);
  }

  /**
   * When the next attempt after a failure at {@code attempts} is due, as RFC 3339 (UTC, whole seconds, rounded up so
   * that the attempt is never before the time shown).
   */
  public static String nextAttempt(int attempts, Clock clock) {
    Instant at = Instant.now(clock).plus(delayAfter(attempts));
    Instant whole = at.truncatedTo(ChronoUnit.SECONDS);
    return (whole.equals(at) ? whole : whole.plusSeconds(1)).toString();
  }
}
