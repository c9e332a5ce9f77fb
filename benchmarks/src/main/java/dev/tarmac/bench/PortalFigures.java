package dev.tarmac.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The portal's pages at the catalog scenario's scale (issue 20: every page ≤ 50 ms server time at 10,000 entities),
 * run at the end of that scenario on its objects. It applies the example Scorecard ({@code service-maturity}, so the
 * scorecards matrix covers every Component) and the example Template ({@code go-service}, for the golden-path form),
 * waits until the operator has written the Scorecard's results and stopped writing, then GETs each page
 * {@value #WARM_UP} + {@value #GETS} times, the pages in turn, over HTTP from this process.
 *
 * <p>Per page it reports the HTTP time (request sent to body read; Jetty, authentication, page model, template and
 * the transfer of the HTML) at p50 and p99 against the goal of 50 ms, and the p50 of the operator's own
 * {@code Server-Timing: page;dur=} (page model and template alone). The bench's operator runs with
 * {@code --anonymous-read}, so every GET is made by a caller who sees everything (the most rows; no
 * SubjectAccessReview); a restricted caller's pages are measured without HTTP in {@code PortalScaleTest}.
 */
final class PortalFigures {

  /** GETs per page that are measured. */
  static final int GETS = 100;
  /** GETs per page first, not measured (JIT, the per-snapshot caches). */
  static final int WARM_UP = 15;
  /** The goal per page, ms. */
  static final double GOAL_MS = 50;

  private final KubernetesClient client;
  private final Report report;
  private final Path repo;

  PortalFigures(KubernetesClient client, Report report, Path repo) {
    this.client = client;
    this.report = report;
    this.repo = repo;
  }

  /**
   * Measures every page.
   *
   * @param op the operator, holding the catalog scenario's entities
   * @param scenario the scenario name the figures are reported under
   * @param namespace the namespace of the scenario's Tarmac Components ({@code svc-<n>})
   * @throws IllegalStateException when a page answers other than 200
   */
  void measure(OperatorProcess op, String scenario, String namespace) throws Exception {
    for (String example : List.of("examples/scorecards/default.yaml", "examples/templates/go-service.yaml")) {
      client.load(new ByteArrayInputStream(Files.readAllBytes(repo.resolve(example)))).serverSideApply();
    }
    awaitPage(op, "/golden-paths/default/go-service");
    // The operator writes the Scorecard's results into the Components' status: measure once it has settled.
    ApiServerMetrics.awaitQuiet(client, Duration.ofSeconds(240), 3);
    Map<String, String> pages = new LinkedHashMap<>();
    pages.put("catalog", "/catalog");
    pages.put("catalog with search text", "/catalog?q=" + enc("svc-12"));
    pages.put("catalog with facet filters", "/catalog?kind=Component&type=service&lifecycle=production");
    pages.put("entity page (Component, with trace)", "/catalog/component/" + namespace + "/svc-12");
    pages.put("scorecards matrix", "/scorecards?scorecard=service-maturity");
    pages.put("scorecards below Silver, by failing checks",
        "/scorecards?scorecard=service-maturity&below=Silver&sort=failing&dir=desc");
    pages.put("requests list", "/requests");
    pages.put("golden-path form", "/golden-paths/default/go-service");
    Map<String, List<Double>> http = new LinkedHashMap<>();
    Map<String, List<Double>> server = new LinkedHashMap<>();
    for (int i = 0; i < WARM_UP + GETS; i++) {
      for (Map.Entry<String, String> p : pages.entrySet()) {
        long t = System.nanoTime();
        HttpResponse<String> r = op.get(p.getValue());
        double ms = (System.nanoTime() - t) / 1e6;
        if (r.statusCode() != 200) {
          throw new IllegalStateException(p.getValue() + " answered " + r.statusCode() + ": "
              + r.body().substring(0, Math.min(300, r.body().length())));
        }
        if (i >= WARM_UP) {
          http.computeIfAbsent(p.getKey(), k -> new ArrayList<>()).add(ms);
          double page = serverTiming(r, "page");
          if (!Double.isNaN(page)) {
            server.computeIfAbsent(p.getKey(), k -> new ArrayList<>()).add(page);
          }
        }
      }
    }
    for (String name : pages.keySet()) {
      Stats st = new Stats(http.get(name));
      report.add(Figure.atMost(scenario, "portal: " + name + " p50 (HTTP)", st.percentile(50), "ms", GOAL_MS));
      report.add(Figure.atMost(scenario, "portal: " + name + " p99 (HTTP)", st.percentile(99), "ms", GOAL_MS));
      List<Double> s = server.get(name);
      if (s != null) {
        report.add(Figure.of(scenario, "portal: " + name + " p50 (Server-Timing page)",
            new Stats(s).percentile(50), "ms"));
      }
    }
    report.note(scenario + " portal pages: " + GETS + " GETs each after " + WARM_UP + " not measured, pages in turn,"
        + " as the unrestricted caller of --anonymous-read; paths " + pages.values());
  }

  /** Waits (at most 60 s) until {@code path} answers 200: the Template is in the catalog. */
  private static void awaitPage(OperatorProcess op, String path) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (op.get(path).statusCode() != 200) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(path + " did not answer 200 within 60 s");
      }
      Thread.sleep(200);
    }
  }

  /** The {@code dur} of metric {@code name} in the response's {@code Server-Timing} headers, ms; NaN when absent. */
  static double serverTiming(HttpResponse<?> r, String name) {
    for (String header : r.headers().allValues("Server-Timing")) {
      for (String metric : header.split(",")) {
        String[] parts = metric.trim().split(";");
        if (parts[0].trim().equals(name)) {
          for (String p : parts) {
            if (p.trim().startsWith("dur=")) {
              return Double.parseDouble(p.trim().substring(4));
            }
          }
        }
      }
    }
    return Double.NaN;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
