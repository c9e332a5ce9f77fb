package dev.tarmac;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Asks the API server what the operator's own identity may do, with {@code SelfSubjectAccessReview}s
 * (https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access), so that a missing
 * RBAC rule becomes a condition that names the rule to add instead of an informer failing with 403 in a log.
 * Every authenticated identity may create SelfSubjectAccessReviews (the {@code system:basic-user} ClusterRole).
 *
 * <p>Allowed answers are cached for the life of the process; denied ones are asked again on the next call, so a
 * rule added later (a {@code helm upgrade}) is seen without a restart.
 */
public final class AccessReview {

  /** One verb on one resource, cluster-wide: {@code group} "" is the core group; {@code subresource} may be null. */
  public record Check(String verb, String group, String resource, String subresource) {

    /** {@code verb resource[/subresource].group}, as {@code kubectl auth can-i} prints it. */
    @Override
    public String toString() {
      return verb + " " + resource + (subresource == null ? "" : "/" + subresource)
          + (group.isEmpty() ? "" : "." + group);
    }
  }

  private final KubernetesClient client;
  private final Set<Check> allowed = ConcurrentHashMap.newKeySet();

  /** @param client connected as the identity to check (the operator's ServiceAccount in a cluster) */
  public AccessReview(KubernetesClient client) {
    this.client = client;
  }

  /**
   * The checks the API server denies, in the order given; empty when all are allowed.
   *
   * @throws KubernetesClientException when the API server cannot answer the review itself
   */
  public List<Check> denied(List<Check> checks) {
    List<Check> denied = new ArrayList<>();
    for (Check check : checks) {
      if (allowed.contains(check)) {
        continue;
      }
      SelfSubjectAccessReview review = client.authorization().v1().selfSubjectAccessReview().create(
          new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
              .withVerb(check.verb()).withGroup(check.group()).withResource(check.resource())
              .withSubresource(check.subresource())
              .endResourceAttributes().endSpec().build());
      if (review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed())) {
        allowed.add(check);
      } else {
        denied.add(check);
      }
    }
    return denied;
  }

  /**
   * What a controller of {@code group}/{@code plural} needs: list and watch (its informer), get and patch (its
   * reconciles), status and finalizer updates.
   */
  public static List<Check> controllerOf(String group, String plural) {
    return List.of(new Check("list", group, plural, null), new Check("watch", group, plural, null),
        new Check("patch", group, plural, null), new Check("patch", group, plural, "status"),
        new Check("update", group, plural, "finalizers"));
  }
}
