package dev.tarmac.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * Prints a trace: as an indented tree, one object a line, its reason and message on the same line ({@link #text}); or
 * as a table with SYNCED and READY columns, as {@code crossplane beta trace} prints one ({@link #table}).
 */
public final class TraceRenderer {

  /**
   * The longest message the table shows unless asked for all of it: longer ones keep their last characters after
   * {@code ...}, because wrapped errors ("cannot apply: cannot get: ...") end with their cause. The length is
   * {@code crossplane beta trace}'s.
   */
  public static final int MESSAGE_LENGTH = 64;

  private TraceRenderer() {
  }

  /** The tree below and including {@code root} as text, lines ending in {@code \n}. */
  public static String text(TraceNode root) {
    StringBuilder out = new StringBuilder();
    line(out, root, "", "", true);
    return out.toString();
  }

  private static void line(StringBuilder out, TraceNode node, String prefix, String childPrefix, boolean root) {
    out.append(prefix).append(node.kind).append(' ');
    if (node.namespace != null && !node.namespace.isEmpty()) {
      out.append(node.namespace).append('/');
    }
    out.append(node.name);
    if (node.status != null) {
      out.append("  [").append(node.status);
      if (node.reason != null) {
        out.append(": ").append(node.reason);
      }
      out.append(']');
    }
    if (node.detail != null) {
      out.append("  ").append(node.detail);
    }
    if (node.message != null && !node.message.isBlank()) {
      out.append("  — ").append(node.message.replace('\n', ' '));
    }
    out.append('\n');
    for (int i = 0; i < node.children.size(); i++) {
      boolean last = i == node.children.size() - 1;
      line(out, node.children.get(i), childPrefix + (last ? "└─ " : "├─ "), childPrefix + (last ? "   " : "│  "),
          false);
    }
  }

  /**
   * The tree as a table: columns NAME ({@code Kind/name (namespace)}, indented by depth), SYNCED, READY (the
   * Synced and Ready conditions' statuses, or a phase; {@code -} when the object has none), DETAIL (where a composed
   * resource went, a Work's files, a Destination's path, a Secret's keys) and STATUS ({@code Reason: message}).
   *
   * @param root the trace
   * @param wide true: whole messages; false: messages longer than {@link #MESSAGE_LENGTH} cut to their end
   * @return the table, lines ending in {@code \n}
   */
  public static String table(TraceNode root, boolean wide) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "SYNCED", "READY", "DETAIL", "STATUS"});
    row(rows, root, "", "", wide);
    int[] widths = new int[5];
    for (String[] r : rows) {
      for (int i = 0; i < 4; i++) {
        widths[i] = Math.max(widths[i], r[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < 4; i++) {
        line.append(r[i]).append(" ".repeat(widths[i] - r[i].length() + 3));
      }
      line.append(r[4]);
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private static void row(List<String[]> rows, TraceNode node, String prefix, String childPrefix, boolean wide) {
    String name = prefix + node.kind + "/" + node.name
        + (node.namespace == null || node.namespace.isEmpty() ? "" : " (" + node.namespace + ")");
    String status = node.reason == null ? "" : node.reason;
    if (node.message != null && !node.message.isBlank()) {
      String m = node.message.replace('\n', ' ').strip();
      if (!wide && m.length() > MESSAGE_LENGTH) {
        m = "..." + m.substring(m.length() - MESSAGE_LENGTH);
      }
      status = status.isEmpty() ? m : status + ": " + m;
    }
    rows.add(new String[] {name, dash(node.synced), dash(node.status), node.detail == null ? "" : node.detail,
        status});
    for (int i = 0; i < node.children.size(); i++) {
      boolean last = i == node.children.size() - 1;
      row(rows, node.children.get(i), childPrefix + (last ? "└─ " : "├─ "), childPrefix + (last ? "   " : "│  "),
          wide);
    }
  }

  private static String dash(String s) {
    return s == null || s.isEmpty() ? "-" : s;
  }
}
