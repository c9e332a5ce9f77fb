package dev.tarmac.promise;

import dev.tarmac.api.Api;
import dev.tarmac.api.Labels;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ServiceAccount pipeline Jobs of a Promise run as, per namespace, with no rights beyond what the collector
 * needs: create and patch Works in that namespace, and read the Promise's requests there and patch their status.
 */
public final class PipelineAccess {

  private final KubernetesClient client;
  private final Set<String> ensured = ConcurrentHashMap.newKeySet();

  /** @param client the client */
  public PipelineAccess(KubernetesClient client) {
    this.client = client;
  }

  /** The ServiceAccount name for Promise {@code promise}. */
  public static String serviceAccountName(String promise) {
    return "tarmac-pipeline-" + promise;
  }

  /** Creates the ServiceAccount, Role and RoleBinding in {@code namespace} once per operator run. */
  public void ensure(String promise, ResourceDefinitionContext kind, String namespace) {
    if (!ensured.add(promise + "/" + namespace)) {
      return;
    }
    String name = serviceAccountName(promise);
    client.resource(new ServiceAccountBuilder().withNewMetadata().withName(name).withNamespace(namespace)
        .addToLabels(Labels.MANAGED_BY, "tarmac").addToLabels(Labels.PROMISE, promise).endMetadata().build())
        .fieldManager("tarmac").forceConflicts().serverSideApply();
    client.resource(new RoleBuilder().withNewMetadata().withName(name).withNamespace(namespace)
        .addToLabels(Labels.MANAGED_BY, "tarmac").addToLabels(Labels.PROMISE, promise).endMetadata()
        .addToRules(new PolicyRuleBuilder().withApiGroups(Api.GROUP).withResources("works")
            .withVerbs("get", "create", "update", "patch").build())
        // The collector reads the request (to merge status.yaml into its current status) and patches its status.
        .addToRules(new PolicyRuleBuilder().withApiGroups(kind.getGroup()).withResources(kind.getPlural())
            .withVerbs("get").build())
        .addToRules(new PolicyRuleBuilder().withApiGroups(kind.getGroup()).withResources(kind.getPlural() + "/status")
            .withVerbs("get", "patch").build())
        .build()).fieldManager("tarmac").forceConflicts().serverSideApply();
    client.resource(new RoleBindingBuilder().withNewMetadata().withName(name).withNamespace(namespace)
        .addToLabels(Labels.MANAGED_BY, "tarmac").endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(name).endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(namespace).endSubject()
        .build()).fieldManager("tarmac").forceConflicts().serverSideApply();
  }
}
