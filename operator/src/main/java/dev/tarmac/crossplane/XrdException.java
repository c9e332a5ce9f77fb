package dev.tarmac.crossplane;

/**
 * An XRD that cannot be served as it is: a CamelCase reason for the XRD's {@code Established} condition and its
 * Event, and a message saying what to change.
 */
public final class XrdException extends RuntimeException {
  private final String reason;

  /**
   * @param reason the condition reason, e.g. {@code NoReferenceableVersion}
   * @param message what is wrong and what to change
   */
  public XrdException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The condition reason. */
  public String reason() {
    return reason;
  }
}
