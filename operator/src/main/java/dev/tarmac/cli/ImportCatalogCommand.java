package dev.tarmac.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.backstage.BackstageKinds;
import dev.tarmac.catalog.BackstageObjects;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tarmac import catalog DIR}: rewrites Backstage catalog files so that what the API server would drop or
 * refuse survives {@code kubectl apply} however it is applied (server-side apply, {@code kubectl create}, GitOps
 * tools): Backstage's {@code metadata.title}, {@code description}, {@code tags} and {@code links} move into the
 * annotations the catalog reads them back from ({@link BackstageObjects#TITLE} and the others); a name Kubernetes
 * refuses (upper case, {@code _}, longer than 253) becomes a lower-case DNS name and the Backstage name is kept in
 * {@link BackstageObjects#NAME_ANNOTATION}, which the catalog serves as {@code metadata.name} (references compare
 * case-insensitively, so they still resolve). Prints one line per change. Documents of other kinds are written back
 * unchanged. The files are rewritten as YAML by Jackson: comments are not kept.
 */
@Command(name = "catalog", mixinStandardHelpOptions = true,
    description = "Rewrite Backstage catalog files (*.yaml, *.yml under DIR) so they apply with kubectl without"
        + " losing metadata: title/description/tags/links into annotations, refused names made DNS names.")
public final class ImportCatalogCommand implements Callable<Integer> {

  private static final Pattern DNS_SUBDOMAIN = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
      + "[a-z0-9])?)*$");

  @Parameters(index = "0", paramLabel = "DIR", description = "Folder of catalog-info.yaml files (read recursively).")
  Path dir;

  @Option(names = {"-o", "--output-dir"}, description = "Write the rewritten files here (same relative paths)"
      + " instead of in place.")
  Path outputDir;

  @Option(names = "--dry-run", description = "Only print what would change.")
  boolean dryRun;

  @Override
  public Integer call() throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".yaml")
          || p.toString().endsWith(".yml")).sorted().toList();
    }
    int changed = 0;
    for (Path file : files) {
      List<String> report = new ArrayList<>();
      List<JsonNode> docs;
      try (var parser = Serialization.YAML.createParser(file.toFile())) {
        docs = new ArrayList<>(Serialization.YAML.readValues(parser, JsonNode.class).readAll());
      } catch (IOException e) {
        System.err.println(dir.relativize(file) + ": not YAML, left as it is (" + e.getMessage() + ")");
        continue;
      }
      StringBuilder out = new StringBuilder();
      for (JsonNode doc : docs) {
        if (doc == null || doc.isNull() || doc.isMissingNode()) {
          continue;
        }
        if (doc.isObject()) {
          rewrite((ObjectNode) doc, report);
        }
        out.append("---\n").append(Serialization.YAML.writeValueAsString(doc));
      }
      Path rel = dir.relativize(file);
      report.forEach(r -> System.out.println(rel + ": " + r));
      if (report.isEmpty() && outputDir == null) {
        continue;
      }
      changed += report.isEmpty() ? 0 : 1;
      if (!dryRun) {
        Path target = outputDir == null ? file : outputDir.resolve(rel);
        Files.createDirectories(target.toAbsolutePath().getParent());
        Files.writeString(target, report.isEmpty() && outputDir != null ? Files.readString(file) : out.toString());
      }
    }
    System.out.println(changed + " of " + files.size() + " files " + (dryRun ? "would change" : "changed"));
    return 0;
  }

  /**
   * Rewrites one document in place, adding one line per change to {@code report}; anything but a Backstage kind is
   * left as it is. Pure.
   */
  public static void rewrite(ObjectNode doc, List<String> report) {
    String apiVersion = doc.path("apiVersion").asText();
    String kind = doc.path("kind").asText();
    if (BackstageKinds.of(apiVersion, kind).isEmpty() || !doc.path("metadata").isObject()) {
      return;
    }
    ObjectNode meta = (ObjectNode) doc.get("metadata");
    String name = meta.path("name").asText();
    List<String> moved = new ArrayList<>();
    for (String field : List.of("title", "description", "tags", "links")) {
      JsonNode v = meta.remove(field);
      if (v == null) {
        continue;
      }
      moved.add(field);
      meta.with("annotations").put("platform.tarmac.dev/" + field, v.isTextual() ? v.asText() : v.toString());
    }
    if (!moved.isEmpty()) {
      report.add(kind + " " + name + ": moved " + String.join(", ", moved) + " into annotations platform.tarmac.dev/"
          + String.join(", platform.tarmac.dev/", moved));
    }
    if (!name.isEmpty() && (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches())) {
      String dns = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-").replaceAll("^[^a-z0-9]+|[^a-z0-9]+$",
          "");
      dns = dns.length() > 253 ? dns.substring(0, 253).replaceAll("[^a-z0-9]+$", "") : dns;
      meta.put("name", dns);
      meta.with("annotations").put(BackstageObjects.NAME_ANNOTATION, name);
      report.add(kind + " " + name + ": renamed to " + dns + " (Kubernetes names are lower-case DNS names); the"
          + " catalog still serves it as " + name + " (annotation " + BackstageObjects.NAME_ANNOTATION + ")");
    }
  }
}
