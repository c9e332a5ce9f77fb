package dev.tarmac.render;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.node.expression.BinaryExpression;
import io.pebbletemplates.pebble.node.expression.EqualsExpression;
import io.pebbletemplates.pebble.node.expression.NotEqualsExpression;
import io.pebbletemplates.pebble.operator.Associativity;
import io.pebbletemplates.pebble.operator.BinaryOperator;
import io.pebbletemplates.pebble.operator.BinaryOperatorImpl;
import io.pebbletemplates.pebble.operator.BinaryOperatorType;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.EvaluationContextImpl;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import io.pebbletemplates.pebble.template.PebbleTemplateImpl;
import io.pebbletemplates.pebble.utils.OperatorUtils;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What makes Pebble render Backstage's templates as Backstage's Nunjucks does (Backstage's {@code SecureTemplater}:
 * Nunjucks with {@code ${{ }}} for values, {@code {% %}} for tags, {@code {# #}} for comments, no autoescape, no
 * trimBlocks). Only the parts Backstage's own templates use; the rest of Pebble is Pebble (docs/templates.md lists the
 * differences left):
 *
 * <ul>
 *   <li>{@link #preprocess}: {@code {% elif %}} is Pebble's {@code {% elseif %}}.</li>
 *   <li>{@code a + b}: JavaScript's {@code +}: numbers add, anything else concatenates as text, a missing value
 *       reading {@code undefined} (so {@code values.destination.owner + "/"} without a destination is
 *       {@code undefined/}, as in Backstage).</li>
 *   <li>{@code ===} and {@code !==}: Pebble's {@code ==} and {@code !=}.</li>
 *   <li>Filters ({@link #filters}): {@code dump} (JSON text, {@code dump(2)} indented), {@code replace(from, to[,
 *       count])} (Nunjucks' string form; Pebble's {@code replace({...})} map form still works), {@code default(v[,
 *       boolean])} (only a missing value takes the default, or any false-like one with {@code true}).</li>
 * </ul>
 */
public final class Nunjucks {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ELIF = Pattern.compile("(\\{%-?\\s*)elif\\b");

  private Nunjucks() {
  }

  /** The template text Pebble parses: Nunjucks' {@code elif} spelled {@code elseif}. Pure. */
  public static String preprocess(String template) {
    return template.contains("elif") ? ELIF.matcher(template).replaceAll("$1elseif") : template;
  }

  /** The operators above, to register with {@code allowOverrideCoreOperators}. */
  public static List<BinaryOperator> operators() {
    return List.of(
        new BinaryOperatorImpl("+", 40, JsAdd::new, BinaryOperatorType.NORMAL, Associativity.LEFT),
        new BinaryOperatorImpl("===", 30, EqualsExpression::new, BinaryOperatorType.NORMAL, Associativity.LEFT),
        new BinaryOperatorImpl("!==", 30, NotEqualsExpression::new, BinaryOperatorType.NORMAL, Associativity.LEFT));
  }

  /** The filters above by name; they replace Pebble's of the same name. */
  public static Map<String, Filter> filters() {
    return Map.of("dump", new Dump(), "replace", new Replace(), "default", new Default());
  }

  /**
   * A value as JavaScript's {@code String(v)} writes it: null is {@code undefined} (a missing value; JSON null cannot
   * be told apart), whole numbers without {@code .0}, lists joined with commas, objects {@code [object Object]}.
   */
  public static String jsString(Object v) {
    if (v == null) {
      return "undefined";
    }
    if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
      BigDecimal d = new BigDecimal(v.toString());
      return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
    }
    if (v instanceof Map<?, ?>) {
      return "[object Object]";
    }
    if (v instanceof Collection<?> c) {
      return c.stream().map(i -> i == null ? "" : jsString(i)).collect(Collectors.joining(","));
    }
    return v.toString();
  }

  /** {@code a + b} as JavaScript: numbers add, otherwise text. */
  static final class JsAdd extends BinaryExpression<Object> {
    @Override
    public Object evaluate(PebbleTemplateImpl self, EvaluationContextImpl context) {
      Object left = getLeftExpression().evaluate(self, context);
      Object right = getRightExpression().evaluate(self, context);
      RenderState state = RenderState.current();
      state.tick();
      if (left instanceof Number && right instanceof Number) {
        return OperatorUtils.add(left, right);
      }
      if (state.weight(left) + state.weight(right) > state.limits.maxChars()) {
        throw new TemplateLimitException("a concatenation (+) on line " + getLineNumber() + " is over "
            + state.limits.maxChars() + " characters, the limit of one value: build smaller values");
      }
      return jsString(left) + jsString(right);
    }
  }

  /** {@code dump}: JSON text of the value ({@code JSON.stringify}); a missing value prints nothing. */
  static final class Dump implements Filter {
    @Override
    public List<String> getArgumentNames() {
      return List.of("spaces");
    }

    @Override
    public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext context,
        int line) {
      if (input == null) {
        return null;
      }
      try {
        Object spaces = args.get("spaces");
        if (spaces instanceof Number n && n.intValue() > 0) {
          var indent = new com.fasterxml.jackson.core.util.DefaultIndenter(" ".repeat(Math.min(10, n.intValue())),
              "\n");
          var printer = new com.fasterxml.jackson.core.util.DefaultPrettyPrinter()
              .withSeparators(com.fasterxml.jackson.core.util.Separators.createDefaultInstance()
                  .withObjectFieldValueSpacing(com.fasterxml.jackson.core.util.Separators.Spacing.AFTER))
              .withObjectIndenter(indent).withArrayIndenter(indent);
          return JSON.writer(printer).writeValueAsString(input);
        }
        return JSON.writeValueAsString(input);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("dump on line " + line + ": " + e.getOriginalMessage());
      }
    }
  }

  /**
   * {@code replace(from, to[, count])}: every occurrence of {@code from} (text, not a pattern), or the first
   * {@code count}; {@code replace({a: b, ...})} is Pebble's (handled before this by the sandbox).
   */
  static final class Replace implements Filter {
    @Override
    public List<String> getArgumentNames() {
      return List.of("replace_pairs", "to", "count");
    }

    @Override
    public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext context,
        int line) {
      if (input == null) {
        return null;
      }
      String text = jsString(input);
      Object from = args.get("replace_pairs");
      if (from instanceof Map<?, ?> pairs) {
        for (Map.Entry<?, ?> p : pairs.entrySet()) {
          text = text.replace(String.valueOf(p.getKey()), String.valueOf(p.getValue()));
        }
        return text;
      }
      String f = from == null ? "" : jsString(from);
      String to = args.get("to") == null ? "" : jsString(args.get("to"));
      long max = args.get("count") instanceof Number n ? n.longValue() : -1;
      RenderState state = RenderState.current();
      long limit = state.limits.maxChars();
      if (f.isEmpty()) {
        // Nunjucks puts the replacement between every character (and at both ends).
        if ((long) text.length() * (to.length() + 1) + to.length() > limit) {
          throw new TemplateLimitException("the output of filter replace on line " + line + " would be over " + limit
              + " characters, the limit of one value");
        }
        StringBuilder out = new StringBuilder(to);
        for (char c : text.toCharArray()) {
          out.append(c).append(to);
        }
        return out.toString();
      }
      StringBuilder out = new StringBuilder();
      int at = 0;
      long done = 0;
      int next;
      while ((max < 0 || done < max) && (next = text.indexOf(f, at)) >= 0) {
        out.append(text, at, next).append(to);
        at = next + f.length();
        done++;
        if (out.length() > limit) {
          throw new TemplateLimitException("the output of filter replace on line " + line + " would be over "
              + limit + " characters, the limit of one value");
        }
      }
      return out.append(text.substring(at)).toString();
    }
  }

  /** {@code default(v[, boolean])}: Nunjucks' default, which keeps an empty string (Pebble's does not). */
  static final class Default implements Filter {
    @Override
    public List<String> getArgumentNames() {
      return List.of("default", "boolean");
    }

    @Override
    public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext context,
        int line) {
      Object fallback = args.get("default");
      if (Boolean.TRUE.equals(args.get("boolean"))) {
        boolean falsy = input == null || Boolean.FALSE.equals(input) || "".equals(input)
            || input instanceof Number n && n.doubleValue() == 0;
        return falsy ? fallback : input;
      }
      return input == null ? fallback : input;
    }
  }
}
