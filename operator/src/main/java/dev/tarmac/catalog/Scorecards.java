package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Scorecard evaluation over catalog entities. Pure. A Scorecard has levels in ascending order (Bronze, Silver,
 * Gold, after the maturity levels Cortex, OpsLevel and Port use); an entity reaches a level when every check of that
 * level and of every lower level passes.
 *
 * <p>Checks (YAML):
 * <pre>
 * {name: has-owner, field: spec.owner, op: exists}                 # exists | equals | matches | gte | lte
 * {name: production, field: spec.lifecycle, op: equals, value: production}
 * {name: owner-is-group, relation: ownedBy, targetKind: group}     # a relation of that type (to that kind)
 * {name: backups, relatedEntity: {relation: dependsOn, kind: resource, field: spec.backupRetentionDays,
 *                                 op: gte, value: 7}}              # some related entity passes the check
 * {name: clean, noWarnings: true}                                  # no catalog warnings in status.items
 * {name: cost-within-budget, costWithinBudget: true}               # the owning team has a budget and is within it
 * </pre>
 * Field paths are dotted; annotation keys with dots work as written ({@code metadata.annotations.backstage.io/techdocs-ref}).
 */
public final class Scorecards {

  /**
   * One entity's result for one Scorecard.
   *
   * @param scorecard the Scorecard's name
   * @param level the highest level reached, or {@code None}
   * @param passed names of checks that passed
   * @param failed names of checks that failed
   */
  public record Result(String scorecard, String level, List<String> passed, List<String> failed) {
    /** The level as a number: 0 for None, then 1, 2, 3... in the Scorecard's order. */
    public int rank(List<String> levels) {
      return levels.indexOf(level) + 1;
    }
  }

  private Scorecards() {
  }

  /**
   * Evaluates {@code scorecard} (its spec: {@code entityKinds}, {@code levels}) on {@code entity}; null when the
   * Scorecard does not apply to the entity's kind.
   *
   * @param byRef looks related entities up by their lower-case ref
   */
  public static Result evaluate(String name, JsonNode scorecard, ObjectNode entity,
      Function<String, ObjectNode> byRef) {
    JsonNode kinds = scorecard.path("entityKinds");
    if (kinds.isArray() && !kinds.isEmpty()) {
      boolean applies = false;
      for (JsonNode k : kinds) {
        applies |= k.asText().equalsIgnoreCase(entity.path("kind").asText());
      }
      if (!applies) {
        return null;
      }
    }
    String level = "None";
    boolean stillClimbing = true;
    List<String> passed = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (JsonNode l : scorecard.path("levels")) {
      boolean all = true;
      for (JsonNode check : l.path("checks")) {
        boolean ok = check(check, entity, byRef);
        (ok ? passed : failed).add(check.path("name").asText("check"));
        all &= ok;
      }
      if (stillClimbing && all) {
        level = l.path("name").asText();
      } else {
        stillClimbing = false;
      }
    }
    return new Result(name, level, passed, failed);
  }

  static boolean check(JsonNode check, JsonNode entity, Function<String, ObjectNode> byRef) {
    if (check.has("field")) {
      return compare(Paths.value(entity, check.path("field").asText()), check);
    }
    if (check.has("relation")) {
      for (JsonNode r : entity.path("relations")) {
        if (r.path("type").asText().equals(check.path("relation").asText())) {
          String target = r.path("targetRef").asText();
          if (!check.has("targetKind") || target.startsWith(check.path("targetKind").asText().toLowerCase() + ":")) {
            return true;
          }
        }
      }
      return false;
    }
    if (check.has("relatedEntity")) {
      JsonNode rel = check.get("relatedEntity");
      for (JsonNode r : entity.path("relations")) {
        String target = r.path("targetRef").asText();
        if (r.path("type").asText().equals(rel.path("relation").asText())
            && (!rel.has("kind") || target.startsWith(rel.path("kind").asText().toLowerCase() + ":"))) {
          ObjectNode related = byRef.apply(target.toLowerCase());
          if (related != null && (!rel.has("field") || compare(Paths.value(related, rel.path("field").asText()),
              rel))) {
            return true;
          }
        }
      }
      return false;
    }
    if (check.path("noWarnings").asBoolean(false)) {
      return !entity.path("status").path("items").isArray() || entity.path("status").path("items").isEmpty();
    }
    if (check.path("costWithinBudget").asBoolean(false)) {
      // status.cost is written by dev.tarmac.insights.cost.CostController (docs/insights-cost.md); withinBudget is
      // present only when the entity's team has a budget, so a team without one does not pass.
      return entity.path("status").path("cost").path("withinBudget").asBoolean(false);
    }
    if (check.has("all")) {
      for (JsonNode c : check.get("all")) {
        if (!check(c, entity, byRef)) {
          return false;
        }
      }
      return true;
    }
    if (check.has("any")) {
      for (JsonNode c : check.get("any")) {
        if (check(c, entity, byRef)) {
          return true;
        }
      }
      return false;
    }
    return false;
  }

  private static boolean compare(JsonNode value, JsonNode check) {
    String op = check.path("op").asText("exists");
    if (value == null || value.isNull() || (value.isTextual() && value.asText().isEmpty())) {
      return false;
    }
    return switch (op) {
      case "exists" -> true;
      case "equals" -> value.asText().equals(check.path("value").asText());
      case "matches" -> Pattern.compile(check.path("value").asText()).matcher(value.asText()).find();
      case "gte" -> value.isNumber() || value.asText().matches("-?\\d+(\\.\\d+)?")
          ? Double.parseDouble(value.asText()) >= check.path("value").asDouble() : false;
      case "lte" -> value.isNumber() || value.asText().matches("-?\\d+(\\.\\d+)?")
          ? Double.parseDouble(value.asText()) <= check.path("value").asDouble() : false;
      default -> false;
    };
  }

  /** The level names of a Scorecard spec, in order. */
  public static List<String> levels(JsonNode scorecard) {
    List<String> out = new ArrayList<>();
    scorecard.path("levels").forEach(l -> out.add(l.path("name").asText()));
    return out;
  }

  /** Results as JSON for an entity's {@code status.scorecards}. */
  public static JsonNode toJson(List<Result> results) {
    // Built directly (the same shape as Jackson's record serialization): this runs for every entity on every
    // catalog rebuild, where a serialize-and-parse round trip was a fifth of the time.
    com.fasterxml.jackson.databind.node.ArrayNode out = Serialization.JSON.createArrayNode();
    for (Result r : results) {
      com.fasterxml.jackson.databind.node.ObjectNode o = out.addObject();
      o.put("scorecard", r.scorecard());
      o.put("level", r.level());
      r.passed().forEach(o.putArray("passed")::add);
      r.failed().forEach(o.putArray("failed")::add);
    }
    return out;
  }
}
