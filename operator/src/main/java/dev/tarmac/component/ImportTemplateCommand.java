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
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tarmac import template DIR|FILE}: a Backstage {@code scaffolder.backstage.io/v1beta3} Template as a Tarmac
 * Template, with its skeletons. The folders its {@code fetch:template} and {@code fetch:plain} steps name with a
 * relative {@code url} ({@code ./skeleton}, {@code ./template}; any {@code fetch:*} step's, so a folder of an action
 * Tarmac lacks is there once the step is replaced) are stored, byte-exact with their executable bits, in a
 * Git repository ({@link SkeletonRepository}; {@code --skeleton-repo}, by default the bare repository
 * {@code tarmac-skeletons.git} in the current folder) under {@code templates/<name>}; the Template references them
 * with {@code spec.skeleton.git} ({@code --skeleton-url}: how the operator reaches that repository), and its steps
 * keep their {@code url}. Backstage publish actions become {@code publish:git} (noted on standard error). The Template
 * goes to standard output (or {@code -o}); what Tarmac cannot run (an action it lacks, a folder it could not store) is
 * written to standard error, one {@code not mapped:} line each naming the step, and makes the exit code 3 (0 when
 * everything mapped). The Template applied keeps saying it in its condition ({@code Validation.template}).
 */
@Command(name = "template", mixinStandardHelpOptions = true,
    description = "Convert a Backstage Template (its folder or its template.yaml) to a Tarmac Template, store its"
        + " skeleton folders in Git, and report what could not be mapped (exit code 3).")
public final class ImportTemplateCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "DIR|FILE", description = "The template's folder, or its template.yaml.")
  Path file;

  @Option(names = "--skeleton-repo", paramLabel = "PATH|URL", defaultValue = "tarmac-skeletons.git",
      description = "Git repository the skeleton folders are written to: a local bare repository (created when"
          + " missing) or a URL pushed to (credentials: TARMAC_GIT_USERNAME, TARMAC_GIT_PASSWORD). Default:"
          + " ${DEFAULT-VALUE}.")
  String skeletonRepo;

  @Option(names = "--skeleton-url", paramLabel = "URL",
      description = "The URL the operator clones the skeleton from, written into spec.skeleton.git.url. Default: the"
          + " --skeleton-repo URL (a local path as a file: URL, reachable by an operator on the same machine).")
  String skeletonUrl;

  @Option(names = "--branch", defaultValue = "main", description = "Branch written. Default: ${DEFAULT-VALUE}.")
  String branch;

  @Option(names = "--skeleton-path", paramLabel = "FOLDER",
      description = "Folder of the repository holding the template's folders. Default: templates/<metadata.name>.")
  String skeletonPath;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the Template here, not to stdout.")
  Path output;

  @Override
  public Integer call() throws Exception {
    Path yaml = Files.isDirectory(file) ? (Files.exists(file.resolve("template.yaml")) ? file.resolve("template.yaml")
        : file.resolve("template.yml")) : file;
    Path dir = yaml.toAbsolutePath().getParent();
    JsonNode backstage = Serialization.YAML.readTree(Files.readString(yaml));
    List<String> report = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<String> folders = folders(backstage);
    ObjectNode git = null;
    if (!folders.isEmpty()) {
      String folder = skeletonPath != null ? skeletonPath.replaceAll("^(\\./)+|/+$", "")
          : "templates/" + backstage.path("metadata").path("name").asText();
      Map<String, RepositoryPublisher.File> files = new TreeMap<>();
      for (String f : folders) {
        Path source = dir.resolve(f).normalize();
        if (!source.startsWith(dir) || !Files.isDirectory(source)) {
          report.add("folder " + f + " is not a folder inside " + dir + "; its step is kept, with nothing to fetch");
          continue;
        }
        List<String> skipped = new ArrayList<>();
        SkeletonRepository.read(source, skipped).forEach((k, v) -> files.put(Fetch.join(f, k), v));
        skipped.forEach(x -> report.add(f + "/" + x));
      }
      if (!files.isEmpty()) {
        String commit = SkeletonRepository.write(skeletonRepo, branch, folder, files, "Skeleton of Backstage"
            + " template " + backstage.path("metadata").path("name").asText() + " imported from " + dir.getFileName());
        String url = skeletonUrl != null ? skeletonUrl : skeletonRepo.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")
            ? skeletonRepo : Path.of(skeletonRepo).toAbsolutePath().toUri().toString();
        git = Serialization.JSON.createObjectNode().put("url", url).put("ref", branch).put("path", folder);
        notes.add("stored " + files.size() + " files of " + String.join(", ", folders) + " in " + skeletonRepo
            + " (branch " + branch + ", folder " + folder + ", commit " + commit.substring(0, 7) + ")");
      }
    }
    ObjectNode out = convert(backstage, git, report, notes);
    String text = "---\n" + Serialization.YAML.writeValueAsString(out).replaceFirst("^---\n", "");
    if (output != null) {
      Files.writeString(output, text);
    } else {
      System.out.print(text);
    }
    notes.forEach(r -> System.err.println("note: " + r));
    report.forEach(r -> System.err.println("not mapped: " + r));
    return report.isEmpty() ? 0 : 3;
  }

  /** The folders relative {@code url}s of {@code fetch:template} and {@code fetch:plain} steps name, normalised. */
  static List<String> folders(JsonNode backstage) {
    java.util.Set<String> out = new java.util.LinkedHashSet<>();
    for (JsonNode step : backstage.path("spec").path("steps")) {
      String url = step.path("input").path("url").asText("");
      if (step.path("action").asText().startsWith("fetch:") && !url.isEmpty() && Fetch.isRelative(url)
          && !Expressions.isTemplated(url)) {
        out.add(Fetch.join("", url));
      }
    }
    return new ArrayList<>(out);
  }

  private static final java.util.Set<String> FETCH = java.util.Set.of("fetch:template", "fetch:plain");

  /** {@link #convert(JsonNode, ObjectNode, List, List)} without a stored skeleton. */
  public static ObjectNode convert(JsonNode backstage, List<String> report) {
    return convert(backstage, null, report, new ArrayList<>());
  }

  /**
   * Converts. Pure.
   *
   * @param git {@code spec.skeleton.git} ({@code url}, {@code ref}, {@code path}) where the template's folders were
   *     stored; null when none were (a step with a relative {@code url} is then reported)
   * @param report receives one line for everything Tarmac cannot run, naming the step
   * @param notes receives one line for everything mapped to something else ({@code publish:github})
   * @throws IllegalArgumentException when the input is not a Backstage Template
   */
  public static ObjectNode convert(JsonNode backstage, ObjectNode git, List<String> report, List<String> notes) {
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
    JsonNode original = spec.path("steps");
    for (int i = 0; i < original.size(); i++) {
      JsonNode step = original.get(i);
      ObjectNode copy = step.deepCopy();
      String action = step.path("action").asText();
      String id = step.path("id").asText(String.valueOf(i));
      String url = step.path("input").path("url").asText("");
      if (FETCH.contains(action) && Fetch.isRelative(url) && !url.isEmpty() && git == null) {
        report.add("step " + id + ": " + action + " folder " + url + " was not stored in Git; import the template's"
            + " folder (tarmac import template DIR) so it is");
      } else if (ComponentReconciler.PUBLISH_ALIASES.contains(action)) {
        copy.put("action", "publish:git");
        notes.add("step " + id + ": " + action + " became publish:git: the repository is repoUrl's repo on the"
            + " embedded Git server (/git/<repo>.git); host and owner are not used");
      } else if (!ComponentReconciler.ACTIONS.contains(action)) {
        report.add("step " + id + ": action " + action + " does not exist in Tarmac; the Template reports it until"
            + " the step is replaced or removed");
      }
      steps.add(copy);
    }
    if (spec.has("output")) {
      s.set("output", spec.get("output").deepCopy());
    }
    if (git != null) {
      s.putObject("skeleton").set("git", git);
    }
    return out;
  }
}
