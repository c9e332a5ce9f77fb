package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A place outputs go (Kratix's Destination): a state store plus a path; its metadata labels are matched by
 * Promise and pipeline destination selectors.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("dest")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "STORE", jsonPath = ".spec.stateStoreRef.name", type = Type.STRING)
@AdditionalPrinterColumn(name = "PATH", jsonPath = ".spec.path", type = Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("destinations")
public class Destination extends CustomResource<Destination.Spec, Destination.Status> {

  /** The Destination. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @Required
    @JsonPropertyDescription("The state store this Destination writes to.")
    public StateStoreRef stateStoreRef;

    @JsonPropertyDescription("Folder inside the store's path; defaults to the Destination's name.")
    @io.fabric8.generator.annotation.Pattern("^[A-Za-z0-9._/-]*$")
    public String path;

    @JsonPropertyDescription("When true, only Works whose selectors name every label of this Destination match"
        + " (Kratix's strictMatchLabels); a Work with no selectors is not placed here.")
    public Boolean strictMatchLabels;
  }

  /** A reference to a state store. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class StateStoreRef {
    @Required
    @JsonPropertyDescription("Name of the state store.")
    public String name;
    @JsonPropertyDescription("Kind of the state store: GitStateStore.")
    public String kind = "GitStateStore";
  }

  /** What the operator observed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
    @JsonPropertyDescription("Number of Works placed here.")
    public Integer works;
  }
}
