package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The behaviour of {@code function-auto-ready} (crossplane-contrib): every desired composed resource whose readiness no
 * earlier step set (unspecified) and that exists (is observed) becomes ready when its observed counterpart passes the
 * function's health check for its kind, or — for every other kind, and as a fallback — when it has the status
 * condition {@code Ready=True}. Resources with an explicit readiness and resources not observed are left alone. The
 * composite is ready when all desired composed resources are ready (Crossplane's rule, {@link CompositionEngine}).
 *
 * <p>Health checks, as the function's README lists them: ConfigMap, Secret, ServiceAccount, Namespace — ready when they
 * exist; Service — ready unless {@code type: LoadBalancer} without {@code status.loadBalancer.ingress};
 * PersistentVolumeClaim — {@code status.phase: Bound}; apps/v1 Deployment — {@code spec.replicas} (default 1) equals
 * {@code status.updatedReplicas} and {@code status.availableReplicas} and condition {@code Available=True};
 * apps/v1 StatefulSet — {@code spec.replicas} equals {@code status.readyReplicas} and {@code status.currentReplicas},
 * and {@code status.currentRevision} equals {@code status.updateRevision}; batch/v1 Job — condition
 * {@code Complete=True} and not Failed or Suspended. Not implemented: the other kinds' health checks (Pod, DaemonSet,
 * ReplicaSet, CronJob, HorizontalPodAutoscaler, Ingress — these fall back to the Ready condition) and the alpha CEL
 * health-check customisations.
 */
final class AutoReady {

  private AutoReady() {
  }

  /** Runs the step over {@code state}. */
  static void run(PipelineState state) {
    for (var e : state.resources.entrySet()) {
      PipelineState.Desired d = e.getValue();
      JsonNode seen = state.observed.get(e.getKey());
      if (seen == null || d.ready != CompositionEngine.Readiness.UNSPECIFIED) {
        continue;
      }
      if (healthy(seen) || condition(seen, "Ready", "True")) {
        d.ready = CompositionEngine.Readiness.TRUE;
        d.message = null;
      }
    }
  }

  /** The kind-specific health check; false for kinds without one. */
  static boolean healthy(JsonNode o) {
    String apiVersion = o.path("apiVersion").asText();
    String kind = o.path("kind").asText();
    JsonNode status = o.path("status");
    if ("v1".equals(apiVersion)) {
      return switch (kind) {
        case "ConfigMap", "Secret", "ServiceAccount", "Namespace" -> true;
        case "Service" -> !"LoadBalancer".equals(o.path("spec").path("type").asText("ClusterIP"))
            || status.path("loadBalancer").path("ingress").size() > 0;
        case "PersistentVolumeClaim" -> "Bound".equals(status.path("phase").asText());
        default -> false;
      };
    }
    if ("apps/v1".equals(apiVersion) && "Deployment".equals(kind)) {
      long replicas = o.path("spec").path("replicas").asLong(1);
      return status.has("updatedReplicas") && status.has("availableReplicas")
          && status.path("updatedReplicas").asLong() == replicas
          && status.path("availableReplicas").asLong() == replicas
          && condition(o, "Available", "True");
    }
    if ("apps/v1".equals(apiVersion) && "StatefulSet".equals(kind)) {
      long replicas = o.path("spec").path("replicas").asLong(1);
      return status.has("readyReplicas") && status.has("currentReplicas") && status.has("currentRevision")
          && status.has("updateRevision") && status.path("readyReplicas").asLong() == replicas
          && status.path("currentReplicas").asLong() == replicas
          && status.path("currentRevision").asText().equals(status.path("updateRevision").asText());
    }
    if ("batch/v1".equals(apiVersion) && "Job".equals(kind)) {
      for (JsonNode c : status.path("conditions")) {
        boolean isTrue = "True".equals(c.path("status").asText());
        switch (c.path("type").asText()) {
          case "Failed", "Suspended" -> {
            if (isTrue) {
              return false;
            }
          }
          case "Complete" -> {
            if (isTrue) {
              return true;
            }
          }
          default -> {
          }
        }
      }
      return false;
    }
    return false;
  }

  private static boolean condition(JsonNode o, String type, String status) {
    for (JsonNode c : o.path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return status.equals(c.path("status").asText());
      }
    }
    return false;
  }
}
