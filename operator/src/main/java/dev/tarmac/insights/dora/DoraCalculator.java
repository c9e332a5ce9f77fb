package dev.tarmac.insights.dora;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The four DORA metrics from {@link DoraHistory histories}. Pure. Definitions (docs/insights.md):
 * <ul>
 *   <li><b>Deployment frequency</b>: deployments that delivered a change (rollbacks excluded) and became available in
 *       the window, divided by the window's length in days.</li>
 *   <li><b>Lead time for changes</b>: the median, over those deployments whose commit time is known, of
 *       available time minus commit time. A commit time up to {@link Settings#maxClockSkew} after the available time
 *       counts as zero (clocks disagree); a later one is left out as implausible.</li>
 *   <li><b>Change failure rate</b>: the share of those deployments that failed. A deployment failed when, within
 *       {@link Settings#failureWindow} after it became available, its workload was rolled back past it (to a revision
 *       it ran before this deployment), or its workload became unavailable while it was the workload's latest
 *       deployment.</li>
 *   <li><b>Time to restore</b>: the median duration of the incidents that ended in the window. Overlapping incidents
 *       of one Component's workloads are one incident (the Component is down while any of its workloads is); open
 *       incidents are counted apart and not in the median.</li>
 * </ul>
 * Teams and the platform pool the deployments and incidents of their Components ({@link #summarize} over the
 * concatenation of each Component's {@link Evaluated}); incidents of different Components are not merged.
 */
public final class DoraCalculator {

  /**
   * @param window how far back the metrics look
   * @param failureWindow how long after a deployment a rollback or unavailability counts against it
   * @param maxClockSkew how far a commit time may lie after the deployment's available time and still count (as 0)
   */
  public record Settings(Duration window, Duration failureWindow, Duration maxClockSkew) {
    /** 30 days, 24 hours, 5 minutes. */
    public static final Settings DEFAULT = new Settings(Duration.ofDays(30), Duration.ofHours(24),
        Duration.ofMinutes(5));
  }

  /** A deployment that delivered a change, and whether it failed. */
  public record Change(DeploymentRecord deployment, boolean failed) {
  }

  /** A Component's incidents merged where they overlap; {@code end} null while it lasts. */
  public record Outage(Instant start, Instant end) {
  }

  /**
   * One Component's history judged: its changes with their failures, its outages, and whether it ever deployed.
   */
  public record Evaluated(List<Change> changes, List<Outage> outages, boolean everDeployed) {
    /** The concatenation of several (a team's, the platform's). */
    public static Evaluated pool(List<Evaluated> parts) {
      List<Change> c = new ArrayList<>();
      List<Outage> o = new ArrayList<>();
      boolean ever = false;
      for (Evaluated e : parts) {
        c.addAll(e.changes());
        o.addAll(e.outages());
        ever |= e.everDeployed();
      }
      return new Evaluated(c, o, ever);
    }
  }

  private DoraCalculator() {
  }

  /** Judges a Component's history: which deployments are changes, which of them failed, its merged outages. */
  public static Evaluated evaluate(DoraHistory history, Settings settings) {
    // Per workload, in time order, without revisions equal to the one before (a rollback to the same revision).
    Map<String, List<DeploymentRecord>> byWorkload = new HashMap<>();
    List<DeploymentRecord> sorted = new ArrayList<>(history.deployments());
    sorted.sort(Comparator.comparing(DeploymentRecord::availableAt));
    for (DeploymentRecord d : sorted) {
      List<DeploymentRecord> list = byWorkload.computeIfAbsent(d.workload(), k -> new ArrayList<>());
      if (list.isEmpty() || !list.get(list.size() - 1).templateHash().equals(d.templateHash())) {
        list.add(d);
      }
    }
    Map<DeploymentRecord, Boolean> failed = new HashMap<>();
    for (List<DeploymentRecord> list : byWorkload.values()) {
      for (int i = 0; i < list.size(); i++) {
        DeploymentRecord d = list.get(i);
        if (!d.rollback()) {
          failed.putIfAbsent(d, false);
          continue;
        }
        // Every change since the last deployment of the restored revision, within the failure window, failed; when
        // that deployment is no longer in the history, the one rolled back from.
        Instant from = d.availableAt().minus(settings.failureWindow());
        boolean found = false;
        for (int j = i - 1; j >= 0 && !found; j--) {
          found = list.get(j).templateHash().equals(d.templateHash());
        }
        for (int j = i - 1; j >= 0; j--) {
          DeploymentRecord e = list.get(j);
          if (e.templateHash().equals(d.templateHash())) {
            break;
          }
          if (!e.rollback() && !e.availableAt().isBefore(from)) {
            failed.put(e, true);
          }
          if (!found) {
            break;
          }
        }
      }
    }
    for (IncidentRecord incident : history.incidents()) {
      List<DeploymentRecord> list = byWorkload.getOrDefault(incident.workload(), List.of());
      DeploymentRecord latest = null;
      for (DeploymentRecord d : list) {
        if (!d.availableAt().isAfter(incident.start())) {
          latest = d;
        }
      }
      if (latest != null && !latest.rollback()
          && !latest.availableAt().plus(settings.failureWindow()).isBefore(incident.start())) {
        failed.put(latest, true);
      }
    }
    List<Change> changes = new ArrayList<>();
    for (DeploymentRecord d : sorted) {
      Boolean f = failed.get(d);
      if (f != null) {
        changes.add(new Change(d, f));
      }
    }
    return new Evaluated(changes, merge(history.incidents()), history.pruned() > 0 || !changes.isEmpty());
  }

  /** Incidents merged where they overlap (or touch), in start order. */
  static List<Outage> merge(List<IncidentRecord> incidents) {
    List<IncidentRecord> sorted = new ArrayList<>(incidents);
    sorted.sort(Comparator.comparing(IncidentRecord::start));
    List<Outage> out = new ArrayList<>();
    Instant start = null;
    Instant end = null;
    boolean open = false;
    for (IncidentRecord i : sorted) {
      if (start != null && (open || !i.start().isAfter(end))) {
        open |= i.end() == null;
        if (!open && i.end().isAfter(end)) {
          end = i.end();
        }
        continue;
      }
      if (start != null) {
        out.add(new Outage(start, open ? null : end));
      }
      start = i.start();
      end = i.end();
      open = i.end() == null;
    }
    if (start != null) {
      out.add(new Outage(start, open ? null : end));
    }
    return out;
  }

  /** The metrics of one Component, team or the platform at {@code now}. */
  public static DoraMetrics summarize(Evaluated evaluated, Instant now, Settings settings) {
    Instant from = now.minus(settings.window());
    double days = settings.window().toSeconds() / 86_400.0;
    int count = 0;
    int failures = 0;
    List<Double> leadTimes = new ArrayList<>();
    for (Change c : evaluated.changes()) {
      Instant at = c.deployment().availableAt();
      if (!at.isAfter(from) || at.isAfter(now)) {
        continue;
      }
      count++;
      failures += c.failed() ? 1 : 0;
      Instant committed = c.deployment().committedAt();
      if (committed != null) {
        Duration lead = Duration.between(committed, at);
        if (!lead.isNegative()) {
          leadTimes.add((double) lead.toMillis() / 1000);
        } else if (lead.negated().compareTo(settings.maxClockSkew()) <= 0) {
          leadTimes.add(0.0);
        }
      }
    }
    List<Double> restores = new ArrayList<>();
    int open = 0;
    for (Outage o : evaluated.outages()) {
      if (o.end() == null) {
        open++;
      } else if (o.end().isAfter(from) && !o.end().isAfter(now)) {
        restores.add((double) Duration.between(o.start(), o.end()).toMillis() / 1000);
      }
    }
    double perDay = count / days;
    Double lead = median(leadTimes);
    Double cfr = count == 0 ? null : (double) failures / count;
    Double ttr = median(restores);
    DoraTier df = evaluated.everDeployed() ? DoraTier.ofDeploymentFrequency(perDay) : DoraTier.NONE;
    DoraTier lt = lead == null ? DoraTier.NONE : DoraTier.ofLeadTime(Duration.ofMillis(Math.round(lead * 1000)));
    DoraTier cf = cfr == null ? DoraTier.NONE : DoraTier.ofChangeFailureRate(cfr);
    DoraTier tr = ttr == null ? DoraTier.NONE : DoraTier.ofTimeToRestore(Duration.ofMillis(Math.round(ttr * 1000)));
    DoraTier tier = DoraTier.NONE;
    if (evaluated.everDeployed()) {
      tier = df;
      for (DoraTier t : List.of(lt, cf, tr)) {
        if (t != DoraTier.NONE) {
          tier = DoraTier.min(tier, t);
        }
      }
    }
    return new DoraMetrics(days, count, failures, perDay, lead, cfr, restores.size(), open, ttr, tier, df, lt, cf, tr);
  }

  /** The median; null for no values. */
  static Double median(List<Double> values) {
    if (values.isEmpty()) {
      return null;
    }
    List<Double> v = new ArrayList<>(values);
    v.sort(null);
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }
}
