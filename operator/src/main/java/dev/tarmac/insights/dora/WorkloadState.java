package dev.tarmac.insights.dora;

import java.time.Instant;

/**
 * A workload as the cluster reports it now, reduced to what DORA needs ({@link Workloads#state}).
 *
 * @param workload {@code Deployment/<name>} or {@code StatefulSet/<name>}
 * @param templateHash Tarmac's hash of the pod template ({@link Workloads#templateHash})
 * @param revision the controller's revision, for people; may be null
 * @param rolledOut true when the current template's rollout is complete (the rule of {@code kubectl rollout status})
 * @param rolledOutAt when the controller reported the rollout complete (a Deployment's {@code Progressing} condition
 *     with reason {@code NewReplicaSetAvailable}), or null when it does not say
 * @param available true when the workload serves (a Deployment's {@code Available} condition; at least one available
 *     replica of a StatefulSet); a workload scaled to zero counts as available
 * @param availabilityChangedAt when {@code available} last changed, as the controller reports it, or null
 * @param createdAt the workload's creation time
 * @param committedAt the commit time of the change it runs ({@link CommitTimes}), or null
 * @param commitSource the convention that gave {@code committedAt}, or null
 */
public record WorkloadState(String workload, String templateHash, String revision, boolean rolledOut,
    Instant rolledOutAt, boolean available, Instant availabilityChangedAt, Instant createdAt, Instant committedAt,
    String commitSource) {
}
