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
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The catalog over HTTP in the shapes, status codes and error bodies of Backstage's catalog backend
 * ({@code plugins/catalog-backend}, {@code createRouter}), mounted at {@code /api/catalog/*}. Read calls:
 * <ul>
 *   <li>{@code GET /entities} — {@code filter}, {@code fields}, {@code order} ({@code asc:field}), {@code offset},
 *       {@code limit}, {@code after}; an array, and a {@code Link: <...>; rel="next"} header when paginated</li>
 *   <li>{@code GET /entities/by-query} ({@code filter}, {@code fields}, {@code orderField}, {@code fullTextFilterTerm},
 *       {@code fullTextFilterFields}, {@code limit}, {@code offset}, {@code totalItems}, {@code cursor}) and
 *       {@code POST /entities/by-query} ({@code {query, orderBy, fullTextFilter, fields, limit, offset, totalItems}} or
 *       {@code {cursor, fields, limit}}, {@link CatalogPredicate}) → {@code {items, totalItems, pageInfo}}</li>
 *   <li>{@code POST /entities/by-refs} — {@code {entityRefs, fields?, query?}} and {@code ?filter=} → {@code {items}}
 *       in the order asked, null where no entity has that (full, case-insensitive) ref</li>
 *   <li>{@code GET /entities/by-name/{kind}/{namespace}/{name}}, {@code .../ancestry}, {@code GET /entities/by-uid/{uid}}</li>
 *   <li>{@code GET /entity-facets?facet=&filter=} and {@code POST /entity-facets} ({@code {facets, query?}}) →
 *       {@code {facets: {facet: [{value, count}]}}}, values as written, in value order</li>
 *   <li>{@code GET /locations} ({@code [{data: location}]}), {@code GET /locations/{id}},
 *       {@code GET /locations/by-entity/{kind}/{namespace}/{name}}, {@code POST /locations/by-query}: each target of
 *       each Location entity, {@code {id, type, target, entityRef}}</li>
 *   <li>{@code POST /refresh} — 200: the catalog follows the cluster live, nothing to refresh</li>
 *   <li>{@code POST /validate-entity} — {@code {entity, location}}: 200, or 400 {@code {errors: [...]}}
 *       ({@link EntityValidation})</li>
 *   <li>{@code GET /export/catalog-info.yaml} — every entity as YAML documents, for Backstage's URL reader</li>
 * </ul>
 * Calls that change a Backstage catalog ({@code POST /locations}, {@code PUT}/{@code DELETE /locations/{id}},
 * {@code DELETE /entities/by-uid/{uid}}) answer 403 NotAllowedError saying to use kubectl or Git: the catalog is
 * derived from the cluster. {@code POST /analyze-location} (reads a repository) answers 501 NotImplementedError.
 * Errors: {@code {error: {name, message}, request: {method, url}, response: {statusCode}}}.
 *
 * <p>Every endpoint answers over the entities the caller may see ({@link EntityVisibility}): queries, lists, facet
 * counts, locations and the export leave the others out; by-name, by-uid, ancestry and by-refs answer as if they did
 * not exist (404, null), so a name in another tenant's namespace is never confirmed.
 */
public final class CatalogServlet extends HttpServlet {

  /** Backstage's default page size of {@code queryEntities}. */
  static final int DEFAULT_LIMIT = 200;
  private static final String READ_ONLY = "Tarmac's catalog is derived from the cluster and cannot be changed"
      + " through this API: ";
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
    String path = path(req);
    try {
      CatalogIndex.Snapshot s = index.snapshot();
      EntityVisibility.Viewer viewer = visibility.viewer(access.apply(req));
      if (path.equals("/entities/by-query")) {
        json(req, resp, 200, byQuery(s, viewer, getQuery(req)));
      } else if (path.startsWith("/entities/by-name/")) {
        String[] parts = path.substring("/entities/by-name/".length()).split("/");
        if (parts.length == 4 && parts[3].equals("ancestry")) {
          json(req, resp, 200, ancestry(s, viewer, parts));
          return;
        }
        if (parts.length != 3) {
          throw new Failure(404, "NotFoundError", "No such endpoint: " + path);
        }
        String kind = decode(parts[0]);
        String namespace = decode(parts[1]);
        String name = decode(parts[2]);
        ObjectNode e = s.byRef().get(key(kind, namespace, name));
        if (e == null || !viewer.sees(e)) {
          throw new Failure(404, "NotFoundError", "No entity named '" + name + "' found, with kind '" + kind
              + "' in namespace '" + namespace + "'");
        }
        json(req, resp, 200, viewer.redact(e, s));
      } else if (path.startsWith("/entities/by-uid/")) {
        String uid = decode(path.substring("/entities/by-uid/".length()));
        ObjectNode e = s.byUid().get(uid);
        if (e == null || !viewer.sees(e)) {
          throw new Failure(404, "NotFoundError", "No entity with uid " + uid);
        }
        json(req, resp, 200, viewer.redact(e, s));
      } else if (path.equals("/entity-facets")) {
        List<String> facets = params(req, "facet").stream().filter(f -> !f.isEmpty()).toList();
        if (facets.isEmpty()) {
          throw new IllegalArgumentException("Missing facet parameter");
        }
        json(req, resp, 200, facets(s, viewer, CatalogPredicate.ofFilters(params(req, "filter")), facets));
      } else if (path.equals("/entities") || path.equals("/entities/")) {
        list(s, viewer, req, resp);
      } else if (path.equals("/locations")) {
        ArrayNode out = Serialization.JSON.createArrayNode();
        locations(s, viewer).forEach(l -> out.addObject().set("data", l));
        json(req, resp, 200, out);
      } else if (path.startsWith("/locations/by-entity/")) {
        json(req, resp, 200, locationByEntity(s, viewer, path.substring("/locations/by-entity/".length()).split("/")));
      } else if (path.startsWith("/locations/")) {
        String id = decode(path.substring("/locations/".length()));
        json(req, resp, 200, locations(s, viewer).stream().filter(l -> l.path("id").asText().equals(id)).findFirst()
            .orElseThrow(() -> new Failure(404, "NotFoundError", "Found no location with ID " + id)));
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
    String path = path(req);
    try {
      CatalogIndex.Snapshot s = index.snapshot();
      EntityVisibility.Viewer viewer = visibility.viewer(access.apply(req));
      switch (path) {
        case "/entities/by-query" -> json(req, resp, 200, byQuery(s, viewer, postQuery(body(req))));
        case "/entities/by-refs" -> json(req, resp, 200, byRefs(s, viewer, req, body(req)));
        case "/entity-facets" -> {
          JsonNode body = body(req);
          List<String> facets = new ArrayList<>();
          body.path("facets").forEach(f -> {
            if (!f.asText().isEmpty()) {
              facets.add(f.asText());
            }
          });
          if (facets.isEmpty()) {
            throw new IllegalArgumentException("Missing or empty facets parameter");
          }
          json(req, resp, 200, facets(s, viewer, body.has("query") ? CatalogPredicate.parse(body.get("query")) : null,
              facets));
        }
        case "/locations/by-query" -> json(req, resp, 200, locationsByQuery(s, viewer, body(req)));
        case "/refresh" -> {
          if (!body(req).path("entityRef").isTextual()) {
            throw new IllegalArgumentException("Malformed request: request/body must have required property"
                + " 'entityRef'");
          }
          resp.setStatus(200);
        }
        case "/validate-entity" -> validate(req, resp, body(req));
        case "/locations" -> throw new Failure(403, "NotAllowedError", READ_ONLY + "apply the entities with"
            + " `kubectl apply -f <file>` (or commit them to the Git repository your GitOps tool applies); a Location"
            + " is itself an object: `kubectl apply -f location.yaml`");
        case "/analyze-location" -> throw new Failure(501, "NotImplementedError", "analyze-location reads"
            + " repositories; Tarmac's catalog reads only the cluster: write catalog-info.yaml and apply it with"
            + " kubectl");
        default -> throw new Failure(404, "NotFoundError", "No such endpoint: " + path);
      }
    } catch (Failure f) {
      error(req, resp, f.status, f.name, f.getMessage());
    } catch (IllegalArgumentException e) {
      error(req, resp, 400, "InputError", e.getMessage());
    }
  }

  @Override
  protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = path(req);
    if (path.startsWith("/locations/")) {
      error(req, resp, 403, "NotAllowedError", READ_ONLY + "change the Location object instead: `kubectl edit"
          + " locations.backstage.io <name>` or a commit to its file in Git");
    } else {
      error(req, resp, 404, "NotFoundError", "No such endpoint: " + path);
    }
  }

  @Override
  protected void doDelete(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = path(req);
    if (path.startsWith("/entities/by-uid/")) {
      error(req, resp, 403, "NotAllowedError", READ_ONLY + "delete the entity's object with `kubectl delete`"
          + " (its backstage.io/managed-by-location annotation names it: kubernetes:<apiVersion>/<kind>/<namespace>/"
          + "<name>), or remove its file from Git");
    } else if (path.startsWith("/locations/")) {
      error(req, resp, 403, "NotAllowedError", READ_ONLY + "delete the Location object with `kubectl delete"
          + " locations.backstage.io <name>` (the entities it listed are objects of their own: delete them too)");
    } else {
      error(req, resp, 404, "NotFoundError", "No such endpoint: " + path);
    }
  }

  // ---- entities ------------------------------------------------------------------------------------------------

  /**
   * A query as its cursor keeps it: {@code query} (a predicate, absent for none), {@code orderFields},
   * {@code fullTextFilter}, {@code offset}, and for later pages {@code totalItems} and {@code page} (true); plus the
   * request's own {@code limit} and {@code fields}, which are not part of the cursor.
   */
  private record Query(ObjectNode state, int limit, List<String> fields, boolean excludeTotal) {
  }

  private static Query getQuery(HttpServletRequest req) {
    List<String> fields = split(params(req, "fields"));
    int limit = intParam(req.getParameter("limit"), DEFAULT_LIMIT, "limit");
    String cursor = req.getParameter("cursor");
    if (cursor != null) {
      if (cursor.isEmpty()) {
        throw new IllegalArgumentException("Cursor cannot be empty");
      }
      ObjectNode state = CatalogQuery.decodeCursor(cursor);
      state.put("page", true);
      return new Query(state, limit, fields, false);
    }
    ObjectNode state = Serialization.JSON.createObjectNode();
    CatalogPredicate.ofFilters(params(req, "filter")); // parse errors are the caller's
    var parsed = CatalogQuery.parseFilters(params(req, "filter"));
    if (!parsed.isEmpty()) {
      state.set("query", CatalogPredicate.json(parsed));
    }
    ArrayNode orderFields = state.putArray("orderFields");
    for (String of : params(req, "orderField")) {
      String[] parts = of.split(",");
      String order = parts.length > 1 ? parts[1].trim() : "asc";
      if (parts[0].isBlank() || !order.equals("asc") && !order.equals("desc")) {
        throw new IllegalArgumentException("Invalid order field order, must be asc or desc");
      }
      orderFields.addObject().put("field", parts[0].trim()).put("order", order);
    }
    String term = req.getParameter("fullTextFilterTerm");
    if (term != null && !term.isBlank()) {
      ObjectNode text = state.putObject("fullTextFilter").put("term", term.trim());
      List<String> textFields = split(params(req, "fullTextFilterFields"));
      if (!textFields.isEmpty()) {
        ArrayNode f = text.putArray("fields");
        textFields.forEach(f::add);
      }
    }
    state.put("offset", intParam(req.getParameter("offset"), 0, "offset"));
    return new Query(state, limit, fields, excludeTotal(req.getParameter("totalItems")));
  }

  private static Query postQuery(JsonNode body) {
    List<String> fields = strings(body.path("fields"));
    int limit = body.has("limit") ? body.get("limit").asInt() : DEFAULT_LIMIT;
    if (limit < 0) {
      throw new IllegalArgumentException("Invalid limit, must be zero or greater");
    }
    if (body.has("cursor")) {
      if (body.get("cursor").asText().isEmpty()) {
        throw new IllegalArgumentException("Cursor cannot be empty");
      }
      ObjectNode state = CatalogQuery.decodeCursor(body.get("cursor").asText());
      state.put("page", true);
      return new Query(state, limit, fields, false);
    }
    ObjectNode state = Serialization.JSON.createObjectNode();
    if (body.has("query")) {
      CatalogPredicate.parse(body.get("query"));
      state.set("query", body.get("query"));
    }
    ArrayNode orderFields = state.putArray("orderFields");
    JsonNode orderBy = body.path("orderBy");
    for (JsonNode o : orderBy.isArray() ? orderBy : Serialization.JSON.createArrayNode().add(orderBy)) {
      if (o.isMissingNode() || o.isNull()) {
        continue;
      }
      String order = o.path("order").asText();
      if (!order.equals("asc") && !order.equals("desc")) {
        throw new IllegalArgumentException("Invalid order field order, must be asc or desc");
      }
      orderFields.addObject().put("field", o.path("field").asText()).put("order", order);
    }
    if (body.path("fullTextFilter").isObject()) {
      ObjectNode text = state.putObject("fullTextFilter");
      text.put("term", body.get("fullTextFilter").path("term").asText(""));
      if (body.get("fullTextFilter").path("fields").isArray()) {
        text.set("fields", body.get("fullTextFilter").get("fields"));
      }
    }
    int offset = body.path("offset").asInt(0);
    if (offset < 0) {
      throw new IllegalArgumentException("Invalid offset, must be zero or greater");
    }
    state.put("offset", offset);
    return new Query(state, limit, fields,
        excludeTotal(body.has("totalItems") ? body.get("totalItems").asText() : null));
  }

  private static boolean excludeTotal(String mode) {
    if (mode == null) {
      return false;
    }
    if (!mode.equals("include") && !mode.equals("exclude")) {
      throw new IllegalArgumentException("Invalid totalItems value \"" + mode + "\", expected one of: include,"
          + " exclude");
    }
    return mode.equals("exclude");
  }

  /** Backstage's {@code queryEntities}: one page, its total and the cursors to the pages around it. */
  private static ObjectNode byQuery(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer, Query q) {
    ObjectNode state = q.state();
    CatalogPredicate predicate = state.hasNonNull("query") ? CatalogPredicate.parse(state.get("query")) : null;
    JsonNode order = state.path("orderFields").path(0);
    String orderField = order.isMissingNode() ? null : order.path("field").asText();
    JsonNode text = state.path("fullTextFilter");
    List<String> textFields = text.path("fields").isArray() && !text.get("fields").isEmpty()
        ? strings(text.get("fields")) : List.of(orderField != null ? orderField : "metadata.uid");
    BitSet matches = CatalogQuery.matches(s, predicate, text.path("term").asText(null), textFields,
        viewer.visible(s));
    CatalogQuery.Page p = CatalogQuery.page(s, matches, orderField, order.path("order").asText().equals("desc"),
        state.path("offset").asInt(), q.limit());
    boolean page = state.path("page").asBoolean();
    int total = page ? state.path("totalItems").asInt(p.total()) : q.excludeTotal() ? 0 : p.total();
    int offset = p.offset();
    int end = offset + p.items().length;
    ObjectNode out = Serialization.JSON.createObjectNode();
    ArrayNode items = out.putArray("items");
    String[][] paths = CatalogQuery.paths(q.fields());
    for (int i : p.items()) {
      items.add(served(s, i, viewer, paths));
    }
    out.put("totalItems", total);
    ObjectNode pageInfo = out.putObject("pageInfo");
    ObjectNode cursor = state.deepCopy();
    cursor.remove("page");
    cursor.put("totalItems", total);
    if (q.limit() > 0 && end < p.total()) {
      pageInfo.put("nextCursor", CatalogQuery.cursor(cursor, end));
    }
    if (page && offset > 0) {
      pageInfo.put("prevCursor", CatalogQuery.cursor(cursor, Math.max(0, offset - Math.max(1, q.limit()))));
    }
    return out;
  }

  /** The legacy list: every match as an array; with offset/limit/after a page and a Link header to the next. */
  private static void list(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer, HttpServletRequest req,
      HttpServletResponse resp) throws IOException {
    CatalogPredicate predicate = CatalogPredicate.ofFilters(params(req, "filter"));
    String[][] paths = CatalogQuery.paths(split(params(req, "fields")));
    List<String[]> order = new ArrayList<>();
    for (String o : params(req, "order")) {
      var m = java.util.regex.Pattern.compile("^(asc|desc):(.+)$").matcher(o);
      if (!m.matches()) {
        throw new IllegalArgumentException("Invalid order parameter \"" + o + "\", expected \"<asc or desc>:<field"
            + " name>\"");
      }
      order.add(new String[] {m.group(1), m.group(2)});
    }
    String offsetParam = req.getParameter("offset");
    String limitParam = req.getParameter("limit");
    String after = req.getParameter("after");
    boolean paginated = offsetParam != null || limitParam != null || after != null;
    int offset = offsetParam == null ? 0 : Integer.parseInt(offsetParam.trim());
    Integer limit = limitParam == null ? null : Integer.parseInt(limitParam.trim());
    if (offset < 0) {
      throw new IllegalArgumentException("Invalid offset, must be zero or greater");
    }
    if (limit != null && limit <= 0) {
      throw new IllegalArgumentException("Invalid limit, must be greater than zero");
    }
    if (after != null) {
      if (after.isEmpty()) {
        throw new IllegalArgumentException("Invalid after, must not be empty");
      }
      JsonNode c;
      try {
        c = Serialization.JSON.readTree(Base64.getDecoder().decode(after));
      } catch (Exception e) {
        throw new IllegalArgumentException("Malformed after cursor, could not be parsed");
      }
      if (c.has("limit")) {
        limit = c.get("limit").asInt();
      }
      if (c.has("offset")) {
        offset = c.get("offset").asInt();
      }
    }
    BitSet matches = CatalogQuery.matches(s, predicate, null, List.of(), viewer.visible(s));
    if (order.isEmpty()) {
      // Ref order: a page straight from the matches, no list of them all.
      CatalogQuery.Page p = CatalogQuery.page(s, matches, null, false, offset, limit == null ? Integer.MAX_VALUE
          : limit);
      ArrayNode out = Serialization.JSON.createArrayNode();
      for (int i : p.items()) {
        out.add(served(s, i, viewer, paths));
      }
      if (paginated && limit != null && p.offset() + p.items().length < p.total()) {
        resp.setHeader("Link", next(req, limit, p.offset() + p.items().length));
      }
      json(req, resp, 200, out);
      return;
    }
    List<Integer> selected = new ArrayList<>(matches.cardinality());
    for (int i = matches.nextSetBit(0); i >= 0; i = matches.nextSetBit(i + 1)) {
      selected.add(i);
    }
    Comparator<Integer> cmp = null;
    for (String[] o : order) {
      String key = o[1].toLowerCase(Locale.ROOT);
      Comparator<String> values = o[0].equals("desc") ? Comparator.reverseOrder() : Comparator.naturalOrder();
      Comparator<Integer> c = Comparator.comparing((Integer i) -> first(s, i, key), Comparator.nullsLast(values));
      cmp = cmp == null ? c : cmp.thenComparing(c);
    }
    selected.sort(cmp.thenComparing(Comparator.naturalOrder()));
    int end = limit == null ? selected.size() : (int) Math.min(selected.size(), (long) offset + limit);
    ArrayNode out = Serialization.JSON.createArrayNode();
    for (int i = Math.min(offset, selected.size()); i < end; i++) {
      out.add(served(s, selected.get(i), viewer, paths));
    }
    if (paginated && limit != null && end < selected.size()) {
      resp.setHeader("Link", next(req, limit, end));
    }
    json(req, resp, 200, out);
  }

  /** The {@code Link} header to the page of the legacy list after one that ends at {@code end}. */
  private static String next(HttpServletRequest req, int limit, int end) {
    String next = Base64.getEncoder().encodeToString(("{\"limit\":" + limit + ",\"offset\":" + end + "}")
        .getBytes(StandardCharsets.UTF_8));
    StringBuilder query = new StringBuilder();
    for (var p : req.getParameterMap().entrySet()) {
      if (p.getKey().equals("offset") || p.getKey().equals("after")) {
        continue;
      }
      for (String v : p.getValue()) {
        query.append(query.isEmpty() ? "?" : "&").append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8))
            .append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    }
    query.append(query.isEmpty() ? "?" : "&").append("after=").append(URLEncoder.encode(next,
        StandardCharsets.UTF_8));
    return "<" + path(req) + query + ">; rel=\"next\"";
  }

  /**
   * The entity at index {@code i} as {@code viewer} may see it, keeping {@code paths} ({@link CatalogQuery#paths}; all:
   * null): the bytes the snapshot keeps for it when it is served whole and unredacted, else a projected or redacted
   * tree.
   */
  private static JsonNode served(CatalogIndex.Snapshot s, int i, EntityVisibility.Viewer viewer, String[][] paths) {
    ObjectNode e = s.entities().get(i);
    JsonNode shown = viewer.redact(e, s);
    if (shown == e && paths == null) {
      return s.json().get(i).node();
    }
    return CatalogQuery.project((ObjectNode) shown, paths);
  }

  private static String first(CatalogIndex.Snapshot s, int i, String key) {
    Set<String> values = s.search().get(i).get(key);
    return values == null || values.isEmpty() ? null : values.iterator().next().toLowerCase(Locale.ROOT);
  }

  private static ObjectNode byRefs(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer, HttpServletRequest req,
      JsonNode body) {
    if (!body.path("entityRefs").isArray()) {
      throw new IllegalArgumentException("Malformed request body (did you remember to specify an application/json"
          + " content type?), Validation error: Required at \"entityRefs\"");
    }
    CatalogPredicate filter = CatalogPredicate.ofFilters(params(req, "filter"));
    CatalogPredicate query = body.has("query") ? CatalogPredicate.parse(body.get("query")) : null;
    BitSet allowed = null;
    for (CatalogPredicate p : new CatalogPredicate[] {filter, query}) {
      if (p != null) {
        BitSet b = p.eval(s);
        if (allowed == null) {
          allowed = b;
        } else {
          allowed.and(b);
        }
      }
    }
    Set<String> fieldSet = new LinkedHashSet<>(strings(body.path("fields")));
    fieldSet.addAll(split(params(req, "fields")));
    String[][] paths = CatalogQuery.paths(List.copyOf(fieldSet));
    java.util.Map<ObjectNode, Integer> position = allowed == null ? null : new java.util.IdentityHashMap<>();
    if (position != null) {
      for (int i = allowed.nextSetBit(0); i >= 0; i = allowed.nextSetBit(i + 1)) {
        position.put(s.entities().get(i), i);
      }
    }
    ObjectNode out = Serialization.JSON.createObjectNode();
    ArrayNode items = out.putArray("items");
    for (JsonNode ref : body.get("entityRefs")) {
      ObjectNode e = s.byRef().get(ref.asText().toLowerCase(Locale.ROOT));
      if (e == null || !viewer.sees(e) || position != null && !position.containsKey(e)) {
        items.addNull();
      } else {
        items.add(CatalogQuery.project((ObjectNode) viewer.redact(e, s), paths));
      }
    }
    return out;
  }

  private static ObjectNode facets(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer, CatalogPredicate filter,
      List<String> facets) {
    BitSet selected = CatalogQuery.matches(s, filter, null, List.of(), viewer.visible(s));
    return CatalogQuery.facetsJson(s, selected, facets, filter == null ? viewer.key(s) : null);
  }

  /** Backstage's {@code entityAncestry}: the entity, then what it was derived from, each with its parents' refs. */
  private static ObjectNode ancestry(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer, String[] parts) {
    String root = key(decode(parts[0]), decode(parts[1]), decode(parts[2]));
    ObjectNode rootEntity = s.byRef().get(root);
    if (rootEntity == null || !viewer.sees(rootEntity)) {
      throw new Failure(404, "NotFoundError", "No such entity " + CatalogIndex.displayRef(
          rootEntityStub(parts)));
    }
    ObjectNode out = Serialization.JSON.createObjectNode();
    out.put("rootEntityRef", CatalogIndex.displayRef(rootEntity));
    ArrayNode items = out.putArray("items");
    Set<String> seen = new LinkedHashSet<>();
    List<String> todo = new ArrayList<>(List.of(root));
    seen.add(root);
    while (!todo.isEmpty()) {
      String ref = todo.remove(todo.size() - 1);
      ObjectNode e = s.byRef().get(ref);
      ObjectNode item = items.addObject();
      item.set("entity", viewer.redact(e, s));
      ArrayNode parentRefs = item.putArray("parentEntityRefs");
      for (String parent : s.parents().getOrDefault(ref, List.of())) {
        ObjectNode p = s.byRef().get(parent);
        if (p == null || !viewer.sees(p)) {
          continue;
        }
        parentRefs.add(parent);
        if (seen.add(parent)) {
          todo.add(parent);
        }
      }
    }
    return out;
  }

  private static ObjectNode rootEntityStub(String[] parts) {
    ObjectNode e = Serialization.JSON.createObjectNode();
    e.put("kind", decode(parts[0]));
    e.putObject("metadata").put("namespace", decode(parts[1])).put("name", decode(parts[2]));
    return e;
  }

  private static void validate(HttpServletRequest req, HttpServletResponse resp, JsonNode body) throws IOException {
    List<String> problems = new ArrayList<>();
    String location = body.path("location").asText(null);
    if (!body.has("entity")) {
      problems.add("Malformed request: Required at \"entity\"");
    } else if (location == null) {
      problems.add("Malformed request: Required at \"location\"");
    } else if (!location.startsWith("url:") || location.length() == 4) {
      problems.add("Invalid location ref " + location + ", only 'url:<target>' is supported, e.g."
          + " url:https://host/path");
    } else {
      problems.addAll(EntityValidation.problems(body.get("entity")));
    }
    if (problems.isEmpty()) {
      resp.setStatus(200);
      return;
    }
    ObjectNode out = Serialization.JSON.createObjectNode();
    ArrayNode errors = out.putArray("errors");
    problems.forEach(p -> errors.addObject().put("name", "InputError").put("message", p));
    json(req, resp, 400, out);
  }

  // ---- locations -----------------------------------------------------------------------------------------------

  /** Each target of each visible Location entity: {@code {id, type, target, entityRef}}, in entity order. */
  static List<ObjectNode> locations(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer) {
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode e : s.entities()) {
      if (!"Location".equals(e.path("kind").asText()) || !viewer.sees(e)) {
        continue;
      }
      List<String> targets = new ArrayList<>();
      if (e.path("spec").path("target").isTextual()) {
        targets.add(e.get("spec").get("target").asText());
      }
      e.path("spec").path("targets").forEach(t -> targets.add(t.asText()));
      for (String target : targets) {
        ObjectNode l = Serialization.JSON.createObjectNode();
        l.put("id", java.util.UUID.nameUUIDFromBytes((e.path("metadata").path("uid").asText() + "|" + target)
            .getBytes(StandardCharsets.UTF_8)).toString());
        l.put("type", e.path("spec").path("type").asText("url"));
        l.put("target", target);
        l.put("entityRef", CatalogIndex.displayRef(e));
        out.add(l);
      }
    }
    return out;
  }

  private static ObjectNode locationsByQuery(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer,
      JsonNode body) {
    int limit;
    String afterId = null;
    JsonNode query;
    if (body.has("cursor")) {
      JsonNode c;
      try {
        c = Serialization.JSON.readTree(Base64.getDecoder().decode(body.get("cursor").asText()));
      } catch (Exception e) {
        throw new IllegalArgumentException("Malformed cursor, unknown encoding");
      }
      limit = c.path("limit").asInt(1000);
      afterId = c.path("afterId").asText(null);
      query = c.get("query");
    } else {
      limit = body.has("limit") ? body.get("limit").asInt() : 1000;
      query = body.get("query");
    }
    if (limit < 1) {
      throw new IllegalArgumentException("Limit must be a positive integer >= 1");
    }
    CatalogPredicate p = query == null || query.isNull() ? null : CatalogPredicate.parse(query);
    List<ObjectNode> all = new ArrayList<>(locations(s, viewer).stream().filter(l -> p == null || p.matches(l))
        .toList());
    all.sort(Comparator.comparing(l -> l.path("id").asText()));
    int total = all.size();
    String after = afterId;
    List<ObjectNode> rest = after == null ? all : all.stream().filter(l -> l.path("id").asText().compareTo(after) > 0)
        .toList();
    ObjectNode out = Serialization.JSON.createObjectNode();
    ArrayNode items = out.putArray("items");
    rest.stream().limit(limit).forEach(items::add);
    out.put("totalItems", total);
    ObjectNode page = out.putObject("pageInfo");
    if (rest.size() > limit) {
      ObjectNode c = Serialization.JSON.createObjectNode();
      c.put("limit", limit);
      c.put("afterId", items.get(items.size() - 1).path("id").asText());
      if (query != null) {
        c.set("query", query);
      }
      page.put("nextCursor", Base64.getEncoder().encodeToString(c.toString().getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  private static ObjectNode locationByEntity(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer,
      String[] parts) {
    if (parts.length != 3) {
      throw new Failure(404, "NotFoundError", "No such endpoint");
    }
    String ref = key(decode(parts[0]), decode(parts[1]), decode(parts[2]));
    ObjectNode e = s.byRef().get(ref);
    if (e == null || !viewer.sees(e)) {
      throw new Failure(404, "NotFoundError", "found no entity for ref " + ref);
    }
    String origin = e.path("metadata").path("annotations").path("backstage.io/managed-by-origin-location")
        .asText(null);
    if (origin == null) {
      throw new Failure(404, "NotFoundError", "found no origin annotation for ref " + ref);
    }
    int colon = origin.indexOf(':');
    String type = colon < 0 ? origin : origin.substring(0, colon);
    String target = colon < 0 ? "" : origin.substring(colon + 1);
    return locations(s, viewer).stream().filter(l -> l.path("type").asText().equals(type)
        && l.path("target").asText().equals(target)).findFirst()
        .orElseThrow(() -> new Failure(404, "NotFoundError", "Found no location with type " + type + " and target "
            + target));
  }

  // ---- plumbing ------------------------------------------------------------------------------------------------

  private static String key(String kind, String namespace, String name) {
    return (kind + ":" + namespace + "/" + name).toLowerCase(Locale.ROOT);
  }

  private static String path(HttpServletRequest req) {
    return req.getPathInfo() == null ? "" : req.getPathInfo();
  }

  private static JsonNode body(HttpServletRequest req) {
    try {
      JsonNode body = Serialization.JSON.readTree(req.getInputStream());
      if (body == null || body.isMissingNode() || body.isNull()) {
        return Serialization.JSON.createObjectNode();
      }
      if (!body.isObject()) {
        throw new IllegalArgumentException("Expected body to be a JSON object");
      }
      return body;
    } catch (IOException e) {
      throw new IllegalArgumentException("the body is not JSON: " + e.getMessage());
    }
  }

  private static int intParam(String value, int otherwise, String name) {
    if (value == null) {
      return otherwise;
    }
    try {
      int v = Integer.parseInt(value.trim());
      if (v < 0) {
        throw new IllegalArgumentException("Invalid " + name + ", must be zero or greater");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid " + name + ", must be an integer");
    }
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

  /**
   * Writes {@code body} as JSON with {@code status}, and a {@code Server-Timing} header (W3C Server Timing) when the
   * body fits the response's buffer ({@link #BUFFER}, 64 KiB; larger responses are committed while written and go
   * without it): {@code app;dur=} milliseconds from the servlet's entry to the body written into the buffer (query,
   * response tree, JSON encoding), {@code gc;dur=} milliseconds of this JVM's collector pauses in that time and
   * {@code desc} their count (the collectors' counters, so a pause that only overlaps the request counts whole),
   * {@code jetty;dur=} milliseconds from Jetty's parse of the request's headers to the servlet's entry (dispatch to a
   * worker thread, filters: authentication). The
   * bench's catalog scenario reads it to split a request's latency into the server's share and the rest (Jetty,
   * network, client).
   */
  private static void json(HttpServletRequest req, HttpServletResponse resp, int status, JsonNode body)
      throws IOException {
    resp.setStatus(status);
    resp.setContentType("application/json; charset=utf-8");
    resp.setBufferSize(BUFFER);
    jakarta.servlet.ServletOutputStream out = resp.getOutputStream();
    BUFFERED.writeValue(out, body);
    if (!resp.isCommitted() && req.getAttribute(STARTED) instanceof long[] started) {
      long nanos = System.nanoTime() - started[0];
      long[] gc = gc();
      resp.setHeader("Server-Timing", "app;dur=" + nanos / 1_000 / 1_000.0 + ", gc;dur=" + (gc[1] - started[2])
          + ";desc=" + (gc[0] - started[1]) + ", jetty;dur=" + (started[0] - started[3]) / 1_000 / 1_000.0);
    }
    out.close();
  }

  /**
   * JSON written into the servlet's stream without flushing it, so the response is not committed (and a header can
   * still be set) while the body fits the response's buffer.
   */
  private static final com.fasterxml.jackson.databind.ObjectWriter BUFFERED = Serialization.JSON.writer()
      .without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET)
      .without(com.fasterxml.jackson.core.JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
  /** Bytes a response may take before Jetty commits it (and writes it out without a Content-Length). */
  private static final int BUFFER = 64 * 1024;
  private static final String STARTED = CatalogServlet.class.getName() + ".started";
  private static final List<java.lang.management.GarbageCollectorMXBean> COLLECTORS =
      java.lang.management.ManagementFactory.getGarbageCollectorMXBeans();

  /** This JVM's collections so far: {count, milliseconds}, summed over its collectors. */
  private static long[] gc() {
    long count = 0;
    long millis = 0;
    for (java.lang.management.GarbageCollectorMXBean c : COLLECTORS) {
      count += Math.max(0, c.getCollectionCount());
      millis += Math.max(0, c.getCollectionTime());
    }
    return new long[] {count, millis};
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp)
      throws jakarta.servlet.ServletException, IOException {
    long[] gc = gc();
    long now = System.nanoTime();
    var jetty = org.eclipse.jetty.ee10.servlet.ServletContextRequest.getServletContextRequest(req);
    long headers = jetty == null ? now : jetty.getHeadersNanoTime();
    req.setAttribute(STARTED, new long[] {now, gc[0], gc[1], headers});
    super.service(req, resp);
  }

  private static void error(HttpServletRequest req, HttpServletResponse resp, int status, String name,
      String message) throws IOException {
    ObjectNode body = Serialization.JSON.createObjectNode();
    body.putObject("error").put("name", name).put("message", message);
    body.putObject("request").put("method", req.getMethod()).put("url", req.getRequestURI()
        + (req.getQueryString() == null ? "" : "?" + req.getQueryString()));
    body.putObject("response").put("statusCode", status);
    json(req, resp, status, body);
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
