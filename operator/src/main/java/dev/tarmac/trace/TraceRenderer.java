package dev.tarmac.trace;

/** Prints a trace as an indented tree, one object a line, its reason and message on the same line. */
public final class TraceRenderer {

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
}
