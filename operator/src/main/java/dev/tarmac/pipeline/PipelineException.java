package dev.tarmac.pipeline;

/** A Pipeline, a step or its output that cannot be used as it is; the message says what to change. */
public final class PipelineException extends RuntimeException {
  /** @param message what is wrong and what to change */
  public PipelineException(String message) {
    super(message);
  }

  /** @param message what is wrong and what to change; @param cause the underlying error */
  public PipelineException(String message, Throwable cause) {
    super(message, cause);
  }
}
