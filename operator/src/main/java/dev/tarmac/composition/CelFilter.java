package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.tarmac.policy.CelRules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The behaviour of {@code function-cel-filter} (crossplane-contrib; input
 * {@code cel.fn.crossplane.io/v1beta1 Filters}): each {@code filters[]} entry has a {@code name}, a regular
 * expression matched against the whole composed resource name ({@code ^name$}), and a CEL {@code expression}; every
 * desired composed resource whose name matches a filter whose expression is false is dropped from the desired state.
 * Resources no filter matches are kept. Each expression is evaluated once, before any resource is dropped, over the
 * variables the function declares, shaped as the RunFunctionRequest's {@code State} and {@code context}:
 *
 * <ul>
 *   <li>{@code observed}: {@code {composite: {resource, connection_details}, resources: {NAME: {resource,
 *       connection_details}}}};
 *   <li>{@code desired}: the same shape with the desired state, plus {@code ready} per resource (0 unspecified, 1 true,
 *       2 false, the protobuf enum's numbers);
 *   <li>{@code context}: the pipeline context (the environment at {@code apiextensions.crossplane.io/environment}).
 * </ul>
 *
 * <p>Connection details are CEL {@code bytes}, as in the protobuf ({@code == b'admin'}). Errors: a name that is not a
 * regular expression or an expression that does not compile is {@code CompositionInvalid}; an expression that fails or
 * yields no bool or evaluates more than {@link #MAX_STEPS} expression nodes is {@code FunctionFailed}; both name the
 * step and the filter index.
 */
final class CelFilter {

  private static final class Env {
    static final Cel CEL = CelFactory.standardCelBuilder()
        .setOptions(CelOptions.current().comprehensionMaxIterations(10_000).maxExpressionCodePointSize(5_000)
            .build())
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .addVar("observed", SimpleType.DYN)
        .addVar("desired", SimpleType.DYN)
        .addVar("context", SimpleType.DYN)
        .build();
  }

  private CelFilter() {
  }

  /**
   * Runs the step over {@code state}.
   *
   * @param input the function input ({@code filters})
   * @param step how errors name the step
   * @throws CompositionException as described above
   */
  static void run(JsonNode input, PipelineState state, String step) {
    JsonNode filters = input.path("filters");
    Map<String, Object> vars = variables(state);
    List<Pattern> names = new ArrayList<>();
    List<Boolean> include = new ArrayList<>();
    for (int i = 0; i < filters.size(); i++) {
      JsonNode f = filters.get(i);
      String where = step + "filter " + i;
      try {
        names.add(Pattern.compile("^(?:" + f.path("name").asText() + ")$"));
      } catch (PatternSyntaxException e) {
        throw new CompositionException("CompositionInvalid", where + ": name '" + f.path("name").asText()
            + "' is not a regular expression: " + e.getDescription());
      }
      CelRuntime.Program program;
      try {
        program = Env.CEL.createProgram(Env.CEL.compile(f.path("expression").asText()).getAst());
      } catch (CelValidationException | CelEvaluationException | RuntimeException e) {
        throw new CompositionException("CompositionInvalid", where + ": expression '" + f.path("expression").asText()
            + "' does not compile: " + oneLine(e.getMessage()));
      }
      Object result;
      try {
        result = eval(program, vars);
      } catch (CelEvaluationException | RuntimeException e) {
        throw new CompositionException("FunctionFailed", where + ": cannot evaluate expression '"
            + f.path("expression").asText() + "': " + oneLine(e.getMessage()));
      }
      if (!(result instanceof Boolean b)) {
        throw new CompositionException("FunctionFailed", where + ": expression '" + f.path("expression").asText()
            + "' must return a bool");
      }
      include.add(b);
    }
    state.resources.keySet().removeIf(name -> {
      for (int i = 0; i < names.size(); i++) {
        if (names.get(i).matcher(name).matches() && !include.get(i)) {
          return true;
        }
      }
      return false;
    });
  }

  /** Largest number of expression nodes one evaluation may evaluate (as dev.tarmac.policy.CelRules bounds its own). */
  static final int MAX_STEPS = 100_000;

  private static Object eval(CelRuntime.Program program, Map<String, Object> vars) throws CelEvaluationException {
    int[] steps = {0};
    return program.trace(vars, (expr, value) -> {
      if (++steps[0] > MAX_STEPS) {
        throw new IllegalStateException("the evaluation exceeded its budget of " + MAX_STEPS + " steps: simplify the"
            + " expression");
      }
    });
  }

  private static Map<String, Object> variables(PipelineState s) {
    Map<String, Object> observed = new LinkedHashMap<>();
    observed.put("composite", Map.of("resource", CelRules.value(s.observedComposite), "connection_details", Map.of()));
    Map<String, Object> observedResources = new LinkedHashMap<>();
    s.observed.forEach((name, o) -> observedResources.put(name, Map.of("resource", CelRules.value(o), "connection_details",
        bytes(s.observedConnection.getOrDefault(name, Map.of())))));
    observed.put("resources", observedResources);
    Map<String, Object> desired = new LinkedHashMap<>();
    desired.put("composite", Map.of("resource", CelRules.value(s.desiredComposite), "connection_details",
        bytes(s.connectionDetails), "ready", (long) s.compositeReady.ordinal()));
    Map<String, Object> desiredResources = new LinkedHashMap<>();
    s.resources.forEach((name, d) -> desiredResources.put(name, Map.of("resource", CelRules.value(d.resource),
        "connection_details", Map.of(), "ready", (long) d.ready.ordinal())));
    desired.put("resources", desiredResources);
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("observed", observed);
    vars.put("desired", desired);
    vars.put("context", CelRules.value(s.context));
    return vars;
  }

  private static Map<String, Object> bytes(Map<String, String> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, ByteString.copyFromUtf8(v)));
    return out;
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "no message";
    }
    String line = s.replaceAll("\\s+", " ").trim();
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }
}
