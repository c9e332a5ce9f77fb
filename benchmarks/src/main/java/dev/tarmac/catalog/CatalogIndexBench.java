package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The catalog index alone, no cluster and no HTTP: N objects — 60% Components (the same shapes as {@code make bench}'s
 * catalog scenario) in a namespace labelled with a team, 40% Backstage descriptors of the backstage.io kinds (issue 18)
 * — and the shipped Scorecard; then the time of a full rebuild, of a
 * rebuild after one change (what bounds "change visible"), of a filtered query and of facets; then the scenario's HTTP
 * calls through the servlet on an in-process Jetty, with the bytes the server allocates per request. In the benchmarks
 * module but in the catalog's package, to call the package-private query functions the servlet calls. Bounded:
 * N ≤ 50,000. Run with {@code make bench-catalog} (N = 10,000); with {@code TARMAC_BENCH_CATALOG_HTTP_ONLY=1} set,
 * only the first rebuild and the HTTP calls.
 */
public final class CatalogIndexBench {

  private CatalogIndexBench() {
  }

  static ObjectNode component(int i, String lifecycle) {
    ObjectNode c = Serialization.JSON.createObjectNode();
    c.put("apiVersion", "platform.tarmac.dev/v1alpha1").put("kind", "Component");
    ObjectNode meta = c.putObject("metadata");
    meta.put("name", "svc-" + i).put("namespace", "bench-catalog").put("uid", "uid-" + i)
        .put("resourceVersion", "1").put("generation", 1);
    meta.putObject("annotations").put("backstage.io/techdocs-ref", "dir:.");
    c.putObject("spec").put("type", i % 3 == 0 ? "website" : "service").put("lifecycle", lifecycle)
        .put("owner", "team-" + (i % 20)).put("system", "system-" + (i % 10));
    return c;
  }

  /**
   * A Backstage descriptor as the API server stores it after {@code kubectl apply} (issue 18): kinds in turn —
   * Component (owner, system, providesApis, dependsOn), API, Resource, System (domain), User (memberOf), Location —
   * with kubectl's last-applied copy carrying the metadata title, as the catalog reads it back.
   */
  static ObjectNode backstage(int i) {
    ObjectNode o = Serialization.JSON.createObjectNode();
    String[] kinds = {"Component", "API", "Resource", "System", "User", "Location"};
    String kind = kinds[i % kinds.length];
    o.put("apiVersion", "backstage.io/v1alpha1").put("kind", kind);
    String name = "bs-" + kind.toLowerCase() + "-" + i;
    ObjectNode meta = o.putObject("metadata");
    meta.put("name", name).put("namespace", "bench-backstage").put("uid", "bs-uid-" + i)
        .put("resourceVersion", "1");
    ObjectNode spec = o.putObject("spec");
    String owner = "group:bs-team-" + (i % 50);
    switch (kind) {
      case "Component" -> {
        spec.put("type", i % 4 == 0 ? "website" : "service").put("lifecycle", "production").put("owner", owner)
            .put("system", "bs-system-" + (i / 6 % 100 * 6 + 3));
        spec.putArray("providesApis").add("bs-api-" + (i + 1));
        spec.putArray("dependsOn").add("resource:bs-resource-" + (i + 2));
      }
      case "API" -> spec.put("type", "openapi").put("lifecycle", "production").put("owner", owner)
          .put("definition", "openapi: 3.0.0");
      case "Resource" -> spec.put("type", "database").put("owner", owner);
      case "System" -> spec.put("owner", owner).put("domain", "bs-domain-" + (i % 10));
      case "User" -> spec.putArray("memberOf").add("bs-team-" + (i % 50));
      default -> spec.put("type", "url").putArray("targets").add("./catalog-info-" + i + ".yaml");
    }
    ObjectNode applied = o.deepCopy();
    ((ObjectNode) applied.get("metadata")).put("title", "Title of " + name).remove("uid");
    meta.putObject("annotations").put("kubectl.kubernetes.io/last-applied-configuration", applied.toString());
    return o;
  }

  static ObjectNode backstageGroup(int team) {
    ObjectNode o = Serialization.JSON.createObjectNode();
    o.put("apiVersion", "backstage.io/v1alpha1").put("kind", "Group");
    o.putObject("metadata").put("name", "bs-team-" + team).put("namespace", "bench-backstage")
        .put("uid", "bs-team-uid-" + team);
    o.putObject("spec").put("type", "team").put("parent", "bs-team-" + (team / 10)).putArray("children");
    return o;
  }

  /**
   * Arguments: {@code N} (default 10000), the repository root (default the working folder), the share of Backstage
   * descriptors among the N objects in percent (default 40).
   */
  public static void main(String[] args) throws Exception {
    int n = Math.min(50_000, args.length > 0 ? Integer.parseInt(args[0]) : 10_000);
    Path repo = Path.of(args.length > 1 ? args[1] : ".");
    CatalogIndex index = new CatalogIndex();
    JsonNode scorecard = Serialization.YAML.readTree(Files.readString(repo.resolve("examples/scorecards/default.yaml")));
    index.scorecard("service-maturity", scorecard.get("spec"));
    ObjectNode ns = Serialization.JSON.createObjectNode();
    ns.put("apiVersion", "v1").put("kind", "Namespace");
    ns.putObject("metadata").put("name", "bench-catalog").put("uid", "ns-uid")
        .putObject("labels").put("platform.tarmac.dev/team", "team-bench");
    index.upsert("Namespace/bench-catalog", ns, null);
    // Issue 18: 40% of the N objects are Backstage descriptors (backstage.io kinds) plus their 50 Groups, in one
    // index with the Tarmac Components.
    int descriptors = n * (args.length > 2 ? Integer.parseInt(args[2]) : 40) / 100;
    for (int i = 0; i < n - descriptors; i++) {
      index.upsert("Component/bench-catalog/svc-" + i, component(i, i % 2 == 0 ? "production" : "experimental"), null);
    }
    for (int i = 0; i < descriptors; i++) {
      index.upsert("backstage/" + i, backstage(i), null);
    }
    for (int team = 0; team < 50; team++) {
      index.upsert("backstage/group/" + team, backstageGroup(team), null);
    }
    long t = System.nanoTime();
    CatalogIndex.Snapshot s = index.rebuild();
    double first = (System.nanoTime() - t) / 1e6;
    if (System.getenv("TARMAC_BENCH_CATALOG_HTTP_ONLY") != null) {
      // Only the HTTP calls and their allocation (which the machine's load does not change): a quick before/after.
      System.out.printf("catalog index, %d objects (%d entities): first rebuild %.0f ms%n", n, s.entities().size(),
          first);
      http(index);
      return;
    }

    // Warm up, then one change at a time.
    List<Double> rebuilds = new ArrayList<>();
    for (int round = 0; round < 30; round++) {
      int i = round * 7 % (n - descriptors);
      index.upsert("Component/bench-catalog/svc-" + i, component(i, round % 2 == 0 ? "experimental" : "production"),
          null);
      t = System.nanoTime();
      s = index.rebuild();
      rebuilds.add((System.nanoTime() - t) / 1e6);
    }
    var filters = CatalogQuery.parseFilters(List.of("kind=component,spec.lifecycle=production"));
    List<Double> queries = new ArrayList<>();
    List<Double> facets = new ArrayList<>();
    for (int round = 0; round < 500; round++) {
      t = System.nanoTime();
      List<Integer> selected = CatalogQuery.select(s, filters, null, null);
      CatalogQuery.order(s, selected, List.of());
      for (int i = 0; i < Math.min(20, selected.size()); i++) {
        Serialization.JSON.writeValueAsBytes(s.entities().get(selected.get(i)));
      }
      queries.add((System.nanoTime() - t) / 1e6);
      t = System.nanoTime();
      CatalogQuery.facets(s, CatalogQuery.select(s, List.of(), null, null),
          List.of("kind", "spec.type", "spec.lifecycle"));
      facets.add((System.nanoTime() - t) / 1e6);
    }
    // Predicate queries (POST /entities/by-query) and facets over them, as Backstage's client sends them.
    CatalogPredicate predicate = CatalogPredicate.parse(Serialization.JSON.readTree("{\"$all\":[{\"kind\":"
        + "\"component\"},{\"$not\":{\"spec.type\":\"website\"}},{\"relations.ownedBy\":{\"$in\":["
        + "\"group:bench-backstage/bs-team-1\",\"group:default/team-3\"]}}]}"));
    List<Double> predicateQueries = new ArrayList<>();
    List<Double> predicateFacets = new ArrayList<>();
    int predicateMatches = 0;
    for (int round = 0; round < 500; round++) {
      t = System.nanoTime();
      List<Integer> selected = CatalogQuery.select(s, predicate, null, List.of(), null);
      CatalogQuery.orderBy(s, selected, "metadata.name", false);
      for (int i = 0; i < Math.min(20, selected.size()); i++) {
        Serialization.JSON.writeValueAsBytes(s.entities().get(selected.get(i)));
      }
      predicateMatches = selected.size();
      predicateQueries.add((System.nanoTime() - t) / 1e6);
      t = System.nanoTime();
      CatalogQuery.facets(s, CatalogQuery.select(s, CatalogPredicate.parse(Serialization.JSON.readTree(
          "{\"kind\":{\"$in\":[\"component\",\"api\",\"resource\"]}}")), null, List.of(), null),
          List.of("kind", "spec.type", "relations.ownedBy"));
      predicateFacets.add((System.nanoTime() - t) / 1e6);
    }
    // With authorization (issue 15, part 3): what the servlet adds per request for a caller who is not anonymous —
    // a Viewer whose decisions (one per source; a map lookup here, as the SubjectAccessReview cache answers once
    // warm), the visibility mask, the masked select and the redaction of each served entity. "allowed": the caller
    // may get Components in the namespace (sees all); "denied": it may not (sees only the public Groups/Systems).
    EntityVisibility visibility = new EntityVisibility();
    java.util.Map<EntityVisibility.Source, Boolean> decisions = new java.util.concurrent.ConcurrentHashMap<>();
    List<Double> allowedQueries = new ArrayList<>();
    List<Double> allowedFacets = new ArrayList<>();
    List<Double> deniedQueries = new ArrayList<>();
    List<Double> partialFacets = new ArrayList<>();
    for (int round = 0; round < 500; round++) {
      for (boolean allowed : new boolean[] {true, false}) {
        t = System.nanoTime();
        EntityVisibility.Viewer viewer = visibility.viewer(src -> decisions.computeIfAbsent(
            new EntityVisibility.Source(src.apiVersion(), src.kind(), allowed ? src.namespace() : "other"),
            x -> x.namespace().equals("bench-catalog")));
        List<Integer> selected = CatalogQuery.select(s, filters, null, null, viewer.visible(s));
        CatalogQuery.order(s, selected, List.of());
        for (int i = 0; i < Math.min(20, selected.size()); i++) {
          Serialization.JSON.writeValueAsBytes(viewer.redact(s.entities().get(selected.get(i)), s));
        }
        (allowed ? allowedQueries : deniedQueries).add((System.nanoTime() - t) / 1e6);
        if (allowed) {
          t = System.nanoTime();
          CatalogQuery.facets(s, CatalogQuery.select(s, List.of(), null, null, viewer.visible(s)),
              List.of("kind", "spec.type", "spec.lifecycle"), viewer.key(s));
          allowedFacets.add((System.nanoTime() - t) / 1e6);
          // Worst case for facets: the first caller (per snapshot and visibility key) who sees all but one entity
          // counts every visible entity; later callers with the same key get the counts kept with the snapshot.
          t = System.nanoTime();
          java.util.BitSet most = viewer.visible(s);
          most.clear(0);
          CatalogQuery.facets(s, CatalogQuery.select(s, List.of(), null, null, most),
              List.of("kind", "spec.type", "spec.lifecycle"));
          partialFacets.add((System.nanoTime() - t) / 1e6);
        }
      }
    }
    System.gc();
    Runtime rt = Runtime.getRuntime();
    double heapMiB = (rt.totalMemory() - rt.freeMemory()) / (1024.0 * 1024);
    System.out.printf("catalog index, %d objects: heap in use after GC %.0f MiB (index and sources, no"
        + " informer caches)%n", n, heapMiB);
    System.out.printf("catalog index, %d objects (%d entities): first rebuild %.0f ms; rebuild after one change"
        + " p50 %.0f ms, max %.0f ms; filtered query (select+order+20 serialized) p50 %.2f ms, p99 %.2f ms;"
        + " facets p50 %.2f ms, p99 %.2f ms%n", n, s.entities().size(), first, pct(rebuilds.subList(5, 30), 50),
        pct(rebuilds.subList(5, 30), 100), pct(queries.subList(100, 500), 50), pct(queries.subList(100, 500), 99),
        pct(facets.subList(100, 500), 50), pct(facets.subList(100, 500), 99));
    System.out.printf("catalog index, %d entities with %d Backstage descriptors: predicate query ($all/$not/$in,"
        + " ordered by name, %d matches, 20 serialized) p50 %.2f ms, p99 %.2f ms; facets over a $in query p50 %.2f"
        + " ms, p99 %.2f ms%n", s.entities().size(), descriptors + 50, predicateMatches,
        pct(predicateQueries.subList(100, 500), 50), pct(predicateQueries.subList(100, 500), 99),
        pct(predicateFacets.subList(100, 500), 50), pct(predicateFacets.subList(100, 500), 99));
    System.out.printf("catalog index, %d Components, authorized caller: filtered query p50 %.2f ms, p99 %.2f ms;"
        + " facets p50 %.2f ms, p99 %.2f ms (first caller per snapshot seeing all but one entity: p50 %.2f ms, p99 %.2f ms); caller allowed"
        + " nothing: filtered query p50 %.2f ms, p99 %.2f ms%n", n,
        pct(allowedQueries.subList(100, 500), 50), pct(allowedQueries.subList(100, 500), 99),
        pct(allowedFacets.subList(100, 500), 50), pct(allowedFacets.subList(100, 500), 99),
        pct(partialFacets.subList(100, 500), 50), pct(partialFacets.subList(100, 500), 99),
        pct(deniedQueries.subList(100, 500), 50), pct(deniedQueries.subList(100, 500), 99));
    http(index);
  }

  /**
   * The queries of {@code make bench}'s catalog scenario through the real servlet on Jetty (in this JVM, over
   * loopback): per call, the wall-clock p50 / p99 and the bytes the server's threads allocate per request
   * ({@code ThreadMXBean.getThreadAllocatedBytes} of the {@code http} pool's threads: Jetty, the servlet, the JSON
   * writing). Allocation is what makes SerialGC pause under query load (docs/benchmarks.md), and unlike a latency it
   * does not depend on how busy the machine is.
   */
  private static void http(CatalogIndex index) throws Exception {
    try (dev.tarmac.HttpServer server = new dev.tarmac.HttpServer("127.0.0.1", 0,
        new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
            io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT),
        () -> new dev.tarmac.HttpServer.Readiness(true, ""), () -> new dev.tarmac.HttpServer.Readiness(true, ""))) {
      server.mount("/api/catalog/*", new CatalogServlet(index));
      server.start();
      String base = "http://127.0.0.1:" + server.address().getPort() + "/api/catalog";
      java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
      String predicate = """
          {"query": {"$all": [{"kind": {"$in": ["component", "api"]}},
            {"$any": [{"relations.ownedBy": "group:bench-backstage/bs-team-3"}, {"spec.lifecycle": "production"}]},
            {"$not": {"spec.type": "website"}}, {"spec.system": {"$exists": true}}]},
           "orderBy": [{"field": "metadata.name", "order": "asc"}], "limit": 20}""";
      StringBuilder refs = new StringBuilder("{\"fields\": [\"kind\", \"metadata.name\", \"relations\"],"
          + " \"entityRefs\": [");
      for (int i = 0; i < 20; i++) {
        refs.append(i == 0 ? "" : ", ").append(i % 2 == 0 ? "\"component:bench-catalog/svc-" + i * 37 + "\""
            : "\"component:bench-backstage/bs-component-" + i * 6 + "\"");
      }
      refs.append("]}");
      java.util.Map<String, java.net.http.HttpRequest> calls = new java.util.LinkedHashMap<>();
      calls.put("by-query with filter (GET)", get(base + "/entities/by-query?limit=20&filter="
          + enc("kind=component,spec.lifecycle=production")));
      calls.put("by-query with predicate (POST, ordered)", post(base + "/entities/by-query", predicate));
      calls.put("GET /entities with filter, limit 50", get(base + "/entities?limit=50&fields=kind,metadata.name,"
          + "spec.type&filter=" + enc("kind=api,spec.type=openapi")));
      calls.put("facets (GET, 3 facets)", get(base + "/entity-facets?facet=kind&facet=spec.type&facet=spec.lifecycle"));
      calls.put("facets with filter (GET)", get(base + "/entity-facets?facet=spec.type&facet=relations.ownedBy&filter="
          + enc("kind=component")));
      calls.put("facets over a $in predicate (POST)", post(base + "/entity-facets", """
          {"facets": ["kind", "spec.type", "relations.ownedBy"],
           "query": {"kind": {"$in": ["component", "api", "resource"]}}}"""));
      calls.put("by-refs, 20 refs with fields (POST)", post(base + "/entities/by-refs", refs.toString()));
      calls.put("ancestry", get(base + "/entities/by-name/component/bench-catalog/svc-10/ancestry"));
      com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
          java.lang.management.ManagementFactory.getThreadMXBean();
      for (var call : calls.entrySet()) {
        List<Double> times = new ArrayList<>();
        long bytes = 0;
        long bodyBytes = 0;
        for (int round = 0; round < 300; round++) {
          long before = serverAllocated(threads);
          long t = System.nanoTime();
          var response = client.send(call.getValue(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
          double ms = (System.nanoTime() - t) / 1e6;
          long after = serverAllocated(threads);
          if (response.statusCode() != 200) {
            throw new IllegalStateException(call.getKey() + " answered " + response.statusCode() + ": "
                + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
          }
          if (round >= 50) {
            times.add(ms);
            bytes += after - before;
            bodyBytes += response.body().length;
          }
        }
        System.out.printf("catalog over HTTP (in-process Jetty), %s: p50 %.2f ms, p99 %.2f ms; server allocates"
            + " %.0f KiB per request (response %.1f KiB)%n", call.getKey(), pct(times, 50), pct(times, 99),
            bytes / 250.0 / 1024, bodyBytes / 250.0 / 1024);
      }
    }
  }

  /** Bytes allocated so far by the HTTP server's threads (named {@code http-...}), alive ones. */
  private static long serverAllocated(com.sun.management.ThreadMXBean threads) {
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("http")) {
        long b = threads.getThreadAllocatedBytes(t.getId());
        sum += Math.max(0, b);
      }
    }
    return sum;
  }

  private static java.net.http.HttpRequest get(String uri) {
    return java.net.http.HttpRequest.newBuilder(java.net.URI.create(uri)).build();
  }

  private static java.net.http.HttpRequest post(String uri, String json) {
    return java.net.http.HttpRequest.newBuilder(java.net.URI.create(uri)).header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build();
  }

  private static String enc(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static double pct(List<Double> values, int p) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }
}
