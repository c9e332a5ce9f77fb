package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A field path in Kubernetes' syntax, as Crossplane uses it: dotted field names, {@code [n]} for an array index and
 * {@code [key]} (optionally quoted) for a map key that contains dots or slashes —
 * {@code spec.containers[0].image}, {@code metadata.labels[app.kubernetes.io/name]},
 * {@code metadata.annotations["cool-field"]}.
 */
public final class FieldPath {

  private final String text;
  private final List<Object> segments;

  private FieldPath(String text, List<Object> segments) {
    this.text = text;
    this.segments = segments;
  }

  /**
   * Parses {@code path}.
   *
   * @throws IllegalArgumentException when it is empty or has an unclosed bracket
   */
  public static FieldPath parse(String path) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("empty field path");
    }
    List<Object> segments = new ArrayList<>();
    StringBuilder name = new StringBuilder();
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '.') {
        if (name.length() > 0) {
          segments.add(name.toString());
          name.setLength(0);
        }
      } else if (c == '[') {
        if (name.length() > 0) {
          segments.add(name.toString());
          name.setLength(0);
        }
        int end = path.indexOf(']', i);
        if (end < 0) {
          throw new IllegalArgumentException("unclosed '[' in field path " + path);
        }
        String key = path.substring(i + 1, end).trim();
        if ((key.startsWith("\"") && key.endsWith("\"")) || (key.startsWith("'") && key.endsWith("'"))) {
          segments.add(key.substring(1, key.length() - 1));
        } else if (key.matches("\\d+")) {
          segments.add(Integer.parseInt(key));
        } else {
          segments.add(key);
        }
        i = end;
      } else {
        name.append(c);
      }
    }
    if (name.length() > 0) {
      segments.add(name.toString());
    }
    if (segments.isEmpty()) {
      throw new IllegalArgumentException("empty field path");
    }
    return new FieldPath(path, segments);
  }

  /** The value at this path in {@code root}, or null when any part is missing. */
  public JsonNode get(JsonNode root) {
    JsonNode node = root;
    for (Object s : segments) {
      if (node == null) {
        return null;
      }
      node = s instanceof Integer i ? (node.isArray() ? node.get(i) : null) : node.get((String) s);
    }
    return node == null || node.isMissingNode() || node.isNull() ? null : node;
  }

  /** Sets {@code value} at this path in {@code root}, creating objects and arrays on the way. */
  public void set(ObjectNode root, JsonNode value) {
    JsonNode node = root;
    for (int i = 0; i < segments.size(); i++) {
      Object s = segments.get(i);
      boolean last = i == segments.size() - 1;
      Object next = last ? null : segments.get(i + 1);
      if (s instanceof Integer index) {
        if (!node.isArray()) {
          throw new IllegalArgumentException("field path " + text + ": expected an array before [" + index + "]");
        }
        ArrayNode array = (ArrayNode) node;
        while (array.size() <= index) {
          array.addNull();
        }
        if (last) {
          array.set(index, value);
          return;
        }
        if (array.get(index) == null || array.get(index).isNull()) {
          array.set(index, next instanceof Integer ? JsonNodeFactory.instance.arrayNode()
              : JsonNodeFactory.instance.objectNode());
        }
        node = array.get(index);
      } else {
        if (!node.isObject()) {
          throw new IllegalArgumentException("field path " + text + ": expected an object before " + s);
        }
        ObjectNode object = (ObjectNode) node;
        if (last) {
          object.set((String) s, value);
          return;
        }
        JsonNode child = object.get((String) s);
        if (child == null || child.isNull()) {
          child = next instanceof Integer ? object.putArray((String) s) : object.putObject((String) s);
        }
        node = child;
      }
    }
  }

  @Override
  public String toString() {
    return text;
  }
}
