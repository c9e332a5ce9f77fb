package dev.tarmac.pipeline;

import java.time.Duration;

/** Exponential backoff for failed pipeline runs: 10 s after the first failure, doubling, capped at 10 minutes. */
public final class Backoff {

  /** Delay after the first failure. */
  public static final Duration BASE = Duration.ofSeconds(10);
  /** The longest delay. */
  public static final Duration CAP = Duration.ofMinutes(10);

  private Backoff() {
  }

  /** The delay before attempt {@code attempts + 1}, after {@code attempts} failures (1 or more). */
  public static Duration after(int attempts) {
    int shift = Math.max(0, Math.min(attempts - 1, 20));
    Duration d = BASE.multipliedBy(1L << shift);
    return d.compareTo(CAP) > 0 ? CAP : d;
  }
}
