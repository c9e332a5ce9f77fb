package dev.tarmac.statestore;

import dev.tarmac.http.Caller;
import dev.tarmac.http.HttpAuthenticator;
import dev.tarmac.http.KubernetesAuth;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Who may read which repository of the {@link EmbeddedGitServer} ({@code /git/<name>.git}): the repository of a
 * GitStateStore needs {@code get} on that GitStateStore (cluster-scoped, {@code gitstatestores.platform.tarmac.dev});
 * a repository scaffolded for a Component ({@code publish:git}) needs {@code get} on that Component in its namespace.
 * Pushing ({@code git-receive-pack}) is refused to everyone: Tarmac alone writes these repositories.
 *
 * <p>Authorization comes before existence, as on the Kubernetes API server: a caller who may not read a repository
 * gets the same {@code 403} whether it exists or not, with the same message, so names do not leak; a caller allowed
 * {@code get} on the GitStateStore of that name learns that it does not exist ({@code 404}, from JGit).
 */
public final class GitAccess implements HttpAuthenticator.Guard {

  private static final Pattern REPO = Pattern.compile("/([A-Za-z0-9][A-Za-z0-9._-]{0,99}?)(?:\\.git)?(/.*)?");

  private final Function<String, Optional<KubernetesAuth.Access>> owner;

  /**
   * @param owner a repository name (without {@code .git}) → the object whose {@code get} allows reading it; empty
   *     when no GitStateStore or Component owns it
   */
  public GitAccess(Function<String, Optional<KubernetesAuth.Access>> owner) {
    this.owner = owner;
  }


  /** The access reading a repository scaffolded for Component {@code namespace/name} needs. */
  public static KubernetesAuth.Access component(String namespace, String name) {
    return KubernetesAuth.Access.resource("get", "platform.tarmac.dev", "components", namespace, name);
  }

  /**
   * The access reading the repository of GitStateStore {@code name} needs; also what a repository nothing owns
   * needs, so that its answer is the same as for a store the caller may not read.
   */
  public static KubernetesAuth.Access gitStateStore(String name) {
    return KubernetesAuth.Access.resource("get", "platform.tarmac.dev", "gitstatestores", "", name);
  }

  @Override
  public boolean admit(HttpServletRequest req, HttpServletResponse resp, Caller caller) throws IOException {
    String path = req.getPathInfo() == null ? "" : req.getPathInfo();
    var m = REPO.matcher(path);
    if (!m.matches()) {
      HttpAuthenticator.refuse(req, resp, 404, "not found: repositories are /git/<name>.git");
      return false;
    }
    String name = m.group(1);
    String rest = m.group(2) == null ? "" : m.group(2);
    if (rest.endsWith("/git-receive-pack") || "git-receive-pack".equals(req.getParameter("service"))) {
      HttpAuthenticator.refuse(req, resp, 403, "forbidden: /git is read-only; Tarmac writes these repositories");
      return false;
    }
    if (caller.unrestricted()) {
      return true;
    }
    KubernetesAuth.Access needed = owner.apply(name).orElse(gitStateStore(name));
    if (caller.may(needed)) {
      return true;
    }
    HttpAuthenticator.refuse(req, resp, 403, "forbidden: " + caller.name() + " may not read /git/" + name
        + ".git: it needs get on gitstatestores.platform.tarmac.dev \"" + name
        + "\", or on the Component that scaffolded it");
    return false;
  }
}
