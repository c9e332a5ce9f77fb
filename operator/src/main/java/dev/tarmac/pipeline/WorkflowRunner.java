package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Labels;
import dev.tarmac.api.PipelineRunStatus;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.statestore.WorkRejectedException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Runs an object's workflow — its Pipelines in order — one step further per call, and reports where it stands.
 * Built-in Pipelines run here and now; a container Pipeline becomes a Job (created once per spec hash) and the call
 * returns while it runs (the Job's events bring the object back). A Pipeline is run again only when the spec hash
 * changes (spec, Pipelines or the rerun annotation), or after a failure once its backoff has passed.
 *
 * <p>Each Pipeline's output becomes one Work named {@code <owner>-<kind>-<pipeline>}, owned by the object, carrying
 * the Promise's and the Pipeline's destination selectors. Only the operator writes Works: a container run's collector
 * hands its output over in the run's own ConfigMap ({@link PipelineOutput}), which the operator reads when the Job
 * completes, checks, and turns into the Work through {@link #applyWork}, the one place where any run's output (built-in
 * or container) becomes a Work. A refused output fails the run with reason {@link #INVALID_OUTPUT}, and nothing of it
 * is written.
 */
public final class WorkflowRunner {

  /** The reason of a run whose output was refused. */
  public static final String INVALID_OUTPUT = "InvalidOutput";

  /**
   * Where the workflow stands after a call.
   *
   * @param runs the pipelines' states, in order, for {@code status.pipelines}
   * @param completed every Pipeline succeeded for the current hash
   * @param failure why the workflow is stuck (the failed Pipeline's message), or null
   * @param failureReason the reason for the condition (PipelineFailed, InvalidOutput, ...)
   * @param statusPatch status fields the Pipelines produced (status.yaml), to merge into the object's status
   * @param requeueAfter when to look again (backoff, or a running Job's deadline), or null
   * @param works the names of the Works the workflow produced
   */
  public record Outcome(List<PipelineRunStatus> runs, boolean completed, String failure, String failureReason,
      ObjectNode statusPatch, Duration requeueAfter, List<String> works) {
  }

  /**
   * The object a workflow runs for.
   *
   * @param object the object as JSON (status included), as pipelines see it
   * @param apiVersion its apiVersion
   * @param kind its kind
   * @param namespace its namespace, null when cluster-scoped
   * @param name its name
   * @param uid its UID
   * @param promise the Promise
   * @param workflowType resource or promise
   * @param jobNamespace where Jobs and Works go
   * @param serviceAccount the pipeline ServiceAccount
   * @param selectors the Promise's destination selectors
   */
  public record Owner(JsonNode object, String apiVersion, String kind, String namespace, String name, String uid,
      String promise, String workflowType, String jobNamespace, String serviceAccount, List<Selector> selectors) {
  }

  private final KubernetesClient client;
  private final Map<String, BuiltInStep> builtIns;
  private final PipelineJobBuilder jobs;
  private final BiFunction<String, String, Job> jobCache;
  private final Clock clock;
  private final dev.tarmac.policy.OutputGuard guard;

  /** As the full constructor, with no output guard. */
  public WorkflowRunner(KubernetesClient client, Map<String, BuiltInStep> builtIns, PipelineJobBuilder jobs,
      BiFunction<String, String, Job> jobCache, Clock clock) {
    this(client, builtIns, jobs, jobCache, clock, dev.tarmac.policy.OutputGuard.NONE);
  }

  /**
   * @param client the client (writes Works, ConfigMaps, Jobs)
   * @param builtIns built-in steps by image name
   * @param jobs builds Jobs for container Pipelines
   * @param jobCache looks a Job up by namespace and name (an informer cache)
   * @param clock the time, for backoff
   * @param guard checks every output before it becomes a Work (the Promise's outputPolicy)
   */
  public WorkflowRunner(KubernetesClient client, Map<String, BuiltInStep> builtIns, PipelineJobBuilder jobs,
      BiFunction<String, String, Job> jobCache, Clock clock, dev.tarmac.policy.OutputGuard guard) {
    this.guard = guard;
    this.client = client;
    this.builtIns = builtIns;
    this.jobs = jobs;
    this.jobCache = jobCache;
    this.clock = clock;
  }

  /**
   * Takes the workflow one step further.
   *
   * @param owner the object
   * @param pipelines its Pipelines, in order
   * @param action configure or delete
   * @param hash the spec hash of this run
   * @param previous the pipelines' states from status (may be empty)
   */
  public Outcome run(Owner owner, List<Pipeline> pipelines, String action, String hash,
      List<PipelineRunStatus> previous) {
    List<PipelineRunStatus> runs = new ArrayList<>();
    ObjectNode statusPatch = Serialization.JSON.createObjectNode();
    List<String> works = new ArrayList<>();
    Instant now = clock.instant();
    boolean completed = true;
    String failure = null;
    String failureReason = null;
    Duration requeue = null;
    for (Pipeline pipeline : pipelines) {
      PipelineRunStatus prev = previous.stream().filter(p -> pipeline.name().equals(p.name)).findFirst()
          .orElse(null);
      String workName = workName(owner.name(), owner.kind(), pipeline.name(), action);
      if (!completed || failure != null) {
        runs.add(prev != null ? prev : pending(pipeline, hash));
        continue;
      }
      if (prev != null && hash.equals(prev.specHash) && "Succeeded".equals(prev.phase)) {
        runs.add(prev);
        works.add(prev.workName);
        continue;
      }
      boolean retrying = prev != null && hash.equals(prev.specHash) && "Failed".equals(prev.phase);
      if (retrying && prev.nextAttemptTime != null && now.isBefore(Instant.parse(prev.nextAttemptTime))) {
        runs.add(prev);
        failure = prev.message;
        failureReason = prev.reason != null ? prev.reason : "PipelineFailed";
        requeue = Duration.between(now, Instant.parse(prev.nextAttemptTime)).plusMillis(100);
        continue;
      }
      int attempts = retrying ? prev.attempts + 1 : 1;
      PipelineRunStatus run = new PipelineRunStatus();
      run.name = pipeline.name();
      run.specHash = hash;
      run.attempts = attempts;
      run.lastRunTime = retrying || prev == null || !hash.equals(prev.specHash) ? now.truncatedTo(ChronoUnit.SECONDS)
          .toString() : prev.lastRunTime;
      run.workName = workName;
      if (pipeline.builtInOnly()) {
        try {
          StepOutput out = runBuiltIns(owner, pipeline);
          if ("configure".equals(action)) {
            applyWork(owner, pipeline, workName, hash, out);
            works.add(workName);
          }
          StatusMerge.merge(statusPatch, out.status());
          run.phase = "Succeeded";
        } catch (PipelineException | WorkRejectedException | dev.tarmac.policy.OutputNotAllowedException e) {
          failureReason = reason(e);
          fail(run, attempts, now, e.getMessage(), failureReason);
          failure = "Pipeline " + pipeline.name() + ": " + e.getMessage();
          requeue = Backoff.after(attempts);
        }
        runs.add(run);
        continue;
      }
      // A container Pipeline: one Job per spec hash.
      PipelineJobBuilder.Run jobRun = new PipelineJobBuilder.Run(pipeline, owner.promise(), owner.workflowType(),
          action, owner.apiVersion(), owner.kind(), owner.namespace(), owner.name(), owner.uid(),
          hash + (attempts > 1 ? "-" + attempts : ""), owner.jobNamespace(), owner.serviceAccount(),
          null, workName);
      String jobName = PipelineJobBuilder.jobName(jobRun);
      Job job = jobCache.apply(owner.jobNamespace(), jobName);
      run.jobName = jobName;
      if (job == null) {
        startJob(owner, jobRun, jobName);
        run.phase = "Running";
        run.lastRunTime = now.truncatedTo(ChronoUnit.SECONDS).toString();
        completed = false;
      } else if (condition(job, "Complete")) {
        try {
          if ("configure".equals(action)) {
            // The collector only handed the output over; the operator checks it and writes the Work itself.
            StepOutput out = readOutput(jobRun, job);
            applyWork(owner, pipeline, workName, jobRun.specHash(), out);
            StatusMerge.merge(statusPatch, out.status());
            works.add(workName);
          }
          run.phase = "Succeeded";
        } catch (WorkRejectedException | dev.tarmac.policy.OutputNotAllowedException e) {
          failureReason = reason(e);
          fail(run, attempts, now, e.getMessage(), failureReason);
          failure = "Pipeline " + pipeline.name() + ": " + e.getMessage();
          requeue = Backoff.after(attempts);
        }
      } else if (condition(job, "Failed")) {
        String why = terminationMessage(job);
        fail(run, attempts, now, why, "PipelineFailed");
        failure = "Pipeline " + pipeline.name() + ": " + why;
        failureReason = "PipelineFailed";
        requeue = Backoff.after(attempts);
      } else {
        run.phase = "Running";
        run.lastRunTime = prev != null && prev.lastRunTime != null ? prev.lastRunTime : run.lastRunTime;
        completed = false;
      }
      runs.add(run);
    }
    return new Outcome(runs, completed && failure == null, failure, failureReason, statusPatch, requeue, works);
  }

  /** The condition reason of a refused run: its output broke a rule, broke the Promise's policy, or a step failed. */
  private static String reason(RuntimeException e) {
    if (e instanceof WorkRejectedException) {
      return INVALID_OUTPUT;
    }
    return e instanceof dev.tarmac.policy.OutputNotAllowedException ? dev.tarmac.policy.OutputNotAllowedException.REASON
        : "PipelineFailed";
  }

  private static PipelineRunStatus pending(Pipeline pipeline, String hash) {
    PipelineRunStatus p = new PipelineRunStatus();
    p.name = pipeline.name();
    p.phase = "Pending";
    p.specHash = hash;
    p.attempts = 0;
    return p;
  }

  private static void fail(PipelineRunStatus run, int attempts, Instant now, String message, String reason) {
    run.phase = "Failed";
    run.message = message;
    run.reason = reason;
    run.nextAttemptTime = now.plus(Backoff.after(attempts)).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /**
   * The Work of one Pipeline of an owner: {@code <owner>-<kind>-<pipeline>}, kind in lower case (delete runs write
   * none). The kind keeps apart requests of two Promises that share a name and a pipeline name in one namespace
   * (the shipped {@code postgresql} and {@code postgresqlinstance} Promises both run {@code compose}).
   */
  public static String workName(String owner, String kind, String pipeline, String action) {
    String name = owner + "-" + kind.toLowerCase(java.util.Locale.ROOT) + "-" + pipeline
        + ("delete".equals(action) ? "-delete" : "");
    return name.length() <= 253 ? name : name.substring(0, 240) + "-" + Integer.toHexString(name.hashCode());
  }

  private StepOutput runBuiltIns(Owner owner, Pipeline pipeline) {
    StepOutput out = new StepOutput();
    for (Pipeline.Step step : pipeline.steps()) {
      BuiltInStep builtIn = builtIns.get(step.image());
      if (builtIn == null) {
        throw new PipelineException("step " + step.name() + ": built-in " + step.image() + " is not available in"
            + " this operator");
      }
      try {
        out.merge(builtIn.run(owner.object(), step.with() == null ? Serialization.JSON.createObjectNode()
            : step.with()));
      } catch (PipelineException e) {
        throw new PipelineException("step " + step.name() + " (" + step.image() + "): " + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * The shard label a Work of {@code owner} carries (docs/scaling.md): the request's (or claim's, XR's, Database's)
   * own {@link Labels#SHARD}, so the Work controller of the same shard writes it; none for a Promise's own Works
   * (dependencies, promise workflows), which the default shard writes whatever labels the Promise has. Null: none.
   */
  static String shardOf(Owner owner) {
    if (owner.object() == null || "promise".equals(owner.workflowType())) {
      return null;
    }
    JsonNode value = owner.object().path("metadata").path("labels").path(Labels.SHARD);
    return value.isTextual() ? value.asText() : null;
  }

  /**
   * The Work for a Pipeline's output. Pure. Namespace, owner and the Promise's selectors come from {@code owner}
   * (the request and its Promise); the output adds files and may add selectors that narrow placement where the
   * Promise's selectors are silent ({@link PipelineOutput#selectors}: the Promise's labels win a conflict, as in
   * Kratix).
   */
  public static Work work(Owner owner, String pipeline, String workName, String hash, StepOutput out) {
    Work w = new Work();
    w.setMetadata(new ObjectMetaBuilder()
        .withName(workName)
        .withNamespace(owner.jobNamespace())
        .addToLabels(Labels.MANAGED_BY, "tarmac")
        .addToLabels(Labels.OWNER_KIND, owner.kind())
        .addToLabels(Labels.OWNER_NAME, owner.name())
        .addToLabels(Labels.OWNER_UID, owner.uid())
        .addToLabels(Labels.PROMISE, owner.promise())
        .addToLabels(Labels.PIPELINE, pipeline)
        .addToLabels(Labels.SPEC_HASH, hash)
        .addToFinalizers(Labels.WORK_FINALIZER)
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(owner.apiVersion()).withKind(owner.kind())
            .withName(owner.name()).withUid(owner.uid()).withBlockOwnerDeletion(false).withController(true).build())
        .build());
    if (owner.namespace() != null) {
      w.getMetadata().getLabels().put(Labels.OWNER_NAMESPACE, owner.namespace());
    }
    String shard = shardOf(owner);
    if (shard != null) {
      w.getMetadata().getLabels().put(Labels.SHARD, shard);
    }
    Work.Spec spec = new Work.Spec();
    spec.promiseName = owner.promise();
    spec.workType = owner.workflowType();
    spec.owner = new Work.OwnerRef();
    spec.owner.apiVersion = owner.apiVersion();
    spec.owner.kind = owner.kind();
    spec.owner.namespace = owner.namespace();
    spec.owner.name = owner.name();
    spec.owner.uid = owner.uid();
    spec.destinationSelectors = PipelineOutput.selectors(owner.selectors(), out.selectors());
    out.files().forEach((path, content) -> spec.files.add(new Work.WorkFile(path, content)));
    w.setSpec(spec);
    return w;
  }

  /**
   * The one place where a run's output becomes a Work (built-in and container runs alike): builds it, checks it,
   * applies it. Throws before anything is written.
   */
  private void applyWork(Owner owner, Pipeline pipeline, String workName, String hash, StepOutput out) {
    Work w = work(owner, pipeline.name(), workName, hash, out);
    dev.tarmac.statestore.StateStoreLayout.validate(w, dev.tarmac.statestore.StateStoreLayout.Limits.DEFAULT);
    guard.check(owner, workName, out.files());
    client.resource(w).fieldManager("tarmac").forceConflicts().serverSideApply();
  }

  /** A container run's output: its ConfigMap read with a GET (never a cache another writer may be ahead of). */
  private StepOutput readOutput(PipelineJobBuilder.Run run, Job job) {
    String name = PipelineOutput.configMapName(job.getMetadata().getName());
    ConfigMap cm = client.configMaps().inNamespace(job.getMetadata().getNamespace()).withName(name).get();
    return PipelineOutput.fromConfigMap(cm, name, job.getMetadata().getName(), job.getMetadata().getUid(),
        PipelineJobBuilder.labels(run), dev.tarmac.statestore.StateStoreLayout.Limits.DEFAULT);
  }

  /**
   * The run's empty output ConfigMap and a Role + RoleBinding letting the pipeline ServiceAccount get, update and
   * patch that one ConfigMap, all controlled by the Job so that garbage collection removes them with it. A ConfigMap
   * of that name that the Job does not control (made ahead by someone who guessed the name) is replaced.
   */
  private void handOver(Owner owner, PipelineJobBuilder.Run run, Job created) {
    String ns = created.getMetadata().getNamespace();
    String name = PipelineOutput.configMapName(created.getMetadata().getName());
    var ownerRef = new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
        .withName(created.getMetadata().getName()).withUid(created.getMetadata().getUid())
        .withBlockOwnerDeletion(false).withController(true).build();
    ConfigMap output = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(ns)
        .withLabels(PipelineJobBuilder.labels(run)).withOwnerReferences(ownerRef).endMetadata().build();
    var resource = client.configMaps().inNamespace(ns).withName(name);
    try {
      resource.create(output);
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      ConfigMap existing = resource.get();
      boolean ours = existing != null && existing.getMetadata().getOwnerReferences() != null
          && existing.getMetadata().getOwnerReferences().stream()
              .anyMatch(o -> created.getMetadata().getUid().equals(o.getUid()));
      if (existing != null && !ours) {
        output.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
        client.configMaps().inNamespace(ns).resource(output).update();
      }
    }
    client.resource(new RoleBuilder().withNewMetadata().withName(name).withNamespace(ns)
        .withLabels(PipelineJobBuilder.labels(run)).withOwnerReferences(ownerRef).endMetadata()
        .addToRules(new PolicyRuleBuilder().withApiGroups("").withResources("configmaps").withResourceNames(name)
            .withVerbs("get", "update", "patch").build())
        .build()).fieldManager("tarmac").forceConflicts().serverSideApply();
    client.resource(new RoleBindingBuilder().withNewMetadata().withName(name).withNamespace(ns)
        .withLabels(PipelineJobBuilder.labels(run)).withOwnerReferences(ownerRef).endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(name).endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName(owner.serviceAccount()).withNamespace(ns).endSubject()
        .build()).fieldManager("tarmac").forceConflicts().serverSideApply();
  }

  private void startJob(Owner owner, PipelineJobBuilder.Run run, String jobName) {
    String configMap = jobName + "-input";
    String object;
    try {
      object = Serialization.YAML.writeValueAsString(owner.object());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    Job job = jobs.build(new PipelineJobBuilder.Run(run.pipeline(), run.promise(), run.workflowType(), run.action(),
        run.ownerApiVersion(), run.ownerKind(), run.ownerNamespace(), run.ownerName(), run.ownerUid(), run.specHash(),
        run.namespace(), run.serviceAccount(), configMap, run.workName()));
    Job created;
    try {
      created = client.resource(job).create();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      created = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
          .withName(job.getMetadata().getName()).get();
    }
    if (created != null && created.getMetadata().getUid() != null) {
      handOver(owner, run, created);
    }
    // The input belongs to its Job: it goes when the Job does (ttlSecondsAfterFinished, or with its request), instead
    // of one ConfigMap per run staying forever. The pod waits for the volume until it exists.
    var meta = new ConfigMapBuilder().withNewMetadata().withName(configMap).withNamespace(owner.jobNamespace())
        .withLabels(PipelineJobBuilder.labels(run));
    if (created != null && created.getMetadata().getUid() != null) {
      meta.addNewOwnerReference().withApiVersion("batch/v1").withKind("Job")
          .withName(created.getMetadata().getName()).withUid(created.getMetadata().getUid())
          .withBlockOwnerDeletion(false).withController(true).endOwnerReference();
    }
    client.configMaps().inNamespace(owner.jobNamespace()).resource(meta.endMetadata()
        .addToData("object.yaml", object).build()).fieldManager("tarmac").forceConflicts().serverSideApply();
  }

  private static boolean condition(Job job, String type) {
    return job.getStatus() != null && job.getStatus().getConditions() != null && job.getStatus().getConditions()
        .stream().anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private String terminationMessage(Job job) {
    String fallback = job.getStatus().getConditions().stream().filter(c -> "Failed".equals(c.getType()))
        .map(c -> c.getReason() + (c.getMessage() == null ? "" : ": " + c.getMessage())).findFirst()
        .orElse("the Job failed");
    return Jobs.failingStep(client, job).orElse(fallback);
  }
}
