package dev.tarmac.secrets;

import java.util.Set;
import java.util.TreeSet;

/**
 * Where the operator may read and write Secrets, the rule its RBAC mirrors (Helm chart, docs/helm.md "RBAC").
 *
 * <ul>
 *   <li>Git credentials (a GitStateStore's {@code spec.secretRef}): only in the operator's namespace and in
 *       {@code secretNamespaces}; a reference elsewhere is refused before anything is read.</li>
 *   <li>Connection secrets (a claim's {@code writeConnectionSecretToRef}, a composed resource's
 *       {@code spec.writeConnectionSecretToRef}): only in the claim's own namespace; when {@code secretNamespaces} is
 *       not empty, only claims in those namespaces (or the operator's) get one.</li>
 *   <li>With {@code connectionSecretClusterRole} set (the chart's default), the operator holds no Secret access in
 *       claim namespaces until it binds that ClusterRole there (see {@link ConnectionSecretAccess}).</li>
 * </ul>
 *
 * @param operatorNamespace the operator's own namespace
 * @param secretNamespaces further namespaces named by the platform team (Helm {@code rbac.secretNamespaces}); empty
 *     for none
 * @param connectionSecretClusterRole the ClusterRole granting Secrets that the operator binds in a claim's namespace
 *     when a claim appears there; null or blank when the operator already holds Secrets there (run outside the
 *     chart, or {@code secretNamespaces} names them)
 * @param serviceAccount the operator's ServiceAccount in {@code operatorNamespace} (the subject of those bindings);
 *     null outside a cluster
 */
public record SecretAccess(String operatorNamespace, Set<String> secretNamespaces,
    String connectionSecretClusterRole, String serviceAccount) {

  /** Access as an operator run outside the chart has it: its namespace only for Git credentials, no bindings. */
  public static SecretAccess outsideChart(String operatorNamespace) {
    return new SecretAccess(operatorNamespace, Set.of(), null, null);
  }

  /** Normalises {@code secretNamespaces} (sorted, blanks dropped). */
  public SecretAccess {
    secretNamespaces = secretNamespaces == null ? Set.of()
        : Set.copyOf(new TreeSet<>(secretNamespaces.stream().filter(s -> s != null && !s.isBlank()).toList()));
  }

  /** Parses a comma-separated list of namespaces (a flag or environment variable); blank gives none. */
  public static Set<String> parse(String commaSeparated) {
    Set<String> out = new TreeSet<>();
    if (commaSeparated != null) {
      for (String s : commaSeparated.split(",")) {
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
    }
    return out;
  }

  /** Namespaces a GitStateStore's Secret may live in: the operator's and {@code secretNamespaces}. */
  public Set<String> storeSecretNamespaces() {
    Set<String> out = new TreeSet<>(secretNamespaces);
    out.add(operatorNamespace);
    return out;
  }

  /**
   * Why a GitStateStore may not use a Secret in {@code namespace}, for its condition; null when it may.
   *
   * @param namespace the Secret's namespace (already defaulted to the operator's)
   */
  public String refuseStoreSecret(String namespace) {
    if (storeSecretNamespaces().contains(namespace)) {
      return null;
    }
    return "spec.secretRef.namespace " + namespace + " is not a namespace Tarmac reads Git credentials from ("
        + String.join(", ", storeSecretNamespaces()) + "): move the Secret to " + operatorNamespace
        + " or add the namespace to the Helm value rbac.secretNamespaces";
  }

  /**
   * Why a connection secret of a claim in {@code claimNamespace} may not be read or written in {@code namespace};
   * null when it may. Cross-namespace references are always refused: a claim could otherwise read another team's
   * Secret through the operator.
   *
   * @param field the field that names the Secret, for the message
   */
  public String refuseConnectionSecret(String claimNamespace, String namespace, String field) {
    if (namespace != null && !namespace.isBlank() && !namespace.equals(claimNamespace)) {
      return field + " names a Secret in namespace " + namespace + ", but connection secrets must be in the claim's"
          + " own namespace " + claimNamespace + ": drop the namespace or set it to " + claimNamespace;
    }
    if (!secretNamespaces.isEmpty() && !claimNamespace.equals(operatorNamespace)
        && !secretNamespaces.contains(claimNamespace)) {
      return "Tarmac may not write Secrets in namespace " + claimNamespace + " (Helm rbac.secretNamespaces: "
          + String.join(", ", secretNamespaces) + "): add the namespace to rbac.secretNamespaces and run helm"
          + " upgrade, or drop " + field;
    }
    return null;
  }

  /** Whether the operator binds {@link #connectionSecretClusterRole} in claim namespaces. */
  public boolean bindsPerNamespace() {
    return connectionSecretClusterRole != null && !connectionSecretClusterRole.isBlank() && serviceAccount != null
        && !serviceAccount.isBlank() && secretNamespaces.isEmpty();
  }
}
