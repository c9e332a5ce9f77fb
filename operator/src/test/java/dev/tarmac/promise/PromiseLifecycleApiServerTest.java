package dev.tarmac.promise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Promises and example requests as a newcomer applies them, the rerun annotation, a TTL, and deleting a
 * Promise (its requests first, then its CRD).
 */
@Tag("apiserver")
class PromiseLifecycleApiServerTest {

  @TempDir
  Path tmp;

  @Test
  void shippedPromisesServeTheExamplesRerunsTtlAndDeletion() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String opNs = TestCluster.get().newNamespace("life");
    // KratixCompatibilityApiServerTest leaves Kratix's Promise "redis" behind; this class applies Tarmac's "redis".
    TestCluster.removeLeftoverPromise(client, "platform.kratix.io/v1alpha1", "redis");
    TestStores.create(client, opNs, null, Map.of("environment", "dev"), null);
    for (String c : new String[] {"postgresql-in-cluster.yaml", "postgresql-aws-production.yaml"}) {
      client.load(Files.newInputStream(RepoPaths.repo().resolve("compositions/" + c))).serverSideApply();
    }
    try (TarmacOperator op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, opNs,
        "test", tmp.resolve("data"), false, 4, false, "tarmac:test")).start()) {
      for (String p : new String[] {"redis", "postgresql", "environment", "postgresqlinstance"}) {
        client.load(Files.newInputStream(RepoPaths.repo().resolve("promises/" + p + ".yaml"))).serverSideApply();
        await().atMost(Duration.ofSeconds(30)).until(() -> Conditions.isTrue(
            client.resources(Promise.class).withName(p).get().getStatus(), Conditions.READY));
      }
      client.load(Files.newInputStream(RepoPaths.repo().resolve("examples/requests/postgresqlinstance.yaml")))
          .serverSideApply();
      client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
          .withName("payments").endMetadata().build()).serverSideApply();
      for (String r : new String[] {"redis.yaml", "postgresql.yaml", "preview-environment.yaml"}) {
        client.load(Files.newInputStream(RepoPaths.repo().resolve("examples/requests/" + r))).serverSideApply();
      }
      var redis = client.genericKubernetesResources("marketplace.tarmac.dev/v1alpha1", "Redis").inNamespace("payments");
      var pg = client.genericKubernetesResources("marketplace.tarmac.dev/v1alpha1", "PostgreSQL")
          .inNamespace("payments");
      var env = client.genericKubernetesResources("platform.example.dev/v1alpha1", "Environment")
          .inNamespace("payments");
      var claim = client.genericKubernetesResources("database.example.org/v1alpha1", "PostgreSQLInstance")
          .inNamespace("payments-prod");
      for (var r : java.util.List.of(redis.withName("payments-cache"), pg.withName("reports-db"),
          env.withName("pr-1234"), claim.withName("payments-db"))) {
        await().atMost(Duration.ofSeconds(30)).until(() -> "True".equals(PromiseApiServerTest.condition(r.get(),
            "Ready")));
      }
      Work rds = client.resources(Work.class).inNamespace("payments-prod").withName("payments-db-postgresqlinstance-compose").get();
      assertThat(rds.getSpec().files.get(0).content).contains("kind: Instance").contains("multiAz: true")
          .contains("allocatedStorage: 100").contains("backupRetentionPeriod: 30");
      JsonNode envStatus = Serialization.JSON.valueToTree(env.withName("pr-1234").get()).path("status");
      assertThat(envStatus.path("expiresAt").asText()).isNotEmpty();

      // The rerun annotation runs the pipeline again: a new lastRunTime.
      String firstRun = Serialization.JSON.valueToTree(redis.withName("payments-cache").get()).path("status")
          .path("pipelines").get(0).path("lastRunTime").asText();
      Thread.sleep(1100);
      redis.withName("payments-cache").edit(r -> {
        r.getMetadata().getAnnotations().put("platform.tarmac.dev/rerun", "1");
        return r;
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> !firstRun.equals(Serialization.JSON.valueToTree(
          redis.withName("payments-cache").get()).path("status").path("pipelines").get(0).path("lastRunTime")
          .asText()));

      // A TTL that has passed deletes the request.
      GenericKubernetesResource shortLived = Serialization.YAML.readValue("""
          apiVersion: platform.example.dev/v1alpha1
          kind: Environment
          metadata: {name: pr-1, namespace: payments, annotations: {platform.tarmac.dev/ttl: 2s}}
          spec: {team: team-payments}
          """, GenericKubernetesResource.class);
      env.resource(shortLived).create();
      await().atMost(Duration.ofSeconds(30)).until(() -> env.withName("pr-1").get() == null);

      // Deleting a Promise deletes its requests, then its CRD.
      client.resources(Promise.class).withName("redis").delete();
      await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Promise.class).withName("redis").get()
          == null);
      assertThat(client.apiextensions().v1().customResourceDefinitions().withName("redis.marketplace.tarmac.dev")
          .get()).satisfiesAnyOf(c -> assertThat(c).isNull(),
              c -> assertThat(c.getMetadata().getDeletionTimestamp()).isNotNull());
    } finally {
      // Promises are cluster-scoped: left here, the next class's operator would serve them (and postgresqlinstance's
      // CRD is the kind Crossplane's quickstart XRD generates, docs/crossplane.md).
      for (String p : new String[] {"redis", "postgresql", "environment", "postgresqlinstance"}) {
        TestCluster.removeLeftoverPromise(client, p);
      }
    }
  }
}
