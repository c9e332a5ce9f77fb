package dev.tarmac.insights.dora;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns observations of a Component's workloads into its {@link DoraHistory}. Pure: the same history and
 * observation give the same result. Level-based: it compares what a workload reports now with what the history last
 * recorded of it, so an observation made after an operator restart records what happened while it was down (as far as
 * the workload's status still shows it).
 *
 * <p>Rules:
 * <ul>
 *   <li>A <b>deployment</b> is recorded when a workload's rollout is complete ({@link WorkloadState#rolledOut}) on a
 *       pod template whose hash differs from the one last recorded. Its time is the controller's report of the
 *       completion when there is one, else the observation time, never later than now nor earlier than the
 *       workload's previous deployment (clock skew between controller and operator).</li>
 *   <li>The first revision the history sees of a workload is a deployment when the workload was created at most
 *       {@link #FIRST_REVISION_SLACK} before the history started (a workload created with or after its Component);
 *       a workload that ran before is the starting point, not a deployment.</li>
 *   <li>A deployment is a <b>rollback</b> when its template hash is one the workload ran before. Going back to the
 *       revision that is running already changes nothing and records nothing.</li>
 *   <li>An <b>incident</b> opens when a workload that was available is not, and closes when it is available again;
 *       times as the controller reports them (a Deployment's {@code Available} condition) when it does. A workload
 *       never seen available (a first rollout) has no incident.</li>
 * </ul>
 */
public final class HistoryRecorder {

  /** A workload created this long before its Component's history started still has its first revision counted. */
  public static final Duration FIRST_REVISION_SLACK = Duration.ofMinutes(10);

  private HistoryRecorder() {
  }

  /**
   * The history after observing {@code state} at {@code now}; {@code history} itself when nothing changed.
   */
  public static DoraHistory observe(DoraHistory history, WorkloadState state, Instant now) {
    WorkloadMark mark = history.workloads().get(state.workload());
    List<DeploymentRecord> deployments = history.deployments();
    List<IncidentRecord> incidents = history.incidents();
    String hash = mark == null ? null : mark.templateHash();
    String revision = mark == null ? null : mark.revision();
    List<String> earlier = mark == null ? List.of() : mark.earlierHashes();
    boolean wasAvailable = mark != null && mark.available();

    if (state.rolledOut() && (mark == null || !state.templateHash().equals(mark.templateHash()))) {
      boolean first = mark == null;
      boolean counts = !first || state.createdAt() == null
          || !state.createdAt().isBefore(history.since().minus(FIRST_REVISION_SLACK));
      if (counts) {
        Instant at = state.rolledOutAt() == null || state.rolledOutAt().isAfter(now) ? now : state.rolledOutAt();
        for (DeploymentRecord d : deployments) {
          if (d.workload().equals(state.workload()) && d.availableAt().isAfter(at)) {
            at = d.availableAt();
          }
        }
        boolean rollback = earlier.contains(state.templateHash());
        deployments = new ArrayList<>(deployments);
        deployments.add(new DeploymentRecord(state.workload(), state.templateHash(), state.revision(), at,
            rollback ? null : state.committedAt(), rollback ? null : state.commitSource(), rollback));
      }
      if (hash != null) {
        List<String> e = new ArrayList<>(earlier);
        e.remove(hash);
        e.add(hash);
        e.remove(state.templateHash());
        while (e.size() > WorkloadMark.MAX_EARLIER) {
          e.remove(0);
        }
        earlier = e;
      }
      hash = state.templateHash();
      revision = state.revision();
    } else if (mark == null) {
      // First sighting in the middle of a rollout: nothing is recorded until it completes.
      if (!state.rolledOut()) {
        return history;
      }
    }

    IncidentRecord open = null;
    int openAt = -1;
    for (int i = incidents.size() - 1; i >= 0; i--) {
      if (incidents.get(i).workload().equals(state.workload()) && incidents.get(i).end() == null) {
        open = incidents.get(i);
        openAt = i;
        break;
      }
    }
    Instant changed = state.availabilityChangedAt() == null || state.availabilityChangedAt().isAfter(now) ? now
        : state.availabilityChangedAt();
    if (!state.available() && wasAvailable && open == null) {
      incidents = new ArrayList<>(incidents);
      incidents.add(new IncidentRecord(state.workload(), changed, null));
    } else if (state.available() && open != null) {
      incidents = new ArrayList<>(incidents);
      incidents.set(openAt, open.endedAt(changed.isBefore(open.start()) ? open.start() : changed));
    }
    WorkloadMark next = new WorkloadMark(hash, revision, state.available(), earlier);
    if (next.equals(mark) && deployments == history.deployments() && incidents == history.incidents()) {
      return history;
    }
    Map<String, WorkloadMark> workloads = new HashMap<>(history.workloads());
    workloads.put(state.workload(), next);
    return new DoraHistory(history.since(), history.pruned(), workloads, deployments, incidents);
  }

  /** The history without workload {@code workload}'s mark (it no longer exists or no longer belongs). */
  public static DoraHistory forget(DoraHistory history, String workload) {
    if (!history.workloads().containsKey(workload)) {
      return history;
    }
    Map<String, WorkloadMark> workloads = new HashMap<>(history.workloads());
    workloads.remove(workload);
    List<IncidentRecord> incidents = new ArrayList<>();
    for (IncidentRecord i : history.incidents()) {
      // A workload that is gone is not down: its open incident is left out rather than kept open forever.
      if (!(i.workload().equals(workload) && i.end() == null)) {
        incidents.add(i);
      }
    }
    return new DoraHistory(history.since(), history.pruned(), workloads, history.deployments(), incidents);
  }
}
