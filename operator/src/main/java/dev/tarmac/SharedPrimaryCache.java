package dev.tarmac;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.health.InformerHealthIndicator;
import io.javaoperatorsdk.operator.health.InformerWrappingEventSourceHealthIndicator;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A JOSDK controller's own informer cache (its primary resources), shared read-only with other parts of the operator
 * so a kind is listed, watched and held in memory once (issue 17, figure 3: each Work was cached by the Work
 * controller and again by {@code PromiseRuntime}). Readers get indexed lookups and the informer's add, update and
 * delete events, delivered through JOSDK's {@link ResourceEventAware} broadcast (every event of the primary informer,
 * before the controller's own event filters), after the cache holds the new state.
 *
 * <p>Create it in the controller's {@code prepareEventSources} with {@link #attach} and return {@link #eventSource()}
 * among the controller's event sources. Indexers must be given there: the informer starts later, with the operator.
 * The cache runs only while the controller runs (with leader election, on the leader).
 *
 * @param <T> the controller's primary kind
 */
public final class SharedPrimaryCache<T extends HasMetadata> {

  private final IndexerResourceCache<T> cache;
  private final List<ResourceEventHandler<? super T>> handlers = new CopyOnWriteArrayList<>();
  private final Object deliveries = new Object();
  private final Forwarder forwarder;

  private SharedPrimaryCache(IndexerResourceCache<T> cache, Class<T> kind) {
    this.cache = cache;
    this.forwarder = new Forwarder(kind);
  }

  /**
   * Shares {@code context}'s primary cache, with {@code indexers} (index name to the keys of one object) added to it.
   *
   * @throws IllegalStateException when called after the controller's informer started (indexers can no longer be
   *     added; fabric8's message says so)
   */
  public static <T extends HasMetadata> SharedPrimaryCache<T> attach(EventSourceContext<T> context,
      Map<String, Function<T, List<String>>> indexers) {
    if (!indexers.isEmpty()) {
      context.getPrimaryCache().addIndexers(indexers);
    }
    return new SharedPrimaryCache<>(context.getPrimaryCache(), context.getPrimaryResourceClass());
  }

  /**
   * {@code cache}, the one a controller attached in {@code prepareEventSources}, for its {@code cache()} accessor.
   *
   * @throws IllegalStateException when it is null: the controller ({@code controller} names it) is not registered yet
   */
  public static <T extends HasMetadata> SharedPrimaryCache<T> registered(SharedPrimaryCache<T> cache,
      String controller) {
    if (cache == null) {
      throw new IllegalStateException("the " + controller + " reconciler is not registered yet");
    }
    return cache;
  }

  /**
   * True when the controller whose primary cache this is has started its primary informer, so the cache can be
   * listed. Listeners outside JOSDK (a Destination or store change that re-queues Works) can fire before that: the
   * state stores list at start beside the controllers, and JOSDK makes the cache only when the controller starts
   * (listing it before throws a NullPointerException inside JOSDK 5.2). Nothing is lost by skipping such an event: a
   * controller's start reconciles every object it holds.
   *
   * @param primaryCache {@code getPrimaryCache()} of a controller's context or event-source context
   * @return false while its primary informer has not started
   */
  public static boolean started(Object primaryCache) {
    return !(primaryCache instanceof io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource<?, ?> s)
        || s.isRunning();
  }

  /** The event source that forwards the primary informer's events; return it from {@code prepareEventSources}. */
  public EventSource<Void, T> eventSource() {
    return forwarder;
  }

  /**
   * Adds {@code handler}: first every object already cached, as {@code onAdd}, then every later event, in order
   * (replay and delivery hold one lock, so an event never overtakes the replay of the same object).
   */
  public void addEventHandler(ResourceEventHandler<? super T> handler) {
    synchronized (deliveries) {
      handlers.add(handler);
      // Before the informer starts there is nothing to replay: every object arrives later as an event.
      beforeStart(() -> cache.list().toList(), List.<T>of()).forEach(handler::onAdd);
    }
  }

  /** Removes a handler {@link #addEventHandler} added (when its reader closes); no more events reach it after. */
  public void removeEventHandler(ResourceEventHandler<? super T> handler) {
    synchronized (deliveries) {
      handlers.remove(handler);
    }
  }

  /** The objects whose index {@code indexName} (given to {@link #attach}) has key {@code key}. */
  public List<T> byIndex(String indexName, String key) {
    return beforeStart(() -> cache.byIndex(indexName, key), List.of());
  }

  /** The cached object {@code namespace}/{@code name} ({@code namespace} null for cluster-scoped kinds). */
  public Optional<T> get(String namespace, String name) {
    return beforeStart(() -> cache.get(new ResourceID(name, namespace)), Optional.empty());
  }

  /** Every cached object (a snapshot). */
  public List<T> list() {
    return beforeStart(() -> cache.list().toList(), List.of());
  }

  /** True once the informer has listed its kind (false before the operator starts, and on a standby). */
  public boolean synced() {
    if (cache instanceof InformerWrappingEventSourceHealthIndicator<?> informers) {
      Map<String, InformerHealthIndicator> all = beforeStart(informers::informerHealthIndicators, Map.of());
      return !all.isEmpty() && all.values().stream().allMatch(InformerHealthIndicator::hasSynced);
    }
    return true;
  }

  /**
   * {@code read} of the cache, or {@code empty} before the controller's event source started: JOSDK creates the
   * informers of a controller's cache in its {@code start()}, and until then every read of it fails with a
   * NullPointerException (JOSDK 5.2).
   */
  private static <X> X beforeStart(java.util.function.Supplier<X> read, X empty) {
    try {
      return read.get();
    } catch (NullPointerException notStarted) {
      return empty;
    }
  }

  /**
   * How long a reader started beside the controllers (the catalog, DORA metrics, cost attribution) waits for a shared
   * cache's first list ({@link #awaitSynced}): 5 minutes, far more than 10,000 objects take on a slow API server.
   */
  public static final Duration FIRST_LIST_TIMEOUT = Duration.ofMinutes(5);

  /**
   * Waits until {@link #synced()}, at most {@code timeout}; returns whether it is. Readers that act on an object's
   * absence call this first (an empty cache before the first list is not "no objects").
   */
  public boolean awaitSynced(Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (!synced()) {
      if (System.nanoTime() > end) {
        return false;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** Receives JOSDK's broadcast of the primary informer's events; has no secondary resources of its own. */
  private final class Forwarder extends AbstractEventSource<Void, T> implements ResourceEventAware<T> {

    Forwarder(Class<T> kind) {
      super(Void.class, "shared-" + kind.getSimpleName().toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public Set<Void> getSecondaryResources(T primary) {
      return Set.of();
    }

    @Override
    public void onResourceCreated(T resource) {
      synchronized (deliveries) {
        handlers.forEach(h -> h.onAdd(resource));
      }
    }

    @Override
    public void onResourceUpdated(T newResource, T oldResource) {
      synchronized (deliveries) {
        handlers.forEach(h -> h.onUpdate(oldResource, newResource));
      }
    }

    @Override
    public void onResourceDeleted(T resource) {
      synchronized (deliveries) {
        handlers.forEach(h -> h.onDelete(resource, false));
      }
    }
  }
}
