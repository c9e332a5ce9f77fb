package dev.tarmac.insights.dora;

import java.time.Instant;

/**
 * One deployment of a workload: a new revision of its pod template that became available.
 *
 * @param workload the workload, {@code Deployment/<name>} or {@code StatefulSet/<name>} (the Component's namespace)
 * @param templateHash Tarmac's hash of the pod template ({@link Workloads#templateHash}); equal templates, equal hashes
 * @param revision the controller's revision ({@code deployment.kubernetes.io/revision}, a StatefulSet's
 *     {@code updateRevision}), for people; may be null
 * @param availableAt when the revision became available (the rollout completed)
 * @param committedAt when the change was committed, or null when no convention names it ({@link CommitTimes})
 * @param commitSource which convention gave {@code committedAt} ({@code annotation}, {@code git}, {@code image}), or
 *     null
 * @param rollback true when the revision is one the workload ran before (a rollback, not a new change)
 */
public record DeploymentRecord(String workload, String templateHash, String revision, Instant availableAt,
    Instant committedAt, String commitSource, boolean rollback) {
}
