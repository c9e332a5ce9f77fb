package dev.tarmac.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.pipeline.PipelineCommand;
import dev.tarmac.pipeline.PipelineOutput;
import dev.tarmac.pipeline.StepOutput;
import dev.tarmac.promise.PipelineAccess;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, part 1: a pipeline cannot forge Works. With the pipeline ServiceAccount's own token on the real API
 * server, every write outside its run's output ConfigMap is forbidden; and whatever it writes into that ConfigMap,
 * the operator refuses what breaks the rules: reason InvalidOutput on the request, a Warning Event, no Work, the
 * state store's Git history unchanged, another request's status unchanged.
 */
@Tag("apiserver")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelineOutputAbuseApiServerTest {

  private static final String GROUP = "abuse.tarmac.test";
  private static final String PROMISE = "abusebucket";
  private static final String API_VERSION = GROUP + "/v1";
  private static final String KIND = "AbuseBucket";

  private Path tmp;

  private KubernetesClient client;
  private TarmacOperator op;
  private String ns;
  private String prodStore;
  private String devStore;
  private String baselineWork;
  private KubernetesClient pipeline;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    tmp = dir;
    client = TestCluster.get().client();
    String operatorNs = TestCluster.get().newNamespace("abuse-op");
    prodStore = operatorNs + "-prod";
    devStore = operatorNs + "-dev";
    TestStores.create(client, prodStore, null, Map.of("abuse-environment", "prod"), null);
    TestStores.create(client, devStore, null, Map.of("abuse-environment", "dev"), null);
    op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, operatorNs, "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test")).start();
    client.load(new ByteArrayInputStream(promise().getBytes(StandardCharsets.UTF_8))).serverSideApply();
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> client.genericKubernetesResources(
        API_VERSION, KIND).inAnyNamespace().list() != null);
    ns = TestCluster.get().newNamespace("abuse");

    // A request whose pipeline hands a good output over through the real collector: it is published.
    Job job = request("baseline");
    Path root = tmp.resolve("baseline");
    Files.createDirectories(root.resolve("output"));
    Files.writeString(root.resolve("output/bucket.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
    pipeline = TestCluster.get().clientAs(ns, PipelineAccess.serviceAccountName(PROMISE));
    PipelineCommand.collect(pipeline, root, env(job));
    complete(job);
    await().atMost(Duration.ofSeconds(60)).until(() -> "True".equals(condition("baseline", "Ready", "status")));
    baselineWork = client.resources(Work.class).inNamespace(ns).withLabel(Labels.OWNER_NAME, "baseline").list()
        .getItems().get(0).getMetadata().getName();
    await().atMost(Duration.ofSeconds(30)).until(() -> head(prodStore) != null);
  }

  @AfterAll
  void stop() {
    if (pipeline != null) {
      pipeline.close();
    }
    if (op != null) {
      op.close();
    }
  }

  // --- The pipeline ServiceAccount's token on the real API server: 403 outside its run's output ConfigMap. ---

  @Test
  void thePipelineServiceAccountCannotCreateAWork() {
    Work forged = new Work();
    forged.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("forged").withNamespace(ns)
        .build());
    forged.setSpec(new Work.Spec());
    forged.getSpec().files.add(new Work.WorkFile("crb.yaml", "kind: ClusterRoleBinding\n"));
    assertForbidden(() -> pipeline.resource(forged).create());
    assertForbidden(() -> pipeline.resource(forged).fieldManager("x").forceConflicts().serverSideApply());
    assertThat(client.resources(Work.class).inNamespace(ns).withName("forged").get()).isNull();
  }

  @Test
  void thePipelineServiceAccountCannotPatchAWork() {
    String before = Serialization.JSON.valueToTree(work(baselineWork).getSpec()).toString();
    assertForbidden(() -> pipeline.resources(Work.class).inNamespace(ns).withName(baselineWork)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"destinationSelectors\":[]}}"));
    assertThat(Serialization.JSON.valueToTree(work(baselineWork).getSpec()).toString()).isEqualTo(before);
  }

  @Test
  void thePipelineServiceAccountCannotDeleteAWork() {
    assertForbidden(() -> pipeline.resources(Work.class).inNamespace(ns).withName(baselineWork).delete());
    assertThat(work(baselineWork)).isNotNull();
    assertThat(work(baselineWork).getMetadata().getDeletionTimestamp()).isNull();
  }

  @Test
  void thePipelineServiceAccountCannotPatchTheRequestStatus() {
    String before = status("baseline").toString();
    var requests = pipeline.genericKubernetesResources(API_VERSION, KIND).inNamespace(ns).withName("baseline");
    assertForbidden(() -> requests.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"status\":{\"message\":\"forged\"}}"));
    assertForbidden(() -> requests.patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"labels\":{\"forged\":\"true\"}}}"));
    assertThat(status("baseline").toString()).isEqualTo(before);
  }

  @Test
  void thePipelineServiceAccountCannotWriteAnotherNamespacesRunOutput() throws Exception {
    String other = TestCluster.get().newNamespace("abuse-other");
    Job job = request(other, "victim");
    String name = env(job).get("TARMAC_OUTPUT_CONFIGMAP");
    // The SA of the same Promise in namespace ns holds no Role in namespace other.
    assertForbidden(() -> pipeline.configMaps().inNamespace(other).withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"binaryData\":{\"" + PipelineOutput.KEY + "\":\"AA==\"}}"));
    assertThat(client.configMaps().inNamespace(other).withName(name).get().getBinaryData()).isNullOrEmpty();
  }

  @Test
  void thePipelineServiceAccountCannotWriteItsInputOrMakeConfigMaps() throws Exception {
    Job job = request("inputs");
    String input = job.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(
        "input")).findFirst().orElseThrow().getConfigMap().getName();
    await().atMost(Duration.ofSeconds(10)).until(() -> client.configMaps().inNamespace(ns).withName(input).get(),
        java.util.Objects::nonNull);
    assertForbidden(() -> pipeline.configMaps().inNamespace(ns).withName(input)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"data\":{\"object.yaml\":\"forged\"}}"));
    assertForbidden(() -> pipeline.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata()
        .withName("made-by-pipeline").endMetadata().build()).create());
    assertForbidden(() -> pipeline.configMaps().inNamespace(ns).withName(env(job).get("TARMAC_OUTPUT_CONFIGMAP"))
        .delete());
  }

  // --- What reaches the run's output ConfigMap is checked by the operator and refused. ---

  @Test
  void aPathThatEscapesItsFolderIsRefused() {
    refused("traversal", files(Map.of("../../../other-team/x.yaml", "a: 1\n")), "escapes its folder");
    // While the retry waits for its backoff, a reconcile keeps the reason (it is recorded in status.pipelines).
    client.genericKubernetesResources(API_VERSION, KIND).inNamespace(ns).withName("traversal")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"" + Labels.TTL
            + "\":\"240h\"}}}");
    await().atMost(Duration.ofSeconds(30)).until(() -> status("traversal").has("expiresAt"));
    assertThat(condition("traversal", "PipelineCompleted", "reason")).isEqualTo("InvalidOutput");
    assertThat(status("traversal").path("pipelines").get(0).path("reason").asText()).isEqualTo("InvalidOutput");
  }

  @Test
  void anAbsolutePathIsRefused() {
    refused("absolute", files(Map.of("/etc/kubernetes/x.yaml", "a: 1\n")), "has an absolute path");
  }

  @Test
  void aNulInAPathIsRefused() {
    refused("nul", files(Map.of("a\u0000b.yaml", "a: 1\n")), "NUL or control character");
  }

  @Test
  void aThreeHundredCharacterNameIsRefused() {
    refused("longname", files(Map.of("x".repeat(295) + ".yaml", "a: 1\n")), "over the limit of 255 bytes");
  }

  @Test
  void aBillionLaughsFileIsRefused() {
    StringBuilder laughs = new StringBuilder("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    String prev = "a";
    for (char c = 'b'; c <= 'i'; c++) {
      laughs.append(c).append(": &").append(c).append(" [").append(("*" + prev + ",").repeat(8)).append('*')
          .append(prev).append("]\n");
      prev = String.valueOf(c);
    }
    refused("laughs", files(Map.of("bomb.yaml", laughs.toString())), "file bomb.yaml is not valid YAML: uses more"
        + " than 50 aliases");
  }

  @Test
  void aSixtyDeepDocumentIsRefused() {
    StringBuilder deep = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      deep.append("  ".repeat(i)).append('k').append(i).append(":\n");
    }
    deep.append("  ".repeat(60)).append("v\n");
    refused("deep", files(Map.of("deep.yaml", deep.toString())), "file deep.yaml is not valid YAML: nested deeper"
        + " than 50 levels");
  }

  @Test
  void tenMegabytesThatCompressSmallAreRefusedWhileUnpacking() {
    StepOutput out = new StepOutput().file("big.yaml", "a: b\n".repeat(2 * 1024 * 1024));
    byte[] gz = PipelineOutput.encode(out);
    assertThat(gz.length).isLessThan(100 * 1024);
    refused("tenmib", gz, "unpacks to more than");
  }

  @Test
  void aStatusThatSetsReadyIsRefused() {
    StepOutput out = new StepOutput().file("ok.yaml", "a: 1\n");
    out.status().putArray("conditions").addObject().put("type", "Ready").put("status", "True");
    refused("setsready", PipelineOutput.encode(out), "metadata/status.yaml sets condition Ready, which only the"
        + " operator sets");
    assertThat(condition("setsready", "Ready", "status")).isEqualTo("False");
  }

  @Test
  void aSelectorThatTriesToWidenPlacementIsOverruledByThePromise() {
    // As in Kratix, the Promise's label wins a conflict: the pipeline's abuse-environment=dev is dropped, so the
    // output goes where the Promise says (prod) and never to dev.
    String devBefore = head(devStore);
    String prodBefore = head(prodStore);
    StepOutput out = new StepOutput().file("widen.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w}\n");
    var selector = new dev.tarmac.api.Selector();
    selector.matchLabels = Map.of("abuse-environment", "dev");
    out.selectors().add(selector);
    Job job = request("widen");
    writeOutput(env(job).get("TARMAC_OUTPUT_CONFIGMAP"), PipelineOutput.encode(out));
    complete(job);
    await().atMost(Duration.ofSeconds(60)).failFast(() -> "InvalidOutput".equals(condition("widen", "Ready",
        "reason"))).until(() -> "True".equals(condition("widen", "Ready", "status")));
    Work work = client.resources(Work.class).inNamespace(ns).withLabel(Labels.OWNER_NAME, "widen").list().getItems()
        .get(0);
    assertThat(work.getSpec().destinationSelectors).extracting(s -> s.matchLabels)
        .containsExactly(Map.of("abuse-environment", "prod"));
    assertThat(head(devStore)).isEqualTo(devBefore);
    assertThat(head(prodStore)).isNotEqualTo(prodBefore);
  }

  @Test
  void aPlainSecretIsRefused() {
    refused("secret", files(Map.of("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
        + "stringData: {password: hunter2}\n")), "file secret.yaml (document 0) is a plain Secret");
  }

  @Test
  void anOutputConfigMapNotOwnedByTheJobIsRefused() {
    refused("notowned", PipelineOutput.encode(new StepOutput().file("ok.yaml", "a: 1\n")), "is not controlled by"
        + " Job", cm -> {
          // Someone with ConfigMap rights in the namespace replaces the run's ConfigMap with one of their own.
          client.configMaps().inNamespace(ns).withName(cm.getMetadata().getName()).withTimeout(10, TimeUnit.SECONDS)
              .delete();
          await().atMost(Duration.ofSeconds(10)).until(() -> client.configMaps().inNamespace(ns)
              .withName(cm.getMetadata().getName()).get() == null);
          client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata()
              .withName(cm.getMetadata().getName()).withLabels(cm.getMetadata().getLabels()).endMetadata()
              .withBinaryData(cm.getBinaryData()).build()).create();
        });
  }

  @Test
  void anOutputConfigMapWithAnotherRunsLabelsIsRefused() {
    refused("relabelled", PipelineOutput.encode(new StepOutput().file("ok.yaml", "a: 1\n")), "has label "
        + Labels.SPEC_HASH + "=forged", cm -> client.configMaps().inNamespace(ns).withName(cm.getMetadata().getName())
            .edit(c -> new ConfigMapBuilder(c).editMetadata().addToLabels(Labels.SPEC_HASH, "forged").endMetadata()
                .build()));
  }

  @Test
  void anOutputWrittenAfterTheRunCompletedChangesNothing() throws Exception {
    Work before = work(baselineWork);
    String headBefore = head(prodStore);
    Job job = client.batch().v1().jobs().inNamespace(ns).withLabel(Labels.OWNER_NAME, "baseline").list().getItems()
        .get(0);
    // The run's Role still exists (it goes with the Job), so the write itself succeeds; it is simply never read.
    writeOutput(env(job).get("TARMAC_OUTPUT_CONFIGMAP"), PipelineOutput.encode(new StepOutput()
        .file("crb.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}\n")));
    // Proof that the request was reconciled after the write: the TTL annotation makes it write status.expiresAt.
    client.genericKubernetesResources(API_VERSION, KIND).inNamespace(ns).withName("baseline")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"" + Labels.TTL
            + "\":\"240h\"}}}");
    await().atMost(Duration.ofSeconds(30)).until(() -> status("baseline").has("expiresAt"));
    Work after = work(baselineWork);
    assertThat(after.getMetadata().getGeneration()).isEqualTo(before.getMetadata().getGeneration());
    assertThat(after.getSpec().files).extracting(f -> f.path).containsExactly("bucket.yaml");
    assertThat(head(prodStore)).isEqualTo(headBefore);
    assertThat(condition("baseline", "Ready", "status")).isEqualTo("True");
  }

  @Test
  void aContainerOutputWithAClusterScopedKindIsRefusedByTheDefaultPolicy() {
    // The hand-off and the Promise's guardrails meet: a container's output goes through the same policy check as a
    // built-in step's (the Promise sets no outputPolicy, so cluster-scoped kinds are refused).
    refused("clusterscoped", PipelineOutput.encode(new StepOutput().file("rbac/crb.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: take-over}\n"
            + "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n")),
        "rbac/crb.yaml", cm -> { }, "OutputNotAllowed");
    assertThat(condition("clusterscoped", "Ready", "message")).contains("ClusterRoleBinding");
  }

  // --- helpers ---

  private void refused(String name, byte[] output, String text) {
    refused(name, output, text, cm -> { });
  }

  /**
   * Runs request {@code name}: writes {@code output} into its run's ConfigMap with the pipeline ServiceAccount's
   * token, lets {@code tamper} change the ConfigMap, marks the Job complete, and checks the refusal.
   */
  private void refused(String name, byte[] output, String text, Consumer<ConfigMap> tamper) {
    refused(name, output, text, tamper, "InvalidOutput");
  }

  private void refused(String name, byte[] output, String text, Consumer<ConfigMap> tamper, String reason) {
    String prodBefore = head(prodStore);
    String devBefore = head(devStore);
    String baselineBefore = status("baseline").toString();
    Job job = request(name);
    String cmName = env(job).get("TARMAC_OUTPUT_CONFIGMAP");
    writeOutput(cmName, output);
    tamper.accept(client.configMaps().inNamespace(ns).withName(cmName).get());
    complete(job);

    await().atMost(Duration.ofSeconds(30)).until(() -> reason.equals(condition(name, "PipelineCompleted",
        "reason")));
    assertThat(condition(name, "PipelineCompleted", "message")).contains(text);
    assertThat(condition(name, "Ready", "reason")).isEqualTo(reason);
    await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace(ns).list().getItems()
        .stream().anyMatch(e -> name.equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType())
            && reason.equals(e.getReason()) && e.getMessage().contains(text)));
    assertThat(client.resources(Work.class).inNamespace(ns).withLabel(Labels.OWNER_NAME, name).list().getItems())
        .isEmpty();
    assertThat(head(prodStore)).isEqualTo(prodBefore);
    assertThat(head(devStore)).isEqualTo(devBefore);
    assertThat(status("baseline").toString()).isEqualTo(baselineBefore);
  }

  private void writeOutput(String cmName, byte[] gz) {
    pipeline.configMaps().inNamespace(ns).withName(cmName).patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"binaryData\":{\"" + PipelineOutput.KEY + "\":\"" + Base64.getEncoder().encodeToString(gz) + "\"}}");
  }

  private static byte[] files(Map<String, String> files) {
    StepOutput out = new StepOutput();
    files.forEach(out::file);
    return PipelineOutput.encode(out);
  }

  private Job request(String name) {
    return request(ns, name);
  }

  /** Creates request {@code name} and waits for its Job and its output ConfigMap and Role. */
  private Job request(String namespace, String name) {
    client.genericKubernetesResources(API_VERSION, KIND).inNamespace(namespace).resource(
        new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder().withApiVersion(API_VERSION)
            .withKind(KIND).withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
            .addToAdditionalProperties("spec", Map.of("size", "small")).build()).create();
    Job job = await().atMost(Duration.ofSeconds(30)).until(() -> client.batch().v1().jobs().inNamespace(namespace)
        .withLabel(Labels.OWNER_NAME, name).list().getItems().stream().findFirst().orElse(null),
        java.util.Objects::nonNull);
    String cm = env(job).get("TARMAC_OUTPUT_CONFIGMAP");
    await().atMost(Duration.ofSeconds(10)).until(() -> client.configMaps().inNamespace(namespace).withName(cm).get()
        != null && client.rbac().roleBindings().inNamespace(namespace).withName(cm).get() != null);
    return job;
  }

  private static Map<String, String> env(Job job) {
    Map<String, String> env = new HashMap<>();
    job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().forEach(e -> env.put(e.getName(),
        e.getValue()));
    return env;
  }

  /** Plays the Job controller: the pod succeeded. */
  private void complete(Job job) {
    Job fresh = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
        .withName(job.getMetadata().getName()).get();
    fresh.setStatus(new JobStatusBuilder().withSucceeded(1)
        .withConditions(new JobConditionBuilder().withType("Complete").withStatus("True").build()).build());
    client.resource(fresh).updateStatus();
  }

  private JsonNode status(String name) {
    GenericKubernetesResource r = client.genericKubernetesResources(API_VERSION, KIND).inNamespace(ns)
        .withName(name).get();
    return Serialization.JSON.valueToTree(r).path("status");
  }

  private String condition(String name, String type, String field) {
    for (JsonNode c : status(name).path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path(field).asText(null);
      }
    }
    return null;
  }

  private Work work(String name) {
    return client.resources(Work.class).inNamespace(ns).withName(name).get();
  }

  /** The tip of the embedded store's main branch, or null before its first commit. */
  private String head(String store) {
    Path repo = tmp.resolve("data/git/" + store + ".git");
    if (!Files.isDirectory(repo)) {
      return null;
    }
    try {
      Process p = new ProcessBuilder("git", "--git-dir", repo.toString(), "rev-parse", "-q", "--verify",
          "refs/heads/main").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor() == 0 ? out : null;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void assertForbidden(Runnable call) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(KubernetesClientException.class,
        e -> assertThat(e.getCode()).isEqualTo(403));
  }

  private static String promise() {
    return """
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Promise
        metadata: {name: %1$s}
        spec:
          destinationSelectors:
            - matchLabels: {abuse-environment: prod}
          api:
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: abusebuckets.%2$s}
            spec:
              group: %2$s
              names: {kind: %3$s, plural: abusebuckets, singular: abusebucket}
              scope: Namespaced
              versions:
                - name: v1
                  served: true
                  storage: true
                  schema:
                    openAPIV3Schema:
                      type: object
                      properties:
                        spec:
                          type: object
                          properties:
                            size: {type: string}
          workflows:
            resource:
              configure:
                - apiVersion: platform.tarmac.dev/v1alpha1
                  kind: Pipeline
                  metadata: {name: make}
                  spec:
                    containers:
                      - name: make
                        image: example.com/make-bucket:1
        """.formatted(PROMISE, GROUP, KIND);
  }
}
