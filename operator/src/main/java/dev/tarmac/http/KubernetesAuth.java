package dev.tarmac.http;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Who is calling and what they may do, asked of the Kubernetes API server the way kube-rbac-proxy does
 * (https://github.com/brancz/kube-rbac-proxy): the caller's bearer token goes to a {@code TokenReview}
 * (authentication.k8s.io/v1, https://kubernetes.io/docs/reference/access-authn-authz/authentication/#webhook-token-authentication)
 * which answers with a user name and groups; each decision is a {@code SubjectAccessReview} (authorization.k8s.io/v1,
 * https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access) for that user and those
 * groups, so the cluster's own RBAC decides who reads what.
 *
 * <p>Answers are cached: a token's review for {@link #TOKEN_TTL} (keyed by the token's SHA-256, never by the token;
 * a token that does not authenticate is cached too, so a flood of one garbage token costs one review), a decision for
 * {@link #DECISION_TTL} (keyed by user, groups and attributes). A revoked token or a removed RoleBinding therefore
 * stops working within those times, as with the API server's own webhook caches.
 */
public final class KubernetesAuth {

  /** How long a TokenReview answer is reused. */
  public static final Duration TOKEN_TTL = Duration.ofSeconds(45);
  /** How long a SubjectAccessReview answer is reused. */
  public static final Duration DECISION_TTL = Duration.ofSeconds(10);
  /** The most tokens and decisions remembered. */
  static final int TOKENS = 4096;
  static final int DECISIONS = 16384;

  /** An authenticated caller: the user name and groups the TokenReview returned. */
  public record User(String name, List<String> groups) {
  }

  /**
   * What a request needs, in SubjectAccessReview terms: a verb on a resource ({@code group} "" is the core group;
   * {@code namespace} "" is cluster-wide or a cluster-scoped resource; {@code name} null is any) or, with
   * {@code path} set, a verb on a non-resource URL such as {@code /metrics}.
   */
  public record Access(String verb, String group, String resource, String namespace, String name, String path) {

    /** A verb on a resource. */
    public static Access resource(String verb, String group, String resource, String namespace, String name) {
      return new Access(verb, group, resource, namespace == null ? "" : namespace, name, null);
    }

    /** A verb on a non-resource URL. */
    public static Access nonResource(String verb, String path) {
      return new Access(verb, null, null, null, null, path);
    }

    /** As a user reads it: {@code get gitstatestores.platform.tarmac.dev "default"}, {@code get /metrics}. */
    @Override
    public String toString() {
      if (path != null) {
        return verb + " " + path;
      }
      return verb + " " + resource + (group.isEmpty() ? "" : "." + group) + (name == null ? "" : " \"" + name + "\"")
          + (namespace.isEmpty() ? "" : " in namespace " + namespace);
    }
  }

  private record Decision(User user, Access access) {
  }

  private final KubernetesClient client;
  private final ExpiringCache<String, Optional<User>> tokens;
  private final ExpiringCache<Decision, Boolean> decisions;

  /** @param client the operator's client; its identity needs create on tokenreviews and subjectaccessreviews */
  public KubernetesAuth(KubernetesClient client) {
    this(client, TOKEN_TTL, DECISION_TTL, System::nanoTime);
  }

  /** With explicit cache times and clock (tests). */
  public KubernetesAuth(KubernetesClient client, Duration tokenTtl, Duration decisionTtl, LongSupplier nanos) {
    this.client = client;
    this.tokens = new ExpiringCache<>(tokenTtl.toNanos(), TOKENS, nanos);
    this.decisions = new ExpiringCache<>(decisionTtl.toNanos(), DECISIONS, nanos);
  }

  /**
   * The user a token belongs to, or empty when the API server does not authenticate it (unknown, expired, revoked).
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server cannot answer the review
   */
  public Optional<User> authenticate(String token) {
    return tokens.get(sha256(token), k -> review(token));
  }

  private Optional<User> review(String token) {
    TokenReview review = client.resource(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build())
        .create();
    var status = review.getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated()) || status.getUser() == null) {
      return Optional.empty();
    }
    List<String> groups = status.getUser().getGroups() == null ? List.of() : List.copyOf(status.getUser().getGroups());
    return Optional.of(new User(status.getUser().getUsername(), groups));
  }

  /**
   * True when RBAC (or whichever authorizers the cluster runs) allows {@code user} {@code access}.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server cannot answer the review
   */
  public boolean allowed(User user, Access access) {
    return decisions.get(new Decision(user, access), d -> subjectAccessReview(user, access));
  }

  private boolean subjectAccessReview(User user, Access access) {
    SubjectAccessReviewSpecBuilder spec = new SubjectAccessReviewSpecBuilder().withUser(user.name())
        .withGroups(user.groups());
    if (access.path() != null) {
      spec.withNewNonResourceAttributes().withVerb(access.verb()).withPath(access.path()).endNonResourceAttributes();
    } else {
      spec.withNewResourceAttributes().withVerb(access.verb()).withGroup(access.group())
          .withResource(access.resource()).withNamespace(access.namespace()).withName(access.name())
          .endResourceAttributes();
    }
    SubjectAccessReview review = client.authorization().v1().subjectAccessReview()
        .create(new SubjectAccessReviewBuilder().withSpec(spec.build()).build());
    return review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
  }

  /**
   * The token a request carries: {@code Authorization: Bearer <token>}, or HTTP basic auth whose password is the
   * token (the user name is ignored: Git clients, Argo CD and Flux repository credentials send a token that way).
   * Empty when there is none, the scheme is another, or the token is empty.
   */
  public static Optional<String> token(String authorization) {
    if (authorization == null) {
      return Optional.empty();
    }
    String h = authorization.trim();
    int space = h.indexOf(' ');
    if (space < 0) {
      return Optional.empty();
    }
    String scheme = h.substring(0, space);
    String value = h.substring(space + 1).trim();
    String token = null;
    if (scheme.equalsIgnoreCase("Bearer")) {
      token = value;
    } else if (scheme.equalsIgnoreCase("Basic")) {
      try {
        String pair = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        token = colon < 0 ? null : pair.substring(colon + 1);
      } catch (IllegalArgumentException notBase64) {
        return Optional.empty();
      }
    }
    return token == null || !plausibleToken(token) ? Optional.empty() : Optional.of(token);
  }

  /** True when {@code token} could be a bearer token: not blank, printable ASCII without spaces. */
  public static boolean plausibleToken(String token) {
    return !token.isBlank() && token.chars().allMatch(c -> c >= 0x21 && c <= 0x7e);
  }

  private static String sha256(String token) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
