package dev.tarmac.promise;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.KratixPromise;
import dev.tarmac.api.Promise;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a named shard ({@link dev.tarmac.api.Shard}) serves Promise request kinds without writing Promises: it reads
 * Promises of both groups and starts the request controller of each one the default shard reports serving, stopping
 * it when the Promise is gone. The default shard's {@link PromiseReconciler} alone applies request CRDs, runs promise
 * workflows and writes Promise status, so two shards never write the same Promise.
 *
 * <p>A Promise is served here once its status is current ({@code observedGeneration} equals its generation), names a
 * request CRD, and is {@code Available} — or is waiting only for its {@code requiredPromises}
 * ({@code RequiredPromisesUnavailable}), in which case its requests wait with that message, as on the default
 * shard. A Promise being deleted stays served until it is gone, so its requests' delete pipelines run here.
 */
public final class PromiseFollower implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PromiseFollower.class);

  /** Every Promise is looked at again this often (ms): a request controller that could not start is retried. */
  private static final long RESYNC_MS = 30_000;

  private final PromiseRuntime runtime;
  private final List<SharedIndexInformer<? extends Promise>> informers;
  /** One thread: starting a request controller waits for its informer's first list, not on the watch thread. */
  private final ExecutorService serving = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "promise-follower");
    t.setDaemon(true);
    return t;
  });

  /**
   * Starts read-only informers on Promises ({@code platform.tarmac.dev} and {@code platform.kratix.io}).
   *
   * @param client the operator's client
   * @param runtime the request controllers of this shard
   */
  public PromiseFollower(KubernetesClient client, PromiseRuntime runtime) {
    this.runtime = runtime;
    this.informers = List.of(client.resources(Promise.class).inform(handler(), RESYNC_MS),
        client.resources(KratixPromise.class).inform(handler(), RESYNC_MS));
  }

  private <P extends Promise> ResourceEventHandler<P> handler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(P promise) {
        serving.execute(() -> follow(promise));
      }

      @Override
      public void onUpdate(P old, P promise) {
        serving.execute(() -> follow(promise));
      }

      @Override
      public void onDelete(P promise, boolean unknown) {
        serving.execute(() -> runtime.stop(promise.getMetadata().getName()));
      }
    };
  }

  /** What to do with {@code promise} as last seen. */
  enum Action { SERVE, STOP, WAIT }

  /**
   * Decides from the default shard's status whether a named shard serves {@code promise}'s request kind. Pure.
   *
   * @return {@code SERVE} (current, a request CRD, Available or waiting for required Promises only), {@code STOP}
   *     (current and without a request API), {@code WAIT} (status not current yet, or not Available for another
   *     reason: whatever is served stays as it is until the default shard has reconciled the Promise)
   */
  static Action decide(Promise promise) {
    Promise.Status status = promise.getStatus();
    if (status == null || status.observedGeneration == null
        || !status.observedGeneration.equals(promise.getMetadata().getGeneration())) {
      return Action.WAIT;
    }
    if (promise.getMetadata().getDeletionTimestamp() != null) {
      return Action.WAIT;
    }
    if (!RequestCrdBuilder.hasApi(promise.getSpec().api) || status.crdName == null) {
      return RequestCrdBuilder.hasApi(promise.getSpec().api) ? Action.WAIT : Action.STOP;
    }
    var available = Conditions.find(status.conditions, Conditions.AVAILABLE).orElse(null);
    if (available == null) {
      return Action.WAIT;
    }
    return "True".equals(available.getStatus()) || "RequiredPromisesUnavailable".equals(available.getReason())
        ? Action.SERVE : Action.WAIT;
  }

  private void follow(Promise promise) {
    String name = promise.getMetadata().getName();
    try {
      switch (decide(promise)) {
        case SERVE -> {
          var available = Conditions.find(promise.getStatus().conditions, Conditions.AVAILABLE).orElseThrow();
          runtime.requirements(name, "True".equals(available.getStatus()) ? null : available.getMessage());
          runtime.serve(promise, RequestCrdBuilder.kind(RequestCrdBuilder.build(name, promise.getSpec().api)));
        }
        case STOP -> runtime.stop(name);
        case WAIT -> { }
        default -> throw new IllegalStateException();
      }
    } catch (RuntimeException e) {
      // The default shard reports what is wrong with the Promise in its status; here it is only not served yet.
      LOG.warn("Promise {}: not serving its requests in this shard yet: {}", name, e.getMessage());
    }
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
    serving.shutdownNow();
  }
}
