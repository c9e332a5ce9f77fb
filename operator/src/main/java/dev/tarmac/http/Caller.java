package dev.tarmac.http;

import jakarta.servlet.http.HttpServletRequest;

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
   * The Kubernetes token the caller authenticated with (an {@code Authorization} header, or the portal's sign-in
   * cookie), for acting as the caller against the API server; empty for {@link #ANYONE}, {@link #NOBODY} and callers
   * an authenticating proxy named ({@link #user()} is set for those: impersonate them).
   */
  default java.util.Optional<String> token() {
    return java.util.Optional.empty();
  }

  /** The user name and groups the API server (TokenReview) or a trusted proxy gave; empty for ANYONE and NOBODY. */
  default java.util.Optional<KubernetesAuth.User> user() {
    return java.util.Optional.empty();
  }

  /** The caller of {@code req}, {@link #NOBODY} when it was not authenticated. */
  static Caller of(HttpServletRequest req) {
    Object c = req.getAttribute(ATTRIBUTE);
    return c instanceof Caller caller ? caller : NOBODY;
  }

  /** A user the API server authenticated; decisions are SubjectAccessReviews (cached). */
  static Caller of(KubernetesAuth auth, KubernetesAuth.User user) {
    return of(auth, user, null);
  }

  /**
   * A user authenticated by {@code token} (null: by a trusted proxy's headers); decisions are SubjectAccessReviews
   * for the user and groups (cached).
   */
  static Caller of(KubernetesAuth auth, KubernetesAuth.User user, String token) {
    return new Caller() {
      @Override
      public java.util.Optional<String> token() {
        return java.util.Optional.ofNullable(token);
      }

      @Override
      public java.util.Optional<KubernetesAuth.User> user() {
        return java.util.Optional.of(user);
      }

      @Override
      public boolean may(KubernetesAuth.Access access) {
        return auth.allowed(user, access);
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
