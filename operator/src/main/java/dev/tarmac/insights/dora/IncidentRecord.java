package dev.tarmac.insights.dora;

import java.time.Instant;

/**
 * A time a workload was unavailable, after it had been available.
 *
 * @param workload the workload, {@code Deployment/<name>} or {@code StatefulSet/<name>}
 * @param start when it became unavailable
 * @param end when it was available again, or null while it is still unavailable
 */
public record IncidentRecord(String workload, Instant start, Instant end) {

  /** The same incident, ended at {@code at}. */
  IncidentRecord endedAt(Instant at) {
    return new IncidentRecord(workload, start, at);
  }
}
