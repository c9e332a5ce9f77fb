package dev.tarmac.insights.dora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The record DORA metrics are computed from, one per Component, kept in the cluster (a ConfigMap the Component owns,
 * {@link DoraEngine}) so an operator restart loses nothing. Immutable; bounded by {@link #bounded}.
 *
 * <p>JSON shape (times RFC 3339, UTC):
 * <pre>
 * {"v": 1, "since": "...", "pruned": 0,
 *  "workloads": {"Deployment/web": {"hash": "3f2a...", "revision": "4", "available": true, "earlier": ["9c1e..."]}},
 *  "deployments": [{"workload": "Deployment/web", "hash": "3f2a...", "revision": "4", "at": "...",
 *                   "committedAt": "...", "commitSource": "annotation", "rollback": false}],
 *  "incidents": [{"workload": "Deployment/web", "start": "...", "end": "..."}]}
 * </pre>
 *
 * @param since when the history started: the Component's creation
 * @param pruned how many deployments were dropped by {@link #bounded} (so a Component with only old deployments is
 *     known to have deployed)
 * @param workloads the last recorded state of each workload of the Component, by workload
 * @param deployments deployments, oldest first
 * @param incidents incidents, oldest first by start
 */
public record DoraHistory(Instant since, long pruned, Map<String, WorkloadMark> workloads,
    List<DeploymentRecord> deployments, List<IncidentRecord> incidents) {

  /** The data key of the history in its ConfigMap. */
  public static final String KEY = "history.json";

  public DoraHistory {
    workloads = Map.copyOf(workloads);
    deployments = List.copyOf(deployments);
    incidents = List.copyOf(incidents);
  }

  /** An empty history that starts at {@code since}. */
  public static DoraHistory empty(Instant since) {
    return new DoraHistory(since, 0, Map.of(), List.of(), List.of());
  }

  /**
   * Drops what the metrics no longer need: deployments that became available and incidents that ended before
   * {@code now - keep}, then the oldest beyond {@code maxDeployments} and {@code maxIncidents}. Open incidents are
   * kept. Returns this history when nothing was dropped.
   */
  public DoraHistory bounded(Instant now, Duration keep, int maxDeployments, int maxIncidents) {
    Instant cutoff = now.minus(keep);
    List<DeploymentRecord> d = new ArrayList<>();
    for (DeploymentRecord r : deployments) {
      if (!r.availableAt().isBefore(cutoff)) {
        d.add(r);
      }
    }
    while (d.size() > maxDeployments) {
      d.remove(0);
    }
    List<IncidentRecord> i = new ArrayList<>();
    for (IncidentRecord r : incidents) {
      if (r.end() == null || !r.end().isBefore(cutoff)) {
        i.add(r);
      }
    }
    while (i.size() > maxIncidents) {
      i.remove(i.get(0).end() == null && i.size() > 1 ? 1 : 0);
    }
    if (d.size() == deployments.size() && i.size() == incidents.size()) {
      return this;
    }
    return new DoraHistory(since, pruned + deployments.size() - d.size(), workloads, d, i);
  }

  /** The history as JSON ({@link DoraHistory the shape above}). */
  public ObjectNode toJson() {
    ObjectNode o = Serialization.JSON.createObjectNode();
    o.put("v", 1);
    o.put("since", since.toString());
    o.put("pruned", pruned);
    ObjectNode w = o.putObject("workloads");
    new TreeMap<>(workloads).forEach((name, m) -> {
      ObjectNode n = w.putObject(name);
      n.put("hash", m.templateHash());
      if (m.revision() != null) {
        n.put("revision", m.revision());
      }
      n.put("available", m.available());
      ArrayNode earlier = n.putArray("earlier");
      m.earlierHashes().forEach(earlier::add);
    });
    ArrayNode ds = o.putArray("deployments");
    for (DeploymentRecord r : deployments) {
      ObjectNode n = ds.addObject();
      n.put("workload", r.workload());
      n.put("hash", r.templateHash());
      if (r.revision() != null) {
        n.put("revision", r.revision());
      }
      n.put("at", r.availableAt().toString());
      if (r.committedAt() != null) {
        n.put("committedAt", r.committedAt().toString());
        n.put("commitSource", r.commitSource());
      }
      n.put("rollback", r.rollback());
    }
    ArrayNode is = o.putArray("incidents");
    for (IncidentRecord r : incidents) {
      ObjectNode n = is.addObject();
      n.put("workload", r.workload());
      n.put("start", r.start().toString());
      if (r.end() != null) {
        n.put("end", r.end().toString());
      }
    }
    return o;
  }

  /**
   * Reads a history written by {@link #toJson}.
   *
   * @throws IllegalArgumentException when {@code json} is not such a history (a field missing or not a time)
   */
  public static DoraHistory fromJson(JsonNode json) {
    try {
      if (json.path("v").asInt() != 1) {
        throw new IllegalArgumentException("unknown history version " + json.path("v"));
      }
      Map<String, WorkloadMark> workloads = new TreeMap<>();
      json.path("workloads").fields().forEachRemaining(f -> {
        List<String> earlier = new ArrayList<>();
        f.getValue().path("earlier").forEach(h -> earlier.add(h.asText()));
        workloads.put(f.getKey(), new WorkloadMark(text(f.getValue(), "hash"), f.getValue().path("revision")
            .asText(null), f.getValue().path("available").asBoolean(), earlier));
      });
      List<DeploymentRecord> deployments = new ArrayList<>();
      for (JsonNode n : json.path("deployments")) {
        deployments.add(new DeploymentRecord(text(n, "workload"), text(n, "hash"), n.path("revision").asText(null),
            Instant.parse(text(n, "at")), n.has("committedAt") ? Instant.parse(n.get("committedAt").asText()) : null,
            n.path("commitSource").asText(null), n.path("rollback").asBoolean()));
      }
      deployments.sort(Comparator.comparing(DeploymentRecord::availableAt));
      List<IncidentRecord> incidents = new ArrayList<>();
      for (JsonNode n : json.path("incidents")) {
        incidents.add(new IncidentRecord(text(n, "workload"), Instant.parse(text(n, "start")),
            n.has("end") ? Instant.parse(n.get("end").asText()) : null));
      }
      incidents.sort(Comparator.comparing(IncidentRecord::start));
      return new DoraHistory(Instant.parse(text(json, "since")), json.path("pruned").asLong(), workloads, deployments,
          incidents);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not a time: " + e.getParsedString(), e);
    }
  }

  private static String text(JsonNode n, String field) {
    if (!n.path(field).isTextual()) {
      throw new IllegalArgumentException("field " + field + " missing in " + n);
    }
    return n.get(field).asText();
  }
}
