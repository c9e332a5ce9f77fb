package dev.tarmac;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.TarmacStatus;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Reconciler for kinds that are reconciled into nothing by themselves (a Composition, a Template, a Scorecard: other
 * objects use them): it validates the object and reports the result as {@code Synced} and {@code Ready}, with
 * {@code observedGeneration}, writing status only when it changed.
 *
 * @param <R> the kind
 * @param <S> its status type
 */
public class ValidatingReconciler<R extends CustomResource<?, S>, S extends TarmacStatus> implements Reconciler<R> {

  private final Function<R, List<String>> validator;
  private final Supplier<S> newStatus;
  private final Events events;

  /**
   * @param validator returns the problems of an object, each a sentence saying what to change; empty when valid
   * @param newStatus creates an empty status for objects that have none yet
   * @param events where Warning events about invalid objects go
   */
  public ValidatingReconciler(Function<R, List<String>> validator, Supplier<S> newStatus, Events events) {
    this.validator = validator;
    this.newStatus = newStatus;
    this.events = events;
  }

  @Override
  public UpdateControl<R> reconcile(R resource, Context<R> context) {
    if (resource.getStatus() == null) {
      resource.setStatus(newStatus.get());
    }
    var before = StatusChange.snapshot(resource);
    S status = resource.getStatus();
    Long generation = resource.getMetadata().getGeneration();
    List<String> problems = validator.apply(resource);
    status.observedGeneration = generation;
    if (problems.isEmpty()) {
      Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "The object is valid.", generation);
      Conditions.setTrue(status, Conditions.READY, "Valid", "Ready to be used.", generation);
    } else {
      String message = String.join("; ", problems);
      Conditions.setFalse(status, Conditions.SYNCED, "Invalid", message, generation);
      Conditions.setFalse(status, Conditions.READY, "Invalid", message, generation);
    }
    UpdateControl<R> control = StatusChange.control(before, resource);
    if (!problems.isEmpty() && control.isPatchStatus()) {
      events.warning(resource, "Invalid", String.join("; ", problems));
    }
    return control;
  }
}
