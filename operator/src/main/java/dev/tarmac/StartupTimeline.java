package dev.tarmac;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When each phase of this process's start-up ended, in seconds since the process started (the kernel's start time of
 * the process, {@link ProcessHandle.Info#startInstant()}, so the JVM's own start is counted): {@code jvm} (to
 * {@code main}), {@code cli} (command line parsed), {@code client} (Kubernetes client built), {@code crds} (CRDs
 * checked or installed and Established), {@code state-stores} (Destination and GitStateStore informers listed),
 * {@code promise-runtime} (Work and Job informers listed), {@code reconcilers} (controllers registered),
 * {@code registered} (HTTP routes built),
 * {@code http} (HTTP server listening), {@code controllers} (every controller's informers listed their kinds: JOSDK
 * starts them all at once and logs when each did), {@code catalog} (catalog informers listed and first index
 * built), {@code leader} (the Lease taken, with leader election), {@code ready} ({@code /readyz} first answered
 * 200). Each phase is logged at INFO when it ends and exported as the gauge {@code tarmac_startup_seconds{phase}}
 * (docs/benchmarks.md, "Start-up"). Only the first time a phase ends counts: an operator restarted in the same
 * process ({@link OperatorSupervisor}) does not move the figures.
 */
public final class StartupTimeline {

  /** The timeline of this process. */
  public static final StartupTimeline PROCESS = new StartupTimeline(ProcessHandle.current().info().startInstant()
      .orElseGet(() -> Instant.ofEpochMilli(java.lang.management.ManagementFactory.getRuntimeMXBean()
          .getStartTime())));

  private final Instant start;
  private final Map<String, Double> phases = new LinkedHashMap<>();
  private final java.util.Set<String> logged = new java.util.HashSet<>();

  /** A timeline whose phases count from {@code start}. */
  StartupTimeline(Instant start) {
    this.start = start;
  }

  /**
   * Records that {@code phase} ended now, without logging it yet (before the log format is chosen); the next
   * {@link #mark} logs it. A phase already recorded keeps its first time.
   */
  public synchronized void record(String phase) {
    phases.putIfAbsent(phase, Duration.between(start, Instant.now()).toNanos() / 1e9);
  }

  /**
   * Records that {@code phase} ended now and logs it at INFO with its elapsed seconds (and any phase recorded but not
   * logged yet); returns its seconds. A phase already recorded keeps its first time (those seconds are returned).
   */
  public synchronized double mark(String phase) {
    record(phase);
    for (var e : phases.entrySet()) {
      if (logged.add(e.getKey())) {
        // Looked up here, not in a static field: the first phase is recorded before logging is set up, and would
        // otherwise count logback's configuration as the JVM's start.
        Logger log = LoggerFactory.getLogger(StartupTimeline.class);
        log.info("start-up: {} at {} s", e.getKey(), String.format(java.util.Locale.ROOT, "%.3f", e.getValue()));
      }
    }
    return phases.get(phase);
  }

  /** The phases recorded so far, in the order they ended: name → seconds since the process started. */
  public synchronized Map<String, Double> phases() {
    return Map.copyOf(phases);
  }

  /**
   * Exports {@code tarmac_startup_seconds{phase}} on {@code registry}: one gauge per phase recorded so far and per
   * phase recorded later (NaN until it ends).
   */
  public void bindTo(MeterRegistry registry, Iterable<String> expected) {
    java.util.Set<String> names = new java.util.LinkedHashSet<>(phases().keySet());
    expected.forEach(names::add);
    for (String phase : names) {
      Gauge.builder("tarmac.startup.seconds", this, t -> t.phases().getOrDefault(phase, Double.NaN))
          .tag("phase", phase).baseUnit("seconds")
          .description("Seconds from process start to the end of each start-up phase").register(registry);
    }
  }
}
