package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Api;
import dev.tarmac.api.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code tarmac convert composition FILE}: a Crossplane Composition ({@code apiextensions.crossplane.io/v1}, mode
 * Resources or mode Pipeline with {@code function-patch-and-transform}) as a Tarmac Composition on standard output,
 * and on standard error a report of what could not be carried over (other functions, environment patches, fields
 * Tarmac does not use). Exit code 0 when nothing was dropped, 3 when something was.
 */
@Command(name = "composition", mixinStandardHelpOptions = true,
    description = "Convert a Crossplane Composition to a Tarmac Composition and report what was dropped.")
public final class ConvertCompositionCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "FILE", description = "The Crossplane Composition (YAML).")
  Path file;

  @Override
  public Integer call() throws Exception {
    List<String> dropped = new ArrayList<>();
    ObjectNode out = convert(Serialization.YAML.readTree(Files.readString(file)), dropped);
    System.out.print("---\n" + Serialization.YAML.writeValueAsString(out));
    dropped.forEach(d -> System.err.println("dropped: " + d));
    return dropped.isEmpty() ? 0 : 3;
  }

  /**
   * Converts. Pure.
   *
   * @param dropped receives one line for everything not carried over
   * @throws CompositionException when the input is not a Composition
   */
  public static ObjectNode convert(JsonNode crossplane, List<String> dropped) {
    if (!"Composition".equals(crossplane.path("kind").asText())) {
      throw new CompositionException("CompositionInvalid", "not a Composition: " + crossplane.path("kind").asText());
    }
    ObjectNode out = Serialization.JSON.createObjectNode();
    out.put("apiVersion", Api.API_VERSION).put("kind", "Composition");
    ObjectNode meta = out.putObject("metadata");
    meta.put("name", crossplane.path("metadata").path("name").asText());
    if (crossplane.path("metadata").has("labels")) {
      meta.set("labels", crossplane.path("metadata").path("labels").deepCopy());
    }
    JsonNode spec = crossplane.path("spec");
    ObjectNode s = out.putObject("spec");
    s.set("compositeTypeRef", spec.path("compositeTypeRef").deepCopy());
    s.put("target", "Cluster");
    JsonNode templates;
    if ("Pipeline".equals(spec.path("mode").asText())) {
      templates = null;
      for (JsonNode step : spec.path("pipeline")) {
        String fn = step.path("functionRef").path("name").asText();
        if (fn.contains("patch-and-transform") && templates == null) {
          templates = step.path("input");
        } else {
          dropped.add("pipeline step " + step.path("step").asText() + " (function " + fn + "): only"
              + " function-patch-and-transform is carried over");
        }
      }
      if (templates == null) {
        templates = Serialization.JSON.createObjectNode();
      }
    } else {
      templates = spec;
    }
    ArrayNode resources = s.putArray("resources");
    for (JsonNode r : templates.path("resources")) {
      ObjectNode copy = r.deepCopy();
      ArrayNode patches = copy.putArray("patches");
      for (JsonNode p : r.path("patches")) {
        String type = p.path("type").asText("FromCompositeFieldPath");
        if (type.startsWith("FromEnvironment") || type.startsWith("ToEnvironment")
            || type.startsWith("CombineFromEnvironment") || type.startsWith("CombineToEnvironment")) {
          dropped.add("resource " + r.path("name").asText() + " patch " + type + ": environment configs do not exist"
              + " in Tarmac");
        } else {
          patches.add(p.deepCopy());
        }
      }
      resources.add(copy);
    }
    if (templates.has("patchSets")) {
      s.set("patchSets", templates.path("patchSets").deepCopy());
    }
    for (String field : List.of("writeConnectionSecretsToNamespace", "publishConnectionDetailsWithStoreConfigRef",
        "environment", "revisionActivationPolicy", "functions")) {
      if (spec.has(field)) {
        dropped.add("spec." + field + ": not used by Tarmac (connection Secrets go to the claim's namespace)");
      }
    }
    return out;
  }
}
