package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeanItemStoreTest {

  /** An object as a watch delivers it: every string a fresh copy, as Jackson reads them. */
  private static GenericKubernetesResource request(String name) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(new String("example.org/v1"));
    r.setKind(new String("Cache"));
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(new String("app.kubernetes.io/managed-by"), new String("tarmac"));
    labels.put(new String("team"), new String("payments"));
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(new String("owner"), "someone");
    annotations.put(LeanItemStore.LAST_APPLIED, "{\"apiVersion\":\"example.org/v1\",\"kind\":\"Cache\"}");
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(new String("team-a")).withLabels(labels)
        .withAnnotations(annotations)
        .withManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").build())
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(new String("platform.tarmac.dev/v1alpha1"))
            .withKind(new String("Promise")).withName("p").withUid("u").build())
        .build());
    return r;
  }

  @Test
  void dropsManagedFieldsAndKubectlsLastAppliedCopyAndKeepsTheRest() {
    LeanItemStore<GenericKubernetesResource> store = new LeanItemStore<>();
    store.put("team-a/a", request("a"));

    GenericKubernetesResource kept = store.get("team-a/a");
    assertThat(kept.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(kept.getMetadata().getAnnotations()).containsExactly(Map.entry("owner", "someone"));
    assertThat(kept.getMetadata().getLabels()).containsExactly(Map.entry("app.kubernetes.io/managed-by", "tarmac"),
        Map.entry("team", "payments"));
    assertThat(kept.getMetadata().getNamespace()).isEqualTo("team-a");
    assertThat(kept.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("Promise");
  }

  @Test
  void backstageDescriptorsKeepTheLastAppliedCopyTheCatalogReadsTitlesFrom() {
    LeanItemStore<GenericKubernetesResource> store = LeanItemStore.keepingLastApplied();
    store.put("team-a/a", request("a"));

    assertThat(store.get("team-a/a").getMetadata().getAnnotations()).containsKey(LeanItemStore.LAST_APPLIED);
    assertThat(store.get("team-a/a").getMetadata().getManagedFields()).isNullOrEmpty();
  }

  @Test
  void twoObjectsShareTheStringsEveryObjectRepeats() {
    LeanItemStore<GenericKubernetesResource> store = new LeanItemStore<>();
    store.put("team-a/a", request("a"));
    store.put("team-a/b", request("b"));
    GenericKubernetesResource a = store.get("team-a/a");
    GenericKubernetesResource b = store.get("team-a/b");

    assertThat(a.getApiVersion()).isSameAs(b.getApiVersion());
    assertThat(a.getKind()).isSameAs(b.getKind());
    assertThat(a.getMetadata().getNamespace()).isSameAs(b.getMetadata().getNamespace());
    List<String> keysA = List.copyOf(a.getMetadata().getLabels().keySet());
    List<String> keysB = List.copyOf(b.getMetadata().getLabels().keySet());
    for (int i = 0; i < keysA.size(); i++) {
      assertThat(keysA.get(i)).isSameAs(keysB.get(i));
      assertThat(a.getMetadata().getLabels().get(keysA.get(i))).isSameAs(b.getMetadata().getLabels().get(keysB.get(i)));
    }
    assertThat(a.getMetadata().getAnnotations().keySet().iterator().next())
        .isSameAs(b.getMetadata().getAnnotations().keySet().iterator().next());
    assertThat(a.getMetadata().getOwnerReferences().get(0).getApiVersion())
        .isSameAs(b.getMetadata().getOwnerReferences().get(0).getApiVersion());
  }
}
