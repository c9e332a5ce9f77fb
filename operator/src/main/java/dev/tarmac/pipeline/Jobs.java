package dev.tarmac.pipeline;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reading what happened to a pipeline Job, for status messages and {@code tarmac trace}. */
public final class Jobs {

  private Jobs() {
  }

  /**
   * The failing step of {@code job}: {@code step <name> exited <code>: <termination message>}, from its pods' init
   * and main container statuses; empty when no container failed (yet).
   */
  public static Optional<String> failingStep(KubernetesClient client, Job job) {
    for (Pod pod : client.pods().inNamespace(job.getMetadata().getNamespace())
        .withLabel("job-name", job.getMetadata().getName()).list().getItems()) {
      if (pod.getStatus() == null) {
        continue;
      }
      List<ContainerStatus> statuses = new ArrayList<>();
      if (pod.getStatus().getInitContainerStatuses() != null) {
        statuses.addAll(pod.getStatus().getInitContainerStatuses());
      }
      if (pod.getStatus().getContainerStatuses() != null) {
        statuses.addAll(pod.getStatus().getContainerStatuses());
      }
      for (ContainerStatus cs : statuses) {
        var t = cs.getState() == null ? null : cs.getState().getTerminated();
        if (t != null && t.getExitCode() != null && t.getExitCode() != 0) {
          return Optional.of("step " + cs.getName() + " exited " + t.getExitCode()
              + (t.getMessage() == null || t.getMessage().isBlank() ? "" : ": " + t.getMessage().strip()));
        }
      }
    }
    return Optional.empty();
  }
}
