package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Serialization;
import dev.tarmac.statestore.StateStoreLayout;
import dev.tarmac.statestore.WorkRejectedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads what a container pipeline left in its folders — Kratix's file contract — into a {@link StepOutput}: every
 * file under {@code output/} (sub-folders kept), {@code metadata/status.yaml} (a map merged into the request's
 * status) and {@code metadata/destination-selectors.yaml} (a list of {@code {matchLabels: ...}}). Pure apart from
 * reading the folders.
 *
 * <p>Refused, with a message naming the file: symlinks (they could point outside the folder), files over the size
 * limits, YAML that does not parse or breaks {@link dev.tarmac.api.BoundedYaml}'s bounds, a {@code status.yaml} that
 * is not a map. These checks only give the pipeline's author an early message: the operator checks the handed-over
 * output again ({@link PipelineOutput#decode}) and trusts none of them.
 */
public final class OutputCollector {

  private OutputCollector() {
  }

  /**
   * Collects {@code root/output} and {@code root/metadata}.
   *
   * @param root the folder holding {@code output/} and {@code metadata/} (e.g. {@code /tarmac})
   * @param limits size limits per file and in total (bytes)
   * @throws PipelineException when a file breaks a rule
   */
  public static StepOutput collect(Path root, StateStoreLayout.Limits limits) throws IOException {
    StepOutput out = new StepOutput();
    Path output = root.resolve("output");
    long total = 0;
    if (Files.isDirectory(output)) {
      List<Path> files;
      try (Stream<Path> walk = Files.walk(output)) {
        files = walk.sorted().toList();
      }
      for (Path p : files) {
        String rel = output.relativize(p).toString().replace('\\', '/');
        if (Files.isSymbolicLink(p)) {
          throw new PipelineException("output file " + rel + " is a symlink: write real files into /tarmac/output");
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        long size = Files.size(p);
        if (size > limits.maxFileBytes()) {
          throw new PipelineException("output file " + rel + " is " + size + " bytes, over the limit of "
              + limits.maxFileBytes() + " bytes per file");
        }
        total += size;
        if (total > limits.maxWorkBytes()) {
          throw new PipelineException("the output is over the limit of " + limits.maxWorkBytes()
              + " bytes in total (reached at " + rel + ")");
        }
        try {
          StateStoreLayout.checkPath(rel);
        } catch (WorkRejectedException e) {
          throw new PipelineException(e.getMessage());
        }
        out.file(rel, Files.readString(p, StandardCharsets.UTF_8));
      }
    }
    Path status = root.resolve("metadata/status.yaml");
    if (Files.isRegularFile(status, LinkOption.NOFOLLOW_LINKS)) {
      JsonNode node = readYaml(status, "metadata/status.yaml");
      if (node != null && !node.isNull()) {
        if (!node.isObject()) {
          throw new PipelineException("metadata/status.yaml must be a map of status fields, not " + node.getNodeType());
        }
        StatusMerge.merge(out.status(), node);
      }
    }
    Path selectors = root.resolve("metadata/destination-selectors.yaml");
    if (Files.isRegularFile(selectors, LinkOption.NOFOLLOW_LINKS)) {
      JsonNode node = readYaml(selectors, "metadata/destination-selectors.yaml");
      if (node != null && node.isArray()) {
        for (JsonNode s : node) {
          out.selectors().add(Serialization.JSON.convertValue(s, Selector.class));
        }
      } else if (node != null && !node.isNull()) {
        throw new PipelineException("metadata/destination-selectors.yaml must be a list of {matchLabels: {...}}");
      }
    }
    return out;
  }

  private static JsonNode readYaml(Path file, String name) throws IOException {
    try {
      return dev.tarmac.api.BoundedYaml.read(Files.readString(file, StandardCharsets.UTF_8));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new PipelineException(name + " is not valid YAML: " + e.getOriginalMessage());
    }
  }
}
