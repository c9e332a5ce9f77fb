package dev.tarmac.portal;

import dev.tarmac.api.Api;
import dev.tarmac.api.Component;
import dev.tarmac.http.Caller;
import dev.tarmac.http.KubernetesAuth;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * Creates a Component from the portal AS the person who asked, never with the operator's own rights: with the
 * caller's own Kubernetes token (a bearer token, or the one a portal sign-in keeps) in a client of its own against the
 * operator's API server; or, for an identity an authenticating proxy vouched for (no token), by impersonating that
 * user and groups (Kubernetes' {@code Impersonate-User}/{@code Impersonate-Group}, see
 * https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation), only when the operator
 * was started with {@code --portal-impersonation} (chart {@code goldenPaths.impersonate}), which also grants it
 * {@code impersonate} on users and groups. Either way the API server applies the caller's RBAC and admission, and
 * records the caller in its audit log.
 */
public final class CreateAs {

  /** How a Component would be created. */
  public enum How {
    /** With the caller's own token. */
    TOKEN,
    /** With the operator's client impersonating the caller. */
    IMPERSONATION,
    /** Not at all: only the YAML is shown. */
    NONE
  }

  /** What {@link #decide} found: how, and for {@link How#NONE} why not (a sentence the page shows). */
  public record Decision(How how, String reason) {
    /** True when a Create action is offered. */
    public boolean allowed() {
      return how != How.NONE;
    }
  }

  /** The access a caller needs: {@code create} on {@code components.platform.tarmac.dev} in {@code namespace}. */
  public static KubernetesAuth.Access access(String namespace) {
    return KubernetesAuth.Access.resource("create", Api.GROUP, "components", namespace, null);
  }

  private final KubernetesClient operator;
  private final boolean impersonation;

  /**
   * @param operator the operator's client: its API server and CA are used for token clients; with
   *     {@code impersonation} its identity impersonates the caller (and needs {@code impersonate} on users and groups)
   * @param impersonation whether proxy-vouched identities may be impersonated ({@code --portal-impersonation})
   */
  public CreateAs(KubernetesClient operator, boolean impersonation) {
    this.operator = operator;
    this.impersonation = impersonation;
  }

  /**
   * Whether and how {@code caller} may create a Component in {@code namespace}: the identity must be one that can act
   * (a token, or a proxy identity with impersonation on) and a SubjectAccessReview must allow {@link #access}.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server cannot answer the review
   */
  public Decision decide(Caller caller, String namespace) {
    return decide(caller, namespace, impersonation);
  }

  /** {@link #decide(Caller, String)} with the impersonation switch given (unit tests). */
  static Decision decide(Caller caller, String namespace, boolean impersonation) {
    if (caller.unrestricted()) {
      return new Decision(How.NONE, "The portal is open without sign-in (--anonymous-read), so there is no identity"
          + " to create the Component as. Apply the YAML with kubectl, or commit it to Git.");
    }
    How how;
    if (caller.token().isPresent()) {
      how = How.TOKEN;
    } else if (caller.user().isPresent()) {
      if (!impersonation) {
        return new Decision(How.NONE, "You signed in through the authenticating proxy, which passes no Kubernetes"
            + " token, and the operator does not impersonate users (--portal-impersonation, chart value"
            + " goldenPaths.impersonate). Apply the YAML with kubectl, or commit it to Git.");
      }
      how = How.IMPERSONATION;
    } else {
      return new Decision(How.NONE, "You are not signed in. Apply the YAML with kubectl, or commit it to Git.");
    }
    if (!caller.may(access(namespace))) {
      return new Decision(How.NONE, caller.name() + " may not create components.platform.tarmac.dev in namespace "
          + namespace + ": ask for a Role granting create on components there, or apply the YAML through Git.");
    }
    return new Decision(how, null);
  }

  /**
   * Creates {@code component} as {@code caller}, as {@code decision} says; returns what the API server stored.
   *
   * @throws IllegalArgumentException when {@code decision} does not allow it
   * @throws io.fabric8.kubernetes.client.KubernetesClientException as the API server answers (409 when it exists,
   *     403 when RBAC changed since the review)
   */
  public Component create(Caller caller, Decision decision, Component component) {
    if (!decision.allowed()) {
      throw new IllegalArgumentException(decision.reason());
    }
    try (KubernetesClient as = client(caller, decision.how())) {
      return as.resources(Component.class).inNamespace(component.getMetadata().getNamespace()).resource(component)
          .create();
    }
  }

  private KubernetesClient client(Caller caller, How how) {
    Config base = operator.getConfiguration();
    Config config;
    if (how == How.TOKEN) {
      // Only the server and how to trust it are taken from the operator's configuration: no client certificate,
      // token file or exec plugin of the operator's, so the request carries the caller's identity alone.
      config = new ConfigBuilder(Config.empty()).withMasterUrl(base.getMasterUrl())
          .withCaCertData(base.getCaCertData()).withCaCertFile(base.getCaCertFile())
          .withTrustCerts(base.isTrustCerts()).withDisableHostnameVerification(base.isDisableHostnameVerification())
          .withRequestTimeout(base.getRequestTimeout()).withConnectionTimeout(base.getConnectionTimeout())
          .withRequestRetryBackoffLimit(0).withOauthToken(caller.token().orElseThrow()).build();
    } else {
      KubernetesAuth.User user = caller.user().orElseThrow();
      config = new ConfigBuilder(base).withImpersonateUsername(user.name())
          .withImpersonateGroups(user.groups().toArray(String[]::new)).withRequestRetryBackoffLimit(0).build();
    }
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
