package dev.tarmac.render;

/**
 * A template broke one of the {@link RenderLimits}: too many range items, too long, too much output, nested too deep,
 * a value too large. Deterministic for the same template and values, so retrying does not help; the message names
 * what was rendered (a file, a step input) and the limit.
 */
public final class TemplateLimitException extends RuntimeException {

  /** @param message what broke which limit, and what to change */
  public TemplateLimitException(String message) {
    super(message, null, false, false);
  }
}
