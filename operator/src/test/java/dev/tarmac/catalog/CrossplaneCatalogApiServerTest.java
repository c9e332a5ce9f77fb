package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.trace.TraceNode;
import dev.tarmac.trace.TraceRenderer;
import dev.tarmac.trace.Tracer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Claims and XRs of an XRD in a real API server: the catalog learns their kinds from the XRD and indexes them as
 * they are created and deleted, and {@code tarmac trace} resolves the claim kind through the XRD and follows claim →
 * XR → composed ConfigMap and Work → connection Secret. The XR and claim CRDs are written by hand here (the XRD
 * controller is not under test), and the objects carry the status the composite and claim controllers would write.
 */
@Tag("apiserver")
class CrossplaneCatalogApiServerTest {

  static final String GROUP = "cpcatalog.example.org";
  static final String XRD_CRD = "compositeresourcedefinitions.apiextensions.crossplane.io";
  static final String XRD_NAME = "xcpcatalogdbs." + GROUP;
  static final String COMPOSITION_CRD = "compositions.apiextensions.crossplane.io";
  static final String COMPOSITION = "cp-catalog-small";
  static boolean createdXrdCrd;
  static boolean createdCompositionCrd;
  static KubernetesClient client;

  @BeforeAll
  static void crds() throws Exception {
    client = TestCluster.get().client();
    if (client.apiextensions().v1().customResourceDefinitions().withName(XRD_CRD).get() == null) {
      createdXrdCrd = true;
      crd("""
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: {name: compositeresourcedefinitions.apiextensions.crossplane.io}
          spec:
            group: apiextensions.crossplane.io
            scope: Cluster
            names: {kind: CompositeResourceDefinition, plural: compositeresourcedefinitions, singular: compositeresourcedefinition, shortNames: [xrd, xrds]}
            versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
          """);
    }
    if (client.apiextensions().v1().customResourceDefinitions().withName(COMPOSITION_CRD).get() == null) {
      createdCompositionCrd = true;
      crd("""
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: {name: compositions.apiextensions.crossplane.io}
          spec:
            group: apiextensions.crossplane.io
            scope: Cluster
            names: {kind: Composition, plural: compositions, singular: composition, shortNames: [comp]}
            versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
          """);
    }
    crd("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: xcpcatalogdbs.%1$s}
        spec:
          group: %1$s
          scope: Cluster
          names: {kind: XCpCatalogDb, plural: xcpcatalogdbs}
          versions:
          - name: v1alpha1
            served: true
            storage: true
            schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        """.formatted(GROUP));
    crd("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: cpcatalogdbs.%1$s}
        spec:
          group: %1$s
          scope: Namespaced
          names: {kind: CpCatalogDb, plural: cpcatalogdbs, shortNames: [cpdb]}
          versions:
          - name: v1alpha1
            served: true
            storage: true
            schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        """.formatted(GROUP));
    // Discovery caches a group's resources: wait until the API server lists the XRD resource.
    await().atMost(Duration.ofSeconds(20)).until(() -> dev.tarmac.trace.XrdNames.servedVersion(client).isPresent()
        && dev.tarmac.trace.XrdNames.servedVersion(client, "compositions").isPresent());
  }

  static void crd(String yaml) throws Exception {
    CustomResourceDefinition crd = Serialization.YAML.readValue(yaml, CustomResourceDefinition.class);
    client.resource(crd).serverSideApply();
    client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
        .waitUntilCondition(TestCluster::established, 30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void cleanUp() {
    if (client == null) {
      return;
    }
    client.genericKubernetesResources("apiextensions.crossplane.io/v1", "CompositeResourceDefinition")
        .withName(XRD_NAME).delete();
    client.genericKubernetesResources("apiextensions.crossplane.io/v1", "Composition").withName(COMPOSITION).delete();
    var crds = client.apiextensions().v1().customResourceDefinitions();
    crds.withName("xcpcatalogdbs." + GROUP).delete();
    crds.withName("cpcatalogdbs." + GROUP).delete();
    if (createdXrdCrd) {
      crds.withName(XRD_CRD).delete();
    }
    if (createdCompositionCrd) {
      crds.withName(COMPOSITION_CRD).delete();
    }
  }

  static GenericKubernetesResource object(String yaml) throws Exception {
    return Serialization.YAML.readValue(yaml, GenericKubernetesResource.class);
  }

  @Test
  void claimsAndXrsBecomeResourcesAndTraceFollowsClaimToSecret() throws Exception {
    String ns = TestCluster.get().newNamespace("cpcat");
    client.namespaces().withName(ns).edit(n -> {
      n.getMetadata().setLabels(Map.of("platform.tarmac.dev/team", "team-" + ns));
      return n;
    });
    try (CatalogInformers catalog = new CatalogInformers(client, new CatalogIndex())
        .start(new SimpleMeterRegistry())) {
      // The XRD arrives after the catalog started: its kinds are learned from it.
      client.resource(object("""
          apiVersion: apiextensions.crossplane.io/v1
          kind: CompositeResourceDefinition
          metadata: {name: %1$s}
          spec:
            group: %2$s
            names: {kind: XCpCatalogDb, plural: xcpcatalogdbs}
            claimNames: {kind: CpCatalogDb, plural: cpcatalogdbs, shortNames: [cpdb]}
            versions:
            - name: v1alpha1
              served: true
              referenceable: true
              schema: {openAPIV3Schema: {type: object}}
          """.formatted(XRD_NAME, GROUP))).create();
      client.resource(object("""
          apiVersion: apiextensions.crossplane.io/v1
          kind: Composition
          metadata: {name: %s}
          spec:
            compositeTypeRef: {apiVersion: %s/v1alpha1, kind: XCpCatalogDb}
            resources: []
          """.formatted(COMPOSITION, GROUP))).create();
      await().atMost(Duration.ofSeconds(10)).until(() -> catalog.crossplaneKinds()
          .containsAll(java.util.Set.of(XRD_NAME + "/xr", XRD_NAME + "/claim")));

      client.resource(object("""
          apiVersion: %1$s/v1alpha1
          kind: XCpCatalogDb
          metadata:
            name: orders-%2$s-x1
            labels: {crossplane.io/claim-name: orders, crossplane.io/claim-namespace: %2$s}
          spec:
            size: small
            compositionRef: {name: cp-catalog-small}
            claimRef: {apiVersion: %1$s/v1alpha1, kind: CpCatalogDb, namespace: %2$s, name: orders}
            writeConnectionSecretToRef: {name: orders-xr-conn, namespace: %2$s}
          status:
            conditions:
            - {type: Synced, status: "True", reason: ReconcileSuccess}
            - {type: Ready, status: "False", reason: Creating, message: "Unready resources: server"}
            tarmac:
              composition: cp-catalog-small
              resources:
              - {name: settings, apiVersion: v1, kind: ConfigMap, resourceName: orders-settings, namespace: %2$s, target: Cluster, ready: true}
              - {name: server, apiVersion: db.example.org/v1, kind: Server, resourceName: orders-server, target: Destinations, ready: false, message: not published yet, work: orders-x1, workNamespace: %2$s}
          """.formatted(GROUP, ns))).create();
      client.resource(object("""
          apiVersion: %1$s/v1alpha1
          kind: CpCatalogDb
          metadata: {name: orders, namespace: %2$s}
          spec:
            size: small
            compositionRef: {name: cp-catalog-small}
            resourceRef: {apiVersion: %1$s/v1alpha1, kind: XCpCatalogDb, name: orders-%2$s-x1}
            writeConnectionSecretToRef: {name: orders-conn}
          status:
            conditions:
            - {type: Synced, status: "True", reason: ReconcileSuccess}
            - {type: Ready, status: "False", reason: Waiting, message: waiting for the XR}
          """.formatted(GROUP, ns))).create();

      String claimRef = "resource:" + ns + "/orders";
      String xrRef = "resource:" + ns + "/orders-" + ns + "-x1";
      await().atMost(Duration.ofSeconds(5)).until(() -> catalog.index().snapshot().byRef().containsKey(claimRef)
          && catalog.index().snapshot().byRef().containsKey(xrRef));
      JsonNode claim = catalog.index().snapshot().byRef().get(claimRef);
      JsonNode xr = catalog.index().snapshot().byRef().get(xrRef);
      assertThat(claim.path("spec").path("type").asText()).isEqualTo("cpcatalogdb");
      assertThat(claim.path("spec").path("owner").asText()).isEqualTo("group:default/team-" + ns);
      assertThat(claim.path("spec").path("ready").asText()).isEqualTo("False");
      assertThat(CrossplaneEntitiesTest.relations(claim, "dependsOn")).contains(xrRef,
          "template:default/cp-catalog-small");
      assertThat(CrossplaneEntitiesTest.relations(xr, "dependencyOf")).contains(claimRef);
      assertThat(xr.path("spec").path("owner").asText()).isEqualTo("group:default/team-" + ns);
      assertThat(xr.path("metadata").path("annotations").path(CrossplaneEntities.XRD).asText()).isEqualTo(XRD_NAME);
      JsonNode template = await().atMost(Duration.ofSeconds(5)).until(
          () -> catalog.index().snapshot().byRef().get("template:default/" + COMPOSITION), t -> t != null
              && CrossplaneEntitiesTest.relations(t, "dependencyOf").containsAll(java.util.List.of(claimRef, xrRef)));
      assertThat(template.path("spec").path("type").asText()).isEqualTo("composition");
      assertThat(catalog.index().snapshot().byRef().get(claimRef).path("status").path("items").isMissingNode())
          .as("every relation of the claim resolves").isTrue();

      // The trace: the claim kind is found through the XRD, by its short name.
      client.configMaps().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
          .withNewMetadata().withName("orders-settings").endMetadata().addToData("size", "small").build()).create();
      client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("orders-conn")
          .endMetadata().addToData("password", "c2VjcmV0LXZhbHVl").build()).create();
      GenericKubernetesResource work = client.resource(object("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Work
          metadata: {name: orders-x1, namespace: %s}
          spec: {files: [{path: server.yaml, content: "kind: Server"}]}
          """.formatted(ns))).create();
      client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Work").inNamespace(ns).withName("orders-x1")
          .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), """
              {"status": {"placements": [{"destination": "dev", "state": "Published", "path": "cp/orders",
                "commit": "0a1b2c3"}]}}""");
      assertThat(work).isNotNull();

      TraceNode tree = new Tracer(client).trace("CPDB", ns, "orders");
      String table = TraceRenderer.table(tree, false);
      assertThat(table).contains("CpCatalogDb/orders (" + ns + ")")
          .contains("XCpCatalogDb/orders-" + ns + "-x1")
          .contains("ConfigMap/orders-settings (" + ns + ")")
          .contains("Server/orders-server")
          .contains("Work/orders-x1 (" + ns + ")")
          .contains("Commit/0a1b2c3")
          .contains("NotFound: connection Secret not written yet")
          .contains("connection Secret, keys: password")
          .doesNotContain("c2VjcmV0LXZhbHVl").doesNotContain("secret-value");
      assertThat(Serialization.JSON.writeValueAsString(tree)).doesNotContain("c2VjcmV0LXZhbHVl");
      assertThat(tree.children.get(0).children.get(0).status).as("ConfigMap ready by the XR's checks")
          .isEqualTo("True");
      assertThat(new Tracer(client).trace("xcpcatalogdbs." + GROUP, ns, "orders-" + ns + "-x1").kind)
          .isEqualTo("XCpCatalogDb");
      assertThatThrownBy(() -> new Tracer(client).trace("cpdb", ns, "nope")).hasMessageContaining("not found");
      // An XR without status.tarmac (as Crossplane writes them): its resourceRefs, one of a kind nobody serves.
      client.resource(object("""
          apiVersion: %1$s/v1alpha1
          kind: XCpCatalogDb
          metadata: {name: bare-%2$s}
          spec:
            resourceRefs:
            - {apiVersion: v1, kind: ConfigMap, namespace: %2$s, name: orders-settings}
            - {apiVersion: nowhere.example.org/v1, kind: Server, name: orders-server}
          """.formatted(GROUP, ns))).create();
      TraceNode bare = new Tracer(client).trace("XCpCatalogDb", ns, "bare-" + ns);
      assertThat(bare.children).extracting(n -> n.kind + " " + n.status + " " + n.reason)
          .containsExactly("ConfigMap null null", "Server False NotFound");

      // Deleting the claim removes its entity; the XR's relation to it now warns.
      client.genericKubernetesResources(GROUP + "/v1alpha1", "CpCatalogDb").inNamespace(ns).withName("orders")
          .delete();
      await().atMost(Duration.ofSeconds(5)).until(() -> !catalog.index().snapshot().byRef().containsKey(claimRef));
      ObjectNode after = catalog.index().snapshot().byRef().get(xrRef);
      assertThat(after.path("status").path("items").toString()).contains("which is not in the catalog");
    }
  }
}
