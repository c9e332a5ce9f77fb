package dev.tarmac.statestore;

/** A Work that may not be written as it is; the message names the file and the rule and says what to change. */
public final class WorkRejectedException extends RuntimeException {
  /** @param message what is wrong and what to change */
  public WorkRejectedException(String message) {
    super(message);
  }
}
