package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a pipeline run produced, in Kratix's file contract: documents to publish ({@code /tarmac/output/}, path →
 * content), a patch for the request's status ({@code /tarmac/metadata/status.yaml}) and extra Destination selectors
 * ({@code /tarmac/metadata/destination-selectors.yaml}). Steps add to one output in order; a later file with the same
 * path replaces an earlier one.
 */
public final class StepOutput {

  private final Map<String, String> files = new TreeMap<>();
  private final ObjectNode status = Serialization.JSON.createObjectNode();
  private final List<Selector> selectors = new ArrayList<>();

  /** Files by path relative to the output folder. */
  public Map<String, String> files() {
    return files;
  }

  /** The status patch (a map; conditions merged by type when applied). */
  public ObjectNode status() {
    return status;
  }

  /** Extra Destination selectors. */
  public List<Selector> selectors() {
    return selectors;
  }

  /** Adds a file. */
  public StepOutput file(String path, String content) {
    files.put(path, content);
    return this;
  }

  /** Merges {@code other} into this output (files replaced by path, status merged, selectors appended). */
  public StepOutput merge(StepOutput other) {
    files.putAll(other.files);
    StatusMerge.merge(status, other.status);
    selectors.addAll(other.selectors);
    return this;
  }
}
