package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.Validation;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.statestore.EmbeddedGitServer;
import dev.tarmac.testing.AuthGitServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.Daemon;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A v1beta3 template of our own for what Backstage's sample templates do not use: templated directory names and a file
 * name that renders empty (left out), {@code {%- elif %}}, comments, {@code {% for %}}, {@code replace},
 * {@code default}, {@code dump(2)}, {@code copyWithoutRender} with {@code **}, {@code targetPath},
 * {@code templateFileExtension}, executable bits, a 3 MiB binary file, {@code fetch:plain} from a Git URL served by
 * JGit's git daemon on 127.0.0.1, {@code publish:github} mapped to {@code publish:git}; and an action Tarmac cannot
 * run ({@code publish:github:pull-request}) reported at import, on the Template and by the scaffold. Expected output
 * written from Nunjucks' documented rules.
 */
class BackstageTemplateFeaturesTest {

  @TempDir
  Path tmp;

  static void write(Path p, String text) throws Exception {
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  static void executable(Path p) throws Exception {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** A bare repository with LICENSE and an executable tool.sh, served by a git daemon; returns its git:// URL. */
  Daemon daemon;

  String sharedRepository() throws Exception {
    Path work = tmp.resolve("shared-work");
    try (Git git = Git.init().setDirectory(work.toFile()).setInitialBranch("main").call()) {
      write(work.resolve("LICENSE"), "Apache-2.0 ${{ values.name }} is not rendered by fetch:plain\n");
      write(work.resolve("bin/tool.sh"), "#!/bin/sh\necho tool\n");
      executable(work.resolve("bin/tool.sh"));
      git.add().addFilepattern(".").call();
      git.commit().setMessage("shared").setAuthor("t", "t@example.com").setCommitter("t", "t@example.com").call();
    }
    Path bare = tmp.resolve("served/shared.git");
    Git.cloneRepository().setURI(work.toUri().toString()).setDirectory(bare.toFile()).setBare(true).call().close();
    daemon = new Daemon(new InetSocketAddress("127.0.0.1", 0));
    daemon.setRepositoryResolver((req, name) -> {
      try {
        return new FileRepositoryBuilder().setGitDir(tmp.resolve("served").resolve(name.replaceAll("^/", ""))
            .toFile()).setMustExist(true).build();
      } catch (java.io.IOException e) {
        throw new org.eclipse.jgit.errors.RepositoryNotFoundException(name, e);
      }
    });
    daemon.start();
    return "git://127.0.0.1:" + daemon.getAddress().getPort() + "/shared.git";
  }

  byte[] blob;

  Path template(String sharedUrl) throws Exception {
    Path dir = tmp.resolve("own-template");
    write(dir.resolve("template.yaml"), """
        apiVersion: scaffolder.backstage.io/v1beta3
        kind: Template
        metadata: {name: own-features, title: Own features}
        spec:
          owner: group:default/platform
          type: service
          parameters:
            - required: [name, repoUrl]
              properties:
                name: {type: string}
                enabled: {type: boolean, default: true}
                items: {type: array, items: {type: string}}
                repoUrl: {type: string}
          steps:
            - id: fetch
              action: fetch:template
              input:
                url: ./skeleton
                targetPath: ./app
                copyWithoutRender: ['static/**']
                values:
                  name: ${{ parameters.name }}
                  enabled: ${{ parameters.enabled }}
                  items: ${{ parameters.items }}
                  destination: ${{ parameters.repoUrl | parseRepoUrl }}
            - id: vendor
              action: fetch:plain
              input: {url: "SHARED", targetPath: vendor}
            - id: notes
              action: fetch:template
              input:
                url: ./notes
                templateFileExtension: true
                values: {name: "${{ parameters.name }}"}
            - id: publish
              action: publish:github
              input: {repoUrl: "${{ parameters.repoUrl }}", defaultBranch: trunk}
          output:
            links: [{title: Repository, url: "${{ steps.publish.output.remoteUrl }}"}]
        """.replace("SHARED", sharedUrl));
    Path skel = dir.resolve("skeleton");
    write(skel.resolve("${{ values.name }}/README.md"), """
        # ${{ values.name | upper }}{# a comment #}
        {%- if values.enabled %}
        enabled
        {%- elif values.name == "x" %}
        x
        {%- else %}
        disabled
        {%- endif %}
        {% for i in values.items %}- ${{ i | replace("-", "_") }}
        {% endfor %}repo: ${{ values.destination.owner }}/${{ values.destination.repo }} \
        ${{ values.missing | default("none") }} [${{ "" | default("none") }}]
        """);
    write(skel.resolve("{% if values.enabled %}optional.txt{% endif %}"), "only when enabled\n");
    write(skel.resolve("config.json"), "${{ values.items | dump }}\n${{ values.destination | dump(2) }}\n");
    write(skel.resolve("bin/run.sh"), "#!/bin/sh\nexec ${{ values.name }}\n");
    executable(skel.resolve("bin/run.sh"));
    write(skel.resolve("static/deep/raw-${{ values.name }}.txt"), "kept ${{ values.name }} {% as it is\n");
    blob = new byte[3 * 1024 * 1024];
    new Random(7).nextBytes(blob);
    blob[10] = 0;
    Files.write(skel.resolve("static/blob.bin"), blob);
    Files.write(skel.resolve("logo.bin"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, '$', '{', '{'});
    write(dir.resolve("notes/NOTES.md.njk"), "notes of ${{ values.name }}\n");
    write(dir.resolve("notes/plain-${{ values.name }}.md"), "not rendered: ${{ values.name }}\n");
    return dir;
  }

  int importTemplate(Path dir, Path out, StringBuilder stderr) {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      return new CommandLine(new ImportTemplateCommand()).execute(dir.resolve("template.yaml").toString(),
          "--skeleton-repo", tmp.resolve("skeletons.git").toString(), "-o", out.toString());
    } finally {
      System.setErr(err);
      stderr.append(captured.toString(StandardCharsets.UTF_8));
    }
  }

  @Test
  void everyFetchFeatureRendersAsBackstageDoesAndPublishGithubLandsOnTheEmbeddedServer() throws Exception {
    String shared = sharedRepository();
    try {
      Path out = tmp.resolve("own.yaml");
      StringBuilder stderr = new StringBuilder();
      assertThat(importTemplate(template(shared), out, stderr)).as(stderr.toString()).isZero();
      Template t = Serialization.YAML.readValue(Files.readString(out), Template.class);
      assertThat(Validation.template(t)).isEmpty();

      EmbeddedGitServer server = new EmbeddedGitServer(tmp.resolve("git-data"));
      ComponentReconciler reconciler = new ComponentReconciler(null, new RepositoryPublisher(server), null,
          () -> "http://127.0.0.1:8080/git");
      var c = BackstageTemplatesTest.component("svc", "own-features", """
          name: svc-one
          items: [a-b, c-d]
          repoUrl: github.com?owner=acme&repo=svc-one
          """);
      reconciler.scaffold(c, c.getStatus(), t, null);
      Map<String, RepositoryPublisher.File> files = BackstageTemplatesTest.tree(server.repository("svc-one"));
      assertThat(files.keySet()).containsExactlyInAnyOrder("app/svc-one/README.md", "app/optional.txt",
          "app/config.json", "app/bin/run.sh", "app/static/deep/raw-${{ values.name }}.txt", "app/static/blob.bin",
          "app/logo.bin", "vendor/LICENSE", "vendor/bin/tool.sh", "NOTES.md", "plain-svc-one.md");
      assertThat(files.get("app/svc-one/README.md").content())
          .isEqualTo("# SVC-ONE\nenabled\n- a_b\n- c_d\nrepo: acme/svc-one none []\n");
      assertThat(files.get("app/config.json").content()).isEqualTo("[\"a-b\",\"c-d\"]\n{\n  \"host\": \"github.com\","
          + "\n  \"owner\": \"acme\",\n  \"repo\": \"svc-one\"\n}\n");
      assertThat(files.get("app/bin/run.sh")).isEqualTo(new RepositoryPublisher.File("#!/bin/sh\nexec svc-one\n",
          true));
      assertThat(files.get("app/optional.txt").executable()).isFalse();
      assertThat(files.get("app/static/deep/raw-${{ values.name }}.txt").content())
          .isEqualTo("kept ${{ values.name }} {% as it is\n");
      assertThat(files.get("app/static/blob.bin").data()).isEqualTo(blob);
      assertThat(files.get("app/logo.bin").data()).isEqualTo(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, '$', '{',
          '{'});
      assertThat(files.get("vendor/LICENSE").content())
          .isEqualTo("Apache-2.0 ${{ values.name }} is not rendered by fetch:plain\n");
      assertThat(files.get("vendor/bin/tool.sh").executable()).isTrue();
      assertThat(files.get("NOTES.md").content()).isEqualTo("notes of svc-one\n");
      assertThat(files.get("plain-svc-one.md").content()).isEqualTo("not rendered: ${{ values.name }}\n");
      assertThat(c.getStatus().repositoryUrl).isEqualTo("http://127.0.0.1:8080/git/svc-one.git");
      assertThat(server.hasBranch("svc-one", "trunk")).isTrue();
      assertThat(c.getStatus().steps).extracting(s -> s.action)
          .containsExactly("fetch:template", "fetch:plain", "fetch:template", "publish:git");

      // enabled: false → the else branch, and the file whose name renders empty is left out.
      var off = BackstageTemplatesTest.component("svc2", "own-features", """
          name: svc-two
          enabled: false
          repoUrl: github.com?owner=acme&repo=svc-two
          """);
      reconciler.scaffold(off, off.getStatus(), t, null);
      var offFiles = BackstageTemplatesTest.tree(server.repository("svc-two"));
      assertThat(offFiles).doesNotContainKey("app/optional.txt");
      assertThat(offFiles.get("app/svc-two/README.md").content()).isEqualTo("# SVC-TWO\ndisabled\nrepo: acme/svc-two"
          + " none []\n");
    } finally {
      daemon.stop();
    }
  }

  @Test
  void anActionTarmacCannotRunIsReportedAtImportOnTheTemplateAndByTheScaffold() throws Exception {
    Path dir = tmp.resolve("pr-template");
    write(dir.resolve("template.yaml"), """
        apiVersion: scaffolder.backstage.io/v1beta3
        kind: Template
        metadata: {name: change-request}
        spec:
          owner: group:default/platform
          type: service
          steps:
            - id: fetch
              action: fetch:template
              input: {url: ./skeleton, values: {name: x}}
            - id: open-pr
              action: publish:github:pull-request
              input: {repoUrl: "github.com?owner=acme&repo=x", branchName: change, title: Change}
        """);
    write(dir.resolve("skeleton/a.txt"), "${{ values.name }}\n");
    StringBuilder stderr = new StringBuilder();
    Path out = tmp.resolve("pr.yaml");
    assertThat(importTemplate(dir, out, stderr)).isEqualTo(3);
    assertThat(stderr).contains("not mapped: step open-pr: action publish:github:pull-request does not exist");
    Template t = Serialization.YAML.readValue(Files.readString(out), Template.class);
    assertThat(Validation.template(t)).singleElement().asString()
        .contains("step open-pr uses action 'publish:github:pull-request', which Tarmac cannot run");
    ComponentReconciler reconciler = new ComponentReconciler(null, new RepositoryPublisher(new EmbeddedGitServer(
        tmp.resolve("git-data"))), null, () -> "http://127.0.0.1:8080/git");
    var c = BackstageTemplatesTest.component("x", "change-request", "{}");
    assertThatThrownBy(() -> reconciler.scaffold(c, c.getStatus(), t, null))
        .isInstanceOf(ComponentReconciler.ScaffoldException.class)
        .hasMessageContaining("step open-pr uses unknown action 'publish:github:pull-request'");
  }

  @Test
  void aStepUrlFromTheValuesCannotReadTheOperatorsDisk() throws Exception {
    EmbeddedGitServer server = new EmbeddedGitServer(tmp.resolve("git-data"));
    var publisher = new RepositoryPublisher(server);
    publisher.publish("other-team", "main", Map.of("secret.txt", RepositoryPublisher.File.text("theirs")), "x",
        "00000000-0000-0000-0000-000000000001");
    Template t = Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Template
        metadata: {name: sneaky}
        spec:
          owner: group:default/platform
          type: service
          parameters: [{properties: {from: {type: string}}}]
          steps:
            - {id: fetch, action: "fetch:plain", input: {url: "${{ parameters.from }}"}}
            - {id: publish, action: "publish:git", input: {repoUrl: "tarmac.local?repo=mine"}}
        """, Template.class);
    ComponentReconciler reconciler = new ComponentReconciler(null, publisher, null, () -> "http://127.0.0.1:8080/git");
    for (String from : List.of(server.repository("other-team").toUri().toString(),
        server.repository("other-team").toString())) {
      var c = BackstageTemplatesTest.component("mine", "sneaky", "from: '" + from + "'");
      assertThatThrownBy(() -> reconciler.scaffold(c, c.getStatus(), t, null))
          .isInstanceOf(ComponentReconciler.ScaffoldException.class)
          .hasMessageContaining("file: URLs and paths are refused");
      assertThat(server.exists("mine")).isFalse();
    }
  }

  @Test
  void theSkeletonCanBePushedToAGitServerOverHttpAndReplacesOnlyItsFolder() throws Exception {
    Files.createDirectories(tmp.resolve("remote"));
    Git.init().setBare(true).setDirectory(tmp.resolve("remote/skeletons.git").toFile()).setInitialBranch("main")
        .call().close();
    try (AuthGitServer git = new AuthGitServer(tmp.resolve("remote")).user("platform", "s3cret", true)) {
      var creds = new UsernamePasswordCredentialsProvider("platform", "s3cret");
      String url = git.url("skeletons.git");
      Map<String, RepositoryPublisher.File> a = new LinkedHashMap<>();
      a.put("skeleton/a.txt", RepositoryPublisher.File.text("a"));
      SkeletonRepository.write(url, "main", "templates/one", a, "one", creds);
      Map<String, RepositoryPublisher.File> b = new LinkedHashMap<>();
      b.put("skeleton/run.sh", new RepositoryPublisher.File("#!/bin/sh\n", true));
      SkeletonRepository.write(url, "main", "templates/two", b, "two", creds);
      SkeletonRepository.write(url, "main", "templates/one", Map.of("skeleton/b.txt",
          RepositoryPublisher.File.text("b")), "one again", creds);
      var files = BackstageTemplatesTest.tree(tmp.resolve("remote/skeletons.git"));
      assertThat(files.keySet()).containsExactlyInAnyOrder("templates/one/skeleton/b.txt",
          "templates/two/skeleton/run.sh");
      assertThat(files.get("templates/two/skeleton/run.sh").executable()).isTrue();
      assertThatThrownBy(() -> SkeletonRepository.write(url, "main", "templates/x", a, "no credentials", null))
          .hasMessageContaining(url);
      assertThat(List.of(git.refusedPushes())).containsExactly(0);
    }
  }
}
