package dev.tarmac.pipeline;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.render.BoundedRenderer;
import dev.tarmac.render.RenderBudget;
import dev.tarmac.render.RenderLimits;
import dev.tarmac.render.TemplateLimitException;
import io.pebbletemplates.pebble.error.PebbleException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Built-in step {@code tarmac/template}: renders files with the request as values, through Pebble (a well-kept
 * template library). Configuration:
 * <pre>
 * - name: render
 *   image: tarmac/template
 *   with:
 *     files:
 *       namespace.yaml: |
 *         apiVersion: v1
 *         kind: Namespace
 *         metadata: {name: "{{ spec.namespaceName }}"}
 * </pre>
 * Values: {@code request} (the whole object), and its {@code metadata}, {@code spec} and {@code status}; also
 * {@code name} and {@code namespace}. Sandboxed ({@link BoundedRenderer}): templates come only from the configuration
 * (no file or URL loader), method calls on Java objects are refused, each file renders within {@link RenderLimits}
 * (default 1 MiB, 2 s, ranges of 10,000 items) and all files of one run within the totals (16 MiB, 10 s). A breach
 * fails the step ({@link PipelineException} naming the file and the limit), never the operator.
 */
public final class TemplateStep implements BuiltInStep {

  private final BoundedRenderer renderer;

  /** @param maxBytes largest rendered file, characters; the other limits are {@link RenderLimits#DEFAULT} */
  public TemplateStep(int maxBytes) {
    this(RenderLimits.DEFAULT.withMaxChars(maxBytes));
  }

  /** @param limits the bounds of each file's render and of one run's files together */
  public TemplateStep(RenderLimits limits) {
    this.renderer = new BoundedRenderer(limits, null, true, Map.of());
  }

  @Override
  public StepOutput run(JsonNode request, JsonNode with) {
    JsonNode files = with == null ? null : with.path("files");
    if (files == null || !files.isObject() || files.isEmpty()) {
      throw new PipelineException("tarmac/template needs with.files: a map of file path to template text");
    }
    Map<String, Object> values = values(request);
    StepOutput out = new StepOutput();
    try (RenderBudget budget = RenderBudget.open(renderer.limits())) {
      for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext();) {
        var e = it.next();
        out.file(render(e.getKey(), "the name of file " + e.getKey(), e.getKey(), values),
            render(e.getKey(), "file " + e.getKey(), e.getValue().asText(), values));
      }
    }
    return out;
  }

  /** The values a template sees. */
  static Map<String, Object> values(JsonNode request) {
    Map<String, Object> object = Serialization.JSON.convertValue(request, new TypeReference<>() { });
    Map<String, Object> values = new HashMap<>();
    values.put("request", object);
    values.put("metadata", object.getOrDefault("metadata", Map.of()));
    values.put("spec", object.getOrDefault("spec", Map.of()));
    values.put("status", object.getOrDefault("status", Map.of()));
    values.put("name", request.path("metadata").path("name").asText());
    values.put("namespace", request.path("metadata").path("namespace").asText());
    return values;
  }

  private String render(String file, String what, String template, Map<String, Object> values) {
    try {
      return renderer.render(template, values, what);
    } catch (TemplateLimitException e) {
      throw new PipelineException("tarmac/template: " + e.getMessage(), e);
    } catch (PebbleException e) {
      throw new PipelineException("tarmac/template: file " + file + " does not render: " + String.valueOf(
          e.getMessage()).replace('\n', ' '), e);
    }
  }
}
