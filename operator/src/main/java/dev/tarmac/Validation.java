package dev.tarmac;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Composition;
import dev.tarmac.api.Scorecard;
import dev.tarmac.api.Template;
import java.util.ArrayList;
import java.util.List;

/**
 * Structural checks of the kinds that are used by other objects rather than reconciled into something: each returns
 * the problems found, each a sentence that says what to change (empty when valid).
 */
public final class Validation {

  private Validation() {
  }

  /** A Composition names the kind it composes and has resources (or a Crossplane-style pipeline). */
  public static List<String> composition(Composition c) {
    List<String> problems = new ArrayList<>();
    var spec = c.getSpec();
    if (spec == null) {
      return List.of("spec is missing: add compositeTypeRef and resources");
    }
    if (spec.compositeTypeRef == null || blank(spec.compositeTypeRef.kind) || blank(spec.compositeTypeRef.apiVersion)) {
      problems.add("spec.compositeTypeRef needs apiVersion and kind of the composite it composes");
    }
    boolean hasResources = spec.resources != null && !spec.resources.isEmpty();
    boolean hasPipeline = spec.pipeline != null && !spec.pipeline.isEmpty();
    if (!hasResources && !hasPipeline) {
      problems.add("spec.resources is empty: list at least one resource with a base");
    }
    if (hasResources) {
      for (int i = 0; i < spec.resources.size(); i++) {
        JsonNode base = spec.resources.get(i).path("base");
        if (blank(base.path("apiVersion").asText(null)) || blank(base.path("kind").asText(null))) {
          problems.add("spec.resources[" + i + "].base needs apiVersion and kind");
        }
      }
    }
    dev.tarmac.policy.OutputPolicyChecker.problems(spec.outputPolicy)
        .forEach(p -> problems.add("spec.outputPolicy." + p));
    return problems;
  }

  /**
   * A Template has steps, each with an action Tarmac can run, and inline skeleton files whose names stay inside the
   * skeleton.
   */
  public static List<String> template(Template t) {
    List<String> problems = new ArrayList<>();
    var spec = t.getSpec();
    if (spec == null) {
      return List.of("spec is missing: add parameters and steps");
    }
    if (spec.steps == null || spec.steps.isEmpty()) {
      problems.add("spec.steps is empty: add at least one step with an action");
    } else {
      for (int i = 0; i < spec.steps.size(); i++) {
        if (blank(spec.steps.get(i).path("action").asText(null))) {
          problems.add("spec.steps[" + i + "] has no action");
        }
      }
      // Backstage actions Tarmac has no counterpart for (publish:github:pull-request, fetch:rails, ...): named here,
      // so the Template says it before a Component tries it.
      dev.tarmac.component.ComponentReconciler.unsupported(spec.steps).forEach(u -> problems.add(u
          + ": replace the step or remove it (docs/templates.md lists the actions)"));
    }
    if (spec.skeleton != null) {
      problems.addAll(dev.tarmac.component.Skeleton.problems(spec.skeleton.get("files")));
    }
    return problems;
  }

  /** A Scorecard has named levels, each with at least one check. */
  public static List<String> scorecard(Scorecard s) {
    List<String> problems = new ArrayList<>();
    var spec = s.getSpec();
    if (spec == null || spec.levels == null || spec.levels.isEmpty()) {
      return List.of("spec.levels is empty: add Bronze, Silver and Gold levels with checks");
    }
    for (int i = 0; i < spec.levels.size(); i++) {
      JsonNode level = spec.levels.get(i);
      if (blank(level.path("name").asText(null))) {
        problems.add("spec.levels[" + i + "] has no name");
      }
      if (!level.path("checks").isArray() || level.path("checks").isEmpty()) {
        problems.add("spec.levels[" + i + "] has no checks");
      }
    }
    return problems;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  /** Reports whether a Composition is valid. */
  public static final class CompositionReconciler extends ValidatingReconciler<Composition, Composition.Status> {
    /** @param events where Warning events go */
    public CompositionReconciler(Events events) {
      super(Validation::composition, Composition.Status::new, events);
    }
  }

  /** Reports whether a Template is valid. */
  public static final class TemplateReconciler extends ValidatingReconciler<Template, Template.Status> {
    /** @param events where Warning events go */
    public TemplateReconciler(Events events) {
      super(Validation::template, Template.Status::new, events);
    }
  }

  /** Reports whether a Scorecard is valid. */
  public static final class ScorecardReconciler extends ValidatingReconciler<Scorecard, Scorecard.Status> {
    /** @param events where Warning events go */
    public ScorecardReconciler(Events events) {
      super(Validation::scorecard, Scorecard.Status::new, events);
    }
  }
}
