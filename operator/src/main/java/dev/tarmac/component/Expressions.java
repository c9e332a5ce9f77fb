package dev.tarmac.component;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.render.BoundedRenderer;
import dev.tarmac.render.RenderLimits;
import dev.tarmac.render.TemplateLimitException;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.lexer.Syntax;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Backstage scaffolder expressions, {@code ${{ parameters.name }}}, {@code ${{ steps['id'].output.x }}},
 * {@code ${{ values.x }}} with the filters {@code parseRepoUrl}, {@code pick}, {@code projectSlug}, {@code lower},
 * {@code upper}; rendered by Pebble with Backstage's delimiters through {@link BoundedRenderer}: templates come only
 * from the Template (string loader), method calls on Java objects are refused, and each string renders within
 * {@link RenderLimits} (time, output, value sizes, ranges, nesting).
 * A value that is exactly one expression keeps its type, as in Backstage; a value containing {@code ${{ }}} is
 * rendered once, never evaluated again.
 */
public final class Expressions {

  private static final Pattern SINGLE = Pattern.compile("^\\$\\{\\{\\s*(.+?)\\s*}}$", Pattern.DOTALL);
  private final BoundedRenderer renderer;

  /** @param maxChars the longest rendered string, characters; the other limits are {@link RenderLimits#DEFAULT} */
  public Expressions(int maxChars) {
    this(RenderLimits.DEFAULT.withMaxChars(maxChars));
  }

  /** @param limits the bounds of each rendered string */
  public Expressions(RenderLimits limits) {
    this.renderer = new BoundedRenderer(limits, new Syntax.Builder().setPrintOpenDelimiter("${{")
        .setPrintCloseDelimiter("}}").setExecuteOpenDelimiter("${%").setExecuteCloseDelimiter("%}")
        .setCommentOpenDelimiter("${#").setCommentCloseDelimiter("#}").setEnableNewLineTrimming(false).build(),
        false, Map.of("parseRepoUrl", new ParseRepoUrl(), "projectSlug", new ProjectSlug(), "pick", new Pick()));
  }

  /**
   * Renders every string in {@code input} (objects and arrays are walked) with {@code context}.
   *
   * @throws IllegalArgumentException when an expression does not render; the message names it
   * @throws TemplateLimitException when an expression breaks a {@link RenderLimits} limit
   */
  public JsonNode render(JsonNode input, Map<String, Object> context) {
    if (input == null) {
      return null;
    }
    if (input.isTextual()) {
      Matcher single = SINGLE.matcher(input.asText());
      if (single.matches() && !single.group(1).contains("}}")) {
        Object value = evaluate(single.group(1), context);
        return Serialization.JSON.valueToTree(value);
      }
      return Serialization.JSON.getNodeFactory().textNode(renderString(input.asText(), context));
    }
    if (input.isObject()) {
      ObjectNode out = Serialization.JSON.createObjectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = input.fields(); it.hasNext();) {
        var e = it.next();
        out.set(e.getKey(), render(e.getValue(), context));
      }
      return out;
    }
    if (input.isArray()) {
      ArrayNode out = Serialization.JSON.createArrayNode();
      input.forEach(n -> out.add(render(n, context)));
      return out;
    }
    return input;
  }

  /**
   * Renders {@code template} to a string.
   *
   * @throws IllegalArgumentException when it does not render
   * @throws TemplateLimitException when it breaks a {@link RenderLimits} limit
   */
  public String renderString(String template, Map<String, Object> context) {
    return renderString(template, context, "expression '" + abbreviate(template) + "'");
  }

  /**
   * Renders {@code template} to a string; {@code what} names it in messages (e.g. {@code skeleton file README.md}).
   *
   * @throws IllegalArgumentException when it does not render
   * @throws TemplateLimitException when it breaks a {@link RenderLimits} limit
   */
  public String renderString(String template, Map<String, Object> context, String what) {
    if (!template.contains("${{") && !template.contains("${%")) {
      return template;
    }
    try {
      return renderer.render(template, context, what);
    } catch (PebbleException e) {
      throw new IllegalArgumentException(what + " does not render: " + String.valueOf(e.getMessage())
          .replace('\n', ' '));
    }
  }

  private static final Pattern PATH = Pattern.compile(
      "[A-Za-z_]\\w*(?:\\.[A-Za-z_][\\w-]*|\\['[^']+'\\]|\\[\"[^\"]+\"\\])*");
  private static final Pattern SEGMENT = Pattern.compile("\\.?([A-Za-z_][\\w-]*)|\\['([^']+)'\\]|\\[\"([^\"]+)\"\\]");

  /** A lone variable path keeps its value's type; anything else (filters, operators) renders to text. */
  private Object evaluate(String expression, Map<String, Object> context) {
    if (PATH.matcher(expression).matches()) {
      Object node = context;
      Matcher m = SEGMENT.matcher(expression);
      while (m.find()) {
        String key = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        node = node instanceof Map<?, ?> map ? map.get(key) : null;
        if (node == null) {
          return "";
        }
      }
      return node;
    }
    return renderString("${{ " + expression + " }}", context);
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  /** {@code parseRepoUrl}: {@code github.com?owner=o&repo=r} → {@code {host, owner, repo, organization, project}}. */
  static final class ParseRepoUrl implements Filter {
    @Override
    public List<String> getArgumentNames() {
      return List.of();
    }

    @Override
    public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext ctx,
        int line) {
      String url = String.valueOf(input);
      Map<String, Object> out = new LinkedHashMap<>();
      int q = url.indexOf('?');
      out.put("host", q < 0 ? url : url.substring(0, q));
      if (q >= 0) {
        for (String pair : url.substring(q + 1).split("&")) {
          int eq = pair.indexOf('=');
          if (eq > 0) {
            out.put(pair.substring(0, eq), pair.substring(eq + 1));
          }
        }
      }
      return out;
    }
  }

  /** {@code projectSlug}: {@code github.com?owner=o&repo=r} → {@code o/r}. */
  static final class ProjectSlug implements Filter {
    @Override
    public List<String> getArgumentNames() {
      return List.of();
    }

    @Override
    public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext ctx,
        int line) {
      @SuppressWarnings("unchecked")
      Map<String, Object> parsed = (Map<String, Object>) new ParseRepoUrl().apply(input, args, self, ctx, line);
      return parsed.getOrDefault("owner", parsed.getOrDefault("organization", "")) + "/" + parsed.getOrDefault("repo",
          "");
    }
  }

  /** {@code pick('key')}: one field of a map. */
  static final class Pick implements Filter {
    @Override
    public List<String> getArgumentNames() {
      return List.of("key");
    }

    @Override
    public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext ctx,
        int line) {
      return input instanceof Map<?, ?> m ? m.get(String.valueOf(args.get("key"))) : null;
    }
  }

  /** Converts a JSON tree to plain Java values for Pebble. */
  public static Map<String, Object> plain(JsonNode node) {
    return Serialization.JSON.convertValue(node == null ? Serialization.JSON.createObjectNode() : node,
        new TypeReference<>() { });
  }
}
