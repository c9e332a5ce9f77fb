package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Status of a composite (a Database, or a Promise request composed in-process): the Composition chosen, the
 * composed resources with their readiness, the connection Secret, and any fields that ToCompositeFieldPath
 * patches wrote back (kept in {@link #fields}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ComposedStatus extends TarmacStatus {

  @JsonPropertyDescription("Name of the Composition that was applied.")
  public String compositionName;

  @JsonPropertyDescription("The composed resources and whether each is ready.")
  public List<ComposedResourceRef> resources = new ArrayList<>();

  @JsonPropertyDescription("Name of the connection Secret, in the claim's namespace.")
  public String connectionSecret;

  /** Fields written by ToCompositeFieldPath patches, e.g. {@code status.endpoint}. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  private final Map<String, Object> fields = new LinkedHashMap<>();

  /** Fields written by ToCompositeFieldPath patches, keyed by their top-level status field name. */
  @JsonAnyGetter
  public Map<String, Object> fields() {
    return fields;
  }

  /** Keeps a field this class does not name. */
  @JsonAnySetter
  public void setField(String name, Object value) {
    fields.put(name, value);
  }

  /** One composed resource. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ComposedResourceRef {
    @JsonPropertyDescription("Name of the resource template in the Composition.")
    public String name;
    @JsonPropertyDescription("apiVersion of the composed resource.")
    public String apiVersion;
    @JsonPropertyDescription("Kind of the composed resource.")
    public String kind;
    @JsonPropertyDescription("Name of the composed resource.")
    public String resourceName;
    @JsonPropertyDescription("Namespace of the composed resource, when namespaced.")
    public String namespace;
    @JsonPropertyDescription("True when the readiness checks of the resource pass.")
    public Boolean ready;
    @JsonPropertyDescription("Why the resource is not ready, when it is not.")
    public String message;
  }
}
