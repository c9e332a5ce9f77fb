package dev.tarmac.catalog;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A family of gauges under one name, one row per tag set, replaced as a whole after each catalog rebuild. Unlike
 * Micrometer's {@code MultiGauge} with {@code overwrite}, a row that stays is updated in place rather than removed
 * and registered again, so a scrape that runs during {@link #set} never misses it (micrometer-metrics/micrometer
 * #6851); only rows that are gone are removed.
 */
public final class GaugeRows {

  private final MeterRegistry registry;
  private final String name;
  private final String description;
  private final Map<Tags, Row> rows = new ConcurrentHashMap<>();

  private static final class Row {
    final AtomicReference<Double> value = new AtomicReference<>(0.0);
    Gauge gauge;
  }

  /**
   * @param name the meter name in Micrometer's dotted form ({@code tarmac.catalog.entities}); Prometheus sees it
   *     with underscores
   */
  public GaugeRows(MeterRegistry registry, String name, String description) {
    this.registry = registry;
    this.name = name;
    this.description = description;
  }

  /** Makes {@code values} the rows: new tag sets are registered, known ones updated, missing ones removed. */
  public synchronized void set(Map<Tags, ? extends Number> values) {
    Set<Tags> gone = new HashSet<>(rows.keySet());
    values.forEach((tags, v) -> {
      gone.remove(tags);
      Row row = rows.computeIfAbsent(tags, t -> {
        Row r = new Row();
        r.gauge = Gauge.builder(name, r.value, ref -> ref.get()).tags(t).description(description)
            .strongReference(true).register(registry);
        return r;
      });
      row.value.set(v.doubleValue());
    });
    for (Tags tags : gone) {
      registry.remove(rows.remove(tags).gauge);
    }
  }
}
