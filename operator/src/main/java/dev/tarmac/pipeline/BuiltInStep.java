package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.JsonNode;

/** A step that runs inside the operator instead of in a container ({@code tarmac/compose}, {@code tarmac/template}). */
@FunctionalInterface
public interface BuiltInStep {

  /**
   * Runs the step.
   *
   * @param request the request (or Promise) as it was when the run started, status included
   * @param with the step's {@code with:} configuration (an empty object when absent)
   * @return what the step produced
   * @throws PipelineException when the step cannot run as configured; the message names the problem and the fix
   */
  StepOutput run(JsonNode request, JsonNode with);
}
