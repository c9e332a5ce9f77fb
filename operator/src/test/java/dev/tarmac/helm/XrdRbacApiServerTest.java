package dev.tarmac.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Serialization;
import dev.tarmac.crossplane.CrossplaneFields;
import dev.tarmac.crossplane.CrossplaneKinds;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The XRD controller with the chart's RBAC (crossplane.enabled, crossplane.apis naming one group of the test's own):
 * the chart is installed with helm-java into the real API server, the operator runs in-process with a token of the
 * chart's ServiceAccount, an XRD in the listed group is Established and Offered and goes with its CRDs when deleted,
 * and an XRD whose kinds the chart does not list stays Established=False, reason Forbidden, with no CRD written.
 */
@Tag("apiserver")
class XrdRbacApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient admin;
  static KubernetesClient operatorIdentity;
  static TarmacOperator operator;
  static String release;
  static String system;
  static Path kubeconfig;
  static String group;
  static String listed;
  static String unlisted;

  @BeforeAll
  static void install() throws Exception {
    TestCluster cluster = TestCluster.get();
    admin = cluster.client();
    system = cluster.newNamespace("tarmac-system");
    release = "xrdrbac-" + system.substring(system.lastIndexOf('-') + 1);
    group = release + ".example.com";
    listed = "xwidgets." + group;
    unlisted = "xgadgets.unlisted-" + group;
    kubeconfig = Files.writeString(tmp.resolve("kubeconfig"), cluster.kubeconfig());
    // The Crossplane CRDs as an administrator installs them (other test classes may have installed them already,
    // which the chart's own template would then refuse to adopt).
    for (var crd : CrossplaneKinds.crds()) {
      admin.resource(Serialization.JSON.treeToValue(crd, CustomResourceDefinition.class)).fieldManager("xrd-rbac")
          .forceConflicts().serverSideApply();
    }
    for (String name : CrossplaneKinds.CRD_NAMES) {
      admin.apiextensions().v1().customResourceDefinitions().withName(name)
          .waitUntilCondition(TestCluster::established, 30, java.util.concurrent.TimeUnit.SECONDS);
    }
    Release installed = new Helm(Chart.DIR).install().withName(release).withNamespace(system)
        .withKubeConfig(kubeconfig)
        .set("crossplane.enabled", true)
        .set("crossplane.apis[0].group", group).set("crossplane.apis[0].resources[0]", "xwidgets")
        .set("crossplane.apis[0].resources[1]", "widgets")
        .set("defaultScorecard.enabled", false)
        .call();
    assertThat(installed.getStatus()).isEqualTo("deployed");
    operatorIdentity = TestCluster.get().clientAs(system, release + "-tarmac");
    operator = new TarmacOperator(operatorIdentity, new TarmacOperator.Settings("127.0.0.1", 0, false, system,
        "xrd-rbac-test", tmp.resolve("data"), false, 4, false, "tarmac:test")).withCrossplane(true).start();
  }

  @AfterAll
  static void uninstall() {
    try {
      for (String xrd : List.of(listed, unlisted)) {
        xrds().withName(xrd).delete();
      }
      for (String xrd : List.of(listed, unlisted)) {
        await().atMost(Duration.ofSeconds(60)).until(() -> xrds().withName(xrd).get() == null);
      }
    } finally {
      if (operator != null) {
        operator.close();
      }
      if (operatorIdentity != null) {
        operatorIdentity.close();
      }
      if (release != null) {
        Helm.uninstall(release).withNamespace(system).withKubeConfig(kubeconfig).call();
      }
      for (String crd : List.of(listed, "widgets." + group)) {
        admin.apiextensions().v1().customResourceDefinitions().withName(crd).delete();
      }
    }
  }

  private static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
      io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> xrds() {
    return admin.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", CrossplaneKinds.XRD_KIND);
  }

  private static GenericKubernetesResource xrd(String name, String xrdGroup, String kind, String claimKind)
      throws Exception {
    String plural = name.substring(0, name.indexOf('.'));
    return Serialization.YAML.readValue("""
        apiVersion: apiextensions.crossplane.io/v1
        kind: CompositeResourceDefinition
        metadata: {name: %s}
        spec:
          group: %s
          names: {kind: %s, plural: %s}
          claimNames: {kind: %s, plural: %s}
          versions:
            - name: v1
              served: true
              referenceable: true
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    spec: {type: object, properties: {size: {type: integer}}}
        """.formatted(name, xrdGroup, kind, plural, claimKind, plural.substring(1)), GenericKubernetesResource.class);
  }

  private static JsonNode condition(String xrd, String type) {
    GenericKubernetesResource r = xrds().withName(xrd).get();
    for (JsonNode c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    return null;
  }

  @Test
  void theChartsIdentityServesListedKindsAndOnlyThose() throws Exception {
    admin.resource(xrd(listed, group, "XWidget", "Widget")).serverSideApply();
    await().atMost(Duration.ofSeconds(30)).until(() -> condition(listed, "Offered"),
        c -> c != null && c.path("status").asText().equals("True"));
    assertThat(condition(listed, "Established").path("reason").asText()).isEqualTo("WatchingCompositeResource");
    String ns = TestCluster.get().newNamespace("widgets");
    GenericKubernetesResource claim = Serialization.YAML.readValue("""
        apiVersion: %s/v1
        kind: Widget
        metadata: {name: small}
        spec: {size: 1}
        """.formatted(group), GenericKubernetesResource.class);
    claim.getMetadata().setNamespace(ns);
    admin.resource(claim).create();

    admin.resource(xrd(unlisted, "unlisted-" + group, "XGadget", "Gadget")).serverSideApply();
    JsonNode forbidden = await().atMost(Duration.ofSeconds(30)).until(() -> condition(unlisted, "Established"),
        c -> c != null && c.path("reason").asText().equals("Forbidden"));
    assertThat(forbidden.path("status").asText()).isEqualTo("False");
    assertThat(forbidden.path("message").asText()).contains("crossplane.apis", "unlisted-" + group);
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName(unlisted).get()).isNull();

    // Deleting the XRD with the chart's identity: its claim, then its CRDs, go.
    xrds().withName(listed).delete();
    await().atMost(Duration.ofSeconds(60)).until(() -> xrds().withName(listed).get() == null);
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName(listed).get()).isNull();
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("widgets." + group).get()).isNull();
  }
}
