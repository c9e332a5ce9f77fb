package dev.tarmac.composition;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every shipped Composition composes its example Database as a newcomer would apply it. */
class ShippedCompositionsTest {

  static List<JsonNode> docs(String path) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (MappingIterator<JsonNode> it = Serialization.YAML.readerFor(JsonNode.class)
        .readValues(RepoPaths.repo().resolve(path).toFile())) {
      while (it.hasNext()) {
        out.add(it.next());
      }
    }
    return out;
  }

  static JsonNode database(String path) throws Exception {
    return docs(path).stream().filter(d -> d.path("kind").asText().equals("Database")).findFirst().orElseThrow();
  }

  static CompositionEngine.Result compose(String composition, String example) throws Exception {
    return CompositionEngine.compose(database(example), docs(composition).get(0).path("spec"), Map.of(), Map.of());
  }

  @Test
  void postgresqlInClusterSizesStorageBackupsAndResourcesFromTheClaim() throws Exception {
    var r = compose("compositions/postgresql-in-cluster.yaml", "examples/databases/payments-db.yaml");
    assertThat(r.resources()).extracting(CompositionEngine.Composed::name)
        .containsExactly("data", "service", "statefulset", "backup");
    JsonNode pvc = r.resources().get(0).resource();
    assertThat(pvc.path("spec").path("resources").path("requests").path("storage").asText()).isEqualTo("100Gi");
    assertThat(pvc.path("metadata").path("name").asText()).isEqualTo("payments-db-data");
    JsonNode sts = r.resources().get(2).resource();
    JsonNode container = sts.path("spec").path("template").path("spec").path("containers").get(0);
    assertThat(container.path("image").asText()).isEqualTo("postgres:16");
    assertThat(container.path("resources").path("requests").path("cpu").asText()).isEqualTo("250m");
    assertThat(container.path("env").get(0).path("valueFrom").path("secretKeyRef").path("name").asText())
        .isEqualTo("payments-db-credentials");
    assertThat(sts.path("spec").path("template").path("spec").path("securityContext").path("runAsNonRoot")
        .asBoolean()).isTrue();
    JsonNode backup = r.resources().get(3).resource();
    assertThat(backup.path("spec").path("jobTemplate").path("spec").path("template").path("spec").path("containers")
        .get(0).path("env").get(1).path("value").asText()).isEqualTo("30");
    assertThat(r.connectionDetails()).containsEntry("host", "payments-db-postgresql.payments.svc.cluster.local")
        .containsEntry("port", "5432").containsEntry("username", "app");
    assertThat(r.generatedPasswords()).containsExactly("password");
  }

  @Test
  void mysqlInClusterIsMysql() throws Exception {
    var r = compose("compositions/mysql-in-cluster.yaml", "examples/databases/orders-mysql.yaml");
    JsonNode container = r.resources().get(2).resource().path("spec").path("template").path("spec")
        .path("containers").get(0);
    assertThat(container.path("image").asText()).isEqualTo("mysql:8.0");
    assertThat(container.path("resources").path("requests").path("memory").asText()).isEqualTo("4Gi");
    assertThat(r.connectionDetails()).containsEntry("port", "3306");
  }

  @Test
  void postgresqlAwsEnforcesEncryptionAndPatchesRetention() throws Exception {
    var r = compose("compositions/postgresql-aws.yaml", "examples/databases/analytics-rds.yaml");
    JsonNode rds = r.resources().get(0).resource().path("spec").path("forProvider");
    assertThat(rds.path("storageEncrypted").asBoolean()).isTrue();
    assertThat(rds.path("backupRetentionPeriod").asInt()).isEqualTo(14);
    assertThat(rds.path("allocatedStorage").asInt()).isEqualTo(500);
    assertThat(rds.path("instanceClass").asText()).isEqualTo("db.r6g.2xlarge");
  }

  @Test
  void postgresqlTerraformPatchesTheModuleInputsAndKeepsEncryption() throws Exception {
    var r = compose("compositions/postgresql-terraform.yaml", "examples/databases/orders-terraform.yaml");
    var c = r.resources().get(0);
    Map<String, String> files = TerraformModule.files(c.name(), c.resource(), "resources/default/Database/orders-db",
        "orders-db-conn");
    JsonNode call = Serialization.JSON.readTree(files.get("rds/main.tf.json")).path("module").path("rds");
    assertThat(call.path("source").asText()).isEqualTo("terraform-aws-modules/rds/aws");
    assertThat(call.path("identifier").asText()).isEqualTo("orders-db");
    assertThat(call.path("allocated_storage").asInt()).isEqualTo(100);
    assertThat(call.path("engine_version").asText()).isEqualTo("15");
    assertThat(call.path("family").asText()).isEqualTo("postgres15");
    assertThat(call.path("instance_class").asText()).isEqualTo("db.m6g.large");
    assertThat(call.path("backup_retention_period").asInt()).isEqualTo(14);
    assertThat(call.path("storage_encrypted").asBoolean()).isTrue();
    JsonNode tf = Serialization.YAML.readTree(files.get("rds.yaml"));
    assertThat(tf.path("spec").path("path").asText()).isEqualTo("./resources/default/Database/orders-db/rds");
    assertThat(tf.path("spec").path("writeOutputsToSecret").path("name").asText()).isEqualTo("orders-db-conn");
  }
}
