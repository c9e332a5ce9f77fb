package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Crossplane's patch-and-transform over a {@link PipelineState}: the native mode-Resources composer (legacy) and the
 * function {@code function-patch-and-transform} (input {@code pt.fn.crossplane.io/v1beta1 Resources}). Pure.
 *
 * <p>Per resource template: the desired resource starts from its {@code base} (or, in a pipeline, from the desired
 * resource a previous step produced under the same name when there is no base); readiness checks run against the
 * observed resource; connection details are extracted; then the patches run in order. Patch directions follow the
 * function's patches.go: {@code FromCompositeFieldPath}/{@code CombineFromComposite} observed composite → desired
 * resource, {@code FromEnvironmentFieldPath}/{@code CombineFromEnvironment} environment → desired resource,
 * {@code ToCompositeFieldPath}/{@code CombineToComposite} observed resource → desired composite,
 * {@code ToEnvironmentFieldPath}/{@code CombineToEnvironment} observed resource → environment; patches from an observed
 * resource are skipped while it does not exist. The input's {@code environment.patches} run first: from the composite
 * to the environment ({@code FromCompositeFieldPath}, {@code ToEnvironmentFieldPath}, {@code CombineFromComposite}) or
 * from the environment to the desired composite ({@code ToCompositeFieldPath}, {@code FromEnvironmentFieldPath},
 * {@code CombineToComposite}).
 *
 * <p>A missing source field skips the patch. With {@code policy.fromFieldPath: Required}: in a pipeline, as the
 * function does, a resource not yet observed is left out of the desired state (a warning, and the composite is not
 * ready) and an observed one keeps going with a warning; in legacy mode Resources Tarmac refuses the composite with
 * {@code PatchFailed} (its behaviour before pipelines, kept). {@code policy.toFieldPath}: {@code Replace} (default),
 * {@code MergeObjects}, {@code MergeObjectsAppendArrays}, {@code ForceMergeObjects},
 * {@code ForceMergeObjectsAppendArrays}, and the deprecated {@code MergeObject}, {@code AppendArray}. A
 * {@code toFieldPath} with {@code [*]} writes every element of the array there.
 */
final class PatchAndTransform {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private PatchAndTransform() {
  }

  /**
   * Runs the templates of {@code input} over {@code state}.
   *
   * @param input the function input, or the Composition spec in mode Resources ({@code resources}, {@code patchSets},
   *     {@code environment})
   * @param legacy true for mode Resources (Tarmac's original semantics: a template without a name is called
   *     {@code resource-<i>}, a Required source that is missing is an error, {@code ToCompositeFieldPath} falls back to
   *     the desired resource while not observed, a resource without readiness checks and without any status
   *     condition is ready, connection details are read before the resource is observed)
   * @param step how errors name the step, e.g. {@code pipeline step 'pt' (function-patch-and-transform): }, or empty
   * @throws CompositionException PatchFailed/CompositionInvalid/EnforcedDefault naming the resource and patch index
   */
  static void run(JsonNode input, PipelineState state, boolean legacy, String step) {
    Map<String, JsonNode> patchSets = new LinkedHashMap<>();
    for (JsonNode ps : input.path("patchSets")) {
      for (JsonNode p : ps.path("patches")) {
        if ("PatchSet".equals(p.path("type").asText())) {
          throw new CompositionException("CompositionInvalid", step + "patchSet '" + ps.path("name").asText()
              + "' contains a patch of type PatchSet; a patch in a PatchSet cannot be of type PatchSet");
        }
      }
      patchSets.put(ps.path("name").asText(), ps.path("patches"));
    }
    JsonNode envPatches = input.path("environment").path("patches");
    for (int i = 0; i < envPatches.size(); i++) {
      environmentPatch(envPatches.get(i), state, step + "environment patch " + i);
    }
    JsonNode templates = input.path("resources");
    for (int i = 0; i < templates.size(); i++) {
      template(templates.get(i), i, patchSets, state, legacy, step);
    }
  }

  private static void template(JsonNode template, int i, Map<String, JsonNode> patchSets, PipelineState state,
      boolean legacy, String step) {
    if (!legacy && !template.hasNonNull("name")) {
      throw new CompositionException("CompositionInvalid", step + "resources[" + i + "] has no name;"
          + " function-patch-and-transform requires resources[i].name");
    }
    String name = template.path("name").asText("resource-" + i);
    PipelineState.Desired previous = state.resources.get(name);
    ObjectNode desired;
    if (template.path("base").isObject()) {
      desired = template.get("base").deepCopy();
    } else if (!legacy && previous != null) {
      desired = previous.resource.deepCopy();
    } else {
      throw new CompositionException("CompositionInvalid", step + "resource " + name + " has no base"
          + (legacy ? "" : " template, and was not produced by a previous function in the pipeline"));
    }
    JsonNode seen = state.observed.get(name);
    PipelineState.Desired out = new PipelineState.Desired(desired);
    if (seen != null) {
      String failure = readiness(template.path("readinessChecks"), seen, legacy);
      out.ready = failure == null ? CompositionEngine.Readiness.TRUE : CompositionEngine.Readiness.UNSPECIFIED;
      out.message = failure;
    } else {
      out.message = "not created yet";
    }
    List<JsonNode> patches = expand(template.path("patches"), patchSets, name, step);
    List<String> enforced = new ArrayList<>();
    template.path("enforcedFields").forEach(f -> enforced.add(f.asText()));
    for (int j = 0; j < patches.size(); j++) {
      String where = step + "resource " + name + " patch " + j + " (" + type(patches.get(j)) + ")";
      if (!composedPatch(patches.get(j), state, desired, seen, enforced, legacy, where)) {
        state.warnings.add(where + ": not adding the new composed resource " + name + " to the desired state because"
            + " the patch's source field " + source(patches.get(j)) + " is missing and its policy.fromFieldPath is"
            + " Required");
        state.compositeReady = CompositionEngine.Readiness.FALSE;
        return;
      }
    }
    for (JsonNode cd : template.path("connectionDetails")) {
      if (legacy || seen != null || "FromGeneratedPassword".equals(cd.path("type").asText())) {
        connection(cd, seen, desired, state.observedConnection.getOrDefault(name, Map.of()), state, step + "resource "
            + name);
      }
    }
    state.resources.put(name, out);
  }

  private static String type(JsonNode patch) {
    return patch.path("type").asText("FromCompositeFieldPath");
  }

  private static String source(JsonNode patch) {
    if (patch.has("combine")) {
      List<String> vars = new ArrayList<>();
      patch.path("combine").path("variables").forEach(v -> vars.add(v.path("fromFieldPath").asText()));
      return String.join(", ", vars);
    }
    return patch.path("fromFieldPath").asText();
  }

  private static List<JsonNode> expand(JsonNode patches, Map<String, JsonNode> patchSets, String resource,
      String step) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : patches) {
      if ("PatchSet".equals(p.path("type").asText())) {
        JsonNode set = patchSets.get(p.path("patchSetName").asText());
        if (set == null) {
          throw new CompositionException("CompositionInvalid", step + "resource " + resource + " refers to patchSet '"
              + p.path("patchSetName").asText() + "', which patchSets does not define");
        }
        set.forEach(out::add);
      } else {
        out.add(p);
      }
    }
    return out;
  }

  /** Whether the patch writes the desired composed resource (and so may block its creation when Required). */
  private static boolean toComposed(String type) {
    return switch (type) {
      case "FromCompositeFieldPath", "CombineFromComposite", "FromEnvironmentFieldPath", "CombineFromEnvironment" ->
          true;
      default -> false;
    };
  }

  /** Applies one resource patch; false when a Required source is missing and the resource must not be created. */
  private static boolean composedPatch(JsonNode patch, PipelineState state, ObjectNode desired, JsonNode seen,
      List<String> enforced, boolean legacy, String where) {
    String type = type(patch);
    boolean required = "Required".equals(patch.path("policy").path("fromFieldPath").asText());
    JsonNode from;
    ObjectNode to;
    boolean combine = type.startsWith("Combine");
    switch (type) {
      case "FromCompositeFieldPath", "CombineFromComposite" -> {
        from = state.observedComposite;
        to = desired;
      }
      case "FromEnvironmentFieldPath", "CombineFromEnvironment" -> {
        from = state.environment();
        to = desired;
      }
      case "ToCompositeFieldPath", "CombineToComposite" -> {
        from = seen;
        to = state.desiredComposite;
      }
      case "ToEnvironmentFieldPath", "CombineToEnvironment" -> {
        from = seen;
        to = state.environment();
      }
      default -> throw new CompositionException("PatchFailed", where + ": unknown patch type " + type
          + " (use FromCompositeFieldPath, ToCompositeFieldPath, CombineFromComposite, CombineToComposite,"
          + " FromEnvironmentFieldPath, ToEnvironmentFieldPath, CombineFromEnvironment, CombineToEnvironment or"
          + " PatchSet)");
    }
    if (from == null) {
      // A patch from the observed resource waits until it exists.
      return true;
    }
    try {
      JsonNode value = combine ? combine(patch, from) : FieldPath.parse(patch.path("fromFieldPath").asText()).get(from);
      if (value == null && legacy && "ToCompositeFieldPath".equals(type)) {
        // Tarmac's mode Resources also looks at what it is about to apply: ours is what the resource will hold.
        value = FieldPath.parse(patch.path("fromFieldPath").asText()).get(desired);
      }
      if (value == null) {
        if (!required) {
          return true;
        }
        if (legacy) {
          throw new CompositionException("PatchFailed", where + ": the " + (from == seen ? "composed resource"
              : from == state.observedComposite ? "composite" : "environment") + " has no " + source(patch)
              + " and the patch's policy is Required");
        }
        if (toComposed(type) && seen == null) {
          return false;
        }
        state.warnings.add(where + ": the source field " + source(patch) + " is missing; ignoring"
            + " policy.fromFieldPath: Required because the composed resource already exists");
        return true;
      }
      String toPath = combine ? patch.path("toFieldPath").asText() : patch.path("toFieldPath").asText(
          patch.path("fromFieldPath").asText());
      if (to == desired) {
        checkEnforced(enforced, toPath, where);
      }
      write(to, toPath, transform(patch, value), patch.path("policy").path("toFieldPath").asText("Replace"));
      return true;
    } catch (IllegalArgumentException e) {
      throw new CompositionException("PatchFailed", where + ": " + e.getMessage());
    }
  }

  private static void environmentPatch(JsonNode patch, PipelineState state, String where) {
    String type = type(patch);
    JsonNode from;
    ObjectNode to;
    switch (type) {
      case "FromCompositeFieldPath", "ToEnvironmentFieldPath", "CombineFromComposite" -> {
        from = state.observedComposite;
        to = state.environment();
      }
      case "ToCompositeFieldPath", "FromEnvironmentFieldPath", "CombineToComposite" -> {
        from = state.environment();
        to = state.desiredComposite;
      }
      default -> throw new CompositionException("PatchFailed", where + " (" + type + "): an environment patch must be"
          + " FromCompositeFieldPath, ToCompositeFieldPath, CombineFromComposite, CombineToComposite,"
          + " FromEnvironmentFieldPath or ToEnvironmentFieldPath");
    }
    where = where + " (" + type + ")";
    try {
      boolean combine = type.startsWith("Combine");
      JsonNode value = combine ? combine(patch, from) : FieldPath.parse(patch.path("fromFieldPath").asText()).get(from);
      if (value == null) {
        if ("Required".equals(patch.path("policy").path("fromFieldPath").asText())) {
          throw new CompositionException("PatchFailed", where + ": the source field " + source(patch)
              + " is missing and the patch's policy is Required");
        }
        return;
      }
      String toPath = combine ? patch.path("toFieldPath").asText() : patch.path("toFieldPath").asText(
          patch.path("fromFieldPath").asText());
      write(to, toPath, transform(patch, value), patch.path("policy").path("toFieldPath").asText("Replace"));
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

  /** The combined value, or null when a variable is missing. */
  private static JsonNode combine(JsonNode patch, JsonNode source) {
    JsonNode combine = patch.path("combine");
    List<JsonNode> values = new ArrayList<>();
    for (JsonNode v : combine.path("variables")) {
      JsonNode value = FieldPath.parse(v.path("fromFieldPath").asText()).get(source);
      if (value == null) {
        return null;
      }
      values.add(value);
    }
    if (!"string".equals(combine.path("strategy").asText("string"))) {
      throw new IllegalArgumentException("combine strategy " + combine.path("strategy").asText()
          + " is not supported (use string)");
    }
    if (!combine.path("string").has("fmt")) {
      throw new IllegalArgumentException("combine strategy string requires string.fmt");
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

  /**
   * Writes {@code value} at {@code path} in {@code root} with a {@code policy.toFieldPath}; {@code [*]} in the path
   * writes every element of the array already there.
   */
  static void write(ObjectNode root, String path, JsonNode value, String policy) {
    boolean keep;
    boolean append;
    switch (policy) {
      case "Replace" -> {
        writeAll(root, path, value, null);
        return;
      }
      case "MergeObjects", "MergeObject" -> {
        keep = true;
        append = false;
      }
      case "MergeObjectsAppendArrays" -> {
        keep = true;
        append = true;
      }
      case "ForceMergeObjects" -> {
        keep = false;
        append = false;
      }
      case "ForceMergeObjectsAppendArrays", "AppendArray" -> {
        keep = false;
        append = true;
      }
      default -> throw new IllegalArgumentException("invalid patch policy toFieldPath " + policy + " (use Replace,"
          + " MergeObjects, MergeObjectsAppendArrays, ForceMergeObjects or ForceMergeObjectsAppendArrays)");
    }
    writeAll(root, path, value, new boolean[] {keep, append});
  }

  private static void writeAll(ObjectNode root, String path, JsonNode value, boolean[] merge) {
    int star = path.indexOf("[*]");
    if (star < 0) {
      FieldPath fp = FieldPath.parse(path);
      JsonNode current = fp.get(root);
      fp.set(root, merge == null || current == null ? value.deepCopy() : merge(current, value, merge[0], merge[1]));
      return;
    }
    JsonNode array = FieldPath.parse(path.substring(0, star)).get(root);
    if (array == null || !array.isArray() || array.isEmpty()) {
      throw new IllegalArgumentException("cannot expand toFieldPath " + path + ": " + path.substring(0, star)
          + " is not a non-empty array");
    }
    for (int i = 0; i < array.size(); i++) {
      writeAll(root, path.substring(0, star) + "[" + i + "]" + path.substring(star + 3), value, merge);
    }
  }

  /**
   * Merges {@code src} into {@code dst} as crossplane-runtime's {@code MergeValue} does: two objects merge recursively
   * (mergo: {@code keep} keeps the values already there, else {@code src} overrides), two arrays are appended when
   * {@code append}, anything else is replaced by {@code src}.
   */
  private static JsonNode merge(JsonNode dst, JsonNode src, boolean keep, boolean append) {
    if (dst.isObject() && src.isObject()) {
      ObjectNode out = dst.deepCopy();
      src.fields().forEachRemaining(e -> {
        JsonNode existing = out.get(e.getKey());
        if (existing == null || existing.isNull()) {
          out.set(e.getKey(), e.getValue().deepCopy());
        } else if ((existing.isObject() && e.getValue().isObject())
            || (existing.isArray() && e.getValue().isArray() && append)) {
          out.set(e.getKey(), merge(existing, e.getValue(), keep, append));
        } else if (!keep) {
          out.set(e.getKey(), e.getValue().deepCopy());
        }
      });
      return out;
    }
    if (dst.isArray() && src.isArray() && append) {
      ArrayNode out = dst.deepCopy();
      src.forEach(v -> out.add(v.deepCopy()));
      return out;
    }
    // crossplane-runtime's MergeValue: anything but two objects (or two arrays to append) is replaced.
    return src.deepCopy();
  }

  /**
   * Null when the observed resource passes the readiness checks; otherwise why not. Types: {@code None},
   * {@code NonEmpty}, {@code MatchString}, {@code MatchInteger}, {@code MatchTrue}, {@code MatchFalse},
   * {@code MatchCondition}. Without checks: its {@code Ready} condition is True (in legacy mode also when it has no
   * status condition at all).
   */
  static String readiness(JsonNode checks, JsonNode observed, boolean legacy) {
    if (checks == null || !checks.isArray() || checks.isEmpty()) {
      JsonNode conditions = observed.path("status").path("conditions");
      if (!conditions.isArray() || conditions.isEmpty()) {
        return legacy ? null : "it has no Ready condition";
      }
      for (JsonNode c : conditions) {
        if ("Ready".equals(c.path("type").asText())) {
          return "True".equals(c.path("status").asText()) ? null : "its Ready condition is "
              + c.path("status").asText() + (c.has("message") ? ": " + c.path("message").asText() : "");
        }
      }
      return legacy ? null : "it has no Ready condition";
    }
    int index = 0;
    for (JsonNode check : checks) {
      String type = check.path("type").asText();
      String path = check.path("fieldPath").asText();
      JsonNode value = check.hasNonNull("fieldPath") ? FieldPath.parse(path).get(observed) : null;
      String failure = switch (type) {
        case "None" -> null;
        case "NonEmpty" -> value == null ? path + " is empty" : null;
        case "MatchString" -> value != null && value.isValueNode() && value.asText().equals(check.path("matchString")
            .asText()) ? null : path + " is " + (value == null ? "missing" : "'" + value.asText() + "'")
                + ", waiting for '" + check.path("matchString").asText() + "'";
        case "MatchInteger" -> value != null && value.isNumber() && value.asLong() == check.path("matchInteger")
            .asLong() ? null : path + " is " + (value == null ? "missing" : value.asText())
                + ", waiting for " + check.path("matchInteger").asLong();
        case "MatchTrue" -> value != null && value.isBoolean() && value.asBoolean() ? null
            : path + " is " + (value == null ? "missing" : value.asText()) + ", waiting for true";
        case "MatchFalse" -> value != null && value.isBoolean() && !value.asBoolean() ? null
            : path + " is " + (value == null ? "missing" : value.asText()) + ", waiting for false";
        case "MatchCondition" -> {
          String ctype = check.path("matchCondition").path("type").asText("Ready");
          String cstatus = check.path("matchCondition").path("status").asText("True");
          boolean ok = false;
          for (JsonNode c : observed.path("status").path("conditions")) {
            ok |= ctype.equals(c.path("type").asText()) && cstatus.equals(c.path("status").asText());
          }
          yield ok ? null : "condition " + ctype + " is not " + cstatus;
        }
        default -> "readiness check " + index + " has unknown type '" + type + "' (use None, NonEmpty, MatchString,"
            + " MatchInteger, MatchTrue, MatchFalse or MatchCondition)";
      };
      if (failure != null) {
        return failure;
      }
      index++;
    }
    return null;
  }

  private static void connection(JsonNode cd, JsonNode observed, JsonNode desired, Map<String, String> secret,
      PipelineState state, String where) {
    String type = cd.path("type").asText(cd.has("fromConnectionSecretKey") ? "FromConnectionSecretKey"
        : cd.has("fromFieldPath") ? "FromFieldPath" : cd.has("value") ? "FromValue" : "");
    String name = cd.path("name").asText(cd.path("fromConnectionSecretKey").asText(null));
    Map<String, String> out = state.connectionDetails;
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
      case "FromGeneratedPassword" -> state.generatedPasswords.add(name);
      default -> throw new CompositionException("CompositionInvalid", where + ": connection detail " + name
          + " has unknown type '" + type + "' (use FromConnectionSecretKey, FromFieldPath, FromValue or"
          + " FromGeneratedPassword)");
    }
  }
}
