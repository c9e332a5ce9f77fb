package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.UploadPack;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GitStateStore over SSH: a real SSH server on 127.0.0.1 (Apache MINA SSHD, serving Git's upload-pack and
 * receive-pack through JGit) that accepts one client key; the writer authenticates with that key and checks the
 * server's host key against {@code known_hosts}, as a store's Secret ({@code sshPrivateKey}, {@code knownHosts}) sets
 * them. A wrong host key is refused and the error says so without the key.
 */
class GitSshTest {

  @TempDir
  Path tmp;
  private SshServer server;
  private KeyPair client;
  private Path bare;

  @BeforeEach
  void startServer() throws Exception {
    bare = GitCli.bareRepo(tmp, "state");
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(3072);
    client = generator.generateKeyPair();
    server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(0);
    server.setKeyPairProvider(new SimpleGeneratorHostKeyProvider(tmp.resolve("host-key")));
    server.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(key, client.getPublic()));
    server.setCommandFactory((channel, command) -> new GitCommand(command, tmp));
    server.start();
  }

  @AfterEach
  void stopServer() throws IOException {
    server.stop(true);
  }

  private String url() {
    return "ssh://git@127.0.0.1:" + server.getPort() + "/" + bare.getFileName();
  }

  private String knownHosts(PublicKey hostKey) {
    return "[127.0.0.1]:" + server.getPort() + " " + PublicKeyEntry.toString(hostKey) + "\n";
  }

  private String privateKeyPem() {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(
            client.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  private GitWriter writer(GitCredentials credentials) {
    return new GitWriter(new GitWriter.Config("ssh-store", url(), "main", credentials,
        new PersonIdent("Tarmac", "tarmac@tarmac.dev")), tmp.resolve("cache"), s -> { });
  }

  private static GitWriter.Put put() {
    return new GitWriter.Put("clusters/dev", "resources/default/Redis/r1", "default.r1",
        Map.of("redis.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r1}\n"));
  }

  @Test
  void writesOverSshWithAKeyAndAKnownHost() throws Exception {
    PublicKey hostKey = server.getKeyPairProvider().loadKeys(null).iterator().next().getPublic();
    try (GitWriter w = writer(GitCredentials.ssh(privateKeyPem(), knownHosts(hostKey)))) {
      GitWriter.CommitResult result = w.submit(put()).get(60, TimeUnit.SECONDS);
      assertThat(result.changed()).isTrue();
      String files = GitCli.git(tmp, "--git-dir", bare.toString(), "ls-tree", "-r", "--name-only", "main");
      assertThat(files).contains("clusters/dev/resources/default/Redis/r1/redis.yaml")
          .contains("clusters/dev/kustomization.yaml");
      assertThat(GitCli.git(tmp, "--git-dir", bare.toString(), "rev-parse", "main").trim())
          .isEqualTo(result.commit());
    }
  }

  @Test
  void aHostKeyThatIsNotKnownIsRefusedAndNothingIsWritten() throws Exception {
    KeyPair stranger = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    try (GitWriter w = writer(GitCredentials.ssh(privateKeyPem(), knownHosts(stranger.getPublic())))) {
      w.submit(put());
      GitWriter.State failed = await().atMost(Duration.ofSeconds(30)).until(w::state, s -> s.lastError() != null);
      assertThat(failed.ready()).isFalse();
      assertThat(failed.reason()).isEqualTo("HostKeyNotTrusted");
      assertThat(failed.lastError()).contains("knownHosts");
      assertThat(failed.lastError()).doesNotContain("PRIVATE KEY");
      assertThat(GitCli.git(tmp, "--git-dir", bare.toString(), "rev-list", "--all", "--count").trim())
          .isEqualTo("0");
    }
  }

  /** {@code git-upload-pack '/x.git'} or {@code git-receive-pack '/x.git'}, served by JGit from {@code root}. */
  private static final class GitCommand implements Command {
    private final String command;
    private final Path root;
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exit;

    GitCommand(String command, Path root) {
      this.command = command;
      this.root = root;
    }

    @Override
    public void setInputStream(InputStream in) {
      this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
      this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback exit) {
      this.exit = exit;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
      String[] parts = command.split(" ", 2);
      String path = parts.length < 2 ? "" : parts[1].replace("'", "").replaceFirst("^/", "");
      Path dir = root.resolve(path).normalize();
      Thread t = new Thread(() -> {
        int code = 0;
        try (Repository repo = new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build()) {
          if (parts[0].equals("git-upload-pack")) {
            new UploadPack(repo).upload(in, out, err);
          } else if (parts[0].equals("git-receive-pack")) {
            new ReceivePack(repo).receive(in, out, err);
          } else {
            err.write(("unknown command " + parts[0] + "\n").getBytes(StandardCharsets.UTF_8));
            code = 1;
          }
        } catch (IOException e) {
          code = 1;
        } finally {
          try {
            out.flush();
            err.flush();
          } catch (IOException ignored) {
            // the channel is gone
          }
          exit.onExit(code);
        }
      }, "git-ssh-" + parts[0]);
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void destroy(ChannelSession channel) {
      // the pack thread ends with its streams
    }
  }
}
