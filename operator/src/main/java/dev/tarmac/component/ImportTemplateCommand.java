package dev.tarmac.component;

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
 * {@code tarmac import template FILE}: a Backstage {@code scaffolder.backstage.io/v1beta3} Template as a Tarmac
 * Template on standard output, and on standard error what could not be mapped: actions Tarmac does not have
 * ({@code publish:github} becomes {@code publish:git} on the embedded server), and skeletons fetched from a URL, which
 * stay empty until their files are put in {@code spec.skeleton.files}. Exit code 0 when everything mapped, 3 otherwise.
 */
@Command(name = "template", mixinStandardHelpOptions = true,
    description = "Convert a Backstage Template to a Tarmac Template and report what could not be mapped.")
public final class ImportTemplateCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "FILE", description = "The Backstage template.yaml.")
  Path file;

  @Override
  public Integer call() throws Exception {
    List<String> report = new ArrayList<>();
    ObjectNode out = convert(Serialization.YAML.readTree(Files.readString(file)), report);
    System.out.print("---\n" + Serialization.YAML.writeValueAsString(out));
    report.forEach(r -> System.err.println("not mapped: " + r));
    return report.isEmpty() ? 0 : 3;
  }

  /**
   * Converts. Pure.
   *
   * @param report receives one line for everything not mapped
   * @throws IllegalArgumentException when the input is not a Backstage Template
   */
  public static ObjectNode convert(JsonNode backstage, List<String> report) {
    if (!"Template".equals(backstage.path("kind").asText())
        || !backstage.path("apiVersion").asText().startsWith("scaffolder.backstage.io/")) {
      throw new IllegalArgumentException("not a Backstage scaffolder Template: " + backstage.path("apiVersion").asText()
          + " " + backstage.path("kind").asText());
    }
    ObjectNode out = Serialization.JSON.createObjectNode();
    out.put("apiVersion", Api.API_VERSION).put("kind", "Template");
    out.putObject("metadata").put("name", backstage.path("metadata").path("name").asText());
    JsonNode spec = backstage.path("spec");
    ObjectNode s = out.putObject("spec");
    s.put("owner", spec.path("owner").asText("group:default/platform-team"));
    s.put("type", spec.path("type").asText("service"));
    if (backstage.path("metadata").has("title")) {
      s.put("title", backstage.path("metadata").path("title").asText());
    }
    if (backstage.path("metadata").has("description")) {
      s.put("description", backstage.path("metadata").path("description").asText());
    }
    if (spec.has("parameters")) {
      s.set("parameters", spec.get("parameters").deepCopy());
    }
    ArrayNode steps = s.putArray("steps");
    for (JsonNode step : spec.path("steps")) {
      ObjectNode copy = step.deepCopy();
      String action = step.path("action").asText();
      switch (action) {
        case "fetch:template" -> {
          if (step.path("input").has("url")) {
            report.add("step " + step.path("id").asText() + ": skeleton at " + step.path("input").path("url").asText()
                + " is not fetched; copy its files into spec.skeleton.files");
            ((ObjectNode) copy.path("input")).remove("url");
          }
        }
        case "publish:github", "publish:gitlab", "publish:bitbucket", "publish:azure" -> {
          copy.put("action", "publish:git");
          ((ObjectNode) copy.with("input")).put("repoUrl", "tarmac.local?repo=${{ parameters.name }}");
          report.add("step " + step.path("id").asText() + ": " + action + " became publish:git on the embedded Git"
              + " server");
        }
        default -> {
          if (!ComponentReconciler.ACTIONS.contains(action)) {
            report.add("step " + step.path("id").asText() + ": action " + action + " does not exist in Tarmac");
          }
        }
      }
      steps.add(copy);
    }
    if (spec.has("output")) {
      s.set("output", spec.get("output").deepCopy());
    }
    s.putObject("skeleton").putObject("files");
    return out;
  }
}
