package dev.tarmac.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tarmac's {@code promises.platform.kratix.io} schema accepts everything Kratix's own CRD accepts: every property path
 * of Kratix's {@code config/crd/bases/platform.kratix.io_promises.yaml} (copied into test resources, see
 * {@code kratix/README.md} there) exists in the generated CRD with the same type, or falls under a subtree Tarmac keeps
 * as it is (preserve-unknown-fields); and Tarmac adds no {@code required}, {@code enum} or {@code pattern} that Kratix
 * does not have.
 */
class KratixPromiseSchemaTest {

  private static JsonNode kratixSchema() throws IOException {
    try (InputStream in = KratixPromiseSchemaTest.class.getResourceAsStream(
        "/kratix/platform.kratix.io_promises.yaml")) {
      return Serialization.YAML.readTree(in).path("spec").path("versions").get(0);
    }
  }

  private static JsonNode tarmacVersion() {
    return Crds.tree(KratixPromise.class).path("spec").path("versions").get(0);
  }

  @Test
  void everyKratixPathExistsInTarmacsSchemaWithACompatibleType() throws IOException {
    List<String> problems = new ArrayList<>();
    List<String> checked = new ArrayList<>();
    compare(kratixSchema().path("schema").path("openAPIV3Schema"),
        tarmacVersion().path("schema").path("openAPIV3Schema"), "", problems, checked);
    assertThat(problems).isEmpty();
    // The walk reached the fields the marketplace's files carry (a walk that stopped early would pass vacuously).
    assertThat(checked).contains(".spec.workflows.config.pipelineNamespace",
        ".spec.workflows.config.reconciliationInterval",
        ".status.workflows", ".status.workflowsSucceeded", ".status.requiredPromises[].state",
        ".status.requiredBy[].promise.version", ".status.kratix.workflows.pipelines[].nextRetryAt",
        ".status.lastAvailableTime", ".spec.requiredPromises[].version", ".spec.destinationSelectors[].matchLabels{}");
  }

  @Test
  void theSameScopeGroupNamesAndStatusSubresource() throws IOException {
    JsonNode kratix;
    try (InputStream in = getClass().getResourceAsStream("/kratix/platform.kratix.io_promises.yaml")) {
      kratix = Serialization.YAML.readTree(in);
    }
    JsonNode ours = Crds.tree(KratixPromise.class);
    assertThat(ours.path("spec").path("scope").asText()).isEqualTo(kratix.path("spec").path("scope").asText());
    assertThat(ours.path("spec").path("group").asText()).isEqualTo(kratix.path("spec").path("group").asText());
    // listKind is left to the API server's default, which is Kratix's value (PromiseList).
    for (String f : List.of("kind", "plural", "singular")) {
      assertThat(ours.path("spec").path("names").path(f)).as(f).isEqualTo(kratix.path("spec").path("names").path(f));
    }
    assertThat(tarmacVersion().path("name").asText()).isEqualTo("v1alpha1");
    assertThat(tarmacVersion().path("subresources").has("status")).isTrue();
    // Kratix's printer columns' paths are all shown (STATUS first, as `kubectl get promises` shows it in Kratix).
    List<String> ourPaths = tarmacVersion().path("additionalPrinterColumns").findValuesAsText("jsonPath");
    assertThat(ourPaths.get(0)).isEqualTo(".status.status");
    assertThat(ourPaths).contains(".status.kind", ".status.apiVersion", ".status.version");
  }

  /** Kratix's {@code node} at {@code path} against Tarmac's {@code ours}; what does not hold goes to problems. */
  private static void compare(JsonNode kratix, JsonNode ours, String path, List<String> problems,
      List<String> checked) {
    checked.add(path);
    if (ours.isMissingNode()) {
      problems.add(path + ": missing in Tarmac's schema");
      return;
    }
    String kType = kratix.path("type").asText("");
    String oType = ours.path("type").asText("");
    boolean oursPreserves = ours.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    if (!kType.isEmpty() && !kType.equals(oType) && !(oType.isEmpty() && oursPreserves)) {
      problems.add(path + ": Kratix says " + kType + ", Tarmac says " + (oType.isEmpty() ? "nothing" : oType));
    }
    if (kratix.path("x-kubernetes-preserve-unknown-fields").asBoolean(false) && !oursPreserves) {
      problems.add(path + ": Kratix keeps unknown fields here, Tarmac would prune them");
    }
    for (String strict : List.of("enum", "pattern", "maxLength", "minLength", "minimum", "maxItems")) {
      if (ours.has(strict) && !ours.path(strict).equals(kratix.path(strict))) {
        problems.add(path + ": Tarmac adds " + strict + " " + ours.path(strict) + " that Kratix does not have");
      }
    }
    List<String> kRequired = new ArrayList<>();
    kratix.path("required").forEach(r -> kRequired.add(r.asText()));
    ours.path("required").forEach(r -> {
      if (!kRequired.contains(r.asText())) {
        problems.add(path + ": Tarmac requires " + r.asText() + ", Kratix does not");
      }
    });
    boolean oursOpen = oursPreserves && !ours.has("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = kratix.path("properties").fields(); it.hasNext();) {
      var e = it.next();
      // apiVersion, kind and metadata of the object itself are the API server's, whatever a schema says.
      if (path.isEmpty() && List.of("apiVersion", "kind", "metadata").contains(e.getKey())) {
        continue;
      }
      if (oursOpen) {
        checked.add(path + "." + e.getKey());
        continue;
      }
      compare(e.getValue(), ours.path("properties").path(e.getKey()), path + "." + e.getKey(), problems, checked);
    }
    if (kratix.has("items")) {
      if (!oursOpen) {
        compare(kratix.get("items"), ours.path("items"), path + "[]", problems, checked);
      }
    }
    if (kratix.has("additionalProperties") && !oursOpen) {
      compare(kratix.get("additionalProperties"), ours.path("additionalProperties"), path + "{}", problems, checked);
    }
  }
}
