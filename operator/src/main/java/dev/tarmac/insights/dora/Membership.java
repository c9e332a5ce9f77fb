package dev.tarmac.insights.dora;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * Which Component a workload belongs to. A Deployment or StatefulSet belongs to a Component in <b>the same
 * namespace</b> when
 * <ol>
 *   <li>its label {@value #KUBERNETES_ID} equals the Component's {@code backstage.io/kubernetes-id} annotation, or
 *       the Component's name when it has none (the label Backstage's Kubernetes plugin selects workloads by); or
 *       else</li>
 *   <li>its label {@value #PART_OF} equals the Component's name (Kubernetes' recommended labels).</li>
 * </ol>
 * The first rule wins over the second; when one rule matches several Components, the one whose name sorts first
 * does, so a workload belongs to at most one Component.
 */
public final class Membership {

  /** Backstage's Kubernetes plugin label. */
  public static final String KUBERNETES_ID = "backstage.io/kubernetes-id";
  /** Kubernetes' recommended label for the higher-level application. */
  public static final String PART_OF = "app.kubernetes.io/part-of";

  /**
   * A Component as membership sees it.
   *
   * @param namespace its namespace
   * @param name its name
   * @param kubernetesId its {@code backstage.io/kubernetes-id} annotation, or its name
   */
  public record ComponentId(String namespace, String name, String kubernetesId) {
  }

  private Membership() {
  }

  /** The Component of a workload in {@code namespace} with {@code labels}, among {@code components}. */
  public static Optional<ComponentId> componentOf(String namespace, Map<String, String> labels,
      Collection<ComponentId> components) {
    if (labels == null || labels.isEmpty()) {
      return Optional.empty();
    }
    String id = labels.get(KUBERNETES_ID);
    String partOf = labels.get(PART_OF);
    ComponentId byId = null;
    ComponentId byPartOf = null;
    for (ComponentId c : components) {
      if (!c.namespace().equals(namespace)) {
        continue;
      }
      if (id != null && id.equals(c.kubernetesId()) && (byId == null || c.name().compareTo(byId.name()) < 0)) {
        byId = c;
      }
      if (partOf != null && partOf.equals(c.name()) && (byPartOf == null || c.name().compareTo(byPartOf.name()) < 0)) {
        byPartOf = c;
      }
    }
    return Optional.ofNullable(byId != null ? byId : byPartOf);
  }
}
