package dev.tarmac.portal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.CatalogPredicate;
import dev.tarmac.catalog.CatalogQuery;
import dev.tarmac.catalog.EntityVisibility;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The catalog page's model: a full-text search, facet filters with counts and one page of the matching entities.
 * Pure: built from a {@link CatalogIndex.Snapshot}, what the caller sees ({@link EntityVisibility.Viewer}) and the
 * query string, with the catalog API's own query code ({@link CatalogQuery#select}, {@link CatalogQuery#facets}).
 *
 * <p>Query string (so a view can be shared as a link): {@code q} (text, matched case-insensitively as a substring of
 * name, title, description, tags, kind, type, owner, system, lifecycle and namespace), one parameter per facet
 * ({@code kind}, {@code type}, {@code owner}, {@code lifecycle}, {@code system}, {@code tag}; several values of one
 * facet are alternatives, different facets must all hold) and {@code page} (from 1). A facet's counts are over the
 * entities matching the text and every other facet's filter, as faceted search shows the alternatives.
 */
public record CatalogPage(String q, List<Facet> facets, List<Row> rows, int total, int page, int pages,
    String previousUrl, String nextUrl, List<Chip> chips, boolean filtered) {

  /** Entities per page. */
  public static final int PAGE_SIZE = 25;
  /** Most values listed per facet (selected values are always listed). */
  static final int FACET_VALUES = 12;

  /** A filterable facet: its query parameter, label and catalog search key. */
  public record FacetKey(String param, String label, String key) {
  }

  /** The facets, in the order shown. */
  public static final List<FacetKey> FACETS = List.of(new FacetKey("kind", "Kind", "kind"),
      new FacetKey("type", "Type", "spec.type"), new FacetKey("owner", "Owner", "spec.owner"),
      new FacetKey("lifecycle", "Lifecycle", "spec.lifecycle"), new FacetKey("system", "System", "spec.system"),
      new FacetKey("tag", "Tag", "metadata.tags"));

  /** Fields the text is looked for in. */
  static final List<String> TEXT_FIELDS = List.of("metadata.name", "metadata.title", "metadata.description",
      "metadata.tags", "kind", "spec.type", "spec.owner", "spec.system", "spec.lifecycle", "metadata.namespace");

  /** One facet with its values. */
  public record Facet(String param, String label, List<FacetValue> values, int hidden) {
  }

  /** One value of a facet: how many entities have it, and whether it is selected. */
  public record FacetValue(String value, String label, int count, boolean checked, String id) {
  }

  /** A selected filter, with the link that removes it. */
  public record Chip(String label, String removeUrl) {
  }

  /** One entity in the table. */
  public record Row(String url, String kind, String name, String title, String namespace, String type,
      String owner, String ownerUrl, String lifecycle, String system, List<String> tags, String description) {
  }

  /**
   * The parsed query string.
   *
   * @param text the search text ({@code ""} for none)
   * @param filters facet parameter → selected values (only facets with values)
   * @param page the page asked for, from 1
   */
  public record Query(String text, Map<String, List<String>> filters, int page) {

    /** From a servlet's parameter map: unknown parameters are ignored, a bad page number is page 1. */
    public static Query of(Map<String, String[]> params) {
      String[] q = params.get("q");
      Map<String, List<String>> filters = new LinkedHashMap<>();
      for (FacetKey f : FACETS) {
        String[] values = params.get(f.param());
        if (values != null) {
          List<String> kept = java.util.Arrays.stream(values).map(String::trim).filter(v -> !v.isEmpty())
              .distinct().toList();
          if (!kept.isEmpty()) {
            filters.put(f.param(), kept);
          }
        }
      }
      int page = 1;
      String[] p = params.get("page");
      if (p != null && p.length > 0) {
        try {
          page = Math.max(1, Integer.parseInt(p[0].trim()));
        } catch (NumberFormatException e) {
          page = 1;
        }
      }
      return new Query(q == null || q.length == 0 ? "" : q[0].trim(), filters, page);
    }

    /** This query as a {@code /catalog} URL, with {@code page} (1 is left out). */
    public String url(int page) {
      List<String[]> params = new ArrayList<>();
      if (!text.isEmpty()) {
        params.add(new String[] {"q", text});
      }
      filters.forEach((k, vs) -> vs.forEach(v -> params.add(new String[] {k, v})));
      if (page > 1) {
        params.add(new String[] {"page", Integer.toString(page)});
      }
      return Html.url("/catalog", params);
    }

    Query without(String param, String value) {
      Map<String, List<String>> f = new LinkedHashMap<>();
      filters.forEach((k, vs) -> {
        List<String> kept = vs.stream().filter(v -> !(k.equals(param) && v.equals(value))).toList();
        if (!kept.isEmpty()) {
          f.put(k, kept);
        }
      });
      return new Query(param.equals("q") ? "" : text, f, 1);
    }
  }

  /**
   * Builds the page, working out the snapshot's search text afresh (the servlet keeps it per snapshot: see
   * {@link #build(CatalogIndex.Snapshot, EntityVisibility.Viewer, Query, SnapshotCache)}).
   *
   * @param s the catalog snapshot
   * @param viewer what the caller may see
   * @param query the parsed query string
   */
  public static CatalogPage build(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer, Query query) {
    return build(s, viewer, query, new SnapshotCache());
  }

  /**
   * Builds the page.
   *
   * @param s the catalog snapshot
   * @param viewer what the caller may see
   * @param query the parsed query string
   * @param cache where the snapshot's search text ({@link #texts}) is kept between requests
   */
  static CatalogPage build(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer, Query query,
      SnapshotCache cache) {
    BitSet visible = viewer.visible(s);
    // The text is matched once; every facet's selection starts from those matches.
    BitSet base = visible;
    if (!query.text().isEmpty()) {
      base = textMatches(cache.get(s, "catalog-text", () -> texts(s)), query.text(), visible);
    }
    List<Facet> facets = new ArrayList<>();
    for (FacetKey f : FACETS) {
      CatalogPredicate others = predicate(query, f.param());
      List<Integer> selected = CatalogQuery.select(s, others, null, List.of("metadata.uid"), base);
      String shared = others == null && query.text().isEmpty() ? viewer.key(s) : null;
      List<Map<String, Object>> counts = CatalogQuery.facets(s, selected, List.of(f.key()), shared).get(f.key());
      facets.add(facet(f, counts, query.filters().getOrDefault(f.param(), List.of())));
    }
    List<Integer> matches = CatalogQuery.select(s, predicate(query, null), null, List.of("metadata.uid"), base);
    int total = matches.size();
    int pages = Math.max(1, (total + PAGE_SIZE - 1) / PAGE_SIZE);
    int page = Math.min(query.page(), pages);
    List<Row> rows = new ArrayList<>();
    for (int i = (page - 1) * PAGE_SIZE; i < Math.min(total, page * PAGE_SIZE); i++) {
      rows.add(row(s.entities().get(matches.get(i))));
    }
    List<Chip> chips = new ArrayList<>();
    if (!query.text().isEmpty()) {
      chips.add(new Chip("text: " + query.text(), query.without("q", null).url(1)));
    }
    query.filters().forEach((k, vs) -> vs.forEach(v -> chips.add(new Chip(label(k) + ": " + valueLabel(k, v),
        query.without(k, v).url(1)))));
    return new CatalogPage(query.text(), facets, rows, total, page, pages,
        page > 1 ? query.url(page - 1) : null, page < pages ? query.url(page + 1) : null, chips, !chips.isEmpty());
  }

  private static String label(String param) {
    return FACETS.stream().filter(f -> f.param().equals(param)).findFirst().map(FacetKey::label).orElse(param);
  }

  /** The predicate of every selected facet but {@code except}; null when there is none. */
  static CatalogPredicate predicate(Query query, String except) {
    ArrayNode all = Serialization.JSON.createArrayNode();
    for (FacetKey f : FACETS) {
      List<String> values = query.filters().get(f.param());
      if (values == null || f.param().equals(except)) {
        continue;
      }
      ArrayNode in = all.addObject().putObject(f.key()).putArray("$in");
      values.forEach(in::add);
    }
    if (all.isEmpty()) {
      return null;
    }
    ObjectNode p = Serialization.JSON.createObjectNode();
    p.set("$all", all);
    return CatalogPredicate.parse(p);
  }

  private static Facet facet(FacetKey f, List<Map<String, Object>> counts, List<String> checked) {
    List<FacetValue> values = new ArrayList<>();
    List<Map<String, Object>> sorted = new ArrayList<>(counts);
    sorted.sort(Comparator.comparing((Map<String, Object> m) -> -(Integer) m.get("count"))
        .thenComparing(m -> ((String) m.get("value")).toLowerCase(java.util.Locale.ROOT)));
    java.util.Set<String> shown = new java.util.HashSet<>();
    int hidden = 0;
    for (Map<String, Object> m : sorted) {
      String value = (String) m.get("value");
      boolean on = checked.stream().anyMatch(c -> c.equalsIgnoreCase(value));
      if (values.size() >= FACET_VALUES && !on) {
        hidden++;
        continue;
      }
      shown.add(value.toLowerCase(java.util.Locale.ROOT));
      values.add(new FacetValue(value, valueLabel(f.param(), value), (Integer) m.get("count"), on,
          f.param() + "-" + Html.id(value)));
    }
    // A selected value no entity has any more stays listed (with 0), so it can be unchecked.
    for (String c : checked) {
      if (!shown.contains(c.toLowerCase(java.util.Locale.ROOT))) {
        values.add(new FacetValue(c, valueLabel(f.param(), c), 0, true, f.param() + "-" + Html.id(c)));
      }
    }
    return new Facet(f.param(), f.label(), values, hidden);
  }

  /** Owners are refs ({@code group:default/team-a}): shown by name. */
  static String valueLabel(String param, String value) {
    return param.equals("owner") ? Html.refName(value) : value;
  }

  static Row row(JsonNode e) {
    JsonNode meta = e.path("metadata");
    JsonNode spec = e.path("spec");
    List<String> tags = new ArrayList<>();
    meta.path("tags").forEach(t -> tags.add(t.asText()));
    String owner = spec.path("owner").asText(null);
    return new Row(Html.entityUrl(e), e.path("kind").asText(), meta.path("name").asText(),
        meta.path("title").asText(null), meta.path("namespace").asText("default"), spec.path("type").asText(null),
        owner == null ? null : Html.refName(owner), owner == null ? null : Html.refUrl(owner, "group"),
        spec.path("lifecycle").asText(null), spec.path("system").asText(null), tags,
        meta.path("description").asText(null));
  }

  /**
   * Per entity of {@code s} (in its order), the values of its {@link #TEXT_FIELDS} in lower case, separated by NUL:
   * what the search text is looked for in. Worked out once per snapshot, so a search is one
   * {@link String#contains} per visible entity rather than a lower-casing of every value of ten fields.
   */
  static String[] texts(CatalogIndex.Snapshot s) {
    String[] out = new String[s.entities().size()];
    StringBuilder b = new StringBuilder(256);
    for (int i = 0; i < out.length; i++) {
      b.setLength(0);
      Map<String, java.util.Set<String>> keys = s.search().get(i);
      for (String f : TEXT_FIELDS) {
        for (String v : keys.getOrDefault(f, java.util.Set.of())) {
          b.append(v.toLowerCase(java.util.Locale.ROOT)).append('\0');
        }
      }
      out[i] = b.toString();
    }
    return out;
  }

  /**
   * The indexes of the entities among {@code visible} (null: all) one of whose text values contains {@code text}
   * (case-insensitive): {@link CatalogQuery#select}'s full-text rule over {@link #TEXT_FIELDS}, on {@link #texts}.
   */
  static BitSet textMatches(String[] texts, String text, BitSet visible) {
    String t = text.toLowerCase(java.util.Locale.ROOT);
    BitSet out = new BitSet(texts.length);
    if (t.indexOf('\0') >= 0) {
      return out; // a NUL would match across two values
    }
    for (int i = visible == null ? 0 : visible.nextSetBit(0); i >= 0 && i < texts.length;
        i = visible == null ? i + 1 : visible.nextSetBit(i + 1)) {
      if (texts[i].contains(t)) {
        out.set(i);
      }
    }
    return out;
  }
}
