package dev.tarmac.portal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.EntityVisibility;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The requests page's model: everything teams asked the platform for — Promise requests, Databases, Crossplane
 * claims and XRs (catalog Resources) and Components — with each one's state from its Ready condition and, for those
 * not Ready, the reason and message. Pure: the entities come from the catalog snapshot, the states from what the
 * catalog's informers last saw ({@link CatalogIndex.ObjectStatus}), so the page asks the API server nothing.
 *
 * <p>Query string: {@code team} (an owner's name), {@code state} ({@code ready}, {@code not-ready},
 * {@code pending}), {@code page} (from 1). Not Ready first, then pending, then Ready; in ref order within each.
 */
public record RequestsPage(List<Row> rows, int total, int page, int pages, String previousUrl, String nextUrl,
    List<Option> teams, List<Option> states, String team, String state, String query) {

  /** Rows per page. */
  public static final int PAGE_SIZE = 100;

  /** One request. */
  public record Row(String url, String kind, String name, String namespace, String team, String state,
      String stateLabel, String reason, String message, String since, boolean stale) {
  }

  /** A filter choice: value, label, how many rows it would show, and whether it is chosen. */
  public record Option(String value, String label, int count, boolean selected) {
  }

  /**
   * Builds the page, finding the requests afresh (the servlet keeps them per snapshot: see
   * {@link #build(CatalogIndex.Snapshot, EntityVisibility.Viewer, Function, Map, SnapshotCache)}).
   *
   * @param s the catalog snapshot
   * @param viewer what the caller may see
   * @param statusOf the recorded status of an entity's object (null when none was recorded)
   * @param params the query string
   */
  public static RequestsPage build(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer,
      Function<JsonNode, CatalogIndex.ObjectStatus> statusOf, Map<String, String[]> params) {
    return build(s, viewer, statusOf, params, new SnapshotCache());
  }

  /** One request as the snapshot has it (its state is looked up per page view): the entity and its team. */
  record Request(JsonNode entity, String team) {
  }

  /** The requests among what {@code viewer} sees of {@code s}, in ref order. */
  static List<Request> requests(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer) {
    List<Request> out = new ArrayList<>();
    java.util.BitSet visible = viewer.visible(s);
    for (int i = 0; i < s.entities().size(); i++) {
      JsonNode e = s.entities().get(i);
      if (visible != null && !visible.get(i) || !isRequest(e)) {
        continue;
      }
      String owner = e.path("spec").path("owner").asText(null);
      out.add(new Request(e, owner == null ? ScorecardsPage.NO_OWNER : Html.refName(owner)));
    }
    return List.copyOf(out);
  }

  /**
   * Builds the page: the requests are found once per snapshot and visibility key ({@link #requests}); their states
   * are read on every view, and rows are made for the page shown only.
   *
   * @param s the catalog snapshot
   * @param viewer what the caller may see
   * @param statusOf the recorded status of an entity's object (null when none was recorded)
   * @param params the query string
   * @param cache where the requests are kept between views
   */
  static RequestsPage build(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer,
      Function<JsonNode, CatalogIndex.ObjectStatus> statusOf, Map<String, String[]> params, SnapshotCache cache) {
    String team = ScorecardsPage.param(params, "team");
    String state = ScorecardsPage.param(params, "state");
    if (state != null && !List.of("ready", "not-ready", "pending").contains(state)) {
      state = null;
    }
    int page = 1;
    try {
      String p = ScorecardsPage.param(params, "page");
      page = p == null ? 1 : Math.max(1, Integer.parseInt(p));
    } catch (NumberFormatException e) {
      page = 1;
    }
    List<List<Request>> byState = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    List<List<CatalogIndex.ObjectStatus>> statesByState = List.of(new ArrayList<>(), new ArrayList<>(),
        new ArrayList<>());
    Map<String, Integer> teamCounts = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    int[] stateCounts = new int[3];
    List<Request> requests = cache.get(s, "requests\0" + (viewer.all() ? "*" : viewer.key(s)),
        () -> requests(s, viewer));
    for (Request r : requests) {
      String t = r.team();
      CatalogIndex.ObjectStatus st = statusOf.apply(r.entity());
      int rank = st == null || st.ready() == null || "Unknown".equals(st.ready()) ? 1
          : "True".equals(st.ready()) ? 2 : 0;
      boolean teamMatches = team == null || team.equalsIgnoreCase(t);
      if (teamMatches) {
        stateCounts[rank]++;
      }
      String stateKey = STATES.get(rank);
      if (state == null || state.equals(stateKey)) {
        teamCounts.merge(t, 1, Integer::sum);
      }
      if (!teamMatches || state != null && !state.equals(stateKey)) {
        continue;
      }
      byState.get(rank).add(r);
      statesByState.get(rank).add(st);
    }
    int total = byState.get(0).size() + byState.get(1).size() + byState.get(2).size();
    int pages = Math.max(1, (total + PAGE_SIZE - 1) / PAGE_SIZE);
    page = Math.min(page, pages);
    List<Row> rows = new ArrayList<>();
    int at = 0;
    for (int rank = 0; rank < 3; rank++) {
      for (int k = 0; k < byState.get(rank).size(); k++, at++) {
        if (at >= (page - 1) * PAGE_SIZE && at < page * PAGE_SIZE) {
          rows.add(row(byState.get(rank).get(k), statesByState.get(rank).get(k), rank));
        }
      }
    }
    List<Option> teams = new ArrayList<>();
    final String chosenTeam = team;
    teamCounts.forEach((t, n) -> teams.add(new Option(t, t, n, t.equalsIgnoreCase(String.valueOf(chosenTeam)))));
    List<Option> states = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      states.add(new Option(STATES.get(i), LABELS.get(i), stateCounts[i], STATES.get(i).equals(state)));
    }
    return new RequestsPage(rows, total, page, pages, page > 1 ? url(team, state, page - 1) : null,
        page < pages ? url(team, state, page + 1) : null, teams, states, team, state, url(team, state, page));
  }

  /** The states' keys, by rank: not Ready first, then pending, then Ready. */
  private static final List<String> STATES = List.of("not-ready", "pending", "ready");
  /** The states' labels, by rank. */
  private static final List<String> LABELS = List.of("Not ready", "Pending", "Ready");

  private static Row row(Request r, CatalogIndex.ObjectStatus st, int rank) {
    JsonNode e = r.entity();
    String location = e.path("metadata").path("annotations").path("backstage.io/managed-by-location").asText();
    return new Row(Html.entityUrl(e), objectKind(location, e.path("kind").asText()),
        e.path("metadata").path("name").asText(), e.path("metadata").path("namespace").asText("default"), r.team(),
        STATES.get(rank), LABELS.get(rank),
        st == null ? "NotObserved" : rank == 2 ? st.reason() : st.reason() == null ? "NotObserved" : st.reason(),
        st == null ? "the operator has not written a status yet" : rank == 2 ? null : st.message(),
        st == null ? null : st.since() != null ? st.since() : st.created(), st != null && st.stale());
  }

  /**
   * True for what a team asked the platform for: a Component, or a Resource that comes from a cluster object of
   * Tarmac's (Database, Promise request) or Crossplane's (claim, XR) — not a Backstage descriptor stored in the
   * cluster, which asks for nothing.
   */
  static boolean isRequest(JsonNode e) {
    String kind = e.path("kind").asText();
    if (!kind.equals("Component") && !kind.equals("Resource")) {
      return false;
    }
    String location = e.path("metadata").path("annotations").path("backstage.io/managed-by-location").asText("");
    return location.startsWith("kubernetes:") && !location.startsWith("kubernetes:backstage.io/");
  }

  /** The Kubernetes kind in a managed-by-location ({@code kubernetes:<group>/<version>/<Kind>/...}). */
  static String objectKind(String location, String otherwise) {
    String[] parts = location.substring(Math.min(location.length(), "kubernetes:".length())).split("/");
    int at = parts.length > 0 && parts[0].contains(".") ? 2 : 1;
    return parts.length > at ? parts[at] : otherwise;
  }

  static String url(String team, String state, int page) {
    List<String[]> p = new ArrayList<>();
    if (team != null) {
      p.add(new String[] {"team", team});
    }
    if (state != null) {
      p.add(new String[] {"state", state});
    }
    if (page > 1) {
      p.add(new String[] {"page", Integer.toString(page)});
    }
    return Html.url("/requests", p);
  }
}
