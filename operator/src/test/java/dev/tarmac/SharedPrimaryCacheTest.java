package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SharedPrimaryCacheTest {

  /** A controller's primary cache as JOSDK's behaves: reads fail until {@code started}. */
  private static final class Primary implements IndexerResourceCache<ConfigMap> {
    final Map<ResourceID, ConfigMap> objects = new LinkedHashMap<>();
    final Map<String, Function<ConfigMap, List<String>>> indexers = new LinkedHashMap<>();
    boolean started;

    private Map<ResourceID, ConfigMap> objects() {
      if (!started) {
        throw new NullPointerException("Cannot invoke InformerManager.list because this.cache is null");
      }
      return objects;
    }

    @Override
    public void addIndexers(Map<String, Function<ConfigMap, List<String>>> more) {
      indexers.putAll(more);
    }

    @Override
    public List<ConfigMap> byIndex(String name, String key) {
      return objects().values().stream().filter(o -> indexers.get(name).apply(o).contains(key)).toList();
    }

    @Override
    public Optional<ConfigMap> get(ResourceID id) {
      return Optional.ofNullable(objects().get(id));
    }

    @Override
    public Stream<ResourceID> keys() {
      return objects().keySet().stream();
    }

    @Override
    public Stream<ConfigMap> list(Predicate<ConfigMap> predicate) {
      return objects().values().stream().filter(predicate);
    }

    @Override
    public Stream<ConfigMap> list(String namespace, Predicate<ConfigMap> predicate) {
      return list(predicate.and(o -> namespace.equals(o.getMetadata().getNamespace())));
    }

    void put(ConfigMap c) {
      objects.put(ResourceID.fromResource(c), c);
    }
  }

  private static ConfigMap configMap(String name, String owner) {
    return new ConfigMapBuilder().withNewMetadata().withNamespace("ns").withName(name).addToLabels("owner", owner)
        .endMetadata().build();
  }

  /** Records what a handler was told, as "add a", "update a", "delete a". */
  private static final class Seen implements ResourceEventHandler<ConfigMap> {
    final List<String> events = new ArrayList<>();

    @Override
    public void onAdd(ConfigMap c) {
      events.add("add " + c.getMetadata().getName());
    }

    @Override
    public void onUpdate(ConfigMap old, ConfigMap now) {
      events.add("update " + now.getMetadata().getName());
    }

    @Override
    public void onDelete(ConfigMap c, boolean unknown) {
      events.add("delete " + c.getMetadata().getName());
    }
  }

  @SuppressWarnings("unchecked")
  private static ResourceEventAware<ConfigMap> broadcast(SharedPrimaryCache<ConfigMap> shared) {
    return (ResourceEventAware<ConfigMap>) shared.eventSource();
  }

  @Test
  void beforeTheControllerStartsReadsAreEmptyAndEveryObjectArrivesAsAnEvent() {
    Primary primary = new Primary();
    SharedPrimaryCache<ConfigMap> shared = SharedPrimaryCache.attach(
        new EventSourceContext<>(primary, null, null, ConfigMap.class),
        Map.of("owner", c -> List.of(c.getMetadata().getLabels().get("owner"))));
    Seen seen = new Seen();
    shared.addEventHandler(seen);

    assertThat(shared.list()).isEmpty();
    assertThat(shared.byIndex("owner", "u1")).isEmpty();
    assertThat(shared.get("ns", "a")).isEmpty();

    primary.started = true;
    ConfigMap a = configMap("a", "u1");
    primary.put(a);
    broadcast(shared).onResourceCreated(a);
    ConfigMap a2 = configMap("a", "u2");
    primary.put(a2);
    broadcast(shared).onResourceUpdated(a2, a);
    broadcast(shared).onResourceDeleted(a2);

    assertThat(seen.events).containsExactly("add a", "update a", "delete a");
    assertThat(shared.byIndex("owner", "u2")).containsExactly(a2);
    assertThat(shared.get("ns", "a")).contains(a2);
  }

  @Test
  void aHandlerAddedLaterIsFirstToldAboutWhatIsAlreadyCached() {
    Primary primary = new Primary();
    primary.started = true;
    primary.put(configMap("a", "u1"));
    primary.put(configMap("b", "u1"));
    SharedPrimaryCache<ConfigMap> shared = SharedPrimaryCache.attach(
        new EventSourceContext<>(primary, null, null, ConfigMap.class), Map.of());
    Seen seen = new Seen();

    shared.addEventHandler(seen);
    ConfigMap c = configMap("c", "u2");
    primary.put(c);
    broadcast(shared).onResourceCreated(c);

    assertThat(seen.events).containsExactly("add a", "add b", "add c");
  }
}
