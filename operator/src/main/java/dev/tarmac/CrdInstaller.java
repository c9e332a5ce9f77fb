package dev.tarmac;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Installs or updates CRDs at start-up, all of them at once: each CRD is read, compared and written on a thread of its
 * own, then waited for until the API server reports it {@code Established}, so {@code n} CRDs cost about one round
 * trip and one establishment instead of {@code n} (start-up, issue 17). A CRD whose annotation
 * {@value TarmacOperator#CRD_HASH} already holds the hash of what this build would write is left as it is (no write,
 * no wait): an unchanged cluster costs one GET per CRD, all in parallel, and no rendering (the hashes come from the
 * build, {@link CrdBundle}).
 */
final class CrdInstaller {

  /** Threads for the GETs, writes and waits; the API server, not this process, is the limit beyond a few. */
  static final int THREADS = 8;

  /** How long one CRD may take to be {@code Established} after it was written. */
  static final java.time.Duration ESTABLISHED = java.time.Duration.ofSeconds(30);

  /**
   * One CRD to install.
   *
   * @param name the CRD's name, {@code <plural>.<group>}
   * @param hash the hash of what this build installs ({@link CrdBundle#hashOf} of {@code yaml}), compared with the
   *     cluster's annotation {@value TarmacOperator#CRD_HASH}; computed on the installing thread
   * @param yaml the CRD as this build carries it (YAML); asked for only when the CRD is written
   * @param foreign null for Tarmac's own kinds (always written when changed); else a CRD of that name without the label
   *     {@code app.kubernetes.io/part-of: tarmac} was installed by another tool, is left as it is and this is told its
   *     name (to log why)
   */
  record Desired(String name, Supplier<String> hash, Supplier<String> yaml, Consumer<String> foreign) {

    /**
     * CRD {@code name} as {@code bundle} holds it (hash read from the build's index; YAML read from the class path
     * when written), or, when there is no bundle or it lacks the CRD, rendered here by {@code render} (once, on the
     * installing thread).
     */
    static Desired of(java.util.Optional<CrdBundle> bundle, String name, Supplier<String> render,
        Consumer<String> foreign) {
      java.util.Optional<String> built = bundle.flatMap(b -> b.hash(name));
      if (built.isPresent()) {
        return new Desired(name, built::get, () -> CrdBundle.yaml(name), foreign);
      }
      Supplier<String> once = memoize(render);
      return new Desired(name, () -> CrdBundle.hashOf(once.get()), once, foreign);
    }

    private static Supplier<String> memoize(Supplier<String> s) {
      var value = new java.util.concurrent.atomic.AtomicReference<String>();
      return () -> value.updateAndGet(v -> v != null ? v : s.get());
    }
  }

  private final KubernetesClient client;

  CrdInstaller(KubernetesClient client) {
    this.client = client;
  }

  /**
   * Installs or updates every CRD of {@code desired} that differs from the cluster's, in parallel, and waits until
   * each CRD written is {@code Established}.
   *
   * @return the names of the CRDs written
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when a read or write fails, or a CRD is not
   *     Established within {@link #ESTABLISHED}
   */
  List<String> install(List<Desired> desired) {
    List<String> applied = new ArrayList<>();
    for (String name : inParallel(desired, this::installOne)) {
      if (name != null) {
        applied.add(name);
      }
    }
    return applied;
  }

  /** The names of {@code names} that the API server does not have (GETs in parallel). */
  List<String> missing(List<String> names) {
    List<String> missing = new ArrayList<>();
    List<Boolean> present = inParallel(names, n -> untyped().withName(n).get() != null);
    for (int i = 0; i < names.size(); i++) {
      if (!present.get(i)) {
        missing.add(names.get(i));
      }
    }
    return missing;
  }

  private String installOne(Desired d) {
    String hash = d.hash().get();
    var crds = client.apiextensions().v1().customResourceDefinitions();
    // Read untyped: only labels and annotations are compared, and fabric8's CRD model (schemas included) costs
    // hundreds of classes to load on the start-up path when nothing is written.
    var existing = untyped().withName(d.name()).get();
    if (existing != null) {
      Map<String, String> labels = existing.getMetadata().getLabels();
      if (d.foreign() != null && (labels == null || !"tarmac".equals(labels.get("app.kubernetes.io/part-of")))) {
        d.foreign().accept(d.name());
        return null;
      }
      if (existing.getMetadata().getAnnotations() != null
          && hash.equals(existing.getMetadata().getAnnotations().get(TarmacOperator.CRD_HASH))) {
        return null;
      }
    }
    byte[] yaml = d.yaml().get().getBytes(StandardCharsets.UTF_8);
    CustomResourceDefinition crd = crds.load(new ByteArrayInputStream(yaml)).item();
    Map<String, String> annotations = new HashMap<>();
    if (crd.getMetadata().getAnnotations() != null) {
      annotations.putAll(crd.getMetadata().getAnnotations());
    }
    annotations.put(TarmacOperator.CRD_HASH, hash);
    crd.getMetadata().setAnnotations(annotations);
    client.resource(crd).fieldManager("tarmac").forceConflicts().serverSideApply();
    crds.withName(d.name()).waitUntilCondition(c -> c != null && c.getStatus() != null
        && c.getStatus().getConditions() != null && c.getStatus().getConditions().stream()
            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
        ESTABLISHED.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    return d.name();
  }

  /** CRDs as generic resources (metadata typed, the rest maps); no discovery call (the plural is given). */
  private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<io.fabric8.kubernetes.api.model
      .GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<io.fabric8.kubernetes.api.model.GenericKubernetesResource>> untyped() {
    return client.genericKubernetesResources(CRD_CONTEXT);
  }

  private static final io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext CRD_CONTEXT =
      new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder().withGroup("apiextensions.k8s.io")
          .withVersion("v1").withKind("CustomResourceDefinition").withPlural("customresourcedefinitions")
          .withNamespaced(false).build();

  /** {@code work} applied to each item on up to {@link #THREADS} threads; results in the items' order. */
  private static <T, R> List<R> inParallel(List<T> items, java.util.function.Function<T, R> work) {
    if (items.isEmpty()) {
      return List.of();
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(THREADS, items.size()), r -> {
      Thread t = new Thread(r, "crd-install");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<R>> futures = new ArrayList<>();
      for (T item : items) {
        futures.add(pool.submit(() -> work.apply(item)));
      }
      List<R> results = new ArrayList<>();
      for (Future<R> f : futures) {
        results.add(f.get());
      }
      return results;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while installing CRDs", e);
    } finally {
      pool.shutdownNow();
    }
  }
}
