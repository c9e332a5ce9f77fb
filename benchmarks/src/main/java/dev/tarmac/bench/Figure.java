package dev.tarmac.bench;

/**
 * One measured figure, printed beside its goal.
 *
 * @param scenario the scenario that measured it
 * @param name what was measured
 * @param value the value
 * @param unit its unit (s, ms, req/s, writes, MiB, ...)
 * @param goal the goal as text (e.g. "≤ 10"), or null when there is none
 * @param met whether the goal is met; null when there is no goal
 */
public record Figure(String scenario, String name, double value, String unit, String goal, Boolean met) {

  /** A figure with no goal. */
  public static Figure of(String scenario, String name, double value, String unit) {
    return new Figure(scenario, name, value, unit, null, null);
  }

  /** A figure that must be at most {@code max}. */
  public static Figure atMost(String scenario, String name, double value, String unit, double max) {
    return new Figure(scenario, name, value, unit, "<= " + trim(max), value <= max);
  }

  /** A figure that must be at least {@code min}. */
  public static Figure atLeast(String scenario, String name, double value, String unit, double min) {
    return new Figure(scenario, name, value, unit, ">= " + trim(min), value >= min);
  }

  static String trim(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e12 ? String.valueOf((long) d) : String.format("%.3f", d);
  }
}
