package dev.tarmac.crossplane;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.ReconcileQueue;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.TarmacStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.List;

/**
 * API calls on XRs and claims read as {@link GenericKubernetesResource}: JSON merge patches of spec, status and
 * finalizers, and conditions kept in a JSON status. Shared by {@link CompositeReconciler} and
 * {@link ClaimReconciler}.
 */
final class XrApi {

  private XrApi() {
  }

  /** The resource of {@code object} in {@code kind}. */
  static Resource<GenericKubernetesResource> resource(KubernetesClient client, ResourceDefinitionContext kind,
      String namespace, String name) {
    // A merge patch through it is one PATCH, without fabric8's read first; get() still reads from the API server.
    return dev.tarmac.PatchTarget.of(client.genericKubernetesResources(kind), kind, namespace, name);
  }

  /** The conditions of a JSON status, as {@link Conditions} works on them. */
  static TarmacStatus conditions(JsonNode status) {
    TarmacStatus s = new TarmacStatus();
    if (status.path("conditions").isArray()) {
      s.conditions = new ArrayList<>(Serialization.JSON.convertValue(status.get("conditions"),
          new TypeReference<List<io.fabric8.kubernetes.api.model.Condition>>() { }));
    }
    return s;
  }

  /** Writes {@code conditions} back into {@code status}. */
  static void putConditions(ObjectNode status, TarmacStatus conditions) {
    status.set("conditions", Serialization.JSON.valueToTree(conditions.conditions));
  }

  /** A JSON merge patch of the status subresource; an object already gone is fine. */
  static void patchStatus(Resource<GenericKubernetesResource> resource, ObjectNode status) {
    ObjectNode body = Serialization.JSON.createObjectNode();
    body.set("status", status);
    try {
      resource.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), body.toString());
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  /** A JSON merge patch of the object (spec or metadata). */
  static void patch(Resource<GenericKubernetesResource> resource, ObjectNode body) {
    resource.patch(PatchContext.of(PatchType.JSON_MERGE), body.toString());
  }

  /** Adds {@code finalizer} (a merge patch of the whole list, guarded by the resource version). */
  static void addFinalizer(Resource<GenericKubernetesResource> resource, GenericKubernetesResource cached,
      String finalizer) {
    List<String> current = cached.getMetadata().getFinalizers() == null ? List.of()
        : cached.getMetadata().getFinalizers();
    if (current.contains(finalizer)) {
      return;
    }
    ArrayNode list = Serialization.JSON.createArrayNode();
    current.forEach(list::add);
    list.add(finalizer);
    ObjectNode body = Serialization.JSON.createObjectNode();
    ObjectNode meta = body.putObject("metadata");
    meta.put("resourceVersion", cached.getMetadata().getResourceVersion());
    meta.set("finalizers", list);
    patch(resource, body);
  }

  /** Removes {@code finalizer}; a 404 or a 409 (changed meanwhile: the next reconcile does it) is fine. */
  static void removeFinalizer(Resource<GenericKubernetesResource> resource, GenericKubernetesResource cached,
      String finalizer) {
    List<String> current = cached.getMetadata().getFinalizers();
    if (current == null || !current.contains(finalizer)) {
      return;
    }
    ArrayNode list = Serialization.JSON.createArrayNode();
    current.stream().filter(f -> !f.equals(finalizer)).forEach(list::add);
    ObjectNode body = Serialization.JSON.createObjectNode();
    ObjectNode meta = body.putObject("metadata");
    meta.put("resourceVersion", cached.getMetadata().getResourceVersion());
    meta.set("finalizers", list);
    try {
      patch(resource, body);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404 && e.getCode() != 409) {
        throw e;
      }
    }
  }

  /** True when the object carries {@code finalizer}. */
  static boolean hasFinalizer(GenericKubernetesResource o, String finalizer) {
    return o.getMetadata().getFinalizers() != null && o.getMetadata().getFinalizers().contains(finalizer);
  }

  /** The message of a refused API call: the API server's, else the exception's. */
  static String message(KubernetesClientException e) {
    return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
        : e.getMessage();
  }

  /**
   * Records bad input on a claim or XR (only a change of it, or of a Composition, can fix it): {@code Synced=False}
   * (reason {@code ReconcileError}, message {@code <reason>: <message>}), {@code Ready=False} ({@code Unavailable},
   * {@code readyMessage}), written and announced by a Warning Event only when the status changes. Not retried.
   *
   * @param status the status being built (changed here)
   * @param before the status as read, to compare with
   */
  static ReconcileQueue.Result failed(GenericKubernetesResource cached, Resource<GenericKubernetesResource> self,
      ObjectNode status, JsonNode before, String reason, String message, String readyMessage,
      dev.tarmac.Events events) {
    org.slf4j.LoggerFactory.getLogger(XrApi.class).warn("{} {}: {}: {}", cached.getKind(),
        cached.getMetadata().getName(), reason, message);
    Long generation = cached.getMetadata().getGeneration();
    TarmacStatus conditions = conditions(status);
    Conditions.setFalse(conditions, Conditions.SYNCED, "ReconcileError", reason + ": " + message, generation);
    Conditions.setFalse(conditions, Conditions.READY, "Unavailable", readyMessage, generation);
    putConditions(status, conditions);
    if (!Serialization.sameJson(status, before)) {
      patchStatus(self, status);
      events.warning(cached, reason, message);
    }
    return ReconcileQueue.Result.DONE;
  }
}
