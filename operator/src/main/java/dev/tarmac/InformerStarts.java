package dev.tarmac;

import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Utils;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Informers started together, their first lists awaited at the end: {@code informer.run()} (what
 * {@code inform(...)} calls) returns only after its list, so informers started one after the other list one after
 * the other; started here they list at once (start-up, issue 17: the catalog's ~16 kinds, the state stores' two).
 * A failed list is thrown by {@link #await} as {@code run()} throws it (fabric8's {@code KubernetesClientException}),
 * or, for an informer started with a failure handler, told to that handler instead. Not thread-safe: one starting
 * thread.
 */
public final class InformerStarts {

  private record Started(SharedIndexInformer<?> informer, CompletableFuture<Void> listed,
      Consumer<RuntimeException> onFailure) {
  }

  private final List<Started> started = new ArrayList<>();

  /** Starts {@code informer} (handlers and item store already set); its first list runs on fabric8's threads. */
  public <I extends SharedIndexInformer<?>> I start(I informer) {
    return start(informer, null);
  }

  /**
   * As {@link #start(SharedIndexInformer)}; a failed first list is given to {@code onFailure} by {@link #await}
   * (the informer is then stopped) instead of thrown.
   */
  public <I extends SharedIndexInformer<?>> I start(I informer, Consumer<RuntimeException> onFailure) {
    started.add(new Started(informer, informer.start().toCompletableFuture(), onFailure));
    return informer;
  }

  /**
   * Waits until every informer started here has listed.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException the first failed list of an informer without a
   *     failure handler (after every other list ended)
   */
  public void await() {
    RuntimeException first = null;
    for (Started s : started) {
      try {
        Utils.waitUntilReadyOrFail(s.listed(), -1, TimeUnit.MILLISECONDS);
      } catch (RuntimeException e) {
        if (s.onFailure() != null) {
          s.informer().stop();
          s.onFailure().accept(e);
        } else if (first == null) {
          first = e;
        }
      }
    }
    started.clear();
    if (first != null) {
      throw first;
    }
  }
}
