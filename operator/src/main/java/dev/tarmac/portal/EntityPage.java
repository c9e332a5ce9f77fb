package dev.tarmac.portal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.EntityVisibility;
import dev.tarmac.catalog.Scorecards;
import dev.tarmac.trace.TraceNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The entity page's model: metadata, links made from annotations, relations (as lists and as a
 * {@link RelationGraph}), Scorecard results with advice for each failing check, catalog warnings, and — from the
 * cluster, read when the page is asked for ({@link Live}) — the object's conditions, its recent Events and its
 * {@code tarmac trace} tree. Pure: the live parts come in as plain objects.
 */
public record EntityPage(String kind, String name, String namespace, String title, String description, String type,
    String lifecycle, String owner, String ownerUrl, String system, String systemUrl, List<String> tags,
    Map<String, String> labels, String ref, String source, String kubectl, List<Link> links,
    List<Annotation> annotations, List<RelationGroup> relations, RelationGraph graph, List<ScorecardView> scorecards,
    List<String> warnings, List<Condition> conditions, List<Event> events, List<TraceRow> trace,
    boolean traceFailing, String liveNote) {

  /** A link: what it is, where it goes. */
  public record Link(String label, String href, String text) {
  }

  /** An annotation, with a link when its value is one. */
  public record Annotation(String key, String value, String href) {
  }

  /** All relations of one type. */
  public record RelationGroup(String type, List<Target> targets) {
  }

  /** One relation's target: its name, kind, and portal page (null when it is not in the catalog). */
  public record Target(String ref, String name, String kind, String href) {
  }

  /** A status condition. */
  public record Condition(String type, String status, String reason, String message, String since) {
  }

  /** A Kubernetes Event about the object. */
  public record Event(String type, String reason, String message, int count, String last) {
  }

  /** One line of the trace tree: indentation depth, the object, its state, and a link (a Git commit's). */
  public record TraceRow(int depth, String kind, String namespace, String name, String status, String reason,
      String detail, String message, String href, boolean failing) {
  }

  /**
   * What the page reads from the cluster when it is asked for; every part may be missing.
   *
   * @param object the entity's object (Kubernetes JSON), for its conditions; null when not read
   * @param events Events about the object (core/v1 Event JSON), newest first; empty when the caller may not list
   *     them
   * @param trace the object's trace; null for kinds without one or when it failed
   * @param repositories GitStateStore name → its repository URL (for commit links)
   * @param note why a part is missing, for the reader (null: nothing is)
   */
  public record Live(JsonNode object, List<JsonNode> events, TraceNode trace, Map<String, String> repositories,
      String note) {
    /** Nothing read. */
    public static final Live NONE = new Live(null, List.of(), null, Map.of(), null);
  }

  /** Annotations that say where the entity comes from, shown as its source rather than listed. */
  private static final Set<String> HIDDEN = Set.of("backstage.io/managed-by-location",
      "backstage.io/managed-by-origin-location");

  /** The ordering of relation types in the lists. */
  private static final List<String> ORDER = List.of("ownedBy", "partOf", "dependsOn", "consumesApi", "providesApi",
      "apiProvidedBy", "hasPart", "ownerOf", "dependencyOf", "apiConsumedBy", "childOf", "parentOf", "memberOf",
      "hasMember");

  /**
   * Builds the page of {@code entity} (as the caller may see it: redacted by {@code viewer}).
   *
   * @param s the snapshot the entity is from
   * @param viewer what the caller may see
   * @param entity the entity
   * @param scorecardSpecs the Scorecards' specs by name
   * @param live what was read from the cluster
   */
  public static EntityPage build(CatalogIndex.Snapshot s, EntityVisibility.Viewer viewer, JsonNode entity,
      Map<String, JsonNode> scorecardSpecs, Live live) {
    JsonNode e = viewer.redact(entity, s);
    JsonNode meta = e.path("metadata");
    JsonNode spec = e.path("spec");
    JsonNode ann = meta.path("annotations");
    List<String> tags = new ArrayList<>();
    meta.path("tags").forEach(t -> tags.add(t.asText()));
    Map<String, String> labels = new LinkedHashMap<>();
    meta.path("labels").fields().forEachRemaining(l -> labels.put(l.getKey(), l.getValue().asText()));
    String owner = spec.path("owner").asText(null);
    String system = spec.path("system").asText(null);
    String location = ann.path("backstage.io/managed-by-location").asText("");
    String source = location.startsWith("kubernetes:") ? location.substring("kubernetes:".length()) : location;

    List<Annotation> annotations = new ArrayList<>();
    ann.fields().forEachRemaining(a -> {
      if (!HIDDEN.contains(a.getKey())) {
        annotations.add(new Annotation(a.getKey(), a.getValue().asText(), Html.safeHref(a.getValue().asText())));
      }
    });

    List<RelationGroup> relations = new ArrayList<>();
    List<RelationGraph.Relation> graphRelations = new ArrayList<>();
    Map<String, List<Target>> byType = new LinkedHashMap<>();
    for (JsonNode r : e.path("relations")) {
      String targetRef = r.path("targetRef").asText();
      JsonNode found = s.byRef().get(targetRef.toLowerCase(Locale.ROOT));
      Target t = new Target(targetRef, Html.refName(targetRef), Html.refKind(targetRef),
          found == null ? null : Html.entityUrl(found));
      byType.computeIfAbsent(r.path("type").asText(), k -> new ArrayList<>()).add(t);
    }
    List<String> types = new ArrayList<>(byType.keySet());
    types.sort(java.util.Comparator.comparingInt(t -> ORDER.contains(t) ? ORDER.indexOf(t) : ORDER.size()));
    for (String type : types) {
      relations.add(new RelationGroup(type, byType.get(type)));
      byType.get(type).forEach(t -> graphRelations.add(new RelationGraph.Relation(type, t.name(), t.kind(),
          t.href())));
    }

    List<ScorecardView> scorecards = new ArrayList<>();
    for (Scorecards.Result r : s.scorecards().getOrDefault(CatalogIndex.ref(entity), List.of())) {
      scorecards.add(ScorecardView.of(r, scorecardSpecs.get(r.scorecard())));
    }
    List<String> warnings = new ArrayList<>();
    e.path("status").path("items").forEach(i -> warnings.add(i.path("message").asText()));

    List<Condition> conditions = new ArrayList<>();
    if (live.object() != null) {
      for (JsonNode c : live.object().path("status").path("conditions")) {
        conditions.add(new Condition(c.path("type").asText(), c.path("status").asText(), c.path("reason")
            .asText(null), c.path("message").asText(null), c.path("lastTransitionTime").asText(null)));
      }
    }
    List<Event> events = new ArrayList<>();
    for (JsonNode ev : live.events()) {
      String last = ev.path("lastTimestamp").asText(null);
      if (last == null) {
        last = ev.path("eventTime").asText(ev.path("metadata").path("creationTimestamp").asText(null));
      }
      events.add(new Event(ev.path("type").asText("Normal"), ev.path("reason").asText(), ev.path("message")
          .asText(), Math.max(1, ev.path("count").asInt(1)), last));
    }
    List<TraceRow> trace = new ArrayList<>();
    if (live.trace() != null) {
      flatten(live.trace(), 0, live.repositories(), trace);
    }
    String kubectl = kubectl(source);
    return new EntityPage(e.path("kind").asText(), meta.path("name").asText(), meta.path("namespace")
        .asText("default"), meta.path("title").asText(null), meta.path("description").asText(null),
        spec.path("type").asText(null), spec.path("lifecycle").asText(null), owner == null ? null
        : Html.refName(owner), owner == null ? null : Html.refUrl(owner, "group"), system,
        system == null ? null : Html.refUrl(system, "system"), tags, labels, CatalogIndex.displayRef(e), source,
        kubectl, links(e, live), annotations, relations, RelationGraph.of(meta.path("name").asText(),
        e.path("kind").asText(), graphRelations), scorecards, warnings, conditions, events, trace,
        live.trace() != null && live.trace().failing(), live.note());
  }

  /**
   * Links made from well-known annotations (Backstage's: source location, view and edit URLs, TechDocs, GitHub
   * project slug, PagerDuty service, Grafana and Datadog dashboards, Lighthouse) and from {@code metadata.links};
   * only http(s) URLs become links.
   */
  static List<Link> links(JsonNode e, Live live) {
    JsonNode ann = e.path("metadata").path("annotations");
    List<Link> out = new ArrayList<>();
    String source = Html.safeHref(ann.path("backstage.io/source-location").asText(null));
    add(out, "Repository", source);
    String slug = ann.path("github.com/project-slug").asText(null);
    if (slug != null && slug.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")) {
      add(out, "GitHub", "https://github.com/" + slug);
    }
    add(out, "View source", Html.safeHref(ann.path("backstage.io/view-url").asText(null)));
    add(out, "Edit", Html.safeHref(ann.path("backstage.io/edit-url").asText(null)));
    String techdocs = ann.path("backstage.io/techdocs-ref").asText(null);
    if (techdocs != null) {
      String href = Html.safeHref(techdocs);
      if (href == null && techdocs.startsWith("dir:") && source != null) {
        href = source.endsWith("/") ? source : source + "/";
      }
      out.add(new Link("TechDocs", href, href == null ? techdocs : null));
    }
    String pagerduty = ann.path("pagerduty.com/service-id").asText(null);
    if (pagerduty != null && pagerduty.matches("[A-Za-z0-9]+")) {
      add(out, "PagerDuty", "https://app.pagerduty.com/service-directory/" + pagerduty);
    }
    add(out, "Grafana dashboard", Html.safeHref(ann.path("grafana/overview-dashboard").asText(null)));
    add(out, "Datadog dashboard", Html.safeHref(ann.path("datadoghq.com/dashboard-url").asText(null)));
    add(out, "Lighthouse", Html.safeHref(ann.path("lighthouse.com/website-url").asText(null)));
    for (JsonNode l : e.path("metadata").path("links")) {
      add(out, l.path("title").asText(l.path("url").asText()), Html.safeHref(l.path("url").asText(null)));
    }
    if (live.object() != null) {
      JsonNode st = live.object().path("status");
      String repo = Html.safeHref(st.path("repositoryUrl").asText(null));
      add(out, "Scaffolded repository", repo);
      String commit = st.path("commit").asText(null);
      if (commit != null && repo != null) {
        add(out, "Scaffold commit " + shortSha(commit), commitHref(repo, commit));
      }
      for (JsonNode l : st.path("links")) {
        add(out, l.path("title").asText(l.path("url").asText()), Html.safeHref(l.path("url").asText(null)));
      }
    }
    return out;
  }

  private static void add(List<Link> out, String label, String href) {
    if (href != null && out.stream().noneMatch(l -> href.equals(l.href()))) {
      out.add(new Link(label, href, null));
    }
  }

  /**
   * A web page of {@code commit} in the repository at {@code repositoryUrl}: GitHub's, GitLab's and Gitea's
   * {@code <repository>/commit/<sha>}; null for the operator's embedded Git server ({@code /git/}, which serves
   * clones, not pages) and for URLs that are not http(s).
   */
  public static String commitHref(String repositoryUrl, String commit) {
    String repo = Html.safeHref(repositoryUrl);
    if (repo == null || !commit.matches("[0-9a-f]{7,64}")) {
      return null;
    }
    java.net.URI u = java.net.URI.create(repo);
    if (u.getPath() != null && u.getPath().startsWith("/git/")) {
      return null;
    }
    String base = repo.endsWith(".git") ? repo.substring(0, repo.length() - 4) : repo;
    return (base.endsWith("/") ? base : base + "/") + "commit/" + commit;
  }

  static String shortSha(String sha) {
    return sha.length() > 10 ? sha.substring(0, 10) : sha;
  }

  private static void flatten(TraceNode n, int depth, Map<String, String> repositories, List<TraceRow> out) {
    String href = null;
    String detail = n.detail;
    if ("Commit".equals(n.kind) && n.detail != null && n.detail.startsWith("in GitStateStore ")) {
      String store = n.detail.substring("in GitStateStore ".length());
      String repo = repositories.get(store);
      href = repo == null ? null : commitHref(repo, n.name);
      if (repo != null && href == null) {
        detail = n.detail + " (" + repo + ": git clone it, then git show " + shortSha(n.name) + ")";
      }
    }
    out.add(new TraceRow(Math.min(depth, 6), n.kind, n.namespace, n.name, n.status, n.reason, detail, n.message,
        href, "False".equals(n.status) || "Failed".equals(n.status) || "False".equals(n.synced)));
    for (TraceNode c : n.children) {
      flatten(c, depth + 1, repositories, out);
    }
  }

  /** {@code kubectl get} for the object at {@code source} ({@code <apiVersion>/<kind>/[<ns>/]<name>}), or null. */
  static String kubectl(String source) {
    String[] parts = source.split("/");
    if (parts.length < 3) {
      return null;
    }
    int at = parts[0].contains(".") ? 2 : 1;
    if (parts.length < at + 2) {
      return null;
    }
    String kind = parts[at].toLowerCase(Locale.ROOT) + (at == 2 ? "." + parts[0] : "");
    if (parts.length - at - 1 >= 2) {
      return "kubectl get " + kind + " " + parts[at + 2] + " -n " + parts[at + 1] + " -o yaml";
    }
    return "kubectl get " + kind + " " + parts[at + 1] + " -o yaml";
  }
}
