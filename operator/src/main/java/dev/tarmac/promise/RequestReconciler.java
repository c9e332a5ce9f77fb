package dev.tarmac.promise;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.Events;
import dev.tarmac.LogContext;
import dev.tarmac.ReconcileQueue;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Labels;
import dev.tarmac.api.PipelineRunStatus;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.TarmacStatus;
import dev.tarmac.api.Work;
import dev.tarmac.pipeline.Pipeline;
import dev.tarmac.pipeline.PipelineException;
import dev.tarmac.pipeline.SpecHash;
import dev.tarmac.pipeline.StatusMerge;
import dev.tarmac.pipeline.WorkflowRunner;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reconciles one request of a Promise's kind: runs {@code workflows.resource.configure} through the
 * {@link WorkflowRunner}, waits for the Works to be {@code Published}, and writes the request's status —
 * {@code PipelineCompleted}, {@code Published}, {@code Ready}, {@code status.pipelines[]} and whatever the
 * pipelines' {@code status.yaml} said — only when it changed. Deleting a request runs
 * {@code workflows.resource.delete} first (finalizer {@code platform.tarmac.dev/delete-pipelines}, added only when
 * the Promise has delete pipelines); annotation {@code platform.tarmac.dev/skip-delete-pipelines: "true"} on the
 * request or the Promise skips failing ones so deletion cannot get stuck. Annotation
 * {@code platform.tarmac.dev/paused: "true"} suspends reconciliation; changing {@code platform.tarmac.dev/rerun} runs
 * the pipelines again.
 */
final class RequestReconciler implements RequestController.Reconciler {

  private final KubernetesClient client;
  private final PromiseRuntime runtime;
  private final String promiseName;
  private final ResourceDefinitionContext kind;
  private final WorkflowRunner runner;
  private final Events events;
  private final String operatorNamespace;
  /** Runs whose status write was skipped while their Works publish, by request UID (see reconcile). */
  private final Map<String, List<PipelineRunStatus>> unwritten = new java.util.concurrent.ConcurrentHashMap<>();

  RequestReconciler(KubernetesClient client, PromiseRuntime runtime, String promiseName,
      ResourceDefinitionContext kind, WorkflowRunner runner, Events events, String operatorNamespace) {
    this.client = client;
    this.runtime = runtime;
    this.promiseName = promiseName;
    this.kind = kind;
    this.runner = runner;
    this.events = events;
    this.operatorNamespace = operatorNamespace;
  }

  @Override
  public ReconcileQueue.Result reconcile(GenericKubernetesResource cached) {
    Promise promise = runtime.promise(promiseName).orElse(null);
    if (promise == null) {
      return ReconcileQueue.Result.DONE;
    }
    var meta = cached.getMetadata();
    Map<String, String> annotations = meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    if ("true".equals(annotations.get(Labels.PAUSED))) {
      return ReconcileQueue.Result.DONE;
    }
    try (LogContext ignored = LogContext.of(cached)) {
      ObjectNode request = Serialization.JSON.valueToTree(cached);
      ObjectNode status = request.path("status").isObject() ? (ObjectNode) request.get("status").deepCopy()
          : Serialization.JSON.createObjectNode();
      JsonNode before = status.deepCopy();
      if (status.hasNonNull("nextRetryTime")) {
        // Written by ErrorStatus when an earlier reconcile threw; this one did not (yet): a merge patch with null
        // removes it. Written again if this reconcile throws.
        status.putNull("nextRetryTime");
      }
      List<Pipeline> configure;
      List<Pipeline> delete;
      try {
        var workflows = promise.getSpec().workflows;
        var resource = workflows == null ? null : workflows.resource;
        configure = Pipeline.parseAll(resource == null ? null : resource.configure,
            "Promise " + promiseName + " workflows.resource.configure");
        delete = Pipeline.parseAll(resource == null ? null : resource.delete,
            "Promise " + promiseName + " workflows.resource.delete");
      } catch (PipelineException e) {
        return writeFailure(cached, status, before, "InvalidPipeline", e.getMessage());
      }
      if (meta.getDeletionTimestamp() != null) {
        return deleting(cached, request, promise, delete, status, before);
      }
      var waiting = runtime.waitingFor(promiseName);
      if (waiting.isPresent()) {
        return RequirementsWait.hold(cached, status, before, waiting.get(), this::patchStatus, events);
      }
      if (previousRuns(status).isEmpty() && !unwritten.containsKey(meta.getUid())) {
        // A new request (its pipelines never ran) of a Promise that refuses teams over budget: it waits, with a
        // condition that says why; requests that already run are never held back.
        var refused = runtime.refusal(promise, request);
        if (refused.isPresent()) {
          return overBudget(cached, status, before, refused.get());
        }
      }
      if (Conditions.find(conditionsOf(status).conditions, OVER_BUDGET_CONDITION).map(c -> OVER_BUDGET.equals(
          c.getReason()) && previousRuns(status).isEmpty()).orElse(false)) {
        // Admitted after a refusal: the refusal's condition goes (the cost controller sets its own when the team
        // has a budget).
        TarmacStatus c = conditionsOf(status);
        c.conditions.removeIf(x -> OVER_BUDGET_CONDITION.equals(x.getType()));
        status.set("conditions", Serialization.JSON.valueToTree(c.conditions));
      }
      java.time.Instant expiry = null;
      if (annotations.containsKey(Labels.TTL)) {
        try {
          expiry = java.time.Instant.parse(meta.getCreationTimestamp()).plus(Ttl.parse(annotations.get(Labels.TTL)));
        } catch (IllegalArgumentException e) {
          return writeFailure(cached, status, before, "InvalidTTL", e.getMessage());
        }
        if (!java.time.Instant.now().isBefore(expiry)) {
          events.normal(cached, "Expired", "the TTL " + annotations.get(Labels.TTL) + " has passed; deleting");
          resource(cached).delete();
          return ReconcileQueue.Result.DONE;
        }
        status.put("expiresAt", expiry.toString());
      }
      if (!delete.isEmpty() && (meta.getFinalizers() == null
          || !meta.getFinalizers().contains(Labels.REQUEST_FINALIZER))) {
        addFinalizer(cached);
      }
      String hash = SpecHash.of(request.path("spec"), Serialization.JSON.valueToTree(
          configure.stream().map(Pipeline::raw).toList()),
          Serialization.JSON.getNodeFactory().textNode(annotations.getOrDefault(Labels.RERUN, "")));
      if (configure.stream().anyMatch(p -> !p.builtInOnly())) {
        String jobNamespace = meta.getNamespace() == null ? operatorNamespace : meta.getNamespace();
        runtime.access().ensure(promiseName, kind, jobNamespace);
        try {
          // The Promise's spec.rbac.permissions only: nothing of the request decides what its pipelines may do.
          runtime.access().grant(promise, "resource", Map.of("configure", configure, "delete", delete), jobNamespace);
        } catch (PromiseException e) {
          writeFailure(cached, status, before, e.reason(), e.getMessage());
          // RBAC may be granted later (helm upgrade of pipelinePermissions): look again without a change.
          return ReconcileQueue.Result.after(java.time.Duration.ofSeconds(30));
        }
      } else {
        // No Job runs for this request: permissions granted here for workflows the Promise no longer has (once per
        // Promise generation and namespace) are removed.
        runtime.access().grant(promise, "resource", Map.of(), meta.getNamespace() == null ? operatorNamespace
            : meta.getNamespace());
      }
      List<PipelineRunStatus> previous = previousRuns(status);
      if (previous.isEmpty() && unwritten.containsKey(meta.getUid())) {
        previous = unwritten.get(meta.getUid());
      }
      WorkflowRunner.Outcome outcome = runner.run(owner(request, promise), configure, "configure", hash, previous);
      StatusMerge.merge(status, outcome.statusPatch());
      status.set("pipelines", Serialization.JSON.valueToTree(outcome.runs()));
      TarmacStatus conditions = conditionsOf(status);
      Long generation = meta.getGeneration();
      status.put("observedGeneration", generation);
      RequirementsWait.released(conditions, promise, generation);
      Conditions.setTrue(conditions, Conditions.SYNCED, "ReconcileSuccess", "pipelines of generation " + generation,
          generation);
      if (outcome.failure() != null) {
        Conditions.setFalse(conditions, Conditions.PIPELINE_COMPLETED, outcome.failureReason(), outcome.failure()
            + retryText(outcome.runs()), generation);
      } else if (!outcome.completed()) {
        Conditions.setFalse(conditions, Conditions.PIPELINE_COMPLETED, "PipelineRunning", "running "
            + running(outcome.runs()), generation);
      } else {
        Conditions.setTrue(conditions, Conditions.PIPELINE_COMPLETED, "PipelinesSucceeded",
            configure.isEmpty() ? "the Promise has no resource pipelines" : configure.size() + " pipeline(s) succeeded",
            generation);
      }
      publishedCondition(conditions, outcome, meta.getUid(), generation);
      rollup(conditions, generation);
      status.set("conditions", Serialization.JSON.valueToTree(conditions.conditions));
      boolean firstPublishPending = !before.has("conditions") && outcome.failure() == null && outcome.completed()
          && "Writing".equals(Conditions.reason(conditions, Conditions.PUBLISHED));
      if (firstPublishPending) {
        // A new request whose outputs are being committed: its Work's status event brings it back within a second,
        // so the transient state is not written (one API write per request saved); the runs are remembered so the
        // pipelines do not run again meanwhile.
        unwritten.put(meta.getUid(), outcome.runs());
        return ReconcileQueue.Result.DONE;
      }
      unwritten.remove(meta.getUid());
      if (!Serialization.sameJson(status, before)) {
        patchStatus(cached, status);
        if (outcome.failure() != null && !Objects.equals(reasonOf(before, Conditions.PIPELINE_COMPLETED),
            outcome.failureReason())) {
          events.warning(cached, outcome.failureReason(), outcome.failure());
        }
      }
      java.time.Duration untilExpiry = expiry == null ? null
          : java.time.Duration.between(java.time.Instant.now(), expiry).plusSeconds(1);
      java.time.Duration next = outcome.requeueAfter();
      if (untilExpiry != null && (next == null || untilExpiry.compareTo(next) < 0)) {
        next = untilExpiry;
      }
      return next == null ? ReconcileQueue.Result.DONE : ReconcileQueue.Result.after(next);
    }
  }

  /** Condition type and reason of a request held back because its team is over budget (docs/insights-cost.md). */
  static final String OVER_BUDGET_CONDITION = "WithinBudget";
  static final String OVER_BUDGET = "OverBudget";

  /** Writes the refusal (Ready and WithinBudget False, reason OverBudget) when it changed, with an Event; looks again
   * in a minute, as a team's cost changes without any event on the request. */
  private ReconcileQueue.Result overBudget(GenericKubernetesResource cached, ObjectNode status, JsonNode before,
      String message) {
    TarmacStatus conditions = conditionsOf(status);
    Long generation = cached.getMetadata().getGeneration();
    // Written when the request is first held back, not again as the team's cost moves (the figures in the message
    // are those of that moment).
    for (String type : List.of(OVER_BUDGET_CONDITION, Conditions.READY)) {
      if (!OVER_BUDGET.equals(Conditions.reason(conditions, type))) {
        Conditions.setFalse(conditions, type, OVER_BUDGET, message, generation);
      }
    }
    status.set("conditions", Serialization.JSON.valueToTree(conditions.conditions));
    status.put("observedGeneration", generation);
    if (!Serialization.sameJson(status, before)) {
      patchStatus(cached, status);
      if (!OVER_BUDGET.equals(reasonOf(before, Conditions.READY))) {
        events.warning(cached, OVER_BUDGET, message);
      }
    }
    return ReconcileQueue.Result.after(java.time.Duration.ofSeconds(60));
  }

  private WorkflowRunner.Owner owner(JsonNode request, Promise promise) {
    String ns = request.path("metadata").path("namespace").asText(null);
    List<dev.tarmac.api.Selector> selectors = promise.getSpec().destinationSelectors == null ? List.of()
        : promise.getSpec().destinationSelectors;
    return new WorkflowRunner.Owner(request, request.path("apiVersion").asText(), request.path("kind").asText(), ns,
        request.path("metadata").path("name").asText(), request.path("metadata").path("uid").asText(), promiseName,
        "resource", ns == null ? operatorNamespace : ns, PipelineAccess.serviceAccountName(promiseName), selectors);
  }

  private static List<PipelineRunStatus> previousRuns(ObjectNode status) {
    if (!status.path("pipelines").isArray()) {
      return List.of();
    }
    return Serialization.JSON.convertValue(status.get("pipelines"), new TypeReference<>() { });
  }

  private static TarmacStatus conditionsOf(ObjectNode status) {
    TarmacStatus s = new TarmacStatus();
    if (status.path("conditions").isArray()) {
      s.conditions = new ArrayList<>(Serialization.JSON.convertValue(status.get("conditions"),
          new TypeReference<List<io.fabric8.kubernetes.api.model.Condition>>() { }));
    }
    return s;
  }

  private static String reasonOf(JsonNode status, String type) {
    return Conditions.find(status, type).map(c -> c.path("reason").asText(null)).orElse(null);
  }

  private static String retryText(List<PipelineRunStatus> runs) {
    return runs.stream().filter(r -> "Failed".equals(r.phase) && r.nextAttemptTime != null).findFirst()
        .map(r -> " (attempt " + r.attempts + "; next attempt at " + r.nextAttemptTime + ")").orElse("");
  }

  private static String running(List<PipelineRunStatus> runs) {
    return runs.stream().filter(r -> "Running".equals(r.phase))
        .map(r -> r.name + (r.jobName == null ? "" : " (Job " + r.jobName + ")")).findFirst().orElse("pipelines");
  }

  private void publishedCondition(TarmacStatus conditions, WorkflowRunner.Outcome outcome, String uid,
      Long generation) {
    if (!outcome.completed()) {
      Conditions.setFalse(conditions, Conditions.PUBLISHED, "WaitingForPipelines",
          "outputs are published when the pipelines finish", generation);
      return;
    }
    List<String> notYet = new ArrayList<>();
    String problem = null;
    String problemReason = null;
    List<Work> works = runtime.worksOf(uid);
    Map<String, String> hashOfWork = new java.util.HashMap<>();
    outcome.runs().forEach(r -> {
      if (r.workName != null && r.specHash != null) {
        hashOfWork.put(r.workName, r.specHash);
      }
    });
    for (String name : outcome.works()) {
      Work w = works.stream().filter(x -> x.getMetadata().getName().equals(name)).findFirst().orElse(null);
      if (w == null || w.getStatus() == null || !publishedAsRun(w, hashOfWork.get(name))) {
        notYet.add(name);
        if (w != null && w.getStatus() != null) {
          var c = Conditions.find(w.getStatus().conditions, Conditions.PUBLISHED);
          if (c.isPresent() && !"Writing".equals(c.get().getReason())) {
            problem = "Work " + name + ": " + c.get().getMessage();
            problemReason = c.get().getReason();
          }
        }
      }
    }
    if (notYet.isEmpty()) {
      Conditions.setTrue(conditions, Conditions.PUBLISHED, "Published", outcome.works().isEmpty()
          ? "nothing to publish" : "Works " + String.join(", ", outcome.works()) + " are in their Destinations",
          generation);
    } else if (problem != null) {
      Conditions.setFalse(conditions, Conditions.PUBLISHED, problemReason, problem, generation);
    } else {
      Conditions.setFalse(conditions, Conditions.PUBLISHED, "Writing", "writing Works " + String.join(", ", notYet),
          generation);
    }
  }

  /**
   * True when Work {@code w} is Published with the content of this run: its spec-hash label is the run's (a retried
   * container run labels it {@code <hash>-<attempt>}), and its Published condition was computed for the Work's
   * current generation. Without this, a Work the cache still shows with the last run's content and status made a
   * request Ready before its new output was in Git.
   */
  private static boolean publishedAsRun(Work w, String runHash) {
    String label = w.getMetadata().getLabels() == null ? null : w.getMetadata().getLabels().get(Labels.SPEC_HASH);
    if (runHash != null && label != null && !label.equals(runHash) && !label.startsWith(runHash + "-")) {
      return false;
    }
    return Conditions.forGeneration(w.getStatus().conditions, Conditions.PUBLISHED, w.getMetadata().getGeneration())
        .map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  private static void rollup(TarmacStatus conditions, Long generation) {
    for (String type : List.of(Conditions.PIPELINE_COMPLETED, Conditions.PUBLISHED)) {
      var c = Conditions.find(conditions.conditions, type).orElseThrow();
      if (!"True".equals(c.getStatus())) {
        Conditions.setFalse(conditions, Conditions.READY, c.getReason(), c.getMessage(), generation);
        return;
      }
    }
    Conditions.setTrue(conditions, Conditions.READY, "Ready", "pipelines succeeded and outputs are published",
        generation);
  }

  private ReconcileQueue.Result writeFailure(GenericKubernetesResource cached, ObjectNode status, JsonNode before,
      String reason, String message) {
    TarmacStatus conditions = conditionsOf(status);
    Long generation = cached.getMetadata().getGeneration();
    Conditions.setFalse(conditions, Conditions.SYNCED, reason, message, generation);
    Conditions.setFalse(conditions, Conditions.READY, reason, message, generation);
    status.set("conditions", Serialization.JSON.valueToTree(conditions.conditions));
    status.put("observedGeneration", generation);
    if (!Serialization.sameJson(status, before)) {
      patchStatus(cached, status);
      events.warning(cached, reason, message);
    }
    return ReconcileQueue.Result.DONE;
  }

  private ReconcileQueue.Result deleting(GenericKubernetesResource cached, ObjectNode request, Promise promise,
      List<Pipeline> delete, ObjectNode status, JsonNode before) {
    var meta = cached.getMetadata();
    if (meta.getFinalizers() == null || !meta.getFinalizers().contains(Labels.REQUEST_FINALIZER)) {
      return ReconcileQueue.Result.DONE;
    }
    boolean skip = "true".equals(annotation(cached.getMetadata().getAnnotations()))
        || "true".equals(annotation(promise.getMetadata().getAnnotations()));
    if (!delete.isEmpty() && !skip) {
      String hash = SpecHash.of(request.path("spec"), Serialization.JSON.getNodeFactory().textNode("delete"));
      List<PipelineRunStatus> previous = new ArrayList<>();
      if (status.path("deletePipelines").isArray()) {
        previous = Serialization.JSON.convertValue(status.get("deletePipelines"), new TypeReference<>() { });
      }
      WorkflowRunner.Outcome outcome = runner.run(owner(request, promise), delete, "delete", hash, previous);
      if (!outcome.completed()) {
        status.set("deletePipelines", Serialization.JSON.valueToTree(outcome.runs()));
        TarmacStatus conditions = conditionsOf(status);
        String message = outcome.failure() != null ? outcome.failure() + retryText(outcome.runs())
            + "; set annotation " + Labels.SKIP_DELETE_PIPELINES + "=true to delete anyway"
            : "running delete pipelines";
        Conditions.setFalse(conditions, Conditions.READY, outcome.failure() != null ? "DeletePipelineFailed"
            : "Deleting", message, meta.getGeneration());
        status.set("conditions", Serialization.JSON.valueToTree(conditions.conditions));
        if (!Serialization.sameJson(status, before)) {
          patchStatus(cached, status);
        }
        return outcome.requeueAfter() == null ? ReconcileQueue.Result.DONE
            : ReconcileQueue.Result.after(outcome.requeueAfter());
      }
    }
    removeFinalizer(cached);
    return ReconcileQueue.Result.DONE;
  }

  private static String annotation(Map<String, String> annotations) {
    return annotations == null ? null : annotations.get(Labels.SKIP_DELETE_PIPELINES);
  }

  private io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> resource(
      GenericKubernetesResource r) {
    var op = client.genericKubernetesResources(kind);
    return r.getMetadata().getNamespace() == null ? op.withName(r.getMetadata().getName())
        : op.inNamespace(r.getMetadata().getNamespace()).withName(r.getMetadata().getName());
  }

  /** Where a merge patch of the request goes: one PATCH, without fabric8's GET first ({@link dev.tarmac.PatchTarget}). */
  private io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> patchTarget(
      GenericKubernetesResource r) {
    return dev.tarmac.PatchTarget.of(client.genericKubernetesResources(kind), r);
  }

  private void patchStatus(GenericKubernetesResource cached, ObjectNode status) {
    ObjectNode body = Serialization.JSON.createObjectNode();
    body.set("status", status);
    try {
      patchTarget(cached).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), body.toString());
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  private void addFinalizer(GenericKubernetesResource cached) {
    ArrayNode finalizers = Serialization.JSON.createArrayNode();
    if (cached.getMetadata().getFinalizers() != null) {
      cached.getMetadata().getFinalizers().forEach(finalizers::add);
    }
    finalizers.add(Labels.REQUEST_FINALIZER);
    ObjectNode body = Serialization.JSON.createObjectNode();
    body.putObject("metadata").set("finalizers", finalizers);
    patchTarget(cached).patch(PatchContext.of(PatchType.JSON_MERGE), body.toString());
  }

  private void removeFinalizer(GenericKubernetesResource cached) {
    removeFinalizer(patchTarget(cached), cached, cached.getMetadata().getResourceVersion());
  }

  /**
   * Takes {@link Labels#REQUEST_FINALIZER} off {@code request} (a JSON merge patch of its other finalizers). With
   * {@code resourceVersion} the patch applies only to that version (a 409 leaves it for the next reconcile); null
   * applies it whatever the version. A request already gone is fine.
   */
  static void removeFinalizer(io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> resource,
      GenericKubernetesResource request, String resourceVersion) {
    List<String> current = request.getMetadata().getFinalizers();
    if (current == null || !current.contains(Labels.REQUEST_FINALIZER)) {
      return;
    }
    ArrayNode finalizers = Serialization.JSON.createArrayNode();
    current.stream().filter(f -> !f.equals(Labels.REQUEST_FINALIZER)).forEach(finalizers::add);
    ObjectNode body = Serialization.JSON.createObjectNode();
    ObjectNode metadata = body.putObject("metadata");
    if (resourceVersion != null) {
      metadata.put("resourceVersion", resourceVersion);
    }
    metadata.set("finalizers", finalizers);
    try {
      resource.patch(PatchContext.of(PatchType.JSON_MERGE), body.toString());
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404 && e.getCode() != 409) {
        throw e;
      }
    }
  }
}
