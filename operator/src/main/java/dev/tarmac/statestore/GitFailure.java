package dev.tarmac.statestore;

/**
 * A failure to reach or update a state store's remote (or its local repository), with the CamelCase reason the
 * GitStateStore's {@code Ready} condition shows: {@code StateStoreUnreachable}, {@code AuthenticationFailed},
 * {@code HostKeyNotTrusted}, {@code CredentialsReadOnly}, {@code PushFailed} or {@code LocalRepositoryFailed}. The
 * message carries no credentials and says what to change.
 */
final class GitFailure extends Exception {
  /** The condition reason. */
  final String reason;

  GitFailure(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }
}
