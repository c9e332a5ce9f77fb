package dev.tarmac.portal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.EntityVisibility;
import dev.tarmac.http.Caller;
import dev.tarmac.http.HttpAuthenticator;
import dev.tarmac.http.KubernetesAuth;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.trace.TraceNode;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The portal's page models and templates over a catalog of demo-like objects, with no cluster and no browser. */
class PortalPagesTest {

  CatalogIndex index;
  CatalogIndex.Snapshot s;
  final EntityVisibility visibility = new EntityVisibility();

  static JsonNode yaml(String s) throws Exception {
    return Serialization.YAML.readTree(s);
  }

  @BeforeEach
  void fill() throws Exception {
    index = new CatalogIndex();
    index.scorecard("service-maturity", Serialization.YAML.readTree(Files.readString(RepoPaths.repo()
        .resolve("examples/scorecards/default.yaml"))).path("spec"));
    index.upsert("ns", yaml("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: payments, uid: ns-1, labels: {platform.tarmac.dev/team: team-payments}}
        """), null);
    index.upsert("c1", yaml("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata:
          name: payments-service
          namespace: payments
          uid: c-1
          annotations:
            backstage.io/techdocs-ref: dir:.
            backstage.io/source-location: url:https://github.com/acme/payments-service
            pagerduty.com/service-id: P9PAYMT
            platform.tarmac.dev/description: Takes card payments for the shop
            platform.tarmac.dev/tags: java,payments
            backstage.io/view-url: javascript:alert(1)
        spec: {type: service, lifecycle: production, owner: team-payments, system: payments,
               providesApis: [payments-api], dependsOn: [resource:payments-db]}
        status:
          conditions: [{type: Ready, status: "True", reason: Scaffolded, message: ok}]
        """), null);
    for (int i = 0; i < 30; i++) {
      index.upsert("w" + i, yaml("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata: {name: web-%d, namespace: shop, uid: w-%d}
          spec: {type: website, lifecycle: experimental, owner: team-web, system: shop}
          """.formatted(i, i)), null);
    }
    index.upsert("d1", yaml("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: payments-db, namespace: payments, uid: d-1, generation: 2}
        spec: {engine: postgresql, version: "16", storageGB: 100, backupRetentionDays: 3}
        status:
          observedGeneration: 2
          conditions: [{type: Ready, status: "False", reason: CompositionNotFound,
                        message: "no Composition named postgresql-in-clustr", lastTransitionTime: "2026-12-02T10:00:00Z"}]
        """), null);
    index.upsert("r1", yaml("""
        apiVersion: marketplace.tarmac.dev/v1alpha1
        kind: Redis
        metadata: {name: payments-cache, namespace: payments, uid: r-1,
                   annotations: {platform.tarmac.dev/owner: team-payments}}
        spec: {size: small}
        """), "redis");
    s = index.rebuild();
  }

  EntityVisibility.Viewer all() {
    return visibility.viewer(null);
  }

  static Map<String, String[]> params(String... kv) {
    Map<String, List<String>> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.computeIfAbsent(kv[i], k -> new java.util.ArrayList<>()).add(kv[i + 1]);
    }
    Map<String, String[]> out = new HashMap<>();
    m.forEach((k, v) -> out.put(k, v.toArray(String[]::new)));
    return out;
  }

  @Test
  void searchAndFacetsNarrowTheCatalogAndTheQueryStringRoundTrips() {
    CatalogPage everything = CatalogPage.build(s, all(), CatalogPage.Query.of(params()));
    assertThat(everything.total()).isEqualTo(s.entities().size());
    assertThat(everything.rows()).hasSize(CatalogPage.PAGE_SIZE);
    assertThat(everything.nextUrl()).isEqualTo("/catalog?page=2");
    CatalogPage.Facet kinds = everything.facets().get(0);
    assertThat(kinds.values()).extracting(CatalogPage.FacetValue::value).first().isEqualTo("Component");
    assertThat(kinds.values().get(0).count()).isEqualTo(31);

    CatalogPage pay = CatalogPage.build(s, all(), CatalogPage.Query.of(params("q", "card payments")));
    assertThat(pay.rows()).extracting(CatalogPage.Row::name).contains("payments-service").doesNotContain("web-1");

    CatalogPage components = CatalogPage.build(s, all(), CatalogPage.Query.of(params("kind", "component",
        "owner", "group:default/team-payments")));
    assertThat(components.rows()).extracting(CatalogPage.Row::name).containsExactly("payments-service");
    assertThat(components.rows().get(0).ownerUrl()).isEqualTo("/catalog/group/default/team-payments");
    // The kind facet counts over the owner filter only: the alternatives stay visible with their counts.
    CatalogPage.Facet kind = components.facets().get(0);
    assertThat(kind.values()).extracting(CatalogPage.FacetValue::value).contains("Component", "Resource");
    assertThat(kind.values().stream().filter(CatalogPage.FacetValue::checked).toList()).hasSize(1);
    CatalogPage.Facet owner = components.facets().get(2);
    assertThat(owner.values()).filteredOn(v -> v.value().equals("group:default/team-payments"))
        .extracting(CatalogPage.FacetValue::count).containsExactly(1);
    assertThat(CatalogPage.Query.of(params("kind", "component", "q", "x y")).url(2))
        .isEqualTo("/catalog?q=x%20y&kind=component&page=2");
    assertThat(components.chips()).extracting(CatalogPage.Chip::removeUrl)
        .contains("/catalog?owner=group%3Adefault%2Fteam-payments");

    CatalogPage tagged = CatalogPage.build(s, all(), CatalogPage.Query.of(params("tag", "java")));
    assertThat(tagged.rows()).extracting(CatalogPage.Row::name).containsExactly("payments-api", "payments-service");
  }

  @Test
  void textSearchFindsWhatTheCatalogQueryFindsAndTheCacheFollowsTheSnapshot() throws Exception {
    String[] texts = CatalogPage.texts(s);
    for (String term : List.of("card payments", "PAY", "team-web", "web-1", "experimental", "no such thing")) {
      java.util.BitSet expected = new java.util.BitSet();
      dev.tarmac.catalog.CatalogQuery.select(s, null, term, CatalogPage.TEXT_FIELDS, null).forEach(expected::set);
      assertThat(CatalogPage.textMatches(texts, term, null)).as(term).isEqualTo(expected);
    }
    assertThat(CatalogPage.textMatches(texts, "pay\0ments", null).isEmpty()).isTrue();

    SnapshotCache cache = new SnapshotCache();
    EntityVisibility.Viewer payments = visibility.viewer(src -> src.namespace().equals("payments"));
    ScorecardsPage first = ScorecardsPage.build(s, all(), index.scorecardSpecs(), params(), cache);
    assertThat(ScorecardsPage.build(s, all(), index.scorecardSpecs(), params(), cache).matrix())
        .isEqualTo(first.matrix());
    // Another caller's table is its own: one who sees only payments gets payments' teams, from the same cache.
    assertThat(ScorecardsPage.build(s, payments, index.scorecardSpecs(), params(), cache).matrix())
        .extracting(ScorecardsPage.TeamRow::team).containsExactly("team-payments");
    assertThat(RequestsPage.build(s, payments, index::statusOf, params(), cache).rows())
        .extracting(RequestsPage.Row::namespace).containsOnly("payments");
    int requests = RequestsPage.build(s, all(), index::statusOf, params(), cache).total();
    index.upsert("c-new", yaml("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: checkout, namespace: payments, uid: c-new}
        spec: {type: service, lifecycle: production, owner: team-payments}
        """), null);
    CatalogIndex.Snapshot next = index.rebuild();
    assertThat(RequestsPage.build(next, all(), index::statusOf, params(), cache).total()).isEqualTo(requests + 1);
    assertThat(CatalogPage.build(next, all(), CatalogPage.Query.of(params("q", "checkout")), cache).rows())
        .extracting(CatalogPage.Row::name).containsExactly("checkout");
    // A request still holding the older snapshot is answered from it, and does not replace the newer values.
    assertThat(RequestsPage.build(s, all(), index::statusOf, params(), cache).total()).isEqualTo(requests);
    assertThat(RequestsPage.build(next, all(), index::statusOf, params(), cache).total()).isEqualTo(requests + 1);
  }

  @Test
  void eachPageIsTimedUnderItsOwnLabelWithABucketAtTheGoal() {
    var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
    PortalTimers timers = new PortalTimers(registry);
    timers.record("catalog", System.nanoTime() - 20_000_000L);
    timers.record("catalog", System.nanoTime() - 80_000_000L);
    String text = registry.scrape();
    assertThat(text).containsPattern("tarmac_portal_request_seconds_count\\{page=\"catalog\"} 2(\\.0)?\n")
        .containsPattern("tarmac_portal_request_seconds_bucket\\{page=\"catalog\",le=\"0\\.05\"} 1(\\.0)?\n")
        .containsPattern("tarmac_portal_request_seconds_count\\{page=\"requests\"} 0(\\.0)?\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> timers.record("/catalog/x", System.nanoTime()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aCallerSeesOnlyTheNamespacesItMayGet() {
    EntityVisibility.Viewer payments = visibility.viewer(src -> src.namespace().equals("payments"));
    CatalogPage page = CatalogPage.build(s, payments, CatalogPage.Query.of(params("kind", "component")));
    assertThat(page.rows()).extracting(CatalogPage.Row::name).containsExactly("payments-service");
    assertThat(page.facets().get(5).values()).extracting(CatalogPage.FacetValue::value).doesNotContain("shop");
    RequestsPage requests = RequestsPage.build(s, payments, index::statusOf, params());
    assertThat(requests.rows()).extracting(RequestsPage.Row::namespace).containsOnly("payments");
    ScorecardsPage scorecards = ScorecardsPage.build(s, payments, index.scorecardSpecs(), params());
    assertThat(scorecards.matrix()).extracting(ScorecardsPage.TeamRow::team).containsExactly("team-payments");
  }

  @Test
  void entityPageHasLinksRelationsScorecardAdviceAndTheTrace() throws Exception {
    JsonNode entity = s.byRef().get("component:payments/payments-service");
    TraceNode root = TraceNode.of("Component", "payments", "payments-service");
    TraceNode work = root.add(TraceNode.of("Work", "payments", "payments-service-scaffold"));
    TraceNode dest = work.add(TraceNode.of("Destination", null, "default"));
    TraceNode commit = dest.add(TraceNode.of("Commit", null, "0123456789abcdef0123"));
    commit.detail = "in GitStateStore external";
    JsonNode object = yaml("""
        status:
          conditions: [{type: Ready, status: "True", reason: Scaffolded, message: done}]
          repositoryUrl: https://github.com/acme/payments-service.git
          commit: abcdef1234567
        """);
    JsonNode event = yaml("{type: Normal, reason: Scaffolded, message: wrote 12 files, count: 1,"
        + " lastTimestamp: '2026-12-02T10:00:00Z'}");
    EntityPage page = EntityPage.build(s, all(), entity, index.scorecardSpecs(), new EntityPage.Live(object,
        List.of(event), root, Map.of("external", "https://github.com/acme/state.git"), null));

    assertThat(page.links()).extracting(EntityPage.Link::label).contains("Repository", "TechDocs", "PagerDuty",
        "Scaffolded repository", "Scaffold commit abcdef1234");
    assertThat(page.links()).extracting(EntityPage.Link::href).contains(
        "https://app.pagerduty.com/service-directory/P9PAYMT",
        "https://github.com/acme/payments-service/commit/abcdef1234567").doesNotContain("javascript:alert(1)");
    assertThat(page.annotations()).filteredOn(a -> a.key().equals("backstage.io/view-url"))
        .extracting(EntityPage.Annotation::href).containsOnlyNulls();
    assertThat(page.relations()).extracting(EntityPage.RelationGroup::type).startsWith("ownedBy", "partOf",
        "dependsOn");
    assertThat(page.graph().nodes()).extracting(RelationGraph.Node::label).contains("team-payments", "payments-db",
        "payments-api");
    assertThat(page.scorecards()).hasSize(1);
    ScorecardView sc = page.scorecards().get(0);
    assertThat(sc.level()).isEqualTo("Silver");
    assertThat(sc.failing()).extracting(ScorecardView.Check::name).contains("database-with-backups")
        .doesNotContain("has-owner");
    assertThat(sc.failing()).extracting(ScorecardView.Check::advice).allMatch(a -> a != null && !a.isBlank());
    assertThat(page.conditions()).extracting(EntityPage.Condition::reason).containsExactly("Scaffolded");
    assertThat(page.events()).extracting(EntityPage.Event::message).containsExactly("wrote 12 files");
    assertThat(page.trace()).extracting(EntityPage.TraceRow::depth).containsExactly(0, 1, 2, 3);
    assertThat(page.trace().get(3).href()).isEqualTo(
        "https://github.com/acme/state/commit/0123456789abcdef0123");
    assertThat(page.kubectl()).isEqualTo("kubectl get component.platform.tarmac.dev payments-service -n payments"
        + " -o yaml");

    String html = render("entity", Map.of("e", page));
    assertThat(html).contains("<svg class=\"graph\"").contains("database-with-backups")
        .contains("https://github.com/acme/state/commit/0123456789abcdef0123").doesNotContain("href=\"javascript:");
  }

  @Test
  void adviceComesFromTheCheck() throws Exception {
    assertThat(ScorecardView.advice(yaml("{name: x, field: spec.lifecycle, op: equals, value: production}")))
        .isEqualTo("set spec.lifecycle to production");
    assertThat(ScorecardView.advice(yaml("{name: x, field: metadata.annotations.a/b, op: exists}")))
        .isEqualTo("set the annotation a/b");
    assertThat(ScorecardView.advice(yaml("{name: x, remedy: ask the SRE team}"))).isEqualTo("ask the SRE team");
    assertThat(ScorecardView.advice(yaml("{name: x, relatedEntity: {relation: dependsOn, kind: resource,"
        + " field: spec.backupRetentionDays, op: gte, value: 7}}")))
        .contains("dependsOn").contains("spec.backupRetentionDays is at least 7");
  }

  @Test
  void requestsListNotReadyFirstWithTheirReasonAndFilterByState() throws Exception {
    RequestsPage page = RequestsPage.build(s, all(), index::statusOf, params());
    assertThat(page.rows().get(0).name()).isEqualTo("payments-db");
    assertThat(page.rows().get(0).reason()).isEqualTo("CompositionNotFound");
    assertThat(page.rows().get(0).message()).contains("postgresql-in-clustr");
    assertThat(page.rows()).extracting(RequestsPage.Row::kind).contains("Database", "Redis", "Component");
    RequestsPage ready = RequestsPage.build(s, all(), index::statusOf, params("state", "ready", "team",
        "team-payments"));
    assertThat(ready.rows()).extracting(RequestsPage.Row::name).containsExactly("payments-service");
    assertThat(ready.states()).extracting(RequestsPage.Option::count).containsExactly(1, 1, 1);

    long before = index.statusVersion();
    index.status("d1", yaml("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: payments-db, namespace: payments, uid: d-1, generation: 2}
        status:
          observedGeneration: 2
          conditions: [{type: Ready, status: "True", reason: Available}]
        """));
    assertThat(index.statusVersion()).isGreaterThan(before);
    assertThat(RequestsPage.build(s, all(), index::statusOf, params("state", "not-ready")).rows()).isEmpty();
    assertThat(render("requests", Map.of("page", page, "version", "\"1-1\""))).contains("CompositionNotFound")
        .contains("data-version=\"&quot;1-1&quot;\"");
  }

  @Test
  void scorecardMatrixCountsTeamsByLevelAndListsEntitiesBelowALevelSorted() throws Exception {
    ScorecardsPage page = ScorecardsPage.build(s, all(), index.scorecardSpecs(), params());
    assertThat(page.levels()).containsExactly("None", "Bronze", "Silver", "Gold");
    ScorecardsPage.TeamRow web = page.matrix().stream().filter(r -> r.team().equals("team-web")).findFirst()
        .orElseThrow();
    assertThat(web.total()).isEqualTo(30);
    assertThat(page.below()).isEqualTo("Gold");
    assertThat(page.total()).isEqualTo(31);
    ScorecardsPage byName = ScorecardsPage.build(s, all(), index.scorecardSpecs(), params("below", "Silver",
        "sort", "name", "dir", "desc"));
    assertThat(byName.entities()).extracting(ScorecardsPage.EntityRow::name).startsWith("web-9", "web-8");
    assertThat(byName.entities()).extracting(ScorecardsPage.EntityRow::name).doesNotContain("payments-service");
    assertThat(byName.sortLinks().get(0).ariaSort()).isEqualTo("descending");
    assertThat(byName.sortLinks().get(0).href()).contains("dir=asc");
    assertThat(render("scorecards", Map.of("page", byName))).contains("team-web").contains("aria-sort");
  }

  @Test
  void catalogPageRendersWithLabelsForEveryControl() throws Exception {
    String html = render("catalog", Map.of("page", CatalogPage.build(s, all(), CatalogPage.Query.of(params(
        "kind", "Component")))));
    assertThat(html).contains("<label for=\"q\">").contains("id=\"f-kind-component\"")
        .contains("<label for=\"f-kind-component\">").contains("checked").contains("Skip to content");
  }

  @Test
  void proxyHeadersNameAUserWithGroupsAndLocalRedirectsOnly() {
    Map<String, String> h = Map.of("X-Auth-Request-User", "alice@example.com", "X-Auth-Request-Groups",
        "team-payments, devs");
    KubernetesAuth.User u = HttpAuthenticator.proxyUser(h::get).orElseThrow();
    assertThat(u.name()).isEqualTo("alice@example.com");
    assertThat(u.groups()).containsExactly("team-payments", "devs", "system:authenticated");
    assertThat(HttpAuthenticator.proxyUser(Map.of("X-Forwarded-User", " ")::get)).isEmpty();
    assertThat(Html.localPath("/catalog?kind=x")).isEqualTo("/catalog?kind=x");
    assertThat(Html.localPath("//evil.example")).isNull();
    assertThat(Html.localPath("https://evil.example")).isNull();
    assertThat(Html.safeHref("javascript:alert(1)")).isNull();
    assertThat(EntityPage.commitHref("http://127.0.0.1:8080/git/default.git", "abcdef1")).isNull();
    TraceNode root = TraceNode.of("Database", "payments", "db");
    root.add(TraceNode.of("Job", "tarmac-system", "run-1"));
    root.add(TraceNode.of("Condition", null, "Ready"));
    Caller noJobs = Caller.of(new KubernetesAuth.User("bob", List.of()), null,
        access -> !access.resource().equals("jobs"));
    assertThat(PortalServlet.prune(root, noJobs).children).extracting(n -> n.kind).containsExactly("Condition");
  }

  String render(String template, Map<String, Object> model) throws Exception {
    StringWriter out = new StringWriter();
    Map<String, Object> m = new HashMap<>(model);
    m.put("caller", "alice");
    m.put("active", "catalog");
    new PortalTemplates().render(template, m, out);
    return out.toString();
  }
}
