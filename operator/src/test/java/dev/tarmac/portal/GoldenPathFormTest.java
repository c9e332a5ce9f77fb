package dev.tarmac.portal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.component.ParameterSchema;
import dev.tarmac.portal.GoldenPathForm.Field;
import dev.tarmac.portal.GoldenPathForm.Widget;
import dev.tarmac.testing.RepoPaths;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The golden-path form model: JSON Schema → steps of fields, submissions → values and messages. No cluster. */
class GoldenPathFormTest {

  /** A Backstage-style Template with two pages and every kind of field. */
  static final String TEMPLATE = """
      apiVersion: platform.tarmac.dev/v1alpha1
      kind: Template
      metadata: {name: everything}
      spec:
        type: library
        title: Everything
        description: Every field kind
        parameters:
        - title: Basics
          description: The first page
          required: [name, replicas]
          properties:
            name: {title: Name, type: string, pattern: "^[a-z][a-z0-9-]{1,40}$", description: Lower case}
            replicas: {title: Replicas, type: integer, minimum: 1, maximum: 5, default: 2}
            ratio: {type: number}
            public: {title: Public, type: boolean, default: true, ui:help: Visible to everyone}
            tier: {title: Tier, type: string, enum: [gold, silver], enumNames: [Gold tier, Silver tier]}
            notes: {type: string, ui:widget: textarea}
            secret: {type: string, ui:widget: password}
        - title: Details
          properties:
            tags: {title: Tags, type: array, items: {type: string}}
            regions: {type: array, items: {type: string, enum: [eu, us]}}
            extra: {type: object, properties: {a: {type: boolean}}}
            repoUrl: {type: string, ui:field: RepoUrlPicker}
      steps:
      - {id: log, action: debug:log, input: {message: hi}}
      """;

  static Template template(String yaml) throws Exception {
    return Serialization.YAML.readValue(yaml, Template.class);
  }

  static Map<String, String[]> params(String... pairs) {
    Map<String, String[]> m = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      String[] old = m.getOrDefault(pairs[i], new String[0]);
      String[] now = java.util.Arrays.copyOf(old, old.length + 1);
      now[old.length] = pairs[i + 1];
      m.put(pairs[i], now);
    }
    return m;
  }

  @Test
  void everyPageIsAStepAndEverySchemaTypeHasItsInput() throws Exception {
    GoldenPathForm form = GoldenPathForm.of(template(TEMPLATE));
    assertThat(form.steps()).extracting(GoldenPathForm.Step::title).containsExactly("Component", "Basics", "Details");
    // The Template declares name but not owner or lifecycle: the Component step asks for those, and the namespace.
    assertThat(form.steps().get(0).fields()).extracting(Field::inputName)
        .containsExactly("component.namespace", "component.owner", "component.lifecycle");
    assertThat(form.steps().get(1).description()).isEqualTo("The first page");
    Map<String, Field> f = new HashMap<>();
    form.fields().forEach(x -> f.put(x.inputName(), x));
    assertThat(f.get("values.name")).satisfies(x -> {
      assertThat(x.widget()).isEqualTo(Widget.TEXT);
      assertThat(x.label()).isEqualTo("Name");
      assertThat(x.help()).isEqualTo("Lower case");
      assertThat(x.required()).isTrue();
      assertThat(x.id()).isEqualTo("values-name");
    });
    assertThat(f.get("values.replicas")).satisfies(x -> {
      assertThat(x.widget()).isEqualTo(Widget.NUMBER);
      assertThat(x.numberStep()).isEqualTo("1");
      assertThat(x.defaultValue().asInt()).isEqualTo(2);
    });
    assertThat(f.get("values.ratio").widget()).isEqualTo(Widget.NUMBER);
    assertThat(f.get("values.ratio").label()).as("no title: the property name").isEqualTo("ratio");
    assertThat(f.get("values.ratio").required()).isFalse();
    assertThat(f.get("values.public").widget()).isEqualTo(Widget.CHECKBOX);
    assertThat(f.get("values.public").help()).isEqualTo("Visible to everyone");
    assertThat(f.get("values.tier").widget()).isEqualTo(Widget.SELECT);
    assertThat(f.get("values.tier").options()).containsExactly(new GoldenPathForm.Option("gold", "Gold tier"),
        new GoldenPathForm.Option("silver", "Silver tier"));
    assertThat(f.get("values.notes").widget()).isEqualTo(Widget.TEXTAREA);
    assertThat(f.get("values.secret").widget()).isEqualTo(Widget.PASSWORD);
    assertThat(f.get("values.tags").widget()).isEqualTo(Widget.LINES);
    assertThat(f.get("values.regions").widget()).isEqualTo(Widget.MULTISELECT);
    assertThat(f.get("values.extra").widget()).isEqualTo(Widget.JSON);
    assertThat(f.get("values.repoUrl").placeholder()).contains("repo=");
    assertThat(form.defaults()).containsEntry("values.replicas", List.of("2"))
        .containsEntry("values.public", List.of("true")).containsEntry("component.lifecycle", List.of("experimental"))
        .doesNotContainKey("values.name");
  }

  @Test
  void aValidSubmissionIsTypedAsTheSchemaSaysAndBecomesTheComponent() throws Exception {
    GoldenPathForm form = GoldenPathForm.of(template(TEMPLATE));
    var s = form.read(params("values.name", "billing", "values.replicas", "3", "values.ratio", "0.5",
        "values.tier", "gold", "values.tags", "a\n\n b \n", "values.regions", "eu", "values.regions", "us",
        "values.extra", "{\"a\": true}", "values.notes", "", "component.namespace", "team-a",
        "component.owner", "group:default/team-a", "component.lifecycle", "production", "unrelated", "x"));
    assertThat(s.messages()).isEmpty();
    assertThat(s.valid()).isTrue();
    JsonNode v = s.values();
    assertThat(v.get("replicas").isIntegralNumber()).isTrue();
    assertThat(v.get("replicas").asInt()).isEqualTo(3);
    assertThat(v.get("ratio").isNumber()).isTrue();
    assertThat(v.get("public").asBoolean()).as("an unticked checkbox is false, not the default").isFalse();
    assertThat(v.get("tags").toString()).isEqualTo("[\"a\",\"b\"]");
    assertThat(v.get("regions").toString()).isEqualTo("[\"eu\",\"us\"]");
    assertThat(v.get("extra").path("a").asBoolean()).isTrue();
    assertThat(v.has("notes")).as("an empty input is left out").isFalse();
    assertThat(v.has("unrelated")).isFalse();
    JsonNode c = form.component(s);
    assertThat(c.path("metadata").path("name").asText()).as("from the name parameter").isEqualTo("billing");
    assertThat(c.path("metadata").path("namespace").asText()).isEqualTo("team-a");
    assertThat(c.path("spec").path("type").asText()).isEqualTo("library");
    assertThat(c.path("spec").path("lifecycle").asText()).isEqualTo("production");
    assertThat(c.path("spec").path("owner").asText()).isEqualTo("group:default/team-a");
    assertThat(c.path("spec").path("template").path("name").asText()).isEqualTo("everything");
    assertThat(c.path("spec").path("template").path("values")).isEqualTo(v);
    // What the operator will check: the YAML read back passes the same validator with the defaults filled in.
    JsonNode back = Serialization.YAML.readTree(form.yaml(s)).path("spec").path("template").path("values");
    assertThat(ParameterSchema.validate(form.schema(), ParameterSchema.withDefaults(form.schema(), back))).isEmpty();
  }

  @Test
  void problemsFromTheOperatorsValidatorAreNextToTheirFields() throws Exception {
    GoldenPathForm form = GoldenPathForm.of(template(TEMPLATE));
    var s = form.read(params("values.name", "Bad_Name", "values.replicas", "many", "values.ratio", "",
        "values.tier", "bronze", "values.extra", "{not json", "component.namespace", "Team A",
        "component.lifecycle", "production"));
    assertThat(s.valid()).isFalse();
    assertThat(s.messagesFor("values.name")).singleElement().asString().contains("pattern");
    assertThat(s.messagesFor("values.replicas")).singleElement().asString().contains("integer");
    assertThat(s.messagesFor("values.tier")).singleElement().asString().contains("enum");
    assertThat(s.messagesFor("values.extra")).singleElement().asString().startsWith("is not valid JSON");
    assertThat(s.messagesFor("component.namespace")).singleElement().asString().contains("pattern");
    assertThat(s.messagesFor("component.owner")).singleElement().asString().contains("owner");
    assertThat(s.messagesFor("values.ratio")).isEmpty();
    // In field order, none left without a field.
    assertThat(s.messages()).extracting(GoldenPathForm.Message::inputName).containsExactly("component.namespace",
        "component.owner", "values.name", "values.replicas", "values.tier", "values.extra");
    // The text is what was typed, to show it again.
    assertThat(s.text()).containsEntry("values.replicas", List.of("many"));
    // A missing required parameter that also names the Component gets one message, not one per validator.
    var missing = form.read(params("values.replicas", "9", "component.namespace", "a", "component.owner", "o",
        "component.lifecycle", "production"));
    assertThat(missing.messagesFor("values.name")).singleElement().asString().contains("name");
    assertThat(missing.messagesFor("values.replicas")).singleElement().asString().contains("5");
  }

  @Test
  void theShippedGoldenPathSuppliesTheComponentFieldsFromItsParameters() throws Exception {
    GoldenPathForm form = GoldenPathForm.of(Serialization.YAML.readValue(
        Files.readString(RepoPaths.repo().resolve("examples/templates/go-service.yaml")), Template.class));
    assertThat(form.steps().get(0).fields()).extracting(Field::inputName).containsExactly("component.namespace");
    var s = form.read(params("values.name", "orders", "values.owner", "team-a", "component.namespace", "shop"));
    assertThat(s.messages()).isEmpty();
    JsonNode c = form.component(s);
    assertThat(c.path("metadata").path("name").asText()).isEqualTo("orders");
    assertThat(c.path("spec").path("lifecycle").asText()).as("the parameter's default").isEqualTo("experimental");
    assertThat(c.path("spec").path("system").asText()).isEqualTo("default");
    // The Component's name rules apply to the name parameter too.
    var bad = form.read(params("values.name", "o", "values.owner", "team-a", "component.namespace", "shop"));
    assertThat(bad.messagesFor("values.name")).isNotEmpty();
  }

  @Test
  void aBackstageTemplateFromTheCorpusGetsItsPagesAndTheComponentFieldsItLacks() throws Exception {
    GoldenPathForm form = GoldenPathForm.of(Serialization.YAML.readValue(Files.readString(RepoPaths.corpus()
        .resolve("backstage-templates/create-react-app/template.yaml")), Template.class));
    assertThat(form.steps()).extracting(GoldenPathForm.Step::title).containsExactly("Component",
        "Provide some simple information", "Choose a location");
    assertThat(form.steps().get(0).fields()).extracting(Field::inputName)
        .containsExactly("component.name", "component.namespace", "component.lifecycle");
    var s = form.read(params("values.component_id", "web", "values.owner", "group:web", "values.repoUrl",
        "github.com?owner=acme&repo=web", "component.name", "web", "component.namespace", "sites",
        "component.lifecycle", "experimental"));
    assertThat(s.messages()).isEmpty();
    assertThat(form.component(s).path("spec").path("type").asText()).isEqualTo("website");
  }

  @Test
  void fieldsFollowUiOrderElseRequiredFirstBecauseTheApiServerSortsObjectKeys() throws Exception {
    JsonNode sorted = Serialization.JSON.readTree("""
        {"required": ["name", "owner"], "properties": {"a": {}, "name": {}, "owner": {}, "z": {}}}""");
    assertThat(GoldenPathForm.order(sorted)).containsExactly("name", "owner", "a", "z");
    JsonNode ordered = Serialization.JSON.readTree("""
        {"ui:order": ["z", "*", "a"], "required": ["name"], "properties": {"a": {}, "name": {}, "owner": {},
        "z": {}}}""");
    assertThat(GoldenPathForm.order(ordered)).containsExactly("z", "name", "owner", "a");
  }

  @Test
  void crossSitePostsAreRefused() {
    assertThat(GoldenPathServlet.sameOrigin("http://127.0.0.1:8080", null, "127.0.0.1:8080", null, false)).isTrue();
    assertThat(GoldenPathServlet.sameOrigin("https://portal.example", "same-origin", "tarmac:8080",
        "portal.example", false)).as("behind a proxy").isTrue();
    assertThat(GoldenPathServlet.sameOrigin("https://evil.example", "cross-site", "127.0.0.1:8080", null, true))
        .isFalse();
    assertThat(GoldenPathServlet.sameOrigin("null", null, "127.0.0.1:8080", null, false)).isFalse();
    assertThat(GoldenPathServlet.sameOrigin(null, "cross-site", "127.0.0.1:8080", null, false)).isFalse();
    assertThat(GoldenPathServlet.sameOrigin(null, "same-origin", "127.0.0.1:8080", null, false)).isTrue();
    assertThat(GoldenPathServlet.sameOrigin(null, null, "127.0.0.1:8080", null, false)).isFalse();
    assertThat(GoldenPathServlet.sameOrigin(null, null, "127.0.0.1:8080", null, true)).as("a script with a token")
        .isTrue();
  }

  @Test
  void theFormPageLabelsEveryInputAndDescribesItsHelpAndErrors() throws Exception {
    Template t = template(TEMPLATE.replace("description: Every field kind", "description: \"<script>x</script>\""));
    GoldenPathForm form = GoldenPathForm.of(t);
    var s = form.read(params("values.name", "Bad_Name", "values.replicas", "2", "component.namespace", "a",
        "component.owner", "o", "component.lifecycle", "production"));
    List<GoldenPathForm.Message> messages = s.messages();
    // The page as the servlet renders it, through its own templates.
    Map<String, Object> model = new HashMap<>();
    model.put("template", Map.of("title", "Everything", "description", "<script>x</script>", "name", "everything"));
    List<Map<String, Object>> steps = new java.util.ArrayList<>();
    int n = 0;
    for (var step : form.steps()) {
      List<GoldenPathServlet.FieldView> views = new java.util.ArrayList<>();
      for (Field f : step.fields()) {
        List<String> errors = s.messagesFor(f.inputName());
        String described = String.join(" ", java.util.stream.Stream.of(f.help() == null ? null : f.id() + "-help",
            errors.isEmpty() ? null : f.id() + "-error").filter(java.util.Objects::nonNull).toList());
        List<String> values = s.text().getOrDefault(f.inputName(), List.of());
        views.add(new GoldenPathServlet.FieldView(f, values, values.isEmpty() ? "" : values.get(0), errors,
            described.isEmpty() ? null : described));
      }
      steps.add(Map.of("number", ++n, "title", step.title(), "fields", views));
    }
    model.put("steps", steps);
    model.put("stepCount", n);
    model.put("summary", List.of(new GoldenPathServlet.SummaryEntry("#values-name", "Name: " + messages.get(0)
        .text())));
    model.put("action", "/golden-paths/default/everything");
    model.put("active", "golden-paths");
    StringWriter out = new StringWriter();
    new PortalTemplates().render("golden-path", model, out);
    String html = out.toString();
    assertThat(html).doesNotContain("<script>x").contains("&lt;script&gt;x");
    for (Field f : form.fields()) {
      assertThat(html).as("label for %s", f.id()).contains("<label for=\"" + f.id() + "\"");
      assertThat(html).as("input %s", f.id()).contains("id=\"" + f.id() + "\" name=\"" + f.inputName() + "\"");
    }
    assertThat(html).contains("id=\"values-name\" name=\"values.name\" value=\"Bad_Name\" required"
        + " aria-required=\"true\" aria-invalid=\"true\" aria-describedby=\"values-name-help values-name-error\"");
    assertThat(html).contains("<p class=\"gp-error\" id=\"values-name-error\">");
    assertThat(html).contains("<legend>Step 2 of 3: Basics</legend>");
    assertThat(html).contains("<option value=\"gold\">Gold tier</option>");
    assertThat(html).contains("novalidate").contains("role=\"alert\"").contains("href=\"#values-name\"");
    assertThat(html).contains("aria-current=\"page\">Golden paths");
  }
}
