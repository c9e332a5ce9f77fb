package dev.tarmac.catalog;

import dev.tarmac.LeanItemStore;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Promise;
import dev.tarmac.promise.RequestCrdBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only informers on the request kind of every Available Promise, for the catalog alone: they reconcile nothing
 * and write nothing. With leader election every replica runs them, so the catalog of a standby is as complete as the
 * leader's (the leader's request controllers reconcile; these only index). Started and stopped as Promises are seen
 * by the catalog's Promise informers ({@link #promise}).
 */
public final class RequestKindInformers implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RequestKindInformers.class);

  /** Told about every request added, changed or deleted; see {@link CatalogInformers#request}. */
  @FunctionalInterface
  public interface Observer {
    /** A request of Promise {@code promise} was added or changed ({@code deleted} false) or deleted. */
    void observe(String promise, GenericKubernetesResource request, boolean deleted);
  }

  private record Watched(ResourceDefinitionContext kind, SharedIndexInformer<GenericKubernetesResource> informer) {
  }

  private final KubernetesClient client;
  private final Observer observer;
  private final Map<String, Watched> watched = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param client the client (needs list and watch on every request kind, which the chart's promiseApis grant)
   * @param observer where requests go
   */
  public RequestKindInformers(KubernetesClient client, Observer observer) {
    this.client = client;
    this.observer = observer;
  }

  /**
   * The request kind to watch for a Promise: its {@code spec.api}'s kind once the Promise is Available (its CRD is
   * Established); empty when it is not Available or {@code spec.api} does not describe a CRD.
   */
  public static Optional<ResourceDefinitionContext> wanted(Promise promise) {
    if (promise.getStatus() == null || promise.getSpec() == null || promise.getSpec().api == null) {
      return Optional.empty();
    }
    boolean available = Conditions.find(promise.getStatus().conditions, Conditions.AVAILABLE)
        .map(c -> "True".equals(c.getStatus())).orElse(false);
    if (!available) {
      return Optional.empty();
    }
    try {
      var kind = RequestCrdBuilder.kind(RequestCrdBuilder.build(promise.getMetadata().getName(),
          promise.getSpec().api));
      return kind.getKind().isEmpty() || kind.getPlural().isEmpty() || kind.getVersion().isEmpty()
          ? Optional.empty() : Optional.of(kind);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * A Promise was added, changed or ({@code deleted}) deleted: starts the informer on its request kind when it is
   * Available, and stops it (removing its requests from the catalog) when the Promise is gone or serves another kind.
   * A Promise that stops being Available keeps its informer: its requests still exist and belong in the catalog.
   */
  public synchronized void promise(Promise promise, boolean deleted) {
    if (closed) {
      return;
    }
    String name = promise.getMetadata().getName();
    Optional<ResourceDefinitionContext> kind = deleted ? Optional.empty() : wanted(promise);
    Watched current = watched.get(name);
    if (current != null && (deleted || kind.isPresent() && !same(current.kind(), kind.get()))) {
      stop(name, current);
      current = null;
    }
    if (current == null && kind.isPresent()) {
      start(name, kind.get());
    }
  }

  private void start(String promise, ResourceDefinitionContext kind) {
    SharedIndexInformer<GenericKubernetesResource> informer = client.genericKubernetesResources(kind)
        .inAnyNamespace().runnableInformer(0);
    informer.itemStore(new LeanItemStore<>());
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource obj) {
        observer.observe(promise, obj, false);
      }

      @Override
      public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource now) {
        observer.observe(promise, now, false);
      }

      @Override
      public void onDelete(GenericKubernetesResource obj, boolean unknownFinalState) {
        observer.observe(promise, obj, true);
      }
    });
    Watched w = new Watched(kind, informer);
    watched.put(promise, w);
    LOG.info("catalog watching {} requests of Promise {}", kind.getKind(), promise);
    // Asynchronous: called on an informer's event thread. A failed start (the CRD went away, RBAC) is forgotten, so
    // the Promise's next change tries again.
    informer.start().whenComplete((v, e) -> {
      if (e != null) {
        LOG.warn("catalog informer for {} requests of Promise {} did not start: {}", kind.getKind(), promise,
            e.getMessage());
        synchronized (this) {
          watched.remove(promise, w);
        }
        informer.close();
      }
    });
  }

  private void stop(String promise, Watched w) {
    watched.remove(promise);
    w.informer().close();
    w.informer().getStore().list().forEach(r -> observer.observe(promise, r, true));
    LOG.info("catalog stopped watching {} requests of Promise {}", w.kind().getKind(), promise);
  }

  private static boolean same(ResourceDefinitionContext a, ResourceDefinitionContext b) {
    return a.getGroup().equals(b.getGroup()) && a.getVersion().equals(b.getVersion())
        && a.getKind().equals(b.getKind()) && a.getPlural().equals(b.getPlural())
        && a.isNamespaceScoped() == b.isNamespaceScoped();
  }

  /** True when every request informer has listed its kind once (the catalog holds every request). */
  public boolean synced() {
    return watched.values().stream().allMatch(w -> w.informer().hasSynced());
  }

  /** The Promises whose request kinds are watched. */
  public java.util.Set<String> promises() {
    return java.util.Set.copyOf(watched.keySet());
  }

  @Override
  public synchronized void close() {
    closed = true;
    watched.values().forEach(w -> w.informer().close());
    watched.clear();
  }
}
