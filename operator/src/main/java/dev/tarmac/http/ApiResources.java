package dev.tarmac.http;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The resource name (plural) of a kind, as SubjectAccessReviews need it, from the API server's discovery
 * ({@code /apis/<group>/<version>}); kinds of Promise requests appear when their CRD is installed, so each group
 * version is asked again at most every {@link #REFRESH} when a kind is missing, and its answer is kept otherwise.
 */
public final class ApiResources {

  /** Least time between two discovery calls for one group version. */
  static final Duration REFRESH = Duration.ofSeconds(5);

  private record Known(Map<String, String> pluralOfKind, long askedAt) {
  }

  private final KubernetesClient client;
  private final Map<String, Known> byGroupVersion = new java.util.concurrent.ConcurrentHashMap<>();

  /** @param client any client allowed discovery (every authenticated identity is) */
  public ApiResources(KubernetesClient client) {
    this.client = client;
  }

  /** The plural of {@code kind} in {@code apiVersion} (e.g. {@code platform.tarmac.dev/v1alpha1}); empty if unknown. */
  public Optional<String> plural(String apiVersion, String kind) {
    Known known = byGroupVersion.get(apiVersion);
    long now = System.nanoTime();
    if (known == null || !known.pluralOfKind().containsKey(kind) && now - known.askedAt() > REFRESH.toNanos()) {
      known = discover(apiVersion, now);
    }
    return Optional.ofNullable(known.pluralOfKind().get(kind));
  }

  private Known discover(String apiVersion, long now) {
    Map<String, String> plurals = new HashMap<>();
    try {
      APIResourceList list = client.getApiResources(apiVersion);
      if (list != null) {
        for (APIResource r : list.getResources()) {
          if (!r.getName().contains("/")) {
            plurals.put(r.getKind(), r.getName());
          }
        }
      }
    } catch (KubernetesClientException e) {
      // An unknown group version answers 404: no kinds; asked again after REFRESH.
    }
    Known known = new Known(Map.copyOf(plurals), now);
    byGroupVersion.put(apiVersion, known);
    return known;
  }
}
