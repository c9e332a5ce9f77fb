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
        tmp.resolve("data"), false, 4, false, "tarmac:test")).start();
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
    client.resources(Component.class).inNamespace("payments").withName("payments-service").edit(c -> {
      c.getSpec().lifecycle = "experimental";
      return c;
    });
    Thread.sleep(1500);
    assertThat(client.resources(Component.class).inNamespace("payments").withName("payments-service").get()
        .getStatus().commit).isEqualTo(commit);
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
