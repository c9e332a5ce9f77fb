package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A stable hash of what a pipeline run depends on: the owner's spec and the Pipelines, as canonical JSON (object keys
 * sorted) hashed with SHA-256, hex, first 16 characters. A run repeats when this changes (Kratix uses the same idea
 * with its spec-hash label).
 */
public final class SpecHash {

  private SpecHash() {
  }

  /** The hash of {@code parts} in order. */
  public static String of(JsonNode... parts) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (JsonNode part : parts) {
        sha.update(Serialization.JSON.writeValueAsString(canonical(part)).getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code node} with object keys sorted at every level. */
  static JsonNode canonical(JsonNode node) {
    if (node == null) {
      return Serialization.JSON.nullNode();
    }
    if (node.isObject()) {
      ObjectNode sorted = Serialization.JSON.createObjectNode();
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      names.sort(String::compareTo);
      for (String n : names) {
        sorted.set(n, canonical(node.get(n)));
      }
      return sorted;
    }
    if (node.isArray()) {
      var array = Serialization.JSON.createArrayNode();
      for (Iterator<JsonNode> it = node.elements(); it.hasNext();) {
        array.add(canonical(it.next()));
      }
      return array;
    }
    return node;
  }

  /** Convenience: hash of a plain value converted to JSON. */
  public static String ofValue(Object value) {
    return of(Serialization.JSON.valueToTree(value == null ? Map.of() : value));
  }
}
