package dev.tarmac.promise;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.PipelineRunStatus;
import dev.tarmac.api.Promise;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The status fields Kratix writes on a Promise, derived from Tarmac's conditions and pipeline runs. Pure: the
 * reconciler calls {@link #apply} once per pass, after the conditions are set.
 *
 * <p>Meaning (Kratix's {@code api/v1alpha1/promise_types.go} and {@code promise_controller.go}):
 * <ul>
 *   <li>{@code status} is {@code Available} when the Promise serves its API and its promise configure workflows have
 *   all succeeded for the current spec (Tarmac: conditions {@code Available} and {@code Ready} both True), else
 *   {@code Unavailable} — Kratix, too, marks a Promise Available only at the end of a reconcile that got past its
 *   workflows;</li>
 *   <li>{@code version} is the {@code kratix.io/promise-version} label ({@link Requirements#version});</li>
 *   <li>{@code lastAvailableTime} is when the Promise last became Available (Kratix rewrites it on every reconcile;
 *   Tarmac only on the transition, so that a steady Promise causes no status write);</li>
 *   <li>{@code workflows}, {@code workflowsSucceeded}, {@code workflowsFailed}: the number of
 *   {@code workflows.promise.configure} pipelines, and of those whose last run for the current spec succeeded or
 *   failed;</li>
 *   <li>{@code kratix.{kind, apiVersion, status, version, lastAvailableTime}} repeat the fields above, as Kratix keeps
 *   them.</li>
 * </ul>
 */
public final class KratixStatusFields {

  /** {@code status.status} of a Promise that is Available. */
  public static final String AVAILABLE = "Available";
  /** {@code status.status} otherwise. */
  public static final String UNAVAILABLE = "Unavailable";

  private KratixStatusFields() {
  }

  /** True when {@code promise} is Available in Kratix's sense: its {@code Available} and {@code Ready} are True. */
  public static boolean available(Promise promise) {
    return promise.getStatus() != null && Conditions.isTrue(promise.getStatus(), Conditions.AVAILABLE)
        && Conditions.isTrue(promise.getStatus(), Conditions.READY);
  }

  /**
   * Sets Kratix's fields on {@code promise}'s status from its conditions, labels and {@code status.pipelines}.
   *
   * @param promise the Promise, status not null
   * @param now the time, for {@code lastAvailableTime}
   */
  public static void apply(Promise promise, Instant now) {
    Promise.Status s = promise.getStatus();
    String previous = s.status;
    s.status = available(promise) ? AVAILABLE : UNAVAILABLE;
    if (AVAILABLE.equals(s.status) && (!AVAILABLE.equals(previous) || s.lastAvailableTime == null)) {
      s.lastAvailableTime = now.truncatedTo(ChronoUnit.SECONDS).toString();
    }
    s.version = Requirements.version(promise);
    var workflows = promise.getSpec() == null ? null : promise.getSpec().workflows;
    List<?> configure = workflows == null || workflows.promise == null ? null : workflows.promise.configure;
    long total = configure == null ? 0 : configure.size();
    List<PipelineRunStatus> runs = s.pipelines == null ? List.of() : s.pipelines;
    s.workflows = total;
    s.workflowsSucceeded = runs.stream().filter(r -> "Succeeded".equals(r.phase)).count();
    s.workflowsFailed = runs.stream().filter(r -> "Failed".equals(r.phase)).count();
    Promise.KratixStatus k = s.kratix == null ? new Promise.KratixStatus() : s.kratix;
    k.kind = s.kind;
    k.apiVersion = s.apiVersion;
    k.status = s.status;
    k.version = s.version;
    k.lastAvailableTime = s.lastAvailableTime;
    s.kratix = k;
  }

  /** The condition type saying which {@code spec.workflows.config} fields Tarmac does not act on. */
  public static final String WORKFLOW_CONFIG_IGNORED = "WorkflowConfigIgnored";

  /**
   * Sets {@link #WORKFLOW_CONFIG_IGNORED} True when {@code spec.workflows.config} sets {@code pipelineNamespace} or
   * {@code reconciliationInterval} (reason {@code PipelineNamespaceIgnored}, {@code ReconciliationIntervalIgnored},
   * or {@code WorkflowConfigIgnored} for both), and removes it otherwise. Why each is ignored:
   * {@code pipelineNamespace} would run tenants' pipelines, with the rights their Promise grants, outside the
   * tenant's namespace, while Tarmac keeps a request's Jobs, output ConfigMaps and Works in the request's namespace
   * (docs/security.md); {@code reconciliationInterval}: Tarmac re-runs a pipeline when the request, the Promise's
   * Pipelines or the rerun annotation change, or after a failure with backoff, not on a clock
   * ({@code platform.tarmac.dev/rerun} forces a run).
   */
  public static void workflowConfig(Promise promise) {
    var workflows = promise.getSpec() == null ? null : promise.getSpec().workflows;
    Promise.WorkflowConfig config = workflows == null ? null : workflows.config;
    boolean namespace = config != null && config.pipelineNamespace != null && !config.pipelineNamespace.isEmpty();
    boolean interval = config != null && config.reconciliationInterval != null
        && !config.reconciliationInterval.isEmpty();
    Promise.Status s = promise.getStatus();
    if (!namespace && !interval) {
      s.conditions.removeIf(c -> WORKFLOW_CONFIG_IGNORED.equals(c.getType()));
      return;
    }
    List<String> why = new java.util.ArrayList<>();
    if (namespace) {
      why.add("spec.workflows.config.pipelineNamespace (" + config.pipelineNamespace + ") is ignored: Jobs run in the"
          + " request's namespace (the operator's for promise workflows), so a tenant's pipeline never runs in a"
          + " namespace its request is not in");
    }
    if (interval) {
      why.add("spec.workflows.config.reconciliationInterval (" + config.reconciliationInterval + ") is ignored:"
          + " pipelines run again when the request or the Promise changes, after a failure (with backoff), or when"
          + " annotation platform.tarmac.dev/rerun changes");
    }
    String reason = namespace && interval ? "WorkflowConfigIgnored" : namespace ? "PipelineNamespaceIgnored"
        : "ReconciliationIntervalIgnored";
    Conditions.setTrue(s, WORKFLOW_CONFIG_IGNORED, reason, String.join("; ", why),
        promise.getMetadata().getGeneration());
  }
}
