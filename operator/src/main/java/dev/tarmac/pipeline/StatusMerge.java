package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Merges a pipeline's {@code status.yaml} into a request's status, as Kratix does: maps merge deeply, other values
 * replace, and {@code conditions} merge by {@code type}. The fields the operator owns ({@code observedGeneration},
 * {@code pipelines}) cannot be overwritten by a pipeline, and neither can the conditions Tarmac sets itself
 * (Ready, Synced, PipelineCompleted, Published).
 */
public final class StatusMerge {

  /** Status fields only the operator writes. */
  public static final Set<String> RESERVED = Set.of("observedGeneration", "pipelines");
  /** Condition types only the operator sets. */
  public static final Set<String> RESERVED_CONDITIONS = Set.of("Ready", "Synced", "PipelineCompleted", "Published");

  private StatusMerge() {
  }

  /** Merges {@code patch} into {@code status} in place; returns {@code status}. */
  public static ObjectNode merge(ObjectNode status, JsonNode patch) {
    if (patch == null || !patch.isObject()) {
      return status;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext();) {
      var e = it.next();
      String key = e.getKey();
      if (RESERVED.contains(key)) {
        continue;
      }
      if (key.equals("conditions") && e.getValue().isArray()) {
        mergeConditions(status, (ArrayNode) e.getValue());
      } else if (e.getValue().isObject() && status.path(key).isObject()) {
        merge((ObjectNode) status.get(key), e.getValue());
      } else {
        status.set(key, e.getValue().deepCopy());
      }
    }
    return status;
  }

  private static void mergeConditions(ObjectNode status, ArrayNode incoming) {
    ArrayNode conditions = status.path("conditions").isArray() ? (ArrayNode) status.get("conditions")
        : status.putArray("conditions");
    for (JsonNode c : incoming) {
      String type = c.path("type").asText(null);
      if (type == null || RESERVED_CONDITIONS.contains(type)) {
        continue;
      }
      boolean replaced = false;
      for (int i = 0; i < conditions.size(); i++) {
        if (type.equals(conditions.get(i).path("type").asText())) {
          ObjectNode merged = c.deepCopy();
          if (!merged.has("lastTransitionTime")
              && c.path("status").asText().equals(conditions.get(i).path("status").asText())) {
            merged.set("lastTransitionTime", conditions.get(i).path("lastTransitionTime"));
          }
          conditions.set(i, merged);
          replaced = true;
        }
      }
      if (!replaced) {
        conditions.add(c.deepCopy());
      }
    }
  }
}
