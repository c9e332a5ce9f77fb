package dev.tarmac.crossplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.AccessReview;
import dev.tarmac.Events;
import dev.tarmac.StatusChange;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The XRD controller: reconciles Crossplane {@code CompositeResourceDefinition}s as Crossplane's definition and
 * offered controllers do. For each XRD it generates the XR CRD and, with {@code claimNames}, the claim CRD
 * ({@link XrdCrds}), applies them (only CRDs Tarmac generated for this XRD: label
 * {@code app.kubernetes.io/managed-by: tarmac} and annotation {@link XrdCrds#XRD_ANNOTATION}; any other CRD of the same
 * name is left alone, reason {@code CrdNotOwned}), waits until they are Established, starts the XR and claim
 * controllers ({@link CompositeControllers#serve}) and reports, as Crossplane does:
 * <ul>
 *   <li>{@code Established}: True, reason {@code WatchingCompositeResource}, once the XR CRD is served and its
 *       controller runs; False with the problem as reason (e.g. {@code NoReferenceableVersion},
 *       {@code ClaimsNotAllowed}, {@code CrdNotOwned}, {@code WaitingForCRD}) otherwise, and
 *       {@code TerminatingCompositeResource} while the XRD is deleted;</li>
 *   <li>{@code Offered} (XRDs with claims only): True, reason {@code WatchingCompositeResourceClaim}; False as above
 *       and {@code TerminatingCompositeResourceClaim};</li>
 *   <li>{@code status.controllers.compositeResourceType} and {@code compositeResourceClaimType}: {apiVersion,
 *       kind} being reconciled (the referenceable version).</li>
 * </ul>
 * An XRD that cannot be served also gets {@code Synced=False} and a Warning Event, and waits for a change; a passing
 * failure (API server, RBAC for the XR or claim kind not granted yet: reason {@code Forbidden}, naming the chart value
 * {@code crossplane.apis}) is retried with backoff.
 *
 * <p>Deletion (a finalizer), in Crossplane's order: claims are deleted, then XRs (Crossplane deletes every instance of
 * a deleted XRD); while any remain the {@code Established} condition says how many and the XRD waits (polled every
 * second); then the controllers stop ({@link CompositeControllers#stop}), the generated CRDs Tarmac owns are deleted
 * and the finalizer is removed.
 */
@ControllerConfiguration(name = "compositeresourcedefinition")
public final class XrdReconciler implements Reconciler<CompositeResourceDefinition>,
    Cleaner<CompositeResourceDefinition> {

  /** XRD condition: the XR kind is defined and watched. */
  public static final String ESTABLISHED = "Established";
  /** XRD condition: the claim kind is defined and watched. */
  public static final String OFFERED = "Offered";
  /** Reason of {@link #ESTABLISHED} True (Crossplane's). */
  public static final String WATCHING_COMPOSITE = "WatchingCompositeResource";
  /** Reason of {@link #OFFERED} True (Crossplane's). */
  public static final String WATCHING_CLAIM = "WatchingCompositeResourceClaim";
  /** Reason of {@link #ESTABLISHED} False while the XRD is deleted (Crossplane's). */
  public static final String TERMINATING_COMPOSITE = "TerminatingCompositeResource";
  /** Reason of {@link #OFFERED} False while the XRD is deleted (Crossplane's). */
  public static final String TERMINATING_CLAIM = "TerminatingCompositeResourceClaim";
  /** Annotation on a generated CRD: the hash of what the XRD wants it to be, so an unchanged CRD is not rewritten. */
  static final String CRD_HASH = "platform.tarmac.dev/crd-hash";

  private final KubernetesClient client;
  private final CompositeControllers controllers;
  private final Events events;
  private final AccessReview access;

  /**
   * @param client the client
   * @param controllers the XR and claim controllers to start and stop
   * @param events where Events go
   */
  public XrdReconciler(KubernetesClient client, CompositeControllers controllers, Events events) {
    this.client = client;
    this.controllers = controllers;
    this.events = events;
    this.access = new AccessReview(client);
  }

  /** A reconcile that threw: {@code Synced=False}, Event, {@code nextRetryTime} ({@link dev.tarmac.ErrorStatus}). */
  @Override
  public ErrorStatusUpdateControl<CompositeResourceDefinition> updateErrorStatus(CompositeResourceDefinition xrd,
      Context<CompositeResourceDefinition> context, Exception e) {
    return dev.tarmac.ErrorStatus.update(xrd, context, e, events, java.time.Clock.systemUTC());
  }

  @Override
  public UpdateControl<CompositeResourceDefinition> reconcile(CompositeResourceDefinition xrd,
      Context<CompositeResourceDefinition> context) {
    if (xrd.getStatus() == null) {
      xrd.setStatus(new CompositeResourceDefinition.Status());
    }
    var before = StatusChange.snapshot(xrd);
    CompositeResourceDefinition.Status status = xrd.getStatus();
    Long generation = xrd.getMetadata().getGeneration();
    status.observedGeneration = generation;
    status.nextRetryTime = null;
    JsonNode json = Serialization.JSON.valueToTree(xrd);
    boolean claimsWanted = json.path("spec").path("claimNames").isObject();
    try {
      XrdKinds kinds = XrdCrds.kinds(json);
      try {
        checkAccess(kinds.group(), kinds.xrPlural(), "XR");
        if (kinds.offersClaim()) {
          checkAccess(kinds.group(), kinds.claimPlural(), "claim");
        }
      } catch (dev.tarmac.ErrorStatus.RetryLater e) {
        // RBAC may be granted later (a helm upgrade) without a change to the XRD: retried with backoff, Synced,
        // nextRetryTime and the Event written by updateErrorStatus, with these conditions kept.
        Conditions.setFalse(status, ESTABLISHED, e.reason(), e.getMessage(), generation);
        if (claimsWanted) {
          Conditions.setFalse(status, OFFERED, e.reason(), e.getMessage(), generation);
        }
        throw e;
      }
      ObjectNode xrCrd = XrdCrds.compositeCrd(json);
      ObjectNode claimCrd = XrdCrds.claimCrd(json).orElse(null);
      // Ownership of both is checked before either is written.
      CustomResourceDefinition xrExisting = existing(xrCrd, kinds);
      CustomResourceDefinition claimExisting = claimCrd == null ? null : existing(claimCrd, kinds);
      CustomResourceDefinition xrApplied = apply(xrCrd, xrExisting, xrd);
      CustomResourceDefinition claimApplied = claimCrd == null ? null : apply(claimCrd, claimExisting, xrd);
      String xrCrdName = xrCrd.path("metadata").path("name").asText();
      if (!established(xrApplied)) {
        Conditions.setFalse(status, ESTABLISHED, "WaitingForCRD", "CRD " + xrCrdName + " is not Established yet",
            generation);
        // A schedule, not a retry: CRDs are not watched, and the API server establishes one within a second.
        return StatusChange.control(before, xrd).rescheduleAfter(500);
      }
      if (claimCrd != null && !established(claimApplied)) {
        Conditions.setFalse(status, OFFERED, "WaitingForCRD", "CRD " + claimCrd.path("metadata").path("name")
            .asText() + " is not Established yet", generation);
        return StatusChange.control(before, xrd).rescheduleAfter(500);
      }
      controllers.serve(kinds);
      if (status.controllers == null) {
        status.controllers = new CompositeResourceDefinition.Controllers();
      }
      status.controllers.compositeResourceType = new CompositeResourceDefinition.TypeRef(kinds.apiVersion(),
          kinds.xrKind());
      Conditions.setTrue(status, ESTABLISHED, WATCHING_COMPOSITE, "serving " + kinds.xrKind() + " ("
          + kinds.apiVersion() + ", " + (kinds.namespaced() ? "namespaced" : "cluster-scoped") + ") from CRD "
          + xrCrdName, generation);
      if (kinds.offersClaim()) {
        status.controllers.compositeResourceClaimType = new CompositeResourceDefinition.TypeRef(kinds.apiVersion(),
            kinds.claimKind());
        Conditions.setTrue(status, OFFERED, WATCHING_CLAIM, "serving claim " + kinds.claimKind() + " ("
            + kinds.apiVersion() + ", namespaced) from CRD " + kinds.claimPlural() + "." + kinds.group(), generation);
      } else {
        status.controllers.compositeResourceClaimType = null;
        status.conditions.removeIf(c -> OFFERED.equals(c.getType()));
      }
      Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "CRDs applied", generation);
      // A schedule: a generated CRD deleted or changed by hand is put back within a minute (CRDs are not watched).
      return StatusChange.control(before, xrd).rescheduleAfter(60_000);
    } catch (XrdException e) {
      Conditions.setFalse(status, ESTABLISHED, e.reason(), e.getMessage(), generation);
      if (claimsWanted) {
        Conditions.setFalse(status, OFFERED, e.reason(), e.getMessage(), generation);
      }
      Conditions.setFalse(status, Conditions.SYNCED, e.reason(), e.getMessage(), generation);
      UpdateControl<CompositeResourceDefinition> control = StatusChange.control(before, xrd);
      if (control.isPatchStatus()) {
        events.warning(xrd, e.reason(), e.getMessage());
      }
      // Waits for a change of the XRD (or of the CRD's owner, seen at the next periodic look).
      return "CrdNotOwned".equals(e.reason()) ? control.rescheduleAfter(60_000) : control;
    }
  }

  /** Refuses, before any CRD is written, a kind the operator may not reconcile (the chart's crossplane.apis). */
  private void checkAccess(String group, String plural, String what) {
    var denied = access.denied(AccessReview.controllerOf(group, plural));
    if (!denied.isEmpty()) {
      throw new dev.tarmac.ErrorStatus.RetryLater("Forbidden", "the operator may not serve the " + what + " kind "
          + plural + "." + group + " (denied: " + denied.stream().map(AccessReview.Check::toString)
          .collect(Collectors.joining(", ")) + "); add {group: " + group + ", resources: [" + plural + "]} to the"
          + " Helm chart's crossplane.apis value and run helm upgrade, or grant these verbs to the operator's"
          + " ServiceAccount", false);
    }
  }

  private CustomResourceDefinition existing(ObjectNode crd, XrdKinds kinds) {
    String name = crd.path("metadata").path("name").asText();
    CustomResourceDefinition existing = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
    if (existing != null) {
      String notOwned = XrdCrds.notOwned(name, existing.getMetadata().getLabels(),
          existing.getMetadata().getAnnotations(), kinds.xrdName());
      if (notOwned != null) {
        throw new XrdException("CrdNotOwned", notOwned);
      }
    }
    return existing;
  }

  /** Server-side applies {@code crd} unless the existing one carries the same hash; returns what the cluster has. */
  private CustomResourceDefinition apply(ObjectNode crd, CustomResourceDefinition existing,
      CompositeResourceDefinition xrd) {
    String hash = dev.tarmac.pipeline.SpecHash.of(crd);
    ((ObjectNode) crd.with("metadata").with("annotations")).put(CRD_HASH, hash);
    if (existing != null && existing.getMetadata().getAnnotations() != null
        && hash.equals(existing.getMetadata().getAnnotations().get(CRD_HASH))) {
      return existing;
    }
    try {
      CustomResourceDefinition desired = Serialization.JSON.treeToValue(crd, CustomResourceDefinition.class);
      CustomResourceDefinition applied = client.resource(desired).fieldManager("tarmac").forceConflicts()
          .serverSideApply();
      events.normal(xrd, "ApplyCRD", "Applied CustomResourceDefinition " + desired.getMetadata().getName());
      return applied;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new XrdException("InvalidSchema", "the generated CRD is not a CustomResourceDefinition: "
          + e.getOriginalMessage());
    } catch (KubernetesClientException e) {
      if (e.getCode() != 400 && e.getCode() != 422) {
        // Unreachable, conflict, 5xx, 403: passing, retried with backoff (updateErrorStatus).
        throw e;
      }
      throw new XrdException("InvalidSchema", "the API server refused CRD " + crd.path("metadata").path("name")
          .asText() + " generated from this XRD: " + (e.getStatus() == null ? e.getMessage()
          : e.getStatus().getMessage()) + "; fix spec.versions[].schema.openAPIV3Schema");
    }
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  @Override
  public DeleteControl cleanup(CompositeResourceDefinition xrd, Context<CompositeResourceDefinition> context) {
    String name = xrd.getMetadata().getName();
    XrdKinds kinds;
    try {
      kinds = XrdCrds.kinds(Serialization.JSON.valueToTree(xrd));
    } catch (XrdException e) {
      // Never served in this shape: nothing was generated from it that Tarmac could tell apart.
      controllers.stop(name);
      return DeleteControl.defaultDelete();
    }
    if (xrd.getStatus() == null) {
      xrd.setStatus(new CompositeResourceDefinition.Status());
    }
    var before = StatusChange.snapshot(xrd);
    CompositeResourceDefinition.Status status = xrd.getStatus();
    Long generation = xrd.getMetadata().getGeneration();
    int claims = kinds.offersClaim() ? deleteAll(kinds.group(), kinds.version(), kinds.claimKind()) : 0;
    // Claims first: each takes its XR with it (compositeDeletePolicy); XRs without a claim are deleted after.
    int xrs = claims > 0 ? count(kinds.group(), kinds.version(), kinds.xrKind())
        : deleteAll(kinds.group(), kinds.version(), kinds.xrKind());
    if (claims + xrs > 0) {
      String message = "waiting for " + (kinds.offersClaim() ? claims + " " + kinds.claimKind() + " claim(s) and "
          : "") + xrs + " " + kinds.xrKind() + " XR(s) to be deleted";
      Conditions.setFalse(status, ESTABLISHED, TERMINATING_COMPOSITE, message, generation);
      if (kinds.offersClaim()) {
        Conditions.setFalse(status, OFFERED, TERMINATING_CLAIM, message, generation);
      }
      if (StatusChange.changed(before, xrd)) {
        events.normal(xrd, TERMINATING_COMPOSITE, message);
        writeStatus(xrd);
      }
      // A schedule: instances do not wake their XRD; polled every second while they go.
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(1000);
    }
    controllers.stop(name);
    for (String crdName : XrdCrds.crdNames(kinds)) {
      CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().withName(crdName).get();
      if (crd == null) {
        continue;
      }
      if (XrdCrds.notOwned(crdName, crd.getMetadata().getLabels(), crd.getMetadata().getAnnotations(), name)
          == null) {
        client.apiextensions().v1().customResourceDefinitions().withName(crdName).delete();
        events.normal(xrd, TERMINATING_COMPOSITE, "Deleted CustomResourceDefinition " + crdName);
      } else {
        events.warning(xrd, "CrdNotOwned", "CRD " + crdName + " was left in place: it was not generated by Tarmac"
            + " for XRD " + name);
      }
    }
    return DeleteControl.defaultDelete();
  }

  /** Deletes every object of the kind not being deleted already; returns how many remain (0: none, or no CRD). */
  private int deleteAll(String group, String version, String kind) {
    List<GenericKubernetesResource> items = list(group, version, kind);
    for (GenericKubernetesResource item : items) {
      if (item.getMetadata().getDeletionTimestamp() == null) {
        try {
          client.resource(item).delete();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404) {
            throw e;
          }
        }
      }
    }
    return items.size();
  }

  private int count(String group, String version, String kind) {
    return list(group, version, kind).size();
  }

  private List<GenericKubernetesResource> list(String group, String version, String kind) {
    try {
      var served = client.getApiResources(group + "/" + version);
      if (served == null || served.getResources().stream().noneMatch(r -> kind.equals(r.getKind()))) {
        // The kind is not served (its CRD was never made, or is gone): nothing of it can remain.
        return List.of();
      }
      return client.genericKubernetesResources(group + "/" + version, kind).inAnyNamespace().list().getItems();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return List.of();
      }
      throw e;
    } catch (IllegalArgumentException e) {
      // The kind is not served (its CRD is gone): fabric8 cannot resolve it, so there is nothing left.
      return List.of();
    }
  }

  private void writeStatus(CompositeResourceDefinition xrd) {
    try {
      client.resource(xrd).patchStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404 && e.getCode() != 409) {
        throw e;
      }
    }
  }
}
