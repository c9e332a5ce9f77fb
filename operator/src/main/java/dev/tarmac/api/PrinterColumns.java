package dev.tarmac.api;

/** JSONPath expressions for the printer columns every kind has (READY, REASON, AGE). */
public final class PrinterColumns {
  /** Status of the Ready condition. */
  public static final String READY = ".status.conditions[?(@.type==\"Ready\")].status";
  /** Reason of the Ready condition. */
  public static final String REASON = ".status.conditions[?(@.type==\"Ready\")].reason";
  /** Creation time, shown as an age. */
  public static final String AGE = ".metadata.creationTimestamp";

  private PrinterColumns() {
  }
}
