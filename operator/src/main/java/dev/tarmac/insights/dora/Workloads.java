package dev.tarmac.insights.dora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Deployments and StatefulSets reduced to {@link WorkloadState}s. Pure.
 *
 * <p>A rollout is complete by the rule {@code kubectl rollout status} applies (k8s.io/kubectl
 * {@code polymorphichelpers/rollout_status.go}): for a Deployment, the controller observed the current generation,
 * every desired replica is updated and available and no old replica is left, and the {@code Progressing} condition is
 * not {@code ProgressDeadlineExceeded}; for a StatefulSet, the controller observed the current generation, its
 * {@code currentRevision} is its {@code updateRevision} and every desired replica is ready. Availability: a
 * Deployment's {@code Available} condition (minimum replicas available), else at least one available replica; a
 * StatefulSet's at least one available (or ready) replica. A workload scaled to zero is available: it was asked to
 * serve nothing.
 */
public final class Workloads {

  /** The annotation {@code kubectl rollout restart} sets: a restart is not a change, so it is left out of the hash. */
  static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

  private Workloads() {
  }

  /** The state of a Deployment. */
  public static WorkloadState state(Deployment d, Function<String, Optional<Instant>> resolveSha) {
    var spec = d.getSpec();
    var status = d.getStatus();
    int desired = spec.getReplicas() == null ? 1 : spec.getReplicas();
    long generation = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
    boolean rolledOut = false;
    Instant rolledOutAt = null;
    boolean available = desired == 0;
    Instant availableChanged = null;
    if (status != null) {
      int updated = orZero(status.getUpdatedReplicas());
      int replicas = orZero(status.getReplicas());
      int availableReplicas = orZero(status.getAvailableReplicas());
      DeploymentCondition progressing = condition(d, "Progressing");
      DeploymentCondition availableCondition = condition(d, "Available");
      rolledOut = status.getObservedGeneration() != null && status.getObservedGeneration() >= generation
          && updated >= desired && replicas <= updated && availableReplicas >= updated
          && (progressing == null || !"ProgressDeadlineExceeded".equals(progressing.getReason()));
      if (progressing != null && "NewReplicaSetAvailable".equals(progressing.getReason())) {
        rolledOutAt = time(progressing.getLastUpdateTime()).or(() -> time(progressing.getLastTransitionTime()))
            .orElse(null);
      }
      if (desired > 0) {
        if (availableCondition != null) {
          available = "True".equals(availableCondition.getStatus());
          availableChanged = time(availableCondition.getLastTransitionTime()).orElse(null);
        } else {
          available = availableReplicas > 0;
        }
      }
    }
    var commit = CommitTimes.of(annotations(spec.getTemplate()), d.getMetadata().getAnnotations(), resolveSha);
    String revision = d.getMetadata().getAnnotations() == null ? null
        : d.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision");
    return new WorkloadState("Deployment/" + d.getMetadata().getName(), templateHash(spec.getTemplate()), revision,
        rolledOut, rolledOutAt, available, availableChanged, time(d.getMetadata().getCreationTimestamp()).orElse(null),
        commit.map(CommitTimes.CommitTime::at).orElse(null), commit.map(CommitTimes.CommitTime::source).orElse(null));
  }

  /** The state of a StatefulSet. */
  public static WorkloadState state(StatefulSet s, Function<String, Optional<Instant>> resolveSha) {
    var spec = s.getSpec();
    var status = s.getStatus();
    int desired = spec.getReplicas() == null ? 1 : spec.getReplicas();
    long generation = s.getMetadata().getGeneration() == null ? 0 : s.getMetadata().getGeneration();
    boolean rolledOut = false;
    boolean available = desired == 0;
    String revision = null;
    if (status != null) {
      revision = status.getUpdateRevision();
      rolledOut = status.getObservedGeneration() != null && status.getObservedGeneration() >= generation
          && orZero(status.getReadyReplicas()) >= desired
          && (status.getUpdateRevision() == null || Objects.equals(status.getUpdateRevision(),
              status.getCurrentRevision()));
      if (desired > 0) {
        available = (status.getAvailableReplicas() != null ? status.getAvailableReplicas()
            : orZero(status.getReadyReplicas())) > 0;
      }
    }
    var commit = CommitTimes.of(annotations(spec.getTemplate()), s.getMetadata().getAnnotations(), resolveSha);
    return new WorkloadState("StatefulSet/" + s.getMetadata().getName(), templateHash(spec.getTemplate()), revision,
        rolledOut, null, available, null, time(s.getMetadata().getCreationTimestamp()).orElse(null),
        commit.map(CommitTimes.CommitTime::at).orElse(null), commit.map(CommitTimes.CommitTime::source).orElse(null));
  }

  /**
   * A hash of a pod template: the first 16 hex digits of the SHA-256 of its JSON with object keys sorted and
   * {@value #RESTARTED_AT} left out. Equal templates have equal hashes, so a rollback to an earlier template is
   * recognised whatever revision number the controller gives it.
   */
  public static String templateHash(PodTemplateSpec template) {
    JsonNode json = Serialization.JSON.valueToTree(template);
    JsonNode annotations = json.path("metadata").path("annotations");
    if (annotations.isObject()) {
      ((ObjectNode) annotations).remove(RESTARTED_AT);
      if (annotations.isEmpty()) {
        // No annotations and an empty map are the same template.
        ((ObjectNode) json.get("metadata")).remove("annotations");
      }
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(Serialization.JSON.writeValueAsString(
          sorted(json)).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object sorted(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> out = new TreeMap<>();
      node.fields().forEachRemaining(f -> {
        if (!f.getValue().isNull()) {
          out.put(f.getKey(), sorted(f.getValue()));
        }
      });
      return out;
    }
    if (node.isArray()) {
      java.util.List<Object> out = new java.util.ArrayList<>();
      node.forEach(n -> out.add(sorted(n)));
      return out;
    }
    return node;
  }

  private static Map<String, String> annotations(PodTemplateSpec template) {
    return template == null || template.getMetadata() == null ? null : template.getMetadata().getAnnotations();
  }

  private static DeploymentCondition condition(Deployment d, String type) {
    if (d.getStatus() == null || d.getStatus().getConditions() == null) {
      return null;
    }
    return d.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }

  private static int orZero(Integer i) {
    return i == null ? 0 : i;
  }

  private static Optional<Instant> time(String t) {
    if (t == null || t.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(t));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
