package dev.tarmac.http;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;

/**
 * Who sent an HTTP request, as {@link HttpAuthenticator} found out, and what they may do. Servlets behind the
 * authenticator read it with {@link #of}; a request that did not pass through it may do nothing (fail closed).
 */
public interface Caller {

  /** The request attribute holding the caller. */
  String ATTRIBUTE = Caller.class.getName();

  /** May do everything: {@code --anonymous-read} on a loopback address. */
  Caller ANYONE = new Caller() {
    @Override
    public boolean may(KubernetesAuth.Access access) {
      return true;
    }

    @Override
    public boolean unrestricted() {
      return true;
    }

    @Override
    public String name() {
      return "anonymous";
    }
  };

  /** May do nothing: a request that was not authenticated. */
  Caller NOBODY = new Caller() {
    @Override
    public boolean may(KubernetesAuth.Access access) {
      return false;
    }

    @Override
    public boolean unrestricted() {
      return false;
    }

    @Override
    public String name() {
      return "nobody";
    }
  };

  /**
   * True when the caller is allowed {@code access}.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server cannot answer
   */
  boolean may(KubernetesAuth.Access access);

  /** True when every check passes without asking (anonymous read): callers may skip filtering altogether. */
  boolean unrestricted();

  /** The user name, for logs and messages (never a token). */
  String name();

  /**
   * The Kubernetes bearer token this caller authenticated with (an {@code Authorization} header, or a portal sign-in
   * that keeps one), so that a request can be made to the API server AS the caller (the golden-path pages create a
   * Component with it). Empty when the identity came another way (anonymous read, an authenticating proxy's headers).
   * Never log it.
   */
  default Optional<String> token() {
    return Optional.empty();
  }

  /**
   * The user name and groups the API server (TokenReview) or a trusted proxy vouched for; empty for
   * {@link #ANYONE} and {@link #NOBODY}. With {@link #token()} empty this is what impersonation would act as.
   */
  default Optional<KubernetesAuth.User> user() {
    return Optional.empty();
  }

  /** The caller of {@code req}, {@link #NOBODY} when it was not authenticated. */
  static Caller of(HttpServletRequest req) {
    Object c = req.getAttribute(ATTRIBUTE);
    return c instanceof Caller caller ? caller : NOBODY;
  }

  /**
   * A user whose identity came without a token (a trusted proxy's headers); decisions are SubjectAccessReviews
   * (cached).
   */
  static Caller of(KubernetesAuth auth, KubernetesAuth.User user) {
    return of(auth, user, null);
  }

  /**
   * A user the API server authenticated from {@code token} (null when there is none); decisions are
   * SubjectAccessReviews (cached).
   */
  static Caller of(KubernetesAuth auth, KubernetesAuth.User user, String token) {
    return of(user, token, access -> auth.allowed(user, access));
  }

  /**
   * A user with {@code token} (null when there is none) whose every decision is {@code allowed}: the one
   * implementation behind {@link #of(KubernetesAuth, KubernetesAuth.User, String)}, and the way tests state a
   * caller's permissions without an API server.
   */
  static Caller of(KubernetesAuth.User user, String token,
      java.util.function.Predicate<KubernetesAuth.Access> allowed) {
    return new Caller() {
      @Override
      public Optional<String> token() {
        return Optional.ofNullable(token);
      }

      @Override
      public Optional<KubernetesAuth.User> user() {
        return Optional.of(user);
      }

      @Override
      public boolean may(KubernetesAuth.Access access) {
        return allowed.test(access);
      }

      @Override
      public boolean unrestricted() {
        return false;
      }

      @Override
      public String name() {
        return user.name();
      }
    };
  }
}
