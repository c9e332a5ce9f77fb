package dev.tarmac.promise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.KratixPromise;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import dev.tarmac.pipeline.PipelineOutput;
import dev.tarmac.pipeline.StepOutput;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
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
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Promises as the Kratix marketplace publishes them (test resources {@code kratix-marketplace/}, unchanged), on a real
 * API server: they apply with server-side apply as written (their {@code status} and {@code workflows.config}
 * included) and become Available as Kratix reports it; a compound Promise's requests wait, with a condition naming the
 * Promise and version they wait for, and run as soon as the required Promises are Available; Pipelines'
 * {@code rbac.permissions} become Roles, ClusterRoles and bindings of the pipeline ServiceAccount that work with its
 * own token. No kubelet or Job controller runs here: the test plays them (a promise workflow's Job is marked Complete
 * after its output is written).
 */
@Tag("apiserver")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KratixMarketplaceApiServerTest {

  private KubernetesClient client;
  private TarmacOperator op;
  private String operatorNs;
  private java.time.Instant started;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    client = TestCluster.get().client();
    // Second precision, as creationTimestamp has it.
    started = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    operatorNs = TestCluster.get().newNamespace("market");
    TestStores.create(client, operatorNs + "-dev", null, Map.of("environment", "dev"), null);
    TestStores.create(client, operatorNs + "-platform", null, Map.of("environment", "platform"), null);
    op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, operatorNs, "test",
        tmp.resolve("data"), false, 4, false, "ghcr.io/tarmac-dev/tarmac:test")).start();
  }

  @AfterAll
  void stop() {
    try {
      removePromises();
    } finally {
      if (op != null) {
        op.close();
      }
    }
  }

  /**
   * Promises are cluster-scoped and the API server is shared by every test class: a Promise left behind is reconciled
   * by the next class's operator, and its dependencies (no selectors: every Destination) would land in that class's
   * stores. Deleted while this class's operator runs; what a delete pipeline (no kubelet here) holds is released.
   */
  private void removePromises() {
    removeMine(KratixPromise.class);
    // Works are reconciled cluster-wide: the Works of its requests and dependencies (some with no selectors) would
    // be placed on the next class's Destinations.
    removeMine(dev.tarmac.api.Work.class);
  }

  /** Deletes the objects of {@code type} made since this class started; releases any finalizer left after 20 s. */
  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> void removeMine(Class<T> type) {
    var mine = client.resources(type).inAnyNamespace().list().getItems().stream()
        .filter(o -> o.getMetadata().getCreationTimestamp() != null
            && !java.time.Instant.parse(o.getMetadata().getCreationTimestamp()).isBefore(started))
        .toList();
    mine.forEach(o -> client.resource(o).delete());
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> mine.stream().allMatch(o -> client.resource(o).get()
          == null));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      for (var o : mine) {
        if (client.resource(o).get() != null) {
          // A merge patch: no resourceVersion, so the operator's own writes to the object cannot conflict with it.
          client.resource(o).patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
              io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
        }
      }
    }
  }

  @Test
  @Order(3)
  void promisesWithoutAnApiAndWithClusterWidePermissionsApplyUnchangedAndBecomeAvailable() throws Exception {
    apply("cert-manager-promise.yaml");
    apply("ai-promise.yaml");
    // cert-manager has no spec.api: no request kind, its promise workflow runs, then it is Available.
    completePromiseWorkflow("cert-manager", "cert-manager is installed");
    KratixPromise certManager = await().atMost(Duration.ofSeconds(30)).until(() -> promise("cert-manager"),
        p -> p.getStatus() != null && "Available".equals(p.getStatus().status));
    var s = certManager.getStatus();
    assertThat(s.kind).isNull();
    assertThat(s.version).isEqualTo("v1.0.0-beta.1");
    assertThat(s.message).isEqualTo("cert-manager is installed");
    assertThat(List.of(s.workflows, s.workflowsSucceeded, s.workflowsFailed)).containsExactly(1L, 1L, 0L);
    assertThat(s.lastAvailableTime).isNotNull();
    assertThat(s.kratix.status).isEqualTo("Available");
    assertThat(s.kratix.lastAvailableTime).isEqualTo(s.lastAvailableTime);
    assertThat(Conditions.isTrue(s, Conditions.READY)).isTrue();
    assertThat(Conditions.find(s.conditions, "WorkflowConfigIgnored")).isEmpty();

    // ai: two promise pipelines in order; the second asks for secrets in every namespace.
    completePromiseWorkflow("ai", "litellm is deployed");
    KratixPromise ai = await().atMost(Duration.ofSeconds(30)).until(() -> promise("ai"),
        p -> p.getStatus() != null && "Available".equals(p.getStatus().status));
    assertThat(ai.getStatus().kind).isEqualTo("ai");
    assertThat(ai.getStatus().workflowsSucceeded).isEqualTo(2L);
    String base = "tarmac-ai-promise-configure-litellm-deploy";
    var clusterRole = client.rbac().clusterRoles().withName(base + "-all-namespaces").get();
    assertThat(clusterRole.getRules()).singleElement().satisfies(r -> {
      assertThat(r.getResources()).containsExactly("secrets");
      assertThat(r.getVerbs()).containsExactly("get", "list", "watch");
    });
    assertThat(clusterRole.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo(ai.getMetadata().getUid()));
    var binding = client.rbac().clusterRoleBindings().withName(base + "-all-namespaces-" + operatorNs).get();
    assertThat(binding.getSubjects()).singleElement().satisfies(sub -> {
      assertThat(sub.getName()).isEqualTo(PipelineAccess.serviceAccountName("ai"));
      assertThat(sub.getNamespace()).isEqualTo(operatorNs);
    });
    // The first pipeline asked for nothing: nothing was made for it.
    assertThat(client.rbac().clusterRoles().withLabel(Labels.PIPELINE, "provision-postgres-db").list().getItems())
        .isEmpty();
    // The grant works with the pipeline ServiceAccount's own token, and is no more than asked.
    String elsewhere = TestCluster.get().newNamespace("market-secrets");
    try (KubernetesClient pipeline = TestCluster.get().clientAs(operatorNs, PipelineAccess.serviceAccountName("ai"))) {
      assertThat(pipeline.secrets().inNamespace(elsewhere).list().getItems()).isNotNull();
      assertForbidden(() -> pipeline.secrets().inNamespace(elsewhere).resource(new io.fabric8.kubernetes.api.model
          .SecretBuilder().withNewMetadata().withName("x").endMetadata().build()).create());
      assertForbidden(() -> pipeline.configMaps().inNamespace(elsewhere).list());
    }
  }

  /** First: runtime must not exist yet. */
  @Test
  @Order(1)
  void aCompoundPromisesRequestsWaitForTheRequiredPromisesAndProceedWhenTheyAreAvailable() throws Exception {
    apply("app-stack-promise.yaml");
    KratixPromise appStack = await().atMost(Duration.ofSeconds(30)).until(() -> promise("app-stack"),
        p -> p.getStatus() != null && p.getStatus().requiredPromises != null);
    assertThat(appStack.getStatus().status).isEqualTo("Unavailable");
    assertThat(appStack.getStatus().version).isEqualTo("v0.1.0");
    assertThat(appStack.getStatus().requiredPromises).extracting(r -> r.name + "@" + r.version + ": " + r.state)
        .satisfiesExactly(
            // Another test class may have left a postgresql Promise at another version: Kratix's state is then
            // "Requirement not installed at the specified version".
            r -> assertThat(r).startsWith("postgresql@v1.0.0-beta.5: Requirement not installed"),
            r -> assertThat(r).isEqualTo("runtime@v1.0.0: Requirement not installed"));
    var requirements = Conditions.find(appStack.getStatus().conditions, "RequirementsFulfilled").orElseThrow();
    assertThat(requirements.getStatus()).isEqualTo("False");
    assertThat(requirements.getReason()).isEqualTo("RequirementsNotInstalled");
    // The request kind is served meanwhile: a request is accepted and waits, naming what it waits for.
    String ns = TestCluster.get().newNamespace("market-app");
    applyRequest("app-stack-resource-request.yaml", ns);
    var requests = client.genericKubernetesResources("marketplace.kratix.io/v1alpha1", "AppStack").inNamespace(ns);
    GenericKubernetesResource waiting = await().atMost(Duration.ofSeconds(30)).until(
        () -> requests.withName("my-app-stack").get(), r -> "False".equals(field(r, "PromiseAvailable", "status")));
    assertThat(field(waiting, "PromiseAvailable", "reason")).isEqualTo("PromiseRequirementsNotInstalled");
    assertThat(field(waiting, "PromiseAvailable", "message")).contains("postgresql@v1.0.0-beta.5")
        .contains("runtime@v1.0.0");
    assertThat(field(waiting, "Ready", "status")).isEqualTo("False");
    assertThat(jobsOf(ns, "my-app-stack")).isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inAnyNamespace().list().getItems()
        .stream().anyMatch(e -> "app-stack".equals(e.getInvolvedObject().getName())
            && "RequirementsNotInstalled".equals(e.getReason())));

    // runtime (from the marketplace, v1.0.0) arrives and finishes its promise workflow; postgresql is still missing.
    apply("runtime-promise.yaml");
    completePromiseWorkflow("runtime", null);
    await().atMost(Duration.ofSeconds(30)).until(() -> promise("runtime"),
        p -> p.getStatus() != null && "Available".equals(p.getStatus().status));
    await().atMost(Duration.ofSeconds(30)).until(() -> field(requests.withName("my-app-stack").get(),
        "PromiseAvailable", "message"), m -> m != null && !m.contains("runtime@") && m.contains("postgresql@"));
    assertThat(promise("runtime").getStatus().requiredBy).singleElement().satisfies(b -> {
      assertThat(b.promise.name).isEqualTo("app-stack");
      assertThat(b.promise.version).isEqualTo("v0.1.0");
      assertThat(b.requiredVersion).isEqualTo("v1.0.0");
    });

    // postgresql at another version does not do.
    client.load(new ByteArrayInputStream(postgresql("v1.0.0-beta.4").getBytes(StandardCharsets.UTF_8)))
        .serverSideApply();
    await().atMost(Duration.ofSeconds(30)).until(() -> promise("app-stack").getStatus().requiredPromises.get(0).state,
        "Requirement not installed at the specified version"::equals);
    assertThat(field(requests.withName("my-app-stack").get(), "PromiseAvailable", "status")).isEqualTo("False");
    assertThat(jobsOf(ns, "my-app-stack")).isEmpty();

    // At the required version: app-stack becomes Available and the waiting request runs, without waiting for a timer.
    long released = System.nanoTime();
    client.load(new ByteArrayInputStream(postgresql("v1.0.0-beta.5").getBytes(StandardCharsets.UTF_8)))
        .serverSideApply();
    await().atMost(Duration.ofSeconds(30)).until(() -> jobsOf(ns, "my-app-stack"), jobs -> !jobs.isEmpty());
    long seconds = Duration.ofNanos(System.nanoTime() - released).toSeconds();
    System.out.printf("compound Promise: request's first Job %d s after the required Promise reached its version%n",
        seconds);
    // Event driven: well before the Promise's 10 s re-check could have released it.
    assertThat(seconds).isLessThan(9);
    KratixPromise available = promise("app-stack");
    assertThat(available.getStatus().status).isEqualTo("Available");
    assertThat(Conditions.find(available.getStatus().conditions, "RequirementsFulfilled").orElseThrow().getReason())
        .isEqualTo("RequirementsInstalled");
    assertThat(available.getStatus().requiredPromises).extracting(r -> r.state)
        .containsOnly("Requirement installed");
    await().atMost(Duration.ofSeconds(30)).until(() -> "True".equals(field(requests.withName("my-app-stack").get(),
        "PromiseAvailable", "status")));
    assertThat(promise("postgresql").getStatus().requiredBy).extracting(b -> b.promise.name + "@" + b.requiredVersion)
        .containsExactly("app-stack@v1.0.0-beta.5");

    // The request's pipelines got what the Promise's wait-for-dependencies Pipeline asks for, and only that: a Role
    // in the request's namespace and secrets in every namespace, bound to the Promise's pipeline ServiceAccount there.
    String base = "tarmac-app-stack-resource-configure-wait-for-dependencies";
    var role = await().atMost(Duration.ofSeconds(10)).until(() -> client.rbac().roles().inNamespace(ns).withName(base)
        .get(), java.util.Objects::nonNull);
    assertThat(role.getRules()).singleElement().satisfies(r -> {
      assertThat(r.getApiGroups()).containsExactly("marketplace.kratix.io");
      assertThat(r.getResources()).containsExactly("postgresqls");
      assertThat(r.getVerbs()).containsExactly("get", "list");
    });
    assertThat(client.rbac().roleBindings().inNamespace(ns).withName(base).get().getSubjects()).singleElement()
        .satisfies(sub -> assertThat(sub.getName()).isEqualTo(PipelineAccess.serviceAccountName("app-stack")));
    assertThat(client.rbac().clusterRoleBindings().withName(base + "-all-namespaces-" + ns).get().getRoleRef()
        .getName()).isEqualTo(base + "-all-namespaces");
    // Pipelines without permissions (create-dependencies, create-runtime) got nothing.
    assertThat(client.rbac().roles().inNamespace(ns).withLabel(PipelinePermissions.LABEL, "true").list().getItems())
        .extracting(r -> r.getMetadata().getName()).containsExactly(base);
  }

  @Test
  @Order(2)
  void resourceNamesPermissionsBecomeARoleInTheRequestsNamespaceThatTheRequestCannotWiden() throws Exception {
    apply("runtime-promise.yaml");
    completePromiseWorkflow("runtime", null);
    String ns = TestCluster.get().newNamespace("market-runtime");
    // The request tries to say something about permissions: the schema has no such field and nothing reads it.
    ObjectNode request = (ObjectNode) Serialization.YAML.readTree(resource("runtime-resource-request.yaml"));
    ((ObjectNode) request.get("metadata")).put("namespace", ns);
    ((ObjectNode) request.get("spec")).putObject("rbac").putArray("permissions").addObject()
        .put("resourceNamespace", "*").putArray("verbs").add("*");
    client.resource(Serialization.JSON.treeToValue(request, GenericKubernetesResource.class)).create();
    String name = "tarmac-runtime-resource-configure-instance";
    var role = await().atMost(Duration.ofSeconds(30)).until(() -> client.rbac().roles().inNamespace(ns).withName(name)
        .get(), java.util.Objects::nonNull);
    assertThat(role.getRules()).singleElement().satisfies(r -> {
      assertThat(r.getResources()).containsExactly("configmaps");
      assertThat(r.getVerbs()).containsExactly("get", "list");
      assertThat(r.getResourceNames()).containsExactly("runtime-domain");
    });
    assertThat(client.rbac().clusterRoles().withLabel(Labels.PROMISE, "runtime").list().getItems()).isEmpty();
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("runtime-domain")
        .endMetadata().addToData("domain", "example.com").build()).create();
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("other")
        .endMetadata().build()).create();
    try (KubernetesClient pipeline = TestCluster.get().clientAs(ns, PipelineAccess.serviceAccountName("runtime"))) {
      assertThat(pipeline.configMaps().inNamespace(ns).withName("runtime-domain").get().getData())
          .containsEntry("domain", "example.com");
      assertForbidden(() -> pipeline.configMaps().inNamespace(ns).withName("other").get());
      assertForbidden(() -> pipeline.secrets().inNamespace(ns).list());
    }
    // The platform team drops the resource workflow: what it granted in the request's namespace goes with it.
    client.genericKubernetesResources("platform.kratix.io/v1alpha1", "Promise").withName("runtime")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"workflows\":{\"resource\":null}}}");
    completePromiseWorkflow("runtime", null);
    // (Awaitility's predicate form never matches null: compare inside the condition.)
    await().atMost(Duration.ofSeconds(30)).until(() -> client.rbac().roles().inNamespace(ns).withName(name).get()
        == null);
    assertThat(client.rbac().roleBindings().inNamespace(ns).withName(name).get()).isNull();
  }

  @Test
  @Order(4)
  void dependenciesAreWrittenOnceToTheDestinationsThePromiseSelects() throws Exception {
    // The shape of Kratix's docs ("Promise dependencies"): manifests under spec.dependencies, selectors for where.
    client.load(new ByteArrayInputStream("""
        apiVersion: platform.kratix.io/v1alpha1
        kind: Promise
        metadata:
          name: market-deps
          labels: {kratix.io/promise-version: v0.0.1}
        spec:
          destinationSelectors:
            - matchLabels: {environment: platform}
          dependencies:
            - apiVersion: v1
              kind: Namespace
              metadata: {name: market-deps-system}
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: market-deps-config, namespace: market-deps-system}
              data: {mode: shared}
        """.getBytes(StandardCharsets.UTF_8))).serverSideApply();
    KratixPromise p = await().atMost(Duration.ofSeconds(30)).until(() -> promise("market-deps"),
        x -> x.getStatus() != null && "Available".equals(x.getStatus().status));
    var work = await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(dev.tarmac.api.Work.class)
        .inNamespace(operatorNs).withName("market-deps-dependencies").get(), w -> w != null && w.getStatus() != null
            && Conditions.isTrue(w.getStatus(), Conditions.PUBLISHED));
    assertThat(work.getSpec().files).extracting(f -> f.path).containsExactly(
        "000-namespace-market-deps-system.yaml", "001-configmap-market-deps-config.yaml");
    assertThat(work.getSpec().files.get(1).content).contains("mode: shared");
    // Only the Destination labelled environment=platform, under dependencies/<promise>/.
    assertThat(work.getStatus().placements).singleElement().satisfies(pl -> {
      assertThat(pl.destination).isEqualTo(operatorNs + "-platform");
      assertThat(pl.path).contains("dependencies/market-deps");
      assertThat(pl.commit).isNotBlank();
    });
    assertThat(p.getStatus().version).isEqualTo("v0.0.1");
  }

  @Test
  @Order(5)
  void everyKratixPromiseOfTheSharedCorpusStillAppliesAndIsServed() throws Exception {
    try (var files = java.nio.file.Files.list(dev.tarmac.testing.RepoPaths.corpus().resolve("kratix"))) {
      for (Path file : files.filter(f -> f.getFileName().toString().endsWith("-promise.yaml")).sorted().toList()) {
        JsonNode doc = Serialization.YAML.readTree(file.toFile());
        client.load(java.nio.file.Files.newInputStream(file)).serverSideApply();
        String name = doc.path("metadata").path("name").asText();
        KratixPromise p = await().atMost(Duration.ofSeconds(60)).until(() -> promise(name),
            x -> x.getStatus() != null && Conditions.isTrue(x.getStatus(), Conditions.AVAILABLE));
        assertThat(p.getStatus().kind).as(file.toString())
            .isEqualTo(doc.path("spec").path("api").path("spec").path("names").path("kind").asText());
      }
    }
  }

  /** A Promise named postgresql at {@code version}, with no API (app-stack requires it at v1.0.0-beta.5). */
  private static String postgresql(String version) {
    return """
        apiVersion: platform.kratix.io/v1alpha1
        kind: Promise
        metadata:
          name: postgresql
          labels: {kratix.io/promise-version: %s}
        spec: {}
        """.formatted(version);
  }

  private static InputStream resource(String file) {
    return KratixMarketplaceApiServerTest.class.getResourceAsStream("/kratix-marketplace/" + file);
  }

  private void apply(String file) {
    client.load(resource(file)).serverSideApply();
  }

  private void applyRequest(String file, String ns) throws IOException {
    ObjectNode request = (ObjectNode) Serialization.YAML.readTree(resource(file));
    ((ObjectNode) request.get("metadata")).put("namespace", ns);
    client.load(new ByteArrayInputStream(Serialization.JSON.writeValueAsBytes(request))).serverSideApply();
  }

  private KratixPromise promise(String name) {
    return client.resources(KratixPromise.class).withName(name).get();
  }

  private List<Job> jobsOf(String ns, String owner) {
    return client.batch().v1().jobs().inNamespace(ns).withLabel(Labels.OWNER_NAME, owner).list().getItems();
  }

  /**
   * Plays every container of Promise {@code name}'s promise configure workflow, in order: waits for each Job, writes
   * its output (a status message, no files) into the run's output ConfigMap as the collector would, and marks it
   * Complete as the Job controller would, until the Promise has no Pipeline left to run.
   */
  private void completePromiseWorkflow(String name, String message) {
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      KratixPromise p = promise(name);
      if (p != null && p.getStatus() != null && p.getStatus().workflows != null
          && p.getStatus().workflows.equals(p.getStatus().workflowsSucceeded)) {
        return true;
      }
      for (Job job : client.batch().v1().jobs().inNamespace(operatorNs).withLabel(Labels.PROMISE, name)
          .withLabel(Labels.OWNER_KIND, "Promise").list().getItems()) {
        boolean done = job.getStatus() != null && job.getStatus().getConditions() != null
            && !job.getStatus().getConditions().isEmpty();
        String output = PipelineOutput.configMapName(job.getMetadata().getName());
        if (done || client.configMaps().inNamespace(operatorNs).withName(output).get() == null) {
          continue;
        }
        StepOutput out = new StepOutput();
        if (message != null) {
          out.status().put("message", message);
        }
        client.configMaps().inNamespace(operatorNs).withName(output).patch(PatchContext.of(PatchType.JSON_MERGE),
            "{\"binaryData\":{\"" + PipelineOutput.KEY + "\":\""
                + Base64.getEncoder().encodeToString(PipelineOutput.encode(out)) + "\"}}");
        job.setStatus(new JobStatusBuilder().withSucceeded(1).withConditions(new JobConditionBuilder()
            .withType("Complete").withStatus("True").build()).build());
        client.resource(job).updateStatus();
      }
      return false;
    });
  }

  private static String field(GenericKubernetesResource r, String type, String field) {
    if (r == null) {
      return null;
    }
    for (JsonNode c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path(field).asText(null);
      }
    }
    return null;
  }

  private static void assertForbidden(Runnable call) {
    try {
      call.run();
    } catch (KubernetesClientException e) {
      assertThat(e.getCode()).isEqualTo(403);
      return;
    }
    throw new AssertionError("expected 403 Forbidden");
  }
}
