package dev.tarmac.catalog;

import dev.tarmac.LeanItemStore;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only informers on kinds that other objects define — a Promise's request kind ({@link RequestKindInformers}),
 * an XRD's XR and claim kinds ({@link XrdKindInformers}) — for the catalog alone: they reconcile nothing and write
 * nothing. Each informer is keyed by the object that defines its kind (its "source", e.g. a Promise's name); the
 * owner of this class says, as sources change, which kind each wants ({@link #want}).
 */
final class KindInformers implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KindInformers.class);

  /** Told about every object of a watched kind added, changed or deleted. */
  @FunctionalInterface
  interface Observer {
    /** An object of the kind {@code source} defines was added or changed ({@code deleted} false) or deleted. */
    void observe(String source, GenericKubernetesResource object, boolean deleted);
  }

  private record Watched(ResourceDefinitionContext kind, SharedIndexInformer<GenericKubernetesResource> informer) {
  }

  private final KubernetesClient client;
  private final String what;
  private final Observer observer;
  private final Map<String, Watched> watched = new ConcurrentHashMap<>();
  private final Set<String> warned = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * @param client the client (needs list and watch on every kind it is asked to watch)
   * @param what what the objects are, for logs ("requests", "claims")
   * @param observer where objects go
   */
  KindInformers(KubernetesClient client, String what, Observer observer) {
    this.client = client;
    this.what = what;
    this.observer = observer;
  }

  /**
   * A source was added, changed or ({@code deleted}) deleted: starts the informer on {@code kind} when none runs,
   * and stops the running one (telling the observer its objects are gone) when the source is deleted or now defines
   * another kind. An empty {@code kind} while the source exists keeps the running informer: its objects still exist.
   * A start that fails (the CRD is not there yet, RBAC) is forgotten, so the source's next change tries again.
   */
  synchronized void want(String source, Optional<ResourceDefinitionContext> kind, boolean deleted) {
    if (closed) {
      return;
    }
    Optional<ResourceDefinitionContext> wanted = deleted ? Optional.empty() : kind;
    Watched current = watched.get(source);
    if (current != null && (deleted || wanted.isPresent() && !same(current.kind(), wanted.get()))) {
      stop(source, current);
      current = null;
    }
    if (current == null && wanted.isPresent()) {
      start(source, wanted.get());
    }
  }

  private void start(String source, ResourceDefinitionContext kind) {
    var resources = client.genericKubernetesResources(kind);
    SharedIndexInformer<GenericKubernetesResource> informer = kind.isNamespaceScoped()
        ? resources.inAnyNamespace().runnableInformer(0) : resources.runnableInformer(0);
    informer.itemStore(new LeanItemStore<>());
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource obj) {
        observer.observe(source, obj, false);
      }

      @Override
      public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource now) {
        observer.observe(source, now, false);
      }

      @Override
      public void onDelete(GenericKubernetesResource obj, boolean unknownFinalState) {
        observer.observe(source, obj, true);
      }
    });
    Watched w = new Watched(kind, informer);
    watched.put(source, w);
    if (!warned.contains(source)) {
      LOG.info("catalog watching {} {} of {}", kind.getKind(), what, source);
    }
    // Asynchronous: called on an informer's event thread.
    informer.start().whenComplete((v, e) -> {
      if (e == null) {
        warned.remove(source);
      } else {
        // Retried at the source's next change (XRDs resync every 30 s): warned once per source, not each time.
        if (warned.add(source)) {
          LOG.warn("catalog informer for {} {} of {} did not start: {}", kind.getKind(), what, source,
              e.getMessage());
        } else {
          LOG.debug("catalog informer for {} {} of {} did not start: {}", kind.getKind(), what, source,
              e.getMessage());
        }
        synchronized (this) {
          watched.remove(source, w);
        }
        informer.close();
      }
    });
  }

  private void stop(String source, Watched w) {
    watched.remove(source);
    w.informer().close();
    w.informer().getStore().list().forEach(r -> observer.observe(source, r, true));
    LOG.info("catalog stopped watching {} {} of {}", w.kind().getKind(), what, source);
  }

  private static boolean same(ResourceDefinitionContext a, ResourceDefinitionContext b) {
    return a.getGroup().equals(b.getGroup()) && a.getVersion().equals(b.getVersion())
        && a.getKind().equals(b.getKind()) && a.getPlural().equals(b.getPlural())
        && a.isNamespaceScoped() == b.isNamespaceScoped();
  }

  /** True when every informer has listed its kind once. */
  boolean synced() {
    return watched.values().stream().allMatch(w -> w.informer().hasSynced());
  }

  /** The sources whose kinds are watched. */
  Set<String> sources() {
    return Set.copyOf(watched.keySet());
  }

  @Override
  public synchronized void close() {
    closed = true;
    watched.values().forEach(w -> w.informer().close());
    watched.clear();
  }
}
