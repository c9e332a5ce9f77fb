package dev.tarmac.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Work;
import dev.tarmac.statestore.StateStoreLayout;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault suite's judge of a state store's tree: what it calls lost, stale and extra. */
class StoreCheckTest {

  @TempDir
  Path tmp;

  static Work work(String name, String content) {
    Work w = new Work();
    w.setMetadata(new ObjectMetaBuilder().withNamespace("chaos").withName(name + "-cache-render").build());
    w.setSpec(new Work.Spec());
    w.getSpec().workType = "resource";
    w.getSpec().owner = new Work.OwnerRef();
    w.getSpec().owner.kind = "Cache";
    w.getSpec().owner.namespace = "chaos";
    w.getSpec().owner.name = name;
    w.getSpec().files.add(new Work.WorkFile("cache.yaml", content));
    return w;
  }

  /** The tree the operator writes for {@code works} under {@code dev/}: files, index entries, kustomization. */
  static Map<String, String> written(List<Work> works) {
    Map<String, String> tree = new TreeMap<>();
    for (Work w : works) {
      tree.put("dev/" + StateStoreLayout.ownerDir(w) + "/cache.yaml", w.getSpec().files.get(0).content);
      tree.put("dev/" + StateStoreLayout.INDEX_DIR + "/" + StateStoreLayout.indexKey(w), "cache.yaml\n");
    }
    tree.put("dev/kustomization.yaml", StateStoreLayout.kustomization(tree.keySet().stream()
        .map(p -> p.substring(4)).toList()));
    return tree;
  }

  @Test
  void aTreeWithExactlyTheWorksFilesIsClean() {
    List<Work> works = List.of(work("c1", "round: \"2\"\n"), work("c2", "round: \"2\"\n"));
    StoreCheck.Result r = StoreCheck.compare(written(works), "dev", works);
    assertThat(r.clean()).as(r.toString()).isTrue();
    assertThat(r.expected()).isEqualTo(2);
  }

  @Test
  void missingOldAndLeftoverFilesAreCountedApart() {
    List<Work> works = List.of(work("c1", "round: \"2\"\n"), work("c2", "round: \"2\"\n"), work("c3", "x: 1\n"));
    Map<String, String> tree = written(works);
    tree.remove("dev/resources/chaos/Cache/c1/cache.yaml");
    tree.put("dev/resources/chaos/Cache/c2/cache.yaml", "round: \"1\"\n");
    tree.put("dev/resources/chaos/Cache/c9/cache.yaml", "round: \"1\"\n");
    tree.put("dev/" + StateStoreLayout.INDEX_DIR + "/chaos.c9-cache-render", "cache.yaml\n");
    // Outside the Works' namespaces: another Promise's business, not judged.
    tree.put("dev/resources/other/Redis/r1/redis.yaml", "a: b\n");
    StoreCheck.Result r = StoreCheck.compare(tree, "dev", works);
    assertThat(r.lost()).isEqualTo(1);
    // c2's old content, and the kustomization (it lists c1 and c9, and not the other Promise's file).
    assertThat(r.stale()).isEqualTo(2);
    assertThat(r.extra()).isEqualTo(2);
    assertThat(r.examples()).contains("lost dev/resources/chaos/Cache/c1/cache.yaml",
        "stale dev/resources/chaos/Cache/c2/cache.yaml", "extra dev/resources/chaos/Cache/c9/cache.yaml");
  }

  @Test
  void anEmptyTreeLosesEveryFileAndIndexEntry() {
    List<Work> works = List.of(work("c1", "a: 1\n"), work("c2", "a: 2\n"));
    StoreCheck.Result r = StoreCheck.compare(Map.of(), "dev", works);
    assertThat(r.lost()).isEqualTo(4);
    assertThat(r.stale()).as("the missing kustomization").isEqualTo(1);
  }

  @Test
  void readsTheBranchOfABareRepository() throws Exception {
    Path bare = tmp.resolve("r.git");
    GitDaemon.git(tmp, "init", "--bare", "-q", "-b", "main", bare.toString());
    assertThat(StoreCheck.read(bare, "main")).isEmpty();
    assertThat(StoreCheck.tip(bare, "main")).isNull();
    Path clone = tmp.resolve("clone");
    GitDaemon.git(tmp, "clone", "-q", bare.toString(), clone.toString());
    Files.createDirectories(clone.resolve("dev/a"));
    Files.writeString(clone.resolve("dev/a/f.yaml"), "k: v\n");
    GitDaemon.git(clone, "add", "-A");
    GitDaemon.git(clone, "commit", "-q", "-m", "one");
    GitDaemon.git(clone, "push", "-q", "origin", "HEAD:main");
    assertThat(StoreCheck.read(bare, "main")).isEqualTo(Map.of("dev/a/f.yaml", "k: v\n"));
    assertThat(StoreCheck.tip(bare, "main")).isEqualTo(GitDaemon.git(clone, "rev-parse", "HEAD").trim());
  }
}
