package dev.tarmac.insights.cost;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.catalog.EntityMapper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-team monthly budgets, read from the team's namespaces. Pure. A namespace labelled with a team
 * ({@link EntityMapper#TEAM_LABELS}) may carry the annotation {@value #ANNOTATION} with a decimal amount in the
 * in-effect CostModel's currency ({@code "500"}, {@code "1250.50"}). When several namespaces of one team carry it, the
 * lowest amount applies (a budget is a ceiling; the strictest one wins, whichever namespace it was written on).
 */
public final class Budgets {

  /** The annotation on a team's namespace that holds its monthly budget. */
  public static final String ANNOTATION = "platform.tarmac.dev/monthly-budget";

  private Budgets() {
  }

  /**
   * A team's budget.
   *
   * @param team the team
   * @param amount monthly amount, ≥ 0
   * @param namespace the namespace the amount was read from
   */
  public record Budget(String team, double amount, String namespace) {
  }

  /**
   * A budget annotation that could not be read.
   *
   * @param namespace the namespace that carries it
   * @param message what is wrong and what to write instead
   */
  public record Problem(String namespace, String message) {
  }

  /**
   * The budgets and the unreadable annotations.
   *
   * @param byTeam budget per team, sorted by team
   * @param problems annotations that are not amounts, or are on a namespace with no team label
   */
  public record Read(Map<String, Budget> byTeam, List<Problem> problems) {
  }

  /**
   * Reads budgets from Namespaces (as JSON).
   *
   * @param namespaces Namespace objects
   */
  public static Read read(Collection<JsonNode> namespaces) {
    Map<String, Budget> out = new TreeMap<>();
    List<Problem> problems = new ArrayList<>();
    for (JsonNode ns : namespaces) {
      String name = ns.path("metadata").path("name").asText();
      JsonNode value = ns.path("metadata").path("annotations").path(ANNOTATION);
      if (!value.isTextual()) {
        continue;
      }
      String team = teamOf(ns);
      if (team == null) {
        problems.add(new Problem(name, "namespace " + name + " has " + ANNOTATION + " but no team label ("
            + String.join(" or ", EntityMapper.TEAM_LABELS) + "); label it with the team the budget is for"));
        continue;
      }
      double amount;
      try {
        amount = new BigDecimal(value.asText().trim()).doubleValue();
      } catch (NumberFormatException e) {
        problems.add(new Problem(name, ANNOTATION + " on namespace " + name + " is '" + value.asText()
            + "'; write a monthly amount in the CostModel's currency, e.g. \"500\" or \"1250.50\""));
        continue;
      }
      if (amount < 0 || Double.isInfinite(amount)) {
        problems.add(new Problem(name, ANNOTATION + " on namespace " + name + " is " + value.asText()
            + "; a budget is 0 or more"));
        continue;
      }
      Budget b = new Budget(team, amount, name);
      out.merge(team, b, (x, y) -> x.amount() <= y.amount() ? x : y);
    }
    return new Read(out, problems);
  }

  /** The team a Namespace is labelled with, or null. */
  public static String teamOf(JsonNode namespace) {
    JsonNode labels = namespace.path("metadata").path("labels");
    for (String l : EntityMapper.TEAM_LABELS) {
      if (labels.path(l).isTextual() && !labels.path(l).asText().isBlank()) {
        return labels.path(l).asText();
      }
    }
    return null;
  }

  /**
   * A team's standing against its budget.
   *
   * @param team the team
   * @param monthly its monthly cost
   * @param budget its budget, or null without one
   */
  public record Standing(String team, double monthly, Budget budget) {
    /** True when the team has a budget and its monthly cost is above it. */
    public boolean over() {
      return budget != null && CostCalculator.cents(monthly) > CostCalculator.cents(budget.amount());
    }

    /** monthly ÷ budget, null without a budget; with a budget of 0, 0 when nothing is spent, else infinity. */
    public Double ratio() {
      if (budget == null) {
        return null;
      }
      if (budget.amount() == 0) {
        return monthly <= 0 ? 0.0 : Double.POSITIVE_INFINITY;
      }
      return monthly / budget.amount();
    }

    /** A message for conditions and Events, e.g. {@code team-payments spends 612.40 USD a month; its budget is 500.00}. */
    public String message(String currency) {
      String spend = String.format(Locale.ROOT, "team %s's monthly cost is %.2f %s", team, monthly, currency);
      if (budget == null) {
        return spend + "; it has no budget";
      }
      return spend + String.format(Locale.ROOT, ", %s its budget of %.2f %s (%s on namespace %s)",
          over() ? "over" : "within", budget.amount(), currency, ANNOTATION, budget.namespace());
    }
  }

  /**
   * Every team that has a cost or a budget, with both.
   *
   * @param costs monthly cost per team
   * @param budgets budgets per team
   */
  public static Map<String, Standing> standings(Map<String, Double> costs, Map<String, Budget> budgets) {
    Map<String, Standing> out = new TreeMap<>();
    costs.forEach((team, monthly) -> out.put(team, new Standing(team, monthly, budgets.get(team))));
    budgets.forEach((team, b) -> out.putIfAbsent(team, new Standing(team, 0, b)));
    return out;
  }
}
