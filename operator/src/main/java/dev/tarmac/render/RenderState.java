package dev.tarmac.render;

import io.pebbletemplates.pebble.extension.escaper.SafeString;
import java.lang.reflect.Array;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Map;

/**
 * The bounds of the render running on this thread: its deadline, its nesting depth, the largest value. Set by
 * {@link BoundedRenderer} around one render and read by the sandbox's range, filters and nodes.
 */
final class RenderState {

  static final ThreadLocal<RenderState> CURRENT = new ThreadLocal<>();

  final RenderLimits limits;
  private final long deadlineNanos;
  private final boolean scaffoldDeadline;
  private final long deadlineMillis;
  private int depth;

  RenderState(RenderLimits limits, RenderBudget budget) {
    this.limits = limits;
    long now = System.nanoTime();
    this.scaffoldDeadline = budget != null && budget.leftNanos() < limits.deadline().toNanos();
    this.deadlineNanos = now + (scaffoldDeadline ? budget.leftNanos() : limits.deadline().toNanos());
    this.deadlineMillis = scaffoldDeadline ? budget.limits.totalDeadline().toMillis() : limits.deadline().toMillis();
  }

  /** The state of the render on this thread; a sandboxed engine renders only through {@link BoundedRenderer}. */
  static RenderState current() {
    RenderState state = CURRENT.get();
    if (state == null) {
      throw new IllegalStateException("a sandboxed template is rendered outside BoundedRenderer");
    }
    return state;
  }

  /**
   * Checks the deadline.
   *
   * @throws TemplateLimitException when it passed
   */
  void tick() {
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new TemplateLimitException(scaffoldDeadline
          ? "rendering all templates took longer than " + deadlineMillis + " ms, the limit per scaffold: render"
              + " fewer files or make their loops smaller"
          : "rendering took longer than " + deadlineMillis + " ms, the limit per render: make loops smaller or"
              + " remove recursion");
    }
  }

  /** One level deeper (a loop iteration, a condition's body, a macro call). */
  void enter() {
    if (++depth > limits.maxDepth()) {
      depth--;
      throw new TemplateLimitException("templates are nested deeper than " + limits.maxDepth() + " levels (loops,"
          + " conditions and macro calls; does a macro call itself?), the limit");
    }
    tick();
  }

  void exit() {
    depth--;
  }

  /**
   * Checks the size of a value a template built or is about to print.
   *
   * @param what names the value in the message, e.g. {@code the output of filter join}
   * @throws TemplateLimitException when the value counts more than {@link RenderLimits#maxChars()}
   */
  void checkValue(Object value, String what) {
    if (weight(value) > limits.maxChars()) {
      throw new TemplateLimitException(what + " is over " + limits.maxChars() + " characters (lists and maps"
          + " counted by their contents), the limit of one value: build smaller values");
    }
  }

  /**
   * The size of a value as text: a string's length; a list, array or map the sum of its items plus two for each
   * (separators), so a list holding one long string many times counts every time, as its text would. Stops counting
   * once over the limit, so it is cheap even for a value built to be huge, and checks the deadline as it goes.
   */
  long weight(Object value) {
    long cap = limits.maxChars();
    long total = 0;
    long visited = 0;
    Deque<Object> todo = new ArrayDeque<>();
    todo.push(value == null ? "null" : value);
    while (!todo.isEmpty() && total <= cap) {
      Object o = todo.pop();
      if (++visited % 4096 == 0) {
        tick();
      }
      if (o instanceof CharSequence s) {
        total += s.length();
      } else if (o instanceof SafeString s) {
        total += s.toString().length();
      } else if (o instanceof Map<?, ?> m) {
        total += 2;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          total += 4;
          push(todo, e.getKey());
          push(todo, e.getValue());
          if (total > cap || todo.size() > cap) {
            break;
          }
        }
      } else if (o instanceof Collection<?> c) {
        total += 2;
        for (Object item : c) {
          total += 2;
          push(todo, item);
          if (total > cap || todo.size() > cap) {
            break;
          }
        }
      } else if (o.getClass().isArray()) {
        int n = Array.getLength(o);
        total += 2 + 2L * n;
        for (int i = 0; i < n && total <= cap; i++) {
          push(todo, Array.get(o, i));
        }
      } else {
        // Numbers, booleans, characters and Pebble's own small objects (loop variables).
        total += 20;
      }
    }
    return total;
  }

  private static void push(Deque<Object> todo, Object o) {
    todo.push(o == null ? "null" : o);
  }
}
