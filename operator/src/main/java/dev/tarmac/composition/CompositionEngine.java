package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Applies a Composition to a composite. Pure: plain JSON in, plain JSON out, no I/O.
 *
 * <p>Two modes, as in Crossplane:
 * <ul>
 *   <li>mode {@code Resources} ({@code spec.resources}; Crossplane v1 and Tarmac Compositions): Crossplane's native
 *   patch-and-transform ({@link PatchAndTransform}, legacy semantics), with Tarmac's enforced defaults and
 *   {@code FromGeneratedPassword};
 *   <li>mode {@code Pipeline} ({@code spec.pipeline}; also a Composition with a pipeline and no mode, as Crossplane v2
 *   writes them): the steps run in order over one desired state; each step sees the observed state and the desired
 *   state the previous steps produced, and the result is the desired state after the last step. Tarmac runs these
 *   functions in-process ({@link #FUNCTIONS}); see {@link #function} for the dispatch rule. A step with any other
 *   function fails the whole compose with {@code FunctionNotSupported} before any step runs: nothing partial.
 * </ul>
 *
 * <p>Readiness, Crossplane's rule: a composed resource is ready when the pipeline marked it ready (its readiness checks
 * passed in patch-and-transform, or function-auto-ready found it ready); the composite is ready when every desired
 * composed resource is ready and no step marked the composite not ready. In mode Resources a resource without
 * readiness checks is also ready when it has no status conditions at all (Tarmac's rule for plain Kubernetes objects).
 *
 * <p>Enforced defaults: values the base sets and no patch touches cannot be changed by a claim. A platform team can
 * also list {@code enforcedFields} on a resource template (a Tarmac extension): a patch that would write one of them
 * is refused with an error naming the resource and the patch index.
 */
public final class CompositionEngine {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** The well-known function names Tarmac runs in-process, in the order of {@link #function}'s checks. */
  public static final List<String> FUNCTIONS = List.of("function-patch-and-transform", "function-auto-ready",
      "function-cel-filter", "function-environment-configs");

  /** A desired resource's readiness as a function pipeline sets it (Crossplane's {@code Ready} enum). */
  public enum Readiness {
    /** No step said (Crossplane then treats the resource as not ready). */
    UNSPECIFIED,
    /** Ready. */
    TRUE,
    /** Explicitly not ready. */
    FALSE
  }

  /**
   * One composed resource.
   *
   * @param name the resource template's name (the composition resource name)
   * @param resource the desired object
   * @param ready whether it is ready: the observed object passes the readiness checks (mode Resources) or the pipeline
   *     marked it ready (mode Pipeline); false when not observed
   * @param message why it is not ready (null when ready)
   * @param readiness the readiness the pipeline set (in mode Resources TRUE when ready, else UNSPECIFIED)
   */
  public record Composed(String name, ObjectNode resource, boolean ready, String message, Readiness readiness) {
    /** A composed resource whose readiness follows {@code ready}. */
    public Composed(String name, ObjectNode resource, boolean ready, String message) {
      this(name, resource, ready, message, ready ? Readiness.TRUE : Readiness.UNSPECIFIED);
    }
  }

  /**
   * What applying a Composition gives.
   *
   * @param resources the composed resources, in template order (in a pipeline: the order they were first added)
   * @param composite fields to write back onto the composite (an object with e.g. {@code status: {...}}): the desired
   *     composite
   * @param connectionDetails connection details known now (name → value)
   * @param generatedPasswords names of connection details whose value is a generated password (Tarmac extension
   *     {@code type: FromGeneratedPassword}); the reconciler keeps the value stable in the connection Secret
   * @param compositeReadiness the composite's readiness as a step set it: FALSE when patch-and-transform held a
   *     resource back (a Required source missing), else UNSPECIFIED
   * @param environment the Composition environment after the last step (the one passed in, changed by environment
   *     patches; empty when none)
   * @param warnings what steps reported without failing (Crossplane's Warning results), each naming the step;
   *     reconcilers may emit them as Events
   */
  public record Result(List<Composed> resources, ObjectNode composite, Map<String, String> connectionDetails,
      List<String> generatedPasswords, Readiness compositeReadiness, ObjectNode environment, List<String> warnings) {

    /** A result without pipeline extras (composite readiness unspecified, empty environment, no warnings). */
    public Result(List<Composed> resources, ObjectNode composite, Map<String, String> connectionDetails,
        List<String> generatedPasswords) {
      this(resources, composite, connectionDetails, generatedPasswords, Readiness.UNSPECIFIED, F.objectNode(),
          List.of());
    }

    /** True when every composed resource is ready and no step marked the composite not ready. */
    public boolean ready() {
      return compositeReadiness != Readiness.FALSE && resources.stream().allMatch(Composed::ready);
    }
  }

  private CompositionEngine() {
  }

  /**
   * True when {@code spec} is a function pipeline: {@code mode: Pipeline}, or no mode and a {@code pipeline} without
   * {@code resources} (Crossplane v2 has only mode Pipeline and defaults to it).
   */
  public static boolean isPipeline(JsonNode spec) {
    String mode = spec.path("mode").asText("");
    if (!mode.isEmpty()) {
      return "Pipeline".equals(mode);
    }
    return spec.has("pipeline") && !spec.has("resources");
  }

  /**
   * The well-known function a pipeline step runs, or null when Tarmac does not run it. Dispatch rule: the step's
   * {@code functionRef.name} contains the well-known name ({@code function-patch-and-transform},
   * {@code function-auto-ready}, {@code function-cel-filter}, {@code function-environment-configs}) — so a package
   * installed as {@code crossplane-contrib-function-patch-and-transform} or {@code upbound-function-auto-ready} matches
   * — or the step's {@code input} has the function's input apiVersion group and kind ({@code pt.fn.crossplane.io}
   * {@code Resources}, {@code autoready.fn.crossplane.io} {@code Input}, {@code cel.fn.crossplane.io} {@code Filters},
   * {@code environmentconfigs.fn.crossplane.io} {@code Input}). When the name matches and the input has a
   * {@code kind}, the input must be that function's input: a name and an input that disagree is not run.
   *
   * @param step one {@code spec.pipeline[]} entry
   * @return one of {@link #FUNCTIONS}, or null
   */
  public static String function(JsonNode step) {
    String name = step.path("functionRef").path("name").asText("");
    String byName = null;
    for (String f : FUNCTIONS) {
      if (name.contains(f)) {
        byName = f;
        break;
      }
    }
    JsonNode input = step.path("input");
    if (!input.hasNonNull("kind")) {
      return byName;
    }
    String group = input.path("apiVersion").asText("").split("/")[0];
    String byInput = switch (group + " " + input.path("kind").asText()) {
      case "pt.fn.crossplane.io Resources" -> FUNCTIONS.get(0);
      case "autoready.fn.crossplane.io Input" -> FUNCTIONS.get(1);
      case "cel.fn.crossplane.io Filters" -> FUNCTIONS.get(2);
      case "environmentconfigs.fn.crossplane.io Input" -> FUNCTIONS.get(3);
      default -> null;
    };
    // A name and an input that disagree (function-patch-and-transform with a GoTemplate input) is not run.
    return byName == null ? byInput : byName.equals(byInput) ? byName : null;
  }

  /**
   * The resource templates of a Composition spec: the spec itself in mode Resources, else the input of its first
   * function-patch-and-transform step (an empty object when it has none).
   *
   * @deprecated a pipeline may hold several steps; use {@link #compose}
   */
  @Deprecated
  public static JsonNode templates(JsonNode spec) {
    if (!isPipeline(spec)) {
      return spec;
    }
    for (JsonNode step : spec.path("pipeline")) {
      if (FUNCTIONS.get(0).equals(function(step))) {
        return step.path("input");
      }
    }
    return F.objectNode();
  }

  /**
   * Applies {@code composition} (its {@code spec}) to {@code composite}, with an empty environment.
   *
   * @param composite the composite (a claim, XR or request) as JSON: the observed composite
   * @param compositionSpec the Composition's spec (Tarmac's or Crossplane's)
   * @param observed the composed resources as they are in the cluster, by composition resource name (may be empty)
   * @param observedConnection connection secret data of composed resources, by template name (may be empty)
   * @throws CompositionException naming the resource and the patch index when a patch or transform cannot apply;
   *     {@code FunctionNotSupported} naming the step and the function when a pipeline step runs a function Tarmac does
   *     not run (nothing is returned then)
   */
  public static Result compose(JsonNode composite, JsonNode compositionSpec, Map<String, JsonNode> observed,
      Map<String, Map<String, String>> observedConnection) {
    return compose(composite, compositionSpec, observed, observedConnection, F.objectNode(), Map.of());
  }

  /**
   * Applies a Composition with a Composition environment.
   *
   * @param environment the Composition environment (in Crossplane the merged {@code data} of the selected
   *     EnvironmentConfigs), read by {@code FromEnvironmentFieldPath}/{@code CombineFromEnvironment} patches and the
   *     input's {@code environment.patches}; it is in the pipeline context at
   *     {@code apiextensions.crossplane.io/environment}. Not changed; the environment after the last step is
   *     {@link Result#environment()}. Null means empty.
   * @see #compose(JsonNode, JsonNode, Map, Map)
   */
  public static Result compose(JsonNode composite, JsonNode compositionSpec, Map<String, JsonNode> observed,
      Map<String, Map<String, String>> observedConnection, ObjectNode environment) {
    return compose(composite, compositionSpec, observed, observedConnection, environment, Map.of());
  }

  /**
   * Applies a Composition with a Composition environment and the EnvironmentConfigs a
   * {@code function-environment-configs} step may select.
   *
   * @param environmentConfigs the EnvironmentConfig objects ({@code apiextensions.crossplane.io}
   *     {@code EnvironmentConfig}: {@code metadata.name}, {@code metadata.labels}, {@code data}) by name; the
   *     reconciler
   *     reads them from the cluster. Empty when the Composition has no such step.
   * @see #compose(JsonNode, JsonNode, Map, Map, ObjectNode)
   */
  public static Result compose(JsonNode composite, JsonNode compositionSpec, Map<String, JsonNode> observed,
      Map<String, Map<String, String>> observedConnection, ObjectNode environment,
      Map<String, JsonNode> environmentConfigs) {
    PipelineState state = new PipelineState(composite, observed, observedConnection, environment);
    boolean pipeline = isPipeline(compositionSpec);
    if (!pipeline) {
      PatchAndTransform.run(compositionSpec, state, true, "");
    } else {
      JsonNode steps = compositionSpec.path("pipeline");
      if (!steps.isArray() || steps.isEmpty()) {
        throw new CompositionException("CompositionInvalid", "mode Pipeline needs spec.pipeline with at least one"
            + " step");
      }
      List<String> functions = new ArrayList<>();
      for (int i = 0; i < steps.size(); i++) {
        JsonNode step = steps.get(i);
        String fn = function(step);
        if (fn == null) {
          String ref = step.path("functionRef").path("name").asText("");
          throw new CompositionException("FunctionNotSupported", "pipeline step '" + stepName(step, i) + "' runs "
              + (ref.isEmpty() ? "no functionRef.name" : "function '" + ref + "'")
              + (step.path("input").has("kind") ? " (input " + step.path("input").path("apiVersion").asText() + " "
                  + step.path("input").path("kind").asText() + ")" : "")
              + ", which Tarmac does not run; Tarmac runs " + String.join(", ", FUNCTIONS) + " in-process (a"
              + " functionRef.name containing one of these names, or that function's input kind). Rewrite the step"
              + " with these functions; nothing of this Composition was applied");
        }
        functions.add(fn);
      }
      for (int i = 0; i < steps.size(); i++) {
        JsonNode step = steps.get(i);
        String where = "pipeline step '" + stepName(step, i) + "' (" + functions.get(i) + "): ";
        switch (functions.get(i)) {
          case "function-patch-and-transform" -> PatchAndTransform.run(step.path("input"), state, false, where);
          case "function-auto-ready" -> AutoReady.run(state);
          case "function-cel-filter" -> CelFilter.run(step.path("input"), state, where);
          case "function-environment-configs" -> EnvironmentConfigs.run(step.path("input"), state, environmentConfigs,
              where);
          default -> throw new IllegalStateException(functions.get(i));
        }
      }
    }
    List<Composed> resources = new ArrayList<>();
    state.resources.forEach((name, d) -> {
      boolean ready = d.ready == Readiness.TRUE;
      String message = ready ? null : d.message != null ? d.message
          : d.ready == Readiness.FALSE ? "a pipeline step marked it not ready"
          : "no pipeline step marked it ready (add readinessChecks or a function-auto-ready step)";
      resources.add(new Composed(name, d.resource, ready, message, d.ready));
    });
    return new Result(List.copyOf(resources), state.desiredComposite, state.connectionDetails,
        List.copyOf(state.generatedPasswords), state.compositeReady, state.environment(),
        List.copyOf(state.warnings));
  }

  private static String stepName(JsonNode step, int index) {
    return step.path("step").asText("pipeline[" + index + "]");
  }

  /** Null when ready; otherwise why not (mode Resources' rules: without checks, no conditions at all is ready). */
  static String readiness(JsonNode checks, JsonNode observed) {
    return PatchAndTransform.readiness(checks, observed, true);
  }
}
