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
    return select(s, filters.isEmpty() ? null : CatalogPredicate.parse(CatalogPredicate.json(filters)), term,
        termFields == null || termFields.isEmpty() ? DEFAULT_TEXT_FIELDS : termFields, visible);
  }

  /** Fields a full-text term is looked for in when none are given and there is no order field. */
  static final List<String> DEFAULT_TEXT_FIELDS = List.of("metadata.uid");

  /**
   * Indexes of the entities matching {@code predicate} (null: all) whose values at one of {@code termFields} contain
   * {@code term} (case-insensitive; a blank term: all), among {@code visible} (null: all), in ref order. Backstage's
   * {@code queryEntities} looks for the term in the given fields, else in the order field, else in
   * {@code metadata.uid}: callers pass that choice as {@code termFields}.
   */
  public static List<Integer> select(CatalogIndex.Snapshot s, CatalogPredicate predicate, String term,
      List<String> termFields, BitSet visible) {
    BitSet m = matches(s, predicate, term, termFields, visible);
    List<Integer> out = new ArrayList<>(m.cardinality());
    for (int i = m.nextSetBit(0); i >= 0; i = m.nextSetBit(i + 1)) {
      out.add(i);
    }
    return out;
  }

  /**
   * As {@link #select(CatalogIndex.Snapshot, CatalogPredicate, String, List, BitSet)}, as a bitset over the
   * snapshot's entities (set bit = match; ascending index is ref order): what the HTTP API pages through, so a query
   * allocates a few bitsets of one bit per entity, not a boxed index per match. A new set the caller may change.
   */
  static BitSet matches(CatalogIndex.Snapshot s, CatalogPredicate predicate, String term, List<String> termFields,
      BitSet visible) {
    int n = s.entities().size();
    BitSet candidates = predicate == null ? null : predicate.eval(s);
    if (visible != null) {
      if (candidates == null) {
        candidates = (BitSet) visible.clone();
      } else {
        candidates.and(visible);
      }
    }
    if (candidates == null) {
      candidates = new BitSet(n);
      candidates.set(0, n);
    } else if (candidates.length() > n) {
      candidates.clear(n, candidates.length());
    }
    String t = term == null || term.isBlank() ? null : term.trim().toLowerCase(Locale.ROOT);
    if (t != null) {
      String[] fields = new String[termFields.size()];
      for (int k = 0; k < fields.length; k++) {
        fields[k] = termFields.get(k).toLowerCase(Locale.ROOT);
      }
      for (int i = candidates.nextSetBit(0); i >= 0; i = candidates.nextSetBit(i + 1)) {
        if (!hasTerm(s.search().get(i), fields, t)) {
          candidates.clear(i);
        }
      }
    }
    return candidates;
  }

  /** True when a value of one of {@code fields} contains {@code term} (lower case), ignoring case. */
  private static boolean hasTerm(Map<String, Set<String>> index, String[] fields, String term) {
    for (String f : fields) {
      Set<String> values = index.get(f);
      if (values != null) {
        for (String v : values) {
          if (containsLowerCase(v, term)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * {@code value.toLowerCase(Locale.ROOT).contains(term)} for a lower-case {@code term}, without the lower-case copy
   * when both are ASCII (where comparing chars ignoring case is the same thing).
   */
  static boolean containsLowerCase(String value, String term) {
    if (!ascii(value) || !ascii(term)) {
      return value.toLowerCase(Locale.ROOT).contains(term);
    }
    int last = value.length() - term.length();
    for (int k = 0; k <= last; k++) {
      if (value.regionMatches(true, k, term, 0, term.length())) {
        return true;
      }
    }
    return false;
  }

  private static boolean ascii(String s) {
    for (int k = 0; k < s.length(); k++) {
      if (s.charAt(k) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /**
   * One page of a query's matches: the entity indexes from {@code offset} (clamped to the total), at most
   * {@code limit} of them, and the total the page is part of.
   */
  record Page(int[] items, int offset, int total) {
  }

  /**
   * The page of {@code matches} from {@code offset}, at most {@code limit} long: in ref order, or with
   * {@code orderField} by its lower-case value ({@link #orderBy}'s order: entities without a value left out, ties in
   * ref order). Walks a per-snapshot permutation of the entities sorted by that field, so nothing is sorted per
   * query.
   */
  static Page page(CatalogIndex.Snapshot s, BitSet matches, String orderField, boolean descending, int offset,
      int limit) {
    if (orderField == null) {
      int total = matches.cardinality();
      int from = Math.min(Math.max(0, offset), total);
      int end = (int) Math.min(total, (long) from + Math.max(0, limit));
      int[] items = new int[end - from];
      int seen = 0;
      for (int i = matches.nextSetBit(0); i >= 0 && seen < end; i = matches.nextSetBit(i + 1)) {
        if (seen >= from) {
          items[seen - from] = i;
        }
        seen++;
      }
      return new Page(items, from, total);
    }
    String key = orderField.toLowerCase(Locale.ROOT);
    int[] rank = order(s, key);
    int[] sorted = sortedBy(s, key);
    int total = 0;
    for (int i : sorted) {
      if (matches.get(i)) {
        total++;
      }
    }
    int from = Math.min(Math.max(0, offset), total);
    int end = (int) Math.min(total, (long) from + Math.max(0, limit));
    int[] items = new int[end - from];
    int seen = 0;
    if (!descending) {
      for (int k = 0; k < sorted.length && seen < end; k++) {
        int i = sorted[k];
        if (matches.get(i)) {
          if (seen >= from) {
            items[seen - from] = i;
          }
          seen++;
        }
      }
    } else {
      // Highest rank first; within one rank (equal values) still ref order.
      int groupEnd = sorted.length;
      while (groupEnd > 0 && seen < end) {
        int r = rank[sorted[groupEnd - 1]];
        int groupStart = groupEnd - 1;
        while (groupStart > 0 && rank[sorted[groupStart - 1]] == r) {
          groupStart--;
        }
        for (int k = groupStart; k < groupEnd && seen < end; k++) {
          int i = sorted[k];
          if (matches.get(i)) {
            if (seen >= from) {
              items[seen - from] = i;
            }
            seen++;
          }
        }
        groupEnd = groupStart;
      }
    }
    return new Page(items, from, total);
  }

  /** Prefix of a key in a snapshot's orders whose array is the permutation of {@link #sortedBy}. */
  static final String SORTED = "\u0001";

  /**
   * The indexes of the entities of {@code s} that have a value of search key {@code key}, sorted by that value's rank
   * ({@link #order(CatalogIndex.Snapshot, String)}), ties in index (ref) order; once per snapshot and key.
   */
  static int[] sortedBy(CatalogIndex.Snapshot s, String key) {
    int[] cached = s.orders().get(SORTED + key);
    if (cached != null) {
      return cached;
    }
    int[] rank = order(s, key);
    long[] packed = new long[rank.length];
    int n = 0;
    for (int i = 0; i < rank.length; i++) {
      if (rank[i] >= 0) {
        packed[n++] = (long) rank[i] << 32 | i;
      }
    }
    java.util.Arrays.sort(packed, 0, n);
    int[] sorted = new int[n];
    for (int k = 0; k < n; k++) {
      sorted[k] = (int) packed[k];
    }
    s.orders().putIfAbsent(SORTED + key, sorted);
    return sorted;
  }

  /** Key {@link #EXISTS} in a key's postings: the entities that have the key, whatever its value. */
  static final String EXISTS = "\u0000exists";

  /** A search key's postings: lower-case value (and {@link #EXISTS}) → the indexes of the entities with it. */
  static Map<String, BitSet> postings(CatalogIndex.Snapshot s, String key) {
    return s.postings().computeIfAbsent(key, k -> {
      Map<String, BitSet> byValue = new HashMap<>();
      for (int i = 0; i < s.search().size(); i++) {
        Set<String> values = s.search().get(i).get(k);
        if (values == null) {
          continue;
        }
        byValue.computeIfAbsent(EXISTS, v -> new BitSet()).set(i);
        for (String v : values) {
          byValue.computeIfAbsent(v.toLowerCase(Locale.ROOT), x -> new BitSet()).set(i);
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
    return values == null || values.isEmpty() ? null : values.iterator().next().toLowerCase(Locale.ROOT);
  }

  /**
   * Backstage's {@code queryEntities} order: by the lower-case value of one field, ascending or descending, ties in
   * ref order; entities without a value for the field are left out (the catalog backend joins on the field).
   */
  static void orderBy(CatalogIndex.Snapshot s, List<Integer> selected, String field, boolean descending) {
    int[] rank = order(s, field.toLowerCase(Locale.ROOT));
    selected.removeIf(i -> rank[i] < 0);
    Comparator<Integer> c = Comparator.comparingInt(i -> rank[i]);
    if (descending) {
      c = c.reversed();
    }
    selected.sort(c.thenComparing(Comparator.naturalOrder()));
  }

  /**
   * Per entity of {@code s}, the rank of its first value of search key {@code key} (lower case) among the distinct
   * values of the key (equal values, equal rank), or -1 when it has none; worked out once per snapshot and key, so
   * ordering a selection compares ints.
   */
  static int[] order(CatalogIndex.Snapshot s, String key) {
    return s.orders().computeIfAbsent(key, k -> {
      int n = s.search().size();
      String[] values = new String[n];
      java.util.TreeSet<String> distinct = new java.util.TreeSet<>();
      for (int i = 0; i < n; i++) {
        values[i] = first(s.search().get(i).get(k));
        if (values[i] != null) {
          distinct.add(values[i]);
        }
      }
      Map<String, Integer> rankOf = new HashMap<>(distinct.size() * 2);
      for (String v : distinct) {
        rankOf.put(v, rankOf.size());
      }
      int[] rank = new int[n];
      for (int i = 0; i < n; i++) {
        rank[i] = values[i] == null ? -1 : rankOf.get(values[i]);
      }
      return rank;
    });
  }

  /** {@code entity} keeping only {@code fields} (dotted paths); all of it when {@code fields} is empty. */
  static JsonNode project(ObjectNode entity, List<String> fields) {
    return project(entity, paths(fields));
  }

  /**
   * {@code fields} (dotted paths) parsed once for {@link #project(ObjectNode, String[][])}, so that a page of entities
   * does not split each path again per entity: each trimmed and split at its dots; null when there are none (whole
   * entities).
   */
  static String[][] paths(List<String> fields) {
    if (fields == null || fields.isEmpty()) {
      return null;
    }
    String[][] out = new String[fields.size()][];
    for (int k = 0; k < out.length; k++) {
      out[k] = fields.get(k).trim().split("\\.");
    }
    return out;
  }

  /** {@code entity} keeping only {@code paths} ({@link #paths}); all of it when {@code paths} is null. */
  static JsonNode project(ObjectNode entity, String[][] paths) {
    if (paths == null) {
      return entity;
    }
    ObjectNode out = Serialization.JSON.createObjectNode();
    for (String[] path : paths) {
      JsonNode v = Paths.value(entity, path);
      if (v != null) {
        set(out, entity, path, 0, v);
      }
    }
    return out;
  }

  /**
   * Writes {@code value} at the path in {@code out}, keeping dotted keys whole as they are in {@code source}. Joined
   * keys (longest first) are tried only where {@code source} has a key with a dot: elsewhere none could match.
   */
  private static void set(ObjectNode out, JsonNode source, String[] parts, int from, JsonNode value) {
    for (int to = Paths.hasDottedKey(source) ? parts.length : from + 1; to > from; to--) {
      String key = to == from + 1 ? parts[from] : String.join(".", java.util.Arrays.copyOfRange(parts, from, to));
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
  public static Map<String, List<Map<String, Object>>> facets(CatalogIndex.Snapshot s, List<Integer> selected,
      List<String> facets, String visibleKey) {
    BitSet chosen = new BitSet(s.entities().size());
    selected.forEach(chosen::set);
    Map<String, List<Map<String, Object>>> out = new java.util.LinkedHashMap<>();
    for (String facet : facets) {
      // Backstage's order: by value (its search table's original values, grouped as written).
      List<Map<String, Object>> list = new ArrayList<>();
      counts(s, chosen, selected.size(), facet, visibleKey).forEach((value, n) -> {
        Map<String, Object> row = new java.util.LinkedHashMap<>();
        row.put("value", value);
        row.put("count", n);
        list.add(row);
      });
      out.put(facet, list);
    }
    return out;
  }

  /**
   * Backstage's {@code /entity-facets} answer, {@code {"facets": {facet: [{"value", "count"}...]}}}, over the
   * entities set in {@code selected}; with {@code visibleKey} (or when {@code selected} is every entity) the rows of
   * each facet are kept with the snapshot, so the next such call writes them without counting or building anything.
   */
  static ObjectNode facetsJson(CatalogIndex.Snapshot s, BitSet selected, List<String> facets, String visibleKey) {
    int size = selected.cardinality();
    boolean shared = visibleKey != null || size == s.entities().size();
    ObjectNode out = Serialization.JSON.createObjectNode();
    ObjectNode byFacet = out.putObject("facets");
    for (String facet : facets) {
      String key = visibleKey == null ? facet : facet + "\u0000" + visibleKey;
      JsonNode rows = shared ? s.facetRows().get(key) : null;
      if (rows == null) {
        com.fasterxml.jackson.databind.node.ArrayNode list = Serialization.JSON.createArrayNode();
        counts(s, selected, size, facet, visibleKey).forEach((value, n) -> list.addObject().put("value", value)
            .put("count", n));
        rows = list;
        if (shared && s.facetRows().size() < SHARED_FACETS) {
          s.facetRows().putIfAbsent(key, rows);
        }
      }
      byFacet.set(facet, rows);
    }
    return out;
  }

  /** Counts per value of {@code facet} among {@code selected}, kept with the snapshot when shared (see above). */
  private static Map<String, Integer> counts(CatalogIndex.Snapshot s, BitSet selected, int size, String facet,
      String visibleKey) {
    if (visibleKey != null && s.facetsOfAll().size() < SHARED_FACETS) {
      return s.facetsOfAll().computeIfAbsent(facet + "\u0000" + visibleKey, f -> count(s, selected, size, facet));
    }
    return size == s.entities().size() ? s.facetsOfAll().computeIfAbsent(facet, f -> count(s, selected, size, f))
        : count(s, selected, size, facet);
  }

  /** Prefix of a key in a snapshot's postings whose values are as written (for facets), not in lower case. */
  static final String AS_WRITTEN = "\u0001";

  /**
   * A search key's postings by value as written (facets count values as written): value → the indexes of the
   * entities with it, in value order; built once per snapshot and key.
   */
  static Map<String, BitSet> facetPostings(CatalogIndex.Snapshot s, String key) {
    return s.postings().computeIfAbsent(AS_WRITTEN + key, k -> {
      Map<String, BitSet> byValue = new TreeMap<>();
      for (int i = 0; i < s.search().size(); i++) {
        Set<String> values = s.search().get(i).get(key);
        if (values == null) {
          continue;
        }
        for (String v : values) {
          byValue.computeIfAbsent(v, x -> new BitSet()).set(i);
        }
      }
      return byValue;
    });
  }

  /**
   * Counts per value of {@code facet} among {@code selected} ({@code size} of them). Over many entities, value by
   * value through the key's postings (bits of the value's entities tested against the selection: no set is copied);
   * over a few, entity by entity.
   */
  private static Map<String, Integer> count(CatalogIndex.Snapshot s, BitSet selected, int size, String facet) {
    Map<String, Integer> counts = new TreeMap<>();
    String key = facet.toLowerCase(Locale.ROOT);
    Map<String, BitSet> postings = s.postings().get(AS_WRITTEN + key);
    if (postings == null && size > 64) {
      postings = facetPostings(s, key);
    }
    if (postings != null && size > 64) {
      boolean all = size == s.entities().size();
      for (Map.Entry<String, BitSet> p : postings.entrySet()) {
        BitSet with = p.getValue();
        int n = 0;
        if (all) {
          n = with.cardinality();
        } else {
          for (int i = with.nextSetBit(0); i >= 0; i = with.nextSetBit(i + 1)) {
            if (selected.get(i)) {
              n++;
            }
          }
        }
        if (n > 0) {
          counts.put(p.getKey(), n);
        }
      }
      return counts;
    }
    for (int i = selected.nextSetBit(0); i >= 0; i = selected.nextSetBit(i + 1)) {
      Set<String> values = s.search().get(i).get(key);
      if (values != null) {
        for (String v : values) {
          counts.merge(v, 1, Integer::sum);
        }
      }
    }
    return counts;
  }


  /**
   * An opaque cursor: the query and the offset, base64 JSON as Backstage's catalog encodes its cursors (the client
   * looks for a {@code query} key in it to choose the POST endpoint for the next page).
   */
  static String cursor(ObjectNode query, int offset) {
    ObjectNode c = query.deepCopy();
    c.put("offset", offset);
    return Base64.getEncoder().encodeToString(c.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Decodes a cursor.
   *
   * @throws IllegalArgumentException (InputError) when it is not one this server made
   */
  static ObjectNode decodeCursor(String cursor) {
    try {
      return (ObjectNode) Serialization.JSON.readTree(Base64.getMimeDecoder().decode(
          cursor.replace('-', '+').replace('_', '/')));
    } catch (Exception e) {
      throw new IllegalArgumentException("Malformed cursor, could not be parsed");
    }
  }
}
