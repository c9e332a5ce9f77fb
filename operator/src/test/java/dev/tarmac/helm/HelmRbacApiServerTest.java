package dev.tarmac.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Database;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.secrets.SecretAccess;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Least privilege proven, not claimed: the chart is installed with helm-java into the real API server (RBAC on),
 * the operator runs in-process with a token of the chart's ServiceAccount, the main flows work with that identity
 * (a Promise and a request, a Database with its connection Secret, a Component scaffolded from a golden path, the
 * catalog, leader election), and the same identity is refused what it must not do. The chart's defaults for
 * Secrets: none cluster-wide; a claim's namespace gets a RoleBinding to the connection-secrets ClusterRole when a
 * claim there needs a connection secret.
 */
@Tag("apiserver")
class HelmRbacApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient admin;
  static KubernetesClient operatorIdentity;
  static TarmacOperator operator;
  static String release;
  static String system;
  static String payments;
  static String unrelated;
  static Path kubeconfig;
  static String group;

  @BeforeAll
  static void install() throws Exception {
    TestCluster cluster = TestCluster.get();
    admin = cluster.client();
    system = cluster.newNamespace("tarmac-system");
    payments = cluster.newNamespace("payments");
    unrelated = cluster.newNamespace("unrelated");
    release = "rbac-" + system.substring(system.lastIndexOf('-') + 1);
    group = release + ".example.com";
    kubeconfig = Files.writeString(tmp.resolve("kubeconfig"), cluster.kubeconfig());

    Release installed = new Helm(Chart.DIR).install().withName(release).withNamespace(system)
        .withKubeConfig(kubeconfig)
        // One Promise API group of the test's own (helm --set replaces the default list).
        .set("promiseApis[0].group", group).set("promiseApis[0].resources[0]", "caches")
        .set("promiseApis[0].resources[1]", "widgets")
        // Cluster-scoped defaults other tests in this cluster may own already.
        .set("defaultScorecard.enabled", false)
        .call();
    assertThat(installed.getStatus()).isEqualTo("deployed");

    String sa = release + "-tarmac";
    operatorIdentity = TestCluster.get().clientAs(system, sa);

    // A store and Destination of the test's own (other tests' stores may exist, so no default one is made).
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: GitStateStore
        metadata: {name: %1$s}
        spec: {branch: main}
        ---
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Destination
        metadata: {name: %1$s, labels: {rbac-test: %1$s}}
        spec: {stateStoreRef: {name: %1$s}, path: clusters/dev}
        """.formatted(release));
    // Authenticated HTTP: the chart's identity reviews callers' tokens (TokenReview, SubjectAccessReview); as the
    // chart's Deployment configures it (env TARMAC_CONNECTION_SECRET_CLUSTER_ROLE, POD_SERVICE_ACCOUNT).
    operator = new TarmacOperator(operatorIdentity, new TarmacOperator.Settings("127.0.0.1", 0, true, system,
        "rbac-test", tmp.resolve("data"), false, 4, true, "tarmac:test", false))
        .withSecretAccess(new SecretAccess(system, java.util.Set.of(), connectionRole(), sa)).start();
    // A caller who may read Components in payments only.
    catalogReader = TestCluster.get().token(payments, "catalog-reader");
    dev.tarmac.testing.TestAccess.allowIn(admin, payments, payments, "catalog-reader",
        dev.tarmac.testing.TestAccess.rule("platform.tarmac.dev", "components", List.of(), "get"));
  }

  @AfterAll
  static void uninstall() {
    if (operator != null) {
      operator.close();
    }
    if (operatorIdentity != null) {
      operatorIdentity.close();
    }
    if (release != null) {
      Helm.uninstall(release).withNamespace(system).withKubeConfig(kubeconfig).call();
    }
  }

  private static String catalogReader;

  private static String connectionRole() {
    return release + "-tarmac-connection-secrets";
  }

  private static String http(String path) throws Exception {
    var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + operator.http().address().getPort() + path)).header("Authorization", "Bearer " + catalogReader).build(),
        HttpResponse.BodyHandlers.ofString());
    return response.statusCode() + " " + response.body();
  }

  private static void apply(String yaml) {
    admin.load(new java.io.ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).serverSideApply();
  }

  private static String promise(String name, String apiGroup) {
    return dev.tarmac.testing.TestPromises.templatePromise(name, apiGroup, "Cache", "rbac-test", release);
  }

  @Test
  void theOperatorLeadsAndIsReadyWithTheChartsIdentity() throws Exception {
    await().atMost(Duration.ofSeconds(60)).until(() -> http("/readyz").startsWith("200"));
    var lease = admin.leases().inNamespace(system).withName("tarmac").get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("rbac-test");
    // Cost attribution's informers (Pods, claims, workloads, CostModels) start with the chart's rights: a
    // computation runs only once every one of them has listed.
    await().atMost(Duration.ofSeconds(60)).until(() -> operator.costs().computations() > 0);
  }

  @Test
  void aPromiseInAnAllowedGroupServesItsRequests() {
    String name = release + "-cache";
    apply(promise(name, group));
    await().atMost(Duration.ofSeconds(60)).until(() -> admin.resources(Promise.class).withName(name).get(),
        p -> p.getStatus() != null && Conditions.isTrue(p.getStatus(), Conditions.READY));
    apply("""
        apiVersion: %s/v1
        kind: Cache
        metadata: {name: orders, namespace: %s}
        spec: {size: large}
        """.formatted(group, payments));
    GenericKubernetesResource request = await().atMost(Duration.ofSeconds(60)).until(
        () -> admin.genericKubernetesResources(group + "/v1", "Cache").inNamespace(payments).withName("orders").get(),
        r -> ready(Serialization.JSON.valueToTree(r)));
    assertThat(Serialization.JSON.valueToTree(request).path("status").path("conditions").toString())
        .contains("Published");
  }

  private static boolean ready(JsonNode object) {
    for (JsonNode c : object.path("status").path("conditions")) {
      if (Conditions.READY.equals(c.path("type").asText())) {
        return "True".equals(c.path("status").asText());
      }
    }
    return false;
  }

  @Test
  void aPipelinePermissionTheChartDoesNotListBecomesAConditionNamingIt() {
    // Default values: pipelinePermissions.rules is empty, and the operator may only read Deployments (for cost
    // attribution), so it has no create on them to pass on.
    String name = release + "-wants-deployments";
    apply("""
        apiVersion: platform.kratix.io/v1alpha1
        kind: Promise
        metadata: {name: %s}
        spec:
          workflows:
            promise:
              configure:
                - apiVersion: platform.kratix.io/v1alpha1
                  kind: Pipeline
                  metadata: {name: read-secrets}
                  spec:
                    containers: [{name: read, image: example.com/read:v1}]
                    rbac:
                      permissions:
                        - {apiGroups: [apps], resources: [deployments], verbs: [create]}
        """.formatted(name));
    var refused = await().atMost(Duration.ofSeconds(60)).until(
        () -> admin.resources(dev.tarmac.api.KratixPromise.class).withName(name).get(),
        p -> p.getStatus() != null && "PipelinePermissionsNotGranted".equals(Conditions.reason(p.getStatus(),
            Conditions.READY)));
    assertThat(Conditions.find(refused.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains("deployments").contains("pipelinePermissions.rules").contains("helm upgrade");
    assertThat(refused.getStatus().status).isEqualTo("Unavailable");
    // Nothing was granted, and no pipeline ran without the rights it asked for.
    assertThat(admin.rbac().roles().inNamespace(system).withLabel(dev.tarmac.api.Labels.PROMISE, name).list()
        .getItems()).isEmpty();
    assertThat(admin.batch().v1().jobs().inNamespace(system).withLabel(dev.tarmac.api.Labels.PROMISE, name).list()
        .getItems()).isEmpty();
  }

  @Test
  void aPromiseOutsideTheAllowedGroupsSaysWhichValueToChange() {
    String name = release + "-forbidden";
    String otherGroup = "not-granted-" + release + ".example.com";
    apply(promise(name, otherGroup));
    Promise refused = await().atMost(Duration.ofSeconds(60)).until(
        () -> admin.resources(Promise.class).withName(name).get(),
        p -> p.getStatus() != null && "Forbidden".equals(Conditions.reason(p.getStatus(), Conditions.READY)));
    assertThat(Conditions.find(refused.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains("caches." + otherGroup).contains("promiseApis").contains("helm upgrade");
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("caches." + otherGroup).get())
        .as("no CRD is created for a kind the operator could not serve").isNull();
  }

  @Test
  void aDatabaseOnTheShippedInClusterCompositionGetsItsResourcesAndConnectionSecret() throws Exception {
    admin.load(Files.newInputStream(RepoPaths.repo().resolve("compositions/postgresql-in-cluster.yaml")))
        .serverSideApply();
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: orders-db, namespace: %s}
        spec:
          engine: postgresql
          version: "16"
          storageGB: 20
          compositionRef: {name: postgresql-in-cluster}
          writeConnectionSecretToRef: {name: orders-db-credentials}
        """.formatted(payments));
    // Every composed kind (PVC, Service, StatefulSet, CronJob) was created with the operator's identity.
    await().atMost(Duration.ofSeconds(60)).until(() -> !admin.apps().statefulSets().inNamespace(payments).list()
        .getItems().isEmpty());
    await().atMost(Duration.ofSeconds(60)).until(() -> admin.secrets().inNamespace(payments)
        .withName("orders-db-credentials").get() != null);
    assertThat(admin.services().inNamespace(payments).list().getItems()).isNotEmpty();
    assertThat(admin.persistentVolumeClaims().inNamespace(payments).list().getItems()).isNotEmpty();
    assertThat(admin.secrets().inNamespace(payments).withName("orders-db-credentials").get().getData())
        .containsKeys("host", "port", "username", "password");
    // Through a RoleBinding in payments only, to the chart's connection-secrets ClusterRole.
    var binding = admin.rbac().roleBindings().inNamespace(payments).withName(connectionRole()).get();
    assertThat(binding.getRoleRef().getName()).isEqualTo(connectionRole());
    assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
      assertThat(s.getName()).isEqualTo(release + "-tarmac");
      assertThat(s.getNamespace()).isEqualTo(system);
    });
  }

  @Test
  void aClaimInANewNamespaceGetsItsConnectionSecretAndCannotReachAnotherNamespacesSecrets() {
    String fresh = TestCluster.get().newNamespace("fresh-team");
    assertForbidden(() -> operatorIdentity.secrets().inNamespace(fresh).withName("anything").get());
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: %1$s-service-only}
        spec:
          compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}
          target: Cluster
          resources:
            - name: service
              base: {apiVersion: v1, kind: Service, spec: {ports: [{port: 5432, protocol: TCP}]}}
              readinessChecks: [{type: None}]
              connectionDetails:
                - {name: host, type: FromValue, value: db.example}
        ---
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: %1$s-reads-operator-secrets}
        spec:
          compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}
          target: Cluster
          resources:
            - name: service
              base:
                apiVersion: v1
                kind: Service
                spec:
                  ports: [{port: 5432, protocol: TCP}]
                  writeConnectionSecretToRef: {name: git-credentials, namespace: %2$s}
              readinessChecks: [{type: None}]
              connectionDetails:
                - {name: password, type: FromConnectionSecretKey, fromConnectionSecretKey: password}
        """.formatted(release, system));
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: fresh-db, namespace: %s}
        spec:
          engine: postgresql
          compositionRef: {name: %s-service-only}
          writeConnectionSecretToRef: {name: fresh-db-credentials}
        """.formatted(fresh, release));
    await().atMost(Duration.ofSeconds(60)).until(() -> admin.resources(Database.class).inNamespace(fresh)
        .withName("fresh-db").get(), d -> d.getStatus() != null && Conditions.isTrue(d.getStatus(), Conditions.READY));
    assertThat(admin.secrets().inNamespace(fresh).withName("fresh-db-credentials").get().getData())
        .containsKey("host");
    assertThat(admin.rbac().roleBindings().inNamespace(fresh).withName(connectionRole()).get()).isNotNull();

    // The operator may read Secrets in its own namespace (Git credentials): a composed resource that names one there
    // is refused before anything is read or applied.
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: sneaky-db, namespace: %s}
        spec:
          engine: postgresql
          compositionRef: {name: %s-reads-operator-secrets}
          writeConnectionSecretToRef: {name: sneaky-db-credentials}
        """.formatted(fresh, release));
    Database refused = await().atMost(Duration.ofSeconds(60)).until(
        () -> admin.resources(Database.class).inNamespace(fresh).withName("sneaky-db").get(),
        d -> d.getStatus() != null && "SecretNamespaceNotAllowed".equals(Conditions.reason(d.getStatus(),
            Conditions.READY)));
    assertThat(Conditions.find(refused.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains("namespace " + system).contains("claim's own namespace " + fresh);
    assertThat(admin.secrets().inNamespace(fresh).withName("sneaky-db-credentials").get()).isNull();
  }

  @Test
  void aPromiseWhoseCrdExistsAndIsNotTarmacsIsRefusedAndTheCrdIsUntouched() {
    String crdName = "widgets." + group;
    admin.load(new java.io.ByteArrayInputStream("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: %s}
        spec:
          group: %s
          names: {kind: Widget, plural: widgets, singular: widget}
          scope: Namespaced
          versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        """.formatted(crdName, group).getBytes(StandardCharsets.UTF_8))).create();
    String before = admin.apiextensions().v1().customResourceDefinitions().withName(crdName)
        .waitUntilCondition(TestCluster::established, 30, java.util.concurrent.TimeUnit.SECONDS).getMetadata()
        .getResourceVersion();
    String name = release + "-widgets";
    apply(dev.tarmac.testing.TestPromises.templatePromise(name, group, "Widget", "rbac-test", release));
    Promise refused = await().atMost(Duration.ofSeconds(60)).until(
        () -> admin.resources(Promise.class).withName(name).get(),
        p -> p.getStatus() != null && "CrdNotOwned".equals(Conditions.reason(p.getStatus(), Conditions.READY)));
    assertThat(Conditions.find(refused.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains(crdName).contains("not created by Tarmac");
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName(crdName).get().getMetadata()
        .getResourceVersion()).isEqualTo(before);
  }

  @Test
  void aComponentIsScaffoldedAndShowsInTheCatalog() throws Exception {
    admin.load(Files.newInputStream(RepoPaths.repo().resolve("examples/templates/go-service.yaml")))
        .serverSideApply();
    String name = "ledger-" + release;
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          type: service
          lifecycle: experimental
          owner: team-payments
          template:
            name: go-service
            values: {name: %1$s, owner: team-payments, system: payments}
        """.formatted(name, payments));
    Component done = await().atMost(Duration.ofSeconds(60)).until(
        () -> admin.resources(Component.class).inNamespace(payments).withName(name).get(),
        c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), "Scaffolded"));
    assertThat(done.getStatus().repositoryUrl).contains("/git/");
    String found = await().atMost(Duration.ofSeconds(30)).until(() -> http("/api/catalog/entities/by-query?filter="
        + URLEncoder.encode("kind=component,metadata.name=" + name, StandardCharsets.UTF_8)),
        body -> body.startsWith("200") && body.contains("\"name\":\"" + name + "\""));
    JsonNode page = Serialization.JSON.readTree(found.substring(4));
    assertThat(page.path("items").get(0).path("spec").path("owner").asText()).contains("team-payments");
  }

  @Test
  void theSameIdentityIsRefusedWhatItMustNotDo() {
    // Secrets in a namespace that is neither the operator's nor listed in rbac.secretNamespaces.
    assertForbidden(() -> operatorIdentity.secrets().inNamespace(unrelated).list());
    assertForbidden(() -> operatorIdentity.secrets().inAnyNamespace().list());
    // Namespaces: read for the catalog, never deleted or created.
    assertForbidden(() -> operatorIdentity.namespaces().withName(unrelated).delete());
    // RBAC outside the pipeline Roles it creates: no ClusterRoles, no bindings to roles it does not hold.
    assertForbidden(() -> operatorIdentity.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata()
        .withName(release + "-escalated").endMetadata().addNewRule().withApiGroups("").withResources("secrets")
        .withVerbs("get").endRule().build()).create());
    assertForbidden(() -> operatorIdentity.rbac().clusterRoleBindings().withName(release + "-tarmac").edit(b -> {
      b.getMetadata().setLabels(Map.of("edited", "true"));
      return b;
    }));
    assertForbidden(() -> operatorIdentity.rbac().roleBindings().inNamespace(unrelated).resource(
        new RoleBindingBuilder().withNewMetadata().withName("admin-for-tarmac").endMetadata()
            .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole")
            .withName("cluster-admin").endRoleRef()
            .addNewSubject().withKind("ServiceAccount").withName(release + "-tarmac").withNamespace(system)
            .endSubject().build()).create());
    // Workloads it does not compose: read for cost attribution (docs/insights-cost.md), never written.
    assertThat(operatorIdentity.apps().deployments().inNamespace(payments).list().getItems()).isNotNull();
    assertForbidden(() -> operatorIdentity.apps().deployments().inNamespace(payments).resource(
        new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder().withNewMetadata().withName("not-tarmacs")
            .endMetadata().withNewSpec().withNewSelector().addToMatchLabels("app", "x").endSelector()
            .withNewTemplate().withNewMetadata().addToLabels("app", "x").endMetadata().withNewSpec()
            .addNewContainer().withName("x").withImage("x").endContainer().endSpec().endTemplate().endSpec().build())
        .create());
    assertForbidden(() -> operatorIdentity.apps().replicaSets().inNamespace(payments).delete());
    // CostModels: read and their status written, never created.
    assertForbidden(() -> operatorIdentity.resources(dev.tarmac.api.CostModel.class).resource(
        dev.tarmac.api.Serialization.YAML.convertValue(java.util.Map.of("apiVersion", "platform.tarmac.dev/v1alpha1",
            "kind", "CostModel", "metadata", java.util.Map.of("name", release + "-forged")),
            dev.tarmac.api.CostModel.class)).create());
    // CRDs: created freely, but changed or deleted only by name (Tarmac's own and the promiseApis' CRDs).
    String foreign = "gadgets.foreign-" + release + ".example.com";
    admin.load(new java.io.ByteArrayInputStream("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: %s}
        spec:
          group: foreign-%s.example.com
          names: {kind: Gadget, plural: gadgets, singular: gadget}
          scope: Cluster
          versions:
            - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
        """.formatted(foreign, release).getBytes(StandardCharsets.UTF_8))).create();
    assertForbidden(() -> operatorIdentity.apiextensions().v1().customResourceDefinitions().withName(foreign)
        .edit(c -> {
          c.getMetadata().setLabels(Map.of("app.kubernetes.io/managed-by", "tarmac"));
          return c;
        }));
    assertForbidden(() -> operatorIdentity.apiextensions().v1().customResourceDefinitions().withName(foreign)
        .delete());
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName(foreign).get()).isNotNull();
    // Secrets cannot be bound through any other ClusterRole than the connection-secrets one. (Not the aggregated
    // "admin": without the aggregation controller it has no rules, and binding an empty role is no escalation.)
    String reader = release + "-secret-reader";
    admin.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName(reader).endMetadata()
        .addNewRule().withApiGroups("").withResources("secrets").withVerbs("get", "list").endRule().build())
        .create();
    assertForbidden(() -> operatorIdentity.rbac().roleBindings().inNamespace(unrelated).resource(
        new RoleBindingBuilder().withNewMetadata().withName("secret-reader-for-tarmac").endMetadata()
            .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole")
            .withName(reader).endRoleRef()
            .addNewSubject().withKind("ServiceAccount").withName(release + "-tarmac").withNamespace(system)
            .endSubject().build()).create());
    // The allowed counterpart, so the refusals above are about RBAC and not a broken client.
    assertThat(operatorIdentity.secrets().inNamespace(system).withName("nothing-here").get()).isNull();
    assertThat(operatorIdentity.apiextensions().v1().customResourceDefinitions().withName(foreign).get())
        .isNotNull();
  }

  @Test
  void theSameIdentityMayGrantARunItsOutputConfigMapAndNothingMore() {
    // RBAC lets a subject grant only what it holds (escalation check): the per-run Role a pipeline Job gets
    // (WorkflowRunner) must pass it with the chart's ClusterRole.
    String name = "abc-bucket-make-12345678-output";
    operatorIdentity.rbac().roles().inNamespace(payments).resource(new io.fabric8.kubernetes.api.model.rbac
        .RoleBuilder().withNewMetadata().withName(name).endMetadata().addNewRule().withApiGroups("")
        .withResources("configmaps").withResourceNames(name).withVerbs("get", "update", "patch").endRule().build())
        .create();
    operatorIdentity.rbac().roleBindings().inNamespace(payments).resource(new RoleBindingBuilder().withNewMetadata()
        .withName(name).endMetadata().withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role")
        .withName(name).endRoleRef().addNewSubject().withKind("ServiceAccount").withName("tarmac-pipeline-x")
        .withNamespace(payments).endSubject().build()).create();
    assertThat(admin.rbac().roleBindings().inNamespace(payments).withName(name).get()).isNotNull();
  }

  private static void assertForbidden(Runnable call) {
    assertThatThrownBy(call::run).isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
  }
}
