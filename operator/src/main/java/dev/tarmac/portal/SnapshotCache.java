package dev.tarmac.portal;

import dev.tarmac.catalog.CatalogIndex;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What the portal's pages work out from one catalog snapshot and keep until the next one (a snapshot never
 * changes): the catalog's lower-case search text per entity, the scorecards table per Scorecard and visibility key,
 * the requests per visibility key. At most {@link #MAX_VALUES} values per snapshot (then values are computed and
 * not kept), so callers who each see something different cannot grow it without bound. Thread-safe; two requests
 * that miss at once may both compute a value (the first kept wins).
 */
final class SnapshotCache {

  /** Most values kept for one snapshot. */
  static final int MAX_VALUES = 512;

  private record Values(long generation, Map<String, Object> values) {
  }

  private volatile Values current = new Values(-1, new ConcurrentHashMap<>());

  /**
   * The value under {@code key} for snapshot {@code s}, computed by {@code compute} when this snapshot has none.
   * A snapshot older than the newest one seen is answered without keeping anything.
   */
  @SuppressWarnings("unchecked")
  <T> T get(CatalogIndex.Snapshot s, String key, Supplier<T> compute) {
    Values v = current;
    if (v.generation() != s.generation()) {
      if (s.generation() < v.generation()) {
        return compute.get();
      }
      v = new Values(s.generation(), new ConcurrentHashMap<>());
      current = v;
    }
    Object value = v.values().get(key);
    if (value == null) {
      value = compute.get();
      if (v.values().size() < MAX_VALUES) {
        Object before = v.values().putIfAbsent(key, value);
        value = before == null ? value : before;
      }
    }
    return (T) value;
  }
}
