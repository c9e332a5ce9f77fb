package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.Serialization;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceSubresourcesBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link PatchTarget}: a merge patch of the status subresource and of the object sent through it is one PATCH and
 * no read, counted by the API server's own {@code apiserver_request_total} for a kind no other test touches; the same
 * patch through {@code withName(..)} costs a GET, which is what the class exists to avoid.
 */
@Tag("apiserver")
class PatchTargetApiServerTest {

  private static final String GROUP = "patchtarget.test.tarmac.dev";
  private static final String PLURAL = "patchprobes";

  @Test
  void aMergePatchThroughTheTargetIsOnePatchAndNoGet() {
    KubernetesClient client = TestCluster.get().client();
    CustomResourceDefinition crd = TestCluster.openCrd(GROUP, "PatchProbe", PLURAL, "Namespaced");
    crd.getSpec().getVersions().get(0).setSubresources(new CustomResourceSubresourcesBuilder().withNewStatus()
        .endStatus().build());
    client.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> TestCluster.established(
        client.apiextensions().v1().customResourceDefinitions().withName(PLURAL + "." + GROUP).get()));
    String ns = TestCluster.get().newNamespace("patchtarget");
    var op = client.genericKubernetesResources(GROUP + "/v1", "PatchProbe");
    GenericKubernetesResource probe = new GenericKubernetesResource();
    probe.setApiVersion(GROUP + "/v1");
    probe.setKind("PatchProbe");
    probe.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("p").withNamespace(ns)
        .build());
    probe.setAdditionalProperty("spec", java.util.Map.of("size", "small"));
    GenericKubernetesResource cached = op.inNamespace(ns).resource(probe).create();

    double getsBefore = reads(client);
    double patchesBefore = count(client, "PATCH");
    PatchTarget.of(op, cached).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"status\":{\"phase\":\"Ready\"}}");
    PatchTarget.of(op, cached).patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"labels\":{\"seen\":\"yes\"}}}");
    // Known by kind and name only (XR and claim patches).
    var kind = new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder().withGroup(GROUP)
        .withVersion("v1").withKind("PatchProbe").withPlural(PLURAL).withNamespaced(true).build();
    PatchTarget.of(client.genericKubernetesResources(kind), kind, ns, "p").patch(
        PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"named\":\"yes\"}}}");
    assertThat(count(client, "PATCH") - patchesBefore).as("three PATCHes").isEqualTo(3);
    assertThat(reads(client) - getsBefore).as("no read before them").isZero();

    GenericKubernetesResource after = op.inNamespace(ns).withName("p").get();
    var json = Serialization.JSON.valueToTree(after);
    assertThat(json.path("status").path("phase").asText()).isEqualTo("Ready");
    assertThat(after.getMetadata().getLabels()).containsEntry("seen", "yes").containsEntry("named", "yes");
    assertThat(json.path("spec").path("size").asText()).as("nothing of the stub written").isEqualTo("small");

    // The same patch by name: fabric8 reads the object first (the request PatchTarget saves).
    double getsByName = reads(client);
    op.inNamespace(ns).withName("p").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"status\":{\"phase\":\"Ready\"}}");
    assertThat(reads(client) - getsByName).isEqualTo(1);

    // An object that is gone: 404, as a patch by name gives.
    op.inNamespace(ns).withName("p").withGracePeriod(0).delete();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> op.inNamespace(ns).withName("p").get() == null);
    assertThatThrownBy(() -> PatchTarget.of(op, cached).subresource("status").patch(
        PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"phase\":\"Gone\"}}"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));
    TestCluster.deleteCrds(client, List.of(PLURAL + "." + GROUP));
  }

  /**
   * Reads of this test's kind the API server has answered: GET and LIST (fabric8 7.5 reads one object by name as a
   * LIST with a field selector, which the API server counts as LIST).
   */
  private static double reads(KubernetesClient client) {
    return count(client, "GET") + count(client, "LIST");
  }

  /** Requests of {@code verb} the API server has answered for this test's kind (any subresource). */
  private static double count(KubernetesClient client, String verb) {
    double total = 0;
    for (String line : client.raw("/metrics").split("\n")) {
      if (line.startsWith("apiserver_request_total{") && line.contains("resource=\"" + PLURAL + "\"")
          && line.contains("verb=\"" + verb + "\"")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }
}
