package dev.tarmac.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pebbletemplates.pebble.error.PebbleException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The bounds of {@link BoundedRenderer}, each proven by a template built to break it. */
class BoundedRendererTest {

  static final RenderLimits LIMITS = new RenderLimits(10_000, 30_000, Duration.ofMillis(300), Duration.ofSeconds(5),
      10_000, 64);
  final BoundedRenderer r = new BoundedRenderer(LIMITS, null, false, Map.of());

  String render(String template) {
    return r.render(template, Map.of("names", List.of("a", "b")), "file t.yaml");
  }

  @Test
  void ordinaryTemplatesRenderAsPebbleDoes() {
    assertThat(render("{% for n in names %}{{ n | upper }};{% endfor %}")).isEqualTo("A;B;");
    assertThat(render("{% for i in range(5, 1, -2) %}{{ i }}{% endfor %}|{% for c in range('a', 'c') %}{{ c }}"
        + "{% endfor %}|{% for i in range(3, 1) %}x{% endfor %}|{{ (1..300) | length }}|{{ (1..3) | last }}"))
        .isEqualTo("531|abc||300|3");
    assertThat(render("{% macro greet(n) %}hi {{ n }}{% endmacro %}{% set s = 'a' ~ 'b' %}{{ greet(s) }}"
        + "{{ names | join(',') }}{{ 'x-y' | replace({'-': '+'}) }}{{ '%05d' | format(7) }}"))
        .isEqualTo("hi aba,bx+y00007");
  }

  @Test
  void aRangeOverTheCapIsRefusedBeforeAnythingIsBuilt() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> render("{% for i in range(1, 2000000000) %}{{ i }}{% endfor %}"))
        .isInstanceOf(TemplateLimitException.class)
        .hasMessage("file t.yaml: range(1, 2000000000) has 2000000000 items, over the limit of 10000 per range:"
            + " iterate over fewer items");
    assertThatThrownBy(() -> render("{{ (1..2000000000) | length }}")).isInstanceOf(TemplateLimitException.class)
        .hasMessageContaining("over the limit of 10000 per range");
    assertThatThrownBy(() -> render("{{ range(0, 9223372036854775807, 1) | length }}"))
        .hasMessageContaining("has 9223372036854775808 items");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void nestedLoopsWithoutOutputStopAtTheDeadline() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> render("{% for i in range(1, 10000) %}{% for j in range(1, 10000) %}{% endfor %}"
        + "{% endfor %}")).isInstanceOf(TemplateLimitException.class)
        .hasMessage("file t.yaml: rendering took longer than 300 ms, the limit per render: make loops smaller or"
            + " remove recursion");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void loopsOverValuesFromTheContextAreBoundedToo() {
    List<String> many = new ArrayList<>();
    IntStream.range(0, 5000).forEach(i -> many.add("v" + i));
    long start = System.nanoTime();
    assertThatThrownBy(() -> r.render("{% for a in many %}{% for b in many %}{% if a == b %}{% endif %}{% endfor %}"
        + "{% endfor %}", Map.of("many", many), "step input")).isInstanceOf(TemplateLimitException.class)
        .hasMessageStartingWith("step input: rendering took longer than 300 ms");
    // A {% filter %} tag's body is bounded the same way.
    assertThatThrownBy(() -> r.render("{% filter upper %}{% for a in many %}{% for b in many %}{% endfor %}"
        + "{% endfor %}{% endfilter %}", Map.of("many", many), "step input")).isInstanceOf(TemplateLimitException.class)
        .hasMessageStartingWith("step input: rendering took longer than 300 ms");
    assertThat(r.render("{% filter upper %}{% for n in many %}{% if n == 'v0' %}{{ n }}{% endif %}{% endfor %}"
        + "{% endfilter %}", Map.of("many", many), "x")).isEqualTo("V0");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void outputIsCappedPerRenderAndPerBudget() {
    assertThatThrownBy(() -> render("{% for i in range(1, 10000) %}xxxxxxxxxx{% endfor %}"))
        .isInstanceOf(TemplateLimitException.class)
        .hasMessage("file t.yaml: the rendered text is over 10000 characters, the limit per render: render less");
    try (RenderBudget budget = RenderBudget.open(LIMITS)) {
      String nine = "{% for i in range(1, 900) %}xxxxxxxxxx{% endfor %}";
      r.render(nine, Map.of(), "a");
      r.render(nine, Map.of(), "b");
      r.render(nine, Map.of(), "c");
      assertThat(budget.chars()).isEqualTo(27_000);
      assertThatThrownBy(() -> r.render(nine, Map.of(), "file d")).isInstanceOf(TemplateLimitException.class)
          .hasMessage("file d: all rendered text together is over 30000 characters, the limit per scaffold: render"
              + " fewer or smaller files");
    }
    assertThat(RenderBudget.current()).isNull();
  }

  @Test
  void renderingTimeIsCappedPerBudgetButTimeBetweenRendersIsNot() throws Exception {
    RenderLimits limits = new RenderLimits(10_000, 30_000, Duration.ofMillis(300), Duration.ofMillis(500), 10_000, 64);
    BoundedRenderer renderer = new BoundedRenderer(limits, null, false, Map.of());
    String slow = "{% for i in range(1, 10000) %}{% for j in range(1, 10000) %}{% endfor %}{% endfor %}";
    try (RenderBudget budget = RenderBudget.open(limits)) {
      // Cloning a skeleton or publishing between renders takes time that is not rendering.
      Thread.sleep(600);
      assertThat(renderer.render("{{ 1 + 1 }}", Map.of(), "a")).isEqualTo("2");
      assertThatThrownBy(() -> renderer.render(slow, Map.of(), "b")).hasMessageContaining("the limit per render");
      assertThatThrownBy(() -> renderer.render(slow, Map.of(), "file c")).isInstanceOf(TemplateLimitException.class)
          .hasMessageStartingWith("file c: rendering all templates took longer than 500 ms, the limit per scaffold");
    }
  }

  @Test
  void macroRecursionIsStoppedByDepth() {
    assertThatThrownBy(() -> render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}"))
        .isInstanceOf(TemplateLimitException.class)
        .hasMessage("file t.yaml: templates are nested deeper than 64 levels (loops, conditions and macro calls; does"
            + " a macro call itself?), the limit");
    assertThat(render("{% macro f(n) %}{% if n < 10 %}{{ n }}{{ f(n + 1) }}{% endif %}{% endmacro %}{{ f(1) }}"))
        .isEqualTo("123456789");
  }

  @Test
  void valuesThatDoubleAreRefusedBeforeTheyExhaustMemory() {
    assertThatThrownBy(() -> render("{% set s = 'x' %}{% for i in range(1, 64) %}{% set s = s ~ s %}{% endfor %}"))
        .isInstanceOf(TemplateLimitException.class).hasMessageContaining("a concatenation (~) on line 1 is over 10000"
            + " characters, the limit of one value");
    assertThatThrownBy(() -> render("{% set l = [1] %}{% for i in range(1, 64) %}{% set l = l | merge(l) %}"
        + "{% endfor %}")).isInstanceOf(TemplateLimitException.class)
        .hasMessageContaining("filter merge on line 1 is over 10000 characters");
    assertThatThrownBy(() -> render("{% set l = [1] %}{% for i in range(1, 64) %}{% set l = l + l %}{% endfor %}"))
        .isInstanceOf(TemplateLimitException.class)
        .hasMessageContaining("variable l (set on line 1) is over 10000 characters");
    String k = "{% set s = '" + "y".repeat(1000) + "' %}";
    assertThatThrownBy(() -> render(k + "{{ [s, s, s, s, s, s, s, s, s, s, s] }}"))
        .isInstanceOf(TemplateLimitException.class).hasMessageContaining("the value printed on line 1 is over 10000");
    assertThatThrownBy(() -> render(k + "{% set l = [s, s, s, s, s, s, s] %}{% set m = [l, l, l] %}"))
        .isInstanceOf(TemplateLimitException.class).hasMessageContaining("variable m (set on line 1)");
  }

  @Test
  void filtersThatWouldGrowPastTheLimitAreRefusedFirst() {
    String k = "{% set s = '" + "y".repeat(1000) + "' %}";
    assertThatThrownBy(() -> render(k + "{{ 'aaaaaaaaaaaaaaaaaaaa' | replace({'a': s}) }}"))
        .isInstanceOf(TemplateLimitException.class)
        .hasMessageContaining("the output of filter replace on line 1 would be over 10000 characters");
    assertThatThrownBy(() -> render(k + "{{ (1..100) | join(s) }}")).isInstanceOf(TemplateLimitException.class)
        .hasMessageContaining("the output of filter join on line 1 would be over 10000 characters");
    long start = System.nanoTime();
    assertThatThrownBy(() -> render("{{ ('" + "a".repeat(32) + "' | split('(a+)+\\1b')) | length }}"))
        .isInstanceOf(TemplateLimitException.class).hasMessageContaining("rendering took longer than 300 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(render("{{ ('a,b,c' | split(',')) | join('+') }}|{{ ('a,b,c' | split(',', 2)) | last }}"))
        .isEqualTo("a+b+c|b,c");
    assertThatThrownBy(() -> render("{{ '%0999999999d' | format(1) }}")).isInstanceOf(TemplateLimitException.class)
        .hasMessageContaining("a width or precision in filter format on line 1 is over 10000");
    assertThatThrownBy(() -> render("{% set s = 'abcdefghij' %}{% for i in range(1, 60) %}{% set s = s"
        + " | base64encode %}{% endfor %}")).isInstanceOf(TemplateLimitException.class)
        .hasMessageContaining("the output of filter base64encode on line 1 is over 10000 characters");
  }

  @Test
  void tagsThatLoadOtherTemplatesAndTheI18nFunctionAreRefused() {
    for (String tag : List.of("{% include 'x' %}", "{% import 'x' %}", "{% extends 'x' %}", "{% from 'x' import a %}",
        "{% embed 'x' %}{% endembed %}", "{% block b %}{% endblock %}", "{% parallel %}x{% endparallel %}",
        "{% cache 'k' %}x{% endcache %}")) {
      assertThatThrownBy(() -> render(tag)).as(tag).isInstanceOf(PebbleException.class)
          .hasMessageContaining("tag is not available in Tarmac templates");
    }
    assertThatThrownBy(() -> render("{{ i18n('messages', 'x') }}")).isInstanceOf(PebbleException.class)
        .hasMessageContaining("i18n");
    assertThatThrownBy(() -> render("{{ names.getClass() }}")).isInstanceOf(PebbleException.class);
  }

  @Test
  void aTemplateNestedTooDeeplyToParseIsALimitNotACrash() {
    String deep = "{{ " + "(".repeat(200_000) + "1" + ")".repeat(200_000) + " }}";
    assertThatThrownBy(() -> render(deep)).isInstanceOf(TemplateLimitException.class)
        .hasMessageContaining("nested too deeply to render");
  }
}
