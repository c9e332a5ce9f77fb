package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.List;

/**
 * The documents one workflow run produced (Kratix's Work), scheduled onto every Destination whose labels match
 * its selectors. Written by the operator; the scheduler records placements in status.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@Categories(Api.CATEGORY)
@ShortNames("twork")
@AdditionalPrinterColumn(name = "PROMISE", jsonPath = ".spec.promiseName", type = Type.STRING)
@AdditionalPrinterColumn(name = "PUBLISHED", jsonPath = ".status.conditions[?(@.type==\"Published\")].status",
    type = Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("works")
public class Work extends CustomResource<Work.Spec, Work.Status> implements Namespaced {

  /** The Work. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @JsonPropertyDescription("The Promise whose workflow produced this Work, if any.")
    public String promiseName;

    @JsonPropertyDescription("Resources (a request's outputs) or dependencies (a Promise's).")
    @io.fabric8.generator.annotation.Pattern("^(resource|promise)$")
    public String workType = "resource";

    @JsonPropertyDescription("The object the documents belong to.")
    public OwnerRef owner;

    @JsonPropertyDescription("Destination selectors; a Destination must match all of them (and any one of"
        + " alternatives is not supported: list one selector per requirement set).")
    public List<Selector> destinationSelectors;

    @JsonPropertyDescription("The documents to publish: a relative path and its content.")
    public List<WorkFile> files = new ArrayList<>();
  }

  /** The object a Work was produced for. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class OwnerRef {
    @JsonPropertyDescription("apiVersion of the owner.")
    public String apiVersion;
    @JsonPropertyDescription("Kind of the owner.")
    public String kind;
    @JsonPropertyDescription("Namespace of the owner; empty for cluster-scoped owners.")
    public String namespace;
    @JsonPropertyDescription("Name of the owner.")
    public String name;
    @JsonPropertyDescription("UID of the owner.")
    public String uid;
  }

  /** One document. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class WorkFile {
    @JsonPropertyDescription("Path relative to the owner's folder; may contain sub-folders, never '..'.")
    public String path;
    @JsonPropertyDescription("File content (YAML documents).")
    public String content;

    public WorkFile() {
    }

    public WorkFile(String path, String content) {
      this.path = path;
      this.content = content;
    }
  }

  /** What the scheduler and the writer did. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
    @JsonPropertyDescription("Where the Work was placed.")
    public List<Placement> placements = new ArrayList<>();
  }

  /** One Destination the Work was placed on. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Placement {
    @JsonPropertyDescription("Destination name.")
    public String destination;
    @JsonPropertyDescription("Folder in the store the files were written under.")
    public String path;
    @JsonPropertyDescription("Commit that holds the current files.")
    public String commit;
    @JsonPropertyDescription("Written, or Removed when the Work no longer matches the Destination.")
    public String state;
  }
}
