package dev.tarmac.promise;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.AccessReview;
import dev.tarmac.Events;
import dev.tarmac.StatusChange;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Labels;
import dev.tarmac.api.PipelineRunStatus;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.pipeline.Pipeline;
import dev.tarmac.pipeline.PipelineException;
import dev.tarmac.pipeline.SpecHash;
import dev.tarmac.pipeline.StepOutput;
import dev.tarmac.pipeline.WorkflowRunner;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reconciles a Promise: generates and applies its request CRD ({@link RequestCrdBuilder}), waits for it to be
 * Established, starts a controller for the request kind inside the running operator (no restart), holds the Promise
 * Unavailable until its {@code requiredPromises} are Available, writes {@code dependencies} as a Work for the
 * Promise's Destinations, runs {@code workflows.promise.configure}, and reports {@code Available}, {@code Ready}, the
 * request kind and counters of requests.
 *
 * <p>Deleting a Promise runs its promise delete pipelines, deletes its requests (each runs its own delete pipelines),
 * then the CRD, and stops the controller; annotation {@code platform.tarmac.dev/skip-delete-pipelines: "true"} lets
 * a Promise with failing delete pipelines go.
 *
 * <p>Failures: a Promise that cannot work (an invalid API or Pipeline, a CRD owned by someone else) is a condition
 * and an Event and waits for a change; one waiting for its {@code requiredPromises} is woken when one of them
 * changes (watched). A passing failure (the API server unreachable, a conflict, a 5xx, RBAC not granted yet) is
 * retried by the framework with {@link dev.tarmac.Retries}' backoff, {@code status.nextRetryTime} saying when.
 *
 * @param <P> {@link Promise}, or {@link dev.tarmac.api.KratixPromise} for Promises written for Kratix
 */
public class PromiseReconciler<P extends Promise> implements Reconciler<P>, Cleaner<P> {

  /** Annotation on a request CRD: the hash of what the Promise wants it to be. */
  static final String CRD_HASH = "platform.tarmac.dev/crd-hash";

  /** Reason of the conditions when the operator may not reconcile the Promise's request kind. */
  static final String FORBIDDEN = "Forbidden";

  private final KubernetesClient client;
  private final PromiseRuntime runtime;
  private final Events events;
  private final String operatorNamespace;
  private final AccessReview access;
  private final PromiseLookup promises = new PromiseLookup();

  /**
   * @param client the client
   * @param runtime the request controllers
   * @param events where Events go
   * @param operatorNamespace where the dependencies Work and promise pipeline Jobs go
   */
  public PromiseReconciler(KubernetesClient client, PromiseRuntime runtime, Events events, String operatorNamespace) {
    this.client = client;
    this.access = new AccessReview(client);
    this.runtime = runtime;
    this.events = events;
    this.operatorNamespace = operatorNamespace;
  }

  /**
   * Promises of both groups, watched so that compound Promises and their requests react to their requirements, and
   * the promise workflows' Jobs, so that a finished run is seen at once.
   */
  @Override
  public List<io.javaoperatorsdk.operator.processing.event.source.EventSource<?, P>> prepareEventSources(
      io.javaoperatorsdk.operator.api.reconciler.EventSourceContext<P> context) {
    return promises.eventSources(context, operatorNamespace);
  }

  /** A reconcile that threw: condition, Event, {@code nextRetryTime} ({@link dev.tarmac.ErrorStatus}). */
  @Override
  public ErrorStatusUpdateControl<P> updateErrorStatus(P promise, Context<P> context, Exception e) {
    return dev.tarmac.ErrorStatus.update(promise, context, e, events, java.time.Clock.systemUTC());
  }

  @Override
  public UpdateControl<P> reconcile(P promise, Context<P> context) {
    if (promise.getStatus() == null) {
      promise.setStatus(new Promise.Status());
    }
    var before = StatusChange.snapshot(promise);
    UpdateControl<P> control = reconcileSpec(promise);
    // Kratix's status fields follow from the conditions this pass set (KratixStatusFields).
    promise.getStatus().requiredBy = Requirements.requiredBy(promise.getMetadata().getName(), promises.all());
    KratixStatusFields.apply(promise, java.time.Instant.now());
    KratixStatusFields.workflowConfig(promise);
    if (!control.isPatchStatus() && StatusChange.changed(before, promise)) {
      UpdateControl<P> patch = UpdateControl.patchStatus(promise);
      control.getScheduleDelay().ifPresent(patch::rescheduleAfter);
      return patch;
    }
    return control;
  }

  private UpdateControl<P> reconcileSpec(P promise) {
    var before = StatusChange.snapshot(promise);
    Promise.Status status = promise.getStatus();
    Long generation = promise.getMetadata().getGeneration();
    status.observedGeneration = generation;
    // Set again by updateErrorStatus if this reconcile throws.
    status.nextRetryTime = null;
    String name = promise.getMetadata().getName();
    try {
      if (!RequestCrdBuilder.hasApi(promise.getSpec().api)) {
        return withoutApi(promise, before);
      }
      ObjectNode crd = RequestCrdBuilder.build(name, promise.getSpec().api);
      String crdName = crd.path("metadata").path("name").asText();
      checkAccess(RequestCrdBuilder.kind(crd));
      CustomResourceDefinition existing = client.apiextensions().v1().customResourceDefinitions().withName(crdName)
          .get();
      if (existing != null) {
        String notOwned = RequestCrdBuilder.notOwned(crdName, existing.getMetadata().getLabels(), name);
        if (notOwned != null) {
          throw new PromiseException("CrdNotOwned", notOwned);
        }
        RequestCrdBuilder.checkRename(Serialization.JSON.valueToTree(existing), crd);
      }
      // Apply only when the wanted CRD changed (its hash is kept in an annotation): a Promise is re-checked
      // periodically, and re-applying an unchanged CRD is a needless write.
      String crdHash = dev.tarmac.pipeline.SpecHash.of(crd);
      ((ObjectNode) crd.with("metadata").with("annotations")).put(CRD_HASH, crdHash);
      CustomResourceDefinition applied = existing;
      boolean unchanged = existing != null && existing.getMetadata().getAnnotations() != null
          && crdHash.equals(existing.getMetadata().getAnnotations().get(CRD_HASH));
      if (!unchanged) {
        CustomResourceDefinition desired = Serialization.JSON.treeToValue(crd, CustomResourceDefinition.class);
        try {
          applied = client.resource(desired).fieldManager("tarmac").forceConflicts().serverSideApply();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 400 && e.getCode() != 422) {
            // Unreachable, conflict, 5xx: passing, retried with backoff (updateErrorStatus).
            throw e;
          }
          throw new PromiseException("InvalidAPI", "the API server refused the request CRD: " + e.getStatus()
              .getMessage());
        }
      }
      var kind = RequestCrdBuilder.kind(crd);
      status.kind = kind.getKind();
      status.apiVersion = kind.getGroup() + "/" + kind.getVersion();
      status.crdName = crdName;
      if (!established(applied)) {
        Conditions.setFalse(status, Conditions.AVAILABLE, "WaitingForCRD", "CRD " + crdName
            + " is not Established yet", generation);
        Conditions.setFalse(status, Conditions.READY, "WaitingForCRD", "CRD " + crdName + " is not Established yet",
            generation);
        // A schedule, not a retry: nothing announces Established to this controller (CRDs are not watched), and the
        // API server sets it within a second of the apply.
        return StatusChange.control(before, promise).rescheduleAfter(500);
      }
      // Parse the resource pipelines now, so a bad Pipeline is the Promise's error and not every request's.
      var workflows = promise.getSpec().workflows;
      if (workflows != null && workflows.resource != null) {
        Pipeline.parseAll(workflows.resource.configure, "workflows.resource.configure");
        Pipeline.parseAll(workflows.resource.delete, "workflows.resource.delete");
      }
      // Requests are served even while requirements are missing: they wait, with a condition naming what for.
      Requirements.Result requirements = requirements(promise);
      runtime.requirements(name, requirements.fulfilled() ? null : requirements.message());
      runtime.serve(promise, kind);
      if (!requirements.fulfilled()) {
        Conditions.setFalse(status, Conditions.AVAILABLE, "RequiredPromisesUnavailable", requirements.message(),
            generation);
        Conditions.setFalse(status, Conditions.READY, "RequiredPromisesUnavailable", requirements.message(),
            generation);
        return StatusChange.control(before, promise).rescheduleAfter(10_000);
      }
      // A policy that cannot be used is the Promise's error; its requests are served
      // with it (so their outputs are refused, naming the problem) until it is fixed.
      List<String> policyProblems = dev.tarmac.policy.OutputPolicyChecker.problems(promise.getSpec().outputPolicy);
      if (!policyProblems.isEmpty()) {
        throw new PromiseException("InvalidOutputPolicy", "spec.outputPolicy: " + String.join("; ", policyProblems));
      }
      applyDependencies(promise);
      WorkflowRunner.Outcome outcome = promiseWorkflow(promise, status);
      Conditions.setTrue(status, Conditions.AVAILABLE, "Available", "serving " + status.kind + " (" + status.apiVersion
          + ")", generation);
      Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "CRD " + crdName + " applied", generation);
      if (outcome != null && outcome.failure() != null) {
        Conditions.setFalse(status, Conditions.READY, outcome.failureReason(), outcome.failure(), generation);
      } else if (outcome != null && !outcome.completed()) {
        Conditions.setFalse(status, Conditions.READY, "PipelineRunning", "promise pipelines are running", generation);
      } else {
        Conditions.setTrue(status, Conditions.READY, "Available", "requests of kind " + status.kind
            + " are served", generation);
      }
      countRequests(promise);
      UpdateControl<P> control = StatusChange.control(before, promise);
      // Schedules, not retries: a promise pipeline's Job is polled while it runs (Promise Jobs do not wake the
      // Promise), and the request counts in status are refreshed every 30 s (a display period: requests do not wake
      // their Promise).
      return outcome != null && outcome.requeueAfter() != null
          ? control.rescheduleAfter(outcome.requeueAfter().toMillis()) : control.rescheduleAfter(30_000);
    } catch (PromiseException e) {
      if (FORBIDDEN.equals(e.reason())) {
        // RBAC may be granted later (a helm upgrade) without a change to the Promise: retried with backoff,
        // Synced/Ready/nextRetryTime and the Event written by updateErrorStatus.
        Conditions.setFalse(status, Conditions.AVAILABLE, e.reason(), e.getMessage(), generation);
        throw new dev.tarmac.ErrorStatus.RetryLater(e.reason(), e.getMessage(), true);
      }
      UpdateControl<P> control = failed(promise, before, e.reason(), e.getMessage());
      // A pipeline permission the chart does not list yet (pipelinePermissions.rules): a schedule, not a retry, so
      // the Kratix status fields are written with the condition; a helm upgrade is seen within 30 s.
      return PipelineAccess.NOT_GRANTED.equals(e.reason()) ? control.rescheduleAfter(30_000) : control;
    } catch (PipelineException e) {
      return failed(promise, before, "InvalidPipeline", e.getMessage());
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      return failed(promise, before, "InvalidAPI", "spec.api is not a valid CustomResourceDefinition: "
          + e.getMessage());
    }
  }

  /**
   * A Promise with no {@code spec.api} (Kratix allows it: many marketplace Promises only install an operator through
   * their dependencies or promise workflows): no request CRD and no request controller; requirements, dependencies
   * and promise workflows as for any Promise.
   */
  private UpdateControl<P> withoutApi(P promise, JsonNode before) {
    Promise.Status status = promise.getStatus();
    Long generation = promise.getMetadata().getGeneration();
    status.kind = null;
    status.apiVersion = null;
    status.crdName = null;
    Requirements.Result requirements = requirements(promise);
    if (!requirements.fulfilled()) {
      Conditions.setFalse(status, Conditions.AVAILABLE, "RequiredPromisesUnavailable", requirements.message(),
          generation);
      Conditions.setFalse(status, Conditions.READY, "RequiredPromisesUnavailable", requirements.message(), generation);
      return StatusChange.control(before, promise).rescheduleAfter(10_000);
    }
    applyDependencies(promise);
    WorkflowRunner.Outcome outcome = promiseWorkflow(promise, status);
    Conditions.setTrue(status, Conditions.AVAILABLE, "Available", "no request API: dependencies and promise"
        + " workflows only", generation);
    Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "no request API", generation);
    if (outcome != null && outcome.failure() != null) {
      Conditions.setFalse(status, Conditions.READY, outcome.failureReason(), outcome.failure(), generation);
    } else if (outcome != null && !outcome.completed()) {
      Conditions.setFalse(status, Conditions.READY, "PipelineRunning", "promise pipelines are running", generation);
    } else {
      Conditions.setTrue(status, Conditions.READY, "Available", "dependencies and promise workflows are done",
          generation);
    }
    UpdateControl<P> control = StatusChange.control(before, promise);
    return outcome != null && outcome.requeueAfter() != null
        ? control.rescheduleAfter(outcome.requeueAfter().toMillis()) : control.rescheduleAfter(30_000);
  }

  private UpdateControl<P> failed(P promise, JsonNode before, String reason, String message) {
    Long generation = promise.getMetadata().getGeneration();
    Conditions.setFalse(promise.getStatus(), Conditions.AVAILABLE, reason, message, generation);
    Conditions.setFalse(promise.getStatus(), Conditions.SYNCED, reason, message, generation);
    Conditions.setFalse(promise.getStatus(), Conditions.READY, reason, message, generation);
    UpdateControl<P> control = StatusChange.control(before, promise);
    if (control.isPatchStatus()) {
      events.warning(promise, reason, message);
    }
    return control;
  }

  /**
   * Refuses, before any CRD is written, a request kind the operator may not reconcile: its ServiceAccount needs
   * list/watch/patch on the kind and its status and finalizers, which the Helm chart grants per group and plural
   * ({@code promiseApis}).
   */
  private void checkAccess(io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext kind) {
    var denied = access.denied(AccessReview.controllerOf(kind.getGroup(), kind.getPlural()));
    if (!denied.isEmpty()) {
      throw new PromiseException(FORBIDDEN, "the operator may not serve " + kind.getPlural() + "." + kind.getGroup()
          + " (denied: " + denied.stream().map(AccessReview.Check::toString).collect(Collectors.joining(", "))
          + "); add {group: " + kind.getGroup() + ", resources: [" + kind.getPlural() + "]} to the Helm chart's"
          + " promiseApis value and run helm upgrade, or grant these verbs to the operator's ServiceAccount");
    }
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /**
   * Evaluates {@code spec.requiredPromises} against the Promises of both groups (the requiring Promise's own group
   * first), sets {@code status.requiredPromises} and the {@code RequirementsFulfilled} condition, and emits Kratix's
   * Events when the outcome changes.
   */
  private Requirements.Result requirements(Promise promise) {
    boolean kratix = promise instanceof dev.tarmac.api.KratixPromise;
    Requirements.Result result = Requirements.evaluate(promise.getSpec().requiredPromises,
        n -> promises.find(n, kratix));
    Promise.Status status = promise.getStatus();
    boolean has = promise.getSpec().requiredPromises != null && !promise.getSpec().requiredPromises.isEmpty();
    status.requiredPromises = has ? result.statuses() : null;
    var previous = Conditions.find(status.conditions, Requirements.CONDITION).orElse(null);
    Requirements.setCondition(status, has, result, promise.getMetadata().getGeneration());
    boolean changed = has && (previous == null || !java.util.Objects.equals(previous.getMessage(), result.message()));
    if (changed && result.fulfilled()) {
      events.normal(promise, "RequirementsFulfilled", "All required promises are available");
    } else if (changed) {
      events.normal(promise, result.reason(), result.message());
    }
    return result;
  }

  private WorkflowRunner.Owner owner(Promise promise) {
    JsonNode object = Serialization.JSON.valueToTree(promise);
    return new WorkflowRunner.Owner(object, promise.getApiVersion(), promise.getKind(), null,
        promise.getMetadata().getName(), promise.getMetadata().getUid(), promise.getMetadata().getName(), "promise",
        operatorNamespace, PipelineAccess.serviceAccountName(promise.getMetadata().getName()),
        promise.getSpec().destinationSelectors == null ? List.of() : promise.getSpec().destinationSelectors);
  }

  /** Writes {@code spec.dependencies} as the Work {@code <promise>-dependencies}, or deletes it when there are none. */
  private void applyDependencies(Promise promise) {
    String workName = promise.getMetadata().getName() + "-dependencies";
    List<JsonNode> deps = promise.getSpec().dependencies == null ? List.of() : promise.getSpec().dependencies;
    if (deps.isEmpty()) {
      // Looked up in the informer first: a Promise is re-checked every 30 s, and a DELETE of nothing is a write.
      if (runtime.work(operatorNamespace, workName) != null) {
        client.resources(Work.class).inNamespace(operatorNamespace).withName(workName).delete();
      }
      return;
    }
    StepOutput out = new StepOutput();
    for (int i = 0; i < deps.size(); i++) {
      JsonNode d = deps.get(i);
      String file = String.format("%03d-%s-%s.yaml", i, d.path("kind").asText("object").toLowerCase(),
          d.path("metadata").path("name").asText("unnamed"));
      try {
        out.file(file, Serialization.YAML.writeValueAsString(d));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new PromiseException("InvalidDependencies", "spec.dependencies[" + i + "] cannot be written: "
            + e.getMessage());
      }
    }
    String hash = SpecHash.of(Serialization.JSON.valueToTree(deps));
    Work existing = client.resources(Work.class).inNamespace(operatorNamespace).withName(workName).get();
    if (existing != null && hash.equals(existing.getMetadata().getLabels().get(Labels.SPEC_HASH))) {
      return;
    }
    Work w = WorkflowRunner.work(owner(promise), "dependencies", workName, hash, out);
    client.resource(w).fieldManager("tarmac").forceConflicts().serverSideApply();
  }

  private WorkflowRunner.Outcome promiseWorkflow(Promise promise, Promise.Status status) {
    var workflows = promise.getSpec().workflows;
    if (workflows == null || workflows.promise == null || workflows.promise.configure == null
        || workflows.promise.configure.isEmpty()) {
      // Permissions granted to promise workflows the Promise no longer has are removed.
      runtime.access().grant(promise, "promise", Map.of(), operatorNamespace);
      status.pipelines = new ArrayList<>();
      return null;
    }
    List<Pipeline> pipelines = Pipeline.parseAll(workflows.promise.configure, "workflows.promise.configure");
    if (pipelines.stream().anyMatch(p -> !p.builtInOnly())) {
      runtime.access().serviceAccount(promise.getMetadata().getName(), operatorNamespace);
    }
    runtime.access().grant(promise, "promise", Map.of("configure", pipelines, "delete",
        Pipeline.parseAll(workflows.promise.delete, "workflows.promise.delete")), operatorNamespace);
    String hash = SpecHash.of(Serialization.JSON.valueToTree(promise.getSpec()));
    List<PipelineRunStatus> previous = status.pipelines == null ? List.of() : status.pipelines;
    WorkflowRunner.Outcome outcome = runtime.runner().run(owner(promise), pipelines, "configure", hash, previous);
    status.pipelines = new ArrayList<>(outcome.runs());
    // As in Kratix, a promise workflow's metadata/status.yaml `message` is the Promise's status.message.
    if (outcome.statusPatch().path("message").isTextual()) {
      status.message = outcome.statusPatch().get("message").asText();
    }
    return outcome;
  }

  private void countRequests(Promise promise) {
    List<GenericKubernetesResource> requests = runtime.requests(promise.getMetadata().getName());
    Promise.RequestCounts counts = new Promise.RequestCounts();
    counts.total = requests.size();
    int ready = 0;
    int failed = 0;
    for (GenericKubernetesResource r : requests) {
      JsonNode conditions = Serialization.JSON.valueToTree(r).path("status").path("conditions");
      for (JsonNode c : conditions) {
        if ("Ready".equals(c.path("type").asText())) {
          if ("True".equals(c.path("status").asText())) {
            ready++;
          } else if (c.path("reason").asText().contains("Failed") || c.path("reason").asText().startsWith("Invalid")) {
            failed++;
          }
        }
      }
    }
    counts.ready = ready;
    counts.failed = failed;
    promise.getStatus().requests = counts;
  }

  @Override
  public DeleteControl cleanup(P promise, Context<P> context) {
    String name = promise.getMetadata().getName();
    String crdName = promise.getStatus() == null ? null : promise.getStatus().crdName;
    boolean skip = promise.getMetadata().getAnnotations() != null
        && "true".equals(promise.getMetadata().getAnnotations().get(Labels.SKIP_DELETE_PIPELINES));
    List<GenericKubernetesResource> requests = runtime.allRequests(name);
    if (!requests.isEmpty()) {
      for (GenericKubernetesResource r : requests) {
        if (r.getMetadata().getDeletionTimestamp() == null) {
          client.resource(r).delete();
        }
        if (skip) {
          // The request controller stops below; nobody else would take its finalizer off.
          RequestReconciler.removeFinalizer(client.resource(r), r, null);
        }
      }
      if (!skip) {
        // A schedule: the requests' own delete pipelines run; polled every second until they are gone.
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(1000);
      }
    }
    // The requests are gone: workflows.promise.delete runs last, as in Kratix.
    if (!skip) {
      Duration wait = promiseDeleteWorkflow(promise);
      if (wait != null) {
        // A schedule: the delete pipeline's Job is polled while it runs.
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(wait.toMillis());
      }
    }
    runtime.stop(name);
    client.resources(Work.class).inNamespace(operatorNamespace).withName(name + "-dependencies").delete();
    if (crdName != null) {
      // Only a CRD this Promise created: status.crdName alone does not prove it (a CRD of the same name may have
      // been replaced by someone else's since).
      var crd = client.apiextensions().v1().customResourceDefinitions().withName(crdName).get();
      if (crd != null && RequestCrdBuilder.notOwned(crdName, crd.getMetadata().getLabels(), name) == null) {
        client.apiextensions().v1().customResourceDefinitions().withName(crdName).delete();
      } else if (crd != null) {
        events.warning(promise, "CrdNotOwned", "CRD " + crdName + " was left in place: it is not labelled as"
            + " created by Tarmac for Promise " + name);
      }
    }
    return DeleteControl.defaultDelete();
  }

  /**
   * Runs {@code workflows.promise.delete}; null when it finished (or there is none), else how long to wait before
   * looking again. A failing run is retried with backoff, its message in the Promise's {@code Ready} condition
   * together with the annotation that skips it.
   */
  private Duration promiseDeleteWorkflow(P promise) {
    var workflows = promise.getSpec().workflows;
    if (workflows == null || workflows.promise == null || workflows.promise.delete == null
        || workflows.promise.delete.isEmpty()) {
      return null;
    }
    Promise.Status status = promise.getStatus() == null ? new Promise.Status() : promise.getStatus();
    promise.setStatus(status);
    var before = StatusChange.snapshot(promise);
    Long generation = promise.getMetadata().getGeneration();
    WorkflowRunner.Outcome outcome;
    try {
      List<Pipeline> pipelines = Pipeline.parseAll(workflows.promise.delete, "workflows.promise.delete");
      String hash = SpecHash.of(Serialization.JSON.valueToTree(promise.getSpec()),
          Serialization.JSON.getNodeFactory().textNode("delete"));
      outcome = runtime.runner().run(owner(promise), pipelines, "delete", hash,
          status.deletePipelines == null ? List.of() : status.deletePipelines);
    } catch (PipelineException e) {
      Conditions.setFalse(status, Conditions.READY, "InvalidPipeline", e.getMessage() + "; fix"
          + " workflows.promise.delete or set annotation " + Labels.SKIP_DELETE_PIPELINES + "=true", generation);
      writeStatusIfChanged(promise, before);
      return Duration.ofSeconds(10);
    }
    status.deletePipelines = new ArrayList<>(outcome.runs());
    if (outcome.completed()) {
      return null;
    }
    if (outcome.failure() != null) {
      Conditions.setFalse(status, Conditions.READY, "DeletePipelineFailed", outcome.failure()
          + "; set annotation " + Labels.SKIP_DELETE_PIPELINES + "=true to delete anyway", generation);
      events.warning(promise, "DeletePipelineFailed", outcome.failure());
    } else {
      Conditions.setFalse(status, Conditions.READY, "Deleting", "running workflows.promise.delete", generation);
    }
    writeStatusIfChanged(promise, before);
    // Promise Jobs do not wake the Promise up: look again soon while they run.
    return outcome.requeueAfter() != null ? outcome.requeueAfter() : Duration.ofSeconds(2);
  }

  private void writeStatusIfChanged(P promise, JsonNode before) {
    if (!StatusChange.changed(before, promise)) {
      return;
    }
    try {
      client.resource(promise).patchStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404 && e.getCode() != 409) {
        throw e;
      }
    }
  }

  /** Reconciles Promises of Tarmac's group. */
  @io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration(name = "promise")
  public static final class ForTarmac extends PromiseReconciler<Promise> {
    /** See {@link PromiseReconciler#PromiseReconciler}. */
    public ForTarmac(KubernetesClient client, PromiseRuntime runtime, Events events, String operatorNamespace) {
      super(client, runtime, events, operatorNamespace);
    }
  }

  /** Reconciles Promises written for Kratix ({@code platform.kratix.io/v1alpha1}). */
  @io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration(name = "kratix-promise")
  public static final class ForKratix extends PromiseReconciler<dev.tarmac.api.KratixPromise> {
    /** See {@link PromiseReconciler#PromiseReconciler}. */
    public ForKratix(KubernetesClient client, PromiseRuntime runtime, Events events, String operatorNamespace) {
      super(client, runtime, events, operatorNamespace);
    }
  }
}
