package dev.tarmac.insights.dora;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;

/**
 * The four DORA metrics of a Component, team or the platform over a window ({@link DoraCalculator}).
 *
 * @param windowDays the window, in days
 * @param deployments deployments that delivered a change (rollbacks excluded) that became available in the window
 * @param failedDeployments those of them that failed ({@link DoraCalculator})
 * @param deploymentsPerDay deployment frequency: {@code deployments / windowDays}
 * @param leadTimeSeconds median lead time for changes of the deployments whose commit time is known, in seconds; null
 *     when none is known
 * @param changeFailureRatio {@code failedDeployments / deployments}, 0 to 1; null without deployments
 * @param incidents incidents that ended in the window
 * @param openIncidents incidents not ended yet
 * @param timeToRestoreSeconds median time to restore of the incidents that ended in the window, in seconds; null when
 *     none ended
 * @param tier the overall tier, the lowest of the metrics' tiers ({@link DoraTier})
 * @param deploymentFrequencyTier the tier of the deployment frequency ({@link DoraTier#NONE} without history)
 * @param leadTimeTier the tier of the lead time, {@link DoraTier#NONE} without data
 * @param changeFailureTier the tier of the change failure rate, {@link DoraTier#NONE} without data
 * @param timeToRestoreTier the tier of the time to restore, {@link DoraTier#NONE} without data
 */
public record DoraMetrics(double windowDays, int deployments, int failedDeployments, double deploymentsPerDay,
    Double leadTimeSeconds, Double changeFailureRatio, int incidents, int openIncidents, Double timeToRestoreSeconds,
    DoraTier tier, DoraTier deploymentFrequencyTier, DoraTier leadTimeTier, DoraTier changeFailureTier,
    DoraTier timeToRestoreTier) {

  /**
   * The metrics as a catalog entity's {@code status.dora} (camelCase fields, as Backstage's entity fields are; absent
   * where there is no data): {@code tier} ({@code Elite}, {@code High}, {@code Medium}, {@code Low}, {@code None}),
   * {@code tierRank} (0–4, for Scorecard checks), {@code deploymentsPerDay}, {@code leadTimeSeconds},
   * {@code changeFailureRate}, {@code timeToRestoreSeconds}, the counts, {@code windowDays}, and {@code tiers} per
   * metric.
   */
  public ObjectNode toJson() {
    ObjectNode o = Serialization.JSON.createObjectNode();
    o.put("tier", tier.title());
    o.put("tierRank", tier.rank());
    o.put("windowDays", windowDays);
    o.put("deployments", deployments);
    o.put("failedDeployments", failedDeployments);
    o.put("deploymentsPerDay", round(deploymentsPerDay));
    if (leadTimeSeconds != null) {
      o.put("leadTimeSeconds", round(leadTimeSeconds));
    }
    if (changeFailureRatio != null) {
      o.put("changeFailureRate", round(changeFailureRatio));
    }
    o.put("incidents", incidents);
    o.put("openIncidents", openIncidents);
    if (timeToRestoreSeconds != null) {
      o.put("timeToRestoreSeconds", round(timeToRestoreSeconds));
    }
    ObjectNode tiers = o.putObject("tiers");
    tiers.put("deploymentFrequency", deploymentFrequencyTier.title());
    tiers.put("leadTime", leadTimeTier.title());
    tiers.put("changeFailureRate", changeFailureTier.title());
    tiers.put("timeToRestore", timeToRestoreTier.title());
    return o;
  }

  private static double round(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }
}
