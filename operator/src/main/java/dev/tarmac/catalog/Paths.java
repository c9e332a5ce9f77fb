package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Dotted paths into entities, as Backstage's filters and field projections write them. Keys that contain dots
 * (annotation and label keys such as {@code backstage.io/techdocs-ref}) are found by trying the longest key first,
 * so {@code metadata.annotations.backstage.io/techdocs-ref} works as written.
 */
final class Paths {

  private Paths() {
  }

  /** The value at {@code path} in {@code node}, or null. Case-insensitive on keys, as Backstage's filters are. */
  static JsonNode value(JsonNode node, String path) {
    String[] parts = path.split("\\.");
    return walk(node, parts, 0);
  }

  /** As {@link #value(JsonNode, String)}, the path split at its dots already. */
  static JsonNode value(JsonNode node, String[] parts) {
    return walk(node, parts, 0);
  }

  private static JsonNode walk(JsonNode node, String[] parts, int from) {
    if (from == parts.length) {
      return node;
    }
    if (node == null || !node.isObject()) {
      return null;
    }
    // Keys with dots are rare (annotations, labels): try joined keys only where the object has one.
    for (int to = hasDottedKey(node) ? parts.length : from + 1; to > from; to--) {
      String key = to == from + 1 ? parts[from] : String.join(".", java.util.Arrays.copyOfRange(parts, from, to));
      JsonNode child = field(node, key);
      if (child != null) {
        JsonNode found = walk(child, parts, to);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  /** True when {@code node} has a key with a dot in it. */
  static boolean hasDottedKey(JsonNode node) {
    var it = node.fieldNames();
    while (it.hasNext()) {
      if (it.next().indexOf('.') >= 0) {
        return true;
      }
    }
    return false;
  }

  private static JsonNode field(JsonNode node, String key) {
    JsonNode exact = node.get(key);
    if (exact != null) {
      return exact;
    }
    var it = node.fieldNames();
    while (it.hasNext()) {
      String n = it.next();
      if (n.equalsIgnoreCase(key)) {
        return node.get(n);
      }
    }
    return null;
  }
}
