package dev.tarmac.statestore;

import dev.tarmac.Events;
import dev.tarmac.StatusChange;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import io.fabric8.kubernetes.api.model.Condition;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.util.List;
import java.util.Optional;

/**
 * A Destination is {@code Ready} when its state store exists and is Ready: reachable and writable, proven by the
 * store's write probe ({@link GitWriter#PROBE_REF_PREFIX}). The Destination repeats its store's condition so that
 * whoever looks at the Destination learns what is wrong and what to change:
 * <ul>
 *   <li>store not Ready for a known fault (credentials refused or read-only, remote unreachable, push refused, ...):
 *       {@code Ready=False} with the store's own reason, a message naming the store, and a Warning Event;</li>
 *   <li>store Ready after a repair it reports ({@link #NOTICE_REASONS}: history rewritten, branch or repository
 *       re-created): {@code Ready=True} with that reason and the store's message, for as long as the store shows
 *       it;</li>
 *   <li>store not reconciled yet or still connecting: {@code Ready=False}, {@code StateStoreNotReady};</li>
 *   <li>store labelled for another shard than the Destination ({@link dev.tarmac.api.Labels#SHARD}):
 *       {@code Ready=False}, {@code StateStoreInOtherShard}; no Work is written there.</li>
 * </ul>
 * Destinations are reconciled when their store's {@code Ready} status or reason changes ({@link StateStores}).
 */
@ControllerConfiguration(name = "destination")
public final class DestinationReconciler implements Reconciler<Destination> {

  /** Per Destination uid, the Ready=False reason last warned about (cleared when it is Ready again). */
  private final java.util.Map<String, String> warned = new java.util.concurrent.ConcurrentHashMap<>();

  /** Reasons of a Ready store that repaired something, shown on its Destinations too. */
  static final java.util.Set<String> NOTICE_REASONS = java.util.Set.of("HistoryRewritten", "BranchRecreated",
      "RepositoryRecreated");
  /** The store's reasons that mean no fault, only that it is not Ready yet. */
  private static final java.util.Set<String> NOT_YET = java.util.Set.of("Connecting", "StateStoreNotReady");

  private final StateStores stores;
  private final Events events;
  private final SimpleInboundEventSource<Destination> storeChanges = new SimpleInboundEventSource<>("store-changes");
  private volatile EventSourceContext<Destination> context;

  /**
   * @param stores the state stores (their informer says whether a store is Ready)
   * @param events where Events go
   */
  public DestinationReconciler(StateStores stores, Events events) {
    this.stores = stores;
    this.events = events;
    stores.onDestinationsChanged(() -> {
      var c = context;
      if (c != null && dev.tarmac.SharedPrimaryCache.started(c.getPrimaryCache())) {
        c.getPrimaryCache().list().forEach(d -> storeChanges.propagateEvent(ResourceID.fromResource(d)));
      }
    });
    // A store whose message or next attempt changed (each retry while its remote fails): its Destinations repeat it.
    stores.onStoreStatus(storeName -> {
      var c = context;
      if (c != null && dev.tarmac.SharedPrimaryCache.started(c.getPrimaryCache())) {
        c.getPrimaryCache().list(d -> d.getSpec() != null && d.getSpec().stateStoreRef != null
            && storeName.equals(d.getSpec().stateStoreRef.name))
            .forEach(d -> storeChanges.propagateEvent(ResourceID.fromResource(d)));
      }
    });
  }

  @Override
  public List<EventSource<?, Destination>> prepareEventSources(EventSourceContext<Destination> context) {
    this.context = context;
    return List.of(storeChanges);
  }

  @Override
  public UpdateControl<Destination> reconcile(Destination destination, Context<Destination> context) {
    if (destination.getStatus() == null) {
      destination.setStatus(new Destination.Status());
    }
    var before = StatusChange.snapshot(destination);
    var status = destination.getStatus();
    Long generation = destination.getMetadata().getGeneration();
    status.observedGeneration = generation;
    String storeName = destination.getSpec().stateStoreRef.name;
    var store = stores.store(storeName);
    Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "", generation);
    // The store's next attempt is this Destination's too: its writes wait in the store's writer.
    status.nextRetryTime = store.map(GitStateStore::getStatus).map(s -> s.nextRetryTime).orElse(null);
    if (store.isEmpty()) {
      Conditions.setFalse(status, Conditions.READY, "StateStoreNotFound", "GitStateStore " + storeName
          + " does not exist: create it or change spec.stateStoreRef.name", generation);
    } else if (!dev.tarmac.api.Shard.of(store.get().getMetadata().getLabels()).equals(
        dev.tarmac.api.Shard.of(destination.getMetadata().getLabels()))) {
      // A store is written by exactly one shard (docs/scaling.md): this Destination's shard would write to a store
      // whose own shard writes it too, and their commits would race.
      Conditions.setFalse(status, Conditions.READY, "StateStoreInOtherShard", "GitStateStore " + storeName
          + " belongs to shard " + dev.tarmac.api.Shard.of(store.get().getMetadata().getLabels())
          + " and this Destination to shard " + dev.tarmac.api.Shard.of(destination.getMetadata().getLabels())
          + ": a store is written by one shard only; give both the same label " + dev.tarmac.api.Labels.SHARD
          + " or name a store of this shard in spec.stateStoreRef.name", generation);
    } else {
      Optional<Condition> storeReady = store.get().getStatus() == null ? Optional.empty()
          : Conditions.find(store.get().getStatus().conditions, Conditions.READY);
      String storeReason = storeReady.map(Condition::getReason).orElse(null);
      String where = "writes go to GitStateStore " + storeName + " under "
          + StateStores.destinationDir(store.get(), destination);
      if (Conditions.isTrue(store.get().getStatus(), Conditions.READY)) {
        if (storeReason != null && NOTICE_REASONS.contains(storeReason)) {
          Conditions.setTrue(status, Conditions.READY, storeReason, where + "; the store reports " + storeReason
              + ": " + storeReady.get().getMessage(), generation);
        } else {
          Conditions.setTrue(status, Conditions.READY, "StateStoreReady", where, generation);
        }
      } else {
        String why = storeReady.map(Condition::getMessage).orElse("not reconciled yet");
        boolean fault = storeReason != null && !NOT_YET.contains(storeReason);
        Conditions.setFalse(status, Conditions.READY, fault ? storeReason : "StateStoreNotReady", "GitStateStore "
            + storeName + " is not Ready" + (fault ? " (" + storeReason + ")" : "") + ": " + why, generation);
      }
    }
    var control = StatusChange.control(before, destination);
    String reason = Conditions.reason(status, Conditions.READY);
    String reasonBefore = Conditions.find(before, Conditions.READY).map(c -> c.path("reason").asText(null))
        .orElse(null);
    // One Event per fault, not one per retry (the message follows the store's next attempt time). The reason last
    // warned about is also remembered per Destination: a second reconcile that reads the Destination from the cache
    // before this status write arrives would otherwise see the old reason and warn again.
    String uid = destination.getMetadata().getUid();
    if (Conditions.isTrue(status, Conditions.READY)) {
      warned.remove(uid);
    } else if (control.isPatchStatus() && !"StateStoreNotReady".equals(reason)
        && !java.util.Objects.equals(reason, reasonBefore)
        && !java.util.Objects.equals(reason, warned.put(uid, reason))) {
      events.warning(destination, reason, Conditions.find(status.conditions, Conditions.READY)
          .orElseThrow().getMessage());
    }
    return control;
  }
}
