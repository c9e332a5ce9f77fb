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
    return yaml(s, null);
  }

  /** The entities of {@code s} whose index is set in {@code visible} (null: all), as one multi-document stream. */
  public static String yaml(CatalogIndex.Snapshot s, java.util.BitSet visible) {
    StringBuilder out = new StringBuilder();
    files(s, visible).values().forEach(doc -> out.append("---\n").append(doc));
    return out.toString();
  }

  /** One file per entity: {@code <kind>/<namespace>/<name>.yaml} → descriptor, for writing to a Destination. */
  public static Map<String, String> files(CatalogIndex.Snapshot s) {
    return files(s, null);
  }

  private static Map<String, String> files(CatalogIndex.Snapshot s, java.util.BitSet visible) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < s.entities().size(); i++) {
      if (visible != null && !visible.get(i)) {
        continue;
      }
      ObjectNode e = s.entities().get(i);
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
