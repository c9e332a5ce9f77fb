package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Composition;
import dev.tarmac.api.Serialization;
import dev.tarmac.pipeline.BuiltInStep;
import dev.tarmac.pipeline.PipelineException;
import dev.tarmac.pipeline.StepOutput;
import java.util.Map;
import java.util.function.Function;

/**
 * Built-in step {@code tarmac/compose}: applies a Composition to the request and outputs the composed resources as
 * documents to publish ({@code <resource>.yaml} each, and {@code <resource>/main.tf.json} for a Terraform object with a
 * {@code module}: {@link TerraformModule}), so a Promise's pipeline can compose in-process, with no pod.
 * Configuration: {@code with: {compositionRef: {name: postgresql-aws}}}. Connection details are not written: they
 * may hold secrets, and secrets never go to Git.
 */
public final class ComposeStep implements BuiltInStep {

  private final Function<String, Composition> compositions;

  /** @param compositions looks a Composition up by name (null when missing) */
  public ComposeStep(Function<String, Composition> compositions) {
    this.compositions = compositions;
  }

  @Override
  public StepOutput run(JsonNode request, JsonNode with) {
    String name = with.path("compositionRef").path("name").asText("");
    if (name.isEmpty()) {
      throw new PipelineException("tarmac/compose needs with.compositionRef.name");
    }
    Composition composition = compositions.apply(name);
    if (composition == null) {
      throw new PipelineException("Composition " + name + " does not exist; list them with `kubectl get"
          + " compositions`");
    }
    CompositionEngine.Result result;
    try {
      result = CompositionEngine.compose(request, Serialization.JSON.valueToTree(composition.getSpec()), Map.of(),
          Map.of());
    } catch (CompositionException e) {
      throw new PipelineException("Composition " + name + ": " + e.getMessage());
    }
    StepOutput out = new StepOutput();
    String owner = request.path("metadata").path("name").asText();
    String namespace = request.path("metadata").path("namespace").asText("");
    // The folder the request's Work gets in its Destination (StateStoreLayout.ownerDir), where main.tf.json lands.
    String ownerDir = "resources/" + (namespace.isEmpty() ? dev.tarmac.statestore.StateStoreLayout.CLUSTER_NAMESPACE
        : namespace) + "/" + request.path("kind").asText() + "/" + owner;
    String secret = request.path("spec").path("writeConnectionSecretToRef").path("name").asText("");
    for (var c : result.resources()) {
      ObjectNode meta = c.resource().with("metadata");
      if (!meta.hasNonNull("name")) {
        meta.put("name", owner + "-" + c.name());
      }
      if (TerraformModule.isTerraform(c.resource()) && !namespace.isEmpty()) {
        meta.put("namespace", namespace);
      }
      try {
        TerraformModule.files(c.name(), c.resource(), ownerDir, secret.isEmpty() ? null : secret).forEach(out::file);
      } catch (CompositionException e) {
        throw new PipelineException("Composition " + name + ": " + e.getMessage());
      }
    }
    out.status().put("compositionName", name);
    out.status().put("composedResources", result.resources().size());
    return out;
  }
}
