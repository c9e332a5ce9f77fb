package dev.tarmac.testing;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.resolver.ServiceNotEnabledException;

/**
 * A real smart-HTTP Git server on 127.0.0.1 (JGit's {@link GitServlet} in Jetty) serving bare repositories under a
 * folder, with HTTP basic auth: each user has a password and may read, or read and push, as a Git host's read-only
 * and read-write tokens do. Users can be changed while it runs (a rotated credential). Counts pushes it refused.
 */
public final class AuthGitServer implements AutoCloseable {

  /** A user: password and whether it may push. */
  public record User(String password, boolean write) {
  }

  private final Server server;
  private final Map<String, User> users = new ConcurrentHashMap<>();
  private final AtomicInteger refusedPushes = new AtomicInteger();

  /** Serves the bare repositories {@code <base>/<name>.git} at {@code /git/<name>.git}. */
  public AuthGitServer(Path base) throws Exception {
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    GitServlet git = new GitServlet();
    git.setRepositoryResolver((req, name) -> {
      try {
        return new FileRepositoryBuilder().setGitDir(base.resolve(name).toFile()).setMustExist(true).build();
      } catch (IOException e) {
        throw new org.eclipse.jgit.errors.RepositoryNotFoundException(name, e);
      }
    });
    git.setReceivePackFactory((req, db) -> {
      User u = users.get(String.valueOf(req.getAttribute("user")));
      if (u == null || !u.write()) {
        refusedPushes.incrementAndGet();
        // An authenticated user without write access: 403, as Git hosts answer a read-only token.
        throw new ServiceNotEnabledException("this credential may not push");
      }
      return new ReceivePack(db);
    });
    context.addServlet(new ServletHolder(git), "/git/*");
    context.addFilter(new FilterHolder(new BasicAuth()), "/*", EnumSet.allOf(jakarta.servlet.DispatcherType.class));
    server.setHandler(context);
    server.start();
  }

  /** Adds or replaces a user. */
  public AuthGitServer user(String name, String password, boolean write) {
    users.put(name, new User(password, write));
    return this;
  }

  /** Pushes refused because the user may only read. */
  public int refusedPushes() {
    return refusedPushes.get();
  }

  /** The URL of repository {@code name} (e.g. {@code remote.git}). */
  public String url(String name) {
    return "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/git/" + name;
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }

  private final class BasicAuth implements Filter {
    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
        throws IOException, ServletException {
      HttpServletRequest req = (HttpServletRequest) request;
      HttpServletResponse res = (HttpServletResponse) response;
      String header = req.getHeader("Authorization");
      if (header != null && header.startsWith("Basic ")) {
        String pair = new String(Base64.getDecoder().decode(header.substring(6)), StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        String name = colon < 0 ? pair : pair.substring(0, colon);
        User u = users.get(name);
        if (u != null && colon >= 0 && u.password().equals(pair.substring(colon + 1))) {
          req.setAttribute("user", name);
          chain.doFilter(request, response);
          return;
        }
      }
      res.setHeader("WWW-Authenticate", "Basic realm=\"git\"");
      res.sendError(401);
    }
  }
}
