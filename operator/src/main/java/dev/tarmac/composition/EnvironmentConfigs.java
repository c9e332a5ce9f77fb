package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The behaviour of {@code function-environment-configs} (crossplane-contrib; input
 * {@code environmentconfigs.fn.crossplane.io/v1beta1 Input}) over EnvironmentConfigs the caller provides (Tarmac reads
 * no objects here; the reconciler passes them by name). {@code spec.environmentConfigs[]}, in order:
 * {@code type: Reference} ({@code ref.name}; the default type) or {@code type: Selector} ({@code selector.matchLabels}
 * of {@code type: Value} with {@code value} or {@code type: FromCompositeFieldPath} — the default — with
 * {@code valueFromFieldPath} read from the composite; {@code mode: Single} — the default, exactly one must match — or
 * {@code Multiple} with {@code minMatch}, {@code maxMatch}, {@code sortByFieldPath} — default {@code metadata.name}).
 * Each selected config's {@code data} is placed at {@code toFieldPath} (default: the top level) and merged in order,
 * later configs winning key by key (nested objects merge); the result is merged over the environment already in the
 * context, and {@code spec.defaultData} fills what none of them set. A Reference to a config that does not exist fails
 * the compose ({@code FunctionFailed}) unless {@code spec.policy.resolution: Optional}.
 */
final class EnvironmentConfigs {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private EnvironmentConfigs() {
  }

  /** Runs the step over {@code state}. */
  static void run(JsonNode input, PipelineState state, Map<String, JsonNode> configs, String step) {
    JsonNode spec = input.path("spec");
    boolean optional = "Optional".equals(spec.path("policy").path("resolution").asText());
    ObjectNode merged = F.objectNode();
    JsonNode sources = spec.path("environmentConfigs");
    for (int i = 0; i < sources.size(); i++) {
      JsonNode source = sources.get(i);
      String where = step + "environmentConfigs[" + i + "]";
      List<JsonNode> selected = new ArrayList<>();
      if ("Selector".equals(source.path("type").asText("Reference"))) {
        selected.addAll(select(source.path("selector"), state, configs, where));
      } else {
        String name = source.path("ref").path("name").asText();
        JsonNode config = configs.get(name);
        if (config == null) {
          if (optional) {
            continue;
          }
          throw new CompositionException("FunctionFailed", where + ": EnvironmentConfig '" + name + "' does not exist;"
              + " create it or set spec.policy.resolution: Optional");
        }
        selected.add(config);
      }
      for (JsonNode config : selected) {
        ObjectNode data = F.objectNode();
        JsonNode d = config.path("data");
        if (source.hasNonNull("toFieldPath")) {
          FieldPath.parse(source.path("toFieldPath").asText()).set(data, d.isMissingNode() ? F.objectNode()
              : d.deepCopy());
        } else if (d.isObject()) {
          data = d.deepCopy();
        }
        merged = merge(merged, data);
      }
    }
    ObjectNode env = merge(state.environment(), merged);
    if (spec.path("defaultData").isObject()) {
      env = merge((ObjectNode) spec.path("defaultData").deepCopy(), env);
    }
    state.context.set(PipelineState.ENVIRONMENT_KEY, env);
  }

  private static List<JsonNode> select(JsonNode selector, PipelineState state, Map<String, JsonNode> configs,
      String where) {
    List<String[]> labels = new ArrayList<>();
    for (JsonNode m : selector.path("matchLabels")) {
      String value;
      if ("Value".equals(m.path("type").asText("FromCompositeFieldPath"))) {
        value = m.path("value").asText();
      } else {
        JsonNode v = FieldPath.parse(m.path("valueFromFieldPath").asText()).get(state.observedComposite);
        if (v == null) {
          if ("Optional".equals(m.path("fromFieldPathPolicy").asText())) {
            continue;
          }
          throw new CompositionException("FunctionFailed", where + ": label " + m.path("key").asText() + " takes its"
              + " value from the composite's " + m.path("valueFromFieldPath").asText() + ", which is missing");
        }
        value = v.asText();
      }
      labels.add(new String[] {m.path("key").asText(), value});
    }
    List<JsonNode> matched = new ArrayList<>();
    for (JsonNode c : configs.values()) {
      boolean all = true;
      for (String[] l : labels) {
        all &= l[1].equals(c.path("metadata").path("labels").path(l[0]).asText(null));
      }
      if (all) {
        matched.add(c);
      }
    }
    String sortBy = selector.path("sortByFieldPath").asText("metadata.name");
    FieldPath sortPath = FieldPath.parse(sortBy);
    matched.sort(Comparator.comparing(c -> {
      JsonNode v = sortPath.get(c);
      return v == null ? "" : v.asText();
    }));
    if ("Multiple".equals(selector.path("mode").asText("Single"))) {
      if (selector.has("minMatch") && matched.size() < selector.path("minMatch").asInt()) {
        throw new CompositionException("FunctionFailed", where + ": expected at least " + selector.path("minMatch")
            .asInt() + " EnvironmentConfigs to match, got " + matched.size());
      }
      if (selector.has("maxMatch") && matched.size() > selector.path("maxMatch").asInt()) {
        return matched.subList(0, selector.path("maxMatch").asInt());
      }
      return matched;
    }
    if (matched.size() != 1) {
      throw new CompositionException("FunctionFailed", where + ": selector mode Single expects exactly one"
          + " EnvironmentConfig to match, got " + matched.size());
    }
    return matched;
  }

  /** {@code b} over {@code a}: b's keys win, nested objects merge. */
  static ObjectNode merge(ObjectNode a, ObjectNode b) {
    ObjectNode out = a.deepCopy();
    b.fields().forEachRemaining(e -> {
      JsonNode existing = out.get(e.getKey());
      if (e.getValue().isObject() && existing != null && existing.isObject()) {
        out.set(e.getKey(), merge((ObjectNode) existing, (ObjectNode) e.getValue()));
      } else {
        out.set(e.getKey(), e.getValue().deepCopy());
      }
    });
    return out;
  }
}
