package dev.tarmac.insights.cost;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.CostModel;
import dev.tarmac.composition.FieldPath;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The prices of a {@link CostModel}, checked. Pure. Amounts are in {@link #currency}; absent unit prices are 0
 * (nothing of that kind is priced).
 *
 * @param currency ISO 4217 code
 * @param cpuCoreHour price of one requested CPU core for one hour
 * @param memoryGiBHour price of one requested GiB (2^30 bytes) of memory for one hour
 * @param storageGiBMonth price of one GiB of PersistentVolumeClaim storage for one month
 * @param rules flat monthly prices by kind and size, composed resources first, then requests
 */
public record Prices(String currency, double cpuCoreHour, double memoryGiBHour, double storageGiBMonth,
    List<Rule> rules) {

  /**
   * A flat monthly price for objects of one kind.
   *
   * @param group API group, or null for any group
   * @param kind the kind
   * @param sizeField where the size is, or null
   * @param prices monthly price per size
   * @param price monthly price when the size is absent or not listed, or null
   * @param source where the rule is in the CostModel, e.g. {@code spec.resources[0]}
   */
  public record Rule(String group, String kind, FieldPath sizeField, Map<String, Double> prices, Double price,
      String source) {

    /** True when the rule prices objects of {@code apiVersion} (group/version) and {@code kind}. */
    public boolean matches(String apiVersion, String kind) {
      if (!this.kind.equals(kind)) {
        return false;
      }
      if (group == null) {
        return true;
      }
      String g = apiVersion == null || !apiVersion.contains("/") ? "" : apiVersion.substring(0, apiVersion.indexOf('/'));
      return group.equals(g);
    }

    /**
     * The monthly price of {@code object}: the price of its size, else {@link #price}.
     *
     * @return the price, or null when the rule cannot price it (size not listed and no default)
     */
    public Double priceOf(JsonNode object) {
      if (sizeField != null) {
        JsonNode size = sizeField.get(object);
        if (size != null && size.isValueNode() && prices.containsKey(size.asText())) {
          return prices.get(size.asText());
        }
      }
      return price;
    }
  }

  /**
   * The prices of {@code spec}, or the problems that make it unusable.
   *
   * @param prices null when {@code problems} is not empty
   * @param problems what to change, each naming the field (e.g. {@code spec.resources[1].prices.db.t3.micro is -4;
   *     prices are 0 or more})
   */
  public record Checked(Prices prices, List<String> problems) {
  }

  /**
   * Checks {@code spec}: unit prices and flat prices are finite numbers ≥ 0, every rule names a kind and has a price
   * (a map of sizes with a size field, or a default price), size fields parse, and no two rules price the same kind
   * in the same group (which would count an object twice).
   */
  public static Checked check(CostModel.Spec spec) {
    List<String> problems = new ArrayList<>();
    if (spec == null) {
      return new Checked(null, List.of("spec is missing"));
    }
    String currency = spec.currency == null ? "USD" : spec.currency;
    if (!currency.matches("[A-Z]{3}")) {
      problems.add("spec.currency is '" + currency + "'; write an ISO 4217 code such as USD or EUR");
    }
    double cpu = amount(spec.cpuCoreHour, "spec.cpuCoreHour", problems);
    double memory = amount(spec.memoryGiBHour, "spec.memoryGiBHour", problems);
    double storage = amount(spec.storageGiBMonth, "spec.storageGiBMonth", problems);
    List<Rule> rules = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    rules(spec.resources, "spec.resources", rules, seen, problems);
    rules(spec.requests, "spec.requests", rules, seen, problems);
    if (!problems.isEmpty()) {
      return new Checked(null, List.copyOf(problems));
    }
    return new Checked(new Prices(currency, cpu, memory, storage, List.copyOf(rules)), List.of());
  }

  private static void rules(List<CostModel.FlatPrice> list, String where, List<Rule> out, Set<String> seen,
      List<String> problems) {
    if (list == null) {
      return;
    }
    for (int i = 0; i < list.size(); i++) {
      CostModel.FlatPrice p = list.get(i);
      String at = where + "[" + i + "]";
      if (p == null || p.kind == null || p.kind.isBlank()) {
        problems.add(at + ".kind is missing; name the kind to price, e.g. Instance");
        continue;
      }
      String group = p.group == null || p.group.isBlank() ? null : p.group.trim();
      String key = (group == null ? "*" : group) + "/" + p.kind;
      if (!seen.add(key)) {
        problems.add(at + " prices " + p.kind + (group == null ? "" : " in " + group) + " again; an object would be"
            + " counted twice: merge the two entries");
      }
      FieldPath path = null;
      if (p.sizeField != null && !p.sizeField.isBlank()) {
        try {
          path = FieldPath.parse(p.sizeField);
        } catch (IllegalArgumentException e) {
          problems.add(at + ".sizeField '" + p.sizeField + "' is not a field path: " + e.getMessage());
        }
      }
      Map<String, Double> prices = new LinkedHashMap<>();
      if (p.prices != null) {
        p.prices.forEach((size, v) -> prices.put(size, amount(v, at + ".prices." + size, problems)));
      }
      if (!prices.isEmpty() && path == null && (p.sizeField == null || p.sizeField.isBlank())) {
        problems.add(at + " lists prices by size but no sizeField; add the field that holds the size, e.g."
            + " spec.forProvider.instanceClass");
      }
      Double price = p.price == null ? null : amount(p.price, at + ".price", problems);
      if (prices.isEmpty() && price == null) {
        problems.add(at + " (" + p.kind + ") has no price; set price, or sizeField and prices");
      }
      out.add(new Rule(group, p.kind, path, Map.copyOf(prices), price, at));
    }
  }

  private static double amount(Double value, String field, List<String> problems) {
    if (value == null) {
      return 0;
    }
    if (value.isNaN() || value.isInfinite() || value < 0) {
      problems.add(field + " is " + value + "; prices are numbers of 0 or more");
      return 0;
    }
    return value;
  }

  /** The first rule that prices {@code apiVersion}/{@code kind}, preferring one with a group over a group-less one. */
  public Rule ruleFor(String apiVersion, String kind) {
    Rule any = null;
    for (Rule r : rules) {
      if (r.matches(apiVersion, kind)) {
        if (r.group() != null) {
          return r;
        }
        any = any == null ? r : any;
      }
    }
    return any;
  }

  /** The kinds flat prices name, as {@code group/kind} ({@code * /kind} without a group), lower case. */
  public Set<String> pricedKinds() {
    Set<String> out = new HashSet<>();
    rules.forEach(r -> out.add(((r.group() == null ? "*" : r.group()) + "/" + r.kind()).toLowerCase(Locale.ROOT)));
    return out;
  }
}
