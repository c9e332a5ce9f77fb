package dev.tarmac;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The label the leading replica puts on its own Pod, so the chart's Git Service ({@code <release>-tarmac-git}) sends
 * {@code /git} only to the replica that writes the embedded repositories. Needs {@code get}, {@code list} and
 * {@code patch} on Pods in the operator's namespace (the chart's Role grants them).
 */
public final class LeaderLabel {

  private static final Logger LOG = LoggerFactory.getLogger(LeaderLabel.class);

  /** Label on the leader's Pod, value {@code "true"}; absent on every other replica. */
  public static final String LABEL = "platform.tarmac.dev/leader";

  private final KubernetesClient client;
  private final String namespace;
  private final String pod;

  /**
   * @param client the client
   * @param namespace the operator's namespace ({@code POD_NAMESPACE})
   * @param pod this replica's Pod ({@code POD_NAME})
   */
  public LeaderLabel(KubernetesClient client, String namespace, String pod) {
    this.client = client;
    this.namespace = namespace;
    this.pod = pod;
  }

  /**
   * This replica leads: takes the label off every other Pod that still has it (a leader killed with -9 cannot) and
   * puts it on this Pod. Failures are logged with what to grant, not thrown: reconciling goes on, only the Git
   * Service has no endpoint.
   */
  public void claim() {
    try {
      for (Pod other : client.pods().inNamespace(namespace).withLabel(LABEL, "true").list().getItems()) {
        if (!other.getMetadata().getName().equals(pod)) {
          set(other.getMetadata().getName(), null);
          LOG.info("took label {} off Pod {} (a former leader)", LABEL, other.getMetadata().getName());
        }
      }
      set(pod, "true");
      LOG.info("labelled Pod {}/{} {}=true: the Git Service now routes here", namespace, pod, LABEL);
    } catch (KubernetesClientException e) {
      LOG.error("could not label Pod {}/{} as leader ({}): /git through the Git Service has no endpoint; grant the"
          + " operator get, list and patch on pods in {} (the Helm chart's Role does)", namespace, pod,
          e.getMessage(), namespace);
    }
  }

  /** This replica does not lead (start-up, lost leadership, shutdown): takes the label off its Pod if it is there. */
  public void release() {
    try {
      Pod self = client.pods().inNamespace(namespace).withName(pod).get();
      if (self != null && self.getMetadata().getLabels() != null
          && self.getMetadata().getLabels().containsKey(LABEL)) {
        set(pod, null);
        LOG.info("took label {} off Pod {}/{}", LABEL, namespace, pod);
      }
    } catch (KubernetesClientException e) {
      LOG.warn("could not take label {} off Pod {}/{}: {}", LABEL, namespace, pod, e.getMessage());
    }
  }

  private void set(String name, String value) {
    String json = value == null ? "null" : "\"" + value + "\"";
    client.pods().inNamespace(namespace).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"labels\":{\"" + LABEL + "\":" + json + "}}}");
  }
}
