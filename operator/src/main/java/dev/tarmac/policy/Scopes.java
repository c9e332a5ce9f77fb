package dev.tarmac.policy;

import java.util.Optional;
import java.util.Set;

/**
 * Whether a kind is cluster-scoped. First a resolver (the operator fills it from the API server's discovery), then a
 * built-in list of Kubernetes' and well-known projects' cluster-scoped kinds, then — for a kind neither knows, e.g. a
 * CRD installed only in the Destination's cluster — the object itself: a kind whose name starts with {@code Cluster}
 * (ClusterIssuer, ClusterPolicy, ClusterSecretStore, ...) is taken as cluster-scoped, any other as namespaced. An
 * unknown cluster-scoped kind without that prefix therefore passes as namespaced: list the kinds you expect in
 * {@code allowedKinds} to close that gap (docs/guardrails.md, limits).
 */
public final class Scopes {

  /** Looks a kind's scope up; empty when it does not know the kind. */
  @FunctionalInterface
  public interface Resolver {
    /**
     * @param group the API group ("" for the core group)
     * @param version the API version
     * @param kind the kind
     * @return true when cluster-scoped, false when namespaced, empty when unknown
     */
    Optional<Boolean> clusterScoped(String group, String version, String kind);

    /** A resolver that knows nothing (only the built-in list and the object decide). */
    Resolver NONE = (g, v, k) -> Optional.empty();
  }

  /**
   * Cluster-scoped kinds as {@code group/Kind} ("" group for core), from the Kubernetes API reference (v1.20 to
   * v1.32) and the CRDs of widely used projects (cert-manager, Kyverno, Gatekeeper, External Secrets, Crossplane,
   * Argo CD, Flux have no cluster-scoped kinds of note beyond these).
   */
  static final Set<String> BUILT_IN = Set.of(
      "/Namespace", "/Node", "/PersistentVolume", "/ComponentStatus",
      "rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding",
      "apiextensions.k8s.io/CustomResourceDefinition",
      "apiregistration.k8s.io/APIService",
      "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
      "admissionregistration.k8s.io/MutatingWebhookConfiguration",
      "admissionregistration.k8s.io/ValidatingAdmissionPolicy",
      "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
      "admissionregistration.k8s.io/MutatingAdmissionPolicy",
      "admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
      "storage.k8s.io/StorageClass", "storage.k8s.io/CSIDriver", "storage.k8s.io/CSINode",
      "storage.k8s.io/VolumeAttachment", "storage.k8s.io/VolumeAttributesClass",
      "scheduling.k8s.io/PriorityClass",
      "networking.k8s.io/IngressClass", "networking.k8s.io/IPAddress", "networking.k8s.io/ServiceCIDR",
      "node.k8s.io/RuntimeClass",
      "policy/PodSecurityPolicy",
      "certificates.k8s.io/CertificateSigningRequest", "certificates.k8s.io/ClusterTrustBundle",
      "flowcontrol.apiserver.k8s.io/FlowSchema", "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
      "resource.k8s.io/DeviceClass",
      "authentication.k8s.io/TokenReview", "authentication.k8s.io/SelfSubjectReview",
      "authorization.k8s.io/SubjectAccessReview", "authorization.k8s.io/SelfSubjectAccessReview",
      "authorization.k8s.io/SelfSubjectRulesReview",
      "snapshot.storage.k8s.io/VolumeSnapshotClass", "snapshot.storage.k8s.io/VolumeSnapshotContent",
      "gateway.networking.k8s.io/GatewayClass",
      "cert-manager.io/ClusterIssuer",
      "kyverno.io/ClusterPolicy", "kyverno.io/ClusterCleanupPolicy", "wgpolicyk8s.io/ClusterPolicyReport",
      "templates.gatekeeper.sh/ConstraintTemplate",
      "external-secrets.io/ClusterSecretStore", "external-secrets.io/ClusterExternalSecret",
      "pkg.crossplane.io/Provider", "pkg.crossplane.io/Configuration", "pkg.crossplane.io/Function",
      "apiextensions.crossplane.io/Composition", "apiextensions.crossplane.io/CompositeResourceDefinition",
      "platform.kratix.io/Promise", "platform.kratix.io/Destination", "platform.kratix.io/GitStateStore",
      "platform.kratix.io/BucketStateStore",
      "platform.tarmac.dev/Promise", "platform.tarmac.dev/Composition", "platform.tarmac.dev/Template",
      "platform.tarmac.dev/Destination", "platform.tarmac.dev/GitStateStore", "platform.tarmac.dev/Scorecard");

  private final Resolver resolver;

  /** @param resolver consulted first (e.g. discovery); {@link Resolver#NONE} for the built-in list only */
  public Scopes(Resolver resolver) {
    this.resolver = resolver == null ? Resolver.NONE : resolver;
  }

  /**
   * Whether an object of this kind is cluster-scoped.
   *
   * @param apiVersion the object's apiVersion ({@code v1}, {@code apps/v1})
   * @param kind the object's kind
   * @return true when the resolver, the built-in list or the {@code Cluster} prefix says so
   */
  public boolean clusterScoped(String apiVersion, String kind) {
    String group = group(apiVersion);
    String version = apiVersion == null ? "" : apiVersion.substring(apiVersion.indexOf('/') + 1);
    Optional<Boolean> known;
    try {
      known = resolver.clusterScoped(group, version, kind);
    } catch (RuntimeException e) {
      known = Optional.empty();
    }
    if (known.isPresent()) {
      return known.get();
    }
    if (BUILT_IN.contains(group + "/" + kind)) {
      return true;
    }
    return kind != null && kind.startsWith("Cluster") && kind.length() > "Cluster".length()
        && Character.isUpperCase(kind.charAt("Cluster".length()));
  }

  /** The API group of an apiVersion: "" for {@code v1}, {@code apps} for {@code apps/v1}. */
  public static String group(String apiVersion) {
    if (apiVersion == null) {
      return "";
    }
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }
}
