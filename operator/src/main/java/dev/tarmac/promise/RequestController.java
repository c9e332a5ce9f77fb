package dev.tarmac.promise;

import dev.tarmac.ReconcileQueue;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller of one Promise's request kind, started when the Promise's CRD is Established and stopped when the
 * Promise goes: an informer on the kind (any namespace) feeding a {@link ReconcileQueue}. An update queues the request
 * only when it matters — the generation changed (spec), the deletion started, or labels or annotations changed (the
 * rerun and pause annotations) — so the controller's own status writes do not wake it up again.
 *
 * <p>Keys are {@code namespace/name} ({@code name} alone for cluster-scoped kinds), as in client-go's cache.
 */
public final class RequestController implements AutoCloseable {

  /** Reconciles one request, read from the informer cache; see {@link ReconcileQueue.Reconcile}. */
  @FunctionalInterface
  public interface Reconciler {
    /**
     * @param request the request as the cache holds it (never modify it: copy first)
     * @return when to look again
     */
    ReconcileQueue.Result reconcile(GenericKubernetesResource request) throws Exception;
  }

  private static final Logger LOG = LoggerFactory.getLogger(RequestController.class);

  private final ResourceDefinitionContext kind;
  private final SharedIndexInformer<GenericKubernetesResource> informer;
  private final ReconcileQueue queue;

  /**
   * Starts the informer and waits (up to 60 s) for its first list.
   *
   * @param client the client
   * @param kind the request kind (group, version, plural, kind, namespaced)
   * @param threads concurrent reconciles
   * @param reconciler what to do per request
   * @throws IllegalStateException when the informer does not sync within 60 s
   */
  public RequestController(KubernetesClient client, ResourceDefinitionContext kind, int threads,
      Reconciler reconciler) {
    this(client, kind, threads, reconciler, (r, deleted) -> { });
  }

  /**
   * As {@link #RequestController(KubernetesClient, ResourceDefinitionContext, int, Reconciler)}, also telling
   * {@code observer} about every request added, changed ({@code false}) or deleted ({@code true}) — the catalog
   * indexes requests this way without a second watch.
   */
  public RequestController(KubernetesClient client, ResourceDefinitionContext kind, int threads,
      Reconciler reconciler, java.util.function.BiConsumer<GenericKubernetesResource, Boolean> observer) {
    this(client, kind, threads, reconciler, observer, (object, reason, message) -> { });
  }

  /**
   * As {@link #RequestController(KubernetesClient, ResourceDefinitionContext, int, Reconciler,
   * java.util.function.BiConsumer)}; a reconcile that throws is written to the object's status by
   * {@link dev.tarmac.ErrorStatus} ({@code Synced=False} with the classified reason, {@code status.nextRetryTime}),
   * with a Warning Event through {@code warning} when the reason or message is new, and retried with backoff unless
   * it is bad input (then the object waits for a change).
   */
  public RequestController(KubernetesClient client, ResourceDefinitionContext kind, int threads,
      Reconciler reconciler, java.util.function.BiConsumer<GenericKubernetesResource, Boolean> observer,
      dev.tarmac.ErrorStatus.Warning warning) {
    this(client, kind, threads, reconciler, observer, warning, null);
  }

  /**
   * As {@link #RequestController(KubernetesClient, ResourceDefinitionContext, int, Reconciler,
   * java.util.function.BiConsumer, dev.tarmac.ErrorStatus.Warning)}, watching only the requests that match
   * {@code labelSelector} (Kubernetes' syntax; null: all) — the shard's requests ({@link dev.tarmac.api.Shard}); the
   * API server filters, so the others are never cached, and {@code observer} sees only these.
   */
  public RequestController(KubernetesClient client, ResourceDefinitionContext kind, int threads,
      Reconciler reconciler, java.util.function.BiConsumer<GenericKubernetesResource, Boolean> observer,
      dev.tarmac.ErrorStatus.Warning warning, String labelSelector) {
    this.kind = kind;
    this.queue = new ReconcileQueue("request-" + kind.getKind().toLowerCase(java.util.Locale.ROOT), threads, key -> {
      GenericKubernetesResource request = cached(key).orElse(null);
      return request == null ? ReconcileQueue.Result.DONE : reconciler.reconcile(request);
    }, (key, e, attempts) -> {
      GenericKubernetesResource request = cached(key).orElse(null);
      if (request == null) {
        return false;
      }
      var resource = dev.tarmac.PatchTarget.of(client.genericKubernetesResources(kind), request);
      return dev.tarmac.ErrorStatus.update(resource, request, attempts, e, warning, java.time.Clock.systemUTC());
    });
    var all = client.genericKubernetesResources(kind).inAnyNamespace();
    this.informer = (labelSelector == null ? all : all.withLabelSelector(labelSelector)).runnableInformer(0);
    informer.itemStore(new dev.tarmac.LeanItemStore<>());
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource obj) {
        observer.accept(obj, false);
        queue.add(Cache.metaNamespaceKeyFunc(obj));
      }

      @Override
      public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource now) {
        observer.accept(now, false);
        if (matters(old, now)) {
          queue.add(Cache.metaNamespaceKeyFunc(now));
        }
      }

      @Override
      public void onDelete(GenericKubernetesResource obj, boolean unknownFinalState) {
        observer.accept(obj, true);
        // Deletion work happens while the finalizer holds the object; nothing is left to do once it is gone.
      }
    });
    try {
      informer.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      informer.close();
      queue.close();
      throw new IllegalStateException("informer for " + kind.getKind() + " did not sync: " + e.getMessage(), e);
    }
    LOG.info("controller for {} ({}/{}) started", kind.getKind(), kind.getGroup(), kind.getVersion());
  }

  /** True when an update should be reconciled: spec, deletion, labels or annotations changed. */
  static boolean matters(GenericKubernetesResource old, GenericKubernetesResource now) {
    var o = old.getMetadata();
    var n = now.getMetadata();
    return !Objects.equals(o.getGeneration(), n.getGeneration())
        || !Objects.equals(o.getDeletionTimestamp(), n.getDeletionTimestamp())
        || !Objects.equals(o.getAnnotations(), n.getAnnotations())
        || !Objects.equals(o.getLabels(), n.getLabels())
        || !Objects.equals(o.getFinalizers(), n.getFinalizers());
  }

  /** The request with {@code key} from the cache. */
  public Optional<GenericKubernetesResource> cached(String key) {
    return Optional.ofNullable(informer.getStore().getByKey(key));
  }

  /** Every request in the cache. */
  public java.util.List<GenericKubernetesResource> list() {
    return informer.getStore().list();
  }

  /** Queues the request with {@code key} (for events on its Jobs and Works). */
  public void trigger(String key) {
    queue.add(key);
  }

  /** Queues every request (the Promise changed). */
  public void triggerAll() {
    informer.getStore().listKeys().forEach(queue::add);
  }

  /** The request kind. */
  public ResourceDefinitionContext kind() {
    return kind;
  }

  /** Keys waiting. */
  public int depth() {
    return queue.depth();
  }

  @Override
  public void close() {
    informer.close();
    queue.close();
  }

  /** The key of a request: {@code namespace/name}, or {@code name} when cluster-scoped. */
  public static String key(String namespace, String name) {
    return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
  }

  /** Labels of a request's owned objects → its key, or empty when they do not name one. */
  public static Optional<String> keyFromLabels(Map<String, String> labels, String namespaceLabel,
      String nameLabel) {
    if (labels == null || labels.get(nameLabel) == null) {
      return Optional.empty();
    }
    return Optional.of(key(labels.get(namespaceLabel), labels.get(nameLabel)));
  }
}
