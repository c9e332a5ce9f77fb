package dev.tarmac.pipeline;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.loader.StringLoader;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.Writer;
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
 * {@code name} and {@code namespace}. Sandboxed: templates come only from the configuration (no file or URL loader),
 * method calls on Java objects are refused, and a file's rendered size is capped (default 1 MiB).
 */
public final class TemplateStep implements BuiltInStep {

  private final PebbleEngine engine;
  private final int maxBytes;

  /** @param maxBytes largest rendered file, bytes */
  public TemplateStep(int maxBytes) {
    this.maxBytes = maxBytes;
    this.engine = new PebbleEngine.Builder()
        .loader(new StringLoader())
        .autoEscaping(false)
        .newLineTrimming(false)
        .strictVariables(true)
        .methodAccessValidator((object, method) -> false)
        .cacheActive(false)
        .build();
  }

  @Override
  public StepOutput run(JsonNode request, JsonNode with) {
    JsonNode files = with == null ? null : with.path("files");
    if (files == null || !files.isObject() || files.isEmpty()) {
      throw new PipelineException("tarmac/template needs with.files: a map of file path to template text");
    }
    Map<String, Object> values = values(request);
    StepOutput out = new StepOutput();
    for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext();) {
      var e = it.next();
      out.file(render(e.getKey(), e.getKey(), values), render(e.getKey(), e.getValue().asText(), values));
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

  private String render(String file, String template, Map<String, Object> values) {
    try {
      PebbleTemplate compiled = engine.getLiteralTemplate(template);
      BoundedWriter out = new BoundedWriter(maxBytes, file);
      compiled.evaluate(out, values);
      return out.toString();
    } catch (PebbleException | IOException e) {
      throw new PipelineException("tarmac/template: file " + file + " does not render: " + e.getMessage()
          .replace('\n', ' '), e);
    }
  }

  /** A writer that refuses to grow past a limit, so a runaway template cannot exhaust memory. */
  private static final class BoundedWriter extends Writer {
    private final StringBuilder sb = new StringBuilder();
    private final int max;
    private final String file;

    BoundedWriter(int max, String file) {
      this.max = max;
      this.file = file;
    }

    @Override
    public void write(char[] cbuf, int off, int len) throws IOException {
      if (sb.length() + len > max) {
        throw new IOException("rendered output of " + file + " is over the limit of " + max + " bytes");
      }
      sb.append(cbuf, off, len);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
      return sb.toString();
    }
  }
}
