package dev.tarmac.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The chart under {@code helm/tarmac} and its rendered manifests, for the chart's tests. */
final class Chart {

  static final Path DIR = RepoPaths.repo().resolve("helm/tarmac");

  private Chart() {
  }

  /** Every non-empty document of a multi-document YAML stream. */
  static List<JsonNode> documents(String yaml) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = Serialization.YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && doc.isObject() && !doc.isEmpty()) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  /** The first rendered object of {@code kind} whose name ends with {@code nameSuffix}. */
  static Optional<JsonNode> find(List<JsonNode> docs, String kind, String nameSuffix) {
    return docs.stream().filter(d -> kind.equals(d.path("kind").asText()))
        .filter(d -> d.path("metadata").path("name").asText().endsWith(nameSuffix)).findFirst();
  }
}
