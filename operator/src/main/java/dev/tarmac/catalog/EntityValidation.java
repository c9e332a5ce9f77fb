package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.tarmac.backstage.BackstageKinds;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What Backstage's {@code POST /validate-entity} checks, without fetching anything: the envelope
 * ({@code apiVersion}, {@code kind}, {@code metadata.name} strings), Backstage's name rules (catalog-model's
 * {@code KubernetesValidatorFunctions}: a name of at most 63 characters, {@code [a-zA-Z0-9]} with single
 * {@code -_.} between; a namespace a lower-case DNS label), Backstage's metadata field types ({@code title},
 * {@code description} strings, {@code tags} and {@code links} arrays), and the kind's {@code spec} against its schema
 * ({@link BackstageKinds}; networknt json-schema-validator). A kind the catalog has no schema for is refused, as
 * Backstage refuses a kind no processor validates. Pure.
 */
public final class EntityValidation {

  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
  private static final Pattern NAME = Pattern.compile("^([A-Za-z0-9][-_.]?)*[A-Za-z0-9]$");
  private static final Pattern NAMESPACE = Pattern.compile("^[a-z0-9]+(-[a-z0-9]+)*$");
  private static final Pattern TAG = Pattern.compile("^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$");

  private EntityValidation() {
  }

  /** The problems of {@code entity}, each one message; empty when Backstage would accept it. */
  public static List<String> problems(JsonNode entity) {
    List<String> out = new ArrayList<>();
    if (entity == null || !entity.isObject()) {
      out.add("<root> must be object");
      return out;
    }
    for (String field : List.of("apiVersion", "kind")) {
      if (!entity.path(field).isTextual() || entity.get(field).asText().isEmpty()) {
        out.add("<root> must have required property '" + field + "'");
      }
    }
    JsonNode meta = entity.path("metadata");
    if (!meta.isObject()) {
      out.add("<root> must have required property 'metadata'");
      return out;
    }
    String name = meta.path("name").asText("");
    if (!meta.path("name").isTextual() || name.length() > 63 || !NAME.matcher(name).matches()) {
      out.add("\"metadata.name\" is not valid; expected a string that is sequences of [a-zA-Z0-9] separated by any"
          + " of [-_.], at most 63 characters in total but found \"" + name + "\". To learn more about catalog"
          + " file format, visit: https://github.com/backstage/backstage/blob/master/docs/architecture-decisions/"
          + "adr002-default-catalog-file-format.md");
    }
    if (meta.has("namespace") && (!meta.get("namespace").isTextual()
        || meta.get("namespace").asText().length() > 63 || !NAMESPACE.matcher(meta.get("namespace").asText())
        .matches())) {
      out.add("\"metadata.namespace\" is not valid; expected a string that is sequences of [a-z0-9] separated by"
          + " [-], at most 63 characters in total but found \"" + meta.get("namespace").asText() + "\"");
    }
    for (String field : List.of("title", "description")) {
      if (meta.has(field) && !meta.get(field).isTextual()) {
        out.add("\"metadata." + field + "\" must be a string");
      }
    }
    if (meta.has("tags")) {
      if (!meta.get("tags").isArray()) {
        out.add("\"metadata.tags\" must be an array");
      } else {
        meta.get("tags").forEach(t -> {
          if (!t.isTextual() || t.asText().length() > 63 || !TAG.matcher(t.asText()).matches()) {
            out.add("\"metadata.tags\" is not valid; expected a string of [a-z0-9:+#] separated by [-], at most 63"
                + " characters in total but found \"" + t.asText() + "\"");
          }
        });
      }
    }
    if (meta.has("links") && (!meta.get("links").isArray() || !allLinks(meta.get("links")))) {
      out.add("\"metadata.links\" must be an array of objects with a string url");
    }
    if (!out.isEmpty()) {
      return out;
    }
    var kind = BackstageKinds.of(entity.get("apiVersion").asText(), entity.get("kind").asText());
    if (kind.isEmpty()) {
      out.add("Unsupported object " + entity.get("apiVersion").asText() + ", " + entity.get("kind").asText()
          + ": no schema for this apiVersion and kind");
      return out;
    }
    if (!entity.path("spec").isObject()) {
      out.add("<root> must have required property 'spec'");
      return out;
    }
    ObjectNode schema = (ObjectNode) kind.get().spec().deepCopy();
    strip(schema);
    if (kind.get().kind().equals("API")) {
      // Backstage's two API schemas: mcp-server APIs list remotes (at least one); the others have a definition.
      boolean mcp = "mcp-server".equals(entity.get("spec").path("type").asText());
      schema.withArray("required").add(mcp ? "remotes" : "definition");
      if (mcp) {
        ((ObjectNode) schema.get("properties").get("remotes")).put("minItems", 1);
      }
    }
    Schema s = REGISTRY.getSchema(schema);
    for (Error e : s.validate(entity.get("spec"))) {
      String at = e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString().replaceFirst("^\\$", "");
      out.add("/spec" + at.replace('.', '/') + " " + e.getMessage());
    }
    return out;
  }

  private static boolean allLinks(JsonNode links) {
    for (JsonNode l : links) {
      if (!l.isObject() || !l.path("url").isTextual()) {
        return false;
      }
    }
    return true;
  }

  /** Drops the Kubernetes extensions, which are not JSON Schema keywords. */
  private static void strip(JsonNode node) {
    if (node instanceof ObjectNode o) {
      o.remove("x-kubernetes-preserve-unknown-fields");
      o.forEach(EntityValidation::strip);
    } else if (node.isArray()) {
      node.forEach(EntityValidation::strip);
    }
  }
}
