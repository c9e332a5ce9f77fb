package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies a Composition to a composite. Pure: plain JSON in, plain JSON out, no I/O.
 *
 * <p>Semantics are Crossplane's patch-and-transform (mode {@code Resources}, or mode {@code Pipeline} with one
 * {@code function-patch-and-transform} step): every resource template starts from its {@code base}; patches
 * {@code FromCompositeFieldPath} (the default when {@code type} is absent), {@code CombineFromComposite} and
 * {@code PatchSet} write into it; {@code ToCompositeFieldPath} and {@code CombineToComposite} copy observed values back
 * onto the composite; {@code policy.fromFieldPath: Required} makes a missing source an error, {@code Optional} (the
 * default) skips the patch. Readiness and connection details come from the observed composed resources.
 *
 * <p>Enforced defaults: values the base sets and no patch touches cannot be changed by a claim. A platform team can
 * also list {@code enforcedFields} on a resource template (a Tarmac extension): a patch that would write one of them
 * is refused with an error naming the resource and the patch index.
 */
public final class CompositionEngine {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /**
   * One composed resource.
   *
   * @param name the resource template's name
   * @param resource the desired object
   * @param ready whether the observed object passes the readiness checks (false when not observed)
   * @param message why it is not ready
   */
  public record Composed(String name, ObjectNode resource, boolean ready, String message) {
  }

  /**
   * What applying a Composition gives.
   *
   * @param resources the composed resources, in template order
   * @param composite fields to write back onto the composite (an object with e.g. {@code status: {...}})
   * @param connectionDetails connection details known now (name → value)
   * @param generatedPasswords names of connection details whose value is a generated password (Tarmac extension
   *     {@code type: FromGeneratedPassword}); the reconciler keeps the value stable in the connection Secret
   */
  public record Result(List<Composed> resources, ObjectNode composite, Map<String, String> connectionDetails,
      List<String> generatedPasswords) {
    /** True when every composed resource is ready. */
    public boolean ready() {
      return resources.stream().allMatch(Composed::ready);
    }
  }

  private CompositionEngine() {
  }

  /**
   * The resource templates of a Composition spec, from mode Resources ({@code spec.resources}) or mode Pipeline with a
   * single {@code function-patch-and-transform} step ({@code spec.pipeline[0].input.resources}).
   *
   * @throws CompositionException when the mode is Pipeline with other functions
   */
  public static JsonNode templates(JsonNode spec) {
    if ("Pipeline".equals(spec.path("mode").asText()) || (!spec.has("resources") && spec.has("pipeline"))) {
      JsonNode steps = spec.path("pipeline");
      for (JsonNode step : steps) {
        if (step.path("functionRef").path("name").asText().contains("patch-and-transform")) {
          return step.path("input");
        }
      }
      throw new CompositionException("CompositionInvalid", "mode Pipeline is accepted only with a"
          + " function-patch-and-transform step; convert other functions with `tarmac convert composition`");
    }
    return spec;
  }

  /**
   * Applies {@code composition} (its {@code spec}) to {@code composite}.
   *
   * @param composite the composite (a claim or request) as JSON
   * @param compositionSpec the Composition's spec (Tarmac's or Crossplane's)
   * @param observed the composed resources as they are in the cluster, by template name (may be empty)
   * @param observedConnection connection secret data of composed resources, by template name (may be empty)
   * @throws CompositionException naming the resource and the patch index when a patch or transform cannot apply
   */
  public static Result compose(JsonNode composite, JsonNode compositionSpec, Map<String, JsonNode> observed,
      Map<String, Map<String, String>> observedConnection) {
    JsonNode spec = templates(compositionSpec);
    Map<String, JsonNode> patchSets = new LinkedHashMap<>();
    for (JsonNode ps : spec.path("patchSets")) {
      patchSets.put(ps.path("name").asText(), ps.path("patches"));
    }
    List<Composed> resources = new ArrayList<>();
    ObjectNode back = F.objectNode();
    Map<String, String> connection = new LinkedHashMap<>();
    List<String> generated = new ArrayList<>();
    JsonNode templates = spec.path("resources");
    for (int i = 0; i < templates.size(); i++) {
      JsonNode template = templates.get(i);
      String name = template.path("name").asText("resource-" + i);
      if (!template.path("base").isObject()) {
        throw new CompositionException("CompositionInvalid", "resource " + name + " has no base");
      }
      ObjectNode desired = template.get("base").deepCopy();
      JsonNode seen = observed.get(name);
      List<JsonNode> patches = expand(template.path("patches"), patchSets, name);
      List<String> enforced = new ArrayList<>();
      template.path("enforcedFields").forEach(f -> enforced.add(f.asText()));
      for (int j = 0; j < patches.size(); j++) {
        apply(patches.get(j), composite, desired, seen, back, enforced, name, j);
      }
      String notReady = seen == null ? "not created yet" : readiness(template.path("readinessChecks"), seen);
      resources.add(new Composed(name, desired, notReady == null, notReady));
      for (JsonNode cd : template.path("connectionDetails")) {
        connection(cd, seen, desired, observedConnection.getOrDefault(name, Map.of()), connection, generated);
      }
    }
    return new Result(resources, back, connection, generated);
  }

  private static List<JsonNode> expand(JsonNode patches, Map<String, JsonNode> patchSets, String resource) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : patches) {
      if ("PatchSet".equals(p.path("type").asText())) {
        JsonNode set = patchSets.get(p.path("patchSetName").asText());
        if (set == null) {
          throw new CompositionException("CompositionInvalid", "resource " + resource + " refers to patchSet '"
              + p.path("patchSetName").asText() + "', which spec.patchSets does not define");
        }
        set.forEach(out::add);
      } else {
        out.add(p);
      }
    }
    return out;
  }

  private static void apply(JsonNode patch, JsonNode composite, ObjectNode desired, JsonNode observed,
      ObjectNode back, List<String> enforced, String resource, int index) {
    String type = patch.path("type").asText("FromCompositeFieldPath");
    boolean required = "Required".equals(patch.path("policy").path("fromFieldPath").asText());
    String where = "resource " + resource + " patch " + index + " (" + type + ")";
    try {
      switch (type) {
        case "FromCompositeFieldPath" -> {
          String from = patch.path("fromFieldPath").asText();
          JsonNode value = FieldPath.parse(from).get(composite);
          if (value == null) {
            if (required) {
              throw new CompositionException("PatchFailed", where + ": the composite has no " + from
                  + " and the patch's policy is Required");
            }
            return;
          }
          String to = patch.path("toFieldPath").asText(from);
          checkEnforced(enforced, to, where);
          FieldPath.parse(to).set(desired, transform(patch, value));
        }
        case "CombineFromComposite" -> {
          JsonNode value = combine(patch, composite, required, where);
          if (value != null) {
            String to = patch.path("toFieldPath").asText();
            checkEnforced(enforced, to, where);
            FieldPath.parse(to).set(desired, transform(patch, value));
          }
        }
        case "ToCompositeFieldPath" -> {
          if (observed == null) {
            return;
          }
          String from = patch.path("fromFieldPath").asText();
          JsonNode value = FieldPath.parse(from).get(observed);
          if (value == null) {
            // Also look at what we are about to apply: ours is what the resource will hold.
            value = FieldPath.parse(from).get(desired);
          }
          if (value != null) {
            FieldPath.parse(patch.path("toFieldPath").asText(from)).set(back, transform(patch, value));
          }
        }
        case "CombineToComposite" -> {
          if (observed == null) {
            return;
          }
          JsonNode value = combine(patch, observed, false, where);
          if (value != null) {
            FieldPath.parse(patch.path("toFieldPath").asText()).set(back, transform(patch, value));
          }
        }
        default -> throw new CompositionException("PatchFailed", where + ": unknown patch type " + type
            + " (use FromCompositeFieldPath, ToCompositeFieldPath, CombineFromComposite, CombineToComposite or"
            + " PatchSet)");
      }
    } catch (IllegalArgumentException e) {
      throw new CompositionException("PatchFailed", where + ": " + e.getMessage());
    }
  }

  private static void checkEnforced(List<String> enforced, String to, String where) {
    for (String f : enforced) {
      if (to.equals(f) || to.startsWith(f + ".") || to.startsWith(f + "[")) {
        throw new CompositionException("EnforcedDefault", where + ": " + to + " is an enforced default of the"
            + " platform (enforcedFields) and cannot be patched; remove the patch or the field from enforcedFields");
      }
    }
  }

  private static JsonNode combine(JsonNode patch, JsonNode source, boolean required, String where) {
    JsonNode combine = patch.path("combine");
    List<JsonNode> values = new ArrayList<>();
    for (JsonNode v : combine.path("variables")) {
      JsonNode value = FieldPath.parse(v.path("fromFieldPath").asText()).get(source);
      if (value == null) {
        if (required) {
          throw new CompositionException("PatchFailed", where + ": variable " + v.path("fromFieldPath").asText()
              + " is missing and the patch's policy is Required");
        }
        return null;
      }
      values.add(value);
    }
    if (!"string".equals(combine.path("strategy").asText("string"))) {
      throw new IllegalArgumentException("unknown combine strategy " + combine.path("strategy").asText());
    }
    return F.textNode(Transforms.format(combine.path("string").path("fmt").asText(), values.toArray(JsonNode[]::new)));
  }

  private static JsonNode transform(JsonNode patch, JsonNode value) {
    JsonNode v = value;
    int k = 0;
    for (JsonNode t : patch.path("transforms")) {
      try {
        v = Transforms.apply(t, v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("transform " + k + ": " + e.getMessage());
      }
      k++;
    }
    return v;
  }

  /** Null when ready; otherwise why not. Default without checks: a Ready condition, when the resource has any. */
  static String readiness(JsonNode checks, JsonNode observed) {
    if (checks == null || !checks.isArray() || checks.isEmpty()) {
      JsonNode conditions = observed.path("status").path("conditions");
      if (!conditions.isArray() || conditions.isEmpty()) {
        return null;
      }
      for (JsonNode c : conditions) {
        if ("Ready".equals(c.path("type").asText())) {
          return "True".equals(c.path("status").asText()) ? null : "its Ready condition is "
              + c.path("status").asText() + (c.has("message") ? ": " + c.path("message").asText() : "");
        }
      }
      return null;
    }
    for (JsonNode check : checks) {
      String type = check.path("type").asText();
      JsonNode value = check.has("fieldPath") ? FieldPath.parse(check.path("fieldPath").asText()).get(observed) : null;
      String failure = switch (type) {
        case "None" -> null;
        case "NonEmpty" -> value == null || value.asText().isEmpty() ? check.path("fieldPath").asText()
            + " is empty" : null;
        case "MatchString" -> value != null && value.asText().equals(check.path("matchString").asText()) ? null
            : check.path("fieldPath").asText() + " is " + (value == null ? "missing" : "'" + value.asText() + "'")
                + ", waiting for '" + check.path("matchString").asText() + "'";
        case "MatchInteger" -> value != null && value.asLong() == check.path("matchInteger").asLong() ? null
            : check.path("fieldPath").asText() + " is " + (value == null ? "missing" : value.asText())
                + ", waiting for " + check.path("matchInteger").asLong();
        case "MatchCondition" -> {
          String ctype = check.path("matchCondition").path("type").asText("Ready");
          String cstatus = check.path("matchCondition").path("status").asText("True");
          boolean ok = false;
          for (JsonNode c : observed.path("status").path("conditions")) {
            ok |= ctype.equals(c.path("type").asText()) && cstatus.equals(c.path("status").asText());
          }
          yield ok ? null : "condition " + ctype + " is not " + cstatus;
        }
        default -> "unknown readiness check type " + type;
      };
      if (failure != null) {
        return failure;
      }
    }
    return null;
  }

  private static void connection(JsonNode cd, JsonNode observed, JsonNode desired, Map<String, String> secret,
      Map<String, String> out, List<String> generated) {
    String type = cd.path("type").asText(cd.has("fromConnectionSecretKey") ? "FromConnectionSecretKey"
        : cd.has("fromFieldPath") ? "FromFieldPath" : cd.has("value") ? "FromValue" : "");
    String name = cd.path("name").asText(cd.path("fromConnectionSecretKey").asText(null));
    switch (type) {
      case "FromValue" -> out.put(name, cd.path("value").asText());
      case "FromConnectionSecretKey" -> {
        String v = secret.get(cd.path("fromConnectionSecretKey").asText());
        if (v != null) {
          out.put(name, v);
        }
      }
      case "FromFieldPath" -> {
        JsonNode v = FieldPath.parse(cd.path("fromFieldPath").asText()).get(observed != null ? observed : desired);
        if (v == null && observed != null) {
          v = FieldPath.parse(cd.path("fromFieldPath").asText()).get(desired);
        }
        if (v != null) {
          out.put(name, v.isTextual() ? v.asText() : v.toString());
        }
      }
      case "FromGeneratedPassword" -> generated.add(name);
      default -> throw new CompositionException("CompositionInvalid", "connection detail " + name
          + " has unknown type '" + type + "'");
    }
  }
}
