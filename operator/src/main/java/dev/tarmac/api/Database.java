package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.Map;

/**
 * A developer's claim for a database (Crossplane style): a Composition turns it into composed resources and a
 * connection Secret. Shape: shared/DESIGN.md, "Composition and Database".
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("tdb")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "ENGINE", jsonPath = ".spec.engine", type = Type.STRING)
@AdditionalPrinterColumn(name = "VERSION", jsonPath = ".spec.version", type = Type.STRING)
@AdditionalPrinterColumn(name = "SIZE", jsonPath = ".spec.size", type = Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("databases")
public class Database extends CustomResource<Database.Spec, Database.Status> implements Namespaced {

  /** Supported engines. */
  public enum Engine {
    @JsonProperty("postgresql") POSTGRESQL,
    @JsonProperty("mysql") MYSQL
  }

  /** T-shirt sizes; a Composition maps them to resources. */
  public enum Size {
    @JsonProperty("small") SMALL,
    @JsonProperty("medium") MEDIUM,
    @JsonProperty("large") LARGE
  }

  /** What happens to composed resources when the claim is deleted (Crossplane's deletionPolicy). */
  public enum DeletionPolicy {
    Delete,
    Retain
  }

  /** The claim. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @Required
    @JsonPropertyDescription("Database engine: postgresql or mysql.")
    public Engine engine;

    @JsonPropertyDescription("Engine major version, e.g. \"16\".")
    @Pattern("^[0-9]+(\\.[0-9]+)*$")
    public String version;

    @JsonPropertyDescription("Storage size in gigabytes (GiB), 1 to 65536.")
    @Min(1)
    @Max(65536)
    public Integer storageGB;

    @JsonPropertyDescription("T-shirt size: small, medium or large; the Composition maps it to CPU and memory.")
    public Size size;

    @JsonPropertyDescription("Days to keep backups, 0 (no backups) to 35.")
    @Min(0)
    @Max(35)
    public Integer backupRetentionDays;

    @JsonPropertyDescription("The Composition to use, by name. Takes precedence over compositionSelector.")
    public LocalObjectReference compositionRef;

    @JsonPropertyDescription("Selects a Composition by its labels when compositionRef is not set.")
    public LabelSelectorRef compositionSelector;

    @JsonPropertyDescription("The Secret, in the claim's namespace, that receives host, port, username, password,"
        + " database and uri.")
    public LocalObjectReference writeConnectionSecretToRef;

    @JsonPropertyDescription("Delete removes composed resources with the claim; Retain leaves them, unowned.")
    public DeletionPolicy deletionPolicy;
  }

  /** What the operator observed. Fields patched back by ToCompositeFieldPath are kept as they are. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @io.fabric8.crd.generator.annotation.PreserveUnknownFields
  public static class Status extends ComposedStatus {
  }

  /** A reference to an object by name. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class LocalObjectReference {
    @Required
    @JsonPropertyDescription("Name of the object.")
    public String name;

    public LocalObjectReference() {
    }

    public LocalObjectReference(String name) {
      this.name = name;
    }
  }

  /** Equality-based label selector. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class LabelSelectorRef {
    @JsonPropertyDescription("Labels the selected object must have, all of them.")
    public Map<String, String> matchLabels;
  }
}
