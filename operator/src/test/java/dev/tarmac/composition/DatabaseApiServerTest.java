package dev.tarmac.composition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Composition;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Database;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Database claims on a real API server, composed by the shipped Compositions. */
@Tag("apiserver")
class DatabaseApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator operator;

  @BeforeAll
  static void start() throws Exception {
    client = TestCluster.get().client();
    for (String f : new String[] {"postgresql-in-cluster.yaml", "mysql-in-cluster.yaml", "postgresql-aws.yaml"}) {
      client.load(Files.newInputStream(RepoPaths.repo().resolve("compositions").resolve(f))).serverSideApply();
    }
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test")).start();
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  private static Database database(String ns, String name, String spec) throws Exception {
    Database db = Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: %s, namespace: %s}
        spec:
        %s
        """.formatted(name, ns, spec.indent(2)), Database.class);
    return client.resource(db).create();
  }

  /** Deletes a claim and waits until its finalizer has run and it is gone. */
  private static void deleteClaim(String ns, String name) {
    client.resources(Database.class).inNamespace(ns).withName(name).delete();
    await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Database.class).inNamespace(ns).withName(name).get() == null);
  }

  @Test
  void aPostgresClaimComposesResourcesASecretAndBecomesReadyWhenTheStatefulSetIs() throws Exception {
    String ns = TestCluster.get().newNamespace("db");
    database(ns, "payments-db", """
        engine: postgresql
        version: "16"
        storageGB: 100
        size: small
        backupRetentionDays: 30
        writeConnectionSecretToRef: {name: payments-db-credentials}
        """);
    Database creating = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Database.class).inNamespace(ns).withName("payments-db").get(),
        d -> d.getStatus() != null && "Creating".equals(Conditions.reason(d.getStatus(), Conditions.READY)));
    assertThat(creating.getStatus().compositionName).isEqualTo("postgresql-in-cluster");
    assertThat(creating.getStatus().resources).extracting(r -> r.kind)
        .containsExactly("PersistentVolumeClaim", "Service", "StatefulSet", "CronJob");
    StatefulSet sts = client.apps().statefulSets().inNamespace(ns).withName("payments-db-postgresql").get();
    assertThat(sts.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getKind()).isEqualTo("Database"));
    assertThat(sts.getMetadata().getLabels()).containsEntry(DatabaseReconciler.CLAIM_NAME, "payments-db");
    assertThat(client.persistentVolumeClaims().inNamespace(ns).withName("payments-db-data").get().getSpec()
        .getResources().getRequests().get("storage").toString()).isEqualTo("100Gi");
    var backup = creating.getStatus().resources.get(3);
    assertThat(client.genericKubernetesResources(backup.apiVersion, "CronJob").inNamespace(ns)
        .withName("payments-db-backup").get()).isNotNull();
    Secret secret = client.secrets().inNamespace(ns).withName("payments-db-credentials").get();
    assertThat(secret.getData()).containsKeys("host", "port", "username", "password", "database", "uri");
    String password = secret.getData().get("password");

    // Play the StatefulSet controller: the pod is ready.
    sts.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder().withReplicas(1)
        .withReadyReplicas(1).build());
    client.resource(sts).updateStatus();
    Database ready = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Database.class).inNamespace(ns).withName("payments-db").get(),
        d -> Conditions.isTrue(d.getStatus(), Conditions.READY));
    assertThat(ready.getStatus().fields()).containsKey("readyReplicas");
    assertThat(ready.getStatus().connectionSecret).isEqualTo("payments-db-credentials");

    // A claim change re-applies; the generated password stays.
    client.resources(Database.class).inNamespace(ns).withName("payments-db").edit(d -> {
      d.getSpec().size = Database.Size.MEDIUM;
      return d;
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(client.apps().statefulSets().inNamespace(ns)
        .withName("payments-db-postgresql").get().getSpec().getTemplate().getSpec().getContainers().get(0)
        .getResources().getRequests().get("cpu").toString()));
    assertThat(client.secrets().inNamespace(ns).withName("payments-db-credentials").get().getData().get("password"))
        .isEqualTo(password);

    // deletionPolicy Delete removes the composed resources.
    client.resources(Database.class).inNamespace(ns).withName("payments-db").delete();
    await().atMost(Duration.ofSeconds(30)).until(
        () -> client.apps().statefulSets().inNamespace(ns).withName("payments-db-postgresql").get() == null);
  }

  @Test
  void retainLeavesResourcesUnownedAndLabelled() throws Exception {
    String ns = TestCluster.get().newNamespace("retain");
    database(ns, "keep", "engine: mysql\nstorageGB: 5\ndeletionPolicy: Retain\nsize: small\nversion: \"8.0\"");
    await().atMost(Duration.ofSeconds(30)).until(
        () -> client.apps().statefulSets().inNamespace(ns).withName("keep-mysql").get() != null);
    deleteClaim(ns, "keep");
    StatefulSet sts = client.apps().statefulSets().inNamespace(ns).withName("keep-mysql").get();
    assertThat(sts.getMetadata().getOwnerReferences()).isEmpty();
    assertThat(sts.getMetadata().getLabels()).containsEntry(DatabaseReconciler.RETAINED, "true");
  }

  @Test
  void retainLeavesTheConnectionSecretUnownedAndLabelled() throws Exception {
    String ns = TestCluster.get().newNamespace("retain-secret");
    database(ns, "keep", "engine: mysql\nstorageGB: 5\ndeletionPolicy: Retain\nsize: small\nversion: \"8.0\"\n"
        + "writeConnectionSecretToRef: {name: keep-credentials}");
    await().atMost(Duration.ofSeconds(30)).until(
        () -> client.secrets().inNamespace(ns).withName("keep-credentials").get() != null);
    String password = client.secrets().inNamespace(ns).withName("keep-credentials").get().getData().get("password");
    deleteClaim(ns, "keep");
    // The retained StatefulSet reads its password from this Secret: it must outlive the claim.
    Secret secret = client.secrets().inNamespace(ns).withName("keep-credentials").get();
    assertThat(secret.getMetadata().getOwnerReferences()).isEmpty();
    assertThat(secret.getMetadata().getLabels()).containsEntry(DatabaseReconciler.RETAINED, "true");
    assertThat(secret.getData().get("password")).isEqualTo(password);
  }

  @Test
  void aDestinationsTargetClaimIsReadyOnlyOnceItsWorkIsPublished() throws Exception {
    String ns = TestCluster.get().newNamespace("to-git");
    String composition = "to-git-" + ns;
    client.load(new java.io.ByteArrayInputStream("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: %1$s}
        spec:
          compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}
          target: Destinations
          destinationSelectors: [{matchLabels: {suite: %2$s}}]
          resources:
            - name: config
              base: {apiVersion: v1, kind: ConfigMap, data: {engine: postgresql}}
        """.formatted(composition, ns).getBytes(java.nio.charset.StandardCharsets.UTF_8))).serverSideApply();
    try {
      database(ns, "reports", "engine: postgresql\nversion: \"16\"\nstorageGB: 5\nsize: small\n"
          + "compositionRef: {name: " + composition + "}");
      // No Destination carries the label yet: the Work waits, and so does the claim, saying why.
      Database waiting = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Database.class).inNamespace(ns).withName("reports").get(),
          d -> d.getStatus() != null && "NoMatchingDestination".equals(Conditions.reason(d.getStatus(),
              Conditions.READY)));
      assertThat(Conditions.find(waiting.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
          .contains("reports-composed");
      dev.tarmac.testing.TestStores.create(client, ns, null, java.util.Map.of("suite", ns), null);
      Database ready = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Database.class).inNamespace(ns).withName("reports").get(),
          d -> Conditions.isTrue(d.getStatus(), Conditions.READY));
      assertThat(Conditions.reason(ready.getStatus(), Conditions.READY)).isEqualTo("Published");
      assertThat(Conditions.isTrue(client.resources(Work.class).inNamespace(ns).withName("reports-composed").get()
          .getStatus(), Conditions.PUBLISHED)).isTrue();
    } finally {
      client.resources(Database.class).inNamespace(ns).withName("reports").delete();
      client.resources(dev.tarmac.api.Composition.class).withName(composition).delete();
    }
  }

  @Test
  void connectionDetailsFromAComposedResourcesSecretReachTheClaimsSecret() throws Exception {
    // A managed resource in the Crossplane manner: it writes its own connection secret, which the Composition's
    // FromConnectionSecretKey details read.
    String ns = TestCluster.get().newNamespace("conn");
    String group = ns + ".example.dev";
    client.load(new java.io.ByteArrayInputStream("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: instances.%1$s}
        spec:
          group: %1$s
          names: {kind: Instance, plural: instances, singular: instance}
          scope: Namespaced
          versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        ---
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: conn-%2$s}
        spec:
          compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}
          resources:
            - name: instance
              base:
                apiVersion: %1$s/v1
                kind: Instance
                spec: {writeConnectionSecretToRef: {name: instance-conn}}
              readinessChecks: [{type: None}]
              connectionDetails:
                - {name: host, fromConnectionSecretKey: endpoint}
                - {name: password, fromConnectionSecretKey: password}
        """.formatted(group, ns).getBytes(java.nio.charset.StandardCharsets.UTF_8))).serverSideApply();
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> dev.tarmac.testing.TestCluster.established(
          client.apiextensions().v1().customResourceDefinitions().withName("instances." + group).get()));
      client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("instance-conn")
          .withNamespace(ns).endMetadata().addToStringData("endpoint", "db.internal.example")
          .addToStringData("password", "from-the-provider").build()).create();
      database(ns, "orders", "engine: postgresql\nversion: \"16\"\nstorageGB: 5\nsize: small\n"
          + "compositionRef: {name: conn-" + ns + "}\nwriteConnectionSecretToRef: {name: orders-credentials}");
      Secret secret = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.secrets().inNamespace(ns).withName("orders-credentials").get(),
          x -> x != null && x.getData() != null && x.getData().containsKey("host"));
      assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get("host")),
          java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("db.internal.example");
      assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get("password")),
          java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("from-the-provider");
    } finally {
      client.resources(Database.class).inNamespace(ns).withName("orders").delete();
      client.resources(dev.tarmac.api.Composition.class).withName("conn-" + ns).delete();
    }
  }

  @Test
  void retainWithTargetDestinationsLeavesTheWorkUnownedAndLabelled() throws Exception {
    String ns = TestCluster.get().newNamespace("retain-work");
    Database db = database(ns, "analytics", "engine: postgresql\nversion: \"16\"\nstorageGB: 50\nsize: small\n"
        + "compositionRef: {name: postgresql-aws}\ndeletionPolicy: Retain");
    await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Work.class).inNamespace(ns).withName("analytics-composed").get(), w -> w != null);
    deleteClaim(ns, "analytics");
    // With no owner reference to the claim, the garbage collector leaves the Work, and its files stay in Git.
    Work work = client.resources(Work.class).inNamespace(ns).withName("analytics-composed").get();
    assertThat(work).isNotNull();
    assertThat(work.getMetadata().getDeletionTimestamp()).isNull();
    assertThat(work.getMetadata().getOwnerReferences())
        .noneMatch(o -> o.getUid().equals(db.getMetadata().getUid()));
    assertThat(work.getMetadata().getLabels()).containsEntry(DatabaseReconciler.RETAINED, "true");
  }

  @Test
  void deletingADestinationsTargetClaimDeletesItsWork() throws Exception {
    // The test cluster does not serve rds.aws.upbound.io: the composed Instance exists only in Git.
    String ns = TestCluster.get().newNamespace("delete-work");
    database(ns, "reports", "engine: postgresql\nversion: \"16\"\nstorageGB: 20\nsize: small\n"
        + "compositionRef: {name: postgresql-aws}");
    await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Work.class).inNamespace(ns).withName("reports-composed").get(), w -> w != null);
    deleteClaim(ns, "reports");
    // The claim deleted its Work; the Work's own finalizer then takes its files out of every Destination it was
    // placed on (other tests' Destinations in this shared cluster may match too, and may be unreachable by now).
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      Work w = client.resources(Work.class).inNamespace(ns).withName("reports-composed").get();
      return w == null || w.getMetadata().getDeletionTimestamp() != null;
    });
  }

  @Test
  void aCompositionChangeReappliesTheClaimsThatUseIt() throws Exception {
    String ns = TestCluster.get().newNamespace("recompose");
    String name = "settings-" + ns;
    client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: %s}
        spec:
          compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}
          target: Cluster
          resources:
            - name: settings
              base:
                apiVersion: v1
                kind: ConfigMap
                data: {tier: standard}
        """.formatted(name), Composition.class)).serverSideApply();
    try {
      database(ns, "orders", "engine: postgresql\ncompositionRef: {name: " + name + "}");
      Database ready = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Database.class).inNamespace(ns).withName("orders").get(),
          d -> Conditions.isTrue(d.getStatus(), Conditions.READY));
      assertThat(client.configMaps().inNamespace(ns).withName("orders-settings").get().getData())
          .containsEntry("tier", "standard");

      client.resources(Composition.class).withName(name).edit(c -> {
        ((ObjectNode) c.getSpec().resources.get(0).path("base").path("data")).put("tier", "premium");
        return c;
      });
      // A Ready claim is not rescheduled: only the Composition's change can bring it back this soon.
      await().atMost(Duration.ofSeconds(10)).until(() -> "premium".equals(
          client.configMaps().inNamespace(ns).withName("orders-settings").get().getData().get("tier")));
      assertThat(client.resources(Database.class).inNamespace(ns).withName("orders").get().getMetadata()
          .getGeneration()).isEqualTo(ready.getMetadata().getGeneration());
    } finally {
      client.resources(Database.class).inNamespace(ns).withName("orders").delete();
      client.resources(Composition.class).withName(name).delete();
    }
  }

  @Test
  void unknownCompositionIsAConditionAndDestinationsTargetWritesAWork() throws Exception {
    String ns = TestCluster.get().newNamespace("bad");
    database(ns, "nowhere", "engine: postgresql\ncompositionRef: {name: does-not-exist}");
    Database bad = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Database.class).inNamespace(ns).withName("nowhere").get(),
        d -> d.getStatus() != null && "CompositionNotFound".equals(Conditions.reason(d.getStatus(),
            Conditions.READY)));
    assertThat(Conditions.find(bad.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains("does-not-exist");

    database(ns, "analytics", "engine: postgresql\nversion: \"16\"\nstorageGB: 50\nsize: large\n"
        + "backupRetentionDays: 14\ncompositionRef: {name: postgresql-aws}");
    Work work = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Work.class).inNamespace(ns).withName("analytics-composed").get(), w -> w != null);
    assertThat(work.getSpec().files).singleElement().satisfies(f -> assertThat(f.content)
        .contains("kind: Instance").contains("storageEncrypted: true").contains("backupRetentionPeriod: 14"));
    assertThat(client.resources(Composition.class).withName("postgresql-aws").get()).isNotNull();
  }
}
