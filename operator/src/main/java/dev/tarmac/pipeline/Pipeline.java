package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Api;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.ArrayList;
import java.util.List;

/**
 * A Pipeline as Kratix defines it ({@code apiVersion: platform.kratix.io/v1alpha1} or
 * {@code platform.tarmac.dev/v1alpha1}, {@code kind: Pipeline}): a name and ordered steps. A step whose image is
 * {@code tarmac/compose} or {@code tarmac/template} is a built-in step run inside the operator, configured by its
 * {@code with:} map (a Tarmac extension that Kratix ignores); every other step is a container.
 *
 * @param name {@code metadata.name}
 * @param steps the steps in order
 * @param raw the Pipeline as written, for hashing and for the Job
 */
public record Pipeline(String name, List<Step> steps, JsonNode raw) {

  /** Image names of the built-in steps. */
  public static final String COMPOSE = "tarmac/compose";
  /** Renders files from templates with the request as values. */
  public static final String TEMPLATE = "tarmac/template";

  /**
   * One step.
   *
   * @param name the container name ({@code step-<index>} when the author gave none, as Kratix allows)
   * @param image the image, or a built-in step's name
   * @param env environment, may be empty
   * @param with a built-in step's configuration (null for containers)
   * @param container the container as written: the Job runs it as it is (command, args, envFrom, volumeMounts, ...)
   */
  public record Step(String name, String image, List<EnvVar> env, JsonNode with, JsonNode container) {
    /** True for {@code tarmac/compose} and {@code tarmac/template}. */
    public boolean builtIn() {
      return COMPOSE.equals(image) || TEMPLATE.equals(image);
    }
  }

  /** True when every step is built in: the Pipeline runs inside the operator and never starts a pod. */
  public boolean builtInOnly() {
    return steps.stream().allMatch(Step::builtIn);
  }

  /**
   * Reads a Pipeline.
   *
   * @throws PipelineException when it is not a Pipeline, has no name, or no steps; the message says which
   */
  public static Pipeline parse(JsonNode node, String where) {
    if (node == null || !node.isObject()) {
      throw new PipelineException(where + " is not an object: write a Pipeline (apiVersion, kind, metadata, spec)");
    }
    String apiVersion = node.path("apiVersion").asText("");
    if (!node.path("kind").asText().equals("Pipeline")
        || !(apiVersion.startsWith(Api.GROUP + "/") || apiVersion.startsWith(Api.KRATIX_GROUP + "/"))) {
      throw new PipelineException(where + " must be kind Pipeline with apiVersion " + Api.API_VERSION + " or "
          + Api.KRATIX_GROUP + "/v1alpha1, not " + apiVersion + " " + node.path("kind").asText());
    }
    String name = node.path("metadata").path("name").asText("");
    if (!name.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      throw new PipelineException(where + " needs metadata.name, a DNS label (lower case, digits, '-'), not '"
          + name + "'");
    }
    JsonNode containers = node.path("spec").path("containers");
    if (!containers.isArray() || containers.isEmpty()) {
      throw new PipelineException("Pipeline " + name + " has no spec.containers: add at least one step");
    }
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < containers.size(); i++) {
      JsonNode c = containers.get(i);
      String image = c.path("image").asText("");
      if (image.isEmpty()) {
        throw new PipelineException("Pipeline " + name + " step " + i + " has no image");
      }
      String stepName = c.path("name").asText("step-" + i);
      List<EnvVar> env = new ArrayList<>();
      for (JsonNode e : c.path("env")) {
        // The whole EnvVar, valueFrom (Secret and ConfigMap keys, field refs) included, as Kratix passes it on.
        try {
          env.add(dev.tarmac.api.Serialization.JSON.treeToValue(e, EnvVar.class));
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException bad) {
          throw new PipelineException("Pipeline " + name + " step " + stepName + " has an env entry that is not"
              + " a Kubernetes EnvVar: " + e);
        }
      }
      JsonNode with = c.has("with") ? c.get("with") : null;
      steps.add(new Step(stepName, image, env, with, c));
    }
    return new Pipeline(name, List.copyOf(steps), node);
  }

  /** Reads a list of Pipelines; {@code null} or a missing list is empty. */
  public static List<Pipeline> parseAll(List<JsonNode> nodes, String where) {
    List<Pipeline> out = new ArrayList<>();
    if (nodes == null) {
      return out;
    }
    for (int i = 0; i < nodes.size(); i++) {
      out.add(parse(nodes.get(i), where + "[" + i + "]"));
    }
    return out;
  }

  /** The Pipeline's {@code spec}, for fields passed through to the Job (volumes, imagePullSecrets). */
  public ObjectNode spec() {
    JsonNode s = raw.path("spec");
    return s.isObject() ? (ObjectNode) s : dev.tarmac.api.Serialization.JSON.createObjectNode();
  }
}
