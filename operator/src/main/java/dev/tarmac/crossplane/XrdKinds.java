package dev.tarmac.crossplane;

import java.util.List;

/**
 * The kinds one Crossplane {@code CompositeResourceDefinition} (XRD) defines, as the XRD controller hands them to
 * the composite (XR) and claim controllers. Source of the rules: Crossplane's documentation, "Composite Resource
 * Definitions" (v1 and v2) and "Claims".
 *
 * @param xrdName the XRD's {@code metadata.name} ({@code <xr plural>.<group>})
 * @param group the API group of the XR and claim kinds ({@code spec.group})
 * @param version the referenceable version ({@code spec.versions[].referenceable: true}; the only served one when
 *     none is marked), the version composites and claims are read and written at
 * @param xrKind the XR kind ({@code spec.names.kind})
 * @param xrPlural the XR plural ({@code spec.names.plural})
 * @param scope {@code spec.scope}: {@code LegacyCluster} (cluster-scoped XR with v1's fields, claims allowed; the
 *     default of {@code apiextensions.crossplane.io/v1} XRDs), {@code Cluster} (v2 fields, no claims) or
 *     {@code Namespaced} (v2 fields, no claims; the default of v2 XRDs). Crossplane v2 honours {@code scope} on v1
 *     XRDs too. See {@link #namespaced()} and {@link #legacyFields()}
 * @param claimKind the claim kind ({@code spec.claimNames.kind}), or null when the XRD offers no claim
 * @param claimPlural the claim plural, or null
 * @param connectionSecretKeys the keys an XR's connection Secret may carry ({@code spec.connectionSecretKeys});
 *     empty: all keys
 * @param defaultCompositionRef {@code spec.defaultCompositionRef.name}, or null
 * @param enforcedCompositionRef {@code spec.enforcedCompositionRef.name}, or null
 * @param defaultCompositionUpdatePolicy {@code spec.defaultCompositionUpdatePolicy} ({@code Automatic} when absent)
 * @param defaultCompositeDeletePolicy {@code spec.defaultCompositeDeletePolicy} ({@code Background} when absent)
 */
public record XrdKinds(String xrdName, String group, String version, String xrKind, String xrPlural, String scope,
    String claimKind, String claimPlural, List<String> connectionSecretKeys, String defaultCompositionRef,
    String enforcedCompositionRef, String defaultCompositionUpdatePolicy, String defaultCompositeDeletePolicy) {

  /** {@code Cluster}: v2's cluster scope (v2 fields, no claims). */
  public static final String CLUSTER = "Cluster";
  /** {@code LegacyCluster}: every v1 XRD, and v2's cluster scope that keeps v1's fields and claims. */
  public static final String LEGACY_CLUSTER = "LegacyCluster";
  /** {@code Namespaced}: v2's default. */
  public static final String NAMESPACED = "Namespaced";

  /** The XR's apiVersion: {@code group/version}. */
  public String apiVersion() {
    return group + "/" + version;
  }

  /** True when XRs of this kind are namespaced (v2 {@code scope: Namespaced}). */
  public boolean namespaced() {
    return NAMESPACED.equals(scope);
  }

  /**
   * True when the XR keeps Crossplane v1's field layout ({@code spec.compositionRef}, {@code spec.claimRef},
   * {@code spec.resourceRefs}, {@code spec.writeConnectionSecretToRef}); false for v2's {@code Namespaced} and
   * {@code Cluster} scopes, whose Crossplane fields live under {@code spec.crossplane}.
   */
  public boolean legacyFields() {
    return LEGACY_CLUSTER.equals(scope);
  }

  /** True when the XRD offers a claim kind. */
  public boolean offersClaim() {
    return claimKind != null;
  }
}
