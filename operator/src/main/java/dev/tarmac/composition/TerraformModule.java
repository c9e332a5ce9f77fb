package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tarmac.api.Serialization;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Terraform / OpenTofu modules as composed output (pure): a composed resource of kind {@code Terraform}
 * ({@code infra.contrib.fluxcd.io}, Flux's tofu-controller) may carry Tarmac's top-level field {@code module}:
 *
 * <pre>
 * module:
 *   source: terraform-aws-modules/rds/aws   # required: any Terraform module source
 *   version: "6.10.0"                        # optional: registry modules only
 *   inputs: {allocated_storage: 20, ...}     # the module's input variables; patches write module.inputs.x
 *   outputs: {host: db_instance_address}     # connection Secret key: module output name
 * </pre>
 *
 * Because {@code module} is a field of the composed resource, patches and transforms write it like any composed
 * field. When the resource is written to Git, {@link #files} takes {@code module} out of the object and writes it as
 * {@code <resource>/main.tf.json} in Terraform's JSON configuration syntax (a {@code module} block named after the
 * resource with {@code source}, {@code version} and the inputs as arguments, and one root {@code output} per
 * {@code outputs} key, {@code sensitive: true}, whose value is {@code ${module.<name>.<output>}}); the Terraform
 * object's {@code spec.path} then points at that folder and its {@code spec.writeOutputsToSecret} names the claim's
 * connection Secret with those keys. Terraform's JSON syntax:
 * https://developer.hashicorp.com/terraform/language/syntax/json (module blocks:
 * https://developer.hashicorp.com/terraform/language/modules/syntax). Decisions: docs/compositions.md,
 * "Terraform / OpenTofu modules".
 */
public final class TerraformModule {

  /** The API group of tofu-controller's {@code Terraform} kind. */
  public static final String GROUP = "infra.contrib.fluxcd.io";
  /** The kind. */
  public static final String KIND = "Terraform";
  /** Tarmac's field on a composed Terraform object holding the module call. */
  public static final String FIELD = "module";
  /** The file name of the module call inside its folder. */
  public static final String FILE = "main.tf.json";

  /** Arguments Terraform reserves in a module block: inputs may not use them. */
  static final Set<String> META_ARGUMENTS = Set.of("source", "version", "count", "for_each", "providers",
      "depends_on");

  private TerraformModule() {
  }

  /** True for a composed resource of tofu-controller's {@code Terraform} kind (any version). */
  public static boolean isTerraform(JsonNode resource) {
    String apiVersion = resource.path("apiVersion").asText("");
    return KIND.equals(resource.path("kind").asText()) && apiVersion.startsWith(GROUP + "/");
  }

  /**
   * The files of one composed resource written to Git: {@code <resource>.yaml} always; for a Terraform object with
   * {@code module} also {@code <resource>/main.tf.json}. Changes {@code resource} in place: removes {@code module},
   * sets {@code spec.path} to {@code <base spec.path or ".">/<ownerDir>/<resource>} (the folder of main.tf.json in
   * the repository, when the base's {@code spec.path} is the Destination's folder in it), and, when
   * {@code connectionSecret} is not null, {@code spec.writeOutputsToSecret} to that name with the output keys.
   *
   * @param resourceName the resource template's name (file and folder name, module block name)
   * @param resource the composed resource
   * @param ownerDir the Work's folder below its Destination folder ({@code resources/<ns>/<kind>/<name>})
   * @param connectionSecret the claim's connection Secret name, or null when it asks for none
   * @return file path (relative to the Work's folder) → content, in order
   * @throws CompositionException {@code CompositionInvalid} when {@code module} is not a map, has no
   *     {@code source}, its inputs are not a map or use a reserved argument name, or its outputs are not a map of
   *     strings; naming the resource and the field
   */
  public static Map<String, String> files(String resourceName, ObjectNode resource, String ownerDir,
      String connectionSecret) {
    Map<String, String> files = new LinkedHashMap<>();
    JsonNode module = resource.get(FIELD);
    if (isTerraform(resource) && module != null) {
      resource.remove(FIELD);
      files.put(resourceName + "/" + FILE, mainTfJson(resourceName, module));
      ObjectNode spec = resource.with("spec");
      String prefix = spec.path("path").asText(".");
      while (prefix.endsWith("/") && prefix.length() > 1) {
        prefix = prefix.substring(0, prefix.length() - 1);
      }
      spec.put("path", (prefix.isEmpty() ? "." : prefix) + "/" + ownerDir + "/" + resourceName);
      JsonNode outputs = module.path("outputs");
      if (connectionSecret != null) {
        ObjectNode write = spec.with("writeOutputsToSecret");
        write.put("name", connectionSecret);
        ArrayNode keys = write.putArray("outputs");
        outputs.fieldNames().forEachRemaining(keys::add);
      }
    }
    try {
      files.put(resourceName + ".yaml", Serialization.YAML.writeValueAsString(resource));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return files;
  }

  /**
   * The module call as Terraform JSON configuration: {@code {"module": {<name>: {source, version?, inputs...}},
   * "output": {<key>: {"value": "${module.<name>.<output>}", "sensitive": true}}}}. Strings from inputs are
   * escaped ({@code ${} → {@code $${}, {@code %{} → {@code %%{}) so a value from a claim is a literal, never a
   * Terraform expression.
   *
   * @throws CompositionException {@code CompositionInvalid} as {@link #files} says
   */
  static String mainTfJson(String resourceName, JsonNode module) {
    String where = "resource " + resourceName + " field module";
    if (!module.isObject()) {
      throw new CompositionException("CompositionInvalid", where + " must be a map with source, version, inputs"
          + " and outputs");
    }
    if (!module.path("source").isTextual() || module.path("source").asText().isBlank()) {
      throw new CompositionException("CompositionInvalid", where + ".source is missing: name the module's source,"
          + " e.g. terraform-aws-modules/rds/aws");
    }
    String name = blockName(resourceName);
    ObjectNode call = JsonNodeFactory.instance.objectNode();
    call.put("source", module.path("source").asText());
    JsonNode version = module.get("version");
    if (version != null && !version.isNull()) {
      if (!version.isValueNode()) {
        throw new CompositionException("CompositionInvalid", where + ".version must be a version constraint string");
      }
      call.put("version", version.asText());
    }
    JsonNode inputs = module.path("inputs");
    if (!inputs.isMissingNode() && !inputs.isNull()) {
      if (!inputs.isObject()) {
        throw new CompositionException("CompositionInvalid", where + ".inputs must be a map of the module's input"
            + " variables");
      }
      var it = inputs.fields();
      while (it.hasNext()) {
        var e = it.next();
        if (META_ARGUMENTS.contains(e.getKey())) {
          throw new CompositionException("CompositionInvalid", where + ".inputs." + e.getKey() + " is an argument"
              + " Terraform reserves in module blocks (" + String.join(", ", META_ARGUMENTS.stream().sorted()
              .toList()) + "): rename or remove it");
        }
        call.set(e.getKey(), literal(e.getValue()));
      }
    }
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.with("module").set(name, call);
    JsonNode outputs = module.path("outputs");
    if (!outputs.isMissingNode() && !outputs.isNull()) {
      if (!outputs.isObject()) {
        throw new CompositionException("CompositionInvalid", where + ".outputs must map connection Secret keys to"
            + " the module's output names, e.g. {host: db_instance_address}");
      }
      ObjectNode out = root.with("output");
      var it = outputs.fields();
      while (it.hasNext()) {
        var e = it.next();
        if (!e.getValue().isTextual() || !identifier(e.getValue().asText()) || !identifier(e.getKey())) {
          throw new CompositionException("CompositionInvalid", where + ".outputs." + e.getKey() + " must name a"
              + " module output; keys and names are Terraform identifiers (letters, digits, _ and -)");
        }
        ObjectNode o = out.putObject(e.getKey());
        o.put("value", "${module." + name + "." + e.getValue().asText() + "}");
        // A root output that refers to a sensitive module output (a password) must be sensitive, or plan fails.
        o.put("sensitive", true);
      }
    }
    try {
      return Serialization.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The module block's name: the resource name with characters Terraform identifiers do not allow as {@code _}. */
  static String blockName(String resourceName) {
    String s = resourceName.replaceAll("[^A-Za-z0-9_-]", "_");
    return s.isEmpty() || !Character.isLetter(s.charAt(0)) && s.charAt(0) != '_' ? "_" + s : s;
  }

  private static boolean identifier(String s) {
    return s.matches("[A-Za-z_][A-Za-z0-9_-]*");
  }

  /** A copy of {@code value} whose strings (and map keys) are Terraform literals, not templates. */
  static JsonNode literal(JsonNode value) {
    if (value.isTextual()) {
      return TextNode.valueOf(escape(value.asText()));
    }
    if (value.isObject()) {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      value.fields().forEachRemaining(e -> o.set(escape(e.getKey()), literal(e.getValue())));
      return o;
    }
    if (value.isArray()) {
      ArrayNode a = JsonNodeFactory.instance.arrayNode();
      value.forEach(v -> a.add(literal(v)));
      return a;
    }
    return value.deepCopy();
  }

  private static String escape(String s) {
    return s.replace("${", "$${").replace("%{", "%%{");
  }
}
