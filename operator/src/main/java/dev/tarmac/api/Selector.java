package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Map;

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
  }
}
