package dev.tarmac.portal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.EntityVisibility;
import dev.tarmac.catalog.Scorecards;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Scorecards page's model: for one Scorecard, a matrix of teams (the entities' owners) × levels counting the
 * entities at each level, and the list of entities below a chosen level (or at one level), sortable. Pure, over the
 * results the catalog computed ({@link CatalogIndex.Snapshot#scorecards}) and only the entities the caller sees.
 *
 * <p>Query string: {@code scorecard} (default: the first by name), {@code below} (a level: entities that have not
 * reached it; default the highest level) or {@code level} (entities exactly at that level, {@code None} included),
 * {@code team} (an owner's name), {@code sort} ({@code name}, {@code team}, {@code level}, {@code failing}) and
 * {@code dir} ({@code asc}, {@code desc}).
 */
public record ScorecardsPage(List<String> scorecards, String scorecard, List<String> levels, List<TeamRow> matrix,
    List<Integer> totals, String below, String level, String team, List<EntityRow> entities, int total,
    List<SortLink> sortLinks, String sort, String dir, String caption) {

  /** Entities listed at most (the count says how many there are). */
  static final int LIST_LIMIT = 200;
  /** The team of entities without an owner. */
  public static final String NO_OWNER = "(no owner)";

  /** One team's row: its name, page, and per level (None first) the count and the link listing them. */
  public record TeamRow(String team, String teamUrl, List<Cell> cells, int total) {
  }

  /** One cell of the matrix. */
  public record Cell(String level, int count, String href) {
  }

  /** One entity below the chosen level. */
  public record EntityRow(String url, String name, String kind, String namespace, String team, String level,
      int rank, List<String> failed) {
  }

  /** A column header's link: sorts by it, or reverses when it is the current sort. */
  public record SortLink(String key, String label, String href, String ariaSort) {
  }

  /**
   * Builds the page, working out the matrix afresh (the servlet keeps it per snapshot: see
   * {@link #build(CatalogIndex.Snapshot, EntityVisibility.Viewer, Map, Map, SnapshotCache)}).
   *
   * @param s the catalog snapshot
   * @param viewer what the caller may see
   * @param specs the Scorecards' specs by name
   * @param params the query string
   */
  public static ScorecardsPage build(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer,
      Map<String, JsonNode> specs, Map<String, String[]> params) {
    return build(s, viewer, specs, params, new SnapshotCache());
  }

  /**
   * One Scorecard's results over what callers with one visibility key see, in ref order: every entity with a result
   * as a row, and the matrix's counts per team and level (None first). Worked out once per snapshot, Scorecard and
   * visibility key; a request then filters and sorts the rows.
   */
  record Table(List<EntityRow> rows, Map<String, int[]> counts, int[] totals) {
  }

  /**
   * Builds the page.
   *
   * @param s the catalog snapshot
   * @param viewer what the caller may see
   * @param specs the Scorecards' specs by name
   * @param params the query string
   * @param cache where the {@link Table} is kept between requests
   */
  static ScorecardsPage build(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer,
      Map<String, JsonNode> specs, Map<String, String[]> params, SnapshotCache cache) {
    List<String> names = new ArrayList<>(new TreeMap<>(specs).keySet());
    String scorecard = param(params, "scorecard");
    if (scorecard == null || !specs.containsKey(scorecard)) {
      scorecard = names.isEmpty() ? null : names.get(0);
    }
    List<String> levels = new ArrayList<>();
    levels.add("None");
    if (scorecard != null) {
      levels.addAll(Scorecards.levels(specs.get(scorecard)));
    }
    String level = param(params, "level");
    if (level != null && !levels.contains(level)) {
      level = null;
    }
    String below = level != null ? null : param(params, "below");
    if (level == null && (below == null || !levels.contains(below))) {
      below = levels.get(levels.size() - 1);
    }
    String team = param(params, "team");
    String sort = param(params, "sort");
    if (sort == null || !List.of("name", "team", "level", "failing").contains(sort)) {
      sort = "level";
    }
    String dir = "desc".equals(param(params, "dir")) ? "desc" : "asc";

    List<EntityRow> rows = new ArrayList<>();
    Table table = new Table(List.of(), Map.of(), new int[levels.size()]);
    if (scorecard != null) {
      String sc = scorecard;
      String viewerKey = viewer.all() ? "*" : viewer.key(s);
      table = cache.get(s, "scorecards\0" + sc + "\0" + String.join("\0", levels) + "\0" + viewerKey,
          () -> table(s, viewer, sc, levels));
      int belowRank = below == null ? -1 : levels.indexOf(below);
      for (EntityRow r : table.rows()) {
        boolean listed = level != null ? r.level().equals(level) : r.rank() < belowRank;
        if (listed && (team == null || team.equalsIgnoreCase(r.team()))) {
          rows.add(r);
        }
      }
    }
    Map<String, int[]> counts = table.counts();
    int[] totals = table.totals();
    Comparator<EntityRow> order = switch (sort) {
      case "name" -> Comparator.comparing(EntityRow::name, String.CASE_INSENSITIVE_ORDER);
      case "team" -> Comparator.comparing(EntityRow::team, String.CASE_INSENSITIVE_ORDER);
      case "failing" -> Comparator.comparingInt((EntityRow r) -> r.failed().size());
      default -> Comparator.comparingInt(EntityRow::rank);
    };
    if (dir.equals("desc")) {
      order = order.reversed();
    }
    rows.sort(order.thenComparing(EntityRow::namespace).thenComparing(EntityRow::name));
    int total = rows.size();
    List<EntityRow> shown = rows.size() > LIST_LIMIT ? List.copyOf(rows.subList(0, LIST_LIMIT)) : rows;

    List<TeamRow> matrix = new ArrayList<>();
    final String sc = scorecard;
    counts.forEach((t, c) -> {
      List<Cell> cells = new ArrayList<>();
      int sum = 0;
      for (int i = 0; i < levels.size(); i++) {
        cells.add(new Cell(levels.get(i), c[i], c[i] == 0 ? null : url(sc, null, levels.get(i), t, null, null)
            + "#entities"));
        sum += c[i];
      }
      matrix.add(new TeamRow(t, t.equals(NO_OWNER) ? null : Html.refUrl("group:default/" + t, "group"), cells, sum));
    });
    List<SortLink> sortLinks = new ArrayList<>();
    for (String[] k : new String[][] {{"name", "Entity"}, {"team", "Team"}, {"level", "Level"},
        {"failing", "Failing checks"}}) {
      boolean current = k[0].equals(sort);
      String nextDir = current && dir.equals("asc") ? "desc" : "asc";
      sortLinks.add(new SortLink(k[0], k[1], url(sc, below, level, team, k[0], nextDir) + "#entities",
          current ? (dir.equals("asc") ? "ascending" : "descending") : "none"));
    }
    String caption = (level != null ? "Entities at level " + level : "Entities below " + below)
        + (team == null ? "" : " owned by " + team);
    List<Integer> totalList = new ArrayList<>();
    for (int t : totals) {
      totalList.add(t);
    }
    return new ScorecardsPage(names, scorecard, levels, matrix, totalList, below, level, team, shown, total,
        sortLinks, sort, dir, caption);
  }

  /** One pass over what {@code viewer} sees (a bit set, decided per namespace and kind), in ref order. */
  static Table table(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer, String scorecard, List<String> levels) {
    Map<String, int[]> counts = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    int[] totals = new int[levels.size()];
    List<EntityRow> rows = new ArrayList<>();
    java.util.BitSet visible = viewer.visible(s);
    for (int i = 0; i < s.entities().size(); i++) {
      if (visible != null && !visible.get(i)) {
        continue;
      }
      JsonNode e = s.entities().get(i);
      List<Scorecards.Result> results = s.scorecards().get(CatalogIndex.ref(e));
      Scorecards.Result r = null;
      for (Scorecards.Result x : results == null ? List.<Scorecards.Result>of() : results) {
        if (x.scorecard().equals(scorecard)) {
          r = x;
        }
      }
      if (r == null) {
        continue;
      }
      String owner = e.path("spec").path("owner").asText(null);
      String t = owner == null ? NO_OWNER : Html.refName(owner);
      int rank = Math.max(0, levels.indexOf(r.level()));
      counts.computeIfAbsent(t, k -> new int[levels.size()])[rank]++;
      totals[rank]++;
      rows.add(new EntityRow(Html.entityUrl(e), e.path("metadata").path("name").asText(), e.path("kind").asText(),
          e.path("metadata").path("namespace").asText("default"), t, r.level(), rank, r.failed()));
    }
    return new Table(List.copyOf(rows), counts, totals);
  }

  static String url(String scorecard, String below, String level, String team, String sort, String dir) {
    List<String[]> p = new ArrayList<>();
    if (scorecard != null) {
      p.add(new String[] {"scorecard", scorecard});
    }
    if (below != null) {
      p.add(new String[] {"below", below});
    }
    if (level != null) {
      p.add(new String[] {"level", level});
    }
    if (team != null) {
      p.add(new String[] {"team", team});
    }
    if (sort != null) {
      p.add(new String[] {"sort", sort});
      p.add(new String[] {"dir", dir});
    }
    return Html.url("/scorecards", p);
  }

  static String param(Map<String, String[]> params, String name) {
    String[] v = params.get(name);
    return v == null || v.length == 0 || v[0].isBlank() ? null : v[0].trim();
  }
}
