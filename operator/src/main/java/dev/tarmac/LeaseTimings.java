package dev.tarmac;

import java.time.Duration;

/**
 * How the leader-election Lease is held (client-go's terms). A leader renews every {@code retryPeriod} and gives up
 * (the process restarts) when it could not renew for {@code renewDeadline}; a standby takes the Lease once it has
 * not been renewed for {@code leaseDuration}. After a kill -9 of the leader a standby therefore leads within
 * {@code leaseDuration + retryPeriod}, then needs a few seconds to start its controllers.
 *
 * @param leaseDuration how long a Lease holds without renewal
 * @param renewDeadline how long a leader keeps trying to renew before it stops leading
 * @param retryPeriod between two attempts to acquire or renew
 */
public record LeaseTimings(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {

  /**
   * Defaults chosen for failover within 15 s after a kill -9: 8 s + 1 s until a standby holds the Lease, leaving
   * about 6 s to start its controllers. Kubernetes' own controllers use 15 s / 10 s / 2 s (failover up to ~17 s).
   */
  public static final LeaseTimings DEFAULT = new LeaseTimings(Duration.ofSeconds(8), Duration.ofSeconds(5),
      Duration.ofSeconds(1));

  /**
   * @throws IllegalArgumentException unless 0 &lt; 1.2 × retryPeriod &lt; renewDeadline &lt; leaseDuration (fabric8's
   *     leader elector refuses anything else: the leader must give up before a standby may take over, and retry
   *     at least once, with jitter, before giving up)
   */
  public LeaseTimings {
    if (retryPeriod.isNegative() || retryPeriod.isZero()) {
      throw new IllegalArgumentException("the Lease retry period must be positive, not " + retryPeriod);
    }
    if (renewDeadline.compareTo(leaseDuration) >= 0) {
      throw new IllegalArgumentException("the Lease renew deadline (" + seconds(renewDeadline)
          + ") must be shorter than the Lease duration (" + seconds(leaseDuration) + ")");
    }
    if (retryPeriod.multipliedBy(12).compareTo(renewDeadline.multipliedBy(10)) >= 0) {
      throw new IllegalArgumentException("the Lease renew deadline (" + seconds(renewDeadline)
          + ") must be longer than 1.2 times the retry period (" + seconds(retryPeriod) + ")");
    }
  }

  /**
   * Parses a duration as {@code 8s}, {@code 500ms}, {@code 1m} or ISO-8601 ({@code PT8S}).
   *
   * @throws IllegalArgumentException when the text is none of these
   */
  public static Duration parse(String text) {
    String t = text.trim();
    try {
      if (t.startsWith("P") || t.startsWith("p")) {
        return Duration.parse(t);
      }
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      if (t.endsWith("s")) {
        return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
      }
      if (t.endsWith("m")) {
        return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
      }
    } catch (RuntimeException e) {
      // below
    }
    throw new IllegalArgumentException("not a duration: '" + text + "'; write e.g. 8s, 500ms or 1m");
  }

  private static String seconds(Duration d) {
    return d.toMillis() / 1000.0 + "s";
  }
}
