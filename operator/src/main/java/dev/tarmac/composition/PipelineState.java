package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state a Composition's functions read and write, as in Crossplane's RunFunctionRequest: the observed state (the
 * composite, the composed resources by name and their connection details; read-only) and the desired state (the
 * desired composite — only the fields functions set, e.g. {@code status} —, the desired composed resources by name in
 * the order they were first added, their readiness, the composite's connection details) plus the pipeline context,
 * which holds the environment at {@link #ENVIRONMENT_KEY}. Each step changes the desired state in place; the next step
 * sees what the previous steps produced. Not thread-safe; one per compose call.
 */
final class PipelineState {

  /** The context key Crossplane uses for the Composition environment. */
  static final String ENVIRONMENT_KEY = "apiextensions.crossplane.io/environment";

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** One desired composed resource. */
  static final class Desired {
    ObjectNode resource;
    CompositionEngine.Readiness ready = CompositionEngine.Readiness.UNSPECIFIED;
    /** Why a readiness check failed, when one did. */
    String message;

    Desired(ObjectNode resource) {
      this.resource = resource;
    }
  }

  final JsonNode observedComposite;
  final Map<String, JsonNode> observed;
  final Map<String, Map<String, String>> observedConnection;
  final ObjectNode desiredComposite = F.objectNode();
  CompositionEngine.Readiness compositeReady = CompositionEngine.Readiness.UNSPECIFIED;
  final LinkedHashMap<String, Desired> resources = new LinkedHashMap<>();
  final Map<String, String> connectionDetails = new LinkedHashMap<>();
  final List<String> generatedPasswords = new ArrayList<>();
  final ObjectNode context = F.objectNode();
  final List<String> warnings = new ArrayList<>();

  PipelineState(JsonNode observedComposite, Map<String, JsonNode> observed,
      Map<String, Map<String, String>> observedConnection, ObjectNode environment) {
    this.observedComposite = observedComposite;
    this.observed = observed;
    this.observedConnection = observedConnection;
    context.set(ENVIRONMENT_KEY, environment == null ? F.objectNode() : environment.deepCopy());
  }

  /** The environment (mutable): EnvironmentConfig data merged, then changed by environment patches. */
  ObjectNode environment() {
    JsonNode env = context.get(ENVIRONMENT_KEY);
    if (env == null || !env.isObject()) {
      return context.putObject(ENVIRONMENT_KEY);
    }
    return (ObjectNode) env;
  }
}
