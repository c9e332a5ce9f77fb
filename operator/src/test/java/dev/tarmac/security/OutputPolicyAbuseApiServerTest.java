package dev.tarmac.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Composition;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Database;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Output guardrails on a real API server (issue 15, part 2): a request whose built-in pipeline renders whatever its
 * spec says tries to get past its Promise's {@code outputPolicy}. Every case asserts the refusal (condition
 * {@code OutputNotAllowed} naming file, object and rule, and a Warning Event), that no Work was written or the previous
 * one is untouched, that the Git tree of the store is unchanged, and that another tenant's request was not touched.
 */
@Tag("apiserver")
class OutputPolicyAbuseApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator operator;
  static String suite;
  static String group;
  static String bystanderNs;
  static final AtomicInteger COUNTER = new AtomicInteger();

  /** Renders spec.manifest as out.yaml: the request decides the output entirely. */
  static String promise(String name, String kind, String outputPolicy) {
    return """
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Promise
        metadata: {name: %1$s}
        spec:
          destinationSelectors:
            - matchLabels: {suite: %2$s}
        %5$s
          api:
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: %4$ss.%3$s}
            spec:
              group: %3$s
              names: {kind: %6$s, plural: %4$ss, singular: %4$s}
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
                            manifest: {type: string}
                            team: {type: string, default: blue}
          workflows:
            resource:
              configure:
                - apiVersion: platform.tarmac.dev/v1alpha1
                  kind: Pipeline
                  metadata: {name: render}
                  spec:
                    containers:
                      - name: render
                        image: tarmac/template
                        with:
                          files:
                            out.yaml: "{{ spec.manifest }}"
        """.formatted(name, suite, group, kind.toLowerCase(), outputPolicy.indent(2), kind);
  }

  static final String STRICT_POLICY = """
      outputPolicy:
        allowedKinds: [{kinds: [ConfigMap, Service]}]
        validations:
          - expression: "!has(object.data) || !object.data.exists(k, k.startsWith('password'))"
            message: ConfigMaps carry no passwords
            reason: Forbidden
          - expression: "object.metadata.labels.team == params.spec.team"
            message: objects are labelled with the request's team
          - expression: >-
              !has(object.data) || object.data.all(a, object.data.all(b, object.data.all(c,
              size(a) + size(b) + size(c) > 0)))
            message: data keys are not empty
      """;

  @BeforeAll
  static void start() throws Exception {
    client = TestCluster.get().client();
    suite = TestCluster.get().newNamespace("guard");
    group = suite + ".guard.dev";
    TestStores.create(client, suite, null, Map.of("suite", suite), null);
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, suite, "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test")).start();
    apply(promise("open-" + suite, "Open", ""));
    apply(promise("strict-" + suite, "Strict", STRICT_POLICY));
    for (String p : new String[] {"open-" + suite, "strict-" + suite}) {
      awaitPromise(p, x -> Conditions.isTrue(x.getStatus(), Conditions.AVAILABLE));
    }
    // Another tenant's request, Ready before any abuse: every case checks it was not touched.
    bystanderNs = TestCluster.get().newNamespace("bystander");
    request("Open", bystanderNs, "good", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good, namespace: "
        + bystanderNs + "}\ndata: {a: b}\n", "blue");
    awaitReady("Open", bystanderNs, "good");
    // Its output is in Git: the tree every case compares exists.
    await().atMost(Duration.ofSeconds(30)).until(() -> !tree().equals("none"));
  }

  /** Waits for the Promise to satisfy {@code ready}; on a timeout, says what its status was. */
  static Promise awaitPromise(String name, java.util.function.Predicate<Promise> ready) {
    try {
      return await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Promise.class).withName(name).get(),
          x -> x.getStatus() != null && ready.test(x));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      Promise p = client.resources(Promise.class).withName(name).get();
      throw new AssertionError("Promise " + name + " status: " + Serialization.JSON.valueToTree(p.getStatus()), e);
    }
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  static void apply(String yaml) throws Exception {
    client.resource(Serialization.YAML.readValue(yaml, Promise.class)).fieldManager("test").forceConflicts()
        .serverSideApply();
  }

  static io.fabric8.kubernetes.client.dsl.MixedOperation<GenericKubernetesResource,
      io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> requests(String kind) {
    return client.genericKubernetesResources(group + "/v1", kind);
  }

  static void request(String kind, String ns, String name, String manifest, String team) {
    ObjectNode r = Serialization.JSON.createObjectNode();
    r.put("apiVersion", group + "/v1");
    r.put("kind", kind);
    r.putObject("metadata").put("name", name).put("namespace", ns);
    r.putObject("spec").put("manifest", manifest).put("team", team);
    requests(kind).inNamespace(ns).resource(Serialization.JSON.convertValue(r, GenericKubernetesResource.class))
        .fieldManager("test").forceConflicts().serverSideApply();
  }

  static GenericKubernetesResource awaitReady(String kind, String ns, String name) {
    return await().atMost(Duration.ofSeconds(60)).until(() -> requests(kind).inNamespace(ns).withName(name).get(),
        r -> r != null && "True".equals(condition(r, "Ready", "status")));
  }

  static String condition(GenericKubernetesResource r, String type, String field) {
    return Conditions.find(Serialization.JSON.valueToTree(r).path("status"), type)
        .map(c -> c.path(field).asText(null)).orElse(null);
  }

  /** The tree of the store's branch, as the git command line sees it (empty before the first commit). */
  static String tree() {
    Path repo = tmp.resolve("data").resolve("git").resolve(suite + ".git");
    try {
      Process p = new ProcessBuilder("git", "--git-dir", repo.toString(), "rev-parse", "HEAD^{tree}")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(30, TimeUnit.SECONDS);
      return p.exitValue() == 0 ? out : "none";
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String bystanderVersion() {
    return requests("Open").inNamespace(bystanderNs).withName("good").get().getMetadata().getResourceVersion();
  }

  /**
   * Waits for the request's refusal and checks it: PipelineCompleted and Ready False with reason OutputNotAllowed,
   * the message naming each of {@code expected}; a Warning Event saying the same; returns the message.
   */
  static String awaitRefused(String kind, String ns, String name, String... expected) {
    GenericKubernetesResource refused = await().atMost(Duration.ofSeconds(60)).until(
        () -> requests(kind).inNamespace(ns).withName(name).get(),
        r -> r != null && "OutputNotAllowed".equals(condition(r, "PipelineCompleted", "reason")));
    String message = condition(refused, "PipelineCompleted", "message");
    assertThat(condition(refused, "PipelineCompleted", "status")).isEqualTo("False");
    assertThat(condition(refused, "Ready", "reason")).isEqualTo("OutputNotAllowed");
    assertThat(message).contains(expected).contains("file out.yaml");
    await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace(ns).list().getItems()
        .stream().anyMatch(e -> "OutputNotAllowed".equals(e.getReason()) && "Warning".equals(e.getType())
            && name.equals(e.getInvolvedObject().getName()) && e.getMessage().contains(expected[0])));
    return message;
  }

  static Stream<Arguments> forbiddenUnderTheDefaultPolicy() {
    return Stream.of(
        Arguments.of("a cluster-scoped kind", """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: pwn}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
            subjects: [{kind: ServiceAccount, name: default, namespace: NS}]
            """, new String[] {"ClusterRoleBinding pwn", "allowClusterScoped"}),
        Arguments.of("the namespace of another tenant", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: planted, namespace: other-tenant}
            """, new String[] {"ConfigMap other-tenant/planted", "allowedNamespaces"}),
        Arguments.of("a kind: List smuggling a ClusterRole", """
            apiVersion: v1
            kind: List
            items:
              - {apiVersion: v1, kind: ConfigMap, metadata: {name: innocent}}
              - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: smuggled}}
            """, new String[] {"ClusterRole smuggled", "items[1]", "allowClusterScoped"}),
        Arguments.of("a multi-document file hiding a Namespace", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: first}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: second}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: hidden}
            """, new String[] {"Namespace hidden", "document 2", "allowClusterScoped"}),
        Arguments.of("a YAML alias that Go would expand into another namespace", """
            x: &m {name: aliased, namespace: other-tenant}
            apiVersion: v1
            kind: ConfigMap
            metadata: *m
            """, new String[] {"alias", "object"}),
        Arguments.of("a nested kustomization pulling manifests from elsewhere", """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources: [https://example.com/evil.yaml]
            """, new String[] {"Kustomization", "allowedKinds"}));
  }

  @ParameterizedTest(name = "default policy refuses {0}")
  @MethodSource("forbiddenUnderTheDefaultPolicy")
  void theDefaultPolicyRefusesAndNothingReachesGit(String what, String manifest, String[] expected) {
    String ns = TestCluster.get().newNamespace("abuse");
    String name = "r" + COUNTER.incrementAndGet();
    String tree = tree();
    String bystander = bystanderVersion();
    request("Open", ns, name, manifest.replace("NS", ns), "blue");
    awaitRefused("Open", ns, name, expected);
    assertThat(client.resources(Work.class).inNamespace(ns).list().getItems()).as("no Work for " + what).isEmpty();
    assertThat(tree()).as("Git tree").isEqualTo(tree);
    assertThat(bystanderVersion()).as("the other tenant's request").isEqualTo(bystander);
  }

  @Test
  void aClusterScopedCustomKindKnownOnlyFromDiscoveryIsRefused() throws Exception {
    // Widget is in no built-in list and has no Cluster prefix: only the API server's discovery says it is
    // cluster-scoped.
    String crdGroup = suite + ".disc.dev";
    client.resource(Serialization.YAML.readValue("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.%1$s}
        spec:
          group: %1$s
          names: {kind: Widget, plural: widgets, singular: widget}
          scope: Cluster
          versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        """.formatted(crdGroup), io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class))
        .create();
    await().atMost(Duration.ofSeconds(30)).until(() -> TestCluster.established(client.apiextensions().v1()
        .customResourceDefinitions().withName("widgets." + crdGroup).get()));
    String ns = TestCluster.get().newNamespace("widget");
    String tree = tree();
    request("Open", ns, "w", "apiVersion: " + crdGroup + "/v1\nkind: Widget\nmetadata: {name: global}\n", "blue");
    awaitRefused("Open", ns, "w", "Widget global", "allowClusterScoped");
    assertThat(client.resources(Work.class).inNamespace(ns).list().getItems()).isEmpty();
    assertThat(tree()).isEqualTo(tree);
  }

  static Stream<Arguments> forbiddenByTheStrictPolicy() {
    return Stream.of(
        Arguments.of("a kind the policy does not allow", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: miner, labels: {team: blue}}
            """, new String[] {"Deployment miner", "allowedKinds"}),
        Arguments.of("a CEL rule that is false", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: creds, labels: {team: blue}}
            data: {password: hunter2}
            """, new String[] {"ConfigMap creds", "validations[0] (Forbidden)", "ConfigMaps carry no passwords"}),
        Arguments.of("a CEL rule that throws (a field read without has())", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: unlabelled}
            """, new String[] {"ConfigMap unlabelled", "validations[1]", "the expression failed"}),
        Arguments.of("another team's label (params is the request)", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: impostor, labels: {team: red}}
            """, new String[] {"ConfigMap impostor", "validations[1]", "labelled with the request's team"}));
  }

  @ParameterizedTest(name = "strict policy refuses {0}")
  @MethodSource("forbiddenByTheStrictPolicy")
  void theStrictPolicyRefusesAndNothingReachesGit(String what, String manifest, String[] expected) {
    String ns = TestCluster.get().newNamespace("strict");
    String name = "s" + COUNTER.incrementAndGet();
    String tree = tree();
    String bystander = bystanderVersion();
    request("Strict", ns, name, manifest, "blue");
    awaitRefused("Strict", ns, name, expected);
    assertThat(client.resources(Work.class).inNamespace(ns).list().getItems()).as("no Work for " + what).isEmpty();
    assertThat(tree()).isEqualTo(tree);
    assertThat(bystanderVersion()).isEqualTo(bystander);
  }

  @Test
  void aVeryExpensiveCelRuleIsStoppedAndRefusesTheOutput() {
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 80; i++) {
      data.append(i == 0 ? "" : ", ").append("k").append(i).append(": v");
    }
    String ns = TestCluster.get().newNamespace("costly");
    String tree = tree();
    long start = System.nanoTime();
    request("Strict", ns, "costly", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: costly, labels: {team: blue}}\n"
        + "data: {" + data + "}\n", "blue");
    String message = awaitRefused("Strict", ns, "costly", "ConfigMap costly", "validations[2]");
    assertThat(message).containsAnyOf("budget", "longer than");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    assertThat(tree()).isEqualTo(tree);
    // The operator is still serving everyone: a fitting request of the same Promise becomes Ready.
    request("Strict", ns, "fine", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine, labels: {team: blue}}\n"
        + "data: {a: b}\n", "blue");
    awaitReady("Strict", ns, "fine");
  }

  @Test
  void anUpdateThatBreaksTheRulesLeavesThePreviousWorkAndGitAsTheyWere() {
    String ns = TestCluster.get().newNamespace("update");
    request("Strict", ns, "app", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, labels: {team: blue}}\n"
        + "data: {a: b}\n", "blue");
    awaitReady("Strict", ns, "app");
    Work before = client.resources(Work.class).inNamespace(ns).withName("app-strict-render").get();
    String tree = tree();
    request("Strict", ns, "app", "apiVersion: v1\nkind: Service\nmetadata: {name: app}\n", "blue");
    awaitRefused("Strict", ns, "app", "Service app", "validations[1]");
    Work after = client.resources(Work.class).inNamespace(ns).withName("app-strict-render").get();
    assertThat(after.getMetadata().getGeneration()).isEqualTo(before.getMetadata().getGeneration());
    assertThat(after.getSpec().files.get(0).content).isEqualTo(before.getSpec().files.get(0).content);
    assertThat(tree()).isEqualTo(tree);
  }

  @Test
  void celThatDoesNotCompileIsThePromisesConditionAndRefusesItsOutputs() throws Exception {
    String name = "broken-" + suite;
    apply(promise(name, "Broken", ""));
    awaitPromise(name, x -> Conditions.isTrue(x.getStatus(), Conditions.AVAILABLE));
    String ns = TestCluster.get().newNamespace("broken");
    request("Broken", ns, "b", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n", "blue");
    awaitReady("Broken", ns, "b");
    Work before = client.resources(Work.class).inNamespace(ns).withName("b-broken-render").get();
    String tree = tree();

    apply(promise(name, "Broken", "outputPolicy:\n  validations: [{expression: \"object.kind ==\"}]\n"));
    Promise invalid = awaitPromise(name, x -> "InvalidOutputPolicy".equals(Conditions.reason(x.getStatus(),
        Conditions.READY)));
    assertThat(Conditions.find(invalid.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains("validations[0].expression does not compile");
    await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace("default").list().getItems()
        .stream().anyMatch(e -> "InvalidOutputPolicy".equals(e.getReason()) && name.equals(e.getInvolvedObject()
            .getName())));
    // The request's next run is refused, naming the problem; its previous output stays as it was.
    request("Broken", ns, "b", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {x: y}\n", "blue");
    GenericKubernetesResource refused = await().atMost(Duration.ofSeconds(60)).until(
        () -> requests("Broken").inNamespace(ns).withName("b").get(),
        r -> "OutputNotAllowed".equals(condition(r, "PipelineCompleted", "reason")));
    assertThat(condition(refused, "PipelineCompleted", "message")).contains("does not compile");
    Work after = client.resources(Work.class).inNamespace(ns).withName("b-broken-render").get();
    assertThat(after.getSpec().files.get(0).content).isEqualTo(before.getSpec().files.get(0).content);
    assertThat(tree()).isEqualTo(tree);
  }

  static Composition composition(String name, String resources, String policy) throws Exception {
    return client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: %s}
        spec:
          compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}
          target: Destinations
          destinationSelectors: [{matchLabels: {suite: %s}}]
        %s
          resources:
        %s
        """.formatted(name, suite, policy.indent(2), resources.indent(4)), Composition.class))
        .fieldManager("test").forceConflicts().serverSideApply();
  }

  static void claim(String ns, String name, String composition) throws Exception {
    client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: %s, namespace: %s, annotations: {tenant: other-tenant}}
        spec: {engine: postgresql, compositionRef: {name: %s}}
        """.formatted(name, ns, composition), Database.class)).create();
  }

  @Test
  void aDestinationsCompositionWhoseClaimNamesANamespaceIsRefused() throws Exception {
    String comp = "namespaced-" + suite;
    composition(comp, """
        - name: ns
          base: {apiVersion: v1, kind: Namespace}
          patches:
            - {type: FromCompositeFieldPath, fromFieldPath: metadata.name, toFieldPath: metadata.name}
        """, "");
    String ns = TestCluster.get().newNamespace("claim");
    String tree = tree();
    claim(ns, "kube-system", comp);
    Database refused = await().atMost(Duration.ofSeconds(60)).until(
        () -> client.resources(Database.class).inNamespace(ns).withName("kube-system").get(),
        d -> d.getStatus() != null && "OutputNotAllowed".equals(Conditions.reason(d.getStatus(), Conditions.READY)));
    assertThat(Conditions.find(refused.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains("Composition " + comp, "file ns.yaml", "Namespace kube-system", "allowClusterScoped");
    await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace(ns).list().getItems()
        .stream().anyMatch(e -> "OutputNotAllowed".equals(e.getReason())
            && "kube-system".equals(e.getInvolvedObject().getName())));
    assertThat(client.resources(Work.class).inNamespace(ns).list().getItems()).isEmpty();
    assertThat(tree()).isEqualTo(tree);
  }

  @Test
  void aDestinationsCompositionChecksItsOwnRulesAndTheClaimCannotSteerTheNamespace() throws Exception {
    // The claim's annotation is patched into metadata.namespace and into data: the namespace is dropped (the GitOps
    // tool applies the object in the Destination's namespace), the data value stays and the CEL rule sees it.
    String comp = "steer-" + suite;
    composition(comp, """
        - name: config
          base: {apiVersion: v1, kind: ConfigMap, data: {engine: postgresql}}
          patches:
            - {type: FromCompositeFieldPath, fromFieldPath: "metadata.annotations[tenant]", toFieldPath: metadata.namespace}
            - {type: FromCompositeFieldPath, fromFieldPath: "metadata.annotations[tenant]", toFieldPath: data.tenant}
        """, """
        outputPolicy:
          validations:
            - expression: "!has(object.data.tenant) || object.data.tenant == params.metadata.namespace"
              messageExpression: "'data.tenant must be ' + params.metadata.namespace + ', not ' + object.data.tenant"
        """);
    String ns = TestCluster.get().newNamespace("steer");
    String tree = tree();
    claim(ns, "db", comp);
    Database refused = await().atMost(Duration.ofSeconds(60)).until(
        () -> client.resources(Database.class).inNamespace(ns).withName("db").get(),
        d -> d.getStatus() != null && "OutputNotAllowed".equals(Conditions.reason(d.getStatus(), Conditions.READY)));
    assertThat(Conditions.find(refused.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains("file config.yaml", "ConfigMap db-config", "validations[0]",
            "data.tenant must be " + ns + ", not other-tenant")
        .doesNotContain("other-tenant/db-config");
    assertThat(client.resources(Work.class).inNamespace(ns).list().getItems()).isEmpty();
    assertThat(tree()).isEqualTo(tree);
  }
}
