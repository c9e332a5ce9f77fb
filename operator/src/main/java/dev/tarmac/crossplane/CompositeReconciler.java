package dev.tarmac.crossplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.Events;
import dev.tarmac.LogContext;
import dev.tarmac.ReconcileQueue;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.TarmacStatus;
import dev.tarmac.api.Work;
import dev.tarmac.composition.Composer;
import dev.tarmac.composition.CompositionEngine;
import dev.tarmac.composition.CompositionException;
import dev.tarmac.composition.ConnectionSecret;
import dev.tarmac.pipeline.WorkflowRunner;
import dev.tarmac.promise.RequestController;
import dev.tarmac.secrets.ConnectionSecretAccess;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reconciles one composite resource (XR) of a kind an XRD defines, as Crossplane's XR controller does ("Composite
 * Resources", "Compositions"): chooses its Composition ({@link CompositeRules#choose}) and writes the name to
 * {@code compositionRef}, composes it with {@link CompositionEngine}, applies each composed resource whose kind the
 * cluster serves (server-side apply, controller owner reference where Kubernetes allows one, Crossplane's labels)
 * and writes the others to Git in one Work, deletes composed resources no longer composed, writes the connection
 * Secret, {@code resourceRefs}, the ToCompositeFieldPath results, {@code status.tarmac} and the conditions
 * {@code Synced} (ReconcileSuccess, ReconcileError) and {@code Ready} (Available, Creating, Unavailable). Deleting an
 * XR deletes its composed resources and its Work, and waits until the cluster ones are gone before its finalizer
 * goes.
 *
 * <p>Failures: bad input (no Composition, several and nothing choosing, a patch that cannot apply, a function
 * Tarmac does not run, a composed resource the API server refuses with 400/422, a Secret namespace not allowed) sets
 * {@code Synced=False} and {@code Ready=False} with a message saying what to change, and an Event; the XR waits for
 * a change of itself or of a Composition. A 403 is retried every 30 s (a helm upgrade grants it); other failures are
 * thrown and retried by the {@link ReconcileQueue} with backoff, after {@code Synced=False} says why.
 */
final class CompositeReconciler implements RequestController.Reconciler {

  /** The XR's finalizer, Crossplane's name for it. */
  static final String FINALIZER = "composite.apiextensions.crossplane.io";
  /** Crossplane's annotation that pauses reconciliation. */
  static final String PAUSED = "crossplane.io/paused";
  /** Composition annotation (Tarmac's): {@code k=v,k2=v2}, the labels of the Destinations its Works go to. */
  static final String DESTINATION_LABELS = "platform.tarmac.dev/destination-labels";
  /** Type of the connection Secrets, Crossplane's. */
  static final String SECRET_TYPE = "connection.crossplane.io/v1alpha1";

  private static final Duration READINESS_POLL = Duration.ofSeconds(10);
  private static final Duration DELETE_POLL = Duration.ofSeconds(2);

  private final Composer composer;
  private final Events events;
  private final ConnectionSecretAccess secrets;
  private final String operatorNamespace;
  private final XrdKinds kinds;
  private final ResourceDefinitionContext context;
  private final Supplier<List<JsonNode>> compositions;

  /**
   * @param composer the cluster side of composition
   * @param events where Events go
   * @param secrets connection Secret access
   * @param operatorNamespace where standalone cluster-scoped XRs' Works and connection Secrets go
   * @param kinds the XRD's kinds
   * @param compositions every Crossplane Composition (an informer's cache)
   */
  CompositeReconciler(Composer composer, Events events, ConnectionSecretAccess secrets, String operatorNamespace,
      XrdKinds kinds, Supplier<List<JsonNode>> compositions) {
    this.composer = composer;
    this.events = events;
    this.secrets = secrets;
    this.operatorNamespace = operatorNamespace;
    this.kinds = kinds;
    this.context = CompositeControllers.xrContext(kinds);
    this.compositions = compositions;
  }

  /** Where one composed resource goes. */
  private record Placement(CompositionEngine.Composed composed, boolean cluster, String namespace,
      OwnerReference owner) {
    String apiVersion() {
      return composed.resource().path("apiVersion").asText();
    }

    String kind() {
      return composed.resource().path("kind").asText();
    }

    String name() {
      return composed.resource().path("metadata").path("name").asText();
    }
  }

  @Override
  public ReconcileQueue.Result reconcile(GenericKubernetesResource cached) {
    var meta = cached.getMetadata();
    if (meta.getAnnotations() != null && "true".equals(meta.getAnnotations().get(PAUSED))) {
      return ReconcileQueue.Result.DONE;
    }
    try (LogContext ignored = LogContext.of(cached)) {
      Resource<GenericKubernetesResource> self = XrApi.resource(composer.client(), context, meta.getNamespace(),
          meta.getName());
      if (meta.getDeletionTimestamp() != null) {
        return deleting(cached, self);
      }
      XrApi.addFinalizer(self, cached, FINALIZER);
      ObjectNode xr = Serialization.JSON.valueToTree(cached);
      ObjectNode status = xr.path("status").isObject() ? (ObjectNode) xr.get("status").deepCopy()
          : Serialization.JSON.createObjectNode();
      JsonNode before = status.deepCopy();
      try {
        return compose(cached, self, xr, status, before);
      } catch (CompositionException e) {
        return failed(cached, self, status, before, e.reason(), e.getMessage());
      } catch (KubernetesClientException e) {
        String message = XrApi.message(e);
        if (e.getCode() == 400 || e.getCode() == 422) {
          return failed(cached, self, status, before, "ApplyFailed", "the API server refused a composed resource: "
              + message + "; change the " + (claimNamespace(xr) == null ? "XR" : "claim") + " or its Composition");
        }
        if (e.getCode() == 403) {
          failed(cached, self, status, before, "Forbidden", message + "; the operator's ServiceAccount needs that"
              + " verb: add the composed kind's group and plural to the Helm chart's compositionResources (for a"
              + " connection Secret, the namespace to rbac.secretNamespaces) and run helm upgrade");
          return ReconcileQueue.Result.after(Duration.ofSeconds(30));
        }
        passing(self, status, before, cached.getMetadata().getGeneration(), message);
        throw e;
      }
    }
  }

  private ReconcileQueue.Result compose(GenericKubernetesResource cached, Resource<GenericKubernetesResource> self,
      ObjectNode xr, ObjectNode status, JsonNode before) {
    Long generation = cached.getMetadata().getGeneration();
    String xrName = cached.getMetadata().getName();
    CompositeRules.Choice choice = CompositeRules.choose(xr, kinds, compositions.get());
    JsonNode compositionSpec = choice.composition().path("spec");
    ObjectNode fields = crossplaneFields(xr);
    ObjectNode specPatch = Serialization.JSON.createObjectNode();
    if (!choice.name().equals(fields.path("compositionRef").path("name").asText())) {
      specPatch.putObject("compositionRef").put("name", choice.name());
      fields.putObject("compositionRef").put("name", choice.name());
    }
    String ownNamespace = ownNamespace(xr);
    SecretRef secretRef = secretRef(xr, cached, compositionSpec, ownNamespace);
    if (secretRef != null && secretRef.defaulted()) {
      ObjectNode ref = specPatch.putObject("writeConnectionSecretToRef");
      ref.put("name", secretRef.name()).put("namespace", secretRef.namespace());
      fields.set("writeConnectionSecretToRef", ref.deepCopy());
    }

    var first = CompositionEngine.compose(xr, compositionSpec, Map.of(), Map.of());
    List<Placement> firstPlan = plan(xr, first.resources());
    secretAccess(ownNamespace, secretRef, firstPlan);
    Map<String, JsonNode> observed = new HashMap<>();
    Map<String, Map<String, String>> observedConnection = new HashMap<>();
    for (Placement p : firstPlan) {
      if (p.cluster()) {
        composer.observe(p.namespace(), p.composed().resource()).ifPresent(o -> observed.put(p.composed().name(), o));
        composer.composedConnectionSecret(ownNamespace, p.composed().resource())
            .ifPresent(d -> observedConnection.put(p.composed().name(), d));
      } else {
        // Tarmac never reads back what it wrote to Git: such a resource is observed as written, so
        // ToCompositeFieldPath patches of fields the Composition set reach the XR (its readiness is the Work's).
        observed.put(p.composed().name(), p.composed().resource().deepCopy());
      }
    }
    var result = CompositionEngine.compose(xr, compositionSpec, observed, observedConnection);
    List<Placement> plan = plan(xr, result.resources());

    for (Placement p : plan) {
      if (p.cluster()) {
        composer.apply(p.composed().resource(), p.namespace(), p.owner());
      }
    }
    List<Placement> toGit = plan.stream().filter(p -> !p.cluster()).toList();
    String workNamespace = ownNamespace;
    String workName = workName(xrName);
    Work work = null;
    if (!toGit.isEmpty()) {
      work = writeWork(cached, xr, choice, workNamespace, workName, toGit);
    } else if (!previous(status, false).isEmpty()) {
      composer.deleteWork(workNamespace, workName);
    }
    prune(status, plan);

    boolean secretWritten = secretRef != null && connectionSecret(cached, secretRef, result);

    // Spec: the chosen Composition, the defaulted connection Secret, the composed resources (Crossplane keeps all
    // three in the XR's spec).
    ArrayNode refs = Serialization.JSON.createArrayNode();
    for (Placement p : plan) {
      ObjectNode r = refs.addObject();
      r.put("apiVersion", p.apiVersion()).put("kind", p.kind()).put("name", p.name());
      String ns = p.cluster() ? p.namespace() : p.composed().resource().path("metadata").path("namespace")
          .asText(null);
      if (ns != null) {
        r.put("namespace", ns);
      }
    }
    if (!Serialization.sameJson(refs, fields.path("resourceRefs"))) {
      specPatch.set("resourceRefs", refs);
    }
    if (!specPatch.isEmpty()) {
      ObjectNode body = Serialization.JSON.createObjectNode();
      if (kinds.legacyFields()) {
        body.set("spec", specPatch);
      } else {
        body.putObject("spec").set("crossplane", specPatch);
      }
      XrApi.patch(self, body);
    }

    // Status: ToCompositeFieldPath results, status.tarmac, connection details, conditions.
    result.composite().path("status").fields().forEachRemaining(e -> status.set(e.getKey(), e.getValue()));
    Composer.Publication published = toGit.isEmpty() ? null
        : Composer.publication(work, toGit.size() + " composed resource(s)");
    ObjectNode tarmac = status.putObject(CrossplaneFields.STATUS_TARMAC);
    tarmac.put("composition", choice.name());
    ArrayNode resources = tarmac.putArray("resources");
    List<String> waiting = new ArrayList<>();
    for (Placement p : plan) {
      ObjectNode r = resources.addObject();
      r.put("name", p.composed().name()).put("apiVersion", p.apiVersion()).put("kind", p.kind())
          .put("resourceName", p.name());
      boolean ready;
      String message;
      if (p.cluster()) {
        if (p.namespace() != null) {
          r.put("namespace", p.namespace());
        }
        r.put("target", "Cluster");
        ready = p.composed().ready();
        message = ready ? "ready" : p.composed().message();
        if (!ready) {
          waiting.add(p.kind() + " " + p.name() + ": " + message);
        }
      } else {
        String ns = p.composed().resource().path("metadata").path("namespace").asText(null);
        if (ns != null) {
          r.put("namespace", ns);
        }
        r.put("target", "Destinations");
        ready = published.ready();
        message = published.message();
        r.put("work", workName).put("workNamespace", workNamespace);
      }
      r.put("ready", ready).put("message", message);
    }
    if (secretRef != null) {
      ObjectNode cd = status.with("connectionDetails");
      if (!cd.has("lastPublishedTime") || secretWritten) {
        cd.put("lastPublishedTime", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
      }
    }
    TarmacStatus conditions = XrApi.conditions(status);
    String gitText = toGit.isEmpty() ? "" : "; " + toGit.size() + " written to Git by Work " + workNamespace + "/"
        + workName + " because the cluster does not serve their kinds (" + String.join(", ", toGit.stream()
            .map(p -> p.kind() + " " + p.name()).toList()) + ")";
    String manual = "Manual".equals(fields.path("compositionUpdatePolicy").asText()) ? "; compositionUpdatePolicy"
        + " Manual is treated as Automatic: Tarmac has no CompositionRevisions, so Composition changes apply at once"
        : "";
    Conditions.setTrue(conditions, Conditions.SYNCED, "ReconcileSuccess", "Composition " + choice.name()
        + " (chosen by " + choice.how() + ") applied: " + (plan.size() - toGit.size()) + " composed resource(s) in"
        + " the cluster" + gitText + manual, generation);
    CompositeRules.Readiness readiness = CompositeRules.readiness(waiting, published, toGit.isEmpty() ? null
        : toGit.size() + " written to Git by Work " + workNamespace + "/" + workName);
    Conditions.set(conditions, Conditions.READY, readiness.ready(), readiness.reason(), readiness.message(),
        generation);
    XrApi.putConditions(status, conditions);
    if (!Serialization.sameJson(status, before)) {
      XrApi.patchStatus(self, status);
    }
    // A schedule, not a retry: composed resources in the cluster are not watched, so their readiness is polled
    // until all are ready; Works are watched.
    return waiting.isEmpty() || toGit.size() == plan.size() ? ReconcileQueue.Result.DONE
        : ReconcileQueue.Result.after(READINESS_POLL);
  }

  /** The object holding the XR's Crossplane fields ({@code spec} or {@code spec.crossplane}), created if absent. */
  private ObjectNode crossplaneFields(ObjectNode xr) {
    ObjectNode spec = xr.with("spec");
    return kinds.legacyFields() ? spec : spec.with("crossplane");
  }

  /** The claim's namespace, from {@code spec.claimRef} or the claim-namespace label; null for a standalone XR. */
  private String claimNamespace(JsonNode xr) {
    String ns = xr.path("spec").path("claimRef").path("namespace").asText("");
    if (ns.isEmpty()) {
      ns = xr.path("metadata").path("labels").path(CrossplaneFields.CLAIM_NAMESPACE).asText("");
    }
    return ns.isEmpty() ? null : ns;
  }

  /**
   * The namespace an XR's Work and connection Secret live in: a namespaced XR's own; a claimed XR's claim's; else
   * the operator's.
   */
  private String ownNamespace(JsonNode xr) {
    if (kinds.namespaced()) {
      return xr.path("metadata").path("namespace").asText();
    }
    String claim = claimNamespace(xr);
    return claim != null ? claim : operatorNamespace;
  }

  /**
   * Names, labels and places the composed resources: default name {@code <xr>-<template>}, Crossplane's labels and
   * annotation; a kind the cluster serves goes to the cluster (namespaced kinds in the XR's namespace for a
   * namespaced XR, else the base's {@code metadata.namespace}, else the claim's), any other to Git.
   *
   * @throws CompositionException {@code NamespaceRequired} for a namespaced composed kind of a standalone
   *     cluster-scoped XR whose base names no namespace
   */
  private List<Placement> plan(JsonNode xr, List<CompositionEngine.Composed> composed) {
    String xrName = xr.path("metadata").path("name").asText();
    String xrNamespace = xr.path("metadata").path("namespace").asText(null);
    String claimNamespace = claimNamespace(xr);
    String claimName = xr.path("spec").path("claimRef").path("name").asText(
        xr.path("metadata").path("labels").path(CrossplaneFields.CLAIM_NAME).asText(""));
    OwnerReference owner = Composer.controllerRef(xr.path("apiVersion").asText(), xr.path("kind").asText(), xrName,
        xr.path("metadata").path("uid").asText());
    List<Placement> out = new ArrayList<>();
    for (var c : composed) {
      ObjectNode meta = c.resource().with("metadata");
      if (!meta.hasNonNull("name") || meta.path("name").asText().isEmpty()) {
        meta.put("name", CompositeRules.composedName(xrName, c.name()));
      }
      ObjectNode labels = meta.with("labels");
      labels.put(CrossplaneFields.COMPOSITE, xrName);
      if (claimNamespace != null && !claimName.isEmpty()) {
        labels.put(CrossplaneFields.CLAIM_NAME, claimName);
        labels.put(CrossplaneFields.CLAIM_NAMESPACE, claimNamespace);
      }
      labels.put(Labels.MANAGED_BY, "tarmac");
      meta.with("annotations").put(CrossplaneFields.COMPOSITION_RESOURCE_NAME, c.name());
      String apiVersion = c.resource().path("apiVersion").asText();
      String kind = c.resource().path("kind").asText();
      if (apiVersion.isEmpty() || kind.isEmpty()) {
        throw new CompositionException("CompositionInvalid", "resource " + c.name() + " has no apiVersion or kind"
            + " in its base: complete the base");
      }
      Optional<Boolean> served = composer.servedNamespaced(apiVersion, kind);
      if (served.isEmpty()) {
        if (kinds.namespaced()) {
          meta.put("namespace", xrNamespace);
        }
        out.add(new Placement(c, false, null, null));
        continue;
      }
      String namespace = null;
      if (served.get()) {
        if (kinds.namespaced()) {
          namespace = xrNamespace;
        } else if (!meta.path("namespace").asText("").isEmpty()) {
          namespace = meta.path("namespace").asText();
        } else if (claimNamespace != null) {
          namespace = claimNamespace;
        } else {
          throw new CompositionException("NamespaceRequired", "resource " + c.name() + " is a namespaced " + kind
              + " but the XR is cluster-scoped and has no claim: set metadata.namespace in the resource's base (or"
              + " patch it from the XR)");
        }
      }
      meta.remove("namespace");
      // A namespaced XR cannot own a cluster-scoped object: labelled only, and deleted explicitly.
      boolean ownable = !kinds.namespaced() || served.get();
      out.add(new Placement(c, true, namespace, ownable ? owner : null));
    }
    return out;
  }

  /** The Work of an XR's composed resources that go to Git. */
  static String workName(String xrName) {
    return xrName + "-composed";
  }

  private Work writeWork(GenericKubernetesResource cached, JsonNode xr, CompositeRules.Choice choice,
      String namespace, String workName, List<Placement> toGit) {
    var meta = cached.getMetadata();
    List<Selector> selectors = new ArrayList<>();
    String wanted = choice.composition().path("metadata").path("annotations").path(DESTINATION_LABELS).asText("");
    if (!wanted.isBlank()) {
      Selector s = new Selector();
      s.matchLabels = new LinkedHashMap<>();
      for (String pair : wanted.split(",")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new CompositionException("CompositionInvalid", "Composition " + choice.name() + " annotation "
              + DESTINATION_LABELS + " must be key=value pairs separated by commas, not '" + wanted + "'");
        }
        s.matchLabels.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
      selectors.add(s);
    }
    var owner = new WorkflowRunner.Owner(xr, cached.getApiVersion(), cached.getKind(), meta.getNamespace(),
        meta.getName(), meta.getUid(), labelValue("composition-" + choice.name()), "resource", namespace, null,
        selectors);
    // Crossplane Compositions have no outputPolicy: the platform team writes every composed resource, an XR or claim
    // only fills the Composition's patches (docs/crossplane.md).
    return composer.writeWork(owner, workName, toGit.stream().map(Placement::composed).toList(), null, null, null);
  }

  /** {@code value} cut to a label value's 63 characters, ending in a letter or digit. */
  static String labelValue(String value) {
    String v = value.length() > 63 ? value.substring(0, 63) : value;
    return v.replaceAll("[^A-Za-z0-9]+$", "");
  }

  /** The composed resources the last reconcile recorded: those in the cluster ({@code cluster}) or in Git. */
  private static List<JsonNode> previous(JsonNode status, boolean cluster) {
    List<JsonNode> out = new ArrayList<>();
    status.path(CrossplaneFields.STATUS_TARMAC).path("resources").forEach(r -> {
      if ("Cluster".equals(r.path("target").asText()) == cluster) {
        out.add(r);
      }
    });
    return out;
  }

  /** Deletes composed resources in the cluster that the Composition no longer composes. */
  private void prune(JsonNode status, List<Placement> plan) {
    for (JsonNode p : previous(status, true)) {
      boolean still = plan.stream().anyMatch(x -> x.cluster() && x.kind().equals(p.path("kind").asText())
          && x.name().equals(p.path("resourceName").asText())
          && java.util.Objects.equals(x.namespace(), p.path("namespace").asText(null)));
      if (!still) {
        composer.delete(p.path("apiVersion").asText(), p.path("kind").asText(), p.path("namespace").asText(null),
            p.path("resourceName").asText());
      }
    }
  }

  /**
   * Where the XR's connection Secret goes.
   *
   * @param defaulted true when the XR's spec names none and this is the default to write back
   */
  private record SecretRef(String name, String namespace, boolean defaulted) {
  }

  /**
   * The XR's connection Secret: {@code spec.writeConnectionSecretToRef} (its namespace defaulting to the XR's own);
   * without one, when the Composition sets {@code writeConnectionSecretsToNamespace}, Crossplane's default name (the
   * XR's UID) in the XR's own namespace (see {@link #ownNamespace}); else none. v2 XRs have no connection Secret.
   */
  private SecretRef secretRef(JsonNode xr, GenericKubernetesResource cached, JsonNode compositionSpec,
      String ownNamespace) {
    if (!kinds.legacyFields()) {
      return null;
    }
    JsonNode ref = xr.path("spec").path("writeConnectionSecretToRef");
    if (!ref.path("name").asText("").isEmpty()) {
      return new SecretRef(ref.path("name").asText(), ref.path("namespace").asText(ownNamespace), false);
    }
    if (compositionSpec.path("writeConnectionSecretsToNamespace").asText("").isEmpty()) {
      return null;
    }
    return new SecretRef(cached.getMetadata().getUid(), ownNamespace, true);
  }

  /**
   * Refuses connection Secrets outside the XR's own namespace (the XR's and composed resources' in the cluster),
   * and binds the operator's Secret access there.
   */
  private void secretAccess(String ownNamespace, SecretRef ref, List<Placement> plan) {
    boolean any = false;
    if (ref != null) {
      String why = secrets.access().refuseConnectionSecret(ownNamespace, ref.namespace(),
          CompositeRules.crossplanePath(kinds) + ".writeConnectionSecretToRef");
      if (why != null) {
        throw new CompositionException("SecretNamespaceNotAllowed", why);
      }
      any = true;
    }
    for (Placement p : plan) {
      JsonNode r = p.composed().resource().path("spec").path("writeConnectionSecretToRef");
      if (!p.cluster() || r.path("name").asText("").isEmpty()) {
        continue;
      }
      String why = secrets.access().refuseConnectionSecret(ownNamespace, r.path("namespace").asText(null),
          "composed resource " + p.composed().name() + " spec.writeConnectionSecretToRef");
      if (why != null) {
        throw new CompositionException("SecretNamespaceNotAllowed", why);
      }
      any = true;
    }
    if (any) {
      secrets.ensure(ownNamespace);
    }
  }

  /**
   * Writes the XR's connection Secret: the connection details, filtered by the XRD's connectionSecretKeys; true
   * when its data changed.
   */
  private boolean connectionSecret(GenericKubernetesResource cached, SecretRef ref,
      CompositionEngine.Result result) {
    Map<String, String> current = composer.secretData(ref.namespace(), ref.name()).orElse(Map.of());
    Map<String, String> data = new java.util.TreeMap<>(result.connectionDetails());
    for (String name : result.generatedPasswords()) {
      String kept = current.get(name);
      data.put(name, kept != null && !kept.isEmpty() ? kept : ConnectionSecret.password());
    }
    data = CompositeRules.connectionKeys(data, kinds.connectionSecretKeys());
    var meta = cached.getMetadata();
    OwnerReference owner = kinds.namespaced() ? null : Composer.controllerRef(cached.getApiVersion(),
        cached.getKind(), meta.getName(), meta.getUid());
    return composer.writeSecret(ref.namespace(), ref.name(), data, Map.of(CrossplaneFields.COMPOSITE,
        meta.getName()), owner, SECRET_TYPE);
  }

  private ReconcileQueue.Result failed(GenericKubernetesResource cached, Resource<GenericKubernetesResource> self,
      ObjectNode status, JsonNode before, String reason, String message) {
    // Not retried: bad input waits for a change of the object or of a Composition (both watched).
    return XrApi.failed(cached, self, status, before, reason, message, "cannot compose: " + message, events);
  }

  /** A passing failure: says so in Synced (best effort) before the queue retries. */
  private void passing(Resource<GenericKubernetesResource> self, ObjectNode status, JsonNode before, Long generation,
      String message) {
    TarmacStatus conditions = XrApi.conditions(status);
    Conditions.setFalse(conditions, Conditions.SYNCED, "ReconcileError", message + " (retried)", generation);
    XrApi.putConditions(status, conditions);
    if (!Serialization.sameJson(status, before)) {
      try {
        XrApi.patchStatus(self, status);
      } catch (KubernetesClientException ignored) {
        // The API server may be what failed; the retry writes the status.
      }
    }
  }

  /**
   * Deletes the composed resources (cluster ones explicitly, Git ones by deleting the Work, whose finalizer takes
   * the files out of Git) and the connection Secret; the finalizer goes once no cluster composed resource is left.
   */
  private ReconcileQueue.Result deleting(GenericKubernetesResource cached, Resource<GenericKubernetesResource> self) {
    if (!XrApi.hasFinalizer(cached, FINALIZER)) {
      return ReconcileQueue.Result.DONE;
    }
    // The status listing the composed resources is read from the API server: the cache may predate the last write.
    GenericKubernetesResource latest = self.get();
    JsonNode xr = Serialization.JSON.valueToTree(latest == null ? cached : latest);
    String own = ownNamespace(xr);
    boolean left = false;
    for (JsonNode r : previous(xr.path("status"), true)) {
      String apiVersion = r.path("apiVersion").asText();
      String kind = r.path("kind").asText();
      String ns = r.path("namespace").asText(null);
      String name = r.path("resourceName").asText();
      if (composer.exists(apiVersion, kind, ns, name)) {
        composer.delete(apiVersion, kind, ns, name);
        left = true;
      }
    }
    if (!previous(xr.path("status"), false).isEmpty()) {
      composer.deleteWork(own, workName(cached.getMetadata().getName()));
    }
    if (left) {
      return ReconcileQueue.Result.after(DELETE_POLL);
    }
    JsonNode ref = xr.path("spec").path("writeConnectionSecretToRef");
    if (kinds.legacyFields() && !ref.path("name").asText("").isEmpty()) {
      String ns = ref.path("namespace").asText(own);
      if (secrets.access().refuseConnectionSecret(own, ns, "writeConnectionSecretToRef") == null) {
        var secret = composer.client().secrets().inNamespace(ns).withName(ref.path("name").asText());
        var live = secret.get();
        if (live != null && live.getMetadata().getLabels() != null && cached.getMetadata().getName().equals(
            live.getMetadata().getLabels().get(CrossplaneFields.COMPOSITE))) {
          secret.delete();
        }
      }
    }
    XrApi.removeFinalizer(self, latest == null ? cached : latest, FINALIZER);
    return ReconcileQueue.Result.DONE;
  }
}
