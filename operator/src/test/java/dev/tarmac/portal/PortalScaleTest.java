package dev.tarmac.portal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Serialization;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.EntityVisibility;
import dev.tarmac.testing.RepoPaths;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Server time of each portal page at 10,000 entities (the issue's goal: 50 ms), measured on the page models and
 * templates alone — what a request costs besides Jetty — for a caller who sees everything and one who sees a tenth.
 * Prints the medians; fails only far above the goal, since CI machines are shared.
 */
class PortalScaleTest {

  @Test
  void everyPageIsBuiltWellWithinFiftyMillisecondsAtTenThousandEntities() throws Exception {
    CatalogIndex index = new CatalogIndex();
    index.scorecard("service-maturity", Serialization.YAML.readTree(Files.readString(RepoPaths.repo()
        .resolve("examples/scorecards/default.yaml"))).path("spec"));
    for (int i = 0; i < 10_000; i++) {
      int team = i % 40;
      index.upsert("c" + i, Serialization.JSON.readTree("""
          {"apiVersion": "platform.tarmac.dev/v1alpha1", "kind": "Component",
           "metadata": {"name": "svc-%1$d", "namespace": "team-%2$d", "uid": "u-%1$d",
             "annotations": {"platform.tarmac.dev/description": "Service number %1$d", "platform.tarmac.dev/tags": "t%3$d"}},
           "spec": {"type": "service", "lifecycle": "%4$s", "owner": "team-%2$d", "system": "sys-%3$d"},
           "status": {"conditions": [{"type": "Ready", "status": "%5$s", "reason": "R"}]}}
          """.formatted(i, team, i % 25, i % 3 == 0 ? "production" : "experimental", i % 7 == 0 ? "False" : "True")),
          null);
    }
    CatalogIndex.Snapshot s = index.rebuild();
    EntityVisibility visibility = new EntityVisibility();
    PortalTemplates templates = new PortalTemplates();
    Map<String, Supplier<EntityVisibility.Viewer>> viewers = Map.of("all", () -> visibility.viewer(null),
        "a tenth", () -> visibility.viewer(src -> src.namespace().compareTo("team-4") < 0));
    Map<String, String> figures = new java.util.TreeMap<>();
    double worst = 0;
    for (var v : viewers.entrySet()) {
      // As the servlet: what a snapshot allows is worked out on the first request and kept (the median is a hit).
      SnapshotCache cache = new SnapshotCache();
      Map<String, Supplier<Object>> pages = new java.util.LinkedHashMap<>();
      pages.put("catalog", () -> CatalogPage.build(s, v.getValue().get(), CatalogPage.Query.of(Map.of()),
          cache));
      pages.put("catalog?q=&kind=&lifecycle=", () -> CatalogPage.build(s, v.getValue().get(), CatalogPage.Query.of(
          Map.of("q", new String[] {"number 12"}, "kind", new String[] {"Component"}, "lifecycle",
          new String[] {"production"})), cache));
      pages.put("entity", () -> EntityPage.build(s, v.getValue().get(), s.byRef().get("component:team-1/svc-1"),
          index.scorecardSpecs(), EntityPage.Live.NONE));
      pages.put("scorecards", () -> ScorecardsPage.build(s, v.getValue().get(), index.scorecardSpecs(), Map.of(),
          cache));
      pages.put("requests", () -> RequestsPage.build(s, v.getValue().get(), index::statusOf, Map.of(), cache));
      for (var p : pages.entrySet()) {
        String template = p.getKey().startsWith("catalog") ? "catalog" : p.getKey().startsWith("entity") ? "entity"
            : p.getKey();
        String key = template.equals("entity") ? "e" : "page";
        long[] times = new long[15];
        for (int i = 0; i < times.length; i++) {
          long t0 = System.nanoTime();
          Map<String, Object> m = new HashMap<>();
          m.put(key, p.getValue().get());
          m.put("version", "\"1\"");
          templates.render(template, m, new StringWriter());
          times[i] = System.nanoTime() - t0;
        }
        java.util.Arrays.sort(times);
        double ms = times[times.length / 2] / 1e6;
        figures.put(p.getKey() + " (" + v.getKey() + ")", String.format("%.1f ms", ms));
        worst = Math.max(worst, ms);
      }
    }
    figures.forEach((k, t) -> System.out.println("portal page at 10,000 entities, median: " + k + " " + t));
    assertThat(worst).as("slowest page, ms").isLessThan(500);
  }
}
