package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Backstage's catalog query semantics over a {@link CatalogIndex.Snapshot}. Pure.
 *
 * <p>Filters (Backstage's "Filtering" section of the catalog API): each {@code filter} parameter is a comma-separated
 * list of conditions that must all hold; several {@code filter} parameters are alternatives (any may hold). A
 * condition is {@code key=value} (the value matches case-insensitively, any element of a list matches) or
 * {@code key} alone (the key exists). Keys are dotted paths, case-insensitive, including {@code relations.<type>}.
 */
public final class CatalogQuery {

  /**
   * One condition of a filter: the entity has {@code key} with any of {@code values} (a null value: with any value
   * at all). Backstage's {@code parseEntityFilterString} gathers a key named twice in one filter into one condition
   * whose values are alternatives, so {@code kind=component,kind=api} matches both kinds.
   */
  record Condition(String key, List<String> values) {
  }

  private CatalogQuery() {
  }

  /**
   * Parses filter parameters: each parameter is a set of conditions that must all hold (comma-separated
   * {@code key=value} or {@code key}); the parameters are alternatives (Backstage's catalog REST API).
   *
   * @throws IllegalArgumentException (Backstage InputError) on an empty key
   */
  static List<List<Condition>> parseFilters(List<String> filters) {
    List<List<Condition>> out = new ArrayList<>();
    for (String f : filters) {
      Map<String, List<String>> byKey = new java.util.LinkedHashMap<>();
      for (String part : f.split(",")) {
        if (part.isBlank()) {
          continue;
        }
        int eq = part.indexOf('=');
        String key = (eq < 0 ? part : part.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
        if (key.isEmpty()) {
          throw new IllegalArgumentException("invalid filter '" + part + "': missing key");
        }
        byKey.computeIfAbsent(key, k -> new ArrayList<>())
            .add(eq < 0 ? null : part.substring(eq + 1).trim().toLowerCase(Locale.ROOT));
      }
      if (!byKey.isEmpty()) {
        List<Condition> all = new ArrayList<>();
        byKey.forEach((k, v) -> all.add(new Condition(k, v)));
        out.add(all);
      }
    }
    return out;
  }

  /** Indexes (into the snapshot's lists) of the entities matching {@code filters} and the full-text term. */
  static List<Integer> select(CatalogIndex.Snapshot s, List<List<Condition>> filters, String term,
      List<String> termFields) {
    return select(s, filters, term, termFields, null);
  }

  /**
   * As {@link #select(CatalogIndex.Snapshot, List, String, List)}, among the entities set in {@code visible} only
   * (null: all of them).
   */
  static List<Integer> select(CatalogIndex.Snapshot s, List<List<Condition>> filters, String term,
      List<String> termFields, BitSet visible) {
    List<Integer> out = new ArrayList<>();
    String t = term == null || term.isBlank() ? null : term.trim().toLowerCase(Locale.ROOT);
    List<String> fields = termFields == null || termFields.isEmpty()
        ? List.of("metadata.name", "metadata.title", "spec.type", "metadata.description") : termFields;
    BitSet candidates = filters.isEmpty() ? null : candidates(s, filters);
    if (visible != null) {
      if (candidates == null) {
        candidates = (BitSet) visible.clone();
      } else {
        candidates.and(visible);
      }
    }
    for (int i = candidates == null ? 0 : candidates.nextSetBit(0); i >= 0 && i < s.entities().size();
        i = candidates == null ? i + 1 : candidates.nextSetBit(i + 1)) {
      Map<String, Set<String>> index = s.search().get(i);
      if (t != null && fields.stream().noneMatch(f -> index.getOrDefault(f.toLowerCase(Locale.ROOT), Set.of())
          .stream().anyMatch(v -> v.contains(t)))) {
        continue;
      }
      out.add(i);
    }
    return out;
  }

  /** The entities matching any of the filters, each a conjunction of conditions, from the inverted index. */
  private static BitSet candidates(CatalogIndex.Snapshot s, List<List<Condition>> filters) {
    BitSet any = new BitSet(s.entities().size());
    for (List<Condition> all : filters) {
      BitSet every = null;
      for (Condition c : all) {
        Map<String, BitSet> byValue = postings(s, c.key());
        BitSet with = new BitSet();
        for (String v : c.values()) {
          BitSet some = byValue.get(v == null ? EXISTS : v);
          if (some != null) {
            with.or(some);
          }
        }
        if (with.isEmpty()) {
          every = new BitSet();
          break;
        }
        if (every == null) {
          every = (BitSet) with.clone();
        } else {
          every.and(with);
        }
      }
      if (every != null) {
        any.or(every);
      }
    }
    return any;
  }

  /** Key {@link #EXISTS} in a key's postings: the entities that have the key, whatever its value. */
  static final String EXISTS = "\u0000exists";

  private static Map<String, BitSet> postings(CatalogIndex.Snapshot s, String key) {
    return s.postings().computeIfAbsent(key, k -> {
      Map<String, BitSet> byValue = new HashMap<>();
      for (int i = 0; i < s.search().size(); i++) {
        Set<String> values = s.search().get(i).get(k);
        if (values == null) {
          continue;
        }
        byValue.computeIfAbsent(EXISTS, v -> new BitSet()).set(i);
        for (String v : values) {
          byValue.computeIfAbsent(v, x -> new BitSet()).set(i);
        }
      }
      return byValue;
    });
  }



  /** Sorts selected entities by {@code orderFields} ({@code field,asc|desc}); entity ref breaks ties. */
  static void order(CatalogIndex.Snapshot s, List<Integer> selected, List<String> orderFields) {
    if (orderFields.isEmpty()) {
      return; // select() returns indexes in ascending order, and the snapshot's entities are sorted by ref
    }
    Comparator<Integer> cmp = null;
    for (String of : orderFields) {
      String[] parts = of.split(",");
      String field = parts[0].trim().toLowerCase(Locale.ROOT);
      boolean desc = parts.length > 1 && parts[1].trim().equalsIgnoreCase("desc");
      Comparator<Integer> c = Comparator.comparing((Integer i) -> first(s.search().get(i).get(field)),
          Comparator.nullsLast(Comparator.naturalOrder()));
      if (desc) {
        c = c.reversed();
      }
      cmp = cmp == null ? c : cmp.thenComparing(c);
    }
    // Ties keep ref order: the entities are sorted by ref, so their index is that order.
    selected.sort(cmp.thenComparing(Comparator.naturalOrder()));
  }

  private static String first(Set<String> values) {
    return values == null || values.isEmpty() ? null : values.iterator().next();
  }

  /** {@code entity} keeping only {@code fields} (dotted paths); all of it when {@code fields} is empty. */
  static JsonNode project(ObjectNode entity, List<String> fields) {
    if (fields == null || fields.isEmpty()) {
      return entity;
    }
    ObjectNode out = Serialization.JSON.createObjectNode();
    for (String f : fields) {
      JsonNode v = Paths.value(entity, f.trim());
      if (v != null) {
        set(out, entity, f.trim().split("\\."), 0, v);
      }
    }
    return out;
  }

  /** Writes {@code value} at the path in {@code out}, keeping dotted keys whole as they are in {@code source}. */
  private static void set(ObjectNode out, JsonNode source, String[] parts, int from, JsonNode value) {
    for (int to = parts.length; to > from; to--) {
      String key = String.join(".", java.util.Arrays.copyOfRange(parts, from, to));
      JsonNode child = source.get(key);
      if (child != null) {
        if (to == parts.length) {
          out.set(key, value);
        } else {
          set(out.with(key), child, parts, to, value);
        }
        return;
      }
    }
  }

  /** Facet counts: for each facet key, each value (as written in the entities) and how many entities have it. */
  static Map<String, List<Map<String, Object>>> facets(CatalogIndex.Snapshot s, List<Integer> selected,
      List<String> facets) {
    return facets(s, selected, facets, null);
  }

  /** Most visibility keys whose facet counts one snapshot keeps (one per set of callers who see the same). */
  private static final int SHARED_FACETS = 4096;

  /**
   * Facet counts; with {@code visibleKey} (see {@link EntityVisibility.Viewer#key}) and no filter, {@code selected}
   * is everything that key's callers see, and the counts are kept with the snapshot for the next caller alike.
   */
  static Map<String, List<Map<String, Object>>> facets(CatalogIndex.Snapshot s, List<Integer> selected,
      List<String> facets, String visibleKey) {
    Map<String, List<Map<String, Object>>> out = new TreeMap<>();
    for (String facet : facets) {
      Map<String, Integer> counts;
      if (visibleKey != null && s.facetsOfAll().size() < SHARED_FACETS) {
        counts = s.facetsOfAll().computeIfAbsent(facet + "\u0000" + visibleKey, f -> count(s, selected, facet));
      } else {
        counts = selected.size() == s.entities().size()
            ? s.facetsOfAll().computeIfAbsent(facet, f -> count(s, selected, f)) : count(s, selected, facet);
      }
      List<Map<String, Object>> list = new ArrayList<>();
      counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
          .thenComparing(Map.Entry.comparingByKey()))
          .forEach(e -> list.add(Map.of("value", e.getKey(), "count", e.getValue())));
      out.put(facet, list);
    }
    return out;
  }

  private static Map<String, Integer> count(CatalogIndex.Snapshot s, List<Integer> selected, String facet) {
    Map<String, Integer> counts = new TreeMap<>();
    String key = facet.toLowerCase(Locale.ROOT);
    for (int i : selected) {
      if (key.startsWith("relations.")) {
        for (String target : s.search().get(i).getOrDefault(key, Set.of())) {
          counts.merge(target, 1, Integer::sum);
        }
        continue;
      }
      JsonNode v = Paths.value(s.entities().get(i), facet);
      if (v != null && v.isArray()) {
        v.forEach(x -> counts.merge(x.asText(), 1, Integer::sum));
      } else if (v != null && v.isValueNode()) {
        counts.merge(v.asText(), 1, Integer::sum);
      }
    }
    return counts;
  }


  /** An opaque cursor: the query and the offset, base64url JSON. */
  static String cursor(ObjectNode query, int offset) {
    ObjectNode c = query.deepCopy();
    c.put("offset", offset);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(c.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Decodes a cursor.
   *
   * @throws IllegalArgumentException (InputError) when it is not one this server made
   */
  static ObjectNode decodeCursor(String cursor) {
    try {
      return (ObjectNode) Serialization.JSON.readTree(Base64.getUrlDecoder().decode(cursor));
    } catch (Exception e) {
      throw new IllegalArgumentException("invalid cursor");
    }
  }
}
