package dev.tarmac.composition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.pipeline.PipelineException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The files a composed Terraform object with a {@code module} becomes: main.tf.json checked against Terraform's JSON
 * configuration syntax (a top-level {@code module} object of named blocks whose arguments are source, version and
 * the inputs; a top-level {@code output} object of named blocks with {@code value}), and the Terraform object's
 * path and writeOutputsToSecret.
 */
class TerraformModuleTest {

  private static ObjectNode terraform(String moduleYaml) throws Exception {
    return (ObjectNode) Serialization.YAML.readTree("""
        apiVersion: infra.contrib.fluxcd.io/v1alpha2
        kind: Terraform
        metadata: {name: orders-db-rds, namespace: team-a}
        spec:
          path: clusters/dev
          sourceRef: {kind: GitRepository, name: state, namespace: flux-system}
          approvePlan: auto
        """ + moduleYaml);
  }

  @Test
  void writesTheModuleCallAsTerraformJsonAndPointsTheTerraformObjectAtIt() throws Exception {
    ObjectNode tf = terraform("""
        module:
          source: terraform-aws-modules/rds/aws
          version: "~> 6.10"
          inputs: {allocated_storage: 100, engine_version: "15", tags: {team: a}, subnets: [x, y]}
          outputs: {host: db_instance_address, port: db_instance_port}
        """);
    Map<String, String> files = TerraformModule.files("rds", tf, "resources/team-a/Database/orders-db", "orders-conn");

    assertThat(files.keySet()).containsExactly("rds/main.tf.json", "rds.yaml");
    JsonNode main = Serialization.JSON.readTree(files.get("rds/main.tf.json"));
    assertThat(main.fieldNames()).toIterable().containsExactly("module", "output");
    JsonNode call = main.path("module").path("rds");
    assertThat(main.path("module").size()).isEqualTo(1);
    assertThat(call.path("source").asText()).isEqualTo("terraform-aws-modules/rds/aws");
    assertThat(call.path("version").asText()).isEqualTo("~> 6.10");
    assertThat(call.path("allocated_storage").isInt()).isTrue();
    assertThat(call.path("allocated_storage").asInt()).isEqualTo(100);
    assertThat(call.path("engine_version").asText()).isEqualTo("15");
    assertThat(call.path("tags").path("team").asText()).isEqualTo("a");
    assertThat(call.path("subnets").get(1).asText()).isEqualTo("y");
    assertThat(call.has("inputs")).isFalse();
    assertThat(main.path("output").path("host").path("value").asText()).isEqualTo("${module.rds.db_instance_address}");
    assertThat(main.path("output").path("port").path("value").asText()).isEqualTo("${module.rds.db_instance_port}");
    assertThat(main.path("output").path("host").path("sensitive").asBoolean()).isTrue();

    JsonNode object = Serialization.YAML.readTree(files.get("rds.yaml"));
    assertThat(object.has("module")).isFalse();
    assertThat(object.path("spec").path("path").asText())
        .isEqualTo("clusters/dev/resources/team-a/Database/orders-db/rds");
    assertThat(object.path("spec").path("writeOutputsToSecret").path("name").asText()).isEqualTo("orders-conn");
    assertThat(Serialization.JSON.convertValue(object.path("spec").path("writeOutputsToSecret").path("outputs"),
        List.class)).containsExactly("host", "port");
    assertThat(object.path("spec").path("sourceRef").path("name").asText()).isEqualTo("state");
  }

  @Test
  void defaultPathIsRelativeToTheRepositoryRootAndNoSecretMeansNoWriteOutputs() throws Exception {
    ObjectNode tf = terraform("module: {source: ./modules/pg}\n");
    ((ObjectNode) tf.path("spec")).remove("path");
    Map<String, String> files = TerraformModule.files("db", tf, "resources/ns/Database/x", null);
    JsonNode main = Serialization.JSON.readTree(files.get("db/main.tf.json"));
    assertThat(main.path("module").path("db").has("version")).isFalse();
    assertThat(main.has("output")).isFalse();
    JsonNode object = Serialization.YAML.readTree(files.get("db.yaml"));
    assertThat(object.path("spec").path("path").asText()).isEqualTo("./resources/ns/Database/x/db");
    assertThat(object.path("spec").has("writeOutputsToSecret")).isFalse();
  }

  @Test
  void claimValuesAreLiteralsNotTerraformTemplates() throws Exception {
    ObjectNode tf = terraform("""
        module:
          source: m
          inputs: {name: "${file(\\"/etc/passwd\\")}", directive: "%{ if true }x%{ endif }", list: ["${a}"]}
        """);
    JsonNode call = Serialization.JSON.readTree(TerraformModule.files("db", tf, "r", null).get("db/main.tf.json"))
        .path("module").path("db");
    assertThat(call.path("name").asText()).isEqualTo("$${file(\"/etc/passwd\")}");
    assertThat(call.path("directive").asText()).isEqualTo("%%{ if true }x%%{ endif }");
    assertThat(call.path("list").get(0).asText()).isEqualTo("$${a}");
  }

  @Test
  void otherKindsAndTerraformWithoutModuleAreOneYamlFile() throws Exception {
    ObjectNode cm = (ObjectNode) Serialization.YAML.readTree("{apiVersion: v1, kind: ConfigMap, module: {source: x}}");
    assertThat(TerraformModule.files("cm", cm, "r", "s").keySet()).containsExactly("cm.yaml");
    ObjectNode tf = terraform("");
    Map<String, String> files = TerraformModule.files("tf", tf, "r", "s");
    assertThat(files.keySet()).containsExactly("tf.yaml");
    assertThat(Serialization.YAML.readTree(files.get("tf.yaml")).path("spec").path("path").asText())
        .isEqualTo("clusters/dev");
  }

  @Test
  void malformedModulesNameTheFieldToFix() throws Exception {
    assertThatThrownBy(() -> TerraformModule.files("db", terraform("module: {version: '1'}\n"), "r", null))
        .isInstanceOf(CompositionException.class).hasMessageContaining("module.source");
    assertThatThrownBy(() -> TerraformModule.files("db", terraform("module: {source: m, inputs: {count: 2}}\n"), "r",
        null)).isInstanceOf(CompositionException.class).hasMessageContaining("inputs.count");
    assertThatThrownBy(() -> TerraformModule.files("db", terraform("module: {source: m, outputs: [a]}\n"), "r",
        null)).isInstanceOf(CompositionException.class).hasMessageContaining("outputs");
    assertThatThrownBy(() -> TerraformModule.files("db", terraform("module: {source: m, outputs: {a: 'x}'}}\n"),
        "r", null)).isInstanceOf(CompositionException.class).hasMessageContaining("outputs.a");
  }

  @Test
  void blockNamesAreTerraformIdentifiers() {
    assertThat(TerraformModule.blockName("rds")).isEqualTo("rds");
    assertThat(TerraformModule.blockName("my.db")).isEqualTo("my_db");
    assertThat(TerraformModule.blockName("1db")).isEqualTo("_1db");
  }

  @Test
  void composeStepEmitsTheSameFilesForAPromiseRequest() throws Exception {
    var composition = Serialization.YAML.readValue(dev.tarmac.testing.RepoPaths.repo()
        .resolve("compositions/postgresql-terraform.yaml").toFile(), dev.tarmac.api.Composition.class);
    JsonNode request = Serialization.YAML.readTree("""
        apiVersion: example.com/v1
        kind: Postgres
        metadata: {name: pay, namespace: team-b}
        spec: {version: "16", storageGB: 50, size: large, backupRetentionDays: 3,
               writeConnectionSecretToRef: {name: pay-conn}}
        """);
    var out = new ComposeStep(n -> n.equals("postgresql-terraform") ? composition : null)
        .run(request, Serialization.YAML.readTree("compositionRef: {name: postgresql-terraform}"));
    assertThat(out.files().keySet()).containsExactlyInAnyOrder("rds/main.tf.json", "rds.yaml");
    JsonNode call = Serialization.JSON.readTree(out.files().get("rds/main.tf.json")).path("module").path("rds");
    assertThat(call.path("allocated_storage").asInt()).isEqualTo(50);
    assertThat(call.path("instance_class").asText()).isEqualTo("db.r6g.2xlarge");
    assertThat(call.path("family").asText()).isEqualTo("postgres16");
    JsonNode object = Serialization.YAML.readTree(out.files().get("rds.yaml"));
    assertThat(object.path("metadata").path("name").asText()).isEqualTo("pay-rds");
    assertThat(object.path("metadata").path("namespace").asText()).isEqualTo("team-b");
    assertThat(object.path("spec").path("path").asText()).isEqualTo("./resources/team-b/Postgres/pay/rds");
    assertThat(object.path("spec").path("writeOutputsToSecret").path("name").asText()).isEqualTo("pay-conn");
  }

  @Test
  void badModuleInAPromiseStepIsAPipelineError() throws Exception {
    var composition = Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: bad}
        spec:
          resources:
            - name: tf
              base: {apiVersion: infra.contrib.fluxcd.io/v1alpha2, kind: Terraform, module: {inputs: {a: 1}}}
        """, dev.tarmac.api.Composition.class);
    assertThatThrownBy(() -> new ComposeStep(n -> composition).run(Serialization.YAML.readTree(
        "{kind: X, metadata: {name: a, namespace: b}}"), Serialization.YAML.readTree("compositionRef: {name: bad}")))
        .isInstanceOf(PipelineException.class).hasMessageContaining("module.source");
  }
}
