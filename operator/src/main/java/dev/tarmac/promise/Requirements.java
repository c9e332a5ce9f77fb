package dev.tarmac.promise;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.Promise;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Whether a compound Promise's {@code spec.requiredPromises} are fulfilled, as Kratix decides it. Pure: the required
 * Promises come from a lookup by name.
 *
 * <p>A requirement is fulfilled when a Promise of that name exists (in {@code platform.tarmac.dev} or
 * {@code platform.kratix.io}: the lookup decides), its version is the required one (when one is given), and it is
 * Available in Kratix's sense ({@link KratixStatusFields#available}: serving its API with its promise workflows done).
 * A Promise's version is its {@code kratix.io/promise-version} label ({@code platform.tarmac.dev/promise-version} for
 * Tarmac's own group). Kratix resolves versions against its PromiseRevisions (any version ever installed counts);
 * Tarmac has no revisions, so only the version installed now counts.
 *
 * <p>States, condition type, reasons and messages are Kratix's ({@code internal/controller/promise_controller.go}):
 * condition {@code RequirementsFulfilled}, True with reason {@code RequirementsInstalled} and message
 * "Requirements fulfilled"; False with reason {@code RequirementsNotInstalled} or {@code RequirementsNotAvailable} and
 * message "Requirements not fulfilled", to which Tarmac adds what is missing.
 */
public final class Requirements {

  /** The condition type on the Promise. */
  public static final String CONDITION = "RequirementsFulfilled";
  /** Reason when every requirement is fulfilled. */
  public static final String INSTALLED = "RequirementsInstalled";
  /** Reason when a required Promise is missing or at another version. */
  public static final String NOT_INSTALLED = "RequirementsNotInstalled";
  /** Reason when a required Promise is installed but not Available. */
  public static final String NOT_AVAILABLE = "RequirementsNotAvailable";

  /** Kratix's state texts for {@code status.requiredPromises[].state}. */
  public static final String STATE_INSTALLED = "Requirement installed";
  /** The required Promise does not exist. */
  public static final String STATE_NOT_INSTALLED = "Requirement not installed";
  /** The required Promise exists at another version. */
  public static final String STATE_WRONG_VERSION = "Requirement not installed at the specified version";
  /** The required Promise exists at the version but is not Available. */
  public static final String STATE_NOT_AVAILABLE = "Requirement not available";

  /** Labels holding a Promise's version, Kratix's first. */
  public static final List<String> VERSION_LABELS = List.of("kratix.io/promise-version",
      "platform.tarmac.dev/promise-version");

  /**
   * The outcome.
   *
   * @param statuses one per requirement, in order, for {@code status.requiredPromises} (empty when there are none)
   * @param fulfilled every requirement is fulfilled (also when there are none)
   * @param reason the condition reason
   * @param message the condition message
   * @param waitingFor the unfulfilled requirements, each as {@code name} or {@code name@version} with its state
   */
  public record Result(List<Promise.RequiredPromiseStatus> statuses, boolean fulfilled, String reason,
      String message, List<String> waitingFor) {
  }

  private Requirements() {
  }

  /**
   * Evaluates {@code required} against the Promises {@code lookup} finds by name (null: no such Promise).
   *
   * @param required {@code spec.requiredPromises}, may be null
   * @param lookup the Promise of a name, or null
   */
  public static Result evaluate(List<Promise.RequiredPromise> required, Function<String, Promise> lookup) {
    List<Promise.RequiredPromiseStatus> statuses = new ArrayList<>();
    List<String> waiting = new ArrayList<>();
    String reason = INSTALLED;
    for (Promise.RequiredPromise r : required == null ? List.<Promise.RequiredPromise>of() : required) {
      Promise p = r.name == null ? null : lookup.apply(r.name);
      String version = r.version == null || r.version.isEmpty() ? null : r.version;
      String state;
      if (p == null) {
        state = STATE_NOT_INSTALLED;
        reason = NOT_INSTALLED;
      } else if (version != null && !version.equals(version(p))) {
        state = STATE_WRONG_VERSION;
        reason = NOT_INSTALLED;
      } else if (!KratixStatusFields.available(p)) {
        state = STATE_NOT_AVAILABLE;
        if (!NOT_INSTALLED.equals(reason)) {
          reason = NOT_AVAILABLE;
        }
      } else {
        state = STATE_INSTALLED;
      }
      Promise.RequiredPromiseStatus s = new Promise.RequiredPromiseStatus();
      s.name = r.name;
      s.version = version;
      s.state = state;
      statuses.add(s);
      if (!STATE_INSTALLED.equals(state)) {
        waiting.add(r.name + (version == null ? "" : "@" + version) + " (" + state.toLowerCase(java.util.Locale.ROOT)
            + (STATE_WRONG_VERSION.equals(state) ? ", installed: " + describe(version(p)) : "") + ")");
      }
    }
    boolean fulfilled = waiting.isEmpty();
    String message = fulfilled ? "Requirements fulfilled" : "Requirements not fulfilled: waiting for Promise "
        + String.join(", ", waiting);
    return new Result(statuses, fulfilled, reason, message, waiting);
  }

  private static String describe(String version) {
    return version == null ? "no version label" : version;
  }

  /** The version of {@code promise}: its {@link #VERSION_LABELS} label, or null. */
  public static String version(Promise promise) {
    Map<String, String> labels = promise.getMetadata() == null ? null : promise.getMetadata().getLabels();
    if (labels == null) {
      return null;
    }
    for (String l : VERSION_LABELS) {
      if (labels.get(l) != null && !labels.get(l).isEmpty()) {
        return labels.get(l);
      }
    }
    return null;
  }

  /**
   * Kratix's {@code status.requiredBy} of Promise {@code name}: every Promise among {@code all} whose
   * {@code spec.requiredPromises} names it, by name, with its version and the version it requires. Empty list when
   * none (null is returned so that the field stays absent).
   */
  public static List<Promise.RequiredBy> requiredBy(String name, Collection<? extends Promise> all) {
    List<Promise.RequiredBy> out = new ArrayList<>();
    for (Promise p : all) {
      if (p.getSpec() == null || p.getSpec().requiredPromises == null) {
        continue;
      }
      for (Promise.RequiredPromise r : p.getSpec().requiredPromises) {
        if (name.equals(r.name)) {
          Promise.RequiredBy by = new Promise.RequiredBy();
          by.promise = new Promise.PromiseSummary();
          by.promise.name = p.getMetadata().getName();
          by.promise.version = version(p);
          by.requiredVersion = r.version == null || r.version.isEmpty() ? null : r.version;
          out.add(by);
        }
      }
    }
    out.sort(Comparator.comparing(b -> b.promise.name));
    return out.isEmpty() ? null : out;
  }

  /**
   * Sets the {@code RequirementsFulfilled} condition from {@code result} on a Promise with requirements, removes it
   * from one without.
   *
   * @return true when the condition's status, reason or message changed (the caller emits Kratix's Events then)
   */
  static boolean setCondition(Promise.Status status, boolean hasRequirements, Result result, Long generation) {
    if (!hasRequirements) {
      return status.conditions.removeIf(c -> CONDITION.equals(c.getType()));
    }
    return Conditions.set(status, CONDITION, result.fulfilled(), result.reason(), result.message(), generation);
  }
}
