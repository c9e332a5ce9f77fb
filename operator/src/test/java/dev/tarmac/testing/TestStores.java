package dev.tarmac.testing;

import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;

/** A test's own GitStateStore and Destination: the shared cluster may hold other tests' stores and a default one. */
public final class TestStores {

  private TestStores() {
  }

  /**
   * Creates GitStateStore {@code name} ({@code url} null: the embedded store) and Destination {@code name} on it,
   * labelled {@code labels}, writing under {@code path} (null: the Destination's name).
   */
  public static void create(KubernetesClient client, String name, String url, Map<String, String> labels,
      String path) {
    GitStateStore store = new GitStateStore();
    store.setMetadata(new ObjectMetaBuilder().withName(name).build());
    store.setSpec(new GitStateStore.Spec());
    store.getSpec().url = url;
    client.resource(store).create();
    Destination dest = new Destination();
    dest.setMetadata(new ObjectMetaBuilder().withName(name).withLabels(labels).build());
    dest.setSpec(new Destination.Spec());
    dest.getSpec().stateStoreRef = new Destination.StateStoreRef();
    dest.getSpec().stateStoreRef.name = name;
    if (path != null) {
      dest.getSpec().path = path;
    }
    client.resource(dest).create();
  }
}
