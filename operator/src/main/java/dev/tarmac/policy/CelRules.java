package dev.tarmac.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.NullValue;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.tarmac.api.OutputPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CEL rules of an output policy, compiled once (Google's CEL for Java, {@code dev.cel:cel}), evaluated with
 * Kubernetes ValidatingAdmissionPolicy's variables: {@code object}, {@code oldObject}, {@code request},
 * {@code params}, all dynamically typed. Evaluation is bounded: CEL's {@code comprehensionMaxIterations} caps each
 * macro's iterations, and a listener that CEL calls after every evaluated node stops the evaluation past
 * {@link #MAX_STEPS} nodes or {@link #DEADLINE} (this library has no runtime cost limit as Kubernetes' cel-go does;
 * counting evaluated nodes is its equivalent). An expression that does not compile is reported by {@link #compile};
 * one that fails, runs out of budget or yields no boolean at evaluation is reported by {@link #evaluate} (fail closed,
 * as ValidatingAdmissionPolicy's {@code failurePolicy: Fail}).
 */
public final class CelRules {

  /** Largest number of expression nodes one evaluation may evaluate. */
  public static final int MAX_STEPS = 100_000;
  /** Longest one evaluation may take. */
  public static final Duration DEADLINE = Duration.ofMillis(250);
  /** Longest expression, in code points (Kubernetes' limit for a CEL expression is 5,000 characters too). */
  public static final int MAX_EXPRESSION_LENGTH = 5_000;
  /** Iterations of one comprehension (all, exists, map, filter). */
  public static final int MAX_ITERATIONS = 10_000;

  /** The CEL environment, built on first use (a few hundred milliseconds): a policy without rules never pays it. */
  private static final class Env {
    static final Cel CEL = CelFactory.standardCelBuilder()
        .setOptions(CelOptions.current()
            .comprehensionMaxIterations(MAX_ITERATIONS)
            .maxExpressionCodePointSize(MAX_EXPRESSION_LENGTH)
            .maxParseRecursionDepth(100)
            .build())
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .addVar("object", SimpleType.DYN)
        .addVar("oldObject", SimpleType.DYN)
        .addVar("request", SimpleType.DYN)
        .addVar("params", SimpleType.DYN)
        .build();
  }

  /** One compiled rule: its program and its message program (either may be null when it did not compile). */
  record Compiled(OutputPolicy.Validation source, int index, CelRuntime.Program program,
      CelRuntime.Program messageProgram, String error) {
  }

  private final List<Compiled> rules;
  private final List<String> errors;

  private CelRules(List<Compiled> rules, List<String> errors) {
    this.rules = rules;
    this.errors = errors;
  }

  /**
   * Compiles the rules of a policy.
   *
   * @param validations the policy's {@code validations} (null or empty: no rules)
   * @return the compiled rules; {@link #errors()} lists the ones that do not compile
   */
  public static CelRules compile(List<OutputPolicy.Validation> validations) {
    List<Compiled> rules = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    if (validations != null) {
      for (int i = 0; i < validations.size(); i++) {
        OutputPolicy.Validation v = validations.get(i);
        String where = "validations[" + i + "]";
        if (v == null || v.expression == null || v.expression.isBlank()) {
          errors.add(where + ".expression is empty: write a CEL expression that is true for an allowed object");
          rules.add(new Compiled(v, i, null, null, "the expression is empty"));
          continue;
        }
        CelRuntime.Program program = null;
        String error = null;
        try {
          program = Env.CEL.createProgram(Env.CEL.compile(v.expression).getAst());
        } catch (CelValidationException | CelEvaluationException | RuntimeException e) {
          error = oneLine(e.getMessage());
          errors.add(where + ".expression does not compile: " + error);
        }
        CelRuntime.Program messageProgram = null;
        if (v.messageExpression != null && !v.messageExpression.isBlank()) {
          try {
            messageProgram = Env.CEL.createProgram(Env.CEL.compile(v.messageExpression).getAst());
          } catch (CelValidationException | CelEvaluationException | RuntimeException e) {
            errors.add(where + ".messageExpression does not compile: " + oneLine(e.getMessage()));
          }
        }
        rules.add(new Compiled(v, i, program, messageProgram, error));
      }
    }
    return new CelRules(List.copyOf(rules), List.copyOf(errors));
  }

  /** Why rules do not compile, each naming its {@code validations[i]} and what to change; empty when all compile. */
  public List<String> errors() {
    return errors;
  }

  /** The compiled rules, in order. */
  List<Compiled> rules() {
    return rules;
  }

  /** True when there are no rules. */
  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /**
   * One rule's verdict on one object.
   *
   * @param rule the rule
   * @param vars the variables ({@link #variables})
   * @return null when the rule holds, else why it does not (its message, or the evaluation error)
   */
  static String evaluate(Compiled rule, Map<String, Object> vars) {
    if (rule.program() == null) {
      return "the expression does not compile: " + rule.error();
    }
    Object result;
    try {
      result = eval(rule.program(), vars);
    } catch (CelEvaluationException | RuntimeException e) {
      return "the expression failed: " + oneLine(e.getMessage());
    }
    if (!(result instanceof Boolean)) {
      return "the expression yields " + typeName(result) + ", not a bool";
    }
    if ((Boolean) result) {
      return null;
    }
    if (rule.messageProgram() != null) {
      try {
        Object message = eval(rule.messageProgram(), vars);
        if (message instanceof String s && !s.isBlank()) {
          return oneLine(s);
        }
      } catch (CelEvaluationException | RuntimeException e) {
        // As ValidatingAdmissionPolicy: a failing messageExpression falls back to message.
      }
    }
    if (rule.source().message != null && !rule.source().message.isBlank()) {
      return oneLine(rule.source().message);
    }
    return "failed expression: " + oneLine(rule.source().expression);
  }

  private static Object eval(CelRuntime.Program program, Map<String, Object> vars) throws CelEvaluationException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    int[] steps = {0};
    return program.trace(vars, (expr, value) -> {
      if (++steps[0] > MAX_STEPS) {
        throw new BudgetExceeded("the evaluation exceeded its budget of " + MAX_STEPS + " steps: simplify the"
            + " expression");
      }
      if ((steps[0] & 0xff) == 0 && System.nanoTime() > deadline) {
        throw new BudgetExceeded("the evaluation took longer than " + DEADLINE.toMillis() + " ms: simplify the"
            + " expression");
      }
    });
  }

  /** Thrown from the evaluation listener to stop an evaluation that is over its budget. */
  private static final class BudgetExceeded extends RuntimeException {
    BudgetExceeded(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The CEL variables for one object.
   *
   * @param object the output object
   * @param oldObject the same object in the previous output, or null
   * @param request {@code {kind: {group, version, kind}, namespace, name, operation}}
   * @param params the request object itself
   */
  static Map<String, Object> variables(JsonNode object, JsonNode oldObject, Map<String, Object> request,
      Object params) {
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("object", value(object));
    vars.put("oldObject", value(oldObject));
    vars.put("request", request);
    vars.put("params", params);
    return vars;
  }

  /**
   * A JSON value as CEL sees it: objects as maps, arrays as lists, integers as int (long), other numbers as double,
   * null as CEL's null (a Java null would read as an unknown value). Also the input of function-cel-filter's
   * expressions (composition package).
   *
   * @param n any JSON value, or null
   * @return a CEL value: Map, List, Boolean, Long, Double, String or {@code NullValue.NULL_VALUE}
   */
  public static Object value(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return NullValue.NULL_VALUE;
    }
    if (n.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
        var e = it.next();
        m.put(e.getKey(), value(e.getValue()));
      }
      return Collections.unmodifiableMap(m);
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>(n.size());
      n.forEach(x -> l.add(value(x)));
      return Collections.unmodifiableList(l);
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isIntegralNumber() && n.canConvertToLong()) {
      return n.longValue();
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    return n.asText();
  }

  private static String typeName(Object o) {
    if (o == null) {
      return "nothing";
    }
    if (o instanceof String) {
      return "a string";
    }
    if (o instanceof Long || o instanceof Double) {
      return "a number";
    }
    if (o instanceof Map) {
      return "a map";
    }
    if (o instanceof List) {
      return "a list";
    }
    if (o instanceof NullValue) {
      return "null";
    }
    return "an unknown value (" + o.getClass().getSimpleName() + ")";
  }

  static String oneLine(String s) {
    if (s == null) {
      return "no message";
    }
    String line = s.replaceAll("\\s+", " ").trim();
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }
}
