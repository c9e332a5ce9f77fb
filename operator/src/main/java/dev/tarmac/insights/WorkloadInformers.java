package dev.tarmac.insights;

import dev.tarmac.LeanItemStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;

/**
 * The one pair of informers on Deployments and StatefulSets (all namespaces) that the insights share: cost attribution
 * ({@link dev.tarmac.insights.cost.CostController}) and DORA metrics ({@link dev.tarmac.insights.dora.DoraEngine})
 * both read them, and one cache and one watch per kind serve both (two informers per kind held every workload twice
 * and doubled the watch load on the API server). Objects are kept without {@code managedFields} ({@link
 * LeanItemStore}).
 *
 * <p>Started by the first user's {@link #start()} (the others wait for the same first lists); each user adds its own
 * handler, which is first told of every object already cached (fabric8 replays the cache as adds). The owner (the
 * operator) closes it, not its users.
 */
public final class WorkloadInformers implements AutoCloseable {

  private final KubernetesClient client;
  private SharedIndexInformer<Deployment> deployments;
  private SharedIndexInformer<StatefulSet> statefulSets;
  private boolean closed;

  /** @param client a client allowed to get, list and watch deployments and statefulsets (apps) in all namespaces */
  public WorkloadInformers(KubernetesClient client) {
    this.client = client;
  }

  /**
   * Starts both informers unless started already, returning once their first lists are in the cache; safe to call
   * from several threads.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when a kind cannot be listed (RBAC); a later call
   *     tries again
   * @throws IllegalStateException after {@link #close()}
   */
  public synchronized WorkloadInformers start() {
    if (closed) {
      throw new IllegalStateException("workload informers closed");
    }
    if (deployments == null) {
      deployments = inform(client.apps().deployments().inAnyNamespace());
    }
    if (statefulSets == null) {
      statefulSets = inform(client.apps().statefulSets().inAnyNamespace());
    }
    return this;
  }

  /** An informer with no handler of its own (each user adds one), returning once its first list is in. */
  private static <T extends HasMetadata> SharedIndexInformer<T> inform(Informable<T> source) {
    SharedIndexInformer<T> informer = source.runnableInformer(0);
    informer.itemStore(new LeanItemStore<>());
    informer.run();
    return informer;
  }

  /**
   * Adds {@code handler} to both informers (starting them first if needed); it hears of every cached object as an
   * add, then of every change.
   */
  public synchronized WorkloadInformers addHandler(ResourceEventHandler<HasMetadata> handler) {
    start();
    deployments.addEventHandler(handler);
    statefulSets.addEventHandler(handler);
    return this;
  }

  /** Removes a handler added with {@link #addHandler} (a user that stops). */
  public synchronized void removeHandler(ResourceEventHandler<HasMetadata> handler) {
    if (deployments != null) {
      deployments.removeEventHandler(handler);
    }
    if (statefulSets != null) {
      statefulSets.removeEventHandler(handler);
    }
  }

  /** The Deployment informer; {@link #start()} first. */
  public synchronized SharedIndexInformer<Deployment> deployments() {
    return started(deployments);
  }

  /** The StatefulSet informer; {@link #start()} first. */
  public synchronized SharedIndexInformer<StatefulSet> statefulSets() {
    return started(statefulSets);
  }

  /** Both informers, Deployments first; {@link #start()} first. */
  public List<SharedIndexInformer<? extends HasMetadata>> both() {
    return List.of(deployments(), statefulSets());
  }

  private static <T> T started(T informer) {
    if (informer == null) {
      throw new IllegalStateException("workload informers not started");
    }
    return informer;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (deployments != null) {
      deployments.close();
    }
    if (statefulSets != null) {
      statefulSets.close();
    }
  }
}
