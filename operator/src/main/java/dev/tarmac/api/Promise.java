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
    @JsonPropertyDescription("Pipelines run when the Promise changes (configure) and when it is deleted (delete).")
    public Lifecycle promise;
    @JsonPropertyDescription("Pipelines run for every request (configure) and when a request is deleted (delete).")
    public Lifecycle resource;
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
