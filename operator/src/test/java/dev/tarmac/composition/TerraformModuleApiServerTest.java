package dev.tarmac.composition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Composition;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Database;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Database claim composed by the shipped postgresql-terraform Composition on a real API server that serves a
 * minimal tofu-controller {@code Terraform} CRD: the Work carries main.tf.json with the patched module inputs and the
 * Terraform object; the claim waits until the test, playing Flux and tofu-controller, applies that object and sets
 * it Ready, and the outputs Secret tofu-controller writes is the claim's connection Secret, untouched by Tarmac.
 */
@Tag("apiserver")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TerraformModuleApiServerTest {

  private static final String CRD = "terraforms.infra.contrib.fluxcd.io";
  private static final String COMPOSITION = "postgresql-terraform-tmapi";

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator operator;
  static String ns;

  @BeforeAll
  static void start() throws Exception {
    client = TestCluster.get().client();
    ns = TestCluster.get().newNamespace("tofu");
    ObjectNode composition = (ObjectNode) Serialization.YAML.readTree(RepoPaths.repo()
        .resolve("compositions/postgresql-terraform.yaml").toFile());
    composition.with("metadata").put("name", COMPOSITION);
    composition.with("spec").set("destinationSelectors", Serialization.JSON.valueToTree(
        List.of(Map.of("matchLabels", Map.of("suite", ns)))));
    client.resource(Serialization.JSON.convertValue(composition, Composition.class)).serverSideApply();
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test")).start();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    client.resources(Composition.class).withName(COMPOSITION).delete();
    client.apiextensions().v1().customResourceDefinitions().withName(CRD).delete();
  }

  /** Installs the stand-in CRD and waits until it is established. */
  private static void installTerraformCrd() throws Exception {
    // A hand-written stand-in for tofu-controller's CRD: the kind, its scope and a status subresource.
    CustomResourceDefinition crd = Serialization.YAML.readValue("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: %s}
        spec:
          group: infra.contrib.fluxcd.io
          scope: Namespaced
          names: {kind: Terraform, plural: terraforms, singular: terraform, listKind: TerraformList}
          versions:
            - name: v1alpha2
              served: true
              storage: true
              subresources: {status: {}}
              schema:
                openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
        """.formatted(CRD), CustomResourceDefinition.class);
    client.resource(crd).serverSideApply();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      var live = client.apiextensions().v1().customResourceDefinitions().withName(CRD).get();
      return live.getStatus() != null && live.getStatus().getConditions() != null && live.getStatus().getConditions()
          .stream().anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    });
  }

  private static Database claim() {
    return client.resources(Database.class).inNamespace(ns).withName("orders-db").get();
  }

  @Test
  @Order(1)
  void withoutTofuControllerInThisClusterTheClaimIsReadyWhenPublishedAndSaysSo() throws Exception {
    // Runs before the CRD is installed: this cluster does not serve Terraform.
    String other = TestCluster.get().newNamespace("tofu-remote");
    TestStores.create(client, other, null, Map.of("suite", ns), null);
    Database db = Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: remote-db, namespace: %s}
        spec:
          engine: postgresql
          version: "16"
          storageGB: 20
          size: small
          compositionRef: {name: %s}
          writeConnectionSecretToRef: {name: remote-db-conn}
        """.formatted(other, COMPOSITION), Database.class);
    client.resource(db).create();
    Database ready = await().atMost(Duration.ofSeconds(40)).until(
        () -> client.resources(Database.class).inNamespace(other).withName("remote-db").get(),
        d -> d.getStatus() != null && Conditions.isTrue(d.getStatus(), Conditions.READY));
    assertThat(Conditions.reason(ready.getStatus(), Conditions.READY)).isEqualTo("Published");
    assertThat(Conditions.find(ready.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains("does not serve infra.contrib.fluxcd.io/v1alpha2 Terraform");
    // The Secret is tofu-controller's to write (in the cluster the Destination syncs to): Tarmac writes none.
    assertThat(ready.getStatus().connectionSecret).isEqualTo("remote-db-conn");
    assertThat(client.secrets().inNamespace(other).withName("remote-db-conn").get()).isNull();
    client.resources(Database.class).inNamespace(other).withName("remote-db").delete();
  }

  @Test
  @Order(2)
  void theModuleCallGoesToGitAndTheClaimIsReadyWhenTheTerraformObjectIs() throws Exception {
    installTerraformCrd();
    // The operator's discovery cache asks again for a kind it found missing (the first test) only after REFRESH.
    Thread.sleep(dev.tarmac.api.ApiResources.REFRESH.toMillis() + 1_000);
    TestStores.create(client, ns, null, Map.of("suite", ns), null);
    Database db = Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: orders-db, namespace: %s}
        spec:
          engine: postgresql
          version: "15"
          storageGB: 100
          size: medium
          backupRetentionDays: 14
          compositionRef: {name: %s}
          writeConnectionSecretToRef: {name: orders-db-conn}
        """.formatted(ns, COMPOSITION), Database.class);
    client.resource(db).create();

    // Published to Git, but the cluster serves Terraform and no Terraform object reports Ready: not Ready.
    Database applying = await().atMost(Duration.ofSeconds(40)).until(TerraformModuleApiServerTest::claim,
        d -> d.getStatus() != null && "Applying".equals(Conditions.reason(d.getStatus(), Conditions.READY)));
    assertThat(Conditions.find(applying.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .contains("Terraform orders-db-rds").contains("not in the cluster yet");
    Work work = client.resources(Work.class).inNamespace(ns).withName("orders-db-composed").get();
    assertThat(Conditions.isTrue(work.getStatus(), Conditions.PUBLISHED)).isTrue();
    Map<String, String> files = new java.util.HashMap<>();
    work.getSpec().files.forEach(f -> files.put(f.path, f.content));
    assertThat(files).containsOnlyKeys("rds.yaml", "rds/main.tf.json");

    JsonNode main = Serialization.JSON.readTree(files.get("rds/main.tf.json"));
    JsonNode call = main.path("module").path("rds");
    assertThat(call.path("source").asText()).isEqualTo("terraform-aws-modules/rds/aws");
    assertThat(call.path("version").asText()).isEqualTo("~> 6.10");
    assertThat(call.path("identifier").asText()).isEqualTo("orders-db");
    assertThat(call.path("allocated_storage").asInt()).isEqualTo(100);
    assertThat(call.path("engine_version").asText()).isEqualTo("15");
    assertThat(call.path("family").asText()).isEqualTo("postgres15");
    assertThat(call.path("instance_class").asText()).isEqualTo("db.m6g.large");
    assertThat(call.path("backup_retention_period").asInt()).isEqualTo(14);
    assertThat(main.path("output").path("host").path("value").asText())
        .isEqualTo("${module.rds.db_instance_address}");

    JsonNode tf = Serialization.YAML.readTree(files.get("rds.yaml"));
    assertThat(tf.has("module")).isFalse();
    assertThat(tf.path("metadata").path("name").asText()).isEqualTo("orders-db-rds");
    assertThat(tf.path("metadata").path("namespace").asText()).isEqualTo(ns);
    assertThat(tf.path("spec").path("path").asText()).isEqualTo("./resources/" + ns + "/Database/orders-db/rds");
    assertThat(tf.path("spec").path("writeOutputsToSecret").path("name").asText()).isEqualTo("orders-db-conn");
    assertThat(Serialization.JSON.convertValue(tf.path("spec").path("writeOutputsToSecret").path("outputs"),
        List.class)).containsExactlyInAnyOrder("host", "port", "username", "database", "master_user_secret_arn");

    // Play Flux: apply the Terraform object from Git. Play tofu-controller: write the outputs Secret, then Ready.
    GenericKubernetesResource object = Serialization.JSON.convertValue(tf, GenericKubernetesResource.class);
    client.resource(object).inNamespace(ns).create();
    client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("orders-db-conn")
        .endMetadata().withData(Map.of("host", b64("orders-db.abc.eu-west-1.rds.amazonaws.com"),
            "port", b64("5432"))).build()).create();
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
        .until(() -> !Conditions.isTrue(claim().getStatus(), Conditions.READY));
    var live = client.genericKubernetesResources("infra.contrib.fluxcd.io/v1alpha2", "Terraform").inNamespace(ns)
        .withName("orders-db-rds").get();
    live.setAdditionalProperty("status", Map.of("conditions", List.of(Map.of("type", "Ready", "status", "True",
        "reason", "TerraformOutputsWritten", "message", "Outputs written", "lastTransitionTime",
        "2026-01-01T00:00:00Z"))));
    client.genericKubernetesResources("infra.contrib.fluxcd.io/v1alpha2", "Terraform").inNamespace(ns)
        .resource(live).updateStatus();

    Database ready = await().atMost(Duration.ofSeconds(40)).until(TerraformModuleApiServerTest::claim,
        d -> Conditions.isTrue(d.getStatus(), Conditions.READY));
    assertThat(Conditions.reason(ready.getStatus(), Conditions.READY)).isEqualTo("Available");
    assertThat(ready.getStatus().connectionSecret).isEqualTo("orders-db-conn");
    assertThat(ready.getStatus().resources).singleElement().satisfies(r -> {
      assertThat(r.ready).isTrue();
      assertThat(r.kind).isEqualTo("Terraform");
    });
    // The connection Secret is tofu-controller's: Tarmac neither rewrote nor took it over.
    var secret = client.secrets().inNamespace(ns).withName("orders-db-conn").get();
    assertThat(secret.getData()).containsOnlyKeys("host", "port");
    assertThat(new String(Base64.getDecoder().decode(secret.getData().get("host")), StandardCharsets.UTF_8))
        .isEqualTo("orders-db.abc.eu-west-1.rds.amazonaws.com");
    assertThat(secret.getMetadata().getOwnerReferences()).isNullOrEmpty();

    // Deleting the claim deletes its Work (whose finalizer then takes the files out of Git, so Flux prunes the
    // Terraform object).
    client.resources(Database.class).inNamespace(ns).withName("orders-db").delete();
    await().atMost(Duration.ofSeconds(30)).until(() -> claim() == null);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      Work w = client.resources(Work.class).inNamespace(ns).withName("orders-db-composed").get();
      return w == null || w.getMetadata().getDeletionTimestamp() != null;
    });
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
