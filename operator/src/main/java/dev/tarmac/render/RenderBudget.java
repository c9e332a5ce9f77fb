package dev.tarmac.render;

/**
 * The shared bounds of a set of renders on one thread, e.g. every template of one Component's scaffold: their total
 * output ({@link RenderLimits#maxTotalChars()}) and total time spent rendering ({@link RenderLimits#totalDeadline()};
 * time between renders, such as cloning a skeleton or publishing, does not count). Opened with
 * try-with-resources around the renders; {@link BoundedRenderer} finds it on the current thread. Renders outside an
 * open budget are bounded one by one only.
 */
public final class RenderBudget implements AutoCloseable {

  private static final ThreadLocal<RenderBudget> CURRENT = new ThreadLocal<>();

  final RenderLimits limits;
  private final RenderBudget previous;
  private long chars;
  private long spentNanos;

  private RenderBudget(RenderLimits limits) {
    this.limits = limits;
    this.previous = CURRENT.get();
  }

  /** Rendering time left, nanoseconds (may be zero or less). */
  long leftNanos() {
    return limits.totalDeadline().toNanos() - spentNanos;
  }

  /** Counts one render's time against the total. */
  void spent(long nanos) {
    spentNanos += nanos;
  }

  /** Starts a budget on this thread; close it when the set of renders is done. */
  public static RenderBudget open(RenderLimits limits) {
    RenderBudget budget = new RenderBudget(limits);
    CURRENT.set(budget);
    return budget;
  }

  /** The budget open on this thread, or null. */
  static RenderBudget current() {
    return CURRENT.get();
  }

  /**
   * Counts rendered text against the total.
   *
   * @throws TemplateLimitException when the total goes over {@link RenderLimits#maxTotalChars()}
   */
  void add(long rendered) {
    chars += rendered;
    if (chars > limits.maxTotalChars()) {
      throw new TemplateLimitException("all rendered text together is over " + limits.maxTotalChars()
          + " characters, the limit per scaffold: render fewer or smaller files");
    }
  }

  /** Characters rendered so far. */
  public long chars() {
    return chars;
  }

  @Override
  public void close() {
    if (previous == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(previous);
    }
  }
}
