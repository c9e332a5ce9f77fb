package dev.tarmac.portal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Api;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.http.Caller;
import dev.tarmac.http.KubernetesAuth;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portal's golden paths, mounted at {@code /golden-paths/*} behind the portal's authentication (the servlet reads
 * the {@link Caller} it left in the request):
 *
 * <ul>
 *   <li>{@code GET /golden-paths}: every Template the caller may {@code get}, with its description;</li>
 *   <li>{@code GET /golden-paths/default/<template>}: the form generated from its parameters ({@link GoldenPathForm});
 *       {@code default} is the entity namespace Backstage gives Tarmac's cluster-scoped Templates
 *       ({@code template:default/<name>});</li>
 *   <li>{@code POST} there, {@code action=review} (the form's button): checked with the operator's validator; invalid
 *       re-renders the form (422) with messages next to the fields and nothing created; valid shows the Component YAML
 *       and, when {@link CreateAs} allows it, a Create button (or why not); {@code action=edit} goes back to the form
 *       with the values; {@code action=create} checks everything again and creates the Component as the caller, then
 *       redirects (303) to</li>
 *   <li>{@code GET /golden-paths/status/<namespace>/<name>}: the Component's conditions, refreshed every 2 s (meta
 *       refresh, no script) until it is Ready.</li>
 * </ul>
 *
 * <p>Cross-site request forgery: every POST must come from the portal's own pages. A browser names the page that
 * submitted a form in {@code Origin} (and {@code Sec-Fetch-Site}); a POST whose {@code Origin} is another site, or
 * {@code null}, is refused (403), as is one whose {@code Sec-Fetch-Site} is {@code cross-site} or {@code same-site};
 * one with neither header (not a browser) must carry an {@code Authorization} header. See {@link #sameOrigin}.
 */
public final class GoldenPathServlet extends HttpServlet {

  private static final Logger LOG = LoggerFactory.getLogger(GoldenPathServlet.class);
  /** The entity namespace of Tarmac's (cluster-scoped) Templates, as the catalog names them. */
  static final String TEMPLATE_NAMESPACE = "default";
  /** Seconds between two refreshes of the status page while the Component is not Ready. */
  static final int REFRESH_SECONDS = 2;
  private static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
      + " frame-ancestors 'none'; base-uri 'none'";

  private final transient KubernetesClient client;
  private final transient PortalTemplates pages;
  private final transient CreateAs createAs;
  private final transient PortalTimers timers;

  /**
   * @param client the operator's client: reads Templates and Components for callers SubjectAccessReviews allow
   * @param pages the portal's templates
   * @param createAs how Components are created as the caller
   * @param timers where each request's server time is recorded (page {@code golden-paths})
   */
  public GoldenPathServlet(KubernetesClient client, PortalTemplates pages, CreateAs createAs, PortalTimers timers) {
    this.client = client;
    this.pages = pages;
    this.createAs = createAs;
    this.timers = timers;
  }

  /** Every request, timed ({@code tarmac_portal_request_seconds{page="golden-paths"}}). */
  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
    timers.time("golden-paths", () -> super.service(req, resp));
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    Caller caller = Caller.of(req);
    List<String> path = segments(req);
    try {
      if (path.isEmpty()) {
        list(caller, resp);
      } else if (path.size() == 2 && path.get(0).equals(TEMPLATE_NAMESPACE)) {
        Optional<Template> t = template(caller, path.get(1));
        if (t.isEmpty()) {
          notFound(caller, resp, "No Template " + path.get(1) + " (or you may not get it).");
          return;
        }
        GoldenPathForm form = GoldenPathForm.of(t.get());
        form(caller, resp, t.get(), form, form.defaults(), List.of(), 200);
      } else if (path.size() == 3 && path.get(0).equals("status")) {
        status(caller, resp, path.get(1), path.get(2));
      } else {
        notFound(caller, resp, "No such page.");
      }
    } catch (KubernetesClientException e) {
      unavailable(caller, resp, e);
    }
  }

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    Caller caller = Caller.of(req);
    if (!sameOrigin(req.getHeader("Origin"), req.getHeader("Sec-Fetch-Site"), req.getHeader("Host"),
        req.getHeader("X-Forwarded-Host"), req.getHeader("Authorization") != null)) {
      resp.setStatus(403);
      resp.setContentType("text/plain; charset=utf-8");
      resp.getWriter().println("forbidden: a form may be submitted only from the portal's own pages (Origin "
          + req.getHeader("Origin") + " is not this site)");
      return;
    }
    req.setCharacterEncoding("UTF-8");
    List<String> path = segments(req);
    try {
      if (path.size() != 2 || !path.get(0).equals(TEMPLATE_NAMESPACE)) {
        notFound(caller, resp, "No such page.");
        return;
      }
      Optional<Template> t = template(caller, path.get(1));
      if (t.isEmpty()) {
        notFound(caller, resp, "No Template " + path.get(1) + " (or you may not get it).");
        return;
      }
      GoldenPathForm form = GoldenPathForm.of(t.get());
      GoldenPathForm.Submission s = form.read(req.getParameterMap());
      String action = Optional.ofNullable(req.getParameter("action")).orElse("review");
      if (action.equals("edit")) {
        form(caller, resp, t.get(), form, s.text(), List.of(), 200);
      } else if (!s.valid()) {
        form(caller, resp, t.get(), form, s.text(), s.messages(), 422);
      } else {
        String namespace = s.component().path("namespace").asText();
        CreateAs.Decision decision = createAs.decide(caller, namespace);
        if (action.equals("create") && decision.allowed()) {
          create(caller, resp, t.get(), form, s, decision);
        } else {
          review(caller, resp, t.get(), form, s, decision, null, 200);
        }
      }
    } catch (KubernetesClientException e) {
      unavailable(caller, resp, e);
    }
  }

  private void create(Caller caller, HttpServletResponse resp, Template t, GoldenPathForm form,
      GoldenPathForm.Submission s, CreateAs.Decision decision) throws IOException {
    ObjectNode object = form.component(s);
    Component c = Serialization.JSON.convertValue(object, Component.class);
    try {
      createAs.create(caller, decision, c);
    } catch (KubernetesClientException e) {
      String why = switch (e.getCode()) {
        case 409 -> "A Component named " + c.getMetadata().getName() + " already exists in namespace "
            + c.getMetadata().getNamespace() + ": choose another name.";
        case 403 -> "The API server refused to create it as " + caller.name() + ": " + status(e);
        case 422, 400 -> "The API server refused the Component: " + status(e);
        default -> null;
      };
      if (why == null) {
        throw e;
      }
      LOG.info("golden path {}: creating Component {}/{} as {} refused ({})", t.getMetadata().getName(),
          c.getMetadata().getNamespace(), c.getMetadata().getName(), caller.name(), e.getCode());
      review(caller, resp, t, form, s, decision, why, e.getCode() == 409 ? 409 : e.getCode() == 403 ? 403 : 422);
      return;
    }
    LOG.info("golden path {}: created Component {}/{} as {} ({})", t.getMetadata().getName(),
        c.getMetadata().getNamespace(), c.getMetadata().getName(), caller.name(), decision.how());
    resp.setStatus(303);
    resp.setHeader("Location", "/golden-paths/status/" + enc(c.getMetadata().getNamespace()) + "/"
        + enc(c.getMetadata().getName()));
  }

  private static String status(KubernetesClientException e) {
    return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
  }

  private void list(Caller caller, HttpServletResponse resp) throws IOException {
    List<Map<String, Object>> rows = new ArrayList<>();
    List<Template> all = new ArrayList<>(client.resources(Template.class).list().getItems());
    all.sort(Comparator.comparing(t -> title(t).toLowerCase(Locale.ROOT)));
    for (Template t : all) {
      if (!mayGet(caller, t.getMetadata().getName())) {
        continue;
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", t.getMetadata().getName());
      row.put("title", title(t));
      row.put("description", description(t));
      row.put("type", t.getSpec() == null ? null : t.getSpec().type);
      row.put("owner", t.getSpec() == null ? null : t.getSpec().owner);
      row.put("href", "/golden-paths/" + TEMPLATE_NAMESPACE + "/" + enc(t.getMetadata().getName()));
      row.put("problem", templateProblem(t));
      rows.add(row);
    }
    Map<String, Object> model = model(caller);
    model.put("templates", rows);
    render(resp, "golden-paths", model, 200);
  }

  /** The field as the page shows it: its definition, current text, messages and {@code aria-describedby}. */
  public record FieldView(GoldenPathForm.Field field, List<String> values, String value, List<String> errors,
      String describedBy) {
  }

  /** One entry of the error summary: a link to the field, and what is wrong. */
  public record SummaryEntry(String href, String text) {
  }

  private void form(Caller caller, HttpServletResponse resp, Template t, GoldenPathForm form,
      Map<String, List<String>> text, List<GoldenPathForm.Message> messages, int status) throws IOException {
    List<Map<String, Object>> steps = new ArrayList<>();
    List<SummaryEntry> summary = new ArrayList<>();
    int n = 0;
    for (GoldenPathForm.Step step : form.steps()) {
      if (step.fields().isEmpty()) {
        continue;
      }
      n++;
      List<FieldView> fields = new ArrayList<>();
      for (GoldenPathForm.Field f : step.fields()) {
        List<String> errors = messages.stream().filter(m -> f.inputName().equals(m.inputName()))
            .map(GoldenPathForm.Message::text).toList();
        List<String> ids = new ArrayList<>();
        if (f.help() != null) {
          ids.add(f.id() + "-help");
        }
        if (!errors.isEmpty()) {
          ids.add(f.id() + "-error");
          errors.forEach(e -> summary.add(new SummaryEntry("#" + f.id(), f.label() + ": " + e)));
        }
        List<String> values = text.getOrDefault(f.inputName(), List.of());
        fields.add(new FieldView(f, values, values.isEmpty() ? "" : values.get(0), errors,
            ids.isEmpty() ? null : String.join(" ", ids)));
      }
      Map<String, Object> s = new HashMap<>();
      s.put("number", n);
      s.put("title", step.title());
      s.put("description", step.description());
      s.put("fields", fields);
      steps.add(s);
    }
    messages.stream().filter(m -> m.inputName() == null).forEach(m -> summary.add(new SummaryEntry(null, m.text())));
    Map<String, Object> model = model(caller);
    model.put("template", templateModel(t));
    model.put("steps", steps);
    model.put("stepCount", n);
    model.put("summary", summary);
    model.put("action", "/golden-paths/" + TEMPLATE_NAMESPACE + "/" + enc(t.getMetadata().getName()));
    render(resp, "golden-path", model, status);
  }

  private void review(Caller caller, HttpServletResponse resp, Template t, GoldenPathForm form,
      GoldenPathForm.Submission s, CreateAs.Decision decision, String error, int status) throws IOException {
    List<Map<String, String>> hidden = new ArrayList<>();
    s.text().forEach((name, values) -> values.forEach(v -> hidden.add(Map.of("name", name, "value", v))));
    Map<String, Object> model = model(caller);
    model.put("template", templateModel(t));
    model.put("yaml", form.yaml(s));
    model.put("namespace", s.component().path("namespace").asText());
    model.put("name", s.component().path("name").asText());
    model.put("allowed", decision.allowed());
    model.put("reason", decision.reason());
    model.put("how", decision.how() == CreateAs.How.IMPERSONATION ? "impersonation" : "token");
    model.put("error", error);
    model.put("hidden", hidden);
    model.put("action", "/golden-paths/" + TEMPLATE_NAMESPACE + "/" + enc(t.getMetadata().getName()));
    render(resp, "golden-path-review", model, status);
  }

  private void status(Caller caller, HttpServletResponse resp, String namespace, String name) throws IOException {
    if (!caller.may(KubernetesAuth.Access.resource("get", Api.GROUP, "components", namespace, name))) {
      notFound(caller, resp, "No Component " + namespace + "/" + name + " (or you may not get it).");
      return;
    }
    Component c = client.resources(Component.class).inNamespace(namespace).withName(name).get();
    if (c == null) {
      notFound(caller, resp, "No Component " + namespace + "/" + name + ".");
      return;
    }
    List<Condition> conditions = c.getStatus() == null ? List.of() : c.getStatus().conditions;
    Optional<Condition> ready = Conditions.forGeneration(conditions, Conditions.READY,
        c.getMetadata().getGeneration());
    boolean isReady = ready.map(r -> "True".equals(r.getStatus())).orElse(false);
    Map<String, Object> model = model(caller);
    model.put("namespace", namespace);
    model.put("name", name);
    model.put("template", c.getSpec() == null || c.getSpec().template == null ? null : c.getSpec().template.name);
    model.put("ready", isReady);
    model.put("readyReason", ready.map(Condition::getReason).orElse(null));
    model.put("readyMessage", ready.map(Condition::getMessage).orElse("The operator has not reported on it yet."));
    model.put("conditions", conditions);
    model.put("steps", c.getStatus() == null ? List.of() : c.getStatus().steps);
    // Links are rendered from values a developer typed: only web and portal-relative ones become links.
    model.put("links", c.getStatus() == null ? List.of() : c.getStatus().links.stream().filter(l -> l.url != null
        && (l.url.startsWith("https://") || l.url.startsWith("http://") || (l.url.startsWith("/")
        && !l.url.startsWith("//")))).toList());
    model.put("repositoryUrl", c.getStatus() == null ? null : c.getStatus().repositoryUrl);
    model.put("refresh", isReady ? null : REFRESH_SECONDS);
    render(resp, "golden-path-status", model, 200);
  }

  private Optional<Template> template(Caller caller, String name) {
    if (!mayGet(caller, name)) {
      return Optional.empty();
    }
    return Optional.ofNullable(client.resources(Template.class).withName(name).get());
  }

  private static boolean mayGet(Caller caller, String template) {
    return caller.may(KubernetesAuth.Access.resource("get", Api.GROUP, "templates", "", template));
  }

  private static String templateProblem(Template t) {
    if (t.getStatus() == null) {
      return null;
    }
    return Conditions.forGeneration(t.getStatus().conditions, Conditions.READY, t.getMetadata().getGeneration())
        .filter(c -> "False".equals(c.getStatus())).map(Condition::getMessage).orElse(null);
  }

  private static Map<String, Object> templateModel(Template t) {
    Map<String, Object> m = new HashMap<>();
    m.put("name", t.getMetadata().getName());
    m.put("title", title(t));
    m.put("description", description(t));
    m.put("type", t.getSpec() == null ? null : t.getSpec().type);
    m.put("owner", t.getSpec() == null ? null : t.getSpec().owner);
    m.put("problem", templateProblem(t));
    return m;
  }

  private static String title(Template t) {
    return t.getSpec() != null && t.getSpec().title != null && !t.getSpec().title.isBlank() ? t.getSpec().title
        : t.getMetadata().getName();
  }

  private static String description(Template t) {
    if (t.getSpec() != null && t.getSpec().description != null && !t.getSpec().description.isBlank()) {
      return t.getSpec().description;
    }
    Map<String, String> a = t.getMetadata().getAnnotations();
    return a == null ? null : a.get("platform.tarmac.dev/description");
  }

  private static Map<String, Object> model(Caller caller) {
    Map<String, Object> m = new HashMap<>();
    m.put("caller", caller.unrestricted() ? null : caller.name());
    m.put("active", "golden-paths");
    return m;
  }

  private void notFound(Caller caller, HttpServletResponse resp, String message) throws IOException {
    Map<String, Object> model = model(caller);
    model.put("message", message);
    render(resp, "golden-path-message", model, 404);
  }

  private void unavailable(Caller caller, HttpServletResponse resp, KubernetesClientException e) throws IOException {
    LOG.warn("golden paths: the API server did not answer: {}", e.getMessage());
    Map<String, Object> model = model(caller);
    model.put("message", "The Kubernetes API server did not answer (" + e.getCode() + "). Try again in a moment.");
    render(resp, "golden-path-message", model, 503);
  }

  private void render(HttpServletResponse resp, String page, Map<String, Object> model, int status)
      throws IOException {
    resp.setStatus(status);
    resp.setContentType("text/html; charset=utf-8");
    resp.setHeader("Content-Security-Policy", CSP);
    resp.setHeader("X-Content-Type-Options", "nosniff");
    resp.setHeader("Cache-Control", "no-store");
    pages.render(page, model, resp.getWriter());
  }

  /** The path below {@code /golden-paths}, decoded, split at '/', empty segments dropped. */
  private static List<String> segments(HttpServletRequest req) {
    String info = req.getPathInfo();
    List<String> out = new ArrayList<>();
    if (info != null) {
      for (String s : info.split("/")) {
        if (!s.isEmpty()) {
          out.add(s);
        }
      }
    }
    return out;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /**
   * True when a POST may be served: its {@code Origin} names this site (the {@code Host} the browser asked, or the
   * {@code X-Forwarded-Host} a proxy in front passed; a cross-site page cannot set either), else, without
   * {@code Origin}, {@code Sec-Fetch-Site} is {@code same-origin} or {@code none} (typed by the user), else — no
   * browser header at all — the request carries {@code Authorization} (a script with a token, which a forging page
   * cannot add). {@code Origin: null} (a sandboxed or privacy-stripped context) is refused.
   */
  static boolean sameOrigin(String origin, String secFetchSite, String host, String forwardedHost,
      boolean authorization) {
    if (origin != null) {
      String authority;
      try {
        authority = origin.equals("null") ? null : URI.create(origin.trim()).getRawAuthority();
      } catch (IllegalArgumentException e) {
        authority = null;
      }
      if (authority == null) {
        return false;
      }
      String a = authority.toLowerCase(Locale.ROOT);
      return (host != null && a.equals(host.trim().toLowerCase(Locale.ROOT))) || (forwardedHost != null
          && a.equals(forwardedHost.split(",")[0].trim().toLowerCase(Locale.ROOT)));
    }
    if (secFetchSite != null) {
      return secFetchSite.equals("same-origin") || secFetchSite.equals("none");
    }
    return authorization;
  }
}
