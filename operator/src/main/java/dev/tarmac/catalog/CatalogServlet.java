package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The catalog over HTTP, read-only, in the shapes of Backstage's catalog REST API (mounted at
 * {@code /api/catalog/*}):
 * <ul>
 *   <li>{@code GET /entities/by-query} — {@code filter}, {@code fields}, {@code orderField}, {@code fullTextFilterTerm},
 *       {@code fullTextFilterFields}, {@code limit}, {@code cursor}; answers {@code {items, totalItems, pageInfo}}</li>
 *   <li>{@code GET /entities/by-name/{kind}/{namespace}/{name}}, {@code GET /entities/by-uid/{uid}}</li>
 *   <li>{@code POST /entities/by-refs} — {@code {entityRefs, fields?}} → {@code {items}} (null for unknown refs)</li>
 *   <li>{@code GET /entity-facets?facet=...&filter=...} → {@code {facets: {key: [{value, count}]}}}</li>
 *   <li>{@code GET /entities} — the legacy list: {@code filter}, {@code fields}, {@code offset}, {@code limit},
 *       {@code after}</li>
 *   <li>{@code GET /export/catalog-info.yaml} — every entity as YAML documents, for Backstage's URL reader</li>
 * </ul>
 * Errors use Backstage's shape: {@code {error: {name, message}, request: {method, url}, response: {statusCode}}}.
 *
 * <p>Every endpoint answers over the entities the caller may see ({@link EntityVisibility}): queries, lists, facet
 * counts and the export leave the others out; by-name, by-uid and by-refs answer as if they did not exist (404,
 * null), so a name in another tenant's namespace is never confirmed.
 */
public final class CatalogServlet extends HttpServlet {

  private static final int DEFAULT_LIMIT = 20;
  private final transient CatalogIndex index;
  private final transient EntityVisibility visibility = new EntityVisibility();
  private final transient Function<HttpServletRequest, Predicate<EntityVisibility.Source>> access;

  /** Serves every entity to every caller (tests of the API's shapes; the operator always passes an access rule). */
  public CatalogServlet(CatalogIndex index) {
    this(index, req -> null);
  }

  /**
   * @param index the catalog (its current snapshot is served)
   * @param access per request: whether the caller may see the entities of one source (asked once per source and
   *     request); null when the caller sees everything
   */
  public CatalogServlet(CatalogIndex index, Function<HttpServletRequest, Predicate<EntityVisibility.Source>> access) {
    this.index = index;
    this.access = access;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = req.getPathInfo() == null ? "" : req.getPathInfo();
    try {
      CatalogIndex.Snapshot s = index.snapshot();
      EntityVisibility.Viewer viewer = visibility.viewer(access.apply(req));
      if (path.equals("/entities/by-query")) {
        json(resp, 200, byQuery(s, req, viewer));
      } else if (path.startsWith("/entities/by-name/")) {
        String[] parts = path.substring("/entities/by-name/".length()).split("/");
        if (parts.length != 3) {
          throw new Failure(400, "InputError", "expected /entities/by-name/{kind}/{namespace}/{name}");
        }
        String ref = (decode(parts[0]) + ":" + decode(parts[1]) + "/" + decode(parts[2])).toLowerCase(Locale.ROOT);
        ObjectNode e = s.byRef().get(ref);
        if (e == null || !viewer.sees(e)) {
          throw new Failure(404, "NotFoundError", "No entity named '" + ref + "' found");
        }
        json(resp, 200, viewer.redact(e, s));
      } else if (path.startsWith("/entities/by-uid/")) {
        ObjectNode e = s.byUid().get(decode(path.substring("/entities/by-uid/".length())));
        if (e == null || !viewer.sees(e)) {
          throw new Failure(404, "NotFoundError", "No entity with uid " + path.substring(17) + " found");
        }
        json(resp, 200, viewer.redact(e, s));
      } else if (path.equals("/entity-facets")) {
        var filters = CatalogQuery.parseFilters(params(req, "filter"));
        List<Integer> selected = CatalogQuery.select(s, filters, null, null, viewer.visible(s));
        ObjectNode out = Serialization.JSON.createObjectNode();
        out.set("facets", Serialization.JSON.valueToTree(CatalogQuery.facets(s, selected, params(req, "facet"),
            filters.isEmpty() ? viewer.key(s) : null)));
        json(resp, 200, out);
      } else if (path.equals("/entities") || path.equals("/entities/")) {
        json(resp, 200, legacyList(s, req, viewer));
      } else if (path.equals("/export/catalog-info.yaml")) {
        resp.setStatus(200);
        resp.setContentType("application/yaml; charset=utf-8");
        resp.getWriter().write(CatalogExport.yaml(s, viewer.visible(s)));
      } else {
        throw new Failure(404, "NotFoundError", "No such endpoint: " + path);
      }
    } catch (Failure f) {
      error(req, resp, f.status, f.name, f.getMessage());
    } catch (IllegalArgumentException e) {
      error(req, resp, 400, "InputError", e.getMessage());
    }
  }

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = req.getPathInfo() == null ? "" : req.getPathInfo();
    if (!path.equals("/entities/by-refs")) {
      error(req, resp, 404, "NotFoundError", "No such endpoint: " + path);
      return;
    }
    JsonNode body;
    try {
      body = Serialization.JSON.readTree(req.getInputStream());
    } catch (IOException e) {
      error(req, resp, 400, "InputError", "the body is not JSON: " + e.getMessage());
      return;
    }
    if (body == null || !body.path("entityRefs").isArray()) {
      error(req, resp, 400, "InputError", "the body must be {\"entityRefs\": [...], \"fields\": [...]}");
      return;
    }
    List<String> fields = new ArrayList<>();
    body.path("fields").forEach(f -> fields.add(f.asText()));
    CatalogIndex.Snapshot s = index.snapshot();
    EntityVisibility.Viewer viewer = visibility.viewer(access.apply(req));
    ObjectNode out = Serialization.JSON.createObjectNode();
    ArrayNode items = out.putArray("items");
    for (JsonNode ref : body.get("entityRefs")) {
      ObjectNode e;
      try {
        e = s.byRef().get(EntityRef.parse(ref.asText(), "Component").key());
      } catch (IllegalArgumentException ex) {
        e = null;
      }
      if (e == null || !viewer.sees(e)) {
        items.addNull();
      } else {
        items.add(CatalogQuery.project((ObjectNode) viewer.redact(e, s), fields));
      }
    }
    json(resp, 200, out);
  }

  private ObjectNode byQuery(CatalogIndex.Snapshot s, HttpServletRequest req, EntityVisibility.Viewer viewer) {
    ObjectNode query;
    int offset;
    String cursor = req.getParameter("cursor");
    if (cursor != null) {
      query = CatalogQuery.decodeCursor(cursor);
      offset = query.path("offset").asInt();
    } else {
      query = Serialization.JSON.createObjectNode();
      query.set("filter", Serialization.JSON.valueToTree(params(req, "filter")));
      query.set("orderField", Serialization.JSON.valueToTree(params(req, "orderField")));
      query.put("fullTextFilterTerm", req.getParameter("fullTextFilterTerm"));
      query.set("fullTextFilterFields", Serialization.JSON.valueToTree(split(params(req, "fullTextFilterFields"))));
      offset = 0;
    }
    int limit = req.getParameter("limit") == null ? DEFAULT_LIMIT : Integer.parseInt(req.getParameter("limit"));
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative");
    }
    List<Integer> selected = CatalogQuery.select(s, CatalogQuery.parseFilters(strings(query.path("filter"))),
        query.path("fullTextFilterTerm").asText(null), strings(query.path("fullTextFilterFields")),
        viewer.visible(s));
    CatalogQuery.order(s, selected, strings(query.path("orderField")));
    List<String> fields = split(params(req, "fields"));
    ObjectNode out = Serialization.JSON.createObjectNode();
    ArrayNode items = out.putArray("items");
    int end = Math.min(selected.size(), offset + limit);
    for (int i = offset; i < end; i++) {
      items.add(CatalogQuery.project((ObjectNode) viewer.redact(s.entities().get(selected.get(i)), s), fields));
    }
    out.put("totalItems", selected.size());
    ObjectNode page = out.putObject("pageInfo");
    if (end < selected.size()) {
      page.put("nextCursor", CatalogQuery.cursor(query, end));
    }
    if (offset > 0) {
      page.put("prevCursor", CatalogQuery.cursor(query, Math.max(0, offset - limit)));
    }
    return out;
  }

  private ArrayNode legacyList(CatalogIndex.Snapshot s, HttpServletRequest req, EntityVisibility.Viewer viewer) {
    List<Integer> selected = CatalogQuery.select(s, CatalogQuery.parseFilters(params(req, "filter")), null, null,
        viewer.visible(s));
    CatalogQuery.order(s, selected, List.of());
    int offset = req.getParameter("offset") == null ? 0 : Integer.parseInt(req.getParameter("offset"));
    String after = req.getParameter("after");
    if (after != null) {
      offset = CatalogQuery.decodeCursor(after).path("offset").asInt();
    }
    int limit = req.getParameter("limit") == null ? Integer.MAX_VALUE : Integer.parseInt(req.getParameter("limit"));
    List<String> fields = split(params(req, "fields"));
    ArrayNode out = Serialization.JSON.createArrayNode();
    for (int i = offset; i < selected.size() && out.size() < limit; i++) {
      out.add(CatalogQuery.project((ObjectNode) viewer.redact(s.entities().get(selected.get(i)), s), fields));
    }
    return out;
  }

  private static List<String> params(HttpServletRequest req, String name) {
    String[] values = req.getParameterValues(name);
    return values == null ? List.of() : Arrays.asList(values);
  }

  private static List<String> split(List<String> values) {
    List<String> out = new ArrayList<>();
    values.forEach(v -> Arrays.stream(v.split(",")).map(String::trim).filter(x -> !x.isEmpty()).forEach(out::add));
    return out;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static void json(HttpServletResponse resp, int status, JsonNode body) throws IOException {
    resp.setStatus(status);
    resp.setContentType("application/json; charset=utf-8");
    Serialization.JSON.writeValue(resp.getOutputStream(), body);
  }

  private static void error(HttpServletRequest req, HttpServletResponse resp, int status, String name,
      String message) throws IOException {
    ObjectNode body = Serialization.JSON.createObjectNode();
    body.putObject("error").put("name", name).put("message", message);
    body.putObject("request").put("method", req.getMethod()).put("url", req.getRequestURI()
        + (req.getQueryString() == null ? "" : "?" + req.getQueryString()));
    body.putObject("response").put("statusCode", status);
    json(resp, status, body);
  }

  private static final class Failure extends RuntimeException {
    final int status;
    final String name;

    Failure(int status, String name, String message) {
      super(message);
      this.status = status;
      this.name = name;
    }
  }
}
