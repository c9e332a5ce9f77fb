package dev.tarmac.component;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.tarmac.render.BoundedRenderer;
import dev.tarmac.render.Nunjucks;
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
 * Backstage scaffolder expressions, rendered as Backstage's Nunjucks renders them: {@code ${{ parameters.name }}},
 * {@code ${{ steps['id'].output.x }}}, {@code ${{ values.x }}}, tags {@code {% if %}}/{@code {% elif %}}/
 * {@code {% else %}}/{@code {% for %}} with whitespace control ({@code {%-}, {@code -%}}), comments {@code {# #}};
 * Backstage's filters {@code parseRepoUrl}, {@code pick}, {@code projectSlug} and Nunjucks' {@code dump},
 * {@code replace}, {@code default} ({@link Nunjucks}), Pebble's others ({@code lower}, {@code upper}, ...).
 * Tarmac's earlier {@code ${% %}} and {@code ${# #}} still read as tags and comments. Rendered by Pebble through
 * {@link BoundedRenderer}: templates come only from the Template (string loader), method calls on Java objects are
 * refused, and each string renders within {@link RenderLimits} (time, output, value sizes, ranges, nesting).
 * A value that is exactly one expression keeps its type, as in Backstage (a path is looked up; anything else is
 * rendered through {@code dump} and parsed back); one naming nothing is left out of its object (Backstage's
 * undefined). A value containing {@code ${{ }}} is rendered once, never evaluated again.
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
    Map<String, Filter> filters = new LinkedHashMap<>(Nunjucks.filters());
    filters.put("parseRepoUrl", new ParseRepoUrl());
    filters.put("projectSlug", new ProjectSlug());
    filters.put("pick", new Pick());
    this.renderer = new BoundedRenderer(limits, new Syntax.Builder().setPrintOpenDelimiter("${{")
        .setPrintCloseDelimiter("}}").setExecuteOpenDelimiter("{%").setExecuteCloseDelimiter("%}")
        .setCommentOpenDelimiter("{#").setCommentCloseDelimiter("#}").setWhitespaceTrim("-")
        .setEnableNewLineTrimming(false).build(), false, filters, Nunjucks.operators());
  }

  /**
   * The text Pebble parses: Tarmac's earlier tag delimiters {@code ${% %}} and {@code ${# #}} read as Backstage's
   * {@code {% %}} and {@code {# #}}, and Nunjucks' {@code elif} as Pebble's {@code elseif}. Pure.
   */
  static String preprocess(String template) {
    String t = template.contains("${%") || template.contains("${#")
        ? template.replace("${%", "{%").replace("${#", "{#") : template;
    return Nunjucks.preprocess(t);
  }

  /** Whether {@code text} holds anything the renderer would change (a value, a tag or a comment). */
  static boolean isTemplated(String text) {
    return text.contains("${{") || text.contains("{%") || text.contains("{#");
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
        return value == null ? MissingNode.getInstance() : Serialization.JSON.valueToTree(value);
      }
      return Serialization.JSON.getNodeFactory().textNode(renderString(input.asText(), context));
    }
    if (input.isObject()) {
      ObjectNode out = Serialization.JSON.createObjectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = input.fields(); it.hasNext();) {
        var e = it.next();
        JsonNode v = render(e.getValue(), context);
        // A lone expression of a missing value is JavaScript's undefined in Backstage: the key is left out.
        if (!v.isMissingNode()) {
          out.set(e.getKey(), v);
        }
      }
      return out;
    }
    if (input.isArray()) {
      ArrayNode out = Serialization.JSON.createArrayNode();
      input.forEach(n -> {
        JsonNode v = render(n, context);
        out.add(v.isMissingNode() ? Serialization.JSON.getNodeFactory().nullNode() : v);
      });
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
    if (!isTemplated(template)) {
      return template;
    }
    try {
      return renderer.render(preprocess(template), context, what);
    } catch (PebbleException e) {
      throw new IllegalArgumentException(what + " does not render: " + String.valueOf(e.getMessage())
          .replace('\n', ' '));
    }
  }

  private static final Pattern PATH = Pattern.compile(
      "[A-Za-z_]\\w*(?:\\.[A-Za-z_][\\w-]*|\\['[^']+'\\]|\\[\"[^\"]+\"\\])*");
  private static final Pattern SEGMENT = Pattern.compile("\\.?([A-Za-z_][\\w-]*)|\\['([^']+)'\\]|\\[\"([^\"]+)\"\\]");

  /**
   * A lone variable path keeps its value's type (null when it names nothing: Backstage's undefined); anything else
   * (filters, operators) renders to text.
   */
  private Object evaluate(String expression, Map<String, Object> context) {
    if (PATH.matcher(expression).matches()) {
      Object node = context;
      Matcher m = SEGMENT.matcher(expression);
      while (m.find()) {
        String key = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        node = node instanceof Map<?, ?> map ? map.get(key) : null;
        if (node == null) {
          return null;
        }
      }
      return node;
    }
    // As Backstage does: the value's JSON text (dump), parsed back, so `repoUrl | parseRepoUrl` is an object.
    String json = renderString("${{ (" + expression + ") | dump }}", context, "expression '"
        + abbreviate("${{ " + expression + " }}") + "'");
    if (json.isEmpty()) {
      return null;
    }
    try {
      return Serialization.JSON.readValue(json, Object.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return json;
    }
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
