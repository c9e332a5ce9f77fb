package dev.tarmac.promise;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Labels;
import dev.tarmac.pipeline.Pipeline;
import dev.tarmac.pipeline.PipelineException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The RBAC objects a Pipeline's {@code spec.rbac.permissions} ask for, built as Kratix builds them
 * ({@code api/v1alpha1/pipeline_factory.go}). Pure: same Promise, Pipeline and namespace, same objects.
 *
 * <p>Each permission is a Kubernetes PolicyRule ({@code apiGroups}, {@code resources}, {@code verbs},
 * {@code resourceNames}, {@code nonResourceURLs} is refused) plus an optional {@code resourceNamespace}:
 * <ul>
 *   <li>none: the rule goes into a Role {@code <base>} in the pipeline's namespace, bound to the Promise's pipeline
 *   ServiceAccount there by a RoleBinding {@code <base>};</li>
 *   <li>a namespace N: the rules for N go into a ClusterRole {@code <base>-<N>}, bound by a RoleBinding
 *   {@code <base>-<pipeline namespace>} in N only;</li>
 *   <li>{@code *}: the rules go into a ClusterRole {@code <base>-all-namespaces}, bound cluster-wide by a
 *   ClusterRoleBinding {@code <base>-all-namespaces-<pipeline namespace>}.</li>
 * </ul>
 * {@code <base>} is {@code tarmac-<promise>-<resource|promise>-<configure|delete>-<pipeline>} (Kratix's pipeline ID
 * with a {@code tarmac-} prefix). Every object carries the Promise's label, {@link #LABEL} and, for the bindings, the
 * pipeline namespace ({@link #NAMESPACE_LABEL}), and is owned by the Promise, so that deleting the Promise removes
 * them. The rules come only from the Promise (written by the platform team); nothing of a request is read.
 */
public final class PipelinePermissions {

  /** Label on every object made for {@code rbac.permissions}. */
  public static final String LABEL = "platform.tarmac.dev/pipeline-permissions";
  /** Label naming the workflow type (resource or promise) the objects were made for. */
  public static final String WORKFLOW_TYPE_LABEL = "platform.tarmac.dev/workflow-type";
  /** Label naming the namespace of the ServiceAccount a binding binds. */
  public static final String NAMESPACE_LABEL = "platform.tarmac.dev/pipeline-namespace";

  private static final String RBAC = "rbac.authorization.k8s.io";
  private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

  /**
   * One permission.
   *
   * @param resourceNamespace null (the pipeline's namespace), a namespace, or {@code *}
   * @param rule the rule
   */
  public record Permission(String resourceNamespace, PolicyRule rule) {
  }

  /**
   * The Promise the objects belong to.
   *
   * @param name its name
   * @param apiVersion its apiVersion (either group)
   * @param kind Promise
   * @param uid its UID
   */
  public record Owner(String name, String apiVersion, String kind, String uid) {
  }

  private PipelinePermissions() {
  }

  /**
   * Reads {@code spec.rbac.permissions} of {@code pipeline}; empty when there are none.
   *
   * @throws PipelineException naming the Pipeline and the permission when one is not a usable rule: no verbs, no
   *     resources, nonResourceURLs (cluster-wide URLs cannot be namespaced), or a resourceNamespace that is neither a
   *     namespace name nor {@code *}
   */
  public static List<Permission> parse(Pipeline pipeline) {
    JsonNode list = pipeline.spec().path("rbac").path("permissions");
    List<Permission> out = new ArrayList<>();
    if (list.isMissingNode() || list.isNull()) {
      return out;
    }
    if (!list.isArray()) {
      throw new PipelineException("Pipeline " + pipeline.name() + ": spec.rbac.permissions must be a list of rules");
    }
    for (int i = 0; i < list.size(); i++) {
      JsonNode p = list.get(i);
      String where = "Pipeline " + pipeline.name() + " spec.rbac.permissions[" + i + "]";
      if (p.has("nonResourceURLs")) {
        throw new PipelineException(where + " sets nonResourceURLs: pipelines may be granted resources only");
      }
      List<String> verbs = strings(p.path("verbs"));
      List<String> resources = strings(p.path("resources"));
      if (verbs.isEmpty() || resources.isEmpty()) {
        throw new PipelineException(where + " needs verbs and resources (and apiGroups, \"\" for the core group)");
      }
      String ns = p.path("resourceNamespace").asText("");
      if (!ns.isEmpty() && !"*".equals(ns) && !ns.matches(DNS_LABEL)) {
        throw new PipelineException(where + " has resourceNamespace '" + ns + "': write a namespace name, or '*' for"
            + " every namespace");
      }
      PolicyRuleBuilder rule = new PolicyRuleBuilder().withApiGroups(strings(p.path("apiGroups")))
          .withResources(resources).withVerbs(verbs);
      List<String> names = strings(p.path("resourceNames"));
      if (!names.isEmpty()) {
        rule.withResourceNames(names);
      }
      out.add(new Permission(ns.isEmpty() ? null : ns, rule.build()));
    }
    return out;
  }

  private static List<String> strings(JsonNode node) {
    List<String> out = new ArrayList<>();
    node.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** {@code tarmac-<promise>-<workflowType>-<action>-<pipeline>}, at most 253 characters. */
  public static String baseName(String promise, String workflowType, String action, String pipeline) {
    return name("tarmac-" + promise + "-" + workflowType + "-" + action + "-" + pipeline);
  }

  private static String name(String full) {
    String n = full.toLowerCase(Locale.ROOT);
    return n.length() <= 253 ? n : n.substring(0, 240) + "-" + Integer.toHexString(n.hashCode());
  }

  /** The ClusterRole of {@code resourceNamespace} ({@code *} or a namespace) for a Pipeline named {@code base}. */
  static String clusterRoleName(String base, String resourceNamespace) {
    return name(base + "-" + ("*".equals(resourceNamespace) ? "all-namespaces" : resourceNamespace));
  }

  /**
   * The objects for one Pipeline's permissions, for its ServiceAccount in {@code namespace}; empty when it has none.
   *
   * @param owner the Promise
   * @param workflowType resource or promise
   * @param action configure or delete
   * @param pipeline the Pipeline
   * @param serviceAccount the pipeline ServiceAccount's name
   * @param namespace where the Pipeline's Jobs (and the ServiceAccount) are
   * @throws PipelineException as {@link #parse}
   */
  public static List<HasMetadata> objects(Owner owner, String workflowType, String action, Pipeline pipeline,
      String serviceAccount, String namespace) {
    List<Permission> permissions = parse(pipeline);
    List<HasMetadata> out = new ArrayList<>();
    if (permissions.isEmpty()) {
      return out;
    }
    String base = baseName(owner.name(), workflowType, action, pipeline.name());
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.MANAGED_BY, "tarmac");
    labels.put(Labels.PROMISE, owner.name());
    labels.put(Labels.PIPELINE, pipeline.name());
    labels.put(LABEL, "true");
    labels.put(WORKFLOW_TYPE_LABEL, workflowType);
    Map<String, String> bindingLabels = new LinkedHashMap<>(labels);
    bindingLabels.put(NAMESPACE_LABEL, namespace);
    OwnerReference ref = new OwnerReferenceBuilder().withApiVersion(owner.apiVersion()).withKind(owner.kind())
        .withName(owner.name()).withUid(owner.uid()).withController(false).withBlockOwnerDeletion(false).build();
    List<PolicyRule> local = new ArrayList<>();
    Map<String, List<PolicyRule>> byNamespace = new LinkedHashMap<>();
    for (Permission p : permissions) {
      if (p.resourceNamespace() == null) {
        local.add(p.rule());
      } else {
        byNamespace.computeIfAbsent(p.resourceNamespace(), k -> new ArrayList<>()).add(p.rule());
      }
    }
    if (!local.isEmpty()) {
      out.add(new RoleBuilder().withNewMetadata().withName(base).withNamespace(namespace).withLabels(bindingLabels)
          .withOwnerReferences(ref).endMetadata().withRules(local).build());
      out.add(new RoleBindingBuilder().withNewMetadata().withName(base).withNamespace(namespace)
          .withLabels(bindingLabels).withOwnerReferences(ref).endMetadata()
          .withNewRoleRef().withApiGroup(RBAC).withKind("Role").withName(base).endRoleRef()
          .addNewSubject().withKind("ServiceAccount").withName(serviceAccount).withNamespace(namespace).endSubject()
          .build());
    }
    for (Map.Entry<String, List<PolicyRule>> e : byNamespace.entrySet()) {
      String role = clusterRoleName(base, e.getKey());
      out.add(new ClusterRoleBuilder().withNewMetadata().withName(role).withLabels(labels).withOwnerReferences(ref)
          .endMetadata().withRules(e.getValue()).build());
      if ("*".equals(e.getKey())) {
        out.add(new ClusterRoleBindingBuilder().withNewMetadata().withName(name(role + "-" + namespace))
            .withLabels(bindingLabels).withOwnerReferences(ref).endMetadata()
            .withNewRoleRef().withApiGroup(RBAC).withKind("ClusterRole").withName(role).endRoleRef()
            .addNewSubject().withKind("ServiceAccount").withName(serviceAccount).withNamespace(namespace)
            .endSubject().build());
      } else {
        out.add(new RoleBindingBuilder().withNewMetadata().withName(name(base + "-" + namespace))
            .withNamespace(e.getKey()).withLabels(bindingLabels).withOwnerReferences(ref).endMetadata()
            .withNewRoleRef().withApiGroup(RBAC).withKind("ClusterRole").withName(role).endRoleRef()
            .addNewSubject().withKind("ServiceAccount").withName(serviceAccount).withNamespace(namespace)
            .endSubject().build());
      }
    }
    return out;
  }
}
