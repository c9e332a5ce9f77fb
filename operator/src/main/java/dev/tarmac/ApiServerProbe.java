package dev.tarmac;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the API server's own {@code /readyz} (which includes its etcd check; readable by every authenticated
 * identity through the built-in ClusterRole {@code system:public-info-viewer}) every {@link #PERIOD}, each call
 * bounded by {@link #TIMEOUT}, so that the operator's {@code /readyz} can say at once, and why, that it cannot
 * reconcile: informers only notice a lost API server when a watch breaks, and keep serving a stale cache meanwhile.
 * The probe reads; it never fails the operator's {@code /healthz} (a restart does not bring an API server back).
 *
 * <p>It uses a client of its own, made from the operator's configuration without fabric8's request retries (by
 * default a failed request is retried 10 times over about 19 s, which would hide an outage from the probe).
 */
public final class ApiServerProbe implements AutoCloseable {

  /** Between two probes. */
  public static final Duration PERIOD = Duration.ofSeconds(2);
  /** The longest a probe may take: a slower answer counts as unreachable. */
  public static final Duration TIMEOUT = Duration.ofSeconds(3);

  private static final Logger LOG = LoggerFactory.getLogger(ApiServerProbe.class);

  /**
   * What the last probe found.
   *
   * @param reachable the API server answered {@code /readyz} with 200 within {@link #TIMEOUT}
   * @param detail why not (the error, or the status and the failing checks); {@code "ok"} when reachable
   * @param since when the current state (reachable or not) began, RFC 3339
   */
  public record State(boolean reachable, String detail, String since) {
  }

  private final KubernetesClient client;
  private final String url;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private volatile State state;

  /**
   * Starts probing at once, then every {@link #PERIOD}; until the first answer the API server counts as reachable
   * (the operator's start-up checked it).
   */
  public ApiServerProbe(KubernetesClient client, Clock clock) {
    this.client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
        new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration()).withRequestRetryBackoffLimit(0)
            .build()).build();
    String base = client.getConfiguration().getMasterUrl();
    this.url = base + (base.endsWith("/") ? "" : "/") + "readyz";
    this.clock = clock;
    this.state = new State(true, "ok", now());
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "apiserver-probe");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::probe, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The last result. */
  public State state() {
    return state;
  }

  /** Probes now (also called by the timer) and returns the new state. */
  public State probe() {
    String failure;
    try {
      HttpClient http = client.getHttpClient();
      HttpRequest request = http.newHttpRequestBuilder().uri(url)
          .timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).build();
      HttpResponse<String> response = http.sendAsync(request, String.class).get(TIMEOUT.toMillis() + 500,
          TimeUnit.MILLISECONDS);
      failure = response.code() == 200 ? null : "its /readyz answered HTTP " + response.code() + ": "
          + failingChecks(response.body());
    } catch (java.util.concurrent.TimeoutException e) {
      failure = "no answer within " + TIMEOUT.toSeconds() + " s";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return state;
    } catch (Exception e) {
      failure = rootMessage(e);
    }
    State before = state;
    boolean reachable = failure == null;
    String since = before.reachable() == reachable ? before.since() : now();
    State next = new State(reachable, reachable ? "ok" : failure, since);
    if (before.reachable() != reachable) {
      if (reachable) {
        LOG.info("the API server answers again (unreachable since {})", before.since());
      } else {
        LOG.warn("the API server is unreachable: {}", failure);
      }
    }
    state = next;
    return next;
  }

  /** The lines of a {@code /readyz} body that report a failed check ({@code [-]etcd failed: ...}), else the body. */
  static String failingChecks(String body) {
    if (body == null || body.isBlank()) {
      return "(no body)";
    }
    String failed = body.lines().filter(l -> l.startsWith("[-]")).map(l -> l.substring(3).trim())
        .reduce((a, b) -> a + "; " + b).orElse(null);
    String text = failed != null ? failed : body.strip();
    return text.length() > 300 ? text.substring(0, 297) + "..." : text;
  }

  private String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String rootMessage(Throwable e) {
    return ErrorStatus.describe(e);
  }

  @Override
  public void close() {
    timer.shutdownNow();
    client.close();
  }
}
