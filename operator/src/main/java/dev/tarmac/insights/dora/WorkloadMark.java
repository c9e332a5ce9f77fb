package dev.tarmac.insights.dora;

import java.util.List;

/**
 * What the history last recorded of one workload: the state the next observation is compared with.
 *
 * @param templateHash the pod template hash of the revision last recorded as available
 * @param revision that revision's controller revision (may be null)
 * @param available whether the workload was available when last observed
 * @param earlierHashes template hashes the workload ran before, newest last (at most {@link #MAX_EARLIER}): a new
 *     revision with one of these hashes is a rollback
 */
public record WorkloadMark(String templateHash, String revision, boolean available, List<String> earlierHashes) {

  /** How many earlier template hashes a mark keeps. */
  public static final int MAX_EARLIER = 16;

  public WorkloadMark {
    earlierHashes = List.copyOf(earlierHashes);
  }
}
