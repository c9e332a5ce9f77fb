package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StartupTimelineTest {

  @Test
  void aPhaseKeepsTheTimeItFirstEndedAndCountsFromTheProcessStart() {
    StartupTimeline timeline = new StartupTimeline(Instant.now().minusSeconds(60));
    double first = timeline.mark("crds");
    assertThat(first).isGreaterThanOrEqualTo(60);
    assertThat(timeline.mark("crds")).isEqualTo(first);
    timeline.record("http");
    assertThat(timeline.phases()).containsOnlyKeys("crds", "http");
  }

  @Test
  void exportsEveryPhaseAsAGaugeAndThoseStillToComeAsNaN() {
    StartupTimeline timeline = new StartupTimeline(Instant.now().minusSeconds(5));
    timeline.mark("client");
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    timeline.bindTo(registry, List.of("ready"));
    String scrape = registry.scrape();
    assertThat(scrape).contains("tarmac_startup_seconds{phase=\"client\"} 5.")
        .contains("tarmac_startup_seconds{phase=\"ready\"} NaN");
    timeline.mark("ready");
    assertThat(registry.scrape()).doesNotContain("NaN");
  }
}
