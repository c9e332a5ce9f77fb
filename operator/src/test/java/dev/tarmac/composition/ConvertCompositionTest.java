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
  void pipelineModeKeepsPatchAndTransformAndReportsOtherFunctions() throws Exception {
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
                resources:
                  - name: cm
                    base: {apiVersion: v1, kind: ConfigMap}
                    patches:
                      - {type: FromCompositeFieldPath, fromFieldPath: spec.a, toFieldPath: data.a}
                      - {type: FromEnvironmentFieldPath, fromFieldPath: region, toFieldPath: data.r}
            - step: ready
              functionRef: {name: function-auto-ready}
        """);
    List<String> dropped = new ArrayList<>();
    var out = ConvertCompositionCommand.convert(crossplane, dropped);
    assertThat(out.path("spec").path("resources").get(0).path("patches").size()).isEqualTo(1);
    assertThat(dropped).hasSize(2).anyMatch(d -> d.contains("function-auto-ready"))
        .anyMatch(d -> d.contains("FromEnvironmentFieldPath"));
  }
}
