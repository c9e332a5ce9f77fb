package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.List;

/**
 * A platform API (Kratix style): {@code spec.api} is a full CustomResourceDefinition for the request kind,
 * {@code workflows} are the Pipelines run for the Promise and for every request, {@code dependencies} are written
 * once to every matching Destination. Shape: shared/DESIGN.md and Kratix's Promise reference; a Promise written for
 * Kratix ({@code platform.kratix.io/v1alpha1}) is accepted with the same spec.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("prom")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "KIND", jsonPath = ".status.kind", type = Type.STRING)
@AdditionalPrinterColumn(name = "API VERSION", jsonPath = ".status.apiVersion", type = Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("promises")
public class Promise extends CustomResource<Promise.Spec, Promise.Status> {

  /** The Promise. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @JsonPropertyDescription("The request API: a full apiextensions.k8s.io/v1 CustomResourceDefinition.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public JsonNode api;

    @JsonPropertyDescription("Destinations whose labels match any of these selectors receive this Promise's outputs.")
    public List<Selector> destinationSelectors;

    @JsonPropertyDescription("Manifests written once to every matching Destination.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public List<JsonNode> dependencies;

    @JsonPropertyDescription("Promises that must be Available before this one is.")
    public List<RequiredPromise> requiredPromises;

    @JsonPropertyDescription("Pipelines run for the Promise (promise) and for every request (resource).")
    public Workflows workflows;

    @JsonPropertyDescription("What the resource workflows' outputs may contain: kinds, cluster scope, namespaces and"
        + " CEL rules (docs/guardrails.md). Absent: any namespaced kind, only in the request's namespace.")
    public OutputPolicy outputPolicy;
  }

  /** A Promise this one needs. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RequiredPromise {
    @JsonPropertyDescription("Name of the required Promise.")
    public String name;
    @JsonPropertyDescription("Version label the required Promise must carry, if any.")
    public String version;
  }

  /** Workflows per lifecycle. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Workflows {
    @JsonPropertyDescription("Settings for every workflow of this Promise (Kratix's workflows.config); see"
        + " docs/promises.md for what Tarmac does with each.")
    public WorkflowConfig config;
    @JsonPropertyDescription("Pipelines run when the Promise changes (configure) and when it is deleted (delete).")
    public Lifecycle promise;
    @JsonPropertyDescription("Pipelines run for every request (configure) and when a request is deleted (delete).")
    public Lifecycle resource;
  }

  /** Kratix's {@code workflows.config}: settings shared by the Promise's promise and resource workflows. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class WorkflowConfig {
    @JsonPropertyDescription("Namespace the workflow Jobs run in (Kratix). Tarmac runs them in the request's namespace"
        + " (the operator's for promise workflows) and reports WorkflowConfigIgnored when this is set.")
    public String pipelineNamespace;
    @JsonPropertyDescription("How often the configure workflows run again although nothing changed, a Go duration"
        + " such as 10h or 30m (Kratix).")
    public String reconciliationInterval;
  }

  /** Pipelines by action. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Lifecycle {
    @JsonPropertyDescription("Pipelines (kind Pipeline, Tarmac or Kratix apiVersion) run in order on create/update.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public List<JsonNode> configure;
    @JsonPropertyDescription("Pipelines run in order on delete.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public List<JsonNode> delete;
  }

  /** What the operator observed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
    @JsonPropertyDescription("Kind of the requests this Promise serves.")
    public String kind;
    @JsonPropertyDescription("apiVersion of the requests this Promise serves.")
    public String apiVersion;
    @JsonPropertyDescription("Name of the generated request CRD.")
    public String crdName;
    @JsonPropertyDescription("Requests by state.")
    public RequestCounts requests;
    @JsonPropertyDescription("Promise-level pipeline runs.")
    public List<PipelineRunStatus> pipelines = new ArrayList<>();
    @JsonPropertyDescription("Runs of workflows.promise.delete while the Promise is being deleted.")
    public List<PipelineRunStatus> deletePipelines;
    @JsonPropertyDescription("Available or Unavailable, as Kratix reports it (from the Available condition).")
    public String status;
    @JsonPropertyDescription("A message from the Promise's configure workflow (its metadata/status.yaml), as in"
        + " Kratix.")
    public String message;
    @JsonPropertyDescription("The Promise's version: its kratix.io/promise-version label.")
    public String version;
    @JsonPropertyDescription("When the Promise was last seen Available (RFC 3339).")
    public String lastAvailableTime;
    @JsonPropertyDescription("Number of workflows.promise.configure pipelines.")
    public Long workflows;
    @JsonPropertyDescription("Number of those pipelines that succeeded for the current spec.")
    public Long workflowsSucceeded;
    @JsonPropertyDescription("Number of those pipelines that failed for the current spec.")
    public Long workflowsFailed;
    @JsonPropertyDescription("State of each of spec.requiredPromises.")
    public List<RequiredPromiseStatus> requiredPromises;
    @JsonPropertyDescription("Promises whose spec.requiredPromises names this one.")
    public List<RequiredBy> requiredBy;
    @JsonPropertyDescription("Kratix's copy of kind, apiVersion, status, version and lastAvailableTime, plus its"
        + " workflow state; Tarmac keeps the copies equal to the fields above.")
    public KratixStatus kratix;
  }

  /** The state of one required Promise, as Kratix writes it in {@code status.requiredPromises}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RequiredPromiseStatus {
    @JsonPropertyDescription("Name of the required Promise.")
    public String name;
    @JsonPropertyDescription("Version required (spec.requiredPromises[].version), if any.")
    public String version;
    @JsonPropertyDescription("Kratix's state text: Requirement installed, Requirement not installed, Requirement not"
        + " installed at the specified version, Requirement not available.")
    public String state;
  }

  /** A Promise that requires this one ({@code status.requiredBy}). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RequiredBy {
    @JsonPropertyDescription("The requiring Promise: name and version.")
    public PromiseSummary promise;
    @JsonPropertyDescription("The version of this Promise it requires, if any.")
    public String requiredVersion;
  }

  /** A Promise by name and version. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PromiseSummary {
    @JsonPropertyDescription("Name of the Promise.")
    public String name;
    @JsonPropertyDescription("Version of the Promise.")
    public String version;
  }

  /** Kratix's {@code status.kratix}: fields Kratix's controllers own. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KratixStatus {
    @JsonPropertyDescription("Kind of the requests.")
    public String kind;
    @JsonPropertyDescription("Version of the Promise.")
    public String version;
    @JsonPropertyDescription("apiVersion of the requests.")
    public String apiVersion;
    @JsonPropertyDescription("Available or Unavailable.")
    public String status;
    @JsonPropertyDescription("When the Promise was last seen Available (RFC 3339).")
    public String lastAvailableTime;
    @JsonPropertyDescription("Kratix's workflow state (pipelines, suspendedGeneration); accepted, not written by"
        + " Tarmac (status.pipelines holds Tarmac's).")
    public KratixWorkflowStatus workflows;
  }

  /** Kratix's {@code status.kratix.workflows}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KratixWorkflowStatus {
    @JsonPropertyDescription("State of each pipeline.")
    public List<KratixPipelineStatus> pipelines;
    @JsonPropertyDescription("Generation at which the workflow was suspended.")
    public Long suspendedGeneration;
  }

  /** Kratix's state of one pipeline. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KratixPipelineStatus {
    @JsonPropertyDescription("Name of the pipeline.")
    public String name;
    @JsonPropertyDescription("Phase of the pipeline.")
    public String phase;
    @JsonPropertyDescription("Message from the suspended pipeline.")
    public String message;
    @JsonPropertyDescription("When the pipeline is retried.")
    public String nextRetryAt;
    @JsonPropertyDescription("Attempts so far.")
    public Long attempts;
    @JsonPropertyDescription("Last transition time (RFC 3339).")
    public String lastTransitionTime;
  }

  /** Counters of requests. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RequestCounts {
    @JsonPropertyDescription("All requests.")
    public Integer total;
    @JsonPropertyDescription("Requests whose Ready condition is True.")
    public Integer ready;
    @JsonPropertyDescription("Requests whose Ready condition is False.")
    public Integer failed;
  }
}
