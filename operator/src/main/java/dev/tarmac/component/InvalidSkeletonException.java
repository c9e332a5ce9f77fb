package dev.tarmac.component;

/**
 * A skeleton the operator refuses: a symbolic link or submodule, a file name outside the skeleton (absolute,
 * {@code ..}, NUL), a file too large. Reported as condition reason {@code InvalidSkeleton}; nothing is published.
 */
final class InvalidSkeletonException extends IllegalArgumentException {

  /** @param message names the file and says what to change */
  InvalidSkeletonException(String message) {
    super(message);
  }
}
