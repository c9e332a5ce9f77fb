package dev.tarmac.portal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.EntityVisibility;
import dev.tarmac.http.Caller;
import dev.tarmac.http.HttpAuthenticator;
import dev.tarmac.http.KubernetesAuth;
import dev.tarmac.trace.TraceNode;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portal's read side, mounted at {@code /} (Jetty serves more specific mounts such as {@code /git/*},
 * {@code /api/catalog/*} and {@code /golden-paths/*} first): {@code /} (to the catalog), {@code /catalog},
 * {@code /catalog/<kind>/<namespace>/<name>}, {@code /scorecards}, {@code /requests} (and its rows alone with
 * {@code ?fragment=rows}, for the page's polling script), {@code /sign-in} and {@code /sign-out} (POST), and
 * {@code /portal-static/*} (the stylesheet and the polling script). Thin: it reads the request, asks a page model
 * ({@link CatalogPage}, {@link EntityPage}, {@link ScorecardsPage}, {@link RequestsPage}) and renders its template.
 *
 * <p>Pages run behind {@link HttpAuthenticator#browserFilter}, which leaves the {@link Caller} in the request; a page
 * reached without one (a missing filter mount) is treated as not signed in (fail closed). Every page shows only the
 * entities the caller may {@code get} ({@link EntityVisibility}); the entity page also reads the object's conditions,
 * its Events (when the caller may list Events in its namespace) and its trace (Jobs, Works, Secrets and Destinations
 * only where the caller may get them) from the API server.
 *
 * <p>CSRF: the only POSTs are sign-in and sign-out. Both must come from a page of this origin ({@code Origin}, else
 * {@code Referer}, naming the host the request was sent to); sign-in also carries a per-browser token that must match
 * its cookie (double submit), so another site cannot sign a browser in as someone else. The token cookie is
 * {@code HttpOnly} and {@code SameSite=Strict}, so other sites' requests never carry it.
 */
public final class PortalServlet extends HttpServlet {

  private static final Logger LOG = LoggerFactory.getLogger(PortalServlet.class);
  /** The sign-in form's double-submit cookie. */
  static final String CSRF_COOKIE = "tarmac_csrf";
  /** How long the token cookie is kept: a working day (tokens usually expire sooner). */
  static final int TOKEN_COOKIE_SECONDS = 12 * 3600;
  private static final String CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  /** What the entity page reads from the cluster, as the operator (the servlet decides what the caller sees). */
  public interface Cluster {
    /** The object at {@code apiVersion/kind namespace/name} as JSON; null when absent. */
    JsonNode object(String apiVersion, String kind, String namespace, String name);

    /** Events about the object with {@code uid} in {@code namespace}, newest first, at most {@code limit}. */
    List<JsonNode> events(String namespace, String uid, int limit);

    /**
     * The object's trace ({@code tarmac trace}).
     *
     * @throws IllegalArgumentException when the kind has no trace or the object is gone
     */
    TraceNode trace(String kind, String namespace, String name);

    /** GitStateStore name → repository URL (the embedded server's URL for embedded stores). */
    Map<String, String> repositories();
  }

  private final transient CatalogIndex index;
  private final transient Function<HttpServletRequest, Predicate<EntityVisibility.Source>> access;
  private final transient Cluster cluster;
  private final transient HttpAuthenticator authenticator;
  private final transient PortalTemplates templates = new PortalTemplates();
  private final transient EntityVisibility visibility = new EntityVisibility();
  private final transient SecureRandom random = new SecureRandom();
  private final transient PortalTimers timers;
  /** Per catalog snapshot: search text, scorecard tables, requests (see {@link SnapshotCache}). */
  private final transient SnapshotCache cache = new SnapshotCache();

  /**
   * @param index the catalog
   * @param access per request: whether the caller may see one source's entities; null when it sees everything (the
   *     catalog API's rule)
   * @param cluster live reads for entity pages
   * @param authenticator checks tokens pasted into the sign-in page
   * @param timers where each request's server time is recorded ({@code tarmac_portal_request_seconds{page}})
   */
  public PortalServlet(CatalogIndex index, Function<HttpServletRequest, Predicate<EntityVisibility.Source>> access,
      Cluster cluster, HttpAuthenticator authenticator, PortalTimers timers) {
    this.index = index;
    this.access = access;
    this.cluster = cluster;
    this.authenticator = authenticator;
    this.timers = timers;
  }

  /**
   * The model every portal page starts from: {@code caller} (the name shown), {@code active} (the nav entry) and
   * {@code signOut} (true when the caller signed in with the token cookie, so the layout offers to sign out). The
   * golden-paths pages use it too.
   */
  public static Map<String, Object> baseModel(HttpServletRequest req, String active) {
    Map<String, Object> m = new HashMap<>();
    Caller caller = Caller.of(req);
    m.put("caller", caller == Caller.NOBODY ? null : caller.unrestricted() ? "anonymous (--anonymous-read)"
        : caller.name());
    m.put("active", active);
    m.put("signOut", caller.token().isPresent()
        && HttpAuthenticator.cookie(req, HttpAuthenticator.TOKEN_COOKIE).equals(caller.token()));
    return m;
  }

  /** Every request, timed ({@code tarmac_portal_request_seconds{page}}, see {@link #timerPage}). */
  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
    timers.time(timerPage(req), () -> super.service(req, resp));
  }

  /** The {@code page} label of a request's timer ({@link PortalTimers#PAGES}). */
  static String timerPage(HttpServletRequest req) {
    String path = req.getRequestURI();
    return switch (path) {
      case "/catalog", "/scorecards", "/sign-in" -> path.substring(1);
      case "/requests" -> "rows".equals(req.getParameter("fragment")) ? "requests-rows" : "requests";
      default -> path.startsWith("/catalog/") ? "entity" : "other";
    };
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    long start = System.nanoTime();
    String path = req.getRequestURI();
    headers(resp);
    if (path.startsWith("/portal-static/")) {
      staticFile(path.substring("/portal-static/".length()), resp);
      return;
    }
    if (path.equals(HttpAuthenticator.SIGN_IN)) {
      signInPage(req, resp, null, 200);
      return;
    }
    if (path.equals("/") || path.isEmpty()) {
      resp.setStatus(303);
      resp.setHeader("Location", "/catalog");
      return;
    }
    boolean page = path.equals("/catalog") || path.startsWith("/catalog/") || path.equals("/scorecards")
        || path.equals("/requests");
    if (!page) {
      message(req, resp, 404, "Not found", "There is no page at " + path + ".");
      return;
    }
    Caller caller = Caller.of(req);
    if (caller == Caller.NOBODY) {
      resp.setStatus(303);
      resp.setHeader("Location", HttpAuthenticator.SIGN_IN);
      return;
    }
    try {
      CatalogIndex.Snapshot s = index.snapshot();
      EntityVisibility.Viewer viewer = visibility.viewer(access.apply(req));
      if (path.equals("/catalog")) {
        Map<String, Object> m = baseModel(req, "catalog");
        m.put("page", CatalogPage.build(s, viewer, CatalogPage.Query.of(req.getParameterMap()), cache));
        render(resp, "catalog", m, start);
      } else if (path.startsWith("/catalog/")) {
        entity(req, resp, s, viewer, caller, path, start);
      } else if (path.equals("/scorecards")) {
        Map<String, Object> m = baseModel(req, "scorecards");
        m.put("page", ScorecardsPage.build(s, viewer, index.scorecardSpecs(), req.getParameterMap(),
            cache));
        render(resp, "scorecards", m, start);
      } else {
        requests(req, resp, s, viewer, start);
      }
    } catch (KubernetesClientException e) {
      LOG.warn("cannot check what {} may see: {}", caller.name(), e.getMessage());
      message(req, resp, 503, "Try again", "The Kubernetes API server did not answer whether you may see this.");
    }
  }

  private void requests(HttpServletRequest req, HttpServletResponse resp, CatalogIndex.Snapshot s,
      EntityVisibility.Viewer viewer, long start) throws IOException {
    String version = "\"" + s.generation() + "-" + index.statusVersion() + "\"";
    boolean fragment = "rows".equals(req.getParameter("fragment"));
    if (fragment && version.equals(req.getHeader("If-None-Match"))) {
      resp.setStatus(304);
      resp.setHeader("ETag", version);
      resp.setHeader("Cache-Control", "private, no-cache");
      return;
    }
    RequestsPage page = RequestsPage.build(s, viewer, index::statusOf, req.getParameterMap(), cache);
    Map<String, Object> m = baseModel(req, "requests");
    m.put("page", page);
    m.put("version", version);
    if (fragment) {
      resp.setHeader("ETag", version);
      resp.setHeader("Cache-Control", "private, no-cache");
      resp.setHeader("X-Total", Integer.toString(page.total()));
    }
    render(resp, fragment ? "requests-rows" : "requests", m, start);
  }

  private void entity(HttpServletRequest req, HttpServletResponse resp, CatalogIndex.Snapshot s,
      EntityVisibility.Viewer viewer, Caller caller, String path, long start) throws IOException {
    String[] parts = path.substring("/catalog/".length()).split("/");
    JsonNode entity = null;
    if (parts.length == 3) {
      entity = s.byRef().get((decode(parts[0]) + ":" + decode(parts[1]) + "/" + decode(parts[2]))
          .toLowerCase(Locale.ROOT));
    }
    if (entity == null || !viewer.sees(entity)) {
      // As the catalog API: an entity the caller may not see is not confirmed to exist.
      message(req, resp, 404, "Not found", "No entity " + String.join("/", parts) + " that you may see.");
      return;
    }
    long liveStart = System.nanoTime();
    EntityPage.Live live = live(entity, caller);
    long liveNanos = System.nanoTime() - liveStart;
    Map<String, Object> m = baseModel(req, "catalog");
    m.put("e", EntityPage.build(s, viewer, entity, index.scorecardSpecs(), live));
    resp.addHeader("Server-Timing", "cluster;dur=" + liveNanos / 1_000_000.0);
    render(resp, "entity", m, start);
  }

  /** Reads the entity's object, Events and trace; a part the caller may not see or that fails is left out. */
  private EntityPage.Live live(JsonNode entity, Caller caller) {
    EntityVisibility.Source src = EntityVisibility.sourceOf(entity);
    String location = entity.path("metadata").path("annotations").path("backstage.io/managed-by-location")
        .asText("");
    if (src.equals(EntityVisibility.Source.PUBLIC) || !location.startsWith("kubernetes:")) {
      return EntityPage.Live.NONE;
    }
    String name = location.substring(location.lastIndexOf('/') + 1);
    String namespace = src.namespace().isEmpty() ? null : src.namespace();
    try {
      JsonNode object = cluster.object(src.apiVersion(), src.kind(), namespace, name);
      if (object == null) {
        return new EntityPage.Live(null, List.of(), null, Map.of(), "The object is gone from the cluster; the"
            + " catalog drops it within a second.");
      }
      List<JsonNode> events = List.of();
      String eventNamespace = namespace == null ? "default" : namespace;
      String note = null;
      if (caller.may(KubernetesAuth.Access.resource("list", "", "events", eventNamespace, null))) {
        events = cluster.events(eventNamespace, object.path("metadata").path("uid").asText(), 10);
      } else {
        note = "Events are not shown: you may not list Events in namespace " + eventNamespace + ".";
      }
      TraceNode trace = null;
      Map<String, String> repositories = Map.of();
      if (RequestsPage.isRequest(entity)) {
        try {
          trace = prune(cluster.trace(src.kind(), namespace, name), caller);
          repositories = cluster.repositories();
        } catch (IllegalArgumentException | KubernetesClientException e) {
          LOG.debug("no trace for {}: {}", location, e.getMessage());
        }
      }
      return new EntityPage.Live(object, events, trace, repositories, note);
    } catch (KubernetesClientException e) {
      LOG.warn("cannot read {} for the portal: {}", location, e.getMessage());
      return new EntityPage.Live(null, List.of(), null, Map.of(), "The Kubernetes API server did not answer:"
          + " conditions, Events and trace are not shown.");
    }
  }

  /** Objects in a trace that are read live rather than from the object's own status, and their access checks. */
  private static final Map<String, String[]> TRACED = Map.of("Job", new String[] {"batch", "jobs"},
      "Work", new String[] {"platform.tarmac.dev", "works"}, "Secret", new String[] {"", "secrets"},
      "Destination", new String[] {"platform.tarmac.dev", "destinations"});

  /** {@code node} without the Jobs, Works, Secrets and Destinations (and what is below them) the caller may not get. */
  static TraceNode prune(TraceNode node, Caller caller) {
    if (caller.unrestricted()) {
      return node;
    }
    node.children.removeIf(c -> {
      String[] r = TRACED.get(c.kind);
      return r != null && !caller.may(KubernetesAuth.Access.resource("get", r[0], r[1],
          r[1].equals("destinations") ? "" : c.namespace, c.name));
    });
    node.children.forEach(c -> prune(c, caller));
    return node;
  }

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    headers(resp);
    String path = req.getRequestURI();
    if (!path.equals(HttpAuthenticator.SIGN_IN) && !path.equals("/sign-out")) {
      message(req, resp, 405, "Not allowed", "The portal's pages are read with GET.");
      return;
    }
    if (!sameOrigin(req, authenticator.trustsProxyHeaders())) {
      message(req, resp, 403, "Refused", "This form was not sent from a page of this portal (Origin or Referer"
          + " must name " + req.getHeader("Host") + ").");
      return;
    }
    if (path.equals("/sign-out")) {
      resp.addHeader("Set-Cookie", cookie(req, HttpAuthenticator.TOKEN_COOKIE, "", 0, "/"));
      resp.setStatus(303);
      resp.setHeader("Location", HttpAuthenticator.SIGN_IN);
      return;
    }
    if (authenticator.anonymous()) {
      signInPage(req, resp, null, 200);
      return;
    }
    String csrf = req.getParameter("csrf");
    String expected = HttpAuthenticator.cookie(req, CSRF_COOKIE).orElse(null);
    if (csrf == null || expected == null || !MessageDigest.isEqual(csrf.getBytes(StandardCharsets.UTF_8),
        expected.getBytes(StandardCharsets.UTF_8))) {
      signInPage(req, resp, "The form expired: paste the token again.", 403);
      return;
    }
    String token = req.getParameter("token") == null ? "" : req.getParameter("token").trim();
    if (!token.matches("[A-Za-z0-9._~+/=-]+")) {
      signInPage(req, resp, "That is not a Kubernetes token: paste the output of kubectl create token.", 400);
      return;
    }
    try {
      if (authenticator.authenticateToken(token).isEmpty()) {
        signInPage(req, resp, "The Kubernetes API server did not accept this token (unknown, expired or revoked).",
            401);
        return;
      }
    } catch (KubernetesClientException e) {
      signInPage(req, resp, "The Kubernetes API server did not answer; try again.", 503);
      return;
    }
    resp.addHeader("Set-Cookie", cookie(req, HttpAuthenticator.TOKEN_COOKIE, token, TOKEN_COOKIE_SECONDS, "/"));
    resp.addHeader("Set-Cookie", cookie(req, CSRF_COOKIE, "", 0, HttpAuthenticator.SIGN_IN));
    String next = Html.localPath(req.getParameter("next"));
    resp.setStatus(303);
    resp.setHeader("Location", next == null || next.startsWith(HttpAuthenticator.SIGN_IN) ? "/catalog" : next);
  }

  private void signInPage(HttpServletRequest req, HttpServletResponse resp, String error, int status)
      throws IOException {
    Map<String, Object> m = baseModel(req, null);
    m.put("anonymous", authenticator.anonymous());
    m.put("error", error);
    String next = Html.localPath(req.getParameter("next"));
    m.put("next", next == null ? "/catalog" : next);
    byte[] bytes = new byte[24];
    random.nextBytes(bytes);
    String csrf = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    m.put("csrf", csrf);
    resp.addHeader("Set-Cookie", cookie(req, CSRF_COOKIE, csrf, 3600, HttpAuthenticator.SIGN_IN));
    resp.setStatus(status);
    render(resp, "sign-in", m, System.nanoTime());
  }

  /**
   * True when the request's {@code Origin} (else {@code Referer}) names the host it was sent to ({@code Host}, or
   * with a trusted proxy {@code X-Forwarded-Host}); false when neither header is there. Browsers send {@code Origin}
   * with every form POST.
   */
  static boolean sameOrigin(HttpServletRequest req, boolean trustProxy) {
    String origin = req.getHeader("Origin");
    if (origin == null || origin.equals("null")) {
      origin = req.getHeader("Referer");
    }
    String host = trustProxy && req.getHeader("X-Forwarded-Host") != null ? req.getHeader("X-Forwarded-Host")
        : req.getHeader("Host");
    if (origin == null || host == null) {
      return false;
    }
    try {
      java.net.URI u = new java.net.URI(origin);
      String authority = u.getRawAuthority();
      return authority != null && authority.equalsIgnoreCase(host.trim());
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  /** A {@code Set-Cookie} value: HttpOnly, SameSite=Strict, Secure when the browser reached us over https. */
  private String cookie(HttpServletRequest req, String name, String value, int maxAge, String path) {
    boolean https = req.isSecure() || authenticator.trustsProxyHeaders()
        && "https".equalsIgnoreCase(req.getHeader("X-Forwarded-Proto"));
    return name + "=" + value + "; Path=" + path + "; Max-Age=" + maxAge + "; HttpOnly; SameSite=Strict"
        + (https ? "; Secure" : "");
  }

  private void message(HttpServletRequest req, HttpServletResponse resp, int status, String heading, String message)
      throws IOException {
    Map<String, Object> m = baseModel(req, null);
    m.put("heading", heading);
    m.put("message", message);
    resp.setStatus(status);
    render(resp, "message", m, System.nanoTime());
  }

  private void render(HttpServletResponse resp, String template, Map<String, Object> model, long start)
      throws IOException {
    java.io.StringWriter out = new java.io.StringWriter(16384);
    templates.render(template, model, out);
    resp.setContentType("text/html; charset=utf-8");
    if (resp.getHeader("Cache-Control") == null) {
      resp.setHeader("Cache-Control", "private, no-store");
    }
    resp.addHeader("Server-Timing", "page;dur=" + (System.nanoTime() - start) / 1_000_000.0);
    resp.getWriter().write(out.toString());
  }

  private static void headers(HttpServletResponse resp) {
    resp.setHeader("Content-Security-Policy", CSP);
    resp.setHeader("X-Content-Type-Options", "nosniff");
    resp.setHeader("Referrer-Policy", "same-origin");
  }

  private static void staticFile(String name, HttpServletResponse resp) throws IOException {
    if (!name.matches("[a-z0-9-]+\\.(css|js)")) {
      resp.sendError(404);
      return;
    }
    try (InputStream in = PortalServlet.class.getClassLoader().getResourceAsStream("portal/static/" + name)) {
      if (in == null) {
        resp.sendError(404);
        return;
      }
      resp.setContentType(name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
      resp.setHeader("Cache-Control", "public, max-age=300");
      in.transferTo(resp.getOutputStream());
    }
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
