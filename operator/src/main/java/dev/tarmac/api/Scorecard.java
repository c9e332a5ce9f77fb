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
 * Maturity levels (Bronze, Silver, Gold) as lists of checks over catalog entities, in the manner of Cortex,
 * OpsLevel and Port scorecards.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("sc")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("scorecards")
public class Scorecard extends CustomResource<Scorecard.Spec, Scorecard.Status> {

  /** The Scorecard. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @JsonPropertyDescription("Entity kinds this scorecard applies to, e.g. [Component]; empty means all.")
    public List<String> entityKinds;
    @JsonPropertyDescription("Levels in ascending order (Bronze, Silver, Gold), each a name and a list of checks.")
    @io.fabric8.crd.generator.annotation.PreserveUnknownFields
    public List<JsonNode> levels;
  }

  /** What the operator observed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
    @JsonPropertyDescription("Entities evaluated.")
    public Integer entities;
  }
}
