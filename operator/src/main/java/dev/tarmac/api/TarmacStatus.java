package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of status every Tarmac kind shares: {@code observedGeneration} and {@code conditions} in the
 * Kubernetes {@code metav1.Condition} shape (type, status, reason, message, lastTransitionTime,
 * observedGeneration), as the Kubernetes API conventions describe, and {@code nextRetryTime} while a failed
 * reconcile waits for its next attempt ({@link dev.tarmac.Retries}). Conditions are changed only through
 * {@link Conditions}, so every reconciler sets them the same way.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TarmacStatus {

  @JsonPropertyDescription("The metadata.generation that this status was computed from.")
  public Long observedGeneration;

  @JsonPropertyDescription("Latest observations of the object's state (Ready, Synced, PipelineCompleted, Published, ...),"
      + " in the metav1.Condition shape.")
  public List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("When the next attempt after a failed reconcile is due (RFC 3339, UTC); absent when the"
      + " last reconcile succeeded. The failure is in the Synced condition (and Ready when the object cannot work).")
  public String nextRetryTime;
}
