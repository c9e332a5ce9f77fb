package dev.tarmac.statestore;

import dev.tarmac.api.Destination;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Work;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which Destinations a Work is placed on. Pure.
 *
 * <p>Rules, after Kratix's scheduling: a Destination matches when its labels satisfy every selector of the Work
 * (equality and set-based, Kubernetes semantics). A Destination with {@code strictMatchLabels: true} takes only
 * Works whose selectors name every one of its labels with {@code matchLabels} (the shard label
 * {@link dev.tarmac.api.Labels#SHARD} aside), and never a Work without selectors.
 */
public final class WorkScheduler {

  private WorkScheduler() {
  }

  /** The Destinations {@code work} goes to, sorted by name. Destinations being deleted are left out. */
  public static List<Destination> select(Work work, List<Destination> destinations) {
    List<Selector> selectors = work.getSpec().destinationSelectors == null ? List.of()
        : work.getSpec().destinationSelectors;
    return destinations.stream()
        .filter(d -> d.getMetadata().getDeletionTimestamp() == null)
        .filter(d -> matches(selectors, d))
        .sorted(Comparator.comparing(d -> d.getMetadata().getName()))
        .toList();
  }

  /**
   * As {@link #select(Work, List)} among {@code shard}'s Destinations only ({@link dev.tarmac.api.Shard#owns} on the
   * Destination's labels): the shard label acts as one more selector, so a Work is written only by the shard that
   * owns the Destination's store, and a Promise whose selectors match Destinations of several shards places each
   * request on those of the request's own shard.
   */
  public static List<Destination> select(Work work, List<Destination> destinations, dev.tarmac.api.Shard shard) {
    return select(work, destinations.stream().filter(d -> shard.owns(d.getMetadata().getLabels())).toList());
  }

  static boolean matches(List<Selector> selectors, Destination d) {
    Map<String, String> labels = d.getMetadata().getLabels() == null ? Map.of() : d.getMetadata().getLabels();
    boolean strict = d.getSpec() != null && Boolean.TRUE.equals(d.getSpec().strictMatchLabels);
    if (strict) {
      if (selectors.isEmpty()) {
        return false;
      }
      Set<String> named = new TreeSet<>();
      selectors.forEach(s -> {
        if (s.matchLabels != null) {
          named.addAll(s.matchLabels.keySet());
        }
      });
      // The shard label says which operator writes the Destination, not what goes there (docs/scaling.md).
      Set<String> scheduling = new TreeSet<>(labels.keySet());
      scheduling.remove(dev.tarmac.api.Labels.SHARD);
      if (!named.containsAll(scheduling)) {
        return false;
      }
    }
    return selectors.stream().allMatch(s -> s.matches(labels));
  }
}
