package dev.tarmac;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The operator's one HTTP port (Jetty 12, servlets): {@code /healthz} (the process is alive), {@code /readyz}
 * (informers synced and leadership known), {@code /metrics} (Prometheus text format), and whatever the capabilities
 * mount with {@link #mount} (the catalog API under {@code /api/catalog/}, the Git server under {@code /git/}).
 * {@code /healthz} and {@code /readyz} are open (kubelet probes); the others are guarded with {@link #protect}.
 */
public final class HttpServer implements AutoCloseable {

  /** Readiness as the operator reports it: ready or not, and why not. */
  public record Readiness(boolean ready, String detail) {
  }

  private final Server server;
  private final ServletContextHandler context;
  private final String host;
  private final int port;

  /**
   * Prepares the server; nothing listens until {@link #start()}.
   *
   * @param host address to bind, e.g. {@code 0.0.0.0} in a cluster or {@code 127.0.0.1} on a laptop
   * @param port TCP port; 0 picks a free one
   * @param metrics the registry {@code /metrics} scrapes
   * @param liveness asked on every {@code /healthz}; not ready means the process should be restarted
   * @param readiness asked on every {@code /readyz}
   */
  public HttpServer(String host, int port, PrometheusMeterRegistry metrics, Supplier<Readiness> liveness,
      Supplier<Readiness> readiness) {
    this.host = host;
    this.port = port;
    QueuedThreadPool threads = new QueuedThreadPool(32, 4);
    threads.setName("http");
    this.server = new Server(threads);
    this.context = new ServletContextHandler();
    context.setContextPath("/");
    mount("/healthz", new TextServlet(liveness));
    mount("/readyz", new TextServlet(readiness));
    mount("/metrics", new MetricsServlet(metrics));
    server.setHandler(context);
  }

  /**
   * Runs {@code filter} before whatever serves {@code pathSpec} (authentication and authorization of
   * {@code /metrics}, {@code /git/*}, {@code /api/catalog/*}).
   */
  public void protect(String pathSpec, jakarta.servlet.Filter filter) {
    context.addFilter(new org.eclipse.jetty.ee10.servlet.FilterHolder(filter), pathSpec,
        java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST));
  }

  /** Mounts {@code servlet} at {@code pathSpec} (a servlet path spec such as {@code /api/catalog/*}). */
  public void mount(String pathSpec, Servlet servlet) {
    context.addServlet(new ServletHolder(servlet), pathSpec);
  }

  /**
   * Starts listening.
   *
   * @throws IllegalStateException with a clear message when the port is taken or the address cannot be bound
   */
  public void start() {
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    try {
      server.start();
    } catch (Exception e) {
      Throwable cause = e;
      while (cause != null && !(cause instanceof BindException)) {
        cause = cause.getCause();
      }
      String why = cause != null ? "port " + port + " on " + host + " is taken (" + cause.getMessage()
          + "); choose another with --http-port" : e.getMessage();
      throw new IllegalStateException("cannot start the HTTP server: " + why, e);
    }
  }

  /** The address actually bound (useful when started on port 0). */
  public InetSocketAddress address() {
    ServerConnector c = (ServerConnector) server.getConnectors()[0];
    return new InetSocketAddress(host, c.getLocalPort());
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping the HTTP server failed", e);
    }
  }

  private static final class TextServlet extends HttpServlet {
    private final transient Supplier<Readiness> state;

    TextServlet(Supplier<Readiness> state) {
      this.state = state;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      Readiness r = state.get();
      resp.setStatus(r.ready() ? 200 : 503);
      resp.setContentType("text/plain; charset=utf-8");
      resp.getWriter().println(r.detail());
    }
  }

  private static final class MetricsServlet extends HttpServlet {
    private final transient PrometheusMeterRegistry registry;

    MetricsServlet(PrometheusMeterRegistry registry) {
      this.registry = registry;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.setStatus(200);
      resp.setContentType("text/plain; version=0.0.4; charset=utf-8");
      registry.scrape(resp.getOutputStream());
    }
  }
}
