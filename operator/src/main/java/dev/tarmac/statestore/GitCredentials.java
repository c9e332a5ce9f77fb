package dev.tarmac.statestore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.eclipse.jgit.api.TransportCommand;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;

/**
 * Credentials for a Git remote, from a GitStateStore's Secret: HTTPS basic auth or a token ({@code username},
 * {@code password}), or an SSH private key with {@code known_hosts} (through JGit's Apache MINA SSHD support).
 * Never logged: {@link #toString()} names the kind only, and {@link #redact} scrubs error messages.
 */
public final class GitCredentials {

  /** No credentials (anonymous HTTP, file://, the embedded store). */
  public static final GitCredentials NONE = new GitCredentials(null, null, null, null);

  private final String username;
  private final String password;
  private final String sshPrivateKey;
  private final String knownHosts;
  private volatile SshdSessionFactory ssh;

  private GitCredentials(String username, String password, String sshPrivateKey, String knownHosts) {
    this.username = username;
    this.password = password;
    this.sshPrivateKey = sshPrivateKey;
    this.knownHosts = knownHosts;
  }

  /** HTTPS basic auth; for a token, the username is usually ignored by the server (use {@code git}). */
  public static GitCredentials basic(String username, String password) {
    return new GitCredentials(username == null ? "git" : username, password, null, null);
  }

  /** An SSH key (OpenSSH PEM) and the known_hosts lines the server's key must match. */
  public static GitCredentials ssh(String privateKey, String knownHosts) {
    return new GitCredentials(null, null, privateKey, knownHosts);
  }

  /** Applies these credentials to a fetch or push; SSH keys are written to a private temporary folder once. */
  void configure(TransportCommand<?, ?> command) {
    if (password != null) {
      command.setCredentialsProvider(new UsernamePasswordCredentialsProvider(username, password));
    }
    if (sshPrivateKey != null) {
      SshdSessionFactory factory = sshFactory();
      command.setTransportConfigCallback(t -> {
        if (t instanceof SshTransport st) {
          st.setSshSessionFactory(factory);
        }
      });
    }
  }

  private SshdSessionFactory sshFactory() {
    if (ssh == null) {
      synchronized (this) {
        if (ssh == null) {
          try {
            Path dir = Files.createTempDirectory("tarmac-ssh",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path key = dir.resolve("id_key");
            Files.writeString(key, sshPrivateKey.endsWith("\n") ? sshPrivateKey : sshPrivateKey + "\n",
                StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(dir.resolve("known_hosts"), knownHosts == null ? "" : knownHosts);
            ssh = new SshdSessionFactoryBuilder()
                .setHomeDirectory(dir.toFile())
                .setSshDirectory(dir.toFile())
                .setDefaultIdentities(d -> java.util.List.of(key))
                .setDefaultKnownHostsFiles(d -> java.util.List.of(dir.resolve("known_hosts")))
                .build(null);
          } catch (IOException e) {
            throw new IllegalStateException("cannot prepare the SSH key for Git: " + e.getMessage(), e);
          }
        }
      }
    }
    return ssh;
  }

  /** {@code message} with user info in URLs and any secret value removed. */
  public static String redact(String message, String url) {
    if (message == null) {
      return null;
    }
    return message.replaceAll("(https?://)[^/@\\s]+@", "$1***@");
  }

  /**
   * A SHA-256 over every credential field (hex, 64 characters): two credentials with the same fingerprint are the
   * same secret. Used to decide whether a store's writer must be replaced; never shown (status shows the Secret's
   * resourceVersion instead), since a hash of a short password can be guessed offline.
   */
  String fingerprint() {
    try {
      var digest = java.security.MessageDigest.getInstance("SHA-256");
      for (String field : new String[] {username, password, sshPrivateKey, knownHosts}) {
        byte[] bytes = field == null ? new byte[] {0} : ("=" + field).getBytes(StandardCharsets.UTF_8);
        digest.update(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array());
        digest.update(bytes);
      }
      return java.util.HexFormat.of().formatHex(digest.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return password != null ? "basic" : sshPrivateKey != null ? "ssh" : "none";
  }
}
