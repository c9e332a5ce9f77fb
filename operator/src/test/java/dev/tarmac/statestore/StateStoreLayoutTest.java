package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.Destination;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Shard;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Work;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateStoreLayoutTest {

  private static Work work(String... pathsAndContents) {
    Work w = new Work();
    w.setMetadata(new ObjectMetaBuilder().withNamespace("team-a").withName("r1").build());
    w.setSpec(new Work.Spec());
    w.getSpec().owner = new Work.OwnerRef();
    w.getSpec().owner.kind = "Redis";
    w.getSpec().owner.namespace = "team-a";
    w.getSpec().owner.name = "r1";
    for (int i = 0; i < pathsAndContents.length; i += 2) {
      w.getSpec().files.add(new Work.WorkFile(pathsAndContents[i], pathsAndContents[i + 1]));
    }
    return w;
  }

  @Test
  void ownerFoldersFollowTheDesignLayout() {
    assertThat(StateStoreLayout.ownerDir(work())).isEqualTo("resources/team-a/Redis/r1");
    Work clusterScoped = work();
    clusterScoped.getSpec().owner.namespace = null;
    assertThat(StateStoreLayout.ownerDir(clusterScoped)).isEqualTo("resources/_cluster/Redis/r1");
    Work deps = work();
    deps.getSpec().workType = "promise";
    deps.getSpec().promiseName = "redis";
    assertThat(StateStoreLayout.ownerDir(deps)).isEqualTo("dependencies/redis");
    assertThat(StateStoreLayout.indexKey(work())).isEqualTo("team-a.r1");
  }

  @Test
  void pathsThatEscapeTheirFolderAreRefused() {
    for (String bad : List.of("../x.yaml", "/etc/passwd", "a/../../b.yaml", "a//b.yaml", "./a.yaml", "a\\b.yaml",
        "C:/x.yaml", "kustomization.yaml", ".tarmac/works/x")) {
      assertThatThrownBy(() -> StateStoreLayout.checkPath(bad)).as(bad)
          .isInstanceOf(WorkRejectedException.class).hasMessageContaining(bad);
    }
    assertThat(StateStoreLayout.checkPath("manifests/deployment.yaml")).isEqualTo("manifests/deployment.yaml");
  }

  @Test
  void sizeLimitsNameTheFileAndTheLimit() {
    var limits = new StateStoreLayout.Limits(100, 150);
    assertThatThrownBy(() -> StateStoreLayout.validate(work("big.yaml", "a: " + "x".repeat(200)), limits))
        .hasMessageContaining("big.yaml").hasMessageContaining("100 bytes per file");
    assertThatThrownBy(() -> StateStoreLayout.validate(work("a.yaml", "a: " + "x".repeat(90), "b.yaml",
        "b: " + "y".repeat(90)), limits))
        .hasMessageContaining("150 bytes per Work").hasMessageContaining("b.yaml");
  }

  @Test
  void invalidYamlAndPlainSecretsAreRefused() {
    assertThatThrownBy(() -> StateStoreLayout.validate(work("x.yaml", "a: [unclosed"), StateStoreLayout.Limits.DEFAULT))
        .hasMessageContaining("x.yaml is not valid YAML");
    assertThatThrownBy(() -> StateStoreLayout.validate(work("s.yaml", "apiVersion: v1\nkind: ConfigMap\n---\n"
        + "apiVersion: v1\nkind: Secret\ndata: {password: eA==}\n"), StateStoreLayout.Limits.DEFAULT))
        .hasMessageContaining("s.yaml (document 1) is a plain Secret");
    // The same Secret as JSON, or wrapped in a List, is refused too.
    assertThatThrownBy(() -> StateStoreLayout.validate(work("s.json", "{\"apiVersion\": \"v1\", \"kind\": \"Secret\","
        + " \"data\": {\"password\": \"eA==\"}}"), StateStoreLayout.Limits.DEFAULT))
        .hasMessageContaining("s.json (document 0) is a plain Secret");
    assertThatThrownBy(() -> StateStoreLayout.validate(work("list.yaml", "apiVersion: v1\nkind: List\nitems:\n"
        + "  - {apiVersion: v1, kind: ConfigMap}\n  - {apiVersion: v1, kind: Secret, stringData: {a: b}}\n"),
        StateStoreLayout.Limits.DEFAULT)).hasMessageContaining("list.yaml (document 0) is a plain Secret");
    StateStoreLayout.validate(work("sealed.yaml", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n",
        "sops.yaml", "apiVersion: v1\nkind: Secret\nsops: {mac: x}\n", "notes.txt", "{not yaml"),
        StateStoreLayout.Limits.DEFAULT);
  }

  @Test
  void kustomizationListsEveryYamlFileSorted() {
    assertThat(StateStoreLayout.kustomization(List.of("b/x.yaml", "a.yml", "kustomization.yaml",
        ".tarmac/works/k", "README.md")))
        .isEqualTo("# Written by Tarmac: every YAML file in this folder, so Flux and Argo CD can sync it as it is.\n"
            + "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - a.yml\n"
            + "  - b/x.yaml\n");
    assertThat(StateStoreLayout.kustomization(List.of("README.md"))).isNull();
  }

  private static Destination destination(String name, Map<String, String> labels, boolean strict) {
    Destination d = new Destination();
    d.setMetadata(new ObjectMetaBuilder().withName(name).withLabels(labels).build());
    d.setSpec(new Destination.Spec());
    d.getSpec().strictMatchLabels = strict;
    return d;
  }

  @Test
  void schedulerMatchesSelectorsAndHonoursStrictMatchLabels() {
    var dev = destination("dev", Map.of("environment", "dev"), false);
    var prod = destination("prod", Map.of("environment", "prod", "region", "eu"), false);
    var strict = destination("strict", Map.of("environment", "dev", "team", "a"), true);
    Work w = work();
    assertThat(WorkScheduler.select(w, List.of(prod, dev, strict))).extracting(d -> d.getMetadata().getName())
        .containsExactly("dev", "prod");
    Selector s = new Selector();
    s.matchLabels = Map.of("environment", "dev");
    w.getSpec().destinationSelectors = List.of(s);
    assertThat(WorkScheduler.select(w, List.of(prod, dev, strict))).extracting(d -> d.getMetadata().getName())
        .containsExactly("dev");
    Selector both = new Selector();
    both.matchLabels = Map.of("environment", "dev", "team", "a");
    w.getSpec().destinationSelectors = List.of(both);
    assertThat(WorkScheduler.select(w, List.of(prod, dev, strict))).extracting(d -> d.getMetadata().getName())
        .containsExactly("strict");
  }

  @Test
  void aShardPlacesWorksOnlyOnItsOwnDestinationsAndTheShardLabelIsNoStrictSchedulingLabel() {
    var a = destination("dev-a", Map.of("environment", "dev", Labels.SHARD, "a"), false);
    var b = destination("dev-b", Map.of("environment", "dev", Labels.SHARD, "b"), false);
    var plain = destination("dev", Map.of("environment", "dev"), false);
    var strictA = destination("strict-a", Map.of("environment", "dev", Labels.SHARD, "a"), true);
    Work w = work();
    Selector s = new Selector();
    s.matchLabels = Map.of("environment", "dev");
    w.getSpec().destinationSelectors = List.of(s);
    List<Destination> all = List.of(a, b, plain, strictA);
    assertThat(WorkScheduler.select(w, all, Shard.of("a", true))).extracting(d -> d.getMetadata().getName())
        .containsExactly("dev-a", "strict-a");
    assertThat(WorkScheduler.select(w, all, Shard.of("b", true))).extracting(d -> d.getMetadata().getName())
        .containsExactly("dev-b");
    assertThat(WorkScheduler.select(w, all, Shard.DEFAULT)).extracting(d -> d.getMetadata().getName())
        .containsExactly("dev");
    assertThat(WorkScheduler.select(w, all, Shard.ALL)).extracting(d -> d.getMetadata().getName())
        .containsExactly("dev", "dev-a", "dev-b", "strict-a");
  }
}
