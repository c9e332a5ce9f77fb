package dev.tarmac.statestore;

import dev.tarmac.Events;
import dev.tarmac.StatusChange;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Destination;
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
 * store's write probe ({@link GitWriter#PROBE_REF_PREFIX}). When the store is not Ready because of its credentials,
 * the Destination carries the store's own reason ({@link #CREDENTIAL_REASONS}) and a Warning Event, so whoever
 * looks at the Destination learns what to change.
 */
@ControllerConfiguration(name = "destination")
public final class DestinationReconciler implements Reconciler<Destination> {

  /** Store reasons a Destination repeats as its own: each says the store's credentials must change. */
  static final java.util.Set<String> CREDENTIAL_REASONS = java.util.Set.of("CredentialsReadOnly",
      "AuthenticationFailed", "HostKeyNotTrusted", "SecretNotFound", "SecretKeyMissing", "SecretNamespaceNotAllowed");

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
      if (c != null) {
        c.getPrimaryCache().list().forEach(d -> storeChanges.propagateEvent(ResourceID.fromResource(d)));
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
    if (store.isEmpty()) {
      Conditions.setFalse(status, Conditions.READY, "StateStoreNotFound", "GitStateStore " + storeName
          + " does not exist: create it or change spec.stateStoreRef.name", generation);
    } else if (Conditions.isTrue(store.get().getStatus(), Conditions.READY)) {
      Conditions.setTrue(status, Conditions.READY, "StateStoreReady", "writes go to GitStateStore " + storeName
          + " under " + StateStores.destinationDir(store.get(), destination), generation);
    } else {
      Optional<Condition> storeReady = store.get().getStatus() == null ? Optional.empty()
          : Conditions.find(store.get().getStatus().conditions, Conditions.READY);
      String why = storeReady.map(c -> c.getMessage()).orElse("not reconciled yet");
      String storeReason = storeReady.map(c -> c.getReason()).orElse(null);
      // Set.of(...).contains(null) throws: a store not reconciled yet has no reason.
      String reason = storeReason != null && CREDENTIAL_REASONS.contains(storeReason) ? storeReason
          : "StateStoreNotReady";
      Conditions.setFalse(status, Conditions.READY, reason, "GitStateStore " + storeName
          + " is not Ready: " + why, generation);
    }
    var control = StatusChange.control(before, destination);
    String reason = Conditions.reason(status, Conditions.READY);
    if (control.isPatchStatus() && !Conditions.isTrue(status, Conditions.READY)
        && ("StateStoreNotFound".equals(reason) || CREDENTIAL_REASONS.contains(reason))) {
      events.warning(destination, reason, Conditions.find(status.conditions, Conditions.READY)
          .orElseThrow().getMessage());
    }
    return control;
  }
}
