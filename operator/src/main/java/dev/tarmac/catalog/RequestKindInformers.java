package dev.tarmac.catalog;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.Promise;
import dev.tarmac.promise.RequestCrdBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Optional;

/**
 * Read-only informers on the request kind of every Available Promise, for the catalog alone: they reconcile nothing
 * and write nothing. With leader election every replica runs them, so the catalog of a standby is as complete as the
 * leader's (the leader's request controllers reconcile; these only index). Started and stopped as Promises are seen
 * by the catalog's Promise informers ({@link #promise}); the informers themselves are {@link KindInformers}.
 */
public final class RequestKindInformers implements AutoCloseable {

  /** Told about every request added, changed or deleted; see {@link CatalogInformers#request}. */
  @FunctionalInterface
  public interface Observer {
    /** A request of Promise {@code promise} was added or changed ({@code deleted} false) or deleted. */
    void observe(String promise, GenericKubernetesResource request, boolean deleted);
  }

  private final KindInformers informers;

  /**
   * @param client the client (needs list and watch on every request kind, which the chart's promiseApis grant)
   * @param observer where requests go
   */
  public RequestKindInformers(KubernetesClient client, Observer observer) {
    this.informers = new KindInformers(client, "requests", observer::observe);
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
  public void promise(Promise promise, boolean deleted) {
    informers.want(promise.getMetadata().getName(), deleted ? Optional.empty() : wanted(promise), deleted);
  }

  /** True when every request informer has listed its kind once (the catalog holds every request). */
  public boolean synced() {
    return informers.synced();
  }

  /** The Promises whose request kinds are watched. */
  public java.util.Set<String> promises() {
    return informers.sources();
  }

  @Override
  public void close() {
    informers.close();
  }
}
