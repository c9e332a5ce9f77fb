package dev.tarmac.policy;

import java.util.List;

/**
 * A run's output breaks its Promise's or Composition's {@code outputPolicy}; nothing of it may be written. The message
 * names each file, object and rule (the first {@link OutputPolicyChecker#MAX_REPORTED}); it becomes the
 * {@code OutputNotAllowed} condition and Event on the request.
 */
public final class OutputNotAllowedException extends RuntimeException {

  /** The condition reason the runner and reconcilers use. */
  public static final String REASON = "OutputNotAllowed";

  private final transient List<OutputPolicyChecker.Violation> violations;

  /**
   * @param message what is refused and what to change
   * @param violations the violations (empty when the policy itself cannot be used)
   */
  public OutputNotAllowedException(String message, List<OutputPolicyChecker.Violation> violations) {
    super(message);
    this.violations = List.copyOf(violations);
  }

  /** The violations found. */
  public List<OutputPolicyChecker.Violation> violations() {
    return violations;
  }
}
