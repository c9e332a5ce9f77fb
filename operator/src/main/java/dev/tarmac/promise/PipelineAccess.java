package dev.tarmac.promise;

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
 * The ServiceAccount pipeline Jobs of a Promise run as, per namespace. Its Role only lets a pipeline read the
 * Promise's requests there (as Kratix pipelines may); it may not touch Works or any status. Each run adds the right
 * to write that run's output ConfigMap alone (a Role owned by the Job, made by {@code WorkflowRunner}), so a Pod
 * running as this ServiceAccount can address nothing but the output of a run in flight in its own namespace.
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
        // Read-only: a pipeline may look its request up (its input is in /kratix/input/object.yaml anyway). Works and
        // the request's status are the operator's alone (shared/DESIGN.md; docs/promises.md, "Pipeline output").
        .addToRules(new PolicyRuleBuilder().withApiGroups(kind.getGroup()).withResources(kind.getPlural())
            .withVerbs("get").build())
        .build()).fieldManager("tarmac").forceConflicts().serverSideApply();
    client.resource(new RoleBindingBuilder().withNewMetadata().withName(name).withNamespace(namespace)
        .addToLabels(Labels.MANAGED_BY, "tarmac").endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(name).endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(namespace).endSubject()
        .build()).fieldManager("tarmac").forceConflicts().serverSideApply();
  }
}
