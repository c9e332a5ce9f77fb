package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Database;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Components scaffolded from the shipped golden paths into the embedded Git server, cloned with the git CLI. */
@Tag("apiserver")
class ComponentApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator operator;

  @BeforeAll
  static void start() throws Exception {
    client = TestCluster.get().client();
    for (String t : List.of("java-service", "go-service", "python-service")) {
      client.load(Files.newInputStream(RepoPaths.repo().resolve("examples/templates/" + t + ".yaml")))
          .serverSideApply();
    }
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test", true)).start();
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  static String git(Path dir, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("git %s: %s", args, out).isTrue();
    return out;
  }

  private Component component(String ns, String name, String template, String values) throws Exception {
    return client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: %s, namespace: %s}
        spec:
          type: service
          lifecycle: experimental
          owner: team-a
          template:
            name: %s
            values:
        %s
        """.formatted(name, ns, template, values.indent(6)), Component.class)).create();
  }

  @Test
  void everyGoldenPathScaffoldsARepositoryOnce() throws Exception {
    String ns = TestCluster.get().newNamespace("gp");
    for (String t : List.of("java-service", "go-service", "python-service")) {
      String name = t.replace("-service", "") + "-" + ns;
      component(ns, name, t, "name: " + name + "\nowner: team-a\nsystem: shop");
      Component done = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Component.class).inNamespace(ns).withName(name).get(),
          c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), "Scaffolded"));
      assertThat(done.getStatus().steps).extracting(s -> s.phase).doesNotContain("Failed");
      assertThat(done.getStatus().links.get(0).url).isEqualTo(done.getStatus().repositoryUrl);
      Path clone = tmp.resolve(name);
      git(tmp, "clone", "-q", done.getStatus().repositoryUrl, clone.toString());
      for (String f : List.of("README.md", "Dockerfile", ".github/workflows/ci.yaml", "k8s/deployment.yaml",
          "catalog-info.yaml", "mkdocs.yml", "docs/index.md")) {
        assertThat(clone.resolve(f)).as(t + " has " + f).exists();
      }
      JsonNode info = Serialization.YAML.readTree(clone.resolve("catalog-info.yaml").toFile());
      assertThat(info.path("metadata").path("name").asText()).isEqualTo(name);
      assertThat(info.path("spec").path("owner").asText()).isEqualTo("team-a");
      assertThat(info.path("metadata").path("annotations").path("backstage.io/techdocs-ref").asText())
          .isEqualTo("dir:.");
      assertThat(Files.readString(clone.resolve("k8s/deployment.yaml"))).contains("limits").contains("readinessProbe");
      assertThat(git(clone, "rev-list", "--count", "HEAD").trim()).isEqualTo("1");
    }
  }

  @Test
  void thePaymentsServiceExampleScaffoldsAndProvisionsItsDatabase() throws Exception {
    client.load(Files.newInputStream(RepoPaths.repo().resolve("examples/components/payments-service.yaml")))
        .serverSideApply();
    Component done = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Component.class).inNamespace("payments").withName("payments-service").get(),
        c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), Conditions.READY));
    Database db = client.resources(Database.class).inNamespace("payments").withName("payments-db").get();
    assertThat(db.getSpec().storageGB).isEqualTo(100);
    assertThat(db.getSpec().backupRetentionDays).isEqualTo(30);
    assertThat(db.getSpec().writeConnectionSecretToRef.name).isEqualTo("payments-db-credentials");
    // A second reconcile (a spec change) does not scaffold again.
    String commit = done.getStatus().commit;
    // A merge patch, not an edit: the operator may write the Component's status at the same moment (an edit would
    // then fail with 409 on the resourceVersion it read).
    client.resources(Component.class).inNamespace("payments").withName("payments-service").patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        "{\"spec\":{\"lifecycle\":\"experimental\"}}");
    Thread.sleep(1500);
    assertThat(client.resources(Component.class).inNamespace("payments").withName("payments-service").get()
        .getStatus().commit).isEqualTo(commit);
  }

  /** A Template with one skeleton file whose content is {@code readme} (before rendering). */
  private static void template(String name, String readme) throws Exception {
    client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Template
        metadata: {name: %s}
        spec:
          owner: group:default/platform-team
          type: service
          parameters:
          - required: [name]
            properties:
              name: {type: string}
          steps:
          - id: fetch
            action: fetch:template
            input:
              values: {name: "${{ parameters.name }}"}
          - id: publish
            action: publish:git
            input:
              repoUrl: tarmac.local?repo=${{ parameters.name }}
          - id: register
            action: catalog:register
          skeleton:
            files:
              README.md: %s
        """.formatted(name, Serialization.JSON.writeValueAsString(readme)), dev.tarmac.api.Template.class))
        .forceConflicts().serverSideApply();
  }

  /** A fresh clone of {@code url}, so what is checked is what the embedded Git server serves now. */
  private static Path cloneOf(String url) throws Exception {
    Path clone = Files.createTempDirectory(tmp, "clone");
    git(tmp, "clone", "-q", url, clone.toString());
    return clone;
  }

  /** Changes the spec (a new generation) and waits until the operator has reconciled it. */
  private static Component reconciled(String ns, String name, String lifecycle) {
    Component edited = client.resources(Component.class).inNamespace(ns).withName(name).edit(c -> {
      c.getSpec().lifecycle = lifecycle;
      c.getMetadata().getLabels().put("touched", lifecycle);
      return c;
    });
    long generation = edited.getMetadata().getGeneration();
    return await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Component.class).inNamespace(ns).withName(name).get(),
        c -> c.getStatus() != null && c.getStatus().observedGeneration != null
            && c.getStatus().observedGeneration >= generation);
  }

  private static Component rescaffolded(String ns, String name, String token) {
    client.resources(Component.class).inNamespace(ns).withName(name).edit(c -> {
      c.getMetadata().getAnnotations().put(ComponentReconciler.RESCAFFOLD, token);
      return c;
    });
    return await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Component.class).inNamespace(ns).withName(name).get(),
        c -> c.getStatus() != null && token.equals(c.getStatus().scaffoldToken)
            && Conditions.isTrue(c.getStatus(), "Scaffolded"));
  }

  @Test
  void theRescaffoldAnnotationScaffoldsAgainOncePerValue() throws Exception {
    String ns = TestCluster.get().newNamespace("rs");
    String name = "svc-" + ns;
    template(name, "# ${{ values.name }} v1\n");
    client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: %1$s, namespace: %2$s, labels: {app: %1$s}, annotations: {note: x}}
        spec:
          type: service
          lifecycle: experimental
          owner: team-a
          template: {name: %1$s, values: {name: %1$s}}
        """.formatted(name, ns), Component.class)).create();
    Component first = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Component.class).inNamespace(ns).withName(name).get(),
        c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), "Scaffolded"));
    String url = first.getStatus().repositoryUrl;
    Path clone = cloneOf(url);
    assertThat(git(clone, "rev-list", "--count", "HEAD").trim()).isEqualTo("1");
    assertThat(Files.readString(clone.resolve("README.md"))).isEqualTo("# " + name + " v1\n");

    // The Template changes; a reconcile for another reason (spec and label changed) does not rewrite the repository.
    template(name, "# ${{ values.name }} v2\n");
    Component plain = reconciled(ns, name, "production");
    assertThat(plain.getStatus().commit).isEqualTo(first.getStatus().commit);
    assertThat(git(cloneOf(url), "rev-list", "--count", "HEAD").trim()).isEqualTo("1");

    // A new rescaffold value runs the steps again: one new commit with the re-rendered file.
    Component again = rescaffolded(ns, name, "1");
    assertThat(again.getStatus().steps).extracting(s -> s.id + "=" + s.phase)
        .containsExactly("fetch=Succeeded", "publish=Succeeded", "register=Succeeded");
    assertThat(again.getStatus().commit).isNotEqualTo(first.getStatus().commit);
    clone = cloneOf(url);
    assertThat(git(clone, "rev-list", "--count", "HEAD").trim()).isEqualTo("2");
    assertThat(git(clone, "rev-parse", "HEAD").trim()).isEqualTo(again.getStatus().commit);
    assertThat(git(clone, "rev-parse", "HEAD~1").trim()).isEqualTo(first.getStatus().commit);
    assertThat(Files.readString(clone.resolve("README.md"))).isEqualTo("# " + name + " v2\n");
    assertThat(git(clone, "log", "-1", "--format=%s").trim())
        .isEqualTo("Rescaffolded from Template " + name + " (platform.tarmac.dev/rescaffold: 1)");

    // Once recorded, the same value does not run again.
    Component later = reconciled(ns, name, "experimental");
    assertThat(later.getStatus().commit).isEqualTo(again.getStatus().commit);
    assertThat(git(cloneOf(url), "rev-list", "--count", "HEAD").trim()).isEqualTo("2");

    // Another value with nothing changed in the Template renders the same files: no new commit.
    Component same = rescaffolded(ns, name, "2");
    assertThat(same.getStatus().commit).isEqualTo(again.getStatus().commit);
    assertThat(git(cloneOf(url), "rev-list", "--count", "HEAD").trim()).isEqualTo("2");
  }

  @Test
  void valuesThatBreakTheSchemaAreNamedByJsonPointer() throws Exception {
    String ns = TestCluster.get().newNamespace("bad");
    component(ns, "bad", "java-service", "name: Not_Valid\nstorageGB: -1");
    Component bad = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Component.class).inNamespace(ns).withName("bad").get(),
        c -> c.getStatus() != null && "InvalidParameters".equals(Conditions.reason(c.getStatus(),
            Conditions.READY)));
    String message = Conditions.find(bad.getStatus().conditions, Conditions.READY).orElseThrow().getMessage();
    assertThat(message).contains("/name").contains("/owner").contains("/storageGB");
  }
}
