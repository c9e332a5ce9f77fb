package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GaugeRowsTest {

  @Test
  void aRowThatStaysIsUpdatedInPlaceAndARowThatIsGoneIsRemoved() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GaugeRows rows = new GaugeRows(registry, "tarmac.test", "test rows");
    rows.set(Map.of(Tags.of("kind", "Component"), 2, Tags.of("kind", "Group"), 1));
    Gauge components = registry.get("tarmac.test").tag("kind", "Component").gauge();
    assertThat(components.value()).isEqualTo(2.0);

    rows.set(Map.of(Tags.of("kind", "Component"), 5));
    // The same meter, never removed in between: a scrape during set() sees the row either way.
    assertThat(registry.get("tarmac.test").tag("kind", "Component").gauge()).isSameAs(components);
    assertThat(components.value()).isEqualTo(5.0);
    assertThat(registry.find("tarmac.test").tag("kind", "Group").gauge()).isNull();

    rows.set(Map.of());
    assertThat(registry.find("tarmac.test").gauges()).isEmpty();
  }
}
