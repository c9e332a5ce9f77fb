package dev.tarmac.portal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Api;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.component.ParameterSchema;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A golden path's form, computed from a Template with no cluster: its parameter JSON Schema (Backstage's
 * {@code scaffolder.backstage.io/v1beta3} {@code parameters}, one object or a list of pages) becomes steps of labelled
 * fields, a submitted HTML form becomes the Template's values, and the problems the operator's own validator
 * ({@link ParameterSchema}, networknt, the one a Component's {@code InvalidParameters} condition comes from) finds are
 * put next to the fields they are about. A valid submission becomes the Component to create.
 *
 * <p>Field kinds (JSON Schema {@code type} → input): {@code string} → text ({@code ui:widget: textarea} or
 * {@code password} as named), {@code integer}/{@code number} → number, {@code boolean} → checkbox, {@code enum} →
 * select (labels from {@code enumNames}), array of strings → one item per line, array of an {@code enum} → a
 * multiple select, anything else (objects, arrays of objects) → a JSON text area. {@code title} is the label,
 * {@code description} and {@code ui:help} the help text, {@code default} the initial value, {@code required} is shown
 * and checked by the validator (the browser does not check: the form is {@code novalidate}, so every message comes from
 * the one validator).
 *
 * <p>The Component's own fields come from the parameters of the same name when the Template declares them (as the
 * shipped golden paths do: {@code name}, {@code owner}, {@code lifecycle}, {@code system}); the form asks for the rest
 * in a first step, always including the namespace. Input names are {@code values.<parameter>} and
 * {@code component.<field>}, so a parameter can never be mistaken for a Component field.
 */
public final class GoldenPathForm {

  /** Input name prefix of the Template's parameters. */
  public static final String VALUES = "values";
  /** Input name prefix of the Component's own fields. */
  public static final String COMPONENT = "component";

  /** Component fields the Template may supply through parameters of the same name. */
  static final List<String> FROM_PARAMETERS = List.of("name", "owner", "lifecycle", "system");

  /** How the Component's own fields are checked, with the same validator (Kubernetes names, Component's CRD). */
  static final ObjectNode COMPONENT_SCHEMA = (ObjectNode) json("""
      {"type": "object", "required": ["name", "namespace", "owner", "lifecycle"], "properties": {
        "name": {"type": "string", "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "namespace": {"type": "string", "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "owner": {"type": "string", "minLength": 1},
        "lifecycle": {"type": "string", "minLength": 1},
        "system": {"type": "string"}}}""");

  private static final List<Field> COMPONENT_FIELDS = List.of(
      new Field(COMPONENT, "name", "Component name", "The Component's name in Kubernetes: lower-case letters, digits"
          + " and '-', at most 63 characters.", Widget.TEXT, "string", true, List.of(), null, "my-service"),
      new Field(COMPONENT, "namespace", "Namespace", "The Kubernetes namespace the Component is created in.",
          Widget.TEXT, "string", true, List.of(), null, "team-a"),
      new Field(COMPONENT, "owner", "Owner", "The owning team, e.g. team-payments or group:default/team-payments.",
          Widget.TEXT, "string", true, List.of(), null, "group:default/team-a"),
      new Field(COMPONENT, "lifecycle", "Lifecycle", null, Widget.SELECT, "string", true, List.of(
          new Option("experimental", "experimental"), new Option("production", "production"),
          new Option("deprecated", "deprecated")), json("\"experimental\""), null));

  /** The input a field is shown as. */
  public enum Widget {
    TEXT, PASSWORD, TEXTAREA, NUMBER, CHECKBOX, SELECT, MULTISELECT, LINES, JSON;

    /** Lower-case name, for templates ({@code text}, {@code select}, ...). */
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One choice of a select: the submitted value and what the user reads. */
  public record Option(String value, String label) {
  }

  /**
   * One input.
   *
   * @param source {@link #VALUES} (a Template parameter) or {@link #COMPONENT} (a Component field)
   * @param property the parameter or field name
   * @param label the visible label (the schema's {@code title}, else the property name)
   * @param help help text ({@code description}, then {@code ui:help}), null for none
   * @param widget the input
   * @param type the JSON Schema type values are converted to ({@code string}, {@code integer}, {@code number},
   *     {@code boolean}, {@code array}, {@code object})
   * @param required listed in {@code required}
   * @param options the choices of a select, in schema order
   * @param defaultValue the schema's {@code default}, null for none
   * @param placeholder an example shown in an empty input ({@code ui:placeholder}), null for none
   */
  public record Field(String source, String property, String label, String help, Widget widget, String type,
      boolean required, List<Option> options, JsonNode defaultValue, String placeholder) {

    /** The submitted name, {@code values.<property>} or {@code component.<property>}. */
    public String inputName() {
      return source + "." + property;
    }

    /** The element id: the input name with characters other than letters, digits, '-' and '_' as '-'. */
    public String id() {
      return source + "-" + property.replaceAll("[^A-Za-z0-9_-]", "-");
    }

    /** The HTML number input's {@code step}: 1 for integers, {@code any} otherwise. */
    public String numberStep() {
      return "integer".equals(type) ? "1" : "any";
    }
  }

  /** One page of fields (a Backstage parameter page), with its title and description. */
  public record Step(String title, String description, List<Field> fields) {
  }

  /** A problem shown next to a field ({@code inputName} null: about the submission as a whole). */
  public record Message(String inputName, String text) {
  }

  /**
   * A submission read and checked.
   *
   * @param text what was submitted per input name (all of a multiple select's choices), to show it again
   * @param values the Template values (typed as the schema says; empty inputs left out, so defaults apply)
   * @param component the Component's fields: name, namespace, owner, lifecycle, system when known
   * @param messages problems, by field, in field order then the validator's; empty when valid
   */
  public record Submission(Map<String, List<String>> text, ObjectNode values, ObjectNode component,
      List<Message> messages) {

    /** True when nothing is wrong. */
    public boolean valid() {
      return messages.isEmpty();
    }

    /** The messages about input {@code inputName}. */
    public List<String> messagesFor(String inputName) {
      return messages.stream().filter(m -> inputName.equals(m.inputName())).map(Message::text).toList();
    }
  }

  private final Template template;
  private final List<Step> steps;
  private final ObjectNode schema;
  private final Set<String> declared;

  private GoldenPathForm(Template template, List<Step> steps, ObjectNode schema) {
    this.template = template;
    this.steps = steps;
    this.schema = schema;
    java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
    schema.path("properties").fieldNames().forEachRemaining(names::add);
    this.declared = names;
  }

  /** The form of {@code template}: a first step for the Component fields it does not supply, then its pages. */
  public static GoldenPathForm of(Template template) {
    JsonNode parameters = template.getSpec() == null ? null : template.getSpec().parameters;
    ObjectNode schema = ParameterSchema.merge(parameters);
    List<JsonNode> pages = new ArrayList<>();
    if (parameters != null && parameters.isArray()) {
      parameters.forEach(pages::add);
    } else if (parameters != null && parameters.isObject()) {
      pages.add(parameters);
    }
    List<Step> steps = new ArrayList<>();
    List<Field> component = new ArrayList<>();
    for (Field f : COMPONENT_FIELDS) {
      if (f.property().equals("namespace") || !schema.path("properties").has(f.property())) {
        component.add(f);
      }
    }
    steps.add(new Step("Component", "Where the Component is created and who owns it.", component));
    Set<String> allRequired = new java.util.HashSet<>();
    schema.path("required").forEach(r -> allRequired.add(r.asText()));
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < pages.size(); i++) {
      JsonNode page = pages.get(i);
      List<Field> fields = new ArrayList<>();
      for (String key : order(page)) {
        // A property on two pages is one value (merge keeps the last schema); show it once.
        if (seen.add(key)) {
          fields.add(field(key, page.path("properties").get(key), allRequired.contains(key)));
        }
      }
      String title = page.path("title").asText("");
      steps.add(new Step(title.isBlank() ? "Parameters" + (pages.size() > 1 ? " " + (i + 1) : "") : title,
          page.path("description").asText(null), fields));
    }
    return new GoldenPathForm(template, List.copyOf(steps), schema);
  }

  /**
   * The order of a page's properties: its {@code ui:order} (react-jsonschema-form's, as Backstage reads it; {@code *}
   * stands for the properties it does not name) when it has one; else the {@code required} ones in that list's order,
   * then the others as stored. The API server keeps a Template's {@code parameters} with object keys sorted (an
   * object has no order in JSON), so the order the author wrote survives only in lists.
   */
  static List<String> order(JsonNode page) {
    List<String> keys = new ArrayList<>();
    page.path("properties").fieldNames().forEachRemaining(keys::add);
    List<String> head = new ArrayList<>();
    List<String> tail = new ArrayList<>();
    JsonNode uiOrder = page.path("ui:order");
    if (uiOrder.isArray() && !uiOrder.isEmpty()) {
      List<String> target = head;
      for (JsonNode n : uiOrder) {
        if (n.asText().equals("*")) {
          target = tail;
        } else if (keys.contains(n.asText()) && !head.contains(n.asText()) && !tail.contains(n.asText())) {
          target.add(n.asText());
        }
      }
    } else {
      page.path("required").forEach(r -> {
        if (keys.contains(r.asText()) && !head.contains(r.asText())) {
          head.add(r.asText());
        }
      });
    }
    List<String> out = new ArrayList<>(head);
    keys.stream().filter(k -> !head.contains(k) && !tail.contains(k)).forEach(out::add);
    out.addAll(tail);
    return out;
  }

  /** The steps, the Component's first. */
  public List<Step> steps() {
    return steps;
  }

  /** Every field, in order. */
  public List<Field> fields() {
    return steps.stream().flatMap(s -> s.fields().stream()).toList();
  }

  /** The Template's parameters merged into one schema, as the operator validates with it. */
  public ObjectNode schema() {
    return schema;
  }

  /** The initial text of every input: the schema's defaults (nothing where there is none). */
  public Map<String, List<String>> defaults() {
    Map<String, List<String>> text = new LinkedHashMap<>();
    for (Field f : fields()) {
      if (f.defaultValue() != null && !f.defaultValue().isNull()) {
        text.put(f.inputName(), display(f, f.defaultValue()));
      }
    }
    return text;
  }

  private static List<String> display(Field f, JsonNode value) {
    return switch (f.widget()) {
      case MULTISELECT -> {
        List<String> out = new ArrayList<>();
        value.forEach(v -> out.add(v.asText()));
        yield out;
      }
      case LINES -> {
        List<String> out = new ArrayList<>();
        value.forEach(v -> out.add(v.asText()));
        yield List.of(String.join("\n", out));
      }
      case JSON -> List.of(value.toPrettyString());
      case CHECKBOX -> value.asBoolean() ? List.of("true") : List.of();
      default -> List.of(value.asText());
    };
  }

  /**
   * Reads a submitted form ({@code params}: input name → values, as a servlet's {@code getParameterMap()}) and checks
   * it: the Template values with {@link ParameterSchema} after its defaults are filled in (what the operator does with
   * a Component's {@code spec.template.values}), the Component's fields with {@link #COMPONENT_SCHEMA}. Inputs that
   * are not fields of this form are ignored.
   */
  public Submission read(Map<String, String[]> params) {
    Map<String, List<String>> text = new LinkedHashMap<>();
    ObjectNode values = Serialization.JSON.createObjectNode();
    ObjectNode own = Serialization.JSON.createObjectNode();
    List<Message> parse = new ArrayList<>();
    for (Field f : fields()) {
      String[] raw = params.get(f.inputName());
      List<String> given = raw == null ? List.of() : List.of(raw);
      if (!given.isEmpty()) {
        text.put(f.inputName(), given);
      }
      JsonNode v;
      try {
        v = convert(f, given);
      } catch (JsonProcessingException e) {
        parse.add(new Message(f.inputName(), "is not valid JSON: " + e.getOriginalMessage()));
        continue;
      }
      if (v != null) {
        (f.source().equals(VALUES) ? values : own).set(f.property(), v);
      }
    }
    ObjectNode component = Serialization.JSON.createObjectNode();
    Map<String, String> sourceOf = new LinkedHashMap<>();
    for (String p : List.of("name", "namespace", "owner", "lifecycle", "system")) {
      boolean fromValues = !p.equals("namespace") && declared.contains(p);
      JsonNode v = fromValues ? ParameterSchema.withDefaults(schema, values).get(p) : own.get(p);
      sourceOf.put(p, (fromValues ? VALUES : COMPONENT) + "." + p);
      if (v != null && !v.isNull() && !(p.equals("system") && v.asText().isEmpty())) {
        component.set(p, v.isTextual() ? v : Serialization.JSON.getNodeFactory().textNode(v.asText()));
      }
    }
    List<Message> found = new ArrayList<>(parse);
    for (ParameterSchema.Problem p : ParameterSchema.problems(schema, ParameterSchema.withDefaults(schema, values))) {
      found.add(new Message(inputOf(VALUES, p.pointer(), declared), p.message()));
    }
    for (ParameterSchema.Problem p : ParameterSchema.problems(COMPONENT_SCHEMA, component)) {
      String input = sourceOf.get(top(p.pointer()));
      // The Template's schema may already have said it (a required name): one message per cause is enough.
      if (input == null || found.stream().noneMatch(m -> input.equals(m.inputName()))) {
        found.add(new Message(input, p.message()));
      }
    }
    List<Message> ordered = new ArrayList<>();
    for (Field f : fields()) {
      found.stream().filter(m -> f.inputName().equals(m.inputName())).forEach(ordered::add);
    }
    found.stream().filter(m -> ordered.stream().noneMatch(o -> o == m)).map(m -> new Message(null,
        m.inputName() == null ? m.text() : m.inputName() + ": " + m.text())).forEach(ordered::add);
    return new Submission(text, values, component, List.copyOf(ordered));
  }

  /** The input a problem at {@code pointer} is about: its first segment when that is a field, else null. */
  static String inputOf(String source, String pointer, Set<String> fields) {
    String top = top(pointer);
    return top != null && fields.contains(top) ? source + "." + top : null;
  }

  private static String top(String pointer) {
    if (pointer == null || pointer.length() < 2) {
      return null;
    }
    String rest = pointer.substring(1);
    int slash = rest.indexOf('/');
    return (slash < 0 ? rest : rest.substring(0, slash)).replace("~1", "/").replace("~0", "~");
  }

  /**
   * The Component a valid submission describes: {@code platform.tarmac.dev/v1alpha1} Component with the Template's
   * type ({@code service} when it names none), the Component fields and {@code spec.template: {name, values}}.
   */
  public ObjectNode component(Submission s) {
    ObjectNode c = Serialization.JSON.createObjectNode();
    c.put("apiVersion", Api.GROUP + "/" + Api.VERSION).put("kind", "Component");
    c.putObject("metadata").put("name", s.component().path("name").asText())
        .put("namespace", s.component().path("namespace").asText());
    ObjectNode spec = c.putObject("spec");
    String type = template.getSpec() == null || template.getSpec().type == null || template.getSpec().type.isBlank()
        ? "service" : template.getSpec().type;
    spec.put("type", type).put("lifecycle", s.component().path("lifecycle").asText())
        .put("owner", s.component().path("owner").asText());
    if (s.component().hasNonNull("system")) {
      spec.put("system", s.component().get("system").asText());
    }
    ObjectNode ref = spec.putObject("template");
    ref.put("name", template.getMetadata().getName());
    ref.set("values", s.values());
    return c;
  }

  /** {@link #component} as YAML, for {@code kubectl apply -f -} or a commit to Git. */
  public String yaml(Submission s) {
    try {
      return Serialization.YAML.writeValueAsString(component(s));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Field field(String name, JsonNode p, boolean required) {
    String label = p.path("title").asText("");
    String help = joinHelp(p.path("description").asText(null), p.path("ui:help").asText(null));
    String type = type(p);
    String uiWidget = p.path("ui:widget").asText("");
    String placeholder = p.path("ui:placeholder").asText(null);
    if (placeholder == null && "RepoUrlPicker".equals(p.path("ui:field").asText())) {
      placeholder = "github.com?owner=acme&repo=my-service";
    }
    JsonNode def = p.get("default");
    Widget widget;
    List<Option> options = List.of();
    if (p.has("enum")) {
      widget = Widget.SELECT;
      options = options(p);
    } else {
      widget = switch (type) {
        case "boolean" -> Widget.CHECKBOX;
        case "integer", "number" -> Widget.NUMBER;
        case "string" -> switch (uiWidget) {
          case "textarea" -> Widget.TEXTAREA;
          case "password" -> Widget.PASSWORD;
          default -> Widget.TEXT;
        };
        case "array" -> {
          JsonNode items = p.path("items");
          if (items.has("enum")) {
            yield Widget.MULTISELECT;
          }
          yield "string".equals(type(items)) ? Widget.LINES : Widget.JSON;
        }
        default -> Widget.JSON;
      };
      if (widget == Widget.MULTISELECT) {
        options = options(p.path("items"));
      }
    }
    if (help == null && widget == Widget.LINES) {
      help = "One per line.";
    } else if (widget == Widget.LINES) {
      help = help + " One per line.";
    } else if (widget == Widget.JSON) {
      help = help == null ? "JSON." : help + " JSON.";
    }
    return new Field(VALUES, name, label.isBlank() ? name : label, help, widget, type, required, options, def,
        placeholder);
  }

  private static String joinHelp(String description, String uiHelp) {
    if (description == null || description.isBlank()) {
      return uiHelp == null || uiHelp.isBlank() ? null : uiHelp;
    }
    return uiHelp == null || uiHelp.isBlank() ? description : description + " " + uiHelp;
  }

  private static List<Option> options(JsonNode p) {
    List<Option> out = new ArrayList<>();
    JsonNode names = p.has("enumNames") ? p.get("enumNames") : p.path("ui:enumNames");
    JsonNode values = p.path("enum");
    for (int i = 0; i < values.size(); i++) {
      String v = values.get(i).asText();
      out.add(new Option(v, names.has(i) ? names.get(i).asText() : v));
    }
    return List.copyOf(out);
  }

  /** The schema's type: the first that is not {@code null} of a list; from the enum's values when absent. */
  private static String type(JsonNode p) {
    JsonNode t = p.get("type");
    if (t != null && t.isArray()) {
      for (JsonNode x : t) {
        if (!"null".equals(x.asText())) {
          return x.asText();
        }
      }
    } else if (t != null && t.isTextual()) {
      return t.asText();
    }
    JsonNode first = p.path("enum").path(0);
    if (first.isBoolean()) {
      return "boolean";
    }
    if (first.isIntegralNumber()) {
      return "integer";
    }
    if (first.isNumber()) {
      return "number";
    }
    return p.has("properties") ? "object" : p.has("items") ? "array" : "string";
  }

  /**
   * The JSON value of {@code given} for {@code f}; null when nothing was given (an empty input: the default applies,
   * or the validator names the missing required property). A number that does not parse stays text, so the validator
   * says what it expected.
   */
  static JsonNode convert(Field f, List<String> given) throws JsonProcessingException {
    var nodes = Serialization.JSON.getNodeFactory();
    if (f.widget() == Widget.CHECKBOX) {
      return nodes.booleanNode(given.stream().anyMatch(v -> v.equals("true") || v.equals("on")));
    }
    if (f.widget() == Widget.MULTISELECT) {
      ArrayNode a = nodes.arrayNode();
      for (String v : given) {
        a.add(scalar(f.type().equals("array") ? "string" : f.type(), v));
      }
      return a;
    }
    String v = given.isEmpty() ? "" : given.get(0);
    if (v.isBlank()) {
      return null;
    }
    return switch (f.widget()) {
      case LINES -> {
        ArrayNode a = nodes.arrayNode();
        v.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(a::add);
        yield a;
      }
      case JSON -> Serialization.JSON.readTree(v);
      case TEXT, PASSWORD, TEXTAREA -> nodes.textNode(v);
      default -> scalar(f.type(), v.strip());
    };
  }

  private static JsonNode scalar(String type, String v) {
    var nodes = Serialization.JSON.getNodeFactory();
    try {
      return switch (type) {
        case "integer" -> nodes.numberNode(new BigInteger(v));
        case "number" -> nodes.numberNode(new BigDecimal(v));
        case "boolean" -> v.equals("true") || v.equals("false") ? nodes.booleanNode(Boolean.parseBoolean(v))
            : nodes.textNode(v);
        default -> nodes.textNode(v);
      };
    } catch (NumberFormatException e) {
      return nodes.textNode(v);
    }
  }

  private static JsonNode json(String text) {
    try {
      return Serialization.JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
