package dev.tarmac.api;

import io.fabric8.kubernetes.api.model.APIResource;
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
 * What the API server's discovery ({@code /api/v1}, {@code /apis/<group>/<version>}) says of a kind: its resource
 * name (plural, as SubjectAccessReviews need it) and whether it is namespaced (as output guardrails need it). One
 * discovery call per group version, shared by every user in the process. A group version's kinds are kept for
 * {@link #TTL}; a kind missing from it (a Promise's CRD installed since, or a group version not served yet) asks
 * again, at most every {@link #REFRESH}.
 */
public final class ApiResources {

  /** How long a served group version's kinds are kept. */
  public static final Duration TTL = Duration.ofMinutes(10);
  /** Least time between two discovery calls for one group version when a kind is missing from it. */
  public static final Duration REFRESH = Duration.ofSeconds(5);

  private record Known(Map<String, APIResource> byKind, Instant askedAt) {
  }

  private final KubernetesClient client;
  private final Clock clock;
  private final Map<String, Known> byGroupVersion = new ConcurrentHashMap<>();

  /** @param client any client allowed discovery (every authenticated identity is) */
  public ApiResources(KubernetesClient client) {
    this(client, Clock.systemUTC());
  }

  ApiResources(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /**
   * The top-level resource (no subresource) of {@code kind} in {@code apiVersion} ({@code v1},
   * {@code platform.tarmac.dev/v1alpha1}); empty when the server does not serve it.
   */
  public Optional<APIResource> resource(String apiVersion, String kind) {
    Instant now = clock.instant();
    Known known = byGroupVersion.get(apiVersion);
    if (known == null || now.isAfter(known.askedAt().plus(TTL))
        || !known.byKind().containsKey(kind) && now.isAfter(known.askedAt().plus(REFRESH))) {
      known = discover(apiVersion, now);
      byGroupVersion.put(apiVersion, known);
    }
    return Optional.ofNullable(known.byKind().get(kind));
  }

  /** The plural of {@code kind} in {@code apiVersion}; empty when unknown. */
  public Optional<String> plural(String apiVersion, String kind) {
    return resource(apiVersion, kind).map(APIResource::getName);
  }

  /** True when {@code kind} in {@code apiVersion} is cluster-scoped, false when namespaced; empty when unknown. */
  public Optional<Boolean> clusterScoped(String apiVersion, String kind) {
    return resource(apiVersion, kind).map(r -> !Boolean.TRUE.equals(r.getNamespaced()));
  }

  private Known discover(String apiVersion, Instant now) {
    APIResourceList list;
    try {
      list = client.getApiResources(apiVersion);
    } catch (RuntimeException e) {
      // An unknown group version answers 404: no kinds, so asked again after REFRESH.
      list = null;
    }
    if (list == null || list.getResources() == null) {
      return new Known(Map.of(), now);
    }
    Map<String, APIResource> byKind = new HashMap<>();
    for (APIResource r : list.getResources()) {
      if (r.getName() != null && !r.getName().contains("/")) {
        byKind.put(r.getKind(), r);
      }
    }
    return new Known(Map.copyOf(byKind), now);
  }
}
