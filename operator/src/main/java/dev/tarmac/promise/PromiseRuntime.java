package dev.tarmac.promise;

import dev.tarmac.Events;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Work;
import dev.tarmac.pipeline.BuiltInStep;
import dev.tarmac.pipeline.PipelineJobBuilder;
import dev.tarmac.pipeline.WorkflowRunner;
import java.time.Clock;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request controllers the running operator serves, one per Available Promise, started and stopped at run time
 * (no restart), plus what they share: the pipeline Job informer and the Work controller's cache, whose events are
 * mapped back to their request through the owner labels.
 */
public final class PromiseRuntime implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PromiseRuntime.class);

  private record Served(ResourceDefinitionContext kind, RequestController controller) {
  }

  private final KubernetesClient client;
  private final WorkflowRunner runner;
  private final Events events;
  private final String operatorNamespace;
  private final int threads;
  private final Map<String, Served> served = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.LongAdder requestReconciles = new java.util.concurrent.atomic.LongAdder();
  private final Map<String, java.util.concurrent.atomic.LongAdder> reconcilesByPromise =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, Promise> promises = new ConcurrentHashMap<>();
  private final dev.tarmac.SharedPrimaryCache<Work> works;
  private final PipelineAccess access;
  private final SharedIndexInformer<Job> jobs;
  /** The shard's label selector on requests and Works; null: all. */
  private final String shardSelector;

  /**
   * Starts the pipeline Job informer; Works are read from the Work controller's cache.
   *
   * @param client the client
   * @param builtIns built-in steps by image name
   * @param jobBuilder builds the Jobs of container Pipelines
   * @param events where Events go
   * @param operatorNamespace where cluster-scoped requests' Works and Jobs go
   * @param threads concurrent reconciles per request kind
   * @param apiResources discovery, for the output guardrails' kind scopes
   * @param shard the shard served: the request controllers' label selector is
   *     {@link dev.tarmac.api.Shard#labelSelector}, so the other shards' requests are not cached here (a request's
   *     Works carry its shard label, {@link WorkflowRunner#work})
   * @param works the Work controller's informer cache ({@code WorkReconciler#cache()}, indexed by the owner's UID
   *     under {@code WorkReconciler.OWNER_UID_INDEX}), shared so each Work is held once; it lists the same shard's
   *     Works
   */
  public PromiseRuntime(KubernetesClient client, Map<String, BuiltInStep> builtIns, PipelineJobBuilder jobBuilder,
      Events events, String operatorNamespace, int threads, dev.tarmac.api.ApiResources apiResources,
      dev.tarmac.api.Shard shard, dev.tarmac.SharedPrimaryCache<Work> works) {
    this.client = client;
    this.shardSelector = shard.labelSelector();
    this.runner = new WorkflowRunner(client, builtIns, jobBuilder, this::job, Clock.systemUTC(),
        new dev.tarmac.policy.PromiseOutputGuard(this::promise, client,
            new dev.tarmac.policy.Scopes(new dev.tarmac.policy.DiscoveryScopes(apiResources))));
    this.events = events;
    this.operatorNamespace = operatorNamespace;
    this.threads = threads;
    this.access = new PipelineAccess(client);
    this.works = works;
    works.addEventHandler(mapBack());
    this.jobs = client.batch().v1().jobs().inAnyNamespace().withLabel(Labels.MANAGED_BY, "tarmac")
        .inform(mapBack(), 0);
  }

  private <T extends HasMetadata> ResourceEventHandler<T> mapBack() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        trigger(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        trigger(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        trigger(obj);
      }
    };
  }

  private void trigger(HasMetadata owned) {
    Map<String, String> labels = owned.getMetadata().getLabels();
    if (labels == null || labels.get(Labels.PROMISE) == null) {
      return;
    }
    Served s = served.get(labels.get(Labels.PROMISE));
    if (s == null || !s.kind().getKind().equals(labels.get(Labels.OWNER_KIND))) {
      return;
    }
    RequestController.keyFromLabels(labels, Labels.OWNER_NAMESPACE, Labels.OWNER_NAME).ifPresent(
        s.controller()::trigger);
  }

  /** Told about every request of every served kind (the catalog indexes them). */
  @FunctionalInterface
  public interface RequestObserver {
    /** A request of Promise {@code promise} was added or changed ({@code deleted} false) or deleted. */
    void observe(String promise, io.fabric8.kubernetes.api.model.GenericKubernetesResource request, boolean deleted);
  }

  private volatile RequestObserver requestObserver = (p, r, d) -> { };

  /** Sets the observer of requests; call before Promises are served. */
  public void observeRequests(RequestObserver observer) {
    this.requestObserver = observer;
  }

  /** Pipeline ServiceAccounts and their rights. */
  public PipelineAccess access() {
    return access;
  }

  /** The workflow runner, shared with the Promise reconciler for promise workflows. */
  public WorkflowRunner runner() {
    return runner;
  }

  private final Map<String, String> waiting = new ConcurrentHashMap<>();
  private volatile java.util.function.BiFunction<Promise, com.fasterxml.jackson.databind.JsonNode, Optional<String>>
      admission = (promise, request) -> Optional.empty();

  /**
   * Sets what decides whether a new request (one whose pipelines never ran) may start: given the Promise and the
   * request as JSON, a message saying why it must wait, or empty. Used for budgets
   * (dev.tarmac.insights.cost.CostController#refusal, docs/insights-cost.md).
   */
  public void admission(java.util.function.BiFunction<Promise, com.fasterxml.jackson.databind.JsonNode,
      Optional<String>> admission) {
    this.admission = java.util.Objects.requireNonNull(admission);
  }

  /**
   * Queues every request of every Promise that may refuse requests ({@link #admission}) again: what held them back
   * changed (a team is back within its budget), and they would otherwise look again only at their next requeue.
   */
  public void admissionChanged() {
    served.forEach((name, s) -> {
      Promise p = promises.get(name);
      if (p != null && p.getMetadata().getAnnotations() != null
          && "true".equals(p.getMetadata().getAnnotations().get("platform.tarmac.dev/refuse-over-budget"))) {
        s.controller().triggerAll();
      }
    });
  }

  /** Why a new request of {@code promise} must wait ({@link #admission}), or empty. */
  public Optional<String> refusal(Promise promise, com.fasterxml.jackson.databind.JsonNode request) {
    return admission.apply(promise, request);
  }

  /**
   * Records whether Promise {@code name}'s {@code requiredPromises} are fulfilled: {@code waitingMessage} says what its
   * requests wait for, null when nothing. A change queues every request of the Promise again, so requests that waited
   * proceed as soon as the Promise reconciler sees its requirements fulfilled (a Promise event, not a timer).
   */
  public void requirements(String name, String waitingMessage) {
    String previous = waitingMessage == null ? waiting.remove(name) : waiting.put(name, waitingMessage);
    if (!java.util.Objects.equals(previous, waitingMessage)) {
      Served s = served.get(name);
      if (s != null) {
        s.controller().triggerAll();
      }
    }
  }

  /** What Promise {@code name}'s requests wait for (its requirements are not fulfilled), or empty. */
  public Optional<String> waitingFor(String name) {
    return Optional.ofNullable(waiting.get(name));
  }

  /** The current Promise {@code name} as last reconciled. */
  public Optional<Promise> promise(String name) {
    return Optional.ofNullable(promises.get(name));
  }

  /**
   * Serves {@code promise}'s request kind: starts its controller if it is not running (or runs for another kind),
   * and queues every request again when the Promise changed.
   */
  public synchronized void serve(Promise promise, ResourceDefinitionContext kind) {
    String name = promise.getMetadata().getName();
    Promise previous = promises.put(name, promise);
    Served s = served.get(name);
    if (s != null && !sameKind(s.kind(), kind)) {
      s.controller().close();
      served.remove(name);
      s = null;
    }
    if (s == null) {
      RequestReconciler reconciler = new RequestReconciler(client, this, name, kind, runner, events,
          operatorNamespace);
      RequestController.Reconciler counted = request -> {
        requestReconciles.increment();
        reconcilesByPromise.computeIfAbsent(name, k -> new java.util.concurrent.atomic.LongAdder()).increment();
        return reconciler.reconcile(request);
      };
      served.put(name, new Served(kind, new RequestController(client, kind, threads, counted,
          (request, deleted) -> requestObserver.observe(name, request, deleted), events::warning, shardSelector)));
      LOG.info("serving {} requests for Promise {}", kind.getKind(), name);
    } else if (previous == null || !java.util.Objects.equals(previous.getMetadata().getGeneration(),
        promise.getMetadata().getGeneration())) {
      s.controller().triggerAll();
    }
  }

  private static boolean sameKind(ResourceDefinitionContext a, ResourceDefinitionContext b) {
    return a.getGroup().equals(b.getGroup()) && a.getVersion().equals(b.getVersion())
        && a.getKind().equals(b.getKind()) && a.getPlural().equals(b.getPlural())
        && a.isNamespaceScoped() == b.isNamespaceScoped();
  }

  /** Stops serving Promise {@code name}. */
  public synchronized void stop(String name) {
    Served s = served.remove(name);
    promises.remove(name);
    waiting.remove(name);
    if (s != null) {
      s.controller().close();
      LOG.info("stopped serving {} requests for Promise {}", s.kind().getKind(), name);
    }
  }

  /** The requests of Promise {@code name} in the controller's cache (empty when not served). */
  public List<io.fabric8.kubernetes.api.model.GenericKubernetesResource> requests(String name) {
    Served s = served.get(name);
    return s == null ? List.of() : s.controller().list();
  }

  /**
   * Every request of Promise {@code name}, whichever shard it belongs to: the controller's cache when this operator
   * serves all requests, else a list call to the API server (a Promise's deletion deletes its requests in every
   * shard; each shard's controller then runs their delete pipelines). Empty when the kind is not served.
   */
  public List<io.fabric8.kubernetes.api.model.GenericKubernetesResource> allRequests(String name) {
    Served s = served.get(name);
    if (s == null) {
      return List.of();
    }
    if (shardSelector == null) {
      return s.controller().list();
    }
    return client.genericKubernetesResources(s.kind()).inAnyNamespace().list().getItems();
  }

  /** True when Promise {@code name}'s request controller runs. */
  public boolean serving(String name) {
    return served.containsKey(name);
  }

  /**
   * Reconciles of requests of every served kind since start (metric {@code tarmac_request_reconciles_total}); Kratix
   * reconciles a request about twenty times, the benchmark divides this by the requests made.
   */
  public double requestReconciles() {
    return requestReconciles.sum();
  }

  /** {@link #requestReconciles()} of Promise {@code name}'s requests only. */
  public long requestReconciles(String name) {
    var n = reconcilesByPromise.get(name);
    return n == null ? 0 : n.sum();
  }

  /**
   * The Works a request produced (by owner UID), from the Work controller's cache; waits (at most a minute) for that
   * cache's first list, so an operator starting up never reads "no Works yet" as "none".
   */
  public List<Work> worksOf(String ownerUid) {
    works.awaitSynced(SYNC_WAIT);
    return works.byIndex(dev.tarmac.statestore.WorkReconciler.OWNER_UID_INDEX, ownerUid);
  }

  /**
   * A Work managed by Tarmac by namespace and name, from the Work controller's cache (after its first list, as
   * {@link #worksOf}); null when there is none.
   */
  public Work work(String namespace, String name) {
    works.awaitSynced(SYNC_WAIT);
    return works.get(namespace, name).filter(w -> w.getMetadata().getLabels() != null
        && "tarmac".equals(w.getMetadata().getLabels().get(Labels.MANAGED_BY))).orElse(null);
  }

  private static final java.time.Duration SYNC_WAIT = java.time.Duration.ofMinutes(1);

  /** A pipeline Job by namespace and name, from the informer. */
  public Job job(String namespace, String name) {
    return jobs.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name));
  }

  @Override
  public void close() {
    served.values().forEach(s -> s.controller().close());
    served.clear();
    jobs.close();
  }
}
