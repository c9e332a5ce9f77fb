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
 * A golden path (Backstage's scaffolder Template, {@code scaffolder.backstage.io/v1beta3}): parameters as JSON
 * Schema pages, steps with actions and inputs, output links, plus a skeleton.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("tmpl")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "TYPE", jsonPath = ".spec.type", type = Type.STRING)
@AdditionalPrinterColumn(name = "OWNER", jsonPath = ".spec.owner", type = Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("templates")
public class Template extends CustomResource<Template.Spec, Template.Status> {

  /** The Template. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @JsonPropertyDescription("Owner entity reference, e.g. group:platform-team.")
    public String owner;
    @JsonPropertyDescription("What the template creates: service, website, library, ...")
    public String type;
    @JsonPropertyDescription("Human title.")
    public String title;
    @JsonPropertyDescription("What the template is for.")
    public String description;
    @JsonPropertyDescription("JSON Schema pages for the parameters (Backstage shape; ui:* keys kept, ignored).")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public JsonNode parameters;
    @JsonPropertyDescription("Steps: id, name, action, input, if.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public List<JsonNode> steps;
    @JsonPropertyDescription("Output: links and text.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public JsonNode output;
    @JsonPropertyDescription("Skeleton: inline files (files: {path: text} or {path: {content: text, executable:"
        + " true}}), or a folder of a Git repository (git: {url, ref, path}; mode 100755 stays executable). Symbolic"
        + " links and names outside the skeleton are refused.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public JsonNode skeleton;
  }

  /** What the operator observed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
  }
}
