package dev.tarmac.secrets;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the operator Secret access in a claim's namespace only once a claim there needs a connection secret: a
 * RoleBinding, named as the ClusterRole {@link SecretAccess#connectionSecretClusterRole()}, binding that ClusterRole
 * to the operator's ServiceAccount in that namespace. The operator may create it because the chart grants
 * {@code bind} on that one ClusterRole (resourceNames), not because it holds Secrets anywhere. Bindings stay when the
 * last claim of a namespace goes (docs/helm.md says so); deleting them is the platform team's call.
 */
public final class ConnectionSecretAccess {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionSecretAccess.class);
  /** Label on the RoleBindings this class creates. */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

  private final KubernetesClient client;
  private final SecretAccess access;
  private final Set<String> bound = ConcurrentHashMap.newKeySet();

  /**
   * @param client the operator's client
   * @param access the rule
   */
  public ConnectionSecretAccess(KubernetesClient client, SecretAccess access) {
    this.client = client;
    this.access = access;
  }

  /** The rule. */
  public SecretAccess access() {
    return access;
  }

  /**
   * Makes sure the operator may read and write Secrets in {@code namespace}: a no-op unless
   * {@link SecretAccess#bindsPerNamespace()}; otherwise creates the RoleBinding once and waits (at most 5 s) until the
   * API server's authorizer honours it.
   *
   * @throws KubernetesClientException when the binding cannot be created (403: the chart's {@code bind} rule is
   *     missing)
   */
  public void ensure(String namespace) {
    if (!access.bindsPerNamespace() || namespace.equals(access.operatorNamespace()) || bound.contains(namespace)) {
      return;
    }
    String role = access.connectionSecretClusterRole();
    RoleBinding binding = new RoleBindingBuilder()
        .withNewMetadata().withName(role).withNamespace(namespace).addToLabels(MANAGED_BY, "tarmac").endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", role)
        .addNewSubject().withKind("ServiceAccount").withName(access.serviceAccount())
        .withNamespace(access.operatorNamespace()).endSubject()
        .build();
    try {
      client.resource(binding).create();
      LOG.info("bound ClusterRole {} in namespace {}: connection secrets of claims there", role, namespace);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
    long deadline = System.currentTimeMillis() + 5_000;
    while (!maySecrets(namespace) && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    bound.add(namespace);
  }

  private boolean maySecrets(String namespace) {
    var review = client.authorization().v1().selfSubjectAccessReview().create(new SelfSubjectAccessReviewBuilder()
        .withNewSpec().withNewResourceAttributes().withNamespace(namespace).withVerb("get").withResource("secrets")
        .endResourceAttributes().endSpec().build());
    return review.getStatus() != null && review.getStatus().getAllowed();
  }
}
