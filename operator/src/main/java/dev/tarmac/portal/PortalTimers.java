package dev.tarmac.portal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The portal's server time per page: the Micrometer timer {@code tarmac.portal.request}, on {@code /metrics} as
 * {@code tarmac_portal_request_seconds{page}} (count, sum, max, and buckets at the service-level objectives below,
 * so {@code tarmac_portal_request_seconds_bucket{le="0.05"}} over {@code _count} is the share of requests within the
 * issue's goal of 50 ms). The {@code page} label is one of {@link #PAGES}, never a path, so its values stay few.
 */
public final class PortalTimers {

  /**
   * The values of the {@code page} label: {@code catalog}, {@code entity}, {@code scorecards}, {@code requests},
   * {@code requests-rows} (the requests page's polling), {@code golden-paths} (list, form, review, create, status),
   * {@code sign-in} and {@code other} (redirects, static files, not found).
   */
  public static final List<String> PAGES = List.of("catalog", "entity", "scorecards", "requests", "requests-rows",
      "golden-paths", "sign-in", "other");

  private final Map<String, Timer> timers;

  /** Registers one timer per page in {@code registry} (registering again returns the same timers). */
  public PortalTimers(MeterRegistry registry) {
    this.timers = PAGES.stream().collect(Collectors.toUnmodifiableMap(p -> p, p -> Timer
        .builder("tarmac.portal.request")
        .description("Server time of portal requests, from the servlet's start to the page written")
        .tag("page", p)
        .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1))
        .register(registry)));
  }

  /** A servlet's handling of one request. */
  @FunctionalInterface
  interface Handling {
    void run() throws jakarta.servlet.ServletException, java.io.IOException;
  }

  /**
   * Runs {@code handling} and records its time for {@code page}, also when it throws (servlets wrap their
   * {@code service} in it).
   */
  void time(String page, Handling handling) throws jakarta.servlet.ServletException, java.io.IOException {
    long start = System.nanoTime();
    try {
      handling.run();
    } finally {
      record(page, start);
    }
  }

  /**
   * Records the time since {@code startNanos} ({@link System#nanoTime()}) for {@code page}.
   *
   * @throws IllegalArgumentException when {@code page} is not one of {@link #PAGES} (a bug in Tarmac)
   */
  void record(String page, long startNanos) {
    Timer t = timers.get(page);
    if (t == null) {
      throw new IllegalArgumentException("not a portal page label: " + page);
    }
    t.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }
}
