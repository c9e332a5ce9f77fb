package dev.tarmac.composition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Patch-and-transform with Crossplane's semantics; the corpus Compositions are used exactly as published. */
class CompositionEngineTest {

  static JsonNode yaml(String s) throws Exception {
    return Serialization.YAML.readTree(s);
  }

  static JsonNode corpus(String file) throws Exception {
    return Serialization.YAML.readTree(RepoPaths.corpus().resolve("crossplane/" + file).toFile());
  }

  @Test
  void nopPatchAndTransformFromTheCrossplaneE2eSuite() throws Exception {
    JsonNode composition = corpus("nop-pandt-composition.yaml");
    JsonNode claim = corpus("nop-pandt-claim.yaml");
    var first = CompositionEngine.compose(claim, composition.path("spec"), Map.of(), Map.of());
    ObjectNode nop = first.resources().get(0).resource();
    assertThat(nop.path("kind").asText()).isEqualTo("NopResource");
    assertThat(nop.path("metadata").path("annotations").path("cool-field").asText()).isEqualTo("I'M COOL!");
    assertThat(nop.path("spec").path("forProvider").path("conditionAfter").size()).isEqualTo(2);
    assertThat(first.resources().get(0).ready()).isFalse();
    // Once observed, ToCompositeFieldPath copies the annotation back onto the composite's status.
    ObjectNode observed = nop.deepCopy();
    observed.putObject("status").putArray("conditions").addObject().put("type", "Ready").put("status", "True");
    var second = CompositionEngine.compose(claim, composition.path("spec"), Map.of("nop-resource-1", observed),
        Map.of());
    assertThat(second.composite().path("status").path("coolerField").asText()).isEqualTo("I'M COOL!");
    assertThat(second.ready()).isTrue();
  }

  @Test
  void azurePostgresFromTheCrossplaneDocs() throws Exception {
    JsonNode composition = corpus("azure-postgres-composition.yaml");
    ObjectNode claim = (ObjectNode) corpus("azure-postgres-claim.yaml");
    ((ObjectNode) claim.path("metadata")).put("uid", "1234-abcd");
    var result = CompositionEngine.compose(claim, composition.path("spec"), Map.of(),
        Map.of("postgresqlserver", Map.of("username", "myadmin", "password", "s3cret", "endpoint", "db.example")));
    assertThat(result.resources()).extracting(CompositionEngine.Composed::name)
        .containsExactly("resourcegroup", "postgresqlserver", "firewallrule");
    JsonNode server = result.resources().get(1).resource();
    assertThat(server.path("spec").path("forProvider").path("storageProfile").path("storageMB").asLong())
        .isEqualTo(20 * 1024);
    assertThat(server.path("spec").path("writeConnectionSecretToRef").path("name").asText())
        .isEqualTo("1234-abcd-postgresql");
    assertThat(server.path("spec").path("forProvider").path("sslEnforcement").asText()).isEqualTo("Disabled");
    assertThat(result.connectionDetails()).containsEntry("port", "5432").containsEntry("username", "myadmin")
        .containsEntry("endpoint", "db.example");
  }

  @Test
  void combineRequiredPolicyPatchSetsAndEnforcedFields() throws Exception {
    JsonNode spec = yaml("""
        patchSets:
          - name: common
            patches:
              - fromFieldPath: metadata.labels[team]
                toFieldPath: metadata.labels[app.kubernetes.io/part-of]
        resources:
          - name: db
            enforcedFields: [spec.storageEncrypted]
            base: {apiVersion: v1, kind: ConfigMap, spec: {storageEncrypted: true}}
            patches:
              - {type: PatchSet, patchSetName: common}
              - type: CombineFromComposite
                combine:
                  variables: [{fromFieldPath: spec.engine}, {fromFieldPath: spec.version}]
                  strategy: string
                  string: {fmt: "%s-%s"}
                toFieldPath: spec.image
              - fromFieldPath: spec.size
                toFieldPath: spec.cpu
                transforms:
                  - {type: map, map: {small: "250m", large: "2"}}
              - fromFieldPath: spec.missing
                toFieldPath: spec.optional
        """);
    JsonNode claim = yaml("{metadata: {name: d, labels: {team: payments}}, spec: {engine: postgres, version: '16',"
        + " size: small}}");
    JsonNode db = CompositionEngine.compose(claim, spec, Map.of(), Map.of()).resources().get(0).resource();
    assertThat(db.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText()).isEqualTo("payments");
    assertThat(db.path("spec").path("image").asText()).isEqualTo("postgres-16");
    assertThat(db.path("spec").path("cpu").asText()).isEqualTo("250m");
    assertThat(db.path("spec").has("optional")).isFalse();
    assertThat(db.path("spec").path("storageEncrypted").asBoolean()).isTrue();

    JsonNode sneaky = yaml("""
        resources:
          - name: db
            enforcedFields: [spec.storageEncrypted]
            base: {apiVersion: v1, kind: ConfigMap, spec: {storageEncrypted: true}}
            patches:
              - {fromFieldPath: spec.encrypted, toFieldPath: spec.storageEncrypted}
        """);
    assertThatThrownBy(() -> CompositionEngine.compose(yaml("{spec: {encrypted: false}}"), sneaky, Map.of(), Map.of()))
        .isInstanceOf(CompositionException.class).hasMessageContaining("resource db patch 0")
        .hasMessageContaining("enforced default");
    JsonNode required = yaml("""
        resources:
          - name: db
            base: {apiVersion: v1, kind: ConfigMap}
            patches:
              - {fromFieldPath: spec.x, toFieldPath: data.x, policy: {fromFieldPath: Required}}
        """);
    assertThatThrownBy(() -> CompositionEngine.compose(yaml("{spec: {}}"), required, Map.of(), Map.of()))
        .hasMessageContaining("resource db patch 0 (FromCompositeFieldPath): the composite has no spec.x");
    JsonNode badMap = yaml("""
        resources:
          - name: db
            base: {apiVersion: v1, kind: ConfigMap}
            patches:
              - {fromFieldPath: spec.size, toFieldPath: data.s, transforms: [{type: map, map: {small: "1"}}]}
        """);
    assertThatThrownBy(() -> CompositionEngine.compose(yaml("{spec: {size: huge}}"), badMap, Map.of(), Map.of()))
        .hasMessageContaining("resource db patch 0").hasMessageContaining("no key 'huge'");
  }

  @Test
  void transformsFollowCrossplane() throws Exception {
    assertThat(Transforms.apply(yaml("{type: string, string: {type: Format, fmt: '%dGi'}}"), yaml("100")).asText())
        .isEqualTo("100Gi");
    assertThat(Transforms.apply(yaml("{type: string, string: {type: TrimPrefix, trim: 'ab'}}"),
        yaml("abc")).asText()).isEqualTo("c");
    assertThat(Transforms.apply(yaml("{type: string, string: {type: Regexp, regexp: {match: 'v(\\d+)', group: 1}}}"),
        yaml("v16")).asText()).isEqualTo("16");
    assertThat(Transforms.apply(yaml("{type: string, string: {type: Convert, convert: ToBase64}}"), yaml("hi"))
        .asText()).isEqualTo("aGk=");
    assertThat(Transforms.apply(yaml("{type: math, math: {type: ClampMin, clampMin: 7}}"), yaml("3")).asLong())
        .isEqualTo(7);
    assertThat(Transforms.apply(yaml("{type: math, math: {type: ClampMax, clampMax: 35}}"), yaml("90")).asLong())
        .isEqualTo(35);
    assertThat(Transforms.apply(yaml("{type: convert, convert: {toType: int64, format: quantity}}"), yaml("2Gi"))
        .asLong()).isEqualTo(2L << 30);
    assertThat(Transforms.apply(yaml("{type: convert, convert: {toType: bool}}"), yaml("'true'")).asBoolean())
        .isTrue();
    assertThat(Transforms.apply(yaml("{type: match, match: {patterns: [{type: regexp, regexp: '^prod', result: "
        + "gold}], fallbackValue: bronze}}"), yaml("staging")).asText()).isEqualTo("bronze");
    assertThatThrownBy(() -> Transforms.apply(yaml("{type: math, math: {multiply: 2}}"), yaml("abc")))
        .hasMessageContaining("needs a number");
    assertThatThrownBy(() -> Transforms.apply(yaml("{type: unknown}"), yaml("1")))
        .hasMessageContaining("unknown transform type");
  }

  @Test
  void readinessChecks() throws Exception {
    JsonNode sts = yaml("{status: {readyReplicas: 1, phase: Bound, conditions: [{type: Synced, status: 'True'}]}}");
    assertThat(CompositionEngine.readiness(yaml("[{type: MatchInteger, fieldPath: status.readyReplicas, "
        + "matchInteger: 1}]"), sts)).isNull();
    assertThat(CompositionEngine.readiness(yaml("[{type: MatchString, fieldPath: status.phase, matchString: Bound}]"),
        sts)).isNull();
    assertThat(CompositionEngine.readiness(yaml("[{type: MatchCondition, matchCondition: {type: Synced, status: "
        + "'True'}}]"), sts)).isNull();
    assertThat(CompositionEngine.readiness(yaml("[{type: NonEmpty, fieldPath: status.address}]"), sts))
        .contains("status.address is empty");
    assertThat(CompositionEngine.readiness(yaml("[{type: None}]"), yaml("{}"))).isNull();
    assertThat(CompositionEngine.readiness(yaml("[{type: MatchInteger, fieldPath: status.readyReplicas, "
        + "matchInteger: 3}]"), sts)).contains("waiting for 3");
  }

  @Test
  void fieldPathsUseKubernetesSyntax() throws Exception {
    ObjectNode o = Serialization.JSON.createObjectNode();
    FieldPath.parse("spec.containers[0].image").set(o, Serialization.JSON.getNodeFactory().textNode("pg:16"));
    FieldPath.parse("metadata.labels[app.kubernetes.io/name]").set(o,
        Serialization.JSON.getNodeFactory().textNode("db"));
    FieldPath.parse("spec.forProvider.tags[\"env\"]").set(o, Serialization.JSON.getNodeFactory().textNode("prod"));
    assertThat(o.toString()).isEqualTo("{\"spec\":{\"containers\":[{\"image\":\"pg:16\"}],\"forProvider\":{\"tags\":"
        + "{\"env\":\"prod\"}}},\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"db\"}}}");
    assertThat(FieldPath.parse("metadata.labels[app.kubernetes.io/name]").get(o).asText()).isEqualTo("db");
    assertThat(FieldPath.parse("spec.containers[3].image").get(o)).isNull();
  }
}
