package dev.tarmac.policy;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kind scopes from the API server's discovery ({@code /api/v1}, {@code /apis/<group>/<version>}), one call per
 * group-version, cached for {@link #TTL} (a group-version the server does not serve for {@link #MISS_TTL}, so a CRD
 * installed later is seen soon). The operator's own cluster stands for the Destinations' clusters here: a kind
 * installed only there is unknown, and {@link Scopes} decides it.
 */
public final class DiscoveryScopes implements Scopes.Resolver {

  /** How long a served group-version's kinds are kept. */
  public static final Duration TTL = Duration.ofMinutes(10);
  /** How long "not served" is kept. */
  public static final Duration MISS_TTL = Duration.ofMinutes(1);

  private record Entry(Map<String, Boolean> clusterScopedByKind, Instant expires) {
  }

  private final KubernetesClient client;
  private final Clock clock;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();

  /** @param client the client whose server's discovery is read */
  public DiscoveryScopes(KubernetesClient client) {
    this(client, Clock.systemUTC());
  }

  DiscoveryScopes(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  @Override
  public Optional<Boolean> clusterScoped(String group, String version, String kind) {
    String groupVersion = group.isEmpty() ? version : group + "/" + version;
    Instant now = clock.instant();
    Entry e = cache.get(groupVersion);
    if (e == null || now.isAfter(e.expires())) {
      e = load(groupVersion, now);
      cache.put(groupVersion, e);
    }
    return Optional.ofNullable(e.clusterScopedByKind().get(kind));
  }

  private Entry load(String groupVersion, Instant now) {
    APIResourceList list;
    try {
      list = client.getApiResources(groupVersion);
    } catch (RuntimeException e) {
      list = null;
    }
    if (list == null || list.getResources() == null) {
      return new Entry(Map.of(), now.plus(MISS_TTL));
    }
    Map<String, Boolean> byKind = new HashMap<>();
    list.getResources().stream().filter(r -> r.getName() != null && !r.getName().contains("/"))
        .forEach(r -> byKind.put(r.getKind(), !Boolean.TRUE.equals(r.getNamespaced())));
    return new Entry(Map.copyOf(byKind), now.plus(TTL));
  }
}
