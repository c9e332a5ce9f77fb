package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Serialization;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writers StateStores keeps per store, without a cluster. */
class StateStoresTest {

  @TempDir
  Path dir;

  private static GitStateStore store(String name, String authorName) throws Exception {
    return Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: GitStateStore
        metadata: {name: %s}
        spec: {branch: main, author: {name: %s, email: platform@example.com}}
        """.formatted(name, authorName), GitStateStore.class);
  }

  @Test
  void theSameStoreKeepsItsWriterAndAChangedAuthorGetsANewOne() throws Exception {
    StateStores stores = new StateStores(null, dir, StateStoreLayout.Limits.DEFAULT);
    try {
      GitWriter first = stores.writer(store("s", "Platform"), GitCredentials.NONE);
      Thread.sleep(1100); // a PersonIdent made a second later carries a later time: not a new configuration
      GitWriter again = stores.writer(store("s", "Platform"), GitCredentials.NONE);
      assertThat(again).isSameAs(first);
      GitWriter renamed = stores.writer(store("s", "Platform Team"), GitCredentials.NONE);
      assertThat(renamed).isNotSameAs(first);
      assertThat(renamed.config().author().getName()).isEqualTo("Platform Team");
    } finally {
      stores.close();
    }
  }
}
