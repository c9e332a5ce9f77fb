package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The catalog as {@code catalog-info.yaml} documents, the descriptor format Backstage ingests: entities without the
 * fields the catalog computes ({@code relations}, {@code status}, {@code uid}, {@code etag}). Pure.
 */
public final class CatalogExport {

  private CatalogExport() {
  }

  /** Every entity of {@code s} as one multi-document YAML stream. */
  public static String yaml(CatalogIndex.Snapshot s) {
    StringBuilder out = new StringBuilder();
    files(s).values().forEach(doc -> out.append("---\n").append(doc));
    return out.toString();
  }

  /** One file per entity: {@code <kind>/<namespace>/<name>.yaml} → descriptor, for writing to a Destination. */
  public static Map<String, String> files(CatalogIndex.Snapshot s) {
    Map<String, String> out = new LinkedHashMap<>();
    for (ObjectNode e : s.entities()) {
      ObjectNode d = e.deepCopy();
      d.remove("relations");
      d.remove("status");
      ObjectNode meta = (ObjectNode) d.get("metadata");
      meta.remove("uid");
      meta.remove("etag");
      try {
        out.put(e.path("kind").asText().toLowerCase() + "/" + meta.path("namespace").asText() + "/"
            + meta.path("name").asText() + ".yaml", Serialization.YAML.writeValueAsString(d));
      } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
        throw new IllegalStateException(ex);
      }
    }
    return out;
  }
}
