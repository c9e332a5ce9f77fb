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
import java.util.List;

/**
 * Patch-and-transform of a composite into composed resources (Crossplane's Composition, mode Resources or mode
 * Pipeline). Field names and semantics are Crossplane's; see the composition package for the engine.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("comp")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "XR-KIND", jsonPath = ".spec.compositeTypeRef.kind", type = Type.STRING)
@AdditionalPrinterColumn(name = "TARGET", jsonPath = ".spec.target", type = Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("compositions")
public class Composition extends CustomResource<Composition.Spec, Composition.Status> {

  /** Where composed resources go. */
  public enum Target {
    /** Server-side applied into the cluster, owned by the composite. */
    Cluster,
    /** Written to Destinations through a Work. */
    Destinations
  }

  /** The Composition. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @JsonPropertyDescription("The kind this Composition composes (apiVersion and kind).")
    public TypeRef compositeTypeRef;

    @JsonPropertyDescription("Resources (the default; spec.resources) or Pipeline (spec.pipeline; docs/compositions.md).")
    public String mode;

    @JsonPropertyDescription("Resource templates: name, base, patches, readinessChecks, connectionDetails.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public List<JsonNode> resources;

    @JsonPropertyDescription("Named sets of patches that resources refer to with type PatchSet.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public List<JsonNode> patchSets;

    @JsonPropertyDescription("Crossplane mode Pipeline: steps run in order; Tarmac runs function-patch-and-transform,"
        + " function-auto-ready, function-cel-filter and function-environment-configs in-process.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public List<JsonNode> pipeline;

    @JsonPropertyDescription("Cluster (server-side apply, the default) or Destinations (written to Git).")
    public Target target;

    @JsonPropertyDescription("With target Destinations: which Destinations receive the composed resources.")
    public List<Selector> destinationSelectors;

    @JsonPropertyDescription("With target Destinations: what the composed resources written to Git may contain"
        + " (docs/guardrails.md). Absent: any namespaced kind, only in the claim's namespace.")
    public OutputPolicy outputPolicy;
  }

  /** apiVersion and kind of a composite. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class TypeRef {
    @JsonPropertyDescription("apiVersion of the composite.")
    public String apiVersion;
    @JsonPropertyDescription("Kind of the composite.")
    public String kind;
  }

  /** What the operator observed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
  }
}
