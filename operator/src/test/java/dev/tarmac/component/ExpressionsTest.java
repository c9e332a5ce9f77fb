package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.Serialization;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpressionsTest {

  final Expressions e = new Expressions(1000);
  final Map<String, Object> ctx = Map.of("parameters", Map.of("name", "Payments", "count", 3,
      "repoUrl", "github.com?owner=acme&repo=payments", "sneaky", "${{ parameters.count }}"),
      "steps", Map.of("publish", Map.of("output", Map.of("remoteUrl", "http://git/payments.git"))));

  @Test
  void aLoneExpressionKeepsItsTypeAndTextIsRendered() throws Exception {
    assertThat(e.render(Serialization.JSON.readTree("\"${{ parameters.count }}\""), ctx).isInt()).isTrue();
    assertThat(e.render(Serialization.JSON.readTree("\"${{ steps['publish'].output.remoteUrl }}\""), ctx).asText())
        .isEqualTo("http://git/payments.git");
    assertThat(e.renderString("svc-${{ parameters.name | lower }}", ctx)).isEqualTo("svc-payments");
    assertThat(e.renderString("${{ parameters.repoUrl | projectSlug }}", ctx)).isEqualTo("acme/payments");
    assertThat(e.renderString("${{ (parameters.repoUrl | parseRepoUrl).repo }}", ctx)).isEqualTo("payments");
    assertThat(e.renderString("line ${{ parameters.name }}\nnext", ctx)).isEqualTo("line Payments\nnext");
  }

  @Test
  void valuesAreNeverEvaluatedTwiceAndJavaMethodsAreRefused() {
    assertThat(e.renderString("${{ parameters.sneaky }}", ctx)).isEqualTo("${{ parameters.count }}");
    assertThatThrownBy(() -> e.renderString("${{ parameters.name.getClass() }}", ctx))
        .hasMessageContaining("does not render");
    assertThatThrownBy(() -> e.renderString("${% for i in range(1, 500) %}xxxxx${% endfor %}", ctx))
        .hasMessageContaining("over 1000 characters, the limit per render");
  }

  @Test
  void parameterPagesMergeAndValidateWithJsonPointers() throws Exception {
    var schema = ParameterSchema.merge(Serialization.YAML.readTree("""
        - {required: [name], properties: {name: {type: string, pattern: "^[a-z]+$", "ui:autofocus": true}}}
        - {properties: {size: {type: integer, minimum: 1, default: 2}}}
        """));
    assertThat(schema.toString()).doesNotContain("ui:");
    var values = ParameterSchema.withDefaults(schema, Serialization.YAML.readTree("{name: OK1}"));
    assertThat(values.path("size").asInt()).isEqualTo(2);
    assertThat(ParameterSchema.validate(schema, values)).singleElement().asString().startsWith("/name");
    assertThat(ParameterSchema.validate(schema, Serialization.YAML.readTree("{size: 0}")))
        .anyMatch(p -> p.startsWith("/name")).anyMatch(p -> p.startsWith("/size"));
  }
}
