package dev.tarmac;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An informer cache that keeps objects lean:
 *
 * <ul>
 *   <li>drops {@code metadata.managedFields}. Server-side apply's field ownership records
 *       (https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management) are as large as the
 *       object itself, and Tarmac never reads them from a cache: it patches status by diff and applies its own
 *       objects with server-side apply against the API server, which keeps the records. At 10,000 Components they
 *       were a third of the operator's live heap (jmap histogram, {@code make bench}).</li>
 *   <li>drops the annotation {@value #LAST_APPLIED}, which {@code kubectl apply} writes (a second copy of the whole
 *       object as JSON, https://kubernetes.io/docs/tasks/manage-kubernetes-objects/declarative-config/) and nothing
 *       in Tarmac reads except the catalog for Backstage descriptors ({@link #keepingLastApplied()}).</li>
 *   <li>shares the strings every object repeats ({@code apiVersion}, {@code kind}, label and annotation keys, label
 *       values, owner references' {@code apiVersion} and {@code kind}) through {@link String#intern()}: each object
 *       read from a watch brings its own copies (jmap: {@code String} and {@code byte[]} were the largest classes per
 *       request, docs/benchmarks.md).</li>
 * </ul>
 *
 * <p>Objects are changed in place before they are stored; a handler receives the lean object.
 *
 * @param <T> the kind cached
 */
public final class LeanItemStore<T extends HasMetadata> extends BasicItemStore<T> {

  private final boolean keepLastApplied;

  /** A store keyed as fabric8's default ({@code namespace/name}, or {@code name} for cluster-scoped objects). */
  public LeanItemStore() {
    this(false);
  }

  private LeanItemStore(boolean keepLastApplied) {
    super(Cache::metaNamespaceKeyFunc);
    this.keepLastApplied = keepLastApplied;
  }

  /**
   * A store that keeps {@value #LAST_APPLIED}: for the catalog's Backstage descriptors, whose {@code title},
   * {@code description}, {@code tags} and {@code links} are read from it (the API server keeps no such metadata
   * fields; {@code dev.tarmac.catalog.BackstageObjects}).
   */
  public static <T extends HasMetadata> LeanItemStore<T> keepingLastApplied() {
    return new LeanItemStore<>(true);
  }

  /**
   * Starts an informer on {@code source} that keeps its objects in a LeanItemStore, with {@code handler}; returns
   * once the first list is in the cache (as fabric8's {@code inform} does).
   */
  public static <T extends HasMetadata> io.fabric8.kubernetes.client.informers.SharedIndexInformer<T> inform(
      io.fabric8.kubernetes.client.dsl.Informable<T> source,
      ResourceEventHandler<? super T> handler) {
    return inform(source, handler, new LeanItemStore<>());
  }

  /** As {@link #inform(io.fabric8.kubernetes.client.dsl.Informable, ResourceEventHandler)}, into {@code store}. */
  public static <T extends HasMetadata> io.fabric8.kubernetes.client.informers.SharedIndexInformer<T> inform(
      io.fabric8.kubernetes.client.dsl.Informable<T> source,
      ResourceEventHandler<? super T> handler, LeanItemStore<T> store) {
    var informer = runnable(source, handler, store);
    informer.run();
    return informer;
  }

  /**
   * As {@link #inform(io.fabric8.kubernetes.client.dsl.Informable, ResourceEventHandler, LeanItemStore)}, not started
   * (start it with {@link dev.tarmac.InformerStarts} to list several kinds at once).
   */
  public static <T extends HasMetadata> io.fabric8.kubernetes.client.informers.SharedIndexInformer<T> runnable(
      io.fabric8.kubernetes.client.dsl.Informable<T> source,
      ResourceEventHandler<? super T> handler, LeanItemStore<T> store) {
    var informer = source.runnableInformer(0);
    informer.itemStore(store);
    informer.addEventHandler(handler);
    return informer;
  }

  /** As {@link #runnable(io.fabric8.kubernetes.client.dsl.Informable, ResourceEventHandler, LeanItemStore)}. */
  public static <T extends HasMetadata> io.fabric8.kubernetes.client.informers.SharedIndexInformer<T> runnable(
      io.fabric8.kubernetes.client.dsl.Informable<T> source, ResourceEventHandler<? super T> handler) {
    return runnable(source, handler, new LeanItemStore<>());
  }

  /** The annotation {@code kubectl apply} keeps its last applied configuration in. */
  public static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  @Override
  public T put(String key, T obj) {
    trim(obj, keepLastApplied);
    return super.put(key, obj);
  }

  /**
   * Makes {@code obj} lean in place (see the class comment): no managedFields, no {@value #LAST_APPLIED} unless
   * {@code keepLastApplied}, repeated strings shared. Null and objects without metadata are left as they are.
   */
  static void trim(HasMetadata obj, boolean keepLastApplied) {
    if (obj == null || obj.getMetadata() == null) {
      return;
    }
    ObjectMeta meta = obj.getMetadata();
    meta.setManagedFields(null);
    if (obj.getApiVersion() != null) {
      obj.setApiVersion(obj.getApiVersion().intern());
    }
    if (obj instanceof GenericKubernetesResource g && g.getKind() != null) {
      g.setKind(g.getKind().intern());
    }
    if (meta.getNamespace() != null) {
      meta.setNamespace(meta.getNamespace().intern());
    }
    if (meta.getLabels() != null) {
      meta.setLabels(interned(meta.getLabels(), true));
    }
    if (meta.getAnnotations() != null) {
      Map<String, String> annotations = meta.getAnnotations();
      if (!keepLastApplied) {
        annotations.remove(LAST_APPLIED);
      }
      meta.setAnnotations(interned(annotations, false));
    }
    if (meta.getOwnerReferences() != null) {
      for (OwnerReference o : meta.getOwnerReferences()) {
        o.setApiVersion(o.getApiVersion() == null ? null : o.getApiVersion().intern());
        o.setKind(o.getKind() == null ? null : o.getKind().intern());
      }
    }
  }

  /** A copy of {@code map} (same order) with interned keys, and values too when {@code values}. */
  private static Map<String, String> interned(Map<String, String> map, boolean values) {
    Map<String, String> copy = new LinkedHashMap<>(Math.max(2, (int) (map.size() / 0.75f) + 1));
    map.forEach((k, v) -> copy.put(k.intern(), values && v != null ? v.intern() : v));
    return copy;
  }
}
