package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Kubernetes label selector ({@code matchLabels} and {@code matchExpressions} with In, NotIn, Exists,
 * DoesNotExist), as in the Kubernetes "Labels and Selectors" document. Used for Destination selectors.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Selector {
  @JsonPropertyDescription("Labels that must all be present with these values.")
  public Map<String, String> matchLabels;

  @JsonPropertyDescription("Set-based requirements, all of which must hold.")
  public List<Requirement> matchExpressions;

  /** One set-based requirement. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Requirement {
    @JsonPropertyDescription("The label key.")
    public String key;
    @JsonPropertyDescription("In, NotIn, Exists or DoesNotExist.")
    @io.fabric8.generator.annotation.Pattern("^(In|NotIn|Exists|DoesNotExist)$")
    public String operator;
    @JsonPropertyDescription("Values for In and NotIn.")
    public List<String> values;

    /** True when {@code labels} satisfy this requirement; an unknown operator matches nothing. */
    public boolean matches(Map<String, String> labels) {
      boolean present = labels.containsKey(key);
      List<String> vals = values == null ? List.of() : values;
      return switch (operator == null ? "" : operator) {
        case "In" -> present && vals.contains(labels.get(key));
        case "NotIn" -> !present || !vals.contains(labels.get(key));
        case "Exists" -> present;
        case "DoesNotExist" -> !present;
        default -> false;
      };
    }
  }

  /**
   * True when {@code labels} satisfy every {@code matchLabels} entry and every requirement, with the semantics of
   * the Kubernetes "Labels and Selectors" document (an empty selector matches everything).
   *
   * @param labels the labels of the candidate object; null is treated as no labels
   */
  public boolean matches(Map<String, String> labels) {
    Map<String, String> have = labels == null ? Map.of() : labels;
    if (matchLabels != null) {
      for (Map.Entry<String, String> e : matchLabels.entrySet()) {
        if (!Objects.equals(have.get(e.getKey()), e.getValue())) {
          return false;
        }
      }
    }
    if (matchExpressions != null) {
      for (Requirement r : matchExpressions) {
        if (!r.matches(have)) {
          return false;
        }
      }
    }
    return true;
  }
}
