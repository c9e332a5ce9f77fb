package dev.tarmac.insights.dora;

import java.time.Duration;
import java.util.Locale;

/**
 * DORA software delivery performance tiers and the thresholds Tarmac classifies by.
 *
 * <p>Source: DORA, <i>Accelerate State of DevOps Report 2023</i> (Google Cloud), the table of software delivery
 * performance levels, whose clusters are:
 * <pre>
 *          deployment frequency            lead time for changes      change failure rate  failed deployment recovery
 * Elite    on demand (multiple per day)    less than one day          5%                   less than one hour
 * High     once per day .. once per week   one day .. one week        10%                  less than one day
 * Medium   once per week .. once per month one week .. one month      15%                  one day .. one week
 * Low      once per week .. once per month one week .. one month      64%                  one month .. six months
 * </pre>
 * The report describes clusters, not cut-offs; Tarmac turns them into boundaries as follows. Deployment frequency
 * (deployments per day): Elite at least 1, High at least 1/7, Medium at least 1/30, Low below. Lead time: Elite under
 * one day, High at most seven days, Medium at most thirty days, Low above. Change failure rate: Elite at most 5%,
 * High at most 10%, Medium at most 15%, Low above. Time to restore: Elite under one hour, High under one day, Medium
 * at most seven days, Low above. In 2023 Low's frequency and lead time ranges equal Medium's; the Medium/Low boundary
 * of a month is the one the 2019–2022 reports drew (Low: between once per month and once every six months).
 *
 * <p>An overall tier is the lowest tier among the metrics that have data: a team is as strong as its weakest key.
 */
public enum DoraTier {
  /** No deployment recorded yet: nothing to classify. */
  NONE,
  LOW,
  MEDIUM,
  HIGH,
  ELITE;

  /** The tier as a number for metrics and Scorecards: 0 none, 1 low, 2 medium, 3 high, 4 elite. */
  public int rank() {
    return ordinal();
  }

  /** The name as the DORA report writes it: {@code Elite}, {@code High}, ..., or {@code None}. */
  public String title() {
    String n = name().toLowerCase(Locale.ROOT);
    return Character.toUpperCase(n.charAt(0)) + n.substring(1);
  }

  /** The tier of a deployment frequency in deployments per day. */
  public static DoraTier ofDeploymentFrequency(double perDay) {
    if (perDay >= 1) {
      return ELITE;
    }
    if (perDay >= 1.0 / 7) {
      return HIGH;
    }
    return perDay >= 1.0 / 30 ? MEDIUM : LOW;
  }

  /** The tier of a (median) lead time for changes. */
  public static DoraTier ofLeadTime(Duration leadTime) {
    if (leadTime.compareTo(Duration.ofDays(1)) < 0) {
      return ELITE;
    }
    if (leadTime.compareTo(Duration.ofDays(7)) <= 0) {
      return HIGH;
    }
    return leadTime.compareTo(Duration.ofDays(30)) <= 0 ? MEDIUM : LOW;
  }

  /** The tier of a change failure rate, a ratio from 0 to 1. */
  public static DoraTier ofChangeFailureRate(double ratio) {
    if (ratio <= 0.05) {
      return ELITE;
    }
    if (ratio <= 0.10) {
      return HIGH;
    }
    return ratio <= 0.15 ? MEDIUM : LOW;
  }

  /** The tier of a (median) time to restore. */
  public static DoraTier ofTimeToRestore(Duration ttr) {
    if (ttr.compareTo(Duration.ofHours(1)) < 0) {
      return ELITE;
    }
    if (ttr.compareTo(Duration.ofDays(1)) < 0) {
      return HIGH;
    }
    return ttr.compareTo(Duration.ofDays(7)) <= 0 ? MEDIUM : LOW;
  }

  /** The lower of two tiers. */
  static DoraTier min(DoraTier a, DoraTier b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
