package dev.tarmac.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.BoundedYaml;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Serialization;
import dev.tarmac.statestore.StateStoreLayout;
import dev.tarmac.statestore.WorkRejectedException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** The collector-to-operator hand-off, pure: encoding, the bounded decode and every check the operator makes. */
class PipelineOutputTest {

  private static final StateStoreLayout.Limits LIMITS = StateStoreLayout.Limits.DEFAULT;

  @Test
  void anOutputSurvivesTheRoundTrip() {
    StepOutput out = new StepOutput().file("a/b.yaml", "kind: ConfigMap\n").file("c.txt", "hello");
    out.status().put("message", "ready soon");
    Selector s = new Selector();
    s.matchLabels = Map.of("region", "eu");
    out.selectors().add(s);

    StepOutput back = PipelineOutput.decode(PipelineOutput.encode(out), LIMITS);

    assertThat(back.files()).isEqualTo(out.files());
    assertThat(back.status().path("message").asText()).isEqualTo("ready soon");
    assertThat(back.selectors()).singleElement().satisfies(x -> assertThat(x.matchLabels).containsEntry("region",
        "eu"));
  }

  @Test
  void aZipBombStopsAtTheBoundNotAtTheEnd() throws Exception {
    // 64 MiB of one character compresses to about 64 KiB.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write("{\"files\":{\"a.txt\":\"".getBytes(StandardCharsets.UTF_8));
      byte[] chunk = "x".repeat(1024 * 1024).getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 64; i++) {
        gz.write(chunk);
      }
      gz.write("\"}}".getBytes(StandardCharsets.UTF_8));
    }
    assertThat(bytes.size()).isLessThan(PipelineOutput.MAX_COMPRESSED_BYTES);
    assertThatThrownBy(() -> PipelineOutput.decode(bytes.toByteArray(), LIMITS))
        .isInstanceOf(WorkRejectedException.class)
        .hasMessageContaining("unpacks to more than " + (LIMITS.maxWorkBytes() + PipelineOutput.MARGIN_BYTES));
  }

  @Test
  void pathsThatLeaveTheFolderAreRefused() {
    assertThatThrownBy(() -> decode("../escape.yaml", "a: 1")).hasMessageContaining("escapes its folder");
    assertThatThrownBy(() -> decode("a/../../b.yaml", "a: 1")).hasMessageContaining("escapes its folder");
    assertThatThrownBy(() -> decode("/etc/passwd", "x")).hasMessageContaining("absolute path");
    assertThatThrownBy(() -> decode("a\u0000b.yaml", "a: 1")).hasMessageContaining("NUL or control character");
    assertThatThrownBy(() -> decode("x".repeat(300) + ".yaml", "a: 1")).hasMessageContaining("305 bytes")
        .hasMessageContaining("limit of 255");
    assertThatThrownBy(() -> decode(".tarmac/works/x", "a: 1")).hasMessageContaining("reserved");
  }

  @Test
  void sizesAreCheckedAgainNotTrusted() {
    var small = new StateStoreLayout.Limits(10, 15);
    assertThatThrownBy(() -> PipelineOutput.decode(encodeFiles(Map.of("a.txt", "x".repeat(11))), small))
        .hasMessageContaining("a.txt is 11 bytes, over the limit of 10");
    assertThatThrownBy(() -> PipelineOutput.decode(encodeFiles(Map.of("a.txt", "x".repeat(8), "b.txt",
        "y".repeat(8))), small)).hasMessageContaining("over the limit of 15 bytes in total");
  }

  @Test
  void statusMayNotSetTheOperatorsConditionsOrFields() {
    assertThatThrownBy(() -> decodeStatus("{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}"))
        .hasMessageContaining("metadata/status.yaml sets condition Ready, which only the operator sets");
    assertThatThrownBy(() -> decodeStatus("{\"observedGeneration\":99}"))
        .hasMessageContaining("status.observedGeneration");
    assertThatThrownBy(() -> decodeStatus("[1,2]")).hasMessageContaining("must be a map");
    assertThatThrownBy(() -> decodeStatus("{\"big\":\"" + "x".repeat(70 * 1024) + "\"}"))
        .hasMessageContaining("over the limit of " + PipelineOutput.MAX_STATUS_BYTES);
    String deep = "{\"a\":".repeat(60) + "1" + "}".repeat(60);
    assertThatThrownBy(() -> decodeStatus(deep)).hasMessageContaining("nested 60 levels deep");
    StepOutput ok = decodeStatus("{\"conditions\":[{\"type\":\"DatabaseReady\",\"status\":\"True\"}]}");
    assertThat(ok.status().path("conditions").get(0).path("type").asText()).isEqualTo("DatabaseReady");
  }

  @Test
  void garbageIsRefusedWithAMessage() {
    assertThatThrownBy(() -> PipelineOutput.decode("not gzip".getBytes(StandardCharsets.UTF_8), LIMITS))
        .hasMessageContaining("not gzip'd JSON");
    assertThatThrownBy(() -> PipelineOutput.decode(gzip("[1]"), LIMITS)).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> PipelineOutput.decode(gzip("{\"files\":{\"a\":1}}"), LIMITS))
        .hasMessageContaining("not text");
    assertThatThrownBy(() -> PipelineOutput.decode(gzip("[".repeat(300) + "]".repeat(300)), LIMITS))
        .hasMessageContaining("not the collector's JSON");
    assertThatThrownBy(() -> PipelineOutput.decode(gzip("{\"destinationSelectors\":[{\"namespaceSelector\":{}}]}"),
        LIMITS)).hasMessageContaining("selector field namespaceSelector");
    assertThatThrownBy(() -> PipelineOutput.decode(gzip("{\"destinationSelectors\":[{\"matchExpressions\":"
        + "[{\"key\":\"a\",\"operator\":\"Matches\"}]}]}"), LIMITS)).hasMessageContaining("operator other than");
  }

  @Test
  void aPipelineSelectorNarrowsWhereThePromiseIsSilentAndThePromiseWinsAConflictAsInKratix() {
    Selector promise = new Selector();
    promise.matchLabels = Map.of("environment", "prod");
    Selector narrower = new Selector();
    narrower.matchLabels = Map.of("region", "eu");
    assertThat(PipelineOutput.selectors(List.of(promise), List.of(narrower))).containsExactly(promise, narrower);
    // Kratix: the Promise's labels take precedence; the pipeline's environment=dev is dropped, its region kept.
    Selector conflicting = new Selector();
    conflicting.matchLabels = new java.util.LinkedHashMap<>(Map.of("environment", "dev", "region", "us"));
    Selector.Requirement notProd = new Selector.Requirement();
    notProd.key = "environment";
    notProd.operator = "NotIn";
    notProd.values = List.of("prod");
    conflicting.matchExpressions = List.of(notProd);
    List<Selector> merged = PipelineOutput.selectors(List.of(promise), List.of(conflicting));
    assertThat(merged).hasSize(2);
    assertThat(merged.get(0)).isSameAs(promise);
    assertThat(merged.get(1).matchLabels).containsExactly(Map.entry("region", "us"));
    assertThat(merged.get(1).matchExpressions).isNull();
    // Never wider than the Promise: a Destination labelled environment=dev matches none of the merged selectors.
    assertThat(merged.stream().allMatch(s -> s.matches(Map.of("environment", "dev", "region", "us")))).isFalse();
    assertThat(merged.stream().allMatch(s -> s.matches(Map.of("environment", "prod", "region", "us")))).isTrue();
    // A selector left with nothing is dropped.
    Selector onlyConflict = new Selector();
    onlyConflict.matchLabels = Map.of("environment", "dev");
    assertThat(PipelineOutput.selectors(List.of(promise), List.of(onlyConflict))).containsExactly(promise);
  }

  @Test
  void theConfigMapMustBeTheRunsOwn() {
    Map<String, String> labels = Map.of(Labels.SPEC_HASH, "abc", Labels.OWNER_UID, "u1", Labels.PIPELINE, "p");
    String data = Base64.getEncoder().encodeToString(PipelineOutput.encode(new StepOutput().file("a.yaml", "a: 1")));
    ConfigMap good = new ConfigMapBuilder().withNewMetadata().withName("j-output").withLabels(labels)
        .addNewOwnerReference().withKind("Job").withName("j").withUid("job-uid").withController(true)
        .endOwnerReference().endMetadata().addToBinaryData(PipelineOutput.KEY, data).build();
    assertThat(PipelineOutput.fromConfigMap(good, "j-output", "j", "job-uid", labels, LIMITS).files())
        .containsKey("a.yaml");

    assertThatThrownBy(() -> PipelineOutput.fromConfigMap(null, "j-output", "j", "job-uid", labels, LIMITS))
        .hasMessageContaining("ConfigMap j-output is gone");
    assertThatThrownBy(() -> PipelineOutput.fromConfigMap(good, "j-output", "j", "other-uid", labels, LIMITS))
        .hasMessageContaining("is not controlled by Job j");
    ConfigMap relabelled = new ConfigMapBuilder(good).editMetadata().addToLabels(Labels.SPEC_HASH, "zzz")
        .endMetadata().build();
    assertThatThrownBy(() -> PipelineOutput.fromConfigMap(relabelled, "j-output", "j", "job-uid", labels, LIMITS))
        .hasMessageContaining("label " + Labels.SPEC_HASH + "=zzz where this run has abc");
    ConfigMap empty = new ConfigMapBuilder(good).withBinaryData(Map.of()).build();
    assertThatThrownBy(() -> PipelineOutput.fromConfigMap(empty, "j-output", "j", "job-uid", labels, LIMITS))
        .hasMessageContaining("holds no " + PipelineOutput.KEY);
  }

  @Test
  void boundedYamlRefusesBombsAndDeepNestingButReadsOrdinaryDocuments() throws Exception {
    StringBuilder laughs = new StringBuilder("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    String prev = "a";
    for (char c = 'b'; c <= 'i'; c++) {
      laughs.append(c).append(": &").append(c).append(" [").append(("*" + prev + ",").repeat(8)).append('*')
          .append(prev).append("]\n");
      prev = String.valueOf(c);
    }
    assertThatThrownBy(() -> BoundedYaml.readAll(laughs.toString())).hasMessageContaining("more than 50 aliases");
    StringBuilder deep = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      deep.append("  ".repeat(i)).append('k').append(i).append(":\n");
    }
    deep.append("  ".repeat(60)).append("v\n");
    assertThatThrownBy(() -> BoundedYaml.readAll(deep.toString())).hasMessageContaining("nested deeper than 50");
    assertThatThrownBy(() -> BoundedYaml.readAll("[".repeat(600) + "]".repeat(600)))
        .hasMessageContaining("nested deeper than 50");
    assertThat(BoundedYaml.readAll("a: &x {b: 1}\nc: *x\n---\nkind: ConfigMap\n")).hasSize(2);
    // The Work check uses the same bounds, naming the file.
    var w = WorkflowRunner.work(owner(), "p", "w", "h", new StepOutput().file("bomb.yaml", laughs.toString()));
    assertThatThrownBy(() -> StateStoreLayout.validate(w, LIMITS)).hasMessageContaining("file bomb.yaml is not valid"
        + " YAML").hasMessageContaining("aliases");
  }

  @Test
  void theCollectorFailsClearlyWhenTheOutputDoesNotFitAConfigMap(@org.junit.jupiter.api.io.TempDir java.nio.file.Path
      root) throws Exception {
    java.util.Random random = new java.util.Random(15);
    java.nio.file.Files.createDirectories(root.resolve("output"));
    for (int f = 0; f < 2; f++) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < 900 * 1024; i++) {
        text.append((char) ('a' + random.nextInt(26)));
      }
      java.nio.file.Files.writeString(root.resolve("output/noise-" + f + ".txt"), text);
    }
    // No client is needed: the size is known before anything is written.
    assertThatThrownBy(() -> PipelineCommand.collect(null, root, Map.of("TARMAC_WORK_NAMESPACE", "ns",
        "TARMAC_OUTPUT_CONFIGMAP", "j-output"))).isInstanceOf(PipelineException.class)
        .hasMessageContaining("bytes compressed, over the " + PipelineOutput.MAX_COMPRESSED_BYTES
            + " bytes a ConfigMap holds");
  }

  @Test
  void aWorkCarriesItsRequestsShardLabelButNotItsPromises() {
    var request = Serialization.JSON.createObjectNode();
    request.with("metadata").with("labels").put(Labels.SHARD, "a");
    var fromRequest = new WorkflowRunner.Owner(request, "x.io/v1", "Thing", "ns", "t", "uid", "promise", "resource",
        "ns", "sa", List.of());
    assertThat(WorkflowRunner.work(fromRequest, "p", "w", "h", new StepOutput()).getMetadata().getLabels())
        .containsEntry(Labels.SHARD, "a");
    var fromPromise = new WorkflowRunner.Owner(request, "platform.tarmac.dev/v1alpha1", "Promise", null, "redis",
        "uid", "redis", "promise", "tarmac-system", "sa", List.of());
    assertThat(WorkflowRunner.work(fromPromise, "p", "w", "h", new StepOutput()).getMetadata().getLabels())
        .as("a Promise's Works are the default shard's").doesNotContainKey(Labels.SHARD);
    assertThat(WorkflowRunner.work(owner(), "p", "w", "h", new StepOutput()).getMetadata().getLabels())
        .doesNotContainKey(Labels.SHARD);
  }

  private static WorkflowRunner.Owner owner() {
    return new WorkflowRunner.Owner(Serialization.JSON.createObjectNode(), "x.io/v1", "Thing", "ns", "t", "uid",
        "promise", "resource", "ns", "sa", List.of());
  }

  private static StepOutput decode(String path, String content) {
    return PipelineOutput.decode(encodeFiles(Map.of(path, content)), LIMITS);
  }

  private static StepOutput decodeStatus(String statusJson) {
    return PipelineOutput.decode(gzip("{\"files\":{},\"status\":" + statusJson + "}"), LIMITS);
  }

  private static byte[] encodeFiles(Map<String, String> files) {
    var root = Serialization.JSON.createObjectNode();
    var f = root.putObject("files");
    files.forEach(f::put);
    return gzip(root.toString());
  }

  static byte[] gzip(String json) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(json.getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }
}
