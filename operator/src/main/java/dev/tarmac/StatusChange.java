package dev.tarmac;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/**
 * Writes status only when it changed. An operator that rewrites status on every reconcile wakes itself and every
 * watcher up (the Kratix anti-pattern STYLE.md names); reconcilers take a snapshot before changing status and hand
 * both to {@link #control}.
 */
public final class StatusChange {

  private StatusChange() {
  }

  /** A snapshot of {@code resource}'s status to compare with later. */
  public static JsonNode snapshot(CustomResource<?, ?> resource) {
    return Serialization.JSON.valueToTree(resource.getStatus());
  }

  /** True when {@code resource}'s status differs from {@code before}. */
  public static boolean changed(JsonNode before, CustomResource<?, ?> resource) {
    // By value: a number read back from the API server (an int) equals the same number set as a long.
    return !Serialization.sameJson(before, snapshot(resource));
  }

  /** {@code patchStatus} when status changed since {@code before}, else {@code noUpdate}. */
  public static <R extends CustomResource<?, ?>> UpdateControl<R> control(JsonNode before, R resource) {
    return changed(before, resource) ? UpdateControl.patchStatus(resource) : UpdateControl.noUpdate();
  }
}
