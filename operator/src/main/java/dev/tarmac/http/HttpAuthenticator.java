package dev.tarmac.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every request to a protected path ({@code /git}, {@code /api/catalog}, {@code /metrics}) before its
 * servlet runs, as kube-rbac-proxy does in front of a metrics port: no credentials or a token the API server does
 * not accept is {@code 401} with {@code WWW-Authenticate: Basic realm="tarmac"} (Git retries with the credentials it
 * has) and {@code Bearer realm="tarmac"}; a {@link Guard} then decides per path, {@code 403} naming what is missing.
 * The {@link Caller} is left in the request for the servlet (the catalog filters entities with it).
 *
 * <p>With {@link #anonymousRead()} every request is {@link Caller#ANYONE}: today's local experience, allowed only on a
 * loopback address ({@link #checkAnonymousRead}).
 *
 * <p>The portal's pages use {@link #browserFilter}: browsers send no bearer token, so it also takes the token from
 * the {@link #TOKEN_COOKIE} cookie the sign-in page sets, and — only when the operator was started with
 * {@code --portal-trusted-proxy-headers} ({@link #withTrustedProxyHeaders}) — the user and groups an authenticating
 * proxy such as oauth2-proxy puts in {@code X-Forwarded-User}/{@code X-Forwarded-Groups} (or
 * {@code X-Auth-Request-User}/{@code X-Auth-Request-Groups}); what that user may do is still asked of the API server
 * (SubjectAccessReview). A browser that is not signed in is sent to {@code /sign-in} instead of a 401.
 */
public final class HttpAuthenticator {

  private static final Logger LOG = LoggerFactory.getLogger(HttpAuthenticator.class);

  /** A per-path decision after authentication. */
  @FunctionalInterface
  public interface Guard {
    /**
     * Checks {@code caller} for this request; writes the refusal and returns false when it is not allowed.
     *
     * @throws IOException when the response cannot be written
     */
    boolean admit(HttpServletRequest req, HttpServletResponse resp, Caller caller) throws IOException;

    /** Admits every authenticated caller (the servlet filters what it returns). */
    Guard AUTHENTICATED = (req, resp, caller) -> true;

    /** Admits a caller allowed {@code access}; else 403 naming it. */
    static Guard require(KubernetesAuth.Access access) {
      return (req, resp, caller) -> {
        if (caller.may(access)) {
          return true;
        }
        refuse(req, resp, 403, "forbidden: " + caller.name() + " may not " + access + " (ask for a Role granting it)");
        return false;
      };
    }
  }

  /** The cookie holding the Kubernetes token a user pasted into the portal's sign-in page. */
  public static final String TOKEN_COOKIE = "tarmac_token";
  /** The portal's sign-in page; unauthenticated browsers are redirected to it with {@code ?next=<path>}. */
  public static final String SIGN_IN = "/sign-in";
  /** Headers naming the user, in the order they are read (oauth2-proxy's two spellings). */
  public static final java.util.List<String> USER_HEADERS = java.util.List.of("X-Forwarded-User",
      "X-Auth-Request-User");
  /** Headers naming the user's groups, comma-separated. */
  public static final java.util.List<String> GROUPS_HEADERS = java.util.List.of("X-Forwarded-Groups",
      "X-Auth-Request-Groups");

  private final KubernetesAuth auth;
  private final boolean trustProxyHeaders;

  private HttpAuthenticator(KubernetesAuth auth, boolean trustProxyHeaders) {
    this.auth = auth;
    this.trustProxyHeaders = trustProxyHeaders;
  }

  /** Checks bearer tokens (or basic-auth passwords) with {@code auth}. */
  public static HttpAuthenticator kubernetes(KubernetesAuth auth) {
    return new HttpAuthenticator(auth, false);
  }

  /** No authentication: every request may read everything. Only for a loopback address. */
  public static HttpAuthenticator anonymousRead() {
    return new HttpAuthenticator(null, false);
  }

  /**
   * The same authenticator, taking the portal's user from an authenticating proxy's headers when {@code trust} (see
   * the class comment). Only for an operator that nothing but that proxy can reach: the headers are believed as sent.
   */
  public HttpAuthenticator withTrustedProxyHeaders(boolean trust) {
    return new HttpAuthenticator(auth, trust);
  }

  /** True when the portal believes an authenticating proxy's user headers. */
  public boolean trustsProxyHeaders() {
    return trustProxyHeaders && auth != null;
  }

  /**
   * The user {@code token} belongs to (the sign-in page checks a pasted token before storing it).
   *
   * @throws IllegalStateException for {@link #anonymousRead()}, which checks no tokens
   * @throws KubernetesClientException when the API server cannot answer the TokenReview
   */
  public Optional<KubernetesAuth.User> authenticateToken(String token) {
    if (auth == null) {
      throw new IllegalStateException("anonymous read checks no tokens");
    }
    return auth.authenticate(token);
  }

  /** True for {@link #anonymousRead()}. */
  public boolean anonymous() {
    return auth == null;
  }

  /**
   * Refuses anonymous read on an address other hosts can reach.
   *
   * @throws IllegalArgumentException when {@code host} is not a loopback address (127.0.0.0/8, ::1, localhost)
   */
  public static void checkAnonymousRead(String host) {
    boolean loopback;
    try {
      loopback = InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      loopback = false;
    }
    if (!loopback) {
      throw new IllegalArgumentException("--anonymous-read serves /git, /api/catalog and /metrics to anyone, so it"
          + " is allowed only on a loopback address (e.g. --http-host 127.0.0.1), not on " + host);
    }
  }

  /** The servlet filter for one protected path, deciding with {@code guard} after authentication. */
  public Filter filter(Guard guard) {
    return filter(guard, false);
  }

  /**
   * The servlet filter for the portal's pages: as {@link #filter}, with the token also read from
   * {@link #TOKEN_COOKIE}, an authenticating proxy's headers believed when {@link #trustsProxyHeaders()}, and a
   * browser that is not signed in redirected ({@code 303}) to {@link #SIGN_IN} with the page it asked for in
   * {@code next}; a request that is not a page navigation (the requests page's polling) gets a plain 401.
   */
  public Filter browserFilter(Guard guard) {
    return filter(guard, true);
  }

  private Filter filter(Guard guard, boolean browser) {
    return (ServletRequest request, ServletResponse response, FilterChain chain) -> {
      HttpServletRequest req = (HttpServletRequest) request;
      HttpServletResponse resp = (HttpServletResponse) response;
      Caller caller;
      try {
        caller = authenticate(req, browser);
        if (caller == null && browser && acceptsHtml(req) && "GET".equals(req.getMethod())) {
          String next = req.getRequestURI() + (req.getQueryString() == null ? "" : "?" + req.getQueryString());
          resp.setStatus(303);
          resp.setHeader("Location", SIGN_IN + "?next=" + java.net.URLEncoder.encode(next,
              java.nio.charset.StandardCharsets.UTF_8));
          return;
        }
        if (caller == null) {
          resp.addHeader("WWW-Authenticate", "Basic realm=\"tarmac\"");
          resp.addHeader("WWW-Authenticate", "Bearer realm=\"tarmac\"");
          refuse(req, resp, 401, "unauthorized: send a Kubernetes token as 'Authorization: Bearer <token>' (or as the"
              + " basic-auth password for Git), e.g. from 'kubectl create token <serviceaccount>'");
          return;
        }
        req.setAttribute(Caller.ATTRIBUTE, caller);
        if (!guard.admit(req, resp, caller)) {
          return;
        }
      } catch (KubernetesClientException e) {
        LOG.warn("cannot review the credentials of a request to {}: {}", req.getRequestURI(), e.getMessage());
        refuse(req, resp, 503, "cannot check credentials now: the Kubernetes API server did not answer");
        return;
      }
      chain.doFilter(req, resp);
    };
  }

  private Caller authenticate(HttpServletRequest req, boolean browser) {
    if (auth == null) {
      return Caller.ANYONE;
    }
    if (browser && trustProxyHeaders) {
      Optional<KubernetesAuth.User> proxied = proxyUser(req::getHeader);
      if (proxied.isPresent()) {
        return Caller.of(auth, proxied.get(), null);
      }
    }
    Optional<String> token = KubernetesAuth.token(req.getHeader("Authorization"));
    if (token.isEmpty() && browser) {
      token = cookie(req, TOKEN_COOKIE).filter(KubernetesAuth::plausibleToken);
    }
    if (token.isEmpty()) {
      return null;
    }
    String t = token.get();
    return auth.authenticate(t).map(u -> Caller.of(auth, u, t)).orElseGet(() -> {
      LOG.debug("a token sent to {} did not authenticate", req.getRequestURI());
      return null;
    });
  }

  /**
   * The user an authenticating proxy names in its headers ({@link #USER_HEADERS}, {@link #GROUPS_HEADERS}), with the
   * group {@code system:authenticated} added as the API server adds it to every authenticated user; empty when no
   * user header is set or its value is blank or holds control characters.
   *
   * @param headers a request's header by name (null when absent)
   */
  public static Optional<KubernetesAuth.User> proxyUser(java.util.function.Function<String, String> headers) {
    String user = first(headers, USER_HEADERS);
    if (user == null || user.isBlank() || user.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return Optional.empty();
    }
    java.util.LinkedHashSet<String> groups = new java.util.LinkedHashSet<>();
    String list = first(headers, GROUPS_HEADERS);
    if (list != null) {
      for (String g : list.split(",")) {
        if (!g.isBlank() && g.trim().chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
          groups.add(g.trim());
        }
      }
    }
    groups.add("system:authenticated");
    return Optional.of(new KubernetesAuth.User(user.trim(), java.util.List.copyOf(groups)));
  }

  private static String first(java.util.function.Function<String, String> headers, java.util.List<String> names) {
    for (String n : names) {
      String v = headers.apply(n);
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  /** The value of cookie {@code name} in {@code req}, if sent. */
  public static Optional<String> cookie(HttpServletRequest req, String name) {
    jakarta.servlet.http.Cookie[] cookies = req.getCookies();
    if (cookies == null) {
      return Optional.empty();
    }
    for (jakarta.servlet.http.Cookie c : cookies) {
      if (c.getName().equals(name) && c.getValue() != null && !c.getValue().isEmpty()) {
        return Optional.of(c.getValue());
      }
    }
    return Optional.empty();
  }

  private static boolean acceptsHtml(HttpServletRequest req) {
    String accept = req.getHeader("Accept");
    return accept != null && accept.contains("text/html");
  }

  /**
   * Writes a refusal: Backstage's error shape under {@code /api/catalog}, plain text elsewhere (Git prints it).
   *
   * @throws IOException when the response cannot be written
   */
  public static void refuse(HttpServletRequest req, HttpServletResponse resp, int status, String message)
      throws IOException {
    resp.setStatus(status);
    if (req.getRequestURI().startsWith("/api/")) {
      ObjectNode body = Serialization.JSON.createObjectNode();
      body.putObject("error").put("name", switch (status) {
        case 401 -> "AuthenticationError";
        case 403 -> "NotAllowedError";
        case 404 -> "NotFoundError";
        default -> "ServiceUnavailableError";
      }).put("message", message);
      body.putObject("request").put("method", req.getMethod()).put("url", req.getRequestURI());
      body.putObject("response").put("statusCode", status);
      resp.setContentType("application/json; charset=utf-8");
      Serialization.JSON.writeValue(resp.getOutputStream(), body);
    } else {
      resp.setContentType("text/plain; charset=utf-8");
      resp.getWriter().println(message);
    }
  }
}
