package dev.tarmac.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.Serialization;
import dev.tarmac.render.RenderLimits;
import dev.tarmac.render.TemplateLimitException;
import org.junit.jupiter.api.Test;

/** The built-in tarmac/template step fails its own run, naming the file and the limit, when a template breaks one. */
class TemplateStepLimitsTest {

  final TemplateStep step = new TemplateStep(RenderLimits.DEFAULT);

  @Test
  void aRangeBombFailsTheStepNamingTheFile() throws Exception {
    var request = Serialization.YAML.readTree("{metadata: {name: r1, namespace: team}, spec: {size: large}}");
    assertThatThrownBy(() -> step.run(request, Serialization.YAML.readTree(
        "files: {cm.yaml: \"{% for i in range(1, 2000000000) %}{{ i }}{% endfor %}\"}")))
        .isInstanceOf(PipelineException.class).hasCauseInstanceOf(TemplateLimitException.class)
        .hasMessage("tarmac/template: file cm.yaml: range(1, 2000000000) has 2000000000 items, over the limit of"
            + " 10000 per range: iterate over fewer items");
    assertThatThrownBy(() -> step.run(request, Serialization.YAML.readTree(
        "files: {\"{% for i in range(1, 10000) %}{% for j in range(1, 10000) %}{% endfor %}{% endfor %}.yaml\": x}")))
        .isInstanceOf(PipelineException.class).hasMessageContaining("the name of file")
        .hasMessageContaining("rendering took longer than 2000 ms");
    // The same step still renders the next request.
    assertThat(step.run(request, Serialization.YAML.readTree("files: {cm.yaml: \"{{ spec.size }}\"}")).files())
        .containsEntry("cm.yaml", "large");
  }
}
