package dev.tarmac.composition;

/**
 * A Composition that cannot be applied to a composite as it is: the message names the resource and the patch index
 * and says what to change. The reason is the condition reason (PatchFailed, CompositionInvalid, ...).
 */
public final class CompositionException extends RuntimeException {
  private final String reason;

  /**
   * @param reason CamelCase condition reason
   * @param message what is wrong and what to change
   */
  public CompositionException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The condition reason. */
  public String reason() {
    return reason;
  }
}
