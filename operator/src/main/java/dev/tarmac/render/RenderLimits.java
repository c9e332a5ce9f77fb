package dev.tarmac.render;

import java.time.Duration;

/**
 * The bounds of one template render and of a set of renders (one Component's scaffold). Every place Tarmac renders a
 * template written by a platform team or a developer (skeleton files and names, step inputs, {@code if:} conditions,
 * output links, the {@code tarmac/template} pipeline step) renders within these.
 *
 * @param maxChars the longest rendered text of one render (one file, one string), characters; also the largest value
 *     a template may build (a string, or a list or map counted by its contents) and the output of any filter
 * @param maxTotalChars the most text all renders of one set together may produce (a scaffold's files), characters
 * @param deadline the longest one render may take; checked on every output write, every loop iteration, every
 *     filter and every {@code range} step
 * @param totalDeadline the longest all renders of one set together may take
 * @param maxRange the most items one {@code range(...)} (or {@code a..b}) may have
 * @param maxDepth the deepest nesting of rendered bodies (loops, conditions, macro calls, so macro recursion)
 */
public record RenderLimits(int maxChars, long maxTotalChars, Duration deadline, Duration totalDeadline, int maxRange,
    int maxDepth) {

  /**
   * Tarmac's limits: 1 MiB characters per render, 16 MiB per scaffold, 2 s per render, 10 s per scaffold, 10,000
   * items per range, 64 levels of nesting.
   */
  public static final RenderLimits DEFAULT = new RenderLimits(1024 * 1024, 16L * 1024 * 1024, Duration.ofSeconds(2),
      Duration.ofSeconds(10), 10_000, 64);

  /** The same limits with another per-render character cap (the pipeline step's per-file cap). */
  public RenderLimits withMaxChars(int chars) {
    return new RenderLimits(chars, maxTotalChars, deadline, totalDeadline, maxRange, maxDepth);
  }
}
