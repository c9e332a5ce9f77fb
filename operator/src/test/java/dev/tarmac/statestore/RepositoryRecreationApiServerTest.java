package dev.tarmac.statestore;

import static dev.tarmac.statestore.GitCli.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's data directory wiped between two runs (a new, empty volume): the second operator finds the embedded
 * store's repository and a scaffolded Component's repository missing, re-creates both from cluster state and says
 * so, and leaves everything else as it was.
 */
@Tag("apiserver")
class RepositoryRecreationApiServerTest {

  @TempDir
  Path tmp;

  private static Work work(String ns, String name, Map<String, String> selector, String content) {
    Work w = new Work();
    w.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    w.setSpec(new Work.Spec());
    w.getSpec().owner = new Work.OwnerRef();
    w.getSpec().owner.kind = "Redis";
    w.getSpec().owner.namespace = ns;
    w.getSpec().owner.name = name;
    Selector s = new Selector();
    s.matchLabels = selector;
    w.getSpec().destinationSelectors = List.of(s);
    w.getSpec().files.add(new Work.WorkFile("redis.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "
        + name + "}\ndata: {v: \"" + content + "\"}\n"));
    return w;
  }

  private static TarmacOperator operator(KubernetesClient client, Path data) {
    return new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test", data,
        false, 4, false, "tarmac:test", true)).start();
  }

  /** {@code mode type blob path} of every file on branch main: equal output, equal files and contents. */
  private static String tree(Path bare) {
    return git(bare, "ls-tree", "-r", "main");
  }

  private static int commits(Path bare) {
    return Integer.parseInt(git(bare, "rev-list", "--count", "main").trim());
  }

  private static List<Event> events(KubernetesClient client, String name, String reason) {
    return client.v1().events().inAnyNamespace().list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
  }

  private static List<Event> events(KubernetesClient client, String namespace, String name, String reason) {
    return events(client, name, reason).stream().filter(e -> namespace.equals(e.getInvolvedObject().getNamespace()))
        .toList();
  }

  /** The object's resourceVersion and status, so a failed comparison shows what was written. */
  private static String status(io.fabric8.kubernetes.api.model.HasMetadata o) {
    return o.getMetadata().getResourceVersion() + " " + Serialization.JSON.valueToTree(o).path("status");
  }

  @Test
  void aWipedDataDirectoryIsRecreatedFromClusterStateAndReported() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String ns = TestCluster.get().newNamespace("wipe");
    TestStores.create(client, ns, null, Map.of("suite", ns), "clusters/dev");
    String template = "wipe-" + ns;
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
              port: {type: integer, default: 8080}
          steps:
          - id: fetch
            action: fetch:template
            input:
              values: {name: "${{ parameters.name }}", port: "${{ parameters.port }}"}
          - id: publish
            action: publish:git
            input:
              repoUrl: tarmac.local?repo=${{ parameters.name }}
          - id: register
            action: catalog:register
          skeleton:
            files:
              README.md: "# ${{ values.name }}\\n"
              k8s/service.yaml: "port: ${{ values.port }}\\n"
        """.formatted(template), dev.tarmac.api.Template.class)).create();
    String repo = "svc-" + ns;
    Component scaffolded = Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: svc, namespace: %s}
        spec:
          type: service
          lifecycle: experimental
          owner: team-a
          template: {name: %s, values: {name: %s, port: 9090}}
        """.formatted(ns, template, repo), Component.class);
    Component bystander = Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: catalog-only, namespace: %s}
        spec: {type: library, lifecycle: production, owner: team-a}
        """.formatted(ns), Component.class);
    Path data = tmp.resolve("data");
    Path storeRepo = data.resolve("git/" + ns + ".git");
    Path componentRepo = data.resolve("git/" + repo + ".git");
    List<String> works = List.of("r1", "r2", "r3", "r4");

    String storeTree;
    String componentTree;
    String bystanderVersion;
    try (TarmacOperator first = operator(client, data)) {
      for (int i = 0; i < works.size(); i++) {
        client.resource(work(ns, works.get(i), Map.of("suite", ns), "v" + i)).create();
      }
      client.resource(scaffolded).create();
      client.resource(bystander).create();
      for (String name : works) {
        await().atMost(Duration.ofSeconds(30)).until(
            () -> client.resources(Work.class).inNamespace(ns).withName(name).get(),
            w -> w.getStatus() != null && Conditions.isTrue(w.getStatus(), Conditions.PUBLISHED));
      }
      await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Component.class).inNamespace(ns).withName("svc").get(),
          c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), "Scaffolded"));
      await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Component.class).inNamespace(ns).withName("catalog-only").get(),
          c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), Conditions.READY));
      storeTree = tree(storeRepo);
      componentTree = tree(componentRepo);
      for (String name : works) {
        assertThat(storeTree).contains("clusters/dev/resources/" + ns + "/Redis/" + name + "/redis.yaml");
      }
      assertThat(componentTree).contains("README.md").contains("k8s/service.yaml");
      bystanderVersion = status(client.resources(Component.class).inNamespace(ns).withName("catalog-only").get());
    }
    assertThat(events(client, ns, "RepositoryRecreated")).as("a first start re-creates nothing").isEmpty();

    // A new, empty volume.
    try (Stream<Path> files = Files.walk(data)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertThat(data).doesNotExist();

    try (TarmacOperator second = operator(client, data)) {
      // The store says its repository was re-created, with a Warning Event.
      GitStateStore store = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(GitStateStore.class).withName(ns).get(),
          s -> s.getStatus() != null
              && "RepositoryRecreated".equals(Conditions.reason(s.getStatus(), Conditions.READY)));
      assertThat(Conditions.find(store.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
          .contains("/git/" + ns + ".git was missing").contains(works.size() + " Work(s)").contains("one commit");
      await().atMost(Duration.ofSeconds(10)).until(() -> !events(client, ns, "RepositoryRecreated").isEmpty());
      // Every Work's files, byte for byte (same blobs, same kustomization), in one commit.
      assertThat(tree(storeRepo)).isEqualTo(storeTree);
      assertThat(commits(storeRepo)).isEqualTo(1);
      assertThat(git(storeRepo, "log", "-1", "--format=%s", "main").trim())
          .isEqualTo("tarmac: re-publish " + works.size() + " Work(s) into the re-created repository");

      // The Component's repository is back with the same files, marked re-created, with a Warning Event.
      Component recreated = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Component.class).inNamespace(ns).withName("svc").get(),
          c -> c.getStatus() != null && c.getStatus().recreatedAt != null);
      assertThat(Conditions.reason(recreated.getStatus(), "Scaffolded")).isEqualTo("Recreated");
      assertThat(Conditions.isTrue(recreated.getStatus(), Conditions.READY)).isTrue();
      assertThat(tree(componentRepo)).isEqualTo(componentTree);
      assertThat(commits(componentRepo)).isEqualTo(1);
      assertThat(recreated.getStatus().commit).isEqualTo(git(componentRepo, "rev-parse", "main").trim());
      // This namespace's svc: another class's Component may be named svc too (the API server is shared).
      await().atMost(Duration.ofSeconds(10)).until(() -> !events(client, ns, "svc", "RepositoryRecreated").isEmpty());
      assertThat(events(client, ns, "svc", "RepositoryRecreated").get(0).getMessage()).contains(template)
          .contains(repo);

      // The Works settle on the new commit with no further commit, and an unrelated object kept its resourceVersion
      // and status. (The store's Destination is not unrelated: it follows the store's Ready, which passes through
      // Connecting while a restarted operator makes the store's writer; that is the restart's, not the re-creation's.)
      String tip = git(storeRepo, "rev-parse", "main").trim();
      for (String name : works) {
        await().atMost(Duration.ofSeconds(30)).until(
            () -> client.resources(Work.class).inNamespace(ns).withName(name).get(),
            w -> Conditions.isTrue(w.getStatus(), Conditions.PUBLISHED)
                && tip.equals(w.getStatus().placements.get(0).commit));
      }
      assertThat(commits(storeRepo)).isEqualTo(1);
      assertThat(status(client.resources(Component.class).inNamespace(ns).withName("catalog-only").get()))
          .isEqualTo(bystanderVersion);
    }
  }
}
