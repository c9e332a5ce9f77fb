package dev.tarmac.composition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConvertCompositionTest {

  @Test
  void convertsTheAzureCorpusCompositionAndReportsWhatIsDropped() throws Exception {
    var crossplane = Serialization.YAML.readTree(RepoPaths.corpus().resolve("crossplane/azure-postgres-composition.yaml")
        .toFile());
    List<String> dropped = new ArrayList<>();
    var out = ConvertCompositionCommand.convert(crossplane, dropped);
    assertThat(out.path("apiVersion").asText()).isEqualTo("platform.tarmac.dev/v1alpha1");
    assertThat(out.path("spec").path("resources").size()).isEqualTo(3);
    assertThat(dropped).singleElement().asString().contains("writeConnectionSecretsToNamespace");
    // The converted Composition composes the corpus claim exactly as the original does.
    var claim = Serialization.YAML.readTree(RepoPaths.corpus().resolve("crossplane/azure-postgres-claim.yaml").toFile());
    var a = CompositionEngine.compose(claim, crossplane.path("spec"), Map.of(), Map.of());
    var b = CompositionEngine.compose(claim, out.path("spec"), Map.of(), Map.of());
    assertThat(b.resources().get(1).resource()).isEqualTo(a.resources().get(1).resource());
  }

  @Test
  void pipelineModeKeepsTheFunctionsTarmacRunsAndReportsOnlyTheOthers() throws Exception {
    var crossplane = Serialization.YAML.readTree("""
        apiVersion: apiextensions.crossplane.io/v1
        kind: Composition
        metadata: {name: x}
        spec:
          compositeTypeRef: {apiVersion: example.org/v1, kind: XThing}
          mode: Pipeline
          pipeline:
            - step: pt
              functionRef: {name: function-patch-and-transform}
              input:
                apiVersion: pt.fn.crossplane.io/v1beta1
                kind: Resources
                resources:
                  - name: cm
                    base: {apiVersion: v1, kind: ConfigMap}
                    patches:
                      - {type: FromCompositeFieldPath, fromFieldPath: spec.a, toFieldPath: data.a}
                      - {type: FromEnvironmentFieldPath, fromFieldPath: region, toFieldPath: data.r}
            - step: templates
              functionRef: {name: function-go-templating}
            - step: ready
              functionRef: {name: function-auto-ready}
        """);
    List<String> dropped = new ArrayList<>();
    var out = ConvertCompositionCommand.convert(crossplane, dropped);
    assertThat(out.path("spec").path("mode").asText()).isEqualTo("Pipeline");
    assertThat(out.path("spec").path("pipeline")).extracting(s -> s.path("step").asText())
        .containsExactly("pt", "ready");
    assertThat(out.path("spec").path("pipeline").get(0).path("input").path("resources").get(0).path("patches"))
        .hasSize(2);
    assertThat(dropped).singleElement().asString().contains("templates").contains("function-go-templating");
    // The converted Composition runs: the environment patch reads the environment passed in.
    var env = (com.fasterxml.jackson.databind.node.ObjectNode) Serialization.YAML.readTree("{region: eu-west-1}");
    var r = CompositionEngine.compose(Serialization.YAML.readTree("{spec: {a: x}}"), out.path("spec"), Map.of(),
        Map.of(), env);
    assertThat(r.resources().get(0).resource().path("data").path("r").asText()).isEqualTo("eu-west-1");
  }

  /** Crossplane's migration example (function-environment-configs README): mode Resources with spec.environment. */
  @Test
  void modeResourcesWithAnEnvironmentBecomesAPipeline() throws Exception {
    var crossplane = Serialization.YAML.readTree("""
        apiVersion: apiextensions.crossplane.io/v1
        kind: Composition
        metadata:
           name: foo
        spec:
           compositeTypeRef:
              apiVersion: example.crossplane.io/v1
              kind: XR
           mode: Resources
           environment:
              environmentConfigs:
              - type: Reference
                ref:
                   name: example-config
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
        """);
    List<String> dropped = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    var out = ConvertCompositionCommand.convert(crossplane, dropped, notes);
    assertThat(dropped).isEmpty();
    assertThat(notes).singleElement().asString().contains("EnvironmentConfigs");
    var pipeline = out.path("spec").path("pipeline");
    // As the README's converted Composition: environment-configs, then patch-and-transform with the patches.
    assertThat(pipeline.get(0).path("functionRef").path("name").asText()).isEqualTo("function-environment-configs");
    assertThat(pipeline.get(0).path("input").path("spec").path("environmentConfigs").get(0).path("ref").path("name")
        .asText()).isEqualTo("example-config");
    assertThat(pipeline.get(1).path("input").path("environment").path("patches")).hasSize(2);
    var r = CompositionEngine.compose(Serialization.YAML.readTree("{spec: {someFieldInTheXR: x}}"), out.path("spec"),
        Map.of(), Map.of(), null, Map.of("example-config", Serialization.YAML.readTree(
            "{metadata: {name: example-config}, data: {someFieldInTheEnvironment: fromConfig}}")));
    assertThat(r.resources().get(0).resource().path("spec").path("forProvider").path("someFieldFromTheEnvironment")
        .asText()).isEqualTo("fromConfig");
    assertThat(r.composite().path("status").path("someFieldFromTheEnvironment").asText()).isEqualTo("fromConfig");
  }
}
