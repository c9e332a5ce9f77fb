package dev.tarmac.testing;

import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.UUID;

/** RBAC for tests: grants a ServiceAccount one rule, in a namespace (Role) or cluster-wide (ClusterRole). */
public final class TestAccess {

  private TestAccess() {
  }

  /** A rule: {@code verbs} on {@code resources} of {@code group}, optionally only {@code names}. */
  public static PolicyRule rule(String group, String resource, List<String> names, String... verbs) {
    return new PolicyRuleBuilder().withApiGroups(group).withResources(resource).withResourceNames(names)
        .withVerbs(verbs).build();
  }

  /** {@code get} on the non-resource URL {@code path}. */
  public static PolicyRule nonResource(String path) {
    return new PolicyRuleBuilder().withNonResourceURLs(path).withVerbs("get").build();
  }

  /**
   * Grants {@code rule} to ServiceAccount {@code saNamespace/sa} in {@code namespace} only (Role + RoleBinding).
   *
   * @return the name of the Role and of the RoleBinding
   */
  public static String allowIn(KubernetesClient admin, String namespace, String saNamespace, String sa,
      PolicyRule rule) {
    String name = "test-" + UUID.randomUUID().toString().substring(0, 8);
    admin.resource(new RoleBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withRules(rule).build()).create();
    admin.resource(new RoleBindingBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
        .addNewSubject().withKind("ServiceAccount").withName(sa).withNamespace(saNamespace).endSubject().build())
        .create();
    return name;
  }

  /** Grants {@code rule} to ServiceAccount {@code saNamespace/sa} cluster-wide (ClusterRole + binding). */
  public static void allowClusterWide(KubernetesClient admin, String saNamespace, String sa, PolicyRule rule) {
    String name = "test-" + UUID.randomUUID().toString().substring(0, 8);
    admin.resource(new ClusterRoleBuilder().withNewMetadata().withName(name).endMetadata().withRules(rule).build())
        .create();
    admin.resource(new ClusterRoleBindingBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", name)
        .addNewSubject().withKind("ServiceAccount").withName(sa).withNamespace(saNamespace).endSubject().build())
        .create();
  }
}
