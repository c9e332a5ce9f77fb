package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prices for cost attribution (docs/insights-cost.md): per CPU core-hour and GiB-hour of memory that Pods request, per
 * GiB-month of PersistentVolumeClaim storage, and flat monthly prices per kind and size of composed resources and
 * Promise requests. Cluster-scoped; one CostModel is in effect (the one named {@code default}, else the oldest).
 * The operator writes what it computed with it into status: totals, attribution ratio, per-team costs and budgets.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("tcost")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "CURRENCY", jsonPath = ".spec.currency", type = Type.STRING)
@AdditionalPrinterColumn(name = "MONTHLY", jsonPath = ".status.monthlyTotal", type = Type.NUMBER)
@AdditionalPrinterColumn(name = "ATTRIBUTED", jsonPath = ".status.attributionRatio", type = Type.NUMBER)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("costmodels")
public class CostModel extends CustomResource<CostModel.Spec, CostModel.Status> {

  /** The name of the CostModel that is in effect whenever it exists. */
  public static final String DEFAULT_NAME = "default";

  /** The prices. All amounts are in {@link Spec#currency}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @JsonPropertyDescription("ISO 4217 code of every amount here and of the budgets on team namespaces, e.g. USD.")
    @Pattern("^[A-Z]{3}$")
    public String currency = "USD";

    @JsonPropertyDescription("Price of one CPU core requested by a Pod for one hour.")
    @Min(0)
    public Double cpuCoreHour;

    @JsonPropertyDescription("Price of one GiB of memory requested by a Pod for one hour.")
    @Min(0)
    public Double memoryGiBHour;

    @JsonPropertyDescription("Price of one GiB of PersistentVolumeClaim storage for one month.")
    @Min(0)
    public Double storageGiBMonth;

    @JsonPropertyDescription("Flat monthly prices of composed resources (e.g. an RDS instance by its instance class),"
        + " by kind and size.")
    public List<FlatPrice> resources = new ArrayList<>();

    @JsonPropertyDescription("Flat monthly prices of Promise requests (and claims), by kind and size: what the"
        + " platform charges for the service, on top of what the request's own objects cost.")
    public List<FlatPrice> requests = new ArrayList<>();
  }

  /** A flat monthly price for objects of one kind, by the size one field holds. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class FlatPrice {
    @JsonPropertyDescription("API group of the kind, e.g. rds.aws.upbound.io; absent matches the kind in any group.")
    public String group;

    @JsonPropertyDescription("Kind, e.g. Instance.")
    @Required
    @Pattern("^[A-Za-z][A-Za-z0-9]*$")
    public String kind;

    @JsonPropertyDescription("Dotted path of the field that holds the size, e.g. spec.forProvider.instanceClass.")
    public String sizeField;

    @JsonPropertyDescription("Monthly price by the value of sizeField.")
    public Map<String, Double> prices;

    @JsonPropertyDescription("Monthly price when sizeField is absent, or holds a value that prices does not list.")
    @Min(0)
    public Double price;
  }

  /** What the operator computed with this CostModel. Amounts are rounded to cents. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
    @JsonPropertyDescription("Monthly cost of everything priced in the cluster.")
    public Double monthlyTotal;
    @JsonPropertyDescription("The part of monthlyTotal that belongs to a team.")
    public Double attributedMonthly;
    @JsonPropertyDescription("attributedMonthly / monthlyTotal, 0..1 (1 when nothing is priced).")
    public Double attributionRatio;
    @JsonPropertyDescription("Monthly cost and budget per team, by team name.")
    public List<TeamCost> teams;
    @JsonPropertyDescription("Objects a price rule matched but could not price (size not listed, no default price),"
        + " at most 20, as kind/namespace/name: reason.")
    public List<String> unpriced;
  }

  /** One team's monthly cost. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class TeamCost {
    @JsonPropertyDescription("Team (the catalog Group's name).")
    public String team;
    @JsonPropertyDescription("Monthly cost of what the team owns.")
    public Double monthly;
    @JsonPropertyDescription("The team's monthly budget, from platform.tarmac.dev/monthly-budget on its namespace.")
    public Double budget;
    @JsonPropertyDescription("monthly / budget; absent without a budget.")
    public Double budgetRatio;
  }
}
