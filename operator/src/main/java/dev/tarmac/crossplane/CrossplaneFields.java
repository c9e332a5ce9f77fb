package dev.tarmac.crossplane;

/**
 * Labels, annotations and field paths that claims, composite resources (XRs) and composed resources carry, named as
 * Crossplane names them (Crossplane's documentation: "Claims", "Composite Resources", "Composed resources"), plus the
 * one status field Tarmac adds. The XRD controller puts these fields in the generated CRDs, the composite and claim
 * controllers write them, {@code tarmac trace} and the catalog read them.
 *
 * <p>Shapes:
 * <ul>
 *   <li>claim: {@code spec.resourceRef {apiVersion, kind, name}} (its XR), {@code spec.writeConnectionSecretToRef
 *       {name}} (in the claim's namespace), {@code spec.compositionRef {name}}, {@code spec.compositionSelector
 *       {matchLabels}}, {@code spec.compositionUpdatePolicy}, {@code spec.compositeDeletePolicy}
 *       ({@code Background}|{@code Foreground}); {@code status.conditions} (Synced, Ready) and the XR's own status
 *       fields copied from it.</li>
 *   <li>XR with v1 fields ({@link XrdKinds#legacyFields()}): {@code spec.claimRef {apiVersion, kind, namespace,
 *       name}}, {@code spec.compositionRef {name}}, {@code spec.compositionSelector}, {@code
 *       spec.compositionUpdatePolicy}, {@code spec.resourceRefs[] {apiVersion, kind, name, namespace?}}, {@code
 *       spec.writeConnectionSecretToRef {name, namespace}}. With v2 fields the same live under {@code
 *       spec.crossplane} ({@code compositionRef}, {@code compositionSelector}, {@code compositionUpdatePolicy},
 *       {@code resourceRefs}).</li>
 *   <li>XR status: {@code status.conditions} (Synced, Ready), {@code status.connectionDetails.lastPublishedTime}, and
 *       Tarmac's {@link #STATUS_TARMAC} object: {@code {composition: name, resources: [{name, apiVersion, kind,
 *       resourceName, namespace?, target: Cluster|Destinations, ready, message, work?, workNamespace?}]}} — where each
 *       composed resource went ({@code work}: the Work that carries it to Git when the cluster does not serve its
 *       kind).</li>
 * </ul>
 */
public final class CrossplaneFields {

  /** The Crossplane API group of XRDs and Compositions. */
  public static final String GROUP = "apiextensions.crossplane.io";
  /** Label on an XR and its composed resources: the claim's name. */
  public static final String CLAIM_NAME = "crossplane.io/claim-name";
  /** Label on an XR and its composed resources: the claim's namespace. */
  public static final String CLAIM_NAMESPACE = "crossplane.io/claim-namespace";
  /** Label on composed resources: the XR's name. */
  public static final String COMPOSITE = "crossplane.io/composite";
  /** Annotation on composed resources: the Composition's resource template (or function resource) name. */
  public static final String COMPOSITION_RESOURCE_NAME = "crossplane.io/composition-resource-name";
  /** The status object Tarmac adds to XRs (see the class comment for its shape). */
  public static final String STATUS_TARMAC = "tarmac";

  private CrossplaneFields() {
  }
}
