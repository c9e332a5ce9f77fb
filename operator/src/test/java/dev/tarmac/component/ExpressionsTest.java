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
    assertThatThrownBy(() -> e.renderString("{% for i in range(1, 500) %}xxxxx{% endfor %}", ctx))
        .hasMessageContaining("over 1000 characters, the limit per render");
  }

  @Test
  void nunjucksAsBackstageConfiguresIt() throws Exception {
    Map<String, Object> v = Map.of("values", Map.of("name", "a-b-c", "n", 2, "list", java.util.List.of("x", "y"),
        "obj", Map.of("k", "v"), "empty", ""));
    // Tags are {% %}, comments {# #}, whitespace control with -, elif, else.
    assertThat(e.renderString("x\n  {%- if values.n == 3 %}3{% elif values.n === 2 %}2{% else %}?{% endif -%}\n y{#"
        + " gone #}", v)).isEqualTo("x2y");
    // Tarmac's earlier ${% %} still works.
    assertThat(e.renderString("${% if values.n %}yes${% endif %}", v)).isEqualTo("yes");
    // replace(from, to[, count]), default only for a missing value (or any false-like with true), dump.
    assertThat(e.renderString("${{ values.name | replace('-', '_') }} ${{ values.name | replace('-', '', 1) }}", v))
        .isEqualTo("a_b_c ab-c");
    assertThat(e.renderString("[${{ values.empty | default('d') }}][${{ values.empty | default('d', true) }}]"
        + "[${{ values.nope | default('d') }}]", v)).isEqualTo("[][d][d]");
    assertThat(e.renderString("${{ values.list | dump }} ${{ values.obj | dump }} ${{ values.name | dump }}"
        + "|${{ values.nope | dump }}|", v)).isEqualTo("[\"x\",\"y\"] {\"k\":\"v\"} \"a-b-c\"||");
    // JavaScript's +: numbers add, text concatenates, undefined reads "undefined", lists join with commas.
    assertThat(e.renderString("${{ values.n + 1 }} ${{ values.name + '/' + values.nope }} ${{ values.list + '' }}", v))
        .isEqualTo("3 a-b-c/undefined x,y");
    assertThat(e.renderString("${{ values.n !== 2 }} ${{ values.n === 2 }}", v)).isEqualTo("false true");
    // A lone expression keeps its type through dump, as Backstage's; a missing one is left out of an object.
    var input = Serialization.JSON.readTree("{\"d\": \"${{ 'github.com?owner=o&repo=r' | parseRepoUrl }}\","
        + " \"m\": \"${{ values.nope }}\", \"b\": \"${{ values.n > 1 }}\"}");
    var out = e.render(input, v);
    assertThat(out.path("d").path("owner").asText()).isEqualTo("o");
    assertThat(out.has("m")).isFalse();
    assertThat(out.path("b").isBoolean()).isTrue();
  }

  @Test
  void gitBrowseUrlsNameTheRepositoryTheRefAndTheFolder() {
    assertThat(GitSkeleton.location("https://github.com/backstage/software-templates/tree/main/scaffolder-templates"
        + "/create-react-app/skeleton")).isEqualTo(new GitSkeleton.Location("https://github.com/backstage/"
        + "software-templates", "main", "scaffolder-templates/create-react-app/skeleton"));
    assertThat(GitSkeleton.location("https://gitlab.com/g/r/-/tree/v1/x/")).isEqualTo(new GitSkeleton.Location(
        "https://gitlab.com/g/r", "v1", "x"));
    assertThat(GitSkeleton.location("git://127.0.0.1:9418/shared.git")).isEqualTo(new GitSkeleton.Location(
        "git://127.0.0.1:9418/shared.git", null, ""));
    assertThat(Fetch.join("templates/a", "./skeleton")).isEqualTo("templates/a/skeleton");
    assertThat(Fetch.join("templates/a", "../shared")).isEqualTo("templates/shared");
    assertThatThrownBy(() -> Fetch.join("templates", "../../x")).hasMessageContaining("leaves the repository");
    assertThat(Fetch.isRelative("./skeleton")).isTrue();
    assertThat(Fetch.isRelative("https://github.com/o/r")).isFalse();
    assertThat(Fetch.isBinary("plain text ü\n".getBytes(java.nio.charset.StandardCharsets.UTF_8))).isFalse();
    assertThat(Fetch.isBinary(new byte[] {'a', 0, 'b'})).isTrue();
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
