package dev.tarmac.http;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A small bounded cache whose entries expire a fixed time after they were stored: least recently used entries go
 * first when it is full. Thread-safe (one lock; entries are tiny and lookups take nanoseconds). Used for TokenReview
 * and SubjectAccessReview answers, so a burst of requests costs the API server one review per token and decision.
 *
 * @param <K> the key (for tokens: a SHA-256 of the token, never the token itself)
 * @param <V> the cached answer
 */
public final class ExpiringCache<K, V> {

  private record Entry<V>(V value, long expiresAt) {
  }

  private final long ttlNanos;
  private final int maxSize;
  private final LongSupplier nanos;
  private final LinkedHashMap<K, Entry<V>> entries;

  /**
   * @param ttlNanos how long an entry is served after it was stored, in nanoseconds
   * @param maxSize the most entries kept
   * @param nanos the clock ({@code System::nanoTime} outside tests)
   */
  public ExpiringCache(long ttlNanos, int maxSize, LongSupplier nanos) {
    this.ttlNanos = ttlNanos;
    this.maxSize = maxSize;
    this.nanos = nanos;
    this.entries = new LinkedHashMap<>(16, 0.75f, true);
  }

  /**
   * The cached value of {@code key}, or {@code load}'s answer (stored) when there is none or it expired. {@code load}
   * runs outside the lock, so a slow review does not hold up other keys; two callers may load the same key at once.
   */
  public V get(K key, Function<K, V> load) {
    long now = nanos.getAsLong();
    synchronized (this) {
      Entry<V> e = entries.get(key);
      if (e != null && now - e.expiresAt() < 0) {
        return e.value();
      }
    }
    V value = load.apply(key);
    put(key, value);
    return value;
  }

  /** Stores {@code value} for {@code key}, evicting expired entries, then the least recently used, when full. */
  public synchronized void put(K key, V value) {
    long now = nanos.getAsLong();
    entries.put(key, new Entry<>(value, now + ttlNanos));
    if (entries.size() > maxSize) {
      entries.values().removeIf(e -> now - e.expiresAt() >= 0);
      Iterator<Map.Entry<K, Entry<V>>> oldest = entries.entrySet().iterator();
      while (entries.size() > maxSize && oldest.hasNext()) {
        oldest.next();
        oldest.remove();
      }
    }
  }

  /** Number of entries held (expired ones included until evicted). */
  public synchronized int size() {
    return entries.size();
  }
}
