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
 * Resources or mode Pipeline — also a Crossplane v2 Composition without a mode) as a Tarmac Composition on standard
 * output, and on standard error a report of what could not be carried over. Exit code 0 when nothing was dropped, 3
 * when something was.
 *
 * <p>Carried over: mode Resources' {@code resources} and {@code patchSets} as they are (environment patches included);
 * a mode Resources Composition with {@code spec.environment} becomes a pipeline, as Crossplane's own
 * {@code crossplane beta convert pipeline-composition} does: a {@code function-environment-configs} step with
 * {@code environmentConfigs}, {@code defaultData} and {@code policy.resolution}, then a
 * {@code function-patch-and-transform} step with the resources, patch sets and {@code environment.patches}. Pipeline
 * steps whose function Tarmac runs ({@link CompositionEngine#function}) are kept in order. Dropped, and reported: steps
 * with other functions (they would fail with FunctionNotSupported), and Composition fields Tarmac does not use.
 * Reported as notes without changing the exit code: what a carried-over part needs at run time (EnvironmentConfigs).
 */
@Command(name = "composition", mixinStandardHelpOptions = true,
    description = "Convert a Crossplane Composition to a Tarmac Composition and report what was dropped.")
public final class ConvertCompositionCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "FILE", description = "The Crossplane Composition (YAML).")
  Path file;

  @Override
  public Integer call() throws Exception {
    List<String> dropped = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    ObjectNode out = convert(Serialization.YAML.readTree(Files.readString(file)), dropped, notes);
    System.out.print("---\n" + Serialization.YAML.writeValueAsString(out));
    dropped.forEach(d -> System.err.println("dropped: " + d));
    notes.forEach(n -> System.err.println("note: " + n));
    return dropped.isEmpty() ? 0 : 3;
  }

  /**
   * Converts. Pure.
   *
   * @param dropped receives one line for everything not carried over
   * @throws CompositionException when the input is not a Composition
   */
  public static ObjectNode convert(JsonNode crossplane, List<String> dropped) {
    return convert(crossplane, dropped, new ArrayList<>());
  }

  /**
   * Converts. Pure.
   *
   * @param dropped receives one line for everything not carried over
   * @param notes receives one line for what a carried-over part needs to work
   * @throws CompositionException when the input is not a Composition
   */
  public static ObjectNode convert(JsonNode crossplane, List<String> dropped, List<String> notes) {
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
    if (CompositionEngine.isPipeline(spec)) {
      s.put("mode", "Pipeline");
      ArrayNode steps = s.putArray("pipeline");
      int i = 0;
      for (JsonNode step : spec.path("pipeline")) {
        String fn = CompositionEngine.function(step);
        String name = step.path("step").asText("pipeline[" + i + "]");
        if (fn == null) {
          dropped.add("pipeline step " + name + " (function " + step.path("functionRef").path("name").asText()
              + "): Tarmac runs only " + String.join(", ", CompositionEngine.FUNCTIONS) + " in-process; rewrite"
              + " this step with them");
        } else {
          steps.add(step.deepCopy());
          if ("function-environment-configs".equals(fn)) {
            notes.add(environmentConfigsNote(name));
          }
        }
        i++;
      }
    } else if (spec.has("environment")) {
      JsonNode env = spec.path("environment");
      s.put("mode", "Pipeline");
      ArrayNode steps = s.putArray("pipeline");
      ObjectNode envInput = Serialization.JSON.createObjectNode();
      for (String f : List.of("environmentConfigs", "defaultData")) {
        if (env.has(f)) {
          envInput.set(f, env.path(f).deepCopy());
        }
      }
      if (env.path("policy").has("resolution")) {
        envInput.putObject("policy").set("resolution", env.path("policy").path("resolution").deepCopy());
      }
      if (!envInput.isEmpty()) {
        ObjectNode step = steps.addObject().put("step", "environment-configs");
        step.putObject("functionRef").put("name", "function-environment-configs");
        ObjectNode input = step.putObject("input").put("apiVersion", "environmentconfigs.fn.crossplane.io/v1beta1")
            .put("kind", "Input");
        input.set("spec", envInput);
        notes.add(environmentConfigsNote("environment-configs"));
      }
      if (env.path("policy").has("resolve")) {
        dropped.add("spec.environment.policy.resolve: EnvironmentConfigs are resolved on every compose, as"
            + " function-environment-configs does (policy Always)");
      }
      ObjectNode step = steps.addObject().put("step", "patch-and-transform");
      step.putObject("functionRef").put("name", "function-patch-and-transform");
      ObjectNode input = step.putObject("input").put("apiVersion", "pt.fn.crossplane.io/v1beta1")
          .put("kind", "Resources");
      if (env.has("patches")) {
        input.putObject("environment").set("patches", env.path("patches").deepCopy());
      }
      if (spec.has("patchSets")) {
        input.set("patchSets", spec.path("patchSets").deepCopy());
      }
      input.set("resources", spec.path("resources").deepCopy());
    } else {
      s.set("resources", spec.path("resources").deepCopy());
      if (spec.has("patchSets")) {
        s.set("patchSets", spec.path("patchSets").deepCopy());
      }
    }
    for (String field : List.of("writeConnectionSecretsToNamespace", "publishConnectionDetailsWithStoreConfigRef",
        "revisionActivationPolicy", "functions")) {
      if (spec.has(field)) {
        dropped.add("spec." + field + ": not used by Tarmac (connection Secrets go to the claim's namespace)");
      }
    }
    return out;
  }

  private static String environmentConfigsNote(String step) {
    return "pipeline step " + step + " (function-environment-configs) selects EnvironmentConfigs, which Tarmac reads"
        + " only where its reconciler passes them to the engine (a Database claim or a Promise request gets none);"
        + " without them a Reference fails unless policy.resolution is Optional";
  }
}
