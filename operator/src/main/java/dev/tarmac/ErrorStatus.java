package dev.tarmac;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.TarmacStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.io.IOException;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a reconcile that threw does to its object's status, for JOSDK's {@code Reconciler.updateErrorStatus}: the
 * failure is classified ({@link #classify}), condition {@code Synced=False} gets a reason and a message saying what
 * failed and what to change (and {@code Ready=False} too when the object cannot work until it is fixed), a Warning
 * Event is recorded when that reason or message is new, and {@code status.nextRetryTime} says when the framework
 * tries again ({@link Retries}). A failure that passes (the API server unreachable, a conflict, a 5xx, a timeout, a
 * store not ready) is retried with backoff; a refusal of bad input (HTTP 400/422) is not: the object waits for a
 * change.
 *
 * <p>Reconcilers handle errors a user causes in their own code (condition, Event, no reschedule) and throw
 * {@link RetryLater} for those that a later attempt may clear; everything else reaches here unclassified.
 */
public final class ErrorStatus {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorStatus.class);

  private ErrorStatus() {
  }

  /**
   * Thrown by a reconciler for a failure that a later attempt may clear without a change to the object (a missing
   * permission granted later, a repository being re-created): retried with backoff, its reason and message in
   * {@code Synced}, and in {@code Ready} too when {@code notReady}.
   */
  public static final class RetryLater extends RuntimeException {
    private final String reason;
    private final boolean notReady;

    /**
     * @param reason CamelCase condition reason
     * @param message what failed and what to change, for a person
     * @param notReady also set {@code Ready=False}: the object does not work until this is fixed
     */
    public RetryLater(String reason, String message, boolean notReady) {
      super(message);
      this.reason = reason;
      this.notReady = notReady;
    }

    /** The condition reason. */
    public String reason() {
      return reason;
    }
  }

  /**
   * A classified failure.
   *
   * @param reason CamelCase condition reason
   * @param message what failed and what to change
   * @param retry true: retried with backoff; false: permanent, wait for a change of the object
   * @param notReady true: {@code Ready=False} as well
   */
  public record Failure(String reason, String message, boolean retry, boolean notReady) {
  }

  /**
   * Classifies a reconcile's exception. {@link RetryLater} keeps its own reason. A {@link KubernetesClientException}
   * by HTTP code: none (connection refused, reset, timed out) → {@code ApiServerUnreachable}; 408, 500–599 →
   * {@code ApiServerUnavailable}; 429 → {@code ApiServerThrottled}; 409 → {@code Conflict}; 403 → {@code Forbidden}
   * (retried: RBAC may be granted later), 404 → {@code NotFound} (retried: what is missing may be created); 422 without field causes → {@code Conflict}
   * (retried: a patch that did not apply to the object as it is now); 400, 422 with causes and other 4xx →
   * {@code Invalid}, not retried. An I/O error or timeout anywhere in the cause chain →
   * {@code ApiServerUnreachable}. Anything else → {@code ReconcileError}, retried.
   */
  public static Failure classify(Throwable thrown) {
    // JOSDK hands updateErrorStatus the reconciler's exception wrapped in an OperatorException.
    Throwable e = thrown instanceof io.javaoperatorsdk.operator.OperatorException && thrown.getCause() != null
        ? thrown.getCause() : thrown;
    RetryLater r = find(e, RetryLater.class);
    if (r != null) {
      return new Failure(r.reason, r.getMessage(), true, r.notReady);
    }
    KubernetesClientException k = find(e, KubernetesClientException.class);
    String retried = "; retried with backoff (" + Retries.INITIAL.toSeconds() + " s doubling to "
        + Retries.MAX.toSeconds() + " s), nothing to change unless it persists";
    if (k != null && k.getCode() > 0) {
      int code = k.getCode();
      String said = k.getStatus() != null && k.getStatus().getMessage() != null ? k.getStatus().getMessage()
          : rootMessage(k);
      if (code == 409) {
        return new Failure("Conflict", "another writer changed the object first (HTTP 409: " + said + ")" + retried,
            true, false);
      }
      if (code == 429) {
        return new Failure("ApiServerThrottled", "the API server asked to slow down (HTTP 429: " + said + ")"
            + retried, true, false);
      }
      if (code == 408 || code >= 500) {
        return new Failure("ApiServerUnavailable", "the API server answered HTTP " + code + " (" + said + ")"
            + retried + ": then check the API server and etcd", true, false);
      }
      if (code == 403) {
        return new Failure("Forbidden", "the operator's ServiceAccount was refused (HTTP 403: " + said + "); grant"
            + " it the verb (the Helm chart's RBAC values) and it is picked up at the next attempt", true, true);
      }
      if (code == 404) {
        return new Failure("NotFound", "an object the reconcile needs does not exist (HTTP 404: " + said + ")"
            + retried, true, false);
      }
      if (code == 422 && !hasCauses(k)) {
        // A 422 that names no field is a patch that could not be applied to the object as it is now (a JSON Patch
        // against a newer version, seen in CI under load), not a schema refusal, which lists the fields it refuses.
        return new Failure("Conflict", "the API server could not apply the change to the object as it is now (HTTP"
            + " 422 without field errors: " + said + ")" + retried, true, false);
      }
      return new Failure("Invalid", "the API server refused what Tarmac wrote for this object (HTTP " + code + ": "
          + said + "); change the object's spec (or what it references) so that it produces valid objects; not"
          + " retried until the object changes", false, true);
    }
    if (k != null || find(e, IOException.class) != null || find(e, TimeoutException.class) != null) {
      return new Failure("ApiServerUnreachable", "the API server could not be reached (" + rootMessage(e) + ")"
          + retried + ": then check the API server, etcd and the operator's network", true, false);
    }
    return new Failure("ReconcileError", e.getClass().getSimpleName() + ": " + rootMessage(e) + retried
        + ": then report it with the operator's log", true, false);
  }

  /** True when the refusal names the fields it refuses ({@code details.causes}), as a schema refusal does. */
  private static boolean hasCauses(KubernetesClientException k) {
    return k.getStatus() != null && k.getStatus().getDetails() != null && k.getStatus().getDetails().getCauses() != null
        && !k.getStatus().getDetails().getCauses().isEmpty();
  }

  /**
   * Writes the failure into {@code resource}'s status (whose reconcile threw {@code e}) and tells JOSDK whether to
   * retry. The status must be a {@link TarmacStatus}; a resource without status gets no status update.
   *
   * @param resource the object as the reconcile left it (status changes made before the throw are kept)
   * @param context the reconcile's context: its retry count and the cached object, to compare with
   * @param e what the reconcile threw
   * @param events where the Warning Event goes
   * @param clock the time, for {@code nextRetryTime}
   */
  public static <R extends CustomResource<?, ?>> ErrorStatusUpdateControl<R> update(R resource, Context<R> context,
      Exception e, Events events, Clock clock) {
    R cached = context == null ? null : context.getPrimaryCache().get(ResourceID.fromResource(resource)).orElse(null);
    return update(resource, Retries.attempts(context), cached, e, events::warning, clock);
  }

  /** Records a Warning Event: object, reason, message ({@link Events#warning}). */
  @FunctionalInterface
  public interface Warning {
    /** Records it; never throws. */
    void emit(HasMetadata object, String reason, String message);
  }

  /**
   * {@link #update(CustomResource, Context, Exception, Events, Clock)} with what it reads from the context given:
   * {@code attempts}, the retry count ({@link Retries#attempts}), and {@code cached}, the object as the informer
   * holds it (null: unknown), whose {@code Synced} condition decides whether the Event is new.
   */
  public static <R extends CustomResource<?, ?>> ErrorStatusUpdateControl<R> update(R resource, int attempts,
      R cached, Exception e, Warning warning, Clock clock) {
    Failure f = classify(e);
    String id = resource.getKind() + " " + ResourceID.fromResource(resource);
    if (!(resource.getStatus() instanceof TarmacStatus status)) {
      LOG.warn("{}: {} ({})", id, f.message(), f.reason());
      return f.retry() ? ErrorStatusUpdateControl.noStatusUpdate()
          : ErrorStatusUpdateControl.<R>noStatusUpdate().withNoRetry();
    }
    Long generation = resource.getMetadata().getGeneration();
    Conditions.setFalse(status, Conditions.SYNCED, f.reason(), f.message(), generation);
    if (f.notReady()) {
      Conditions.setFalse(status, Conditions.READY, f.reason(), f.message(), generation);
    }
    status.nextRetryTime = f.retry() ? Retries.nextAttempt(attempts, clock) : null;
    if (f.retry()) {
      LOG.info("{}: {} ({}), attempt {}, next at {}", id, f.reason(), f.message(), attempts + 1,
          status.nextRetryTime);
    } else {
      LOG.warn("{}: {} ({}); waiting for a change", id, f.reason(), f.message());
    }
    if (isNew(cached, f)) {
      warning.emit(resource, f.reason(), f.message());
    }
    var control = ErrorStatusUpdateControl.patchStatus(resource);
    return f.retry() ? control : control.withNoRetry();
  }

  /**
   * {@link #update(CustomResource, int, CustomResource, Exception, Warning, Clock)} for an object its controller reads
   * as a {@link io.fabric8.kubernetes.api.model.GenericKubernetesResource} (Promise request kinds, Crossplane XRs and
   * claims, reconciled through a {@link ReconcileQueue}): the same conditions, {@code status.nextRetryTime} and
   * Event, written as a JSON merge patch of the status subresource ({@code status.conditions} whole, the other
   * conditions kept). A status write that fails (the API server unreachable, the object gone) is logged, not thrown:
   * the queue retries the reconcile anyway.
   *
   * @param resource where the object is (its status subresource is patched)
   * @param cached the object as the informer holds it, or null when it is gone (nothing is written)
   * @param attempts failed attempts before this one
   * @param e what the reconcile threw
   * @param warning where the Warning Event goes
   * @param clock the time, for {@code nextRetryTime}
   * @return true when the failure is retried with backoff, false when the object waits for a change
   */
  public static boolean update(io.fabric8.kubernetes.client.dsl.Resource<
      io.fabric8.kubernetes.api.model.GenericKubernetesResource> resource,
      io.fabric8.kubernetes.api.model.GenericKubernetesResource cached, int attempts, Exception e, Warning warning,
      Clock clock) {
    Failure f = classify(e);
    if (cached == null) {
      return f.retry();
    }
    String id = cached.getKind() + " " + (cached.getMetadata().getNamespace() == null ? ""
        : cached.getMetadata().getNamespace() + "/") + cached.getMetadata().getName();
    com.fasterxml.jackson.databind.JsonNode before = dev.tarmac.api.Serialization.JSON.valueToTree(cached)
        .path("status");
    TarmacStatus status = new TarmacStatus();
    if (before.path("conditions").isArray()) {
      status.conditions = new java.util.ArrayList<>(dev.tarmac.api.Serialization.JSON.convertValue(
          before.get("conditions"), new com.fasterxml.jackson.core.type.TypeReference<
          java.util.List<io.fabric8.kubernetes.api.model.Condition>>() { }));
    }
    boolean isNew = Conditions.find(status.conditions, Conditions.SYNCED)
        .map(c -> !"False".equals(c.getStatus()) || !Objects.equals(c.getReason(), f.reason())
            || !Objects.equals(c.getMessage(), f.message()))
        .orElse(true);
    Long generation = cached.getMetadata().getGeneration();
    Conditions.setFalse(status, Conditions.SYNCED, f.reason(), f.message(), generation);
    if (f.notReady()) {
      Conditions.setFalse(status, Conditions.READY, f.reason(), f.message(), generation);
    }
    var patch = dev.tarmac.api.Serialization.JSON.createObjectNode();
    var s = patch.putObject("status");
    s.set("conditions", dev.tarmac.api.Serialization.JSON.valueToTree(status.conditions));
    if (f.retry()) {
      s.put("nextRetryTime", Retries.nextAttempt(attempts, clock));
      LOG.info("{}: {} ({}), attempt {}, next at {}", id, f.reason(), f.message(), attempts + 1,
          s.path("nextRetryTime").asText());
    } else {
      s.putNull("nextRetryTime");
      LOG.warn("{}: {} ({}); waiting for a change", id, f.reason(), f.message());
    }
    try {
      resource.subresource("status").patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
          io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), patch.toString());
    } catch (KubernetesClientException write) {
      LOG.warn("{}: the failure could not be written to its status: {}", id, describe(write));
    }
    if (isNew) {
      warning.emit(cached, f.reason(), f.message());
    }
    return f.retry();
  }

  /** True when the cached object's {@code Synced} condition does not already say the same. */
  private static boolean isNew(HasMetadata cached, Failure f) {
    if (!(cached instanceof CustomResource<?, ?> c) || !(c.getStatus() instanceof TarmacStatus status)) {
      return true;
    }
    return Conditions.find(status.conditions, Conditions.SYNCED)
        .map(s -> !"False".equals(s.getStatus()) || !Objects.equals(s.getReason(), f.reason())
            || !Objects.equals(s.getMessage(), f.message()))
        .orElse(true);
  }

  private static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  private static String rootMessage(Throwable e) {
    return describe(e);
  }

  /**
   * A short description of an exception for a condition message: what the cause chain says about a connection
   * ({@code connection refused}, {@code timed out}) when it has such a cause — the JDK's HTTP client reports a refused
   * connection as a {@code ConnectException} without a message — else the deepest message in the chain.
   */
  public static String describe(Throwable e) {
    if (find(e, java.net.ConnectException.class) != null) {
      String m = find(e, java.net.ConnectException.class).getMessage();
      return "connection refused" + (m == null || m.isBlank() ? "" : " (" + m + ")");
    }
    if (find(e, java.net.http.HttpTimeoutException.class) != null || find(e, java.net.SocketTimeoutException.class)
        != null || find(e, TimeoutException.class) != null) {
      return "timed out";
    }
    String message = null;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    return message != null ? message : e.getClass().getSimpleName();
  }
}
