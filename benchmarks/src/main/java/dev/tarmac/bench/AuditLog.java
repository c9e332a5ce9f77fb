package dev.tarmac.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pipeline runs and Jobs counted by the API server, not by the operator: its audit log (JSON lines, the policy
 * {@link #POLICY}) records every successful create, update and apply of a Work or a Job with the request body. A
 * pipeline run writes its Work once (built-in steps: {@code WorkflowRunner.applyWork}; container steps: once the Job
 * completed) and a container run creates one Job, both labelled with the owner and the spec hash of the run, so two
 * writes for one (Work, spec hash) are a pipeline run repeated for one generation, and two Jobs for one (owner UID,
 * pipeline, spec hash) a duplicate Job.
 */
final class AuditLog {

  /**
   * The audit policy: Works and Jobs written (with the request body), and the times the suite's requests' status was
   * written and their Works' status (for reading a slow recovery's story), nothing else.
   */
  static final String POLICY = """
      apiVersion: audit.k8s.io/v1
      kind: Policy
      omitStages: [RequestReceived]
      rules:
        - level: Request
          verbs: [create, update, patch]
          resources:
            - group: platform.tarmac.dev
              resources: [works]
            - group: batch
              resources: [jobs]
        - level: Metadata
          verbs: [update, patch]
          resources:
            - group: chaos.tarmac.dev
              resources: [caches/status]
            - group: platform.tarmac.dev
              resources: [works/status]
        - level: None
      """;

  /**
   * Counts over a stretch of the log.
   *
   * @param workWrites successful writes of a Work's spec, by "namespace/name spec-hash"
   * @param jobCreates Jobs created, by "owner-uid pipeline spec-hash"
   */
  record Counts(Map<String, Integer> workWrites, Map<String, Integer> jobCreates) {

    /** Pipeline runs beyond the first for one Work and spec hash (one generation). */
    int duplicateRuns() {
      return workWrites.values().stream().mapToInt(n -> n - 1).sum();
    }

    /** Jobs beyond the first for one owner, pipeline and spec hash. */
    int duplicateJobs() {
      return jobCreates.values().stream().mapToInt(n -> n - 1).sum();
    }

    int runs() {
      return workWrites.size();
    }

    int jobs() {
      return jobCreates.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Up to {@code n} keys written more than once, for the report. */
    String examples(int n) {
      return workWrites.entrySet().stream().filter(e -> e.getValue() > 1).limit(n)
          .map(e -> e.getKey() + " x" + e.getValue()).toList().toString();
    }
  }

  private final Path file;

  AuditLog(Path file) {
    this.file = file;
  }

  /** The log's current length in bytes: a mark to count from. */
  long mark() throws IOException {
    return Files.exists(file) ? Files.size(file) : 0;
  }

  /** Counts the events written since {@code mark} (a byte offset from {@link #mark()}). */
  Counts since(long mark) throws IOException {
    if (!Files.exists(file)) {
      return new Counts(Map.of(), Map.of());
    }
    byte[] bytes;
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      bytes = new byte[(int) Math.max(0, length - mark)];
      raf.seek(Math.min(mark, length));
      raf.readFully(bytes);
    }
    return count(new String(bytes, StandardCharsets.UTF_8));
  }

  /** Counts the events in {@code lines} (JSON lines of audit.k8s.io/v1 Events; a partial last line is skipped). Pure. */
  static Counts count(String lines) {
    Map<String, Integer> works = new TreeMap<>();
    Map<String, Integer> jobs = new TreeMap<>();
    for (String line : lines.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode event;
      try {
        event = Serialization.JSON.readTree(line);
      } catch (IOException partial) {
        continue;
      }
      int code = event.path("responseStatus").path("code").asInt(0);
      JsonNode ref = event.path("objectRef");
      if (code < 200 || code >= 300 || !ref.path("subresource").asText("").isEmpty()) {
        continue;
      }
      JsonNode body = event.path("requestObject");
      JsonNode labels = body.path("metadata").path("labels");
      String hash = labels.path(Labels.SPEC_HASH).asText("");
      String resource = ref.path("resource").asText();
      if ("works".equals(resource) && body.has("spec")) {
        works.merge(ref.path("namespace").asText() + "/" + ref.path("name").asText() + " " + hash, 1, Integer::sum);
      } else if ("jobs".equals(resource) && "create".equals(event.path("verb").asText())) {
        jobs.merge(labels.path(Labels.OWNER_UID).asText() + " " + labels.path(Labels.PIPELINE).asText() + " " + hash,
            1, Integer::sum);
      }
    }
    return new Counts(works, jobs);
  }
}
