package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/**
 * What a Promise's or a Destinations-target Composition's outputs may contain (the platform team's guardrail, the
 * row OPA Gatekeeper and Kyverno fill for admission). Absent fields take the safe default: any kind, no
 * cluster-scoped kind, only the request's own namespace, no extra rules. Checked by
 * {@code dev.tarmac.policy.OutputPolicyChecker}; reference: docs/guardrails.md.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OutputPolicy {
  @JsonPropertyDescription("Kinds an output may have (any of these entries); empty or absent allows any kind. As"
      + " Gatekeeper's K8sAllowedKinds / a Kyverno match: apiGroups (\"\" is the core group, \"*\" any) and kinds"
      + " (\"*\" any).")
  public List<KindRule> allowedKinds;

  @JsonPropertyDescription("Whether cluster-scoped objects (Namespace, ClusterRole, CustomResourceDefinition, ...) may"
      + " be output at all. Default false.")
  public Boolean allowClusterScoped;

  @JsonPropertyDescription("Namespaces a namespaced output may name in metadata.namespace. Default: only the"
      + " request's own namespace; \"*\" allows any. An output without metadata.namespace is allowed (the GitOps"
      + " tool applies it in the namespace the platform team configured for the Destination).")
  public List<String> allowedNamespaces;

  @JsonPropertyDescription("CEL rules every output object must pass, as in Kubernetes ValidatingAdmissionPolicy:"
      + " variables object, oldObject, request, params.")
  public List<Validation> validations;

  /** A group of allowed kinds. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KindRule {
    @JsonPropertyDescription("API groups (\"\" is the core group, \"*\" any group); absent or empty: the core group.")
    public List<String> apiGroups;
    @JsonPropertyDescription("Kinds (\"*\" any kind of these groups).")
    public List<String> kinds;
  }

  /** A CEL rule, with ValidatingAdmissionPolicy's field names. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Validation {
    @JsonPropertyDescription("A CEL expression that must evaluate to true for every output object.")
    public String expression;
    @JsonPropertyDescription("Message when the expression is false.")
    public String message;
    @JsonPropertyDescription("A CEL expression that yields the message (a string); message is used if it fails.")
    public String messageExpression;
    @JsonPropertyDescription("A machine-readable reason (e.g. Forbidden, Invalid), reported with the violation.")
    public String reason;
  }
}
