package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.junit.jupiter.api.Test;

/** The next tree of a state store from its base tree and a batch, as plain maps: no repository. */
class TreeBuilderTest {

  /** Blobs in memory, with Git's own blob ids. */
  private static final class MemoryBlobs implements TreeBuilder.Blobs {
    final Map<ObjectId, byte[]> blobs = new HashMap<>();
    private final ObjectInserter.Formatter ids = new ObjectInserter.Formatter();

    @Override
    public ObjectId write(byte[] content) {
      ObjectId id = ids.idFor(Constants.OBJ_BLOB, content);
      blobs.put(id, content);
      return id;
    }

    @Override
    public byte[] read(ObjectId id) {
      byte[] b = blobs.get(id);
      if (b == null) {
        throw new UncheckedIOException(new java.io.IOException("missing blob " + id.name()));
      }
      return b;
    }

    String text(ObjectId id) {
      return new String(read(id), StandardCharsets.UTF_8);
    }
  }

  private final MemoryBlobs blobs = new MemoryBlobs();

  private static GitWriter.Put put(String dest, String name, Map<String, String> files) {
    return new GitWriter.Put(dest, "resources/default/Redis/" + name, "default." + name, files);
  }

  private static GitWriter.Put redis(String dest, String name, String value) {
    return put(dest, name, Map.of("redis.yaml", "kind: ConfigMap\ndata: {v: \"" + value + "\"}\n",
        "nested/service.yaml", "kind: Service\n"));
  }

  private TreeBuilder.Result build(Map<String, ObjectId> base, GitWriter.Change... changes) {
    return TreeBuilder.build(base, List.of(changes), null, null, blobs);
  }

  @Test
  void aPutOnAnEmptyTreeWritesTheFilesTheirIndexAndTheKustomization() {
    TreeBuilder.Result r = build(Map.of(), redis("clusters/dev", "r1", "a"));
    assertThat(r.files().keySet()).containsExactly(
        "clusters/dev/.tarmac/works/default.r1",
        "clusters/dev/kustomization.yaml",
        "clusters/dev/resources/default/Redis/r1/nested/service.yaml",
        "clusters/dev/resources/default/Redis/r1/redis.yaml");
    assertThat(blobs.text(r.files().get("clusters/dev/resources/default/Redis/r1/redis.yaml")))
        .isEqualTo("kind: ConfigMap\ndata: {v: \"a\"}\n");
    // The index names the Work's files by full path, sorted, one a line.
    assertThat(blobs.text(r.files().get("clusters/dev/.tarmac/works/default.r1"))).isEqualTo(
        "clusters/dev/resources/default/Redis/r1/nested/service.yaml\n"
            + "clusters/dev/resources/default/Redis/r1/redis.yaml\n");
    assertThat(blobs.text(r.files().get("clusters/dev/kustomization.yaml")))
        .contains("kind: Kustomization")
        .contains("  - resources/default/Redis/r1/nested/service.yaml\n  - resources/default/Redis/r1/redis.yaml\n")
        .doesNotContain(".tarmac");
    assertThat(r.unchanged()).isFalse();
    assertThat(r.changed()).containsExactly(true);
    assertThat(r.destinations()).containsExactly("clusters/dev");
    assertThat(r.republished()).isZero();
    assertThat(r.message()).startsWith("tarmac: write resources/default/Redis/r1\n\n- write resources/default/Redis/r1\n")
        .endsWith("\n(1 change(s) in this batch)\n");
  }

  @Test
  void theSameBatchAgainIsUnchangedAndTheBaseIsNotModified() {
    TreeBuilder.Result first = build(Map.of(), redis("dev", "r1", "a"), redis("dev", "r2", "b"));
    TreeMap<String, ObjectId> base = new TreeMap<>(first.files());
    TreeBuilder.Result again = build(base, redis("dev", "r1", "a"), redis("dev", "r2", "b"));
    assertThat(again.unchanged()).isTrue();
    assertThat(again.files()).isEqualTo(first.files());
    assertThat(again.changed()).containsExactly(false, false);
    assertThat(again.destinations()).isEmpty();
    assertThat(base).isEqualTo(first.files());
    assertThat(TreeBuilder.build(Map.of(), List.of(), null, null, blobs).unchanged()).as("an empty batch").isTrue();
  }

  @Test
  void changedIsPerChangeNotPerBatch() {
    Map<String, ObjectId> base = build(Map.of(), redis("dev", "r1", "a")).files();
    TreeBuilder.Result r = build(base, redis("dev", "r1", "a"), redis("dev", "r2", "b"),
        new GitWriter.Remove("dev", "resources/default/Redis/r9", "default.r9"));
    assertThat(r.unchanged()).isFalse();
    assertThat(r.changed()).containsExactly(false, true, false);
    assertThat(r.message()).startsWith("tarmac: write resources/default/Redis/r2\n").contains("(3 change(s)");
  }

  @Test
  void twoChangesThatCancelOutChangeNothing() {
    Map<String, ObjectId> base = build(Map.of(), redis("dev", "r1", "a")).files();
    TreeBuilder.Result r = build(base, redis("dev", "r1", "b"), redis("dev", "r1", "a"));
    assertThat(r.unchanged()).isTrue();
    assertThat(r.changed()).containsExactly(false, false);
  }

  @Test
  void aReplacementDropsFilesTheWorkNoLongerHasAndKeepsOthersFiles() {
    Map<String, ObjectId> base = new TreeMap<>(build(Map.of(), redis("dev", "r1", "a"), redis("dev", "r2", "a"))
        .files());
    base.put("README.md", blobs.write("a person's file\n".getBytes(StandardCharsets.UTF_8)));
    TreeBuilder.Result r = build(base, put("dev", "r1", Map.of("redis.yaml", "kind: ConfigMap\n")));
    assertThat(r.files()).containsKey("dev/resources/default/Redis/r1/redis.yaml")
        .doesNotContainKey("dev/resources/default/Redis/r1/nested/service.yaml")
        .containsKey("dev/resources/default/Redis/r2/nested/service.yaml")
        .containsEntry("README.md", base.get("README.md"));
    assertThat(blobs.text(r.files().get("dev/.tarmac/works/default.r1")))
        .isEqualTo("dev/resources/default/Redis/r1/redis.yaml\n");
    assertThat(blobs.text(r.files().get("dev/kustomization.yaml"))).doesNotContain("r1/nested")
        .contains("r2/nested/service.yaml");
    assertThat(r.changed()).containsExactly(true);
  }

  @Test
  void aRemovalDeletesTheWorksFilesItsIndexAndAnEmptyFoldersKustomization() {
    Map<String, ObjectId> base = build(Map.of(), redis("dev", "r1", "a"), redis("prod", "r1", "a")).files();
    TreeBuilder.Result r = build(base, new GitWriter.Remove("dev", "resources/default/Redis/r1", "default.r1"));
    assertThat(r.files().keySet()).allMatch(p -> p.startsWith("prod/"));
    assertThat(r.files()).containsKey("prod/kustomization.yaml").containsKey("prod/.tarmac/works/default.r1");
    assertThat(r.destinations()).containsExactly("dev");
    assertThat(r.changed()).containsExactly(true);
    assertThat(r.message()).startsWith("tarmac: remove resources/default/Redis/r1\n");
  }

  @Test
  void theRootDestinationAndNonYamlFiles() {
    TreeBuilder.Result r = build(Map.of(), put("", "r1", Map.of("notes.txt", "hello\n", "a.yml", "kind: A\n")));
    assertThat(r.files().keySet()).containsExactly(".tarmac/works/default.r1", "kustomization.yaml",
        "resources/default/Redis/r1/a.yml", "resources/default/Redis/r1/notes.txt");
    assertThat(blobs.text(r.files().get("kustomization.yaml"))).contains("  - resources/default/Redis/r1/a.yml\n")
        .doesNotContain("notes.txt");
    assertThat(r.destinations()).containsExactly("");
    // A folder with no YAML file has no kustomization.
    TreeBuilder.Result textOnly = build(Map.of(), put("dev", "r2", Map.of("notes.txt", "hello\n")));
    assertThat(textOnly.files()).doesNotContainKey("dev/kustomization.yaml");
  }

  @Test
  void aPathThatEscapesItsFolderIsRefused() {
    assertThatThrownBy(() -> build(Map.of(), put("dev", "r1", Map.of("../../other/x.yaml", "kind: A\n"))))
        .isInstanceOf(WorkRejectedException.class);
    assertThatThrownBy(() -> build(Map.of(), put("dev", "r1", Map.of("/etc/x.yaml", "kind: A\n"))))
        .isInstanceOf(WorkRejectedException.class);
  }

  @Test
  void republicationPutsBackTheNamedWorksAsTheSourceHadThemBeforeTheBatch() {
    // The tree Tarmac last saw: r1, r2 in dev; r3 in prod.
    Map<String, ObjectId> source = build(Map.of(), redis("dev", "r1", "a"), redis("dev", "r2", "b"),
        redis("prod", "r3", "c")).files();
    // A force-push replaced the branch with an unrelated tree.
    Map<String, ObjectId> rewritten = Map.of("NEW.md", blobs.write("new history\n".getBytes(StandardCharsets.UTF_8)));
    var republication = new TreeBuilder.Republication(source, Map.of("dev", Set.of("default.r1", "default.r2")),
        "after the branch's history was rewritten");
    TreeBuilder.Result r = TreeBuilder.build(rewritten, List.of(redis("dev", "r2", "new"), redis("dev", "r4", "d")),
        republication, null, blobs);
    assertThat(r.republished()).isEqualTo(2);
    assertThat(r.files()).containsKey("NEW.md")
        .containsEntry("dev/resources/default/Redis/r1/redis.yaml", source.get("dev/resources/default/Redis/r1/redis.yaml"))
        .containsEntry("dev/.tarmac/works/default.r1", source.get("dev/.tarmac/works/default.r1"))
        .containsKey("dev/resources/default/Redis/r4/redis.yaml")
        .doesNotContainKey("prod/resources/default/Redis/r3/redis.yaml");
    // The batch comes after the re-publication: r2 has its new content.
    assertThat(blobs.text(r.files().get("dev/resources/default/Redis/r2/redis.yaml"))).contains("new");
    assertThat(blobs.text(r.files().get("dev/kustomization.yaml"))).contains("r1/redis.yaml", "r2/redis.yaml",
        "r4/redis.yaml");
    assertThat(r.changed()).containsExactly(true, true);
    assertThat(r.message()).startsWith("tarmac: re-publish 2 Work(s) after the branch's history was rewritten\n")
        .contains("- re-publish default.r1 in dev\n", "- write resources/default/Redis/r4\n");
  }

  @Test
  void republicationOfEveryIndexedWorkAndNothingWhenAllIsThere() {
    Map<String, ObjectId> source = build(Map.of(), redis("dev", "r1", "a"), redis("prod/eu", "r3", "c")).files();
    var all = new TreeBuilder.Republication(source, null, "into the re-created branch main");
    TreeBuilder.Result fromNothing = TreeBuilder.build(Map.of(), List.of(), all, null, blobs);
    assertThat(fromNothing.files()).isEqualTo(source);
    assertThat(fromNothing.republished()).isEqualTo(2);
    assertThat(fromNothing.destinations()).containsExactly("dev", "prod/eu");
    assertThat(fromNothing.message()).startsWith("tarmac: re-publish 2 Work(s) into the re-created branch main\n")
        .contains("(0 change(s) in this batch)");
    // A rewrite that kept every file: nothing to re-publish, nothing to commit.
    TreeBuilder.Result kept = TreeBuilder.build(source, List.of(), all, null, blobs);
    assertThat(kept.unchanged()).isTrue();
    assertThat(kept.republished()).isZero();
  }

  @Test
  void indexedWorksAreFoundAtTheRootAndInNestedFolders() {
    ObjectId x = blobs.write(new byte[] {1});
    Map<String, ObjectId> files = Map.of(".tarmac/works/a.b", x, "clusters/dev/.tarmac/works/ns.w", x,
        "clusters/dev/.tarmac/works/ns.v", x, "clusters/dev/resources/ns/K/w/file.yaml", x, "README.md", x,
        "clusters/dev/.tarmac/works/nested/not-an-index", x);
    assertThat(TreeBuilder.indexedWorks(files)).isEqualTo(Map.of("", Set.of("a.b"),
        "clusters/dev", Set.of("ns.v", "ns.w")));
  }

  @Test
  void aSubjectAndALongBatchInTheMessage() {
    List<GitWriter.Change> many = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      many.add(redis("dev", "r" + i, "x"));
    }
    TreeBuilder.Result r = TreeBuilder.build(Map.of(), many, null, "re-publish 60 Work(s) into the re-created"
        + " repository", blobs);
    assertThat(r.message()).startsWith("tarmac: re-publish 60 Work(s) into the re-created repository\n\n")
        .contains("... and 10 more\n").contains("(60 change(s) in this batch)");
    assertThat(r.message().lines().filter(l -> l.startsWith("- ")).count()).isEqualTo(50);
    TreeBuilder.Result plain = TreeBuilder.build(Map.of(), many.subList(0, 3), null, null, blobs);
    assertThat(plain.message()).startsWith("tarmac: 3 objects changed\n");
  }
}
