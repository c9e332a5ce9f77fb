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

  private final KubernetesAuth auth;

  private HttpAuthenticator(KubernetesAuth auth) {
    this.auth = auth;
  }

  /** Checks bearer tokens (or basic-auth passwords) with {@code auth}. */
  public static HttpAuthenticator kubernetes(KubernetesAuth auth) {
    return new HttpAuthenticator(auth);
  }

  /** No authentication: every request may read everything. Only for a loopback address. */
  public static HttpAuthenticator anonymousRead() {
    return new HttpAuthenticator(null);
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
    return (ServletRequest request, ServletResponse response, FilterChain chain) -> {
      HttpServletRequest req = (HttpServletRequest) request;
      HttpServletResponse resp = (HttpServletResponse) response;
      Caller caller;
      try {
        caller = authenticate(req);
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

  private Caller authenticate(HttpServletRequest req) {
    if (auth == null) {
      return Caller.ANYONE;
    }
    Optional<String> token = KubernetesAuth.token(req.getHeader("Authorization"));
    if (token.isEmpty()) {
      return null;
    }
    return auth.authenticate(token.get()).map(u -> Caller.of(auth, u, token.get())).orElseGet(() -> {
      LOG.debug("a token sent to {} did not authenticate", req.getRequestURI());
      return null;
    });
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
