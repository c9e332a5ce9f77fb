package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.List;

/**
 * A piece of software (Backstage's Component entity); when it names a Template it is scaffolded once.
 * Fields follow Backstage's descriptor format for kind Component.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("tcomp")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "TYPE", jsonPath = ".spec.type", type = Type.STRING)
@AdditionalPrinterColumn(name = "OWNER", jsonPath = ".spec.owner", type = Type.STRING)
@AdditionalPrinterColumn(name = "LIFECYCLE", jsonPath = ".spec.lifecycle", type = Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("components")
public class Component extends CustomResource<Component.Spec, Component.Status> implements Namespaced {

  /** The Component. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @Required
    @JsonPropertyDescription("Component type: service, website, library, ...")
    public String type;
    @Required
    @JsonPropertyDescription("Lifecycle: experimental, production, deprecated.")
    public String lifecycle;
    @Required
    @JsonPropertyDescription("Owner entity reference, e.g. team-payments or group:default/team-payments.")
    public String owner;
    @JsonPropertyDescription("The System this Component is part of.")
    public String system;
    @JsonPropertyDescription("The Component this one is a subcomponent of.")
    public String subcomponentOf;
    @JsonPropertyDescription("API entity references this Component provides.")
    public List<String> providesApis;
    @JsonPropertyDescription("API entity references this Component consumes.")
    public List<String> consumesApis;
    @JsonPropertyDescription("Entity references this Component depends on, e.g. resource:payments-db.")
    public List<String> dependsOn;
    @JsonPropertyDescription("Scaffold from a Template once: its name and parameter values.")
    public TemplateRef template;
  }

  /** The Template to scaffold from. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class TemplateRef {
    @Required
    @JsonPropertyDescription("Name of the Template.")
    public String name;
    @JsonPropertyDescription("Parameter values, validated against the Template's parameter schema.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public JsonNode values;
  }

  /** What the operator observed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
    @JsonPropertyDescription("Scorecard results for this Component's entity.")
    public List<ScorecardResult> scorecards = new ArrayList<>();
    @JsonPropertyDescription("What each scaffolder step did, in order; a finished step is not run again until the"
        + " platform.tarmac.dev/rescaffold annotation changes.")
    public List<StepResult> steps = new ArrayList<>();
    @JsonPropertyDescription("The repository the Component was scaffolded into.")
    public String repositoryUrl;
    @JsonPropertyDescription("The commit that holds the scaffolded files.")
    public String commit;
    @JsonPropertyDescription("The Template's output links, rendered.")
    public List<Link> links = new ArrayList<>();
    @JsonPropertyDescription("The rescaffold annotation value this scaffold was made for.")
    public String scaffoldToken;
    @JsonPropertyDescription("When the scaffolded repository was last re-created (RFC 3339): it was missing from the"
        + " embedded Git server (a new or wiped data volume) and was rendered again from the Template and"
        + " spec.template.values; its earlier history is lost.")
    public String recreatedAt;
  }

  /** One scaffolder step's result. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class StepResult {
    @JsonPropertyDescription("Step id.")
    public String id;
    @JsonPropertyDescription("Action, e.g. fetch:template.")
    public String action;
    @JsonPropertyDescription("Succeeded, Failed or Skipped.")
    public String phase;
    @JsonPropertyDescription("What the step produced (strings).")
    public java.util.Map<String, String> output;
    @JsonPropertyDescription("Why the step failed or was skipped.")
    public String message;
  }

  /** A link. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Link {
    @JsonPropertyDescription("Title.")
    public String title;
    @JsonPropertyDescription("URL.")
    public String url;
  }

  /** One scorecard's result. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ScorecardResult {
    @JsonPropertyDescription("Scorecard name.")
    public String name;
    @JsonPropertyDescription("Highest level reached: Bronze, Silver, Gold, or None.")
    public String level;
    @JsonPropertyDescription("Checks passed.")
    public List<String> passed;
    @JsonPropertyDescription("Checks failed.")
    public List<String> failed;
  }
}
