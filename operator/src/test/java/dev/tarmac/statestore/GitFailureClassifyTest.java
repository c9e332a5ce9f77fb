package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import org.eclipse.jgit.api.errors.TransportException;
import org.junit.jupiter.api.Test;

/** How a fetch or push failure becomes the GitStateStore's Ready reason, from JGit's own messages. */
class GitFailureClassifyTest {

  private static String reason(String message) {
    return GitTransport.classify(new TransportException(message, new ConnectException("refused")),
        "git://127.0.0.1:40312/remote.git", false).reason;
  }

  @Test
  void aRefusedConnectionOnAPortWithFourOhThreeInItIsUnreachableNotAnAuthenticationFailure() {
    // Seen in CI: the git daemon of a test listened on a port starting with 403.
    assertThat(reason("git://127.0.0.1:40312/remote.git: Connection refused")).isEqualTo("StateStoreUnreachable");
    assertThat(reason("git://127.0.0.1:40187/remote.git: Connection refused")).isEqualTo("StateStoreUnreachable");
    assertThat(reason("https://git.example/r.git: cannot open 4031a2b")).isEqualTo("StateStoreUnreachable");
  }

  @Test
  void httpRefusalsAndJGitsOwnWordsAreAuthenticationFailures() {
    assertThat(reason("https://git.example/r.git: 403 Forbidden")).isEqualTo("AuthenticationFailed");
    assertThat(reason("https://git.example/r.git: status 401")).isEqualTo("AuthenticationFailed");
    assertThat(reason("https://git.example/r.git: not authorized")).isEqualTo("AuthenticationFailed");
    assertThat(reason("ssh://git@git.example/r.git: Auth fail")).isEqualTo("AuthenticationFailed");
    assertThat(reason("ssh://git.example/r.git: server key did not validate")).isEqualTo("HostKeyNotTrusted");
  }

  @Test
  void theMessageSaysWhatToFixForAStoreWithAndWithoutASecret() {
    var e = new TransportException("https://git.example/r.git: not authorized");
    assertThat(GitTransport.classify(e, "https://git.example/r.git", false).getMessage()).contains("spec.secretRef");
    assertThat(GitTransport.classify(e, "https://git.example/r.git", true).getMessage())
        .contains("refused the credentials");
  }
}
