package dev.tarmac.component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.tarmac.api.Serialization;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Template's parameters (Backstage: one JSON Schema object or a list of pages, each with {@code properties} and
 * {@code required}; {@code ui:*} keys kept and ignored) as one JSON Schema, and the validation of a Component's
 * values against it with networknt's json-schema-validator (draft 2020-12). Defaults are filled in first.
 */
public final class ParameterSchema {

  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private ParameterSchema() {
  }

  /** The pages merged into one object schema, {@code ui:*} keys removed. */
  public static ObjectNode merge(JsonNode parameters) {
    ObjectNode schema = Serialization.JSON.createObjectNode().put("type", "object");
    ObjectNode properties = schema.putObject("properties");
    Set<String> required = new LinkedHashSet<>();
    List<JsonNode> pages = new ArrayList<>();
    if (parameters != null && parameters.isArray()) {
      parameters.forEach(pages::add);
    } else if (parameters != null && parameters.isObject()) {
      pages.add(parameters);
    }
    for (JsonNode page : pages) {
      page.path("properties").fields().forEachRemaining(e -> properties.set(e.getKey(), stripUi(e.getValue())));
      page.path("required").forEach(r -> required.add(r.asText()));
    }
    ArrayNode req = schema.putArray("required");
    required.forEach(req::add);
    return schema;
  }

  private static JsonNode stripUi(JsonNode node) {
    if (!node.isObject()) {
      return node;
    }
    ObjectNode out = Serialization.JSON.createObjectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
      var e = it.next();
      if (!e.getKey().startsWith("ui:")) {
        out.set(e.getKey(), stripUi(e.getValue()));
      }
    }
    return out;
  }

  /** {@code values} with the schema's top-level defaults filled in where a value is absent. */
  public static ObjectNode withDefaults(ObjectNode schema, JsonNode values) {
    ObjectNode out = values != null && values.isObject() ? ((ObjectNode) values).deepCopy()
        : Serialization.JSON.createObjectNode();
    schema.path("properties").fields().forEachRemaining(e -> {
      if (!out.has(e.getKey()) && e.getValue().has("default")) {
        out.set(e.getKey(), e.getValue().get("default"));
      }
    });
    return out;
  }

  /** The problems of {@code values}, each {@code <JSON pointer>: <message>}; empty when valid. */
  public static List<String> validate(ObjectNode schema, JsonNode values) {
    return problems(schema, values).stream().map(Problem::toString).toList();
  }

  /**
   * One problem of a value: {@code pointer} is a JSON pointer into the values ({@code /name}; {@code /} for the
   * values as a whole; a missing required property is named by its own pointer), {@code message} networknt's text.
   */
  public record Problem(String pointer, String message) {
    /** {@code <pointer>: <message>}, as Component conditions show it. */
    @Override
    public String toString() {
      return pointer + ": " + message;
    }
  }

  /** The problems of {@code values} against {@code schema}, in the validator's order; empty when valid. */
  public static List<Problem> problems(ObjectNode schema, JsonNode values) {
    Schema s = REGISTRY.getSchema(schema);
    List<Problem> problems = new ArrayList<>();
    for (Error e : s.validate(values)) {
      String pointer = e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString()
          .replaceFirst("^\\$", "").replace('.', '/');
      if (e.getProperty() != null && "required".equals(e.getSchemaLocation() == null ? null
          : lastSegment(e.getSchemaLocation().toString()))) {
        pointer = pointer + "/" + e.getProperty();
      }
      problems.add(new Problem(pointer.isEmpty() ? "/" : pointer, e.getMessage()));
    }
    return problems;
  }

  private static String lastSegment(String location) {
    int slash = location.lastIndexOf('/');
    return slash < 0 ? location : location.substring(slash + 1);
  }
}
