package dev.tarmac.portal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.catalog.Scorecards;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One entity's result for one Scorecard as the entity page shows it: each level with its checks, passed or not,
 * and for each failing check what to change ({@link #advice}). Pure.
 *
 * @param scorecard the Scorecard's name
 * @param level the level reached ({@code None} for none)
 * @param levels every level, in order
 * @param failing the failing checks (with their advice), lowest level first
 */
public record ScorecardView(String scorecard, String level, List<Level> levels, List<Check> failing) {

  /** One level: whether the entity reached it, and its checks. */
  public record Level(String name, boolean reached, List<Check> checks) {
  }

  /** One check: its name, the level it belongs to, whether it passed, and what to change when it did not. */
  public record Check(String name, String level, boolean passed, String advice) {
  }

  /** The view of {@code result}, with the checks of {@code spec} (the Scorecard's spec; null when it is gone). */
  public static ScorecardView of(Scorecards.Result result, JsonNode spec) {
    List<Level> levels = new ArrayList<>();
    List<Check> failing = new ArrayList<>();
    List<String> names = spec == null ? List.of() : Scorecards.levels(spec);
    int reached = names.indexOf(result.level());
    int i = 0;
    for (JsonNode l : spec == null ? List.<JsonNode>of() : iterable(spec.path("levels"))) {
      List<Check> checks = new ArrayList<>();
      for (JsonNode c : l.path("checks")) {
        String name = c.path("name").asText("check");
        boolean passed = !result.failed().contains(name);
        Check check = new Check(name, l.path("name").asText(), passed, passed ? null : advice(c));
        checks.add(check);
        if (!passed) {
          failing.add(check);
        }
      }
      levels.add(new Level(l.path("name").asText(), i <= reached, checks));
      i++;
    }
    return new ScorecardView(result.scorecard(), result.level(), levels, failing);
  }

  private static List<JsonNode> iterable(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }

  /** Where a Component's annotation or field is written, for advice. */
  private static final Map<String, String> FIELDS = Map.of(
      "spec.owner", "set spec.owner to your team (e.g. group:default/team-payments)",
      "spec.lifecycle", "set spec.lifecycle (experimental, production or deprecated)",
      "spec.system", "set spec.system to the system the service belongs to",
      "metadata.annotations.backstage.io/techdocs-ref",
      "add the annotation backstage.io/techdocs-ref (e.g. dir:.) and keep docs/ and mkdocs.yml in the repository",
      "metadata.annotations.pagerduty.com/service-id",
      "add the annotation pagerduty.com/service-id with your PagerDuty service's id, so incidents reach on-call");

  /**
   * What to change so {@code check} passes: its own {@code remedy} or {@code description} when the Scorecard's author
   * wrote one, else a sentence derived from the check (Scorecards' check shapes, {@link Scorecards}).
   */
  public static String advice(JsonNode check) {
    for (String own : List.of("remedy", "description")) {
      if (check.path(own).isTextual() && !check.path(own).asText().isBlank()) {
        return check.path(own).asText();
      }
    }
    if (check.has("field")) {
      String field = check.path("field").asText();
      String op = check.path("op").asText("exists");
      String value = check.path("value").asText();
      return switch (op) {
        case "exists" -> FIELDS.getOrDefault(field, "set " + field(field));
        case "equals" -> "set " + field(field) + " to " + value;
        case "matches" -> "make " + field(field) + " match " + value;
        case "gte" -> "make " + field(field) + " at least " + value;
        case "lte" -> "make " + field(field) + " at most " + value;
        default -> "make " + field(field) + " pass " + op + " " + value;
      };
    }
    if (check.has("relation")) {
      String relation = check.path("relation").asText();
      String kind = check.path("targetKind").asText("");
      if (relation.equals("ownedBy")) {
        return "set spec.owner to a " + (kind.isEmpty() ? "team" : kind) + " (e.g. group:default/team-payments),"
            + " not a person";
      }
      return "add a " + relation + " relation" + (kind.isEmpty() ? "" : " to a " + kind);
    }
    if (check.has("relatedEntity")) {
      JsonNode rel = check.get("relatedEntity");
      String what = rel.path("kind").asText("entity");
      String field = rel.has("field") ? " whose " + field(rel.path("field").asText()) + " is "
          + op(rel.path("op").asText("exists")) + (rel.has("value") ? " " + rel.path("value").asText() : "") : "";
      return "add a " + rel.path("relation").asText() + " relation (e.g. spec.dependsOn) to a " + what + field;
    }
    if (check.path("noWarnings").asBoolean(false)) {
      return "fix the catalog warnings listed on this page (references to entities that do not exist)";
    }
    if (check.has("all") || check.has("any")) {
      return "make " + (check.has("all") ? "all" : "one") + " of this check's parts pass (see the Scorecard "
          + "for them)";
    }
    return "see the Scorecard's definition of this check";
  }

  private static String field(String path) {
    return path.startsWith("metadata.annotations.") ? "the annotation " + path.substring(21) : path;
  }

  private static String op(String op) {
    return switch (op) {
      case "gte" -> "at least";
      case "lte" -> "at most";
      case "equals" -> "";
      case "exists" -> "set";
      default -> op;
    };
  }
}
