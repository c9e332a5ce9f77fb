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

  private final Set<String> granted = ConcurrentHashMap.newKeySet();

  /**
   * Grants the {@code spec.rbac.permissions} of {@code pipelines} to the Promise's pipeline ServiceAccount in
   * {@code namespace} ({@link PipelinePermissions}), and removes the objects of permissions the Promise no longer has.
   * Done once per Promise generation, workflow type and namespace.
   *
   * <p>Kubernetes lets the operator grant only what it holds itself (RBAC escalation prevention), so a permission the
   * operator lacks is refused by the API server: that becomes {@link PromiseException} with reason
   * {@link #NOT_GRANTED}, whose message names the missing rules as the API server gives them and what to change.
   *
   * @param promise the Promise (its name, UID and generation)
   * @param workflowType resource or promise
   * @param pipelines the Pipelines by action (configure, delete)
   * @param namespace where the Jobs run
   * @throws PromiseException {@link #NOT_GRANTED}, or {@code InvalidPipeline} for a permission that is not a rule
   */
  public void grant(dev.tarmac.api.Promise promise, String workflowType,
      java.util.Map<String, java.util.List<dev.tarmac.pipeline.Pipeline>> pipelines, String namespace) {
    var meta = promise.getMetadata();
    String key = meta.getUid() + "/" + meta.getGeneration() + "/" + workflowType + "/" + namespace;
    if (granted.contains(key)) {
      return;
    }
    var owner = new PipelinePermissions.Owner(meta.getName(), promise.getApiVersion(), promise.getKind(),
        meta.getUid());
    java.util.List<io.fabric8.kubernetes.api.model.HasMetadata> desired = new java.util.ArrayList<>();
    try {
      pipelines.forEach((action, list) -> list.forEach(p -> desired.addAll(PipelinePermissions.objects(owner,
          workflowType, action, p, serviceAccountName(meta.getName()), namespace))));
    } catch (dev.tarmac.pipeline.PipelineException e) {
      throw new PromiseException("InvalidPipeline", e.getMessage());
    }
    for (var object : desired) {
      try {
        client.resource(object).fieldManager("tarmac").forceConflicts().serverSideApply();
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() == 403) {
          throw new PromiseException(NOT_GRANTED, "the operator may not grant " + object.getKind() + " "
              + object.getMetadata().getName() + " (spec.rbac.permissions of Promise " + meta.getName() + "): "
              + (e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage())
              + "; the operator can grant only what it holds: add these rules to the Helm chart's"
              + " pipelinePermissions.rules and run helm upgrade, or remove them from the Pipeline");
        }
        throw e;
      }
    }
    prune(meta.getName(), workflowType, namespace, desired);
    granted.add(key);
  }

  /** Reason of the condition when the API server refuses a grant the operator does not hold. */
  public static final String NOT_GRANTED = "PipelinePermissionsNotGranted";

  /**
   * Deletes the permission objects of Promise {@code promise} for {@code workflowType} and {@code namespace} that are
   * not in {@code desired} (a Pipeline or permission removed from the Promise). Lists the operator may not make
   * (ClusterRoles without the chart's pipelinePermissions) are skipped: nothing of that kind was ever made.
   */
  private void prune(String promise, String workflowType, String namespace,
      java.util.List<io.fabric8.kubernetes.api.model.HasMetadata> desired) {
    java.util.Set<String> keep = new java.util.HashSet<>();
    desired.forEach(o -> keep.add(o.getClass().getSimpleName() + "/" + o.getMetadata().getNamespace() + "/"
        + o.getMetadata().getName()));
    java.util.Map<String, String> labels = java.util.Map.of(Labels.PROMISE, promise, PipelinePermissions.LABEL,
        "true", PipelinePermissions.WORKFLOW_TYPE_LABEL, workflowType);
    java.util.Map<String, String> bound = new java.util.HashMap<>(labels);
    bound.put(PipelinePermissions.NAMESPACE_LABEL, namespace);
    java.util.List<io.fabric8.kubernetes.api.model.HasMetadata> existing = new java.util.ArrayList<>();
    listQuietly(() -> existing.addAll(client.rbac().roles().inNamespace(namespace).withLabels(bound).list()
        .getItems()));
    listQuietly(() -> existing.addAll(client.rbac().roleBindings().inAnyNamespace().withLabels(bound).list()
        .getItems()));
    listQuietly(() -> existing.addAll(client.rbac().clusterRoleBindings().withLabels(bound).list().getItems()));
    listQuietly(() -> existing.addAll(client.rbac().clusterRoles().withLabels(labels).list().getItems()));
    for (var o : existing) {
      if (!keep.contains(o.getClass().getSimpleName() + "/" + o.getMetadata().getNamespace() + "/"
          + o.getMetadata().getName())) {
        client.resource(o).delete();
      }
    }
  }

  private static void listQuietly(Runnable list) {
    try {
      list.run();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 403) {
        throw e;
      }
    }
  }

  private final Set<String> accounts = ConcurrentHashMap.newKeySet();

  /**
   * Creates the pipeline ServiceAccount of Promise {@code promise} in {@code namespace}, once per operator run: the
   * one promise workflows' Jobs run as in the operator's namespace (requests' Jobs get it from {@link #ensure}).
   */
  public void serviceAccount(String promise, String namespace) {
    if (!accounts.add(promise + "/" + namespace)) {
      return;
    }
    client.resource(new ServiceAccountBuilder().withNewMetadata().withName(serviceAccountName(promise))
        .withNamespace(namespace).addToLabels(Labels.MANAGED_BY, "tarmac").addToLabels(Labels.PROMISE, promise)
        .endMetadata().build()).fieldManager("tarmac").forceConflicts().serverSideApply();
  }

  /** Creates the ServiceAccount, Role and RoleBinding in {@code namespace} once per operator run. */
  public void ensure(String promise, ResourceDefinitionContext kind, String namespace) {
    if (!ensured.add(promise + "/" + namespace)) {
      return;
    }
    String name = serviceAccountName(promise);
    serviceAccount(promise, namespace);
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
