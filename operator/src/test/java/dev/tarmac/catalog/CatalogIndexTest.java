package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The catalog index and Backstage's query semantics, with no cluster. */
class CatalogIndexTest {

  CatalogIndex index;

  static JsonNode yaml(String s) throws Exception {
    return Serialization.YAML.readTree(s);
  }

  @BeforeEach
  void fill() throws Exception {
    index = new CatalogIndex();
    index.upsert("c1", yaml("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata:
          name: payments-service
          namespace: payments
          uid: 11111111-1111-1111-1111-111111111111
          annotations:
            backstage.io/techdocs-ref: dir:.
            pagerduty.com/service-id: PX123
            platform.tarmac.dev/description: Takes payments
        spec:
          type: service
          lifecycle: production
          owner: team-payments
          system: payments
          providesApis: [payments-api]
          dependsOn: [resource:payments-db, component:ledger]
          template: {name: java-service}
        """), null);
    index.upsert("d1", yaml("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: payments-db, namespace: payments, uid: 22222222-2222-2222-2222-222222222222}
        spec: {engine: postgresql, version: "16", storageGB: 100, backupRetentionDays: 30}
        status: {compositionName: postgresql-in-cluster}
        """), null);
    index.upsert("ns", yaml("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: payments, uid: 33333333-3333-3333-3333-333333333333, labels: {platform.tarmac.dev/team: team-payments}}
        """), null);
    index.upsert("r1", yaml("""
        apiVersion: marketplace.tarmac.dev/v1
        kind: Redis
        metadata: {name: cache, namespace: payments, uid: 44444444-4444-4444-4444-444444444444,
          annotations: {platform.tarmac.dev/owner: team-payments}}
        spec: {size: small}
        status: {conditions: [{type: Ready, status: "True"}]}
        """), "redis");
    index.scorecard("service-maturity", Serialization.YAML.readTree(RepoPaths.repo()
        .resolve("examples/scorecards/default.yaml").toFile()).path("spec"));
    index.rebuild();
  }

  static List<String> relations(JsonNode e, String type) {
    return e.path("relations").findParents("type").stream().filter(r -> r.path("type").asText().equals(type))
        .map(r -> r.path("targetRef").asText()).toList();
  }

  @Test
  void mapsObjectsToEntitiesInBackstagesEnvelopeWithRelationsBothWays() {
    var s = index.snapshot();
    ObjectNode component = s.byRef().get("component:payments/payments-service");
    assertThat(component.path("apiVersion").asText()).isEqualTo("backstage.io/v1alpha1");
    assertThat(component.path("metadata").path("uid").asText()).isEqualTo("11111111-1111-1111-1111-111111111111");
    assertThat(component.path("metadata").path("annotations").path("backstage.io/managed-by-location").asText())
        .isEqualTo("kubernetes:platform.tarmac.dev/v1alpha1/Component/payments/payments-service");
    assertThat(component.path("metadata").path("etag").asText()).hasSize(32);
    assertThat(relations(component, "ownedBy")).containsExactly("group:default/team-payments");
    assertThat(relations(component, "partOf")).containsExactly("system:default/payments");
    assertThat(relations(component, "providesApi")).containsExactly("api:default/payments-api");
    // Backstage serves relations distinct and ordered by type, then target ref.
    assertThat(relations(component, "dependsOn")).containsExactly("component:payments/ledger",
        "resource:payments/payments-db");
    ObjectNode group = s.byRef().get("group:default/team-payments");
    assertThat(relations(group, "ownerOf")).contains("component:payments/payments-service");
    ObjectNode db = s.byRef().get("resource:payments/payments-db");
    assertThat(db.path("spec").path("type").asText()).isEqualTo("postgresql");
    assertThat(relations(db, "dependencyOf")).containsExactly("component:payments/payments-service");
    assertThat(relations(s.byRef().get("api:default/payments-api"), "apiProvidedBy"))
        .containsExactly("component:payments/payments-service");
    assertThat(relations(s.byRef().get("system:default/payments"), "hasPart"))
        .contains("component:payments/payments-service");
    ObjectNode redis = s.byRef().get("resource:payments/cache");
    assertThat(redis.path("spec").path("type").asText()).isEqualTo("redis");
    assertThat(relations(redis, "dependsOn")).containsExactly("template:default/redis");
  }

  @Test
  void aMissingReferenceIsAWarningNotADrop() {
    ObjectNode component = index.snapshot().byRef().get("component:payments/payments-service");
    assertThat(component.path("status").path("items").get(0).path("message").asText())
        .contains("component:payments/ledger").contains("not in the catalog");
    assertThat(component.path("status").path("items").get(0).path("level").asText()).isEqualTo("warning");
  }

  @Test
  void rebuildingFromTheSameObjectsGivesTheSameCatalog() throws Exception {
    var before = index.snapshot();
    fill();
    assertThat(index.snapshot().byRef().keySet()).isEqualTo(before.byRef().keySet());
    assertThat(index.snapshot().byRef().get("group:default/team-payments").path("metadata").path("uid"))
        .isEqualTo(before.byRef().get("group:default/team-payments").path("metadata").path("uid"));
    assertThat(index.snapshot().byRef().get("component:payments/payments-service").path("metadata").path("etag"))
        .isEqualTo(before.byRef().get("component:payments/payments-service").path("metadata").path("etag"));
  }

  @Test
  void aChangeRepublishesWhatItTouchesAndKeepsTheRestAsItWas() throws Exception {
    var before = index.snapshot();
    // The Database gets a new owner: it, its old and new Group (ownerOf both ways) change; the API does not.
    index.upsert("d1", yaml("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: payments-db, namespace: payments, uid: 22222222-2222-2222-2222-222222222222,
          annotations: {platform.tarmac.dev/owner: team-dba}}
        spec: {engine: postgresql, version: "16", storageGB: 100, backupRetentionDays: 30}
        status: {compositionName: postgresql-in-cluster}
        """), null);
    var after = index.rebuild();
    assertThat(after.generation()).isGreaterThan(before.generation());
    ObjectNode db = after.byRef().get("resource:payments/payments-db");
    assertThat(relations(db, "ownedBy")).containsExactly("group:default/team-dba");
    assertThat(db.path("metadata").path("etag")).isNotEqualTo(before.byRef().get("resource:payments/payments-db")
        .path("metadata").path("etag"));
    assertThat(relations(after.byRef().get("group:default/team-dba"), "ownerOf"))
        .containsExactly("resource:payments/payments-db");
    assertThat(relations(after.byRef().get("group:default/team-payments"), "ownerOf"))
        .doesNotContain("resource:payments/payments-db").contains("component:payments/payments-service");
    // Untouched entities are the very same published objects, with the same etag and search keys.
    assertThat(after.byRef().get("api:default/payments-api")).isSameAs(before.byRef().get("api:default/payments-api"));
    assertThat(names(after, List.of("relations.ownedBy=group:default/team-dba"))).containsExactly("payments-db");
    // The sources were not changed by either rebuild: a rebuild from scratch gives equal entities.
    CatalogIndex fresh = new CatalogIndex();
    fill();
    assertThat(index.snapshot().byRef().get("api:default/payments-api"))
        .isEqualTo(before.byRef().get("api:default/payments-api"));
    assertThat(fresh.rebuild().entities()).isEmpty();
  }

  /**
   * The rebuild keeps what a change does not touch (its inputs are those of the last rebuild): after each of 60
   * random changes (owners, systems, dependencies, teams of namespaces, Backstage descriptors and Groups coming and
   * going, a Scorecard changed), the catalog equals one built from nothing over the same objects.
   */
  @Test
  void anIncrementalRebuildEqualsABuildFromNothingAfterRandomChanges() throws Exception {
    java.util.Random random = new java.util.Random(18);
    java.util.Map<String, JsonNode> objects = new java.util.LinkedHashMap<>();
    CatalogIndex live = new CatalogIndex();
    JsonNode scorecard = Serialization.YAML.readTree(RepoPaths.repo().resolve("examples/scorecards/default.yaml")
        .toFile()).path("spec");
    live.scorecard("service-maturity", scorecard);
    for (int round = 0; round < 60; round++) {
      for (int k = 0; k < 1 + random.nextInt(4); k++) {
        int i = random.nextInt(12);
        String key;
        JsonNode object;
        switch (random.nextInt(5)) {
          case 0 -> {
            key = "Component/" + i;
            object = yaml("""
                apiVersion: platform.tarmac.dev/v1alpha1
                kind: Component
                metadata: {name: svc-%d, namespace: ns-%d, uid: c-%d}
                spec: {type: service, lifecycle: production, %s system: sys-%d, dependsOn: [resource:db-%d, component:svc-%d],
                  providesApis: [api-%d]}
                """.formatted(i, i % 3, i, random.nextBoolean() ? "owner: team-" + random.nextInt(4) + "," : "",
                random.nextInt(3), random.nextInt(6), random.nextInt(12), random.nextInt(3)));
          }
          case 1 -> {
            key = "Database/" + i;
            object = yaml("""
                apiVersion: platform.tarmac.dev/v1alpha1
                kind: Database
                metadata: {name: db-%d, namespace: ns-%d, uid: d-%d}
                spec: {engine: postgresql, version: "16", storageGB: 10, backupRetentionDays: %d}
                """.formatted(i % 6, i % 3, i % 6, random.nextInt(14)));
          }
          case 2 -> {
            key = "Namespace/" + (i % 4);
            object = yaml("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: ns-%d, uid: n-%d, labels: {platform.tarmac.dev/team: team-%d}}
                """.formatted(i % 4, i % 4, random.nextInt(4)));
          }
          case 3 -> {
            key = "backstage/Group/" + (i % 4);
            object = yaml("""
                apiVersion: backstage.io/v1alpha1
                kind: Group
                metadata: {name: team-%d, namespace: default, uid: g-%d}
                spec: {type: team, children: [], parent: team-%d}
                """.formatted(i % 4, i % 4, random.nextInt(4)));
          }
          default -> {
            key = "backstage/Component/" + i;
            object = yaml("""
                apiVersion: backstage.io/v1alpha1
                kind: Component
                metadata: {name: bs-%d, namespace: ns-%d, uid: b-%d}
                spec: {type: service, lifecycle: experimental, owner: group:default/team-%d, system: sys-%d,
                  dependsOn: [component:svc-%d]}
                """.formatted(i, i % 3, i, random.nextInt(4), random.nextInt(3), random.nextInt(12)));
          }
        }
        if (objects.containsKey(key) && random.nextInt(4) == 0) {
          objects.remove(key);
          live.remove(key);
        } else {
          objects.put(key, object);
          live.upsert(key, object, null);
        }
      }
      if (round == 40) {
        live.scorecard("service-maturity", ((ObjectNode) scorecard.deepCopy()).put("entityKinds", (String) null));
        scorecard = ((ObjectNode) scorecard.deepCopy()).put("entityKinds", (String) null);
      }
      CatalogIndex fresh = new CatalogIndex();
      fresh.scorecard("service-maturity", scorecard);
      objects.forEach((k, o) -> fresh.upsert(k, o, null));
      var expected = fresh.rebuild();
      // Queries on the last snapshot: the rebuild carries their postings and orders over instead of building them.
      var last = live.snapshot();
      List<String> keys = List.of("kind", "spec.type", "relations.ownedby", "spec.system", "metadata.name");
      for (String key : keys) {
        CatalogQuery.postings(last, key);
        CatalogQuery.facetPostings(last, key);
        CatalogQuery.sortedBy(last, key);
      }
      var actual = live.rebuild();
      for (String key : keys) {
        assertThat(actual.postings().get(key)).as("round %d: postings of %s", round, key)
            .isEqualTo(CatalogQuery.postings(expected, key));
        assertThat(actual.postings().get(CatalogQuery.AS_WRITTEN + key)).as("round %d: %s as written", round, key)
            .isEqualTo(CatalogQuery.facetPostings(expected, key));
        assertThat(actual.orders().get(key)).as("round %d: ranks of %s", round, key)
            .isEqualTo(CatalogQuery.order(expected, key));
        assertThat(actual.orders().get(CatalogQuery.SORTED + key)).as("round %d: sorted by %s", round, key)
            .isEqualTo(CatalogQuery.sortedBy(expected, key));
      }
      assertThat(actual.byRef().keySet()).as("round %d", round).isEqualTo(expected.byRef().keySet());
      for (String ref : expected.byRef().keySet()) {
        assertThat(actual.byRef().get(ref)).as("round %d: %s", round, ref).isEqualTo(expected.byRef().get(ref));
      }
      assertThat(actual.scorecards()).as("round %d", round).isEqualTo(expected.scorecards());
      assertThat(actual.search()).isEqualTo(expected.search());
    }
  }

  @Test
  void orderFieldsSortAndRefBreaksTies() {
    var s = index.snapshot();
    List<Integer> all = CatalogQuery.select(s, List.of(), null, null);
    CatalogQuery.order(s, all, List.of());
    List<String> refs = all.stream().map(i -> CatalogIndex.ref(s.entities().get(i))).toList();
    assertThat(refs).isSorted();
    List<Integer> byKindDesc = CatalogQuery.select(s, List.of(), null, null);
    CatalogQuery.order(s, byKindDesc, List.of("kind,desc"));
    List<String> kinds = byKindDesc.stream().map(i -> s.entities().get(i).path("kind").asText()).toList();
    assertThat(kinds.get(0)).isEqualTo("System");
    assertThat(kinds.get(kinds.size() - 1)).isEqualTo("API");
    List<String> groups = byKindDesc.stream().map(i -> s.entities().get(i)).filter(e -> e.path("kind").asText()
        .equals("Group")).map(CatalogIndex::ref).toList();
    assertThat(groups).isSorted();
  }

  @Test
  void orderByOneFieldLeavesOutEntitiesWithoutItAndKeepsRefOrderForTies() {
    var s = index.snapshot();
    List<Integer> asc = CatalogQuery.select(s, List.of(), null, null);
    CatalogQuery.orderBy(s, asc, "spec.type", false);
    List<Integer> desc = CatalogQuery.select(s, List.of(), null, null);
    CatalogQuery.orderBy(s, desc, "SPEC.TYPE", true);
    // Entities without spec.type are left out, as Backstage's join on the field does.
    long typed = s.search().stream().filter(k -> k.containsKey("spec.type")).count();
    assertThat(asc).hasSize((int) typed).hasSameElementsAs(desc);
    List<String> ascValues = asc.stream().map(i -> s.search().get(i).get("spec.type").iterator().next()
        .toLowerCase()).toList();
    assertThat(ascValues).isSorted();
    List<String> descValues = desc.stream().map(i -> s.search().get(i).get("spec.type").iterator().next()
        .toLowerCase()).toList();
    assertThat(descValues).isSortedAccordingTo(java.util.Comparator.reverseOrder());
    // Ties keep ref order in both directions.
    for (List<Integer> sorted : List.of(asc, desc)) {
      for (int k = 1; k < sorted.size(); k++) {
        String a = s.search().get(sorted.get(k - 1)).get("spec.type").iterator().next().toLowerCase();
        String b = s.search().get(sorted.get(k)).get("spec.type").iterator().next().toLowerCase();
        if (a.equals(b)) {
          assertThat(sorted.get(k)).isGreaterThan(sorted.get(k - 1));
        }
      }
    }
  }

  /** 300 Components with types (some without), lifecycles and owners in a few spellings, for paging and facets. */
  static CatalogIndex many() {
    CatalogIndex many = new CatalogIndex();
    for (int i = 0; i < 300; i++) {
      ObjectNode c = Serialization.JSON.createObjectNode();
      c.put("apiVersion", "platform.tarmac.dev/v1alpha1").put("kind", "Component");
      c.putObject("metadata").put("name", "svc-" + (i * 7919 % 1000)).put("namespace", "ns-" + i % 3)
          .put("uid", "uid-" + i);
      ObjectNode spec = c.putObject("spec");
      if (i % 7 != 0) {
        spec.put("type", i % 5 == 0 ? "Website" : i % 2 == 0 ? "service" : "library");
      }
      spec.put("lifecycle", i % 3 == 0 ? "production" : "experimental").put("owner", "team-" + i % 4);
      many.upsert("c" + i, c, null);
    }
    many.rebuild();
    return many;
  }

  @Test
  void pagesWalkTheMatchesAsTheSortedSelectionWould() throws Exception {
    var s = many().snapshot();
    CatalogPredicate predicate = CatalogPredicate.parse(Serialization.JSON.readTree(
        "{\"$any\": [{\"spec.lifecycle\": \"production\"}, {\"spec.type\": \"website\"}]}"));
    for (String field : new String[] {null, "spec.type", "metadata.name"}) {
      for (boolean desc : new boolean[] {false, true}) {
        List<Integer> expected = CatalogQuery.select(s, predicate, null, List.of(), null);
        if (field != null) {
          CatalogQuery.orderBy(s, expected, field, desc);
        }
        for (int[] window : new int[][] {{0, 20}, {7, 13}, {0, 0}, {95, 50}, {1000, 5}, {0, Integer.MAX_VALUE}}) {
          var page = CatalogQuery.page(s, CatalogQuery.matches(s, predicate, null, List.of(), null), field,
              desc && field != null, window[0], window[1]);
          int from = Math.min(window[0], expected.size());
          int to = (int) Math.min(expected.size(), (long) from + window[1]);
          assertThat(page.total()).as("%s %s %s", field, desc, window[0]).isEqualTo(expected.size());
          assertThat(page.offset()).isEqualTo(from);
          assertThat(java.util.Arrays.stream(page.items()).boxed().toList())
              .as("%s desc=%s from %d", field, desc, window[0]).isEqualTo(expected.subList(from, to));
        }
      }
    }
    // The ordered walk leaves out entities without the field, as orderBy does (Groups have no lifecycle).
    var withLifecycle = CatalogQuery.page(s, CatalogQuery.matches(s, null, null, List.of(), null), "spec.lifecycle",
        true, 0, 1000);
    assertThat(withLifecycle.total()).isEqualTo(300).isLessThan(s.entities().size());
  }

  @Test
  void fullTextMatchesIgnoringCaseAsLowerCasingWould() {
    for (String[] c : new String[][] {{"Payments-Service", "ments-s"}, {"abc", "abcd"}, {"ABC", ""}, {"x", "x"},
        {"Straße", "straße"}, {"İstanbul", "i̇st"}, {"KELVIN", "kelvin"}, {"I", "ı"}}) {
      assertThat(CatalogQuery.containsLowerCase(c[0], c[1])).as("%s contains %s", c[0], c[1])
          .isEqualTo(c[0].toLowerCase(java.util.Locale.ROOT).contains(c[1]));
    }
    var s = many().snapshot();
    assertThat(CatalogQuery.select(s, (CatalogPredicate) null, "WEB", List.of("spec.type"), null))
        .hasSize((int) s.search().stream().filter(k -> k.getOrDefault("spec.type", java.util.Set.of())
            .contains("Website")).count()).isNotEmpty();
  }

  @Test
  void facetAnswersEqualTheCountsAndAreKeptWithTheSnapshotWhenShared() throws Exception {
    var s = many().snapshot();
    List<String> facets = List.of("spec.type", "spec.lifecycle", "relations.ownedBy", "metadata.name");
    for (String filter : new String[] {null, "kind=component,spec.lifecycle=production", "spec.owner=team-1"}) {
      CatalogPredicate p = filter == null ? null : CatalogPredicate.ofFilters(List.of(filter));
      var expected = Serialization.JSON.valueToTree(CatalogQuery.facets(s, CatalogQuery.select(s, p, null,
          List.of(), null), facets));
      var actual = CatalogQuery.facetsJson(s, CatalogQuery.matches(s, p, null, List.of(), null), facets, null);
      assertThat(actual.get("facets")).as("filter %s", filter).isEqualTo(expected);
    }
    // Over everything, the rows are made once per snapshot.
    var all = CatalogQuery.matches(s, null, null, List.of(), null);
    assertThat(CatalogQuery.facetsJson(s, all, facets, null).get("facets").get("spec.type"))
        .isSameAs(CatalogQuery.facetsJson(s, all, facets, null).get("facets").get("spec.type"));
  }

  @Test
  void servedJsonIsTheEntityAsJacksonWritesIt() throws Exception {
    var s = index.snapshot();
    var out = Serialization.JSON.createArrayNode();
    var expected = Serialization.JSON.createArrayNode();
    for (int i = 0; i < s.entities().size(); i++) {
      assertThat(s.json().get(i).bytes()).isEqualTo(Serialization.JSON.writeValueAsBytes(s.entities().get(i)));
      out.add(s.json().get(i).node());
      expected.add(s.entities().get(i));
    }
    assertThat(Serialization.JSON.writeValueAsString(out)).isEqualTo(Serialization.JSON.writeValueAsString(expected));
    assertThat(Serialization.JSON.readTree(Serialization.JSON.writeValueAsString(out))).isEqualTo(expected);
    // A rebuild keeps the JSON of an entity it leaves unchanged (same instance), and writes a changed one again.
    var before = s.json().get(0);
    index.statusField("cost", Map.of(CatalogIndex.ref(s.entities().get(s.entities().size() - 1)),
        Serialization.JSON.createObjectNode().put("monthly", 1)));
    var next = index.rebuild();
    assertThat(next.json().get(0)).isSameAs(before);
    assertThat(next.json().get(next.entities().size() - 1)).isNotSameAs(s.json().get(s.entities().size() - 1));
    assertThat(new String(next.json().get(next.entities().size() - 1).bytes(), "UTF-8")).contains("\"monthly\":1");
  }

  @Test
  void filtersFollowBackstage() {
    var s = index.snapshot();
    assertThat(names(s, List.of("kind=component"))).containsExactly("payments-service");
    // Conditions in one filter are AND'ed, filters are OR'ed.
    assertThat(names(s, List.of("kind=resource,spec.type=postgresql"))).containsExactly("payments-db");
    assertThat(names(s, List.of("kind=api", "kind=system"))).containsExactly("payments-api", "payments");
    // A key named twice in one filter gives alternatives, as Backstage's parseEntityFilterString does.
    assertThat(names(s, List.of("kind=api,kind=system"))).containsExactly("payments-api", "payments");
    assertThat(names(s, List.of("kind=api,kind=system,metadata.name=payments"))).containsExactly("payments");
    // A key alone means it exists; annotation keys with dots work as written.
    assertThat(names(s, List.of("kind=component,metadata.annotations.backstage.io/techdocs-ref")))
        .containsExactly("payments-service");
    assertThat(names(s, List.of("relations.ownedBy=group:default/team-payments"))).contains("payments-service",
        "cache");
    assertThat(names(s, List.of("KIND=Component,Spec.Lifecycle=PRODUCTION"))).containsExactly("payments-service");
    assertThatThrownBy(() -> CatalogQuery.parseFilters(List.of("=x"))).hasMessageContaining("missing key");
  }

  private static List<String> names(CatalogIndex.Snapshot s, List<String> filters) {
    List<Integer> sel = CatalogQuery.select(s, CatalogQuery.parseFilters(filters), null, null);
    CatalogQuery.order(s, sel, List.of("metadata.name,desc"));
    return sel.stream().map(i -> s.entities().get(i).path("metadata").path("name").asText()).toList();
  }

  @Test
  void facetsFieldsAndFullText() {
    var s = index.snapshot();
    var all = CatalogQuery.select(s, List.of(), null, null);
    var facets = CatalogQuery.facets(s, all, List.of("kind", "spec.type"));
    assertThat(facets.get("kind")).contains(java.util.Map.of("value", "Resource", "count", 2));
    JsonNode projected = CatalogQuery.project(s.byRef().get("component:payments/payments-service"),
        List.of("kind", "metadata.name", "metadata.annotations.pagerduty.com/service-id"));
    assertThat(projected.toString()).isEqualTo("{\"kind\":\"Component\",\"metadata\":{\"name\":\"payments-service\","
        + "\"annotations\":{\"pagerduty.com/service-id\":\"PX123\"}}}");
    assertThat(CatalogQuery.select(s, List.of(), "PAYMENTS-D", List.of("metadata.name"))).hasSize(1);
    // Backstage's default full-text field (no fields, no order field) is metadata.uid.
    assertThat(CatalogQuery.select(s, List.of(), "PAYMENTS-D", null)).isEmpty();
    assertThat(CatalogQuery.select(s, List.of(), "11111111-1111", null)).hasSize(1);
  }

  @Test
  void scorecardLevels() {
    ObjectNode component = index.snapshot().byRef().get("component:payments/payments-service");
    JsonNode result = component.path("status").path("scorecards").get(0);
    // Gold fails because of the warning about the missing ledger Component, and because the Component has no DORA
    // figures yet (no workload of it has rolled out).
    assertThat(result.path("level").asText()).isEqualTo("Silver");
    assertThat(result.path("failed").toString()).isEqualTo("[\"no-catalog-warnings\",\"dora-tier-high-or-better\"]");
    assertThat(result.path("passed").toString()).contains("database-with-backups", "has-on-call");
  }

  @Test
  void exportIsCatalogInfoYaml() throws Exception {
    String yaml = CatalogExport.yaml(index.snapshot());
    assertThat(yaml).contains("kind: Component").contains("name: payments-service").doesNotContain("etag")
        .doesNotContain("relations:");
  }
}
