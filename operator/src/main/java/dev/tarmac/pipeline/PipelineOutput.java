package dev.tarmac.pipeline;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.BoundedYaml;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Serialization;
import dev.tarmac.statestore.StateStoreLayout;
import dev.tarmac.statestore.WorkRejectedException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The hand-off of a container run's output from the collector to the operator, and the operator's own check of it.
 * Pure.
 *
 * <p>The collector ({@code tarmac pipeline collect}) writes a {@link StepOutput} as gzip'd JSON
 * ({@code {"files": {path: content}, "status": {...}, "destinationSelectors": [...]}}) under the key {@link #KEY} of
 * the run's output ConfigMap. The operator decodes it with {@link #decode}, which trusts nothing the collector
 * checked: what a Pod running as the pipeline ServiceAccount wrote may be anything.
 */
public final class PipelineOutput {

  /** The ConfigMap {@code binaryData} key holding the output. */
  public static final String KEY = "output.json.gz";
  /**
   * Largest compressed output, bytes: a ConfigMap holds 1 MiB of data in total (Kubernetes' {@code MaxSecretSize},
   * which ConfigMap validation uses too); a little is kept for the key.
   */
  public static final int MAX_COMPRESSED_BYTES = 1024 * 1024 - 1024;
  /** What the JSON may hold beyond the files themselves (escaping, status, selectors), bytes. */
  public static final long MARGIN_BYTES = 1024 * 1024;
  /** Largest {@code metadata/status.yaml}, bytes of JSON: it lands in the request's status, inside etcd's limit. */
  public static final int MAX_STATUS_BYTES = 64 * 1024;
  /** Most selectors {@code metadata/destination-selectors.yaml} may hold. */
  public static final int MAX_SELECTORS = 16;

  /** JSON with a nesting bound of its own, so a deep document fails in the parser rather than on the stack. */
  private static final ObjectMapper BOUNDED_JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build()).build());

  private PipelineOutput() {
  }

  /** The name of a run's output ConfigMap: {@code <job>-output}. */
  public static String configMapName(String jobName) {
    return jobName + "-output";
  }

  /**
   * The output a run's ConfigMap holds, checked as {@link #decode} does, after checking that the ConfigMap is the
   * one the operator made for this run: controlled by Job {@code jobUid} and labelled as the run.
   *
   * @param configMap the ConfigMap as read from the API server (null when absent)
   * @param name its expected name ({@link #configMapName})
   * @param jobName the run's Job
   * @param jobUid the Job's UID
   * @param runLabels the run's labels ({@code PipelineJobBuilder.labels}); spec hash, owner UID and pipeline must
   *     match
   * @param limits the size limits (bytes)
   * @throws WorkRejectedException saying what is wrong and what to change
   */
  public static StepOutput fromConfigMap(io.fabric8.kubernetes.api.model.ConfigMap configMap, String name,
      String jobName, String jobUid, Map<String, String> runLabels, StateStoreLayout.Limits limits) {
    if (configMap == null) {
      throw new WorkRejectedException("the run left no output: ConfigMap " + name + " is gone (the collector writes"
          + " it; it was deleted); the pipeline runs again after its backoff");
    }
    boolean owned = configMap.getMetadata().getOwnerReferences() != null && configMap.getMetadata()
        .getOwnerReferences().stream().anyMatch(o -> "Job".equals(o.getKind()) && jobUid.equals(o.getUid())
            && jobName.equals(o.getName()) && Boolean.TRUE.equals(o.getController()));
    if (!owned) {
      throw new WorkRejectedException("ConfigMap " + name + " is not controlled by Job " + jobName + ": it was not"
          + " made for this run (replaced by someone else?); the pipeline runs again after its backoff");
    }
    Map<String, String> labels = configMap.getMetadata().getLabels() == null ? Map.of()
        : configMap.getMetadata().getLabels();
    for (String key : List.of(dev.tarmac.api.Labels.SPEC_HASH, dev.tarmac.api.Labels.OWNER_UID,
        dev.tarmac.api.Labels.PIPELINE)) {
      if (!Objects.equals(labels.get(key), runLabels.get(key))) {
        throw new WorkRejectedException("ConfigMap " + name + " has label " + key + "=" + labels.get(key)
            + " where this run has " + runLabels.get(key) + ": it was not made for this run; the pipeline runs again"
            + " after its backoff");
      }
    }
    String encoded = configMap.getBinaryData() == null ? null : configMap.getBinaryData().get(KEY);
    if (encoded == null) {
      throw new WorkRejectedException("ConfigMap " + name + " holds no " + KEY + ": the Job completed without its"
          + " collector handing the output over (was the collect container replaced?)");
    }
    if (encoded.length() > MAX_COMPRESSED_BYTES * 4L / 3 + 8) {
      throw new WorkRejectedException("ConfigMap " + name + " holds more than " + MAX_COMPRESSED_BYTES + " bytes");
    }
    byte[] gz;
    try {
      gz = java.util.Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw new WorkRejectedException("ConfigMap " + name + " holds " + KEY + " that is not base64");
    }
    return decode(gz, limits);
  }

  /**
   * {@code out} as gzip'd JSON.
   *
   * @return the bytes for {@link #KEY}
   */
  public static byte[] encode(StepOutput out) {
    ObjectNode root = Serialization.JSON.createObjectNode();
    ObjectNode files = root.putObject("files");
    out.files().forEach(files::put);
    root.set("status", out.status());
    root.set("destinationSelectors", Serialization.JSON.valueToTree(out.selectors()));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      Serialization.JSON.writeValue(gz, root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Decodes and checks what a collector wrote. Unpacking stops past {@code limits.maxWorkBytes() + MARGIN_BYTES}
   * (a small gzip can unpack to gigabytes). Checked: the shape; every path ({@link StateStoreLayout#checkPath}); the
   * per-file and total size limits; {@code status.yaml} is a map at most {@link BoundedYaml#MAX_DEPTH} deep and
   * {@link #MAX_STATUS_BYTES} long, without the fields and condition types the operator owns
   * ({@link StatusMerge#RESERVED}, {@link StatusMerge#RESERVED_CONDITIONS}); the selectors are Kubernetes label
   * selectors. The files' YAML and Secret checks are {@link StateStoreLayout#validate}'s, on the Work.
   *
   * @param gz the bytes under {@link #KEY}
   * @param limits the size limits (bytes)
   * @return the output
   * @throws WorkRejectedException naming the file and what to change
   */
  public static StepOutput decode(byte[] gz, StateStoreLayout.Limits limits) {
    long bound = limits.maxWorkBytes() + MARGIN_BYTES;
    byte[] json = gunzip(gz, bound);
    JsonNode root;
    try {
      root = BOUNDED_JSON.readTree(json);
    } catch (IOException e) {
      throw new WorkRejectedException("the output is not the collector's JSON (" + firstLine(e.getMessage())
          + "): it must be written by tarmac pipeline collect");
    }
    if (root == null || !root.isObject()) {
      throw new WorkRejectedException("the output is not the collector's JSON object: it must be written by tarmac"
          + " pipeline collect");
    }
    StepOutput out = new StepOutput();
    JsonNode files = root.path("files");
    if (!files.isMissingNode() && !files.isNull() && !files.isObject()) {
      throw new WorkRejectedException("the output's files must be a map of path to content");
    }
    long total = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext();) {
      var e = it.next();
      String path = StateStoreLayout.checkPath(e.getKey());
      if (!e.getValue().isTextual()) {
        throw new WorkRejectedException("output file " + path + " is not text: write YAML or other text files");
      }
      long size = e.getValue().textValue().getBytes(StandardCharsets.UTF_8).length;
      if (size > limits.maxFileBytes()) {
        throw new WorkRejectedException("output file " + path + " is " + size + " bytes, over the limit of "
            + limits.maxFileBytes() + " bytes per file: split it or make it smaller");
      }
      total += size;
      if (total > limits.maxWorkBytes()) {
        throw new WorkRejectedException("the output is over the limit of " + limits.maxWorkBytes() + " bytes in"
            + " total (reached at " + path + "): produce fewer or smaller documents");
      }
      out.file(path, e.getValue().textValue());
    }
    checkStatus(root.path("status"), out);
    out.selectors().addAll(selectors(root.path("destinationSelectors")));
    return out;
  }

  private static void checkStatus(JsonNode status, StepOutput out) {
    if (status.isMissingNode() || status.isNull()) {
      return;
    }
    String file = "metadata/status.yaml";
    if (!status.isObject()) {
      throw new WorkRejectedException(file + " must be a map of status fields, not " + status.getNodeType());
    }
    int depth = depth(status);
    if (depth > BoundedYaml.MAX_DEPTH) {
      throw new WorkRejectedException(file + " is nested " + depth + " levels deep, over the limit of "
          + BoundedYaml.MAX_DEPTH + ": flatten it");
    }
    int size = status.toString().getBytes(StandardCharsets.UTF_8).length;
    if (size > MAX_STATUS_BYTES) {
      throw new WorkRejectedException(file + " is " + size + " bytes as JSON, over the limit of " + MAX_STATUS_BYTES
          + " bytes: a request's status is no place for documents; put them in output files");
    }
    for (String reserved : StatusMerge.RESERVED) {
      if (status.has(reserved)) {
        throw new WorkRejectedException(file + " sets status." + reserved + ", which only the operator writes:"
            + " remove it");
      }
    }
    JsonNode conditions = status.path("conditions");
    if (!conditions.isMissingNode() && !conditions.isArray()) {
      throw new WorkRejectedException(file + " has conditions that are not a list: write a list of {type, status,"
          + " reason, message}");
    }
    for (JsonNode c : conditions) {
      String type = c.path("type").asText("");
      if (type.isEmpty()) {
        throw new WorkRejectedException(file + " has a condition without a type: give every condition a type");
      }
      if (StatusMerge.RESERVED_CONDITIONS.contains(type)) {
        throw new WorkRejectedException(file + " sets condition " + type + ", which only the operator sets ("
            + String.join(", ", new java.util.TreeSet<>(StatusMerge.RESERVED_CONDITIONS))
            + "): use a condition type of your own");
      }
    }
    StatusMerge.merge(out.status(), status);
  }

  private static List<Selector> selectors(JsonNode node) {
    String file = "metadata/destination-selectors.yaml";
    List<Selector> out = new ArrayList<>();
    if (node.isMissingNode() || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      throw new WorkRejectedException(file + " must be a list of {matchLabels: {...}}");
    }
    if (node.size() > MAX_SELECTORS) {
      throw new WorkRejectedException(file + " holds " + node.size() + " selectors, over the limit of "
          + MAX_SELECTORS + ": merge them");
    }
    for (JsonNode s : node) {
      if (!s.isObject()) {
        throw new WorkRejectedException(file + " must be a list of {matchLabels: {...}}, not " + s.getNodeType());
      }
      for (Iterator<String> names = s.fieldNames(); names.hasNext();) {
        String name = names.next();
        if (!Set.of("matchLabels", "matchExpressions").contains(name)) {
          throw new WorkRejectedException(file + " has a selector field " + name + ": a selector has only"
              + " matchLabels and matchExpressions");
        }
      }
      JsonNode labels = s.path("matchLabels");
      if (!labels.isMissingNode() && !labels.isNull()) {
        if (!labels.isObject()) {
          throw new WorkRejectedException(file + " has matchLabels that are not a map of label to value");
        }
        labels.fields().forEachRemaining(e -> {
          if (!e.getValue().isValueNode() || e.getValue().isNull()) {
            throw new WorkRejectedException(file + " sets label " + e.getKey() + " to something other than a value");
          }
        });
      }
      Selector selector;
      try {
        selector = Serialization.JSON.treeToValue(s, Selector.class);
      } catch (IOException | IllegalArgumentException e) {
        throw new WorkRejectedException(file + " has a selector that is not a Kubernetes label selector: "
            + firstLine(e.getMessage()));
      }
      if (selector.matchExpressions != null) {
        for (Selector.Requirement r : selector.matchExpressions) {
          if (r == null || r.key == null || r.operator == null
              || !Set.of("In", "NotIn", "Exists", "DoesNotExist").contains(r.operator)) {
            throw new WorkRejectedException(file + " has a matchExpression without a key or with an operator other"
                + " than In, NotIn, Exists, DoesNotExist");
          }
        }
      }
      out.add(selector);
    }
    return out;
  }

  /**
   * The selectors of a Work, merged as Kratix merges them ({@code internal/controller/scheduler.go},
   * {@code resolveDestinationSelectorsForWorkloadGroup}: the Promise's labels take precedence over the workflow's): the
   * Promise's selectors unchanged, then the pipeline's without any label (or expression) on a key the Promise's
   * {@code matchLabels} already set — on a conflict the Promise's value wins and the pipeline's is dropped. A
   * Destination must match every selector ({@code WorkScheduler}), so a pipeline still only narrows placement where
   * the Promise does not speak, and never widens it. Pure.
   *
   * @param promise the Promise's {@code destinationSelectors}
   * @param pipeline the selectors the pipeline wrote
   */
  public static List<Selector> selectors(List<Selector> promise, List<Selector> pipeline) {
    Set<String> fixed = new java.util.HashSet<>();
    for (Selector s : promise) {
      if (s.matchLabels != null) {
        fixed.addAll(s.matchLabels.keySet());
      }
    }
    List<Selector> all = new ArrayList<>(promise);
    for (Selector p : pipeline) {
      Selector kept = new Selector();
      if (p.matchLabels != null) {
        Map<String, String> labels = new java.util.LinkedHashMap<>(p.matchLabels);
        labels.keySet().removeAll(fixed);
        kept.matchLabels = labels.isEmpty() ? null : labels;
      }
      if (p.matchExpressions != null) {
        List<Selector.Requirement> expressions = p.matchExpressions.stream().filter(r -> !fixed.contains(r.key))
            .toList();
        kept.matchExpressions = expressions.isEmpty() ? null : expressions;
      }
      if (kept.matchLabels != null || kept.matchExpressions != null) {
        all.add(sameAs(p, kept) ? p : kept);
      }
    }
    return all;
  }

  /** True when {@code kept} dropped nothing of {@code original}, so the original selector can be kept as it is. */
  private static boolean sameAs(Selector original, Selector kept) {
    return Objects.equals(original.matchLabels, kept.matchLabels)
        && Objects.equals(original.matchExpressions, kept.matchExpressions);
  }

  private static byte[] gunzip(byte[] gz, long bound) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      byte[] buf = new byte[64 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buf)) > 0) {
        total += n;
        if (total > bound) {
          throw new WorkRejectedException("the output unpacks to more than " + bound + " bytes (the limit is "
              + "the Work's " + (bound - MARGIN_BYTES) + " bytes plus room for status and selectors): produce fewer"
              + " or smaller documents");
        }
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      throw new WorkRejectedException("the output is not gzip'd JSON (" + firstLine(e.getMessage()) + "): it must be"
          + " written by tarmac pipeline collect");
    }
    return out.toByteArray();
  }

  private static int depth(JsonNode node) {
    if (!node.isContainerNode()) {
      return 0;
    }
    int max = 0;
    for (JsonNode child : node) {
      max = Math.max(max, depth(child));
    }
    return max + 1;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
