package dev.tarmac.crossplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.Events;
import dev.tarmac.LogContext;
import dev.tarmac.ReconcileQueue;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.TarmacStatus;
import dev.tarmac.composition.Composer;
import dev.tarmac.promise.RequestController;
import dev.tarmac.secrets.ConnectionSecretAccess;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reconciles one claim, as Crossplane's claim controller does ("Claims"): creates its cluster-scoped XR (named by
 * {@link CompositeRules#xrName}, spec copied by {@link CompositeRules#xrSpec}, Crossplane's claim labels, the claim's
 * own labels and annotations), points the claim's {@code spec.resourceRef} at it, copies the XR's chosen
 * {@code compositionRef} back when the claim names none, copies the XR's status and Ready condition onto the claim
 * ({@link CompositeRules#claimStatus}) and the XR's connection Secret to the claim's
 * {@code spec.writeConnectionSecretToRef} in the claim's namespace. Deleting a claim (finalizer
 * {@value #FINALIZER}) deletes its XR: {@code compositeDeletePolicy: Background} removes the finalizer at once,
 * {@code Foreground} waits until the XR is gone (its own finalizer waits for its composed resources).
 *
 * <p>Failures: an XR of that name belonging to another claim, or a connection Secret Tarmac may not write, is
 * {@code Synced=False} and an Event; passing failures are thrown and retried by the queue with backoff.
 */
final class ClaimReconciler implements RequestController.Reconciler {

  /** The claim's finalizer, Crossplane's name for it. */
  static final String FINALIZER = "finalizer.apiextensions.crossplane.io";

  private static final Duration DELETE_POLL = Duration.ofSeconds(2);

  private final Composer composer;
  private final Events events;
  private final ConnectionSecretAccess secrets;
  private final XrdKinds kinds;
  private final ResourceDefinitionContext claimContext;
  private final ResourceDefinitionContext xrContext;

  ClaimReconciler(Composer composer, Events events, ConnectionSecretAccess secrets, XrdKinds kinds) {
    this.composer = composer;
    this.events = events;
    this.secrets = secrets;
    this.kinds = kinds;
    this.claimContext = CompositeControllers.claimContext(kinds);
    this.xrContext = CompositeControllers.xrContext(kinds);
  }

  @Override
  public ReconcileQueue.Result reconcile(GenericKubernetesResource cached) {
    var meta = cached.getMetadata();
    if (meta.getAnnotations() != null && "true".equals(meta.getAnnotations().get(CompositeReconciler.PAUSED))) {
      return ReconcileQueue.Result.DONE;
    }
    try (LogContext ignored = LogContext.of(cached)) {
      Resource<GenericKubernetesResource> self = XrApi.resource(composer.client(), claimContext,
          meta.getNamespace(), meta.getName());
      ObjectNode claim = Serialization.JSON.valueToTree(cached);
      String xrName = claim.path("spec").path("resourceRef").path("name").asText("");
      if (xrName.isEmpty()) {
        xrName = CompositeRules.xrName(meta.getNamespace(), meta.getName(), meta.getUid());
      }
      Resource<GenericKubernetesResource> xrResource = XrApi.resource(composer.client(), xrContext, null, xrName);
      if (meta.getDeletionTimestamp() != null) {
        return deleting(cached, claim, self, xrResource);
      }
      XrApi.addFinalizer(self, cached, FINALIZER);
      ObjectNode status = claim.path("status").isObject() ? (ObjectNode) claim.get("status").deepCopy()
          : Serialization.JSON.createObjectNode();
      JsonNode before = status.deepCopy();
      Long generation = meta.getGeneration();

      GenericKubernetesResource existing = xrResource.get();
      JsonNode existingJson = existing == null ? null : Serialization.JSON.valueToTree(existing);
      if (existingJson != null && !CompositeRules.claimOwns(claim, existingJson)) {
        JsonNode other = existingJson.path("spec").path("claimRef");
        return failed(cached, self, status, before, "CompositeConflict", kinds.xrKind() + " " + xrName
            + (other.isObject() ? " belongs to another claim (" + other.path("namespace").asText() + "/"
            + other.path("name").asText() + ")" : " exists without a claim; a claim binds an existing XR only when"
            + " the XR's spec.claimRef names it (set by whoever may edit the XR)")
            + ": point spec.resourceRef at an XR of this claim or remove it");
      }
      ObjectNode spec = CompositeRules.xrSpec(claim, existingJson == null ? null : existingJson.path("spec"));
      boolean wantsSecret = !claim.path("spec").path("writeConnectionSecretToRef").path("name").asText("")
          .isEmpty();
      if (wantsSecret && !spec.has("writeConnectionSecretToRef")) {
        // The XR's Secret, in the claim's namespace (docs/crossplane.md), named by the claim's UID.
        spec.putObject("writeConnectionSecretToRef").put("name", meta.getUid())
            .put("namespace", meta.getNamespace());
      }
      ObjectNode desired = Serialization.JSON.createObjectNode();
      desired.put("apiVersion", kinds.apiVersion()).put("kind", kinds.xrKind());
      ObjectNode xrMeta = desired.putObject("metadata");
      xrMeta.put("name", xrName);
      ObjectNode labels = xrMeta.putObject("labels");
      if (meta.getLabels() != null) {
        meta.getLabels().forEach(labels::put);
      }
      labels.put(CrossplaneFields.CLAIM_NAME, meta.getName());
      labels.put(CrossplaneFields.CLAIM_NAMESPACE, meta.getNamespace());
      if (meta.getAnnotations() != null) {
        ObjectNode annotations = xrMeta.putObject("annotations");
        meta.getAnnotations().forEach((k, v) -> {
          if (!k.equals("kubectl.kubernetes.io/last-applied-configuration")) {
            annotations.put(k, v);
          }
        });
      }
      desired.set("spec", spec);
      boolean changed = existingJson == null || !Serialization.sameJson(spec, existingJson.path("spec"))
          || !containsAll(existingJson.path("metadata").path("labels"), labels);
      if (changed) {
        GenericKubernetesResource xr = Serialization.JSON.convertValue(desired, GenericKubernetesResource.class);
        existing = composer.client().genericKubernetesResources(xrContext).resource(xr)
            .fieldManager(Composer.FIELD_MANAGER).forceConflicts().serverSideApply();
        if (existingJson == null) {
          events.normal(cached, "CreatedCompositeResource", "created composite resource " + xrName);
        }
        existingJson = Serialization.JSON.valueToTree(existing);
      }

      // The claim's spec: resourceRef, and the Composition the XR chose when the claim named none.
      ObjectNode claimPatch = Serialization.JSON.createObjectNode();
      ObjectNode resourceRef = Serialization.JSON.createObjectNode();
      resourceRef.put("apiVersion", kinds.apiVersion()).put("kind", kinds.xrKind()).put("name", xrName);
      if (!Serialization.sameJson(resourceRef, claim.path("spec").path("resourceRef"))) {
        claimPatch.set("resourceRef", resourceRef);
      }
      JsonNode chosen = existingJson.path("spec").path("compositionRef");
      if (chosen.path("name").isTextual() && claim.path("spec").path("compositionRef").path("name").asText("")
          .isEmpty()) {
        claimPatch.set("compositionRef", chosen.deepCopy());
      }
      if (!claimPatch.isEmpty()) {
        ObjectNode body = Serialization.JSON.createObjectNode();
        body.set("spec", claimPatch);
        XrApi.patch(self, body);
      }

      // The claim's status and connection Secret, from the XR.
      JsonNode xrStatus = existingJson.path("status");
      ObjectNode next = CompositeRules.claimStatus(xrStatus, status);
      TarmacStatus conditions = XrApi.conditions(next);
      var xrSynced = Conditions.find(xrStatus, Conditions.SYNCED);
      if (xrSynced.isPresent() && "False".equals(xrSynced.get().path("status").asText())) {
        Conditions.setFalse(conditions, Conditions.SYNCED, xrSynced.get().path("reason").asText("ReconcileError"),
            "composite resource " + xrName + ": " + xrSynced.get().path("message").asText(), generation);
      } else {
        Conditions.setTrue(conditions, Conditions.SYNCED, "ReconcileSuccess", "composite resource " + xrName
            + " is up to date", generation);
      }
      if (Conditions.find(xrStatus, Conditions.READY).isEmpty()) {
        Conditions.setFalse(conditions, Conditions.READY, "Creating", "waiting for composite resource " + xrName,
            generation);
      }
      if (wantsSecret) {
        String why = copySecret(cached, claim, existingJson);
        if (why != null) {
          Conditions.setFalse(conditions, Conditions.SYNCED, "SecretNamespaceNotAllowed", why, generation);
          events.warning(cached, "SecretNamespaceNotAllowed", why);
        }
      }
      XrApi.putConditions(next, conditions);
      if (!Serialization.sameJson(next, before)) {
        XrApi.patchStatus(self, next);
      }
      return ReconcileQueue.Result.DONE;
    }
  }

  /** True when the XR's claimRef is this claim, or it names none. */
  private static boolean containsAll(JsonNode have, JsonNode want) {
    var it = want.fields();
    while (it.hasNext()) {
      var e = it.next();
      if (!e.getValue().asText().equals(have.path(e.getKey()).asText(null))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Copies the XR's connection Secret to the claim's {@code spec.writeConnectionSecretToRef}; returns why it may
   * not, or null. Nothing to copy until the XR's Secret exists.
   */
  private String copySecret(GenericKubernetesResource cached, JsonNode claim, JsonNode xr) {
    String ns = cached.getMetadata().getNamespace();
    String why = secrets.access().refuseConnectionSecret(ns, null, "spec.writeConnectionSecretToRef");
    if (why != null) {
      return why;
    }
    JsonNode from = xr.path("spec").path("writeConnectionSecretToRef");
    String fromNs = from.path("namespace").asText(ns);
    if (from.path("name").asText("").isEmpty()) {
      return null;
    }
    if (!fromNs.equals(ns)) {
      return "composite resource " + xr.path("metadata").path("name").asText() + " writes its connection Secret to"
          + " namespace " + fromNs + ", but a claim's connection Secret is copied only within the claim's namespace "
          + ns + ": remove spec.writeConnectionSecretToRef from the XR so Tarmac sets it";
    }
    secrets.ensure(ns);
    var data = composer.secretData(fromNs, from.path("name").asText());
    if (data.isEmpty()) {
      return null;
    }
    var meta = cached.getMetadata();
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(CrossplaneFields.CLAIM_NAME, meta.getName());
    labels.put(CrossplaneFields.CLAIM_NAMESPACE, ns);
    composer.writeSecret(ns, claim.path("spec").path("writeConnectionSecretToRef").path("name").asText(),
        data.get(), labels, new OwnerReferenceBuilder().withApiVersion(cached.getApiVersion())
            .withKind(cached.getKind()).withName(meta.getName()).withUid(meta.getUid()).withController(true)
            .build(), CompositeReconciler.SECRET_TYPE);
    return null;
  }

  private ReconcileQueue.Result failed(GenericKubernetesResource cached, Resource<GenericKubernetesResource> self,
      ObjectNode status, JsonNode before, String reason, String message) {
    // Not retried: bad input waits for a change of the object or of a Composition (both watched).
    return XrApi.failed(cached, self, status, before, reason, message, message, events);
  }

  /**
   * Deletes the claim's XR (background propagation: the XR's own finalizer deletes its composed resources), then,
   * with {@code compositeDeletePolicy: Foreground}, waits until the XR is gone; deletes the claim's connection
   * Secret; removes the finalizer.
   */
  private ReconcileQueue.Result deleting(GenericKubernetesResource cached, JsonNode claim,
      Resource<GenericKubernetesResource> self, Resource<GenericKubernetesResource> xrResource) {
    if (!XrApi.hasFinalizer(cached, FINALIZER)) {
      return ReconcileQueue.Result.DONE;
    }
    String policy = claim.path("spec").path("compositeDeletePolicy").asText(
        kinds.defaultCompositeDeletePolicy() == null ? "Background" : kinds.defaultCompositeDeletePolicy());
    GenericKubernetesResource xr = xrResource.get();
    if (xr != null && CompositeRules.claimOwns(claim, Serialization.JSON.valueToTree(xr))) {
      if (xr.getMetadata().getDeletionTimestamp() == null) {
        xrResource.delete();
      }
      if ("Foreground".equals(policy)) {
        return ReconcileQueue.Result.after(DELETE_POLL);
      }
    }
    String secretName = claim.path("spec").path("writeConnectionSecretToRef").path("name").asText("");
    String ns = cached.getMetadata().getNamespace();
    if (!secretName.isEmpty() && secrets.access().refuseConnectionSecret(ns, null, "") == null) {
      try {
        var secret = composer.client().secrets().inNamespace(ns).withName(secretName);
        var live = secret.get();
        if (live != null && live.getMetadata().getOwnerReferences() != null && live.getMetadata()
            .getOwnerReferences().stream().anyMatch(o -> cached.getMetadata().getUid().equals(o.getUid()))) {
          secret.delete();
        }
      } catch (KubernetesClientException e) {
        if (e.getCode() != 403) {
          throw e;
        }
      }
    }
    XrApi.removeFinalizer(self, cached, FINALIZER);
    return ReconcileQueue.Result.DONE;
  }
}
