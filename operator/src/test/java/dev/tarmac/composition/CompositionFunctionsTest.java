package dev.tarmac.composition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Function pipelines with Crossplane's semantics. Expected values come from the functions' READMEs, Crossplane's
 * "Function Patch and Transform" guide, function-patch-and-transform's own test vectors (transforms_test.go) and
 * published hash test vectors — never from this engine's output.
 */
class CompositionFunctionsTest {

  static JsonNode yaml(String s) throws Exception {
    return Serialization.YAML.readTree(s);
  }

  static JsonNode t(String transform, String input) throws Exception {
    return Transforms.apply(yaml(transform), yaml(input));
  }

  static Map<String, JsonNode> observed(String... nameAndYaml) throws Exception {
    Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < nameAndYaml.length; i += 2) {
      out.put(nameAndYaml[i], yaml(nameAndYaml[i + 1]));
    }
    return out;
  }

  // ---- transforms: function-patch-and-transform's transforms_test.go vectors and the Crossplane guide ----

  @Test
  void stringTransformsMatchTheFunctionsTestVectors() throws Exception {
    assertThat(t("{type: string, string: {type: Join, join: {separator: ','}}}", "[cross, plane]").asText())
        .isEqualTo("cross,plane");
    assertThat(t("{type: string, string: {type: Join, join: {separator: ''}}}", "[cross, plane]").asText())
        .isEqualTo("crossplane");
    assertThat(t("{type: string, string: {type: Join, join: {separator: '-'}}}", "[cross, plane, 42]").asText())
        .isEqualTo("cross-plane-42");
    assertThatThrownBy(() -> t("{type: string, string: {type: Join, join: {separator: ','}}}", "cross"))
        .hasMessageContaining("needs an array");
    assertThat(t("{type: string, string: {type: Replace, replace: {search: Cr, replace: B}}}", "Crossplane")
        .asText()).isEqualTo("Bossplane");
    // The guide: an empty replace removes the search string.
    assertThat(t("{type: string, string: {type: Replace, replace: {search: 'europe-', replace: ''}}}",
        "europe-west").asText()).isEqualTo("west");
    assertThat(t("{type: string, string: {type: Convert, convert: ToUpper}}", "crossplane").asText())
        .isEqualTo("CROSSPLANE");
    assertThat(t("{type: string, string: {type: Convert, convert: ToLower}}", "CrossPlane").asText())
        .isEqualTo("crossplane");
    assertThat(t("{type: string, string: {type: Convert, convert: ToBase64}}", "CrossPlane").asText())
        .isEqualTo("Q3Jvc3NQbGFuZQ==");
    assertThat(t("{type: string, string: {type: Convert, convert: FromBase64}}", "Q3Jvc3NQbGFuZQ==").asText())
        .isEqualTo("CrossPlane");
    assertThat(t("{type: string, string: {type: Convert, convert: ToSha1}}", "Crossplane").asText())
        .isEqualTo("3b683dc8ff44122b331a5e4f253dd69d90726d75");
    assertThat(t("{type: string, string: {type: Convert, convert: ToSha256}}", "Crossplane").asText())
        .isEqualTo("19c8a7c24ed0067f606815b59e5b82d92935ff69deed04171457a55018e31224");
    // FIPS 180-2's "abc" test vector.
    assertThat(t("{type: string, string: {type: Convert, convert: ToSha512}}", "abc").asText())
        .isEqualTo("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    assertThat(t("{type: string, string: {type: Convert, convert: ToAdler32}}", "Crossplane").asText())
        .isEqualTo("373097499");
    assertThat(t("{type: string, string: {type: Convert, convert: ToAdler32}}", "'⡌⠁⠧⠑ ⠼⠁⠒  ⡍⠜⠇⠑⠹⠰⠎ ⡣⠕⠌'").asText())
        .isEqualTo("4110427190");
    assertThat(t("{type: string, string: {type: Convert, convert: ToJson}}", "{foo: bar}").asText())
        .isEqualTo("{\"foo\":\"bar\"}");
    // Go's encoding/json sorts object keys.
    assertThat(t("{type: string, string: {type: Convert, convert: ToJson}}", "{b: 1, a: [true]}").asText())
        .isEqualTo("{\"a\":[true],\"b\":1}");
    assertThat(t("{type: string, string: {type: TrimPrefix, trim: 'https://'}}", "https://crossplane.io").asText())
        .isEqualTo("crossplane.io");
    assertThat(t("{type: string, string: {type: TrimSuffix, trim: '-test'}}", "my-string-test").asText())
        .isEqualTo("my-string");
    assertThat(t("{type: string, string: {type: Regexp, regexp: {match: '[0-9]'}}}", "my-1-string").asText())
        .isEqualTo("1");
    assertThat(t("{type: string, string: {type: Regexp, regexp: {match: 'my-([0-9])-string', group: 1}}}",
        "my-1-string").asText()).isEqualTo("1");
    assertThatThrownBy(() -> t("{type: string, string: {type: Regexp, regexp: {match: 'my-([0-9])-string',"
        + " group: 2}}}", "my-1-string")).hasMessageContaining("no group 2");
    assertThat(t("{type: string, string: {type: Format, fmt: 'the largest %d'}}", "8").asText())
        .isEqualTo("the largest 8");
  }

  @Test
  void convertMatchAndMathTransformsMatchTheFunctionsTestVectors() throws Exception {
    assertThat(t("{type: convert, convert: {toType: bool}}", "'true'").asBoolean()).isTrue();
    assertThat(t("{type: convert, convert: {toType: float64}}", "'1000'").asDouble()).isEqualTo(1000.0);
    assertThat(t("{type: convert, convert: {toType: float64, format: quantity}}", "'1000m'").asDouble())
        .isEqualTo(1.0);
    assertThat(t("{type: convert, convert: {toType: int64}}", "1.1").asLong()).isEqualTo(1);
    assertThat(t("{type: convert, convert: {toType: int}}", "1").asLong()).isEqualTo(1);
    JsonNode object = t("{type: convert, convert: {toType: object, format: json}}", "'{\"foo\":\"bar\"}'");
    assertThat(object.path("foo").asText()).isEqualTo("bar");
    JsonNode array = t("{type: convert, convert: {toType: array, format: json}}", "'[\"foo\", \"bar\", \"baz\"]'");
    assertThat(array).hasSize(3);
    assertThat(array.get(2).asText()).isEqualTo("baz");
    // The function's conversion table: int64 → bool is == 1, bool → int64 is 1/0, float64 → string without exponent.
    assertThat(t("{type: convert, convert: {toType: bool}}", "1").asBoolean()).isTrue();
    assertThat(t("{type: convert, convert: {toType: int64}}", "false").asLong()).isZero();
    assertThat(t("{type: convert, convert: {toType: string}}", "1.5").asText()).isEqualTo("1.5");

    // Crossplane guide: fallbackTo Input returns the input; fallbackValue when no pattern matches.
    String match = "{type: match, match: {patterns: [{type: literal, literal: UnknownString, result: foundField1}],"
        + " %s}}";
    assertThat(t(match.formatted("fallbackTo: Input"), "field1").asText()).isEqualTo("field1");
    assertThat(t(match.formatted("fallbackTo: Value, fallbackValue: StringNotFound"), "field1").asText())
        .isEqualTo("StringNotFound");
    assertThat(t(match.formatted("fallbackTo: Value"), "UnknownString").asText()).isEqualTo("foundField1");
    assertThat(t("{type: match, match: {patterns: [{type: regexp, regexp: '^eu-', result: {tier: gold}}]}}",
        "eu-north-1").path("tier").asText()).isEqualTo("gold");
    assertThatThrownBy(() -> t(match.formatted("fallbackTo: Input, fallbackValue: x"), "field1"))
        .hasMessageContaining("cannot set both");

    // Crossplane guide: clampMin 20 raises lower inputs to 20, clampMax 5 lowers higher inputs, multiply 2.
    assertThat(t("{type: math, math: {type: ClampMin, clampMin: 20}}", "3").asLong()).isEqualTo(20);
    assertThat(t("{type: math, math: {type: ClampMin, clampMin: 20}}", "30").asLong()).isEqualTo(30);
    assertThat(t("{type: math, math: {type: ClampMax, clampMax: 5}}", "9").asLong()).isEqualTo(5);
    assertThat(t("{type: math, math: {type: Multiply, multiply: 2}}", "21").asLong()).isEqualTo(42);
  }

  @Test
  void readinessChecksMatchTrueMatchFalseNonEmpty() throws Exception {
    JsonNode o = yaml("{status: {atProvider: {enabled: true, deleted: false, name: ''}}}");
    assertThat(PatchAndTransform.readiness(yaml("[{type: MatchTrue, fieldPath: status.atProvider.enabled}]"), o,
        false)).isNull();
    assertThat(PatchAndTransform.readiness(yaml("[{type: MatchFalse, fieldPath: status.atProvider.deleted}]"), o,
        false)).isNull();
    assertThat(PatchAndTransform.readiness(yaml("[{type: MatchTrue, fieldPath: status.atProvider.deleted}]"), o,
        false)).contains("waiting for true");
    assertThat(PatchAndTransform.readiness(yaml("[{type: MatchFalse, fieldPath: status.atProvider.missing}]"), o,
        false)).contains("missing");
    // NonEmpty: ready when the field exists (function-patch-and-transform's ready.go: GetValue succeeds).
    assertThat(PatchAndTransform.readiness(yaml("[{type: NonEmpty, fieldPath: status.atProvider.name}]"), o, false))
        .isNull();
    // Without checks a function pipeline needs Ready=True: an object without conditions is not ready.
    assertThat(PatchAndTransform.readiness(null, o, false)).contains("no Ready condition");
    assertThat(PatchAndTransform.readiness(yaml("[{type: Bogus}]"), o, false)).contains("unknown type 'Bogus'");
  }

  // ---- pipelines ----

  /** function-cel-filter's README Composition, followed by function-auto-ready. */
  static final String THREE_STEPS = """
      compositeTypeRef: {apiVersion: example.crossplane.io/v1, kind: NoSQL}
      mode: Pipeline
      pipeline:
      - step: patch-and-transform
        functionRef: {name: function-patch-and-transform}
        input:
          apiVersion: pt.fn.crossplane.io/v1beta1
          kind: Resources
          resources:
          - name: table
            base:
              apiVersion: dynamodb.aws.upbound.io/v1beta1
              kind: Table
              metadata: {name: crossplane-quickstart-database}
              spec:
                forProvider:
                  region: "us-east-2"
                  writeCapacity: 1
                  readCapacity: 1
                  attribute: [{name: S3ID, type: S}]
                  hashKey: S3ID
          - name: bucket
            base:
              apiVersion: s3.aws.upbound.io/v1beta1
              kind: Bucket
              spec:
                forProvider: {region: us-east-2}
      - step: filter-composed-resources
        functionRef: {name: function-cel-filter}
        input:
          apiVersion: cel.fn.crossplane.io/v1beta1
          kind: Filters
          filters:
          - name: bucket
            expression: observed.composite.resource.spec.export == "S3"
      - step: automatically-detect-ready-composed-resources
        functionRef: {name: function-auto-ready}
      """;

  @Test
  void threeStepPipelinePatchesFiltersAndDetectsReadiness() throws Exception {
    JsonNode spec = yaml(THREE_STEPS);
    // "Only create the bucket if the XR's spec.export field is set to S3."
    var none = CompositionEngine.compose(yaml("{apiVersion: example.crossplane.io/v1, kind: NoSQL, metadata: {name: x},"
        + " spec: {export: None}}"), spec, Map.of(), Map.of());
    assertThat(none.resources()).extracting(CompositionEngine.Composed::name).containsExactly("table");
    assertThat(none.resources().get(0).resource().path("spec").path("forProvider").path("hashKey").asText())
        .isEqualTo("S3ID");
    assertThat(none.ready()).isFalse();

    JsonNode xr = yaml("{apiVersion: example.crossplane.io/v1, kind: NoSQL, metadata: {name: x}, spec: {export: S3}}");
    var both = CompositionEngine.compose(xr, spec, Map.of(), Map.of());
    assertThat(both.resources()).extracting(CompositionEngine.Composed::name).containsExactly("table", "bucket");
    assertThat(both.resources()).allMatch(c -> !c.ready() && c.message().equals("not created yet"));

    // function-auto-ready: ready when observed with Ready=True; the composite when all are.
    var obs = observed(
        "table", "{apiVersion: dynamodb.aws.upbound.io/v1beta1, kind: Table, status: {conditions: [{type: Ready,"
            + " status: 'True'}]}}",
        "bucket", "{apiVersion: s3.aws.upbound.io/v1beta1, kind: Bucket, status: {conditions: [{type: Ready,"
            + " status: 'False'}]}}");
    var half = CompositionEngine.compose(xr, spec, obs, Map.of());
    assertThat(half.resources().get(0).readiness()).isEqualTo(CompositionEngine.Readiness.TRUE);
    assertThat(half.resources().get(0).ready()).isTrue();
    assertThat(half.resources().get(1).ready()).isFalse();
    assertThat(half.resources().get(1).message()).contains("its Ready condition is False");
    assertThat(half.ready()).isFalse();
    ((ObjectNode) obs.get("bucket").path("status").path("conditions").get(0)).put("status", "True");
    assertThat(CompositionEngine.compose(xr, spec, obs, Map.of()).ready()).isTrue();

    // Without function-auto-ready nothing marks them ready (patch-and-transform only does with readinessChecks or a
    // Ready condition): drop the last step and a ConfigMap-like object without conditions stays not ready.
    ObjectNode twoSteps = spec.deepCopy();
    ((com.fasterxml.jackson.databind.node.ArrayNode) twoSteps.path("pipeline")).remove(2);
    var noConditions = observed("table", "{apiVersion: dynamodb.aws.upbound.io/v1beta1, kind: Table}");
    assertThat(CompositionEngine.compose(xr, twoSteps, noConditions, Map.of()).resources().get(0).ready()).isFalse();
  }

  @Test
  void celFilterVariablesFollowTheReadmeExamples() throws Exception {
    JsonNode spec = yaml("""
        mode: Pipeline
        pipeline:
        - step: pt
          functionRef: {name: function-patch-and-transform}
          input:
            apiVersion: pt.fn.crossplane.io/v1beta1
            kind: Resources
            resources:
            - {name: bucket, base: {apiVersion: s3.aws.upbound.io/v1beta1, kind: Bucket, spec: {widgets: 42}}}
            - {name: bucket-policy, base: {apiVersion: s3.aws.upbound.io/v1beta1, kind: BucketPolicy}}
            - {name: queue, base: {apiVersion: sqs.aws.upbound.io/v1beta1, kind: Queue}}
        - step: filter
          functionRef: {name: function-cel-filter}
          input:
            apiVersion: cel.fn.crossplane.io/v1beta1
            kind: Filters
            filters:
            - {name: 'bucket.*', expression: "observed.resources['bucket'].connection_details['user'] == b'admin'"}
            - name: queue
              expression: >-
                desired.resources['bucket'].resource.spec.widgets == 42 && 'bucket' in desired.resources
                && observed.composite.resource.spec.widgets == 42
        """);
    JsonNode xr = yaml("{spec: {widgets: 42}}");
    var obs = observed("bucket", "{apiVersion: s3.aws.upbound.io/v1beta1, kind: Bucket}");
    var admin = CompositionEngine.compose(xr, spec, obs, Map.of("bucket", Map.of("user", "admin")));
    assertThat(admin.resources()).extracting(CompositionEngine.Composed::name)
        .containsExactly("bucket", "bucket-policy", "queue");
    // The name is a regular expression over the whole name: 'bucket.*' drops bucket and bucket-policy, not queue.
    var other = CompositionEngine.compose(xr, spec, obs, Map.of("bucket", Map.of("user", "someone")));
    assertThat(other.resources()).extracting(CompositionEngine.Composed::name).containsExactly("queue");

    JsonNode bad = yaml("""
        pipeline:
        - step: filter
          functionRef: {name: function-cel-filter}
          input: {filters: [{name: x, expression: "1 + "}]}
        """);
    assertThatThrownBy(() -> CompositionEngine.compose(xr, bad, Map.of(), Map.of()))
        .isInstanceOf(CompositionException.class).hasMessageContaining("pipeline step 'filter' (function-cel-filter)")
        .hasMessageContaining("does not compile")
        .satisfies(e -> assertThat(((CompositionException) e).reason()).isEqualTo("CompositionInvalid"));
    JsonNode notBool = yaml("""
        pipeline:
        - step: filter
          functionRef: {name: function-cel-filter}
          input: {filters: [{name: x, expression: "'yes'"}]}
        """);
    assertThatThrownBy(() -> CompositionEngine.compose(xr, notBool, Map.of(), Map.of()))
        .hasMessageContaining("must return a bool");
    JsonNode expensive = yaml("""
        pipeline:
        - step: filter
          functionRef: {name: function-cel-filter}
          input:
            filters:
            - name: x
              expression: observed.composite.resource.items.all(a, observed.composite.resource.items.all(b, a + b >= 0))
        """);
    ObjectNode big = Serialization.JSON.createObjectNode();
    var items = big.putArray("items");
    for (int i = 0; i < 1000; i++) {
      items.add(i);
    }
    assertThatThrownBy(() -> CompositionEngine.compose(big, expensive, Map.of(), Map.of()))
        .hasMessageContaining("budget")
        .satisfies(e -> assertThat(((CompositionException) e).reason()).isEqualTo("FunctionFailed"));
  }

  @Test
  void autoReadyUsesTheKindHealthChecksAndLeavesExplicitReadinessAlone() throws Exception {
    JsonNode spec = yaml("""
        pipeline:
        - step: pt
          functionRef: {name: crossplane-contrib-function-patch-and-transform}
          input:
            apiVersion: pt.fn.crossplane.io/v1beta1
            kind: Resources
            resources:
            - {name: cm, base: {apiVersion: v1, kind: ConfigMap}}
            - {name: deploy, base: {apiVersion: apps/v1, kind: Deployment, spec: {replicas: 2}}}
            - {name: pvc, base: {apiVersion: v1, kind: PersistentVolumeClaim}}
            - {name: lb, base: {apiVersion: v1, kind: Service, spec: {type: LoadBalancer}}}
            - name: db
              base: {apiVersion: rds.aws.upbound.io/v1beta1, kind: Instance}
              readinessChecks: [{type: MatchString, fieldPath: status.atProvider.status, matchString: available}]
            - {name: pending, base: {apiVersion: v1, kind: ConfigMap}}
        - step: ready
          functionRef: {name: upbound-function-auto-ready}
        """);
    var obs = observed(
        "cm", "{apiVersion: v1, kind: ConfigMap}",
        "deploy", "{apiVersion: apps/v1, kind: Deployment, spec: {replicas: 2}, status: {updatedReplicas: 2,"
            + " availableReplicas: 2, conditions: [{type: Available, status: 'True'}]}}",
        "pvc", "{apiVersion: v1, kind: PersistentVolumeClaim, status: {phase: Pending}}",
        "lb", "{apiVersion: v1, kind: Service, spec: {type: LoadBalancer}, status: {loadBalancer: {}}}",
        "db", "{apiVersion: rds.aws.upbound.io/v1beta1, kind: Instance, status: {atProvider: {status: available}}}");
    var r = CompositionEngine.compose(yaml("{spec: {}}"), spec, obs, Map.of());
    Map<String, Boolean> ready = new java.util.LinkedHashMap<>();
    r.resources().forEach(c -> ready.put(c.name(), c.ready()));
    assertThat(ready).containsExactly(Map.entry("cm", true), Map.entry("deploy", true), Map.entry("pvc", false),
        Map.entry("lb", false), Map.entry("db", true), Map.entry("pending", false));
    assertThat(r.ready()).isFalse();
    assertThat(AutoReady.healthy(yaml("{apiVersion: batch/v1, kind: Job, status: {conditions: [{type: Complete,"
        + " status: 'True'}]}}"))).isTrue();
    assertThat(AutoReady.healthy(yaml("{apiVersion: apps/v1, kind: StatefulSet, spec: {replicas: 1}, status:"
        + " {readyReplicas: 1, currentReplicas: 1, currentRevision: a, updateRevision: b}}"))).isFalse();
  }

  @Test
  void unknownFunctionIsFunctionNotSupportedBeforeAnyStepRuns() throws Exception {
    JsonNode spec = yaml("""
        mode: Pipeline
        pipeline:
        - step: pt
          functionRef: {name: function-patch-and-transform}
          input:
            apiVersion: pt.fn.crossplane.io/v1beta1
            kind: Resources
            resources:
            - name: broken
              base: {apiVersion: v1, kind: ConfigMap}
              patches: [{type: FromCompositeFieldPath, fromFieldPath: spec.size, toFieldPath: data.s,
                         transforms: [{type: map, map: {small: '1'}}]}]
        - step: render-templates
          functionRef: {name: function-go-templating}
          input:
            apiVersion: gotemplating.fn.crossplane.io/v1beta1
            kind: GoTemplate
            source: Inline
        """);
    // The first step alone would fail with PatchFailed (no map key 'huge'): the unknown function is found first.
    assertThatThrownBy(() -> CompositionEngine.compose(yaml("{spec: {size: huge}}"), spec, Map.of(), Map.of()))
        .isInstanceOf(CompositionException.class)
        .satisfies(e -> assertThat(((CompositionException) e).reason()).isEqualTo("FunctionNotSupported"))
        .hasMessageContaining("pipeline step 'render-templates'")
        .hasMessageContaining("function 'function-go-templating'")
        .hasMessageContaining("gotemplating.fn.crossplane.io/v1beta1 GoTemplate")
        .hasMessageContaining("function-patch-and-transform, function-auto-ready, function-cel-filter");
    JsonNode kcl = yaml("{mode: Pipeline, pipeline: [{step: kcl, functionRef: {name: function-kcl}}]}");
    assertThatThrownBy(() -> CompositionEngine.compose(yaml("{}"), kcl, Map.of(), Map.of()))
        .hasMessageContaining("function 'function-kcl'");
  }

  @Test
  void dispatchByNameOrInputKindAndV2CompositionsWithoutMode() throws Exception {
    assertThat(CompositionEngine.function(yaml(
        "{functionRef: {name: crossplane-contrib-function-patch-and-transform}}")))
        .isEqualTo("function-patch-and-transform");
    assertThat(CompositionEngine.function(yaml("{functionRef: {name: my-pt}, input: {apiVersion:"
        + " pt.fn.crossplane.io/v1beta1, kind: Resources}}"))).isEqualTo("function-patch-and-transform");
    assertThat(CompositionEngine.function(yaml("{functionRef: {name: filter}, input: {apiVersion:"
        + " cel.fn.crossplane.io/v1beta1, kind: Filters}}"))).isEqualTo("function-cel-filter");
    assertThat(CompositionEngine.function(yaml("{functionRef: {name: my-pt}, input: {apiVersion:"
        + " example.org/v1, kind: Resources}}"))).isNull();
    // A name and an input that disagree are not run.
    assertThat(CompositionEngine.function(yaml("{functionRef: {name: function-patch-and-transform}, input:"
        + " {apiVersion: gotemplating.fn.crossplane.io/v1beta1, kind: GoTemplate}}"))).isNull();
    assertThat(CompositionEngine.function(yaml("{functionRef: {name: function-auto-ready}}")))
        .isEqualTo("function-auto-ready");
    // Crossplane v2: no mode field, only a pipeline.
    JsonNode v2 = yaml("""
        compositeTypeRef: {apiVersion: example.crossplane.io/v1, kind: App}
        pipeline:
        - step: pt
          functionRef: {name: my-pt}
          input:
            apiVersion: pt.fn.crossplane.io/v1beta1
            kind: Resources
            resources:
            - name: deployment
              base: {apiVersion: apps/v1, kind: Deployment, spec: {replicas: 1}}
              patches:
              - type: FromCompositeFieldPath
                fromFieldPath: spec.image
                toFieldPath: 'spec.template.spec.containers[0].image'
        """);
    assertThat(CompositionEngine.isPipeline(v2)).isTrue();
    var r = CompositionEngine.compose(yaml("{metadata: {namespace: default, name: app}, spec: {image: nginx}}"), v2,
        Map.of(), Map.of());
    assertThat(r.resources().get(0).resource().path("spec").path("template").path("spec").path("containers").get(0)
        .path("image").asText()).isEqualTo("nginx");
  }

  /** function-environment-configs' README migration example: environment, composite and resource patches. */
  @Test
  void environmentPatchesOfTheMigrationExample() throws Exception {
    JsonNode spec = yaml("""
        mode: Pipeline
        pipeline:
        - step: patch-and-transform
          functionRef: {name: function-patch-and-transform}
          input:
            apiVersion: pt.fn.crossplane.io/v1beta1
            kind: Resources
            environment:
              patches:
              - type: ToCompositeFieldPath
                fromFieldPath: "someFieldInTheEnvironment"
                toFieldPath: "status.someFieldFromTheEnvironment"
              - type: FromCompositeFieldPath
                fromFieldPath: "spec.someFieldInTheXR"
                toFieldPath: "someFieldFromTheXR"
            resources:
            - name: bucket
              base:
                apiVersion: s3.aws.upbound.io/v1beta1
                kind: Bucket
                spec:
                  forProvider:
                    region: us-east-2
              patches:
              - type: FromEnvironmentFieldPath
                fromFieldPath: "someFieldInTheEnvironment"
                toFieldPath: "spec.forProvider.someFieldFromTheEnvironment"
              - type: ToEnvironmentFieldPath
                fromFieldPath: "status.someOtherFieldInTheResource"
                toFieldPath: "someOtherFieldInTheEnvironment"
              - type: CombineFromEnvironment
                combine:
                  variables: [{fromFieldPath: someFieldInTheEnvironment}, {fromFieldPath: someFieldFromTheXR}]
                  strategy: string
                  string: {fmt: "%s-%s"}
                toFieldPath: metadata.annotations[combined]
              - type: CombineToEnvironment
                combine:
                  variables: [{fromFieldPath: status.someOtherFieldInTheResource}]
                  strategy: string
                  string: {fmt: "seen-%s"}
                toFieldPath: combinedFromResource
        """);
    ObjectNode env = (ObjectNode) yaml("{someFieldInTheEnvironment: fromEnv}");
    var obs = observed("bucket", "{apiVersion: s3.aws.upbound.io/v1beta1, kind: Bucket, status:"
        + " {someOtherFieldInTheResource: fromResource}}");
    var r = CompositionEngine.compose(yaml("{spec: {someFieldInTheXR: fromXR}}"), spec, obs, Map.of(), env);
    JsonNode bucket = r.resources().get(0).resource();
    assertThat(bucket.path("spec").path("forProvider").path("someFieldFromTheEnvironment").asText())
        .isEqualTo("fromEnv");
    assertThat(bucket.path("metadata").path("annotations").path("combined").asText()).isEqualTo("fromEnv-fromXR");
    assertThat(r.composite().path("status").path("someFieldFromTheEnvironment").asText()).isEqualTo("fromEnv");
    assertThat(r.environment().path("someFieldFromTheXR").asText()).isEqualTo("fromXR");
    assertThat(r.environment().path("someOtherFieldInTheEnvironment").asText()).isEqualTo("fromResource");
    assertThat(r.environment().path("combinedFromResource").asText()).isEqualTo("seen-fromResource");
    assertThat(env.has("someFieldFromTheXR")).as("the caller's environment is not changed").isFalse();
  }

  @Test
  void environmentConfigsStepMergesProvidedConfigs() throws Exception {
    JsonNode spec = yaml("""
        mode: Pipeline
        pipeline:
        - step: environmentConfigs
          functionRef: {name: function-environment-configs}
          input:
            apiVersion: environmentconfigs.fn.crossplane.io/v1beta1
            kind: Input
            spec:
              defaultData: {region: us-east-1, tier: basic}
              environmentConfigs:
              - type: Reference
                ref: {name: example-config}
              - type: Selector
                selector:
                  mode: Multiple
                  matchLabels:
                  - {key: org, type: FromCompositeFieldPath, valueFromFieldPath: spec.org}
                toFieldPath: team
        - step: pt
          functionRef: {name: function-patch-and-transform}
          input:
            apiVersion: pt.fn.crossplane.io/v1beta1
            kind: Resources
            resources:
            - name: cm
              base: {apiVersion: v1, kind: ConfigMap}
              patches:
              - {type: FromEnvironmentFieldPath, fromFieldPath: region, toFieldPath: data.region}
              - {type: FromEnvironmentFieldPath, fromFieldPath: tier, toFieldPath: data.tier}
              - {type: FromEnvironmentFieldPath, fromFieldPath: team.owner, toFieldPath: data.owner}
        """);
    Map<String, JsonNode> configs = Map.of(
        "example-config", yaml("{metadata: {name: example-config}, data: {region: eu-west-1}}"),
        "a-team", yaml("{metadata: {name: a-team, labels: {org: acme}}, data: {owner: alice}}"),
        "b-team", yaml("{metadata: {name: b-team, labels: {org: acme}}, data: {owner: bob}}"),
        "other", yaml("{metadata: {name: other, labels: {org: other}}, data: {owner: eve}}"));
    var r = CompositionEngine.compose(yaml("{spec: {org: acme}}"), spec, Map.of(), Map.of(), null, configs);
    JsonNode data = r.resources().get(0).resource().path("data");
    assertThat(data.path("region").asText()).isEqualTo("eu-west-1");
    assertThat(data.path("tier").asText()).isEqualTo("basic");
    // Multiple: sorted by metadata.name and merged in order, so the last (b-team) wins.
    assertThat(data.path("owner").asText()).isEqualTo("bob");
    assertThatThrownBy(() -> CompositionEngine.compose(yaml("{spec: {org: acme}}"), spec, Map.of(), Map.of(), null,
        Map.of())).hasMessageContaining("EnvironmentConfig 'example-config' does not exist");
  }

  @Test
  void requiredPolicyHoldsBackANewResourceAndStepsBuildOnEachOther() throws Exception {
    JsonNode spec = yaml("""
        mode: Pipeline
        pipeline:
        - step: base
          functionRef: {name: function-patch-and-transform}
          input:
            apiVersion: pt.fn.crossplane.io/v1beta1
            kind: Resources
            resources:
            - name: cm
              base: {apiVersion: v1, kind: ConfigMap, data: {a: '1'}, metadata: {labels: {keep: base}}}
            - name: needs-id
              base: {apiVersion: v1, kind: ConfigMap}
              patches:
              - {type: FromCompositeFieldPath, fromFieldPath: status.id, toFieldPath: data.id,
                 policy: {fromFieldPath: Required}}
        - step: overlay
          functionRef: {name: function-patch-and-transform}
          input:
            apiVersion: pt.fn.crossplane.io/v1beta1
            kind: Resources
            resources:
            - name: cm
              patches:
              - {type: FromCompositeFieldPath, fromFieldPath: spec.labels, toFieldPath: metadata.labels,
                 policy: {toFieldPath: MergeObjects}}
              - {type: FromCompositeFieldPath, fromFieldPath: spec.b, toFieldPath: data.b}
        """);
    JsonNode xr = yaml("{spec: {b: '2', labels: {keep: xr, team: a}}}");
    var r = CompositionEngine.compose(xr, spec, Map.of(), Map.of());
    assertThat(r.resources()).extracting(CompositionEngine.Composed::name).containsExactly("cm");
    JsonNode cm = r.resources().get(0).resource();
    // A template without base patches the resource the previous step produced.
    assertThat(cm.path("data").path("a").asText()).isEqualTo("1");
    assertThat(cm.path("data").path("b").asText()).isEqualTo("2");
    // MergeObjects keeps conflicting keys already there and adds the others.
    assertThat(cm.path("metadata").path("labels").path("keep").asText()).isEqualTo("base");
    assertThat(cm.path("metadata").path("labels").path("team").asText()).isEqualTo("a");
    assertThat(r.compositeReadiness()).isEqualTo(CompositionEngine.Readiness.FALSE);
    assertThat(r.ready()).isFalse();
    assertThat(r.warnings()).singleElement().asString().contains("needs-id").contains("status.id")
        .contains("Required");
    // Once observed, the resource stays in the desired state; the patch is skipped with a warning.
    var existing = CompositionEngine.compose(xr, spec, observed("needs-id", "{apiVersion: v1, kind: ConfigMap}"),
        Map.of());
    assertThat(existing.resources()).extracting(CompositionEngine.Composed::name).containsExactly("cm", "needs-id");
    assertThat(existing.warnings()).singleElement().asString().contains("already exists");
  }

  @Test
  void toFieldPathPoliciesAndWildcards() throws Exception {
    ObjectNode o = (ObjectNode) yaml("{spec: {tags: [a], subnets: [{id: 1}, {id: 2}], m: {x: 1, y: {z: 1}}}}");
    PatchAndTransform.write(o, "spec.tags", yaml("[b]"), "ForceMergeObjectsAppendArrays");
    assertThat(o.path("spec").path("tags").toString()).isEqualTo("[\"a\",\"b\"]");
    PatchAndTransform.write(o, "spec.subnets[*].region", yaml("eu"), "Replace");
    assertThat(o.path("spec").path("subnets").get(1).path("region").asText()).isEqualTo("eu");
    PatchAndTransform.write(o, "spec.m", yaml("{x: 2, y: {w: 3}}"), "ForceMergeObjects");
    assertThat(o.path("spec").path("m").toString()).isEqualTo("{\"x\":2,\"y\":{\"z\":1,\"w\":3}}");
    PatchAndTransform.write(o, "spec.m.x", yaml("5"), "MergeObjects");
    assertThat(o.path("spec").path("m").path("x").asInt()).as("a scalar is replaced even when merging").isEqualTo(5);
    PatchAndTransform.write(o, "spec.tags", yaml("[c]"), "MergeObjects");
    assertThat(o.path("spec").path("tags").toString()).as("arrays are replaced unless appending")
        .isEqualTo("[\"c\"]");
    assertThatThrownBy(() -> PatchAndTransform.write(o, "spec.m", yaml("{}"), "Sideways"))
        .hasMessageContaining("invalid patch policy");
  }

  /** The corpus Compositions, rewritten as Crossplane's convert tool does (spec.resources → a P&T step). */
  @Test
  void corpusCompositionsComposeTheSameAsAPipeline() throws Exception {
    for (String name : List.of("azure-postgres", "nop-pandt")) {
      JsonNode composition = Serialization.YAML.readTree(RepoPaths.corpus().resolve("crossplane/" + name
          + "-composition.yaml").toFile());
      JsonNode claim = Serialization.YAML.readTree(RepoPaths.corpus().resolve("crossplane/" + name
          + "-claim.yaml").toFile());
      JsonNode spec = composition.path("spec");
      ObjectNode pipeline = Serialization.JSON.createObjectNode();
      pipeline.put("mode", "Pipeline");
      ObjectNode input = pipeline.putArray("pipeline").addObject().put("step", "patch-and-transform");
      input.putObject("functionRef").put("name", "function-patch-and-transform");
      ObjectNode in = input.putObject("input").put("apiVersion", "pt.fn.crossplane.io/v1beta1").put("kind",
          "Resources");
      in.set("resources", spec.path("resources"));
      var a = CompositionEngine.compose(claim, spec, Map.of(), Map.of());
      var b = CompositionEngine.compose(claim, pipeline, Map.of(), Map.of());
      assertThat(b.resources()).extracting(CompositionEngine.Composed::name)
          .containsExactlyElementsOf(a.resources().stream().map(CompositionEngine.Composed::name).toList());
      for (int i = 0; i < a.resources().size(); i++) {
        assertThat(b.resources().get(i).resource()).isEqualTo(a.resources().get(i).resource());
      }
    }
  }
}
