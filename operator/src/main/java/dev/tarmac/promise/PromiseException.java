package dev.tarmac.promise;

/** A Promise or request that cannot be served as it is: a CamelCase reason for the condition and a message. */
public final class PromiseException extends RuntimeException {
  private final String reason;

  /**
   * @param reason the condition reason, e.g. InvalidAPI
   * @param message what is wrong and what to change
   */
  public PromiseException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The condition reason. */
  public String reason() {
    return reason;
  }
}
