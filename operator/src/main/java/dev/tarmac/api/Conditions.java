package dev.tarmac.api;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one place conditions are built. Follows the Kubernetes API conventions for {@code metav1.Condition}:
 * {@code lastTransitionTime} changes only when {@code status} changes, reasons are CamelCase, one entry per type.
 *
 * <p>Condition types used across kinds are the constants below (shared/DESIGN.md, "API").
 */
public final class Conditions {

  /** The rollup a user looks at. */
  public static final String READY = "Ready";
  /** The last reconcile of the current generation succeeded. */
  public static final String SYNCED = "Synced";
  /** Every pipeline of the current run finished. */
  public static final String PIPELINE_COMPLETED = "PipelineCompleted";
  /** Outputs are in every selected Destination's store. */
  public static final String PUBLISHED = "Published";
  /** A Promise serves its request kind. */
  public static final String AVAILABLE = "Available";

  private static volatile Clock clock = Clock.systemUTC();

  private Conditions() {
  }

  /** Replaces the clock conditions are stamped with; for tests. */
  public static void useClock(Clock newClock) {
    clock = Objects.requireNonNull(newClock);
  }

  /**
   * Sets condition {@code type} on {@code status}, keeping {@code lastTransitionTime} when the status value
   * does not change.
   *
   * @param status the status to change in place
   * @param type condition type, e.g. {@link #READY}
   * @param value true, false; {@code null} means {@code Unknown}
   * @param reason CamelCase reason, e.g. {@code PipelineFailed}
   * @param message what happened and what to change, for a person
   * @param generation the generation the condition was computed for, may be {@code null}
   * @return true when anything about the condition changed
   */
  public static boolean set(TarmacStatus status, String type, Boolean value, String reason, String message,
      Long generation) {
    if (status.conditions == null) {
      status.conditions = new ArrayList<>();
    }
    String statusValue = value == null ? "Unknown" : value ? "True" : "False";
    // metav1.Condition requires both as strings; the API server rejects nulls.
    reason = reason == null || reason.isEmpty() ? "Unknown" : reason;
    // An empty message is dropped on serialization and then patched as null, which the API server rejects.
    message = message == null || message.isEmpty() ? reason : message;
    Optional<Condition> existing = find(status.conditions, type);
    if (existing.isPresent()) {
      Condition c = existing.get();
      boolean same = statusValue.equals(c.getStatus()) && Objects.equals(reason, c.getReason())
          && Objects.equals(message, c.getMessage()) && Objects.equals(generation, c.getObservedGeneration());
      if (same) {
        return false;
      }
      if (!statusValue.equals(c.getStatus())) {
        c.setLastTransitionTime(now());
      }
      c.setStatus(statusValue);
      c.setReason(reason);
      c.setMessage(message);
      c.setObservedGeneration(generation);
      return true;
    }
    status.conditions.add(new ConditionBuilder().withType(type).withStatus(statusValue).withReason(reason)
        .withMessage(message).withObservedGeneration(generation).withLastTransitionTime(now()).build());
    return true;
  }

  /** Sets a True condition; see {@link #set}. */
  public static boolean setTrue(TarmacStatus status, String type, String reason, String message, Long generation) {
    return set(status, type, true, reason, message, generation);
  }

  /** Sets a False condition; see {@link #set}. */
  public static boolean setFalse(TarmacStatus status, String type, String reason, String message, Long generation) {
    return set(status, type, false, reason, message, generation);
  }

  /** The condition of {@code type}, if present. */
  public static Optional<Condition> find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return Optional.empty();
    }
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /**
   * The condition of {@code type} when it was computed for {@code generation}; empty when absent or stale (its
   * {@code observedGeneration} is another generation). A condition or object without a generation is taken as
   * current.
   */
  public static Optional<Condition> forGeneration(List<Condition> conditions, String type, Long generation) {
    return find(conditions, type).filter(c -> c.getObservedGeneration() == null || generation == null
        || c.getObservedGeneration().equals(generation));
  }

  /** The condition of {@code type} in a status held as JSON (a snapshot taken before a reconcile), if present. */
  public static Optional<com.fasterxml.jackson.databind.JsonNode> find(com.fasterxml.jackson.databind.JsonNode status,
      String type) {
    for (var c : status.path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** True when {@code status} has condition {@code type} with status {@code True}. */
  public static boolean isTrue(TarmacStatus status, String type) {
    return status != null && find(status.conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  /** The reason of condition {@code type}, or null. */
  public static String reason(TarmacStatus status, String type) {
    return status == null ? null : find(status.conditions, type).map(Condition::getReason).orElse(null);
  }

  private static String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
