package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writers StateStores keeps per store, and which Works a missing embedded repository gets back
 * ({@link StateStores#recreation}), without a cluster.
 */
class StateStoresTest {

  @TempDir
  Path dir;

  /** A store on an external URL (nothing is fetched until a change): no embedded repository to check or re-create. */
  private GitStateStore external(String name, String authorName) throws Exception {
    return Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: GitStateStore
        metadata: {name: %s}
        spec: {url: %s, branch: main, author: {name: %s, email: platform@example.com}}
        """.formatted(name, dir.resolve("remote.git").toUri(), authorName), GitStateStore.class);
  }

  @Test
  void theSameStoreKeepsItsWriterAndAChangedAuthorGetsANewOne() throws Exception {
    StateStores stores = new StateStores(null, dir, StateStoreLayout.Limits.DEFAULT);
    try {
      GitWriter first = stores.writer(external("s", "Platform"), GitCredentials.NONE);
      Thread.sleep(1100); // a PersonIdent made a second later carries a later time: not a new configuration
      GitWriter again = stores.writer(external("s", "Platform"), GitCredentials.NONE);
      assertThat(again).isSameAs(first);
      GitWriter renamed = stores.writer(external("s", "Platform Team"), GitCredentials.NONE);
      assertThat(renamed).isNotSameAs(first);
      assertThat(renamed.config().author().getName()).isEqualTo("Platform Team");
    } finally {
      stores.close();
    }
  }

  /**
   * A store's first writer wakes every Work (the Destination listeners): Works reconciled before it existed, just
   * after a start, reported the store not ready and get no other event, since a restart changes no store status.
   */
  @Test
  void aStoresFirstWriterWakesTheWorksThatWaitedForIt() throws Exception {
    StateStores stores = new StateStores(null, dir, StateStoreLayout.Limits.DEFAULT);
    java.util.concurrent.atomic.AtomicInteger woken = new java.util.concurrent.atomic.AtomicInteger();
    stores.onDestinationsChanged(woken::incrementAndGet);
    try {
      stores.writer(external("s", "Platform"), GitCredentials.NONE);
      assertThat(woken).as("after the first writer of s").hasValue(1);
      stores.writer(external("s", "Platform"), GitCredentials.NONE);
      assertThat(woken).as("the same writer again").hasValue(1);
      stores.writer(external("s", "Platform Team"), GitCredentials.NONE);
      assertThat(woken).as("a replaced writer (it takes over the old one's changes)").hasValue(1);
      stores.writer(external("t", "Platform"), GitCredentials.NONE);
      assertThat(woken).as("after the first writer of t").hasValue(2);
    } finally {
      stores.close();
    }
  }

  /** A lock a dead process left in a repository is removed; one taken since this process started is not. */
  @Test
  void locksOlderThanTheProcessAreRemoved() throws Exception {
    Path git = java.nio.file.Files.createDirectories(dir.resolve("r.git/refs/heads"));
    Path old = java.nio.file.Files.writeString(git.resolve("main.lock"), "");
    Path packed = java.nio.file.Files.writeString(dir.resolve("r.git/packed-refs.lock"), "");
    Path fresh = java.nio.file.Files.writeString(git.resolve("other.lock"), "");
    Path ref = java.nio.file.Files.writeString(git.resolve("main"), "0000000000000000000000000000000000000000\n");
    java.time.Instant start = java.time.Instant.now();
    java.nio.file.Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.from(start.minusSeconds(60)));
    java.nio.file.Files.setLastModifiedTime(packed, java.nio.file.attribute.FileTime.from(start.minusSeconds(60)));
    java.nio.file.Files.setLastModifiedTime(fresh, java.nio.file.attribute.FileTime.from(start.plusSeconds(1)));
    java.nio.file.Files.setLastModifiedTime(ref, java.nio.file.attribute.FileTime.from(start.minusSeconds(60)));

    assertThat(StateStores.removeStaleLocks(dir.resolve("r.git"), start)).isEqualTo(2);
    assertThat(old).doesNotExist();
    assertThat(packed).doesNotExist();
    assertThat(fresh).exists();
    assertThat(ref).exists();
    assertThat(StateStores.removeStaleLocks(dir.resolve("missing.git"), start)).isZero();
  }

  private static GitStateStore store(String name, String lastCommit) {
    GitStateStore s = new GitStateStore();
    s.setMetadata(new ObjectMetaBuilder().withName(name).build());
    s.setSpec(new GitStateStore.Spec());
    s.setStatus(new GitStateStore.Status());
    s.getStatus().lastCommit = lastCommit;
    return s;
  }

  private static Destination destination(String name, String store, String path) {
    Destination d = new Destination();
    d.setMetadata(new ObjectMetaBuilder().withName(name).withLabels(Map.of("env", name)).build());
    d.setSpec(new Destination.Spec());
    d.getSpec().stateStoreRef = new Destination.StateStoreRef();
    d.getSpec().stateStoreRef.name = store;
    d.getSpec().path = path;
    return d;
  }

  private static final StateStoreLayout.Limits LIMITS = StateStoreLayout.Limits.DEFAULT;

  private static Work work(String name, String destination, String state, String commit) {
    Work w = new Work();
    w.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName(name).build());
    w.setSpec(new Work.Spec());
    w.getSpec().owner = new Work.OwnerRef();
    w.getSpec().owner.kind = "Redis";
    w.getSpec().owner.namespace = "ns";
    w.getSpec().owner.name = name;
    dev.tarmac.api.Selector sel = new dev.tarmac.api.Selector();
    sel.matchLabels = Map.of("env", destination);
    w.getSpec().destinationSelectors = List.of(sel);
    w.getSpec().files.add(new Work.WorkFile("redis.yaml", "kind: ConfigMap # " + name + "\n"));
    w.setStatus(new Work.Status());
    Work.Placement p = new Work.Placement();
    p.destination = destination;
    p.state = state;
    p.commit = commit;
    w.getStatus().placements.add(p);
    return w;
  }

  @Test
  void theWorksThatSelectTheStoresDestinationsComeBackAsTheyAreNow() {
    var destinations = List.of(destination("dev", "s1", "clusters/dev"), destination("prod", "s2", "prod"));
    Work deleting = work("gone", "dev", "Written", "abc");
    deleting.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    // r3's status says Pending (a restarted operator wrote that before the store's writer existed): its selectors
    // decide, not its status.
    var recreation = StateStores.recreation(store("s1", null), destinations, List.of(
        work("r1", "dev", "Written", "abc"),
        work("r2", "prod", "Written", "abc"),
        work("r3", "dev", "Pending", null),
        work("r4", "nowhere", "Written", "abc"),
        deleting), LIMITS);
    assertThat(recreation.works()).extracting(GitWriter.Put::ownerDir)
        .containsExactly("resources/ns/Redis/r1", "resources/ns/Redis/r3");
    assertThat(recreation.works().get(0).destinationDir()).isEqualTo("clusters/dev");
    assertThat(recreation.works().get(0).files()).isEqualTo(Map.of("redis.yaml", "kind: ConfigMap # r1\n"));
    assertThat(recreation.why()).contains("/git/s1.git was missing");
  }

  @Test
  void aStoreThatWasNeverWrittenIsNotRecreated() {
    var destinations = List.of(destination("dev", "s1", null));
    List<Work> pending = List.of(work("r1", "dev", "Pending", null));
    assertThat(StateStores.recreation(store("s1", null), destinations, pending, LIMITS))
        .isSameAs(GitWriter.Recreation.NONE);
    // Its own status naming a commit is proof enough, even when every Work already says Pending.
    var recreation = StateStores.recreation(store("s1", "0123456789abcdef"), destinations, pending, LIMITS);
    assertThat(recreation.works()).hasSize(1);
    assertThat(recreation.why()).contains("it had held commit 0123456");
  }
}
