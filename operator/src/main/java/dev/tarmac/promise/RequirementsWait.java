package dev.tarmac.promise;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.Events;
import dev.tarmac.ReconcileQueue;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.TarmacStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A request of a compound Promise whose {@code requiredPromises} are not fulfilled waits: its pipelines do not run
 * and its status says what it waits for. Kratix's shape ({@code lib/resourceutil/util.go}): condition
 * {@code PromiseAvailable} False with reason {@code PromiseRequirementsNotInstalled} ("Promise Requirements are not
 * installed", to which Tarmac adds the Promise reconciler's message naming each missing Promise and version), and True
 * with reason {@code PromiseAvailable} ("Promise Requirements are met") once they are; {@code Ready} is False with the
 * same reason while waiting. The request proceeds by itself: the Promise reconciler queues every request again when
 * the requirements change ({@link PromiseRuntime#requirements}).
 */
final class RequirementsWait {

  /** Kratix's condition type on a request. */
  static final String CONDITION = "PromiseAvailable";
  /** Kratix's reason while waiting. */
  static final String NOT_INSTALLED = "PromiseRequirementsNotInstalled";
  /** Kratix's reason once the requirements are met. */
  static final String MET = "PromiseAvailable";

  private RequirementsWait() {
  }

  /** The request's conditions while it waits for {@code waitingFor} (the Promise's requirements message). Pure. */
  static TarmacStatus waiting(TarmacStatus conditions, String waitingFor, Long generation) {
    String message = "Promise Requirements are not installed: " + waitingFor;
    Conditions.setFalse(conditions, CONDITION, NOT_INSTALLED, message, generation);
    Conditions.setFalse(conditions, Conditions.READY, NOT_INSTALLED, message, generation);
    return conditions;
  }

  /**
   * Marks the requirements of {@code promise} met on a request that runs: only for a Promise with requirements
   * (others' requests keep the conditions they had). Pure.
   */
  static void released(TarmacStatus conditions, Promise promise, Long generation) {
    if (promise.getSpec().requiredPromises != null && !promise.getSpec().requiredPromises.isEmpty()) {
      Conditions.setTrue(conditions, CONDITION, MET, "Promise Requirements are met", generation);
    }
  }

  /** Writes the waiting status when it changed (with an Event), and waits: the Promise reconciler wakes the request. */
  static ReconcileQueue.Result hold(GenericKubernetesResource request, ObjectNode status, JsonNode before,
      String waitingFor, BiConsumer<GenericKubernetesResource, ObjectNode> patchStatus, Events events) {
    TarmacStatus conditions = new TarmacStatus();
    if (status.path("conditions").isArray()) {
      conditions.conditions = new ArrayList<>(Serialization.JSON.convertValue(status.get("conditions"),
          new com.fasterxml.jackson.core.type.TypeReference<List<Condition>>() { }));
    }
    Long generation = request.getMetadata().getGeneration();
    waiting(conditions, waitingFor, generation);
    status.set("conditions", Serialization.JSON.valueToTree(conditions.conditions));
    status.put("observedGeneration", generation);
    if (!Serialization.sameJson(status, before)) {
      patchStatus.accept(request, status);
      events.normal(request, NOT_INSTALLED, "Promise Requirements are not installed: " + waitingFor);
    }
    return ReconcileQueue.Result.DONE;
  }
}
