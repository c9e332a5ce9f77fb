package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Work;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which Works a missing embedded repository gets back: {@link StateStores#recreation}, no cluster. */
class StateStoresTest {

  private static GitStateStore store(String name) {
    GitStateStore s = new GitStateStore();
    s.setMetadata(new ObjectMetaBuilder().withName(name).build());
    s.setSpec(new GitStateStore.Spec());
    return s;
  }

  private static Destination destination(String name, String store, String path) {
    Destination d = new Destination();
    d.setMetadata(new ObjectMetaBuilder().withName(name).build());
    d.setSpec(new Destination.Spec());
    d.getSpec().stateStoreRef = new Destination.StateStoreRef();
    d.getSpec().stateStoreRef.name = store;
    d.getSpec().path = path;
    return d;
  }

  private static Work work(String name, String destination, String state, String commit) {
    Work w = new Work();
    w.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName(name).build());
    w.setSpec(new Work.Spec());
    w.getSpec().owner = new Work.OwnerRef();
    w.getSpec().owner.kind = "Redis";
    w.getSpec().owner.namespace = "ns";
    w.getSpec().owner.name = name;
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
  void onlyWorksWrittenToTheStoresDestinationsComeBackAsTheyAreNow() {
    var destinations = List.of(destination("dev", "s1", "clusters/dev"), destination("prod", "s2", "prod"));
    Work deleting = work("gone", "dev", "Written", "abc");
    deleting.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    var recreation = StateStores.recreation(store("s1"), destinations, List.of(
        work("r1", "dev", "Written", "abc"),
        work("r2", "prod", "Written", "abc"),
        work("r3", "dev", "Pending", null),
        work("r4", "nowhere", "Written", "abc"),
        deleting));
    assertThat(recreation.works()).singleElement().satisfies(put -> {
      assertThat(put.destinationDir()).isEqualTo("clusters/dev");
      assertThat(put.ownerDir()).isEqualTo("resources/ns/Redis/r1");
      assertThat(put.files()).isEqualTo(Map.of("redis.yaml", "kind: ConfigMap # r1\n"));
    });
    assertThat(recreation.why()).contains("/git/s1.git was missing");
  }

  @Test
  void aStoreNoWorkWasWrittenToIsNotRecreated() {
    var recreation = StateStores.recreation(store("s1"), List.of(destination("dev", "s1", null)),
        List.of(work("r1", "dev", "Pending", null)));
    assertThat(recreation).isSameAs(GitWriter.Recreation.NONE);
  }
}
