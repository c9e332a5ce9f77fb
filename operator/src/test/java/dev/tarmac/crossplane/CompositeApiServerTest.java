package dev.tarmac.crossplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.Events;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.ApiResources;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.secrets.ConnectionSecretAccess;
import dev.tarmac.secrets.SecretAccess;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crossplane claims and XRs on a real API server: XR and claim CRDs written by hand (as the XRD controller would
 * generate them, with open schemas), a Crossplane Composition composing a ConfigMap (a kind the cluster serves) and a
 * kind it does not serve (written to Git through a Work), served by {@link CompositeControllers}; the rest of the
 * operator publishes the Work.
 */
@Tag("apiserver")
class CompositeApiServerTest {

  static final String GROUP = "cmpst.tarmac-test.example.org";
  static final String OTHER_GROUP = "notserved.tarmac-test.example.org";
  static final XrdKinds KINDS = new XrdKinds("xwidgets." + GROUP, GROUP, "v1alpha1", "XWidget", "xwidgets",
      XrdKinds.LEGACY_CLUSTER, "Widget", "widgets", List.of("username", "password"), null, null, null, null);
  static final XrdKinds V2 = new XrdKinds("xgadgets." + GROUP, GROUP, "v1alpha1", "XGadget", "xgadgets",
      XrdKinds.NAMESPACED, null, null, List.of(), null, null, null, null);
  static final String COMPOSITION = "xwidgets-cmpst-test";
  static final String V2_COMPOSITION = "xgadgets-cmpst-test";
  static final String STORE = "cmpst-test";
  /** The corpus' nop.example.org group, renamed so this class's cluster-scoped objects are its own. */
  static final String NOP_GROUP = "nopcorpus.tarmac-test.example.org";
  static final XrdKinds NOP = new XrdKinds("xnopresources." + NOP_GROUP, NOP_GROUP, "v1alpha1", "XNopResource",
      "xnopresources", XrdKinds.LEGACY_CLUSTER, "NopResource", "nopresources", List.of("test"), null, null, null,
      null);

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator operator;
  static XrControllers controllers;
  static final List<String> crds = new ArrayList<>();
  static boolean createdCompositionCrd;

  @BeforeAll
  static void start() throws Exception {
    client = TestCluster.get().client();
    if (client.apiextensions().v1().customResourceDefinitions().withName("compositions." + CrossplaneFields.GROUP)
        .get() == null) {
      crd(CrossplaneFields.GROUP, "Composition", "compositions", "v1", false);
      createdCompositionCrd = true;
    }
    crd(GROUP, "XWidget", "xwidgets", "v1alpha1", false);
    crd(GROUP, "Widget", "widgets", "v1alpha1", true);
    crd(GROUP, "XGadget", "xgadgets", "v1alpha1", true);
    crd(NOP_GROUP, "XNopResource", "xnopresources", "v1alpha1", false);
    crd(NOP_GROUP, "NopResource", "nopresources", "v1alpha1", true);
    // The corpus Composition as Crossplane's repository has it, its group renamed and one Tarmac annotation added
    // (its Work goes to this class's Destination only, not to other classes' in the shared cluster).
    JsonNode nop = Serialization.YAML.readTree(corpus("nop-pandt-composition.yaml"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) nop.path("metadata")).putObject("annotations")
        .put(CompositeReconciler.DESTINATION_LABELS, "suite=" + STORE);
    load(Serialization.YAML.writeValueAsString(nop));
    load("""
        apiVersion: apiextensions.crossplane.io/v1
        kind: Composition
        metadata:
          name: %s
          annotations: {platform.tarmac.dev/destination-labels: "suite=%s"}
        spec:
          compositeTypeRef: {apiVersion: %s/v1alpha1, kind: XWidget}
          writeConnectionSecretsToNamespace: crossplane-system
          resources:
            - name: config
              base:
                apiVersion: v1
                kind: ConfigMap
                data: {user: admin, fixed: "yes"}
              patches:
                - fromFieldPath: spec.parameters.size
                  toFieldPath: data.size
                  transforms: [{type: string, string: {type: Convert, convert: ToUpper}}]
                - type: ToCompositeFieldPath
                  fromFieldPath: data.size
                  toFieldPath: status.observedSize
              connectionDetails:
                - {type: FromFieldPath, name: username, fromFieldPath: data.user}
                - {type: FromValue, name: password, value: s3cret}
                - {type: FromValue, name: extra, value: not-allowed}
            - name: thing
              base:
                apiVersion: %s/v1
                kind: Thing
                spec: {color: blue}
              patches:
                - fromFieldPath: spec.parameters.size
                  toFieldPath: spec.size
        """.formatted(COMPOSITION, STORE, GROUP, OTHER_GROUP));
    load("""
        apiVersion: apiextensions.crossplane.io/v1
        kind: Composition
        metadata: {name: %s}
        spec:
          compositeTypeRef: {apiVersion: %s/v1alpha1, kind: XGadget}
          mode: Pipeline
          pipeline:
            - step: patch-and-transform
              functionRef: {name: function-patch-and-transform}
              input:
                apiVersion: pt.fn.crossplane.io/v1beta1
                kind: Resources
                resources:
                  - name: settings
                    base: {apiVersion: v1, kind: ConfigMap, data: {}}
                    patches:
                      - {fromFieldPath: spec.replicas, toFieldPath: data.replicas,
                         transforms: [{type: convert, convert: {toType: string}}]}
                      - {type: ToCompositeFieldPath, fromFieldPath: data.replicas, toFieldPath: status.replicas}
            # A ConfigMap has no Ready condition: without this step no step marks it ready (docs/compositions.md).
            - step: automatically-detect-ready-composed-resources
              functionRef: {name: function-auto-ready}
        """.formatted(V2_COMPOSITION, GROUP));
    TestStores.create(client, STORE, null, Map.of("suite", STORE), null);
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test")).start();
    controllers = new XrControllers(client, new Events(client, "test"),
        new ConnectionSecretAccess(client, SecretAccess.outsideChart("default")), new ApiResources(client), "default");
    controllers.serve(KINDS);
    controllers.serve(V2);
    controllers.serve(NOP);
  }

  @AfterAll
  static void stop() {
    if (controllers != null) {
      controllers.close();
    }
    if (operator != null) {
      operator.close();
    }
    client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", "Composition").withName(COMPOSITION).delete();
    client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", "Composition").withName(V2_COMPOSITION)
        .delete();
    client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", "Composition")
        .withName("xnopresources." + NOP_GROUP).delete();
    client.resources(dev.tarmac.api.Destination.class).withName(STORE).delete();
    client.resources(dev.tarmac.api.GitStateStore.class).withName(STORE).delete();
    for (String name : crds) {
      client.apiextensions().v1().customResourceDefinitions().withName(name).delete();
    }
  }

  static void crd(String group, String kind, String plural, String version, boolean namespaced) {
    String name = plural + "." + group;
    CustomResourceDefinition crd;
    try {
      crd = Serialization.YAML.readValue("""
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: {name: %s}
          spec:
            group: %s
            scope: %s
            names: {kind: %s, plural: %s, singular: %s, listKind: %sList}
            versions:
              - name: %s
                served: true
                storage: true
                subresources: {status: {}}
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
                      status: {type: object, x-kubernetes-preserve-unknown-fields: true}
          """.formatted(name, group, namespaced ? "Namespaced" : "Cluster", kind, plural,
          kind.toLowerCase(java.util.Locale.ROOT), kind, version), CustomResourceDefinition.class);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    client.resource(crd).serverSideApply();
    crds.add(name);
    await().atMost(Duration.ofSeconds(30)).until(() -> TestCluster.established(
        client.apiextensions().v1().customResourceDefinitions().withName(name).get()));
  }

  static void load(String yaml) {
    client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).serverSideApply();
  }

  /** A corpus Crossplane file with {@code nop.example.org} renamed to {@link #NOP_GROUP}. */
  static String corpus(String file) throws java.io.IOException {
    return java.nio.file.Files.readString(dev.tarmac.testing.RepoPaths.corpus().resolve("crossplane").resolve(file))
        .replace("nop.example.org", NOP_GROUP);
  }

  static GenericKubernetesResource claim(String ns, String name) {
    return client.genericKubernetesResources(CompositeControllers.claimContext(KINDS)).inNamespace(ns)
        .withName(name).get();
  }

  static GenericKubernetesResource xr(String name) {
    return client.genericKubernetesResources(CompositeControllers.xrContext(KINDS)).withName(name).get();
  }

  static JsonNode json(Object o) {
    return Serialization.JSON.valueToTree(o);
  }

  static String condition(JsonNode o, String type, String field) {
    for (JsonNode c : o.path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path(field).asText();
      }
    }
    return null;
  }

  @Test
  void aClaimComposesItsXrInTheClusterAndInGitBecomesReadyAndIsDeletedWithEverything() {
    String ns = TestCluster.get().newNamespace("claim");
    load("""
        apiVersion: %s/v1alpha1
        kind: Widget
        metadata: {name: shop, namespace: %s}
        spec:
          parameters: {size: small}
          writeConnectionSecretToRef: {name: shop-conn}
          compositeDeletePolicy: Foreground
        """.formatted(GROUP, ns));
    GenericKubernetesResource claim = await().atMost(Duration.ofSeconds(60)).until(() -> claim(ns, "shop"),
        c -> "True".equals(condition(json(c), "Ready", "status")));
    JsonNode claimJson = json(claim);
    String xrName = CompositeRules.xrName(ns, "shop", claim.getMetadata().getUid());
    assertThat(claimJson.path("spec").path("resourceRef").path("name").asText()).isEqualTo(xrName);
    assertThat(claimJson.path("spec").path("resourceRef").path("kind").asText()).isEqualTo("XWidget");
    assertThat(claimJson.path("spec").path("compositionRef").path("name").asText()).isEqualTo(COMPOSITION);
    assertThat(claimJson.path("status").path("observedSize").asText()).isEqualTo("SMALL");

    JsonNode xr = json(xr(xrName));
    assertThat(xr.path("spec").path("claimRef").path("name").asText()).isEqualTo("shop");
    assertThat(xr.path("spec").path("claimRef").path("namespace").asText()).isEqualTo(ns);
    assertThat(xr.path("metadata").path("labels").path(CrossplaneFields.CLAIM_NAME).asText()).isEqualTo("shop");
    assertThat(xr.path("spec").path("compositionRef").path("name").asText()).isEqualTo(COMPOSITION);
    assertThat(xr.path("spec").path("parameters").path("size").asText()).isEqualTo("small");
    assertThat(xr.path("spec").has("compositeDeletePolicy")).isFalse();
    assertThat(condition(xr, "Ready", "status")).isEqualTo("True");
    assertThat(condition(xr, "Ready", "reason")).isEqualTo("Available");
    assertThat(condition(xr, "Synced", "reason")).isEqualTo("ReconcileSuccess");
    assertThat(condition(xr, "Synced", "message")).contains("Work " + ns + "/" + xrName + "-composed")
        .contains("Thing " + xrName + "-thing");
    assertThat(xr.path("status").path("observedSize").asText()).isEqualTo("SMALL");
    assertThat(xr.path("spec").path("resourceRefs")).hasSize(2);
    JsonNode resources = xr.path("status").path(CrossplaneFields.STATUS_TARMAC).path("resources");
    assertThat(resources.get(0).path("target").asText()).isEqualTo("Cluster");
    assertThat(resources.get(1).path("target").asText()).isEqualTo("Destinations");
    assertThat(resources.get(1).path("work").asText()).isEqualTo(xrName + "-composed");

    // The served kind: applied in the claim's namespace with the patched values, labels and owner.
    ConfigMap cm = client.configMaps().inNamespace(ns).withName(xrName + "-config").get();
    assertThat(cm.getData()).containsEntry("size", "SMALL").containsEntry("user", "admin");
    assertThat(cm.getMetadata().getLabels()).containsEntry(CrossplaneFields.COMPOSITE, xrName)
        .containsEntry(CrossplaneFields.CLAIM_NAME, "shop").containsEntry(CrossplaneFields.CLAIM_NAMESPACE, ns);
    assertThat(cm.getMetadata().getAnnotations()).containsEntry(CrossplaneFields.COMPOSITION_RESOURCE_NAME,
        "config");
    assertThat(cm.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo(xrName));
    // The kind the cluster does not serve: in Git through the Work, with its patched value.
    Work work = client.resources(Work.class).inNamespace(ns).withName(xrName + "-composed").get();
    assertThat(work.getSpec().files).singleElement().satisfies(f -> {
      assertThat(f.path).isEqualTo("thing.yaml");
      assertThat(f.content).contains("kind: Thing").contains("size: small").contains("color: blue");
    });

    // Connection details: filtered by the XRD's keys, copied to the claim's Secret.
    Secret secret = client.secrets().inNamespace(ns).withName("shop-conn").get();
    assertThat(secret).isNotNull();
    assertThat(secret.getData()).containsOnlyKeys("username", "password");
    assertThat(new String(Base64.getDecoder().decode(secret.getData().get("password")), StandardCharsets.UTF_8))
        .isEqualTo("s3cret");

    // A claim change reaches the composed resources.
    client.genericKubernetesResources(CompositeControllers.claimContext(KINDS)).inNamespace(ns).withName("shop")
        .edit(c -> {
          ((Map<String, Object>) c.getAdditionalProperties().get("spec")).put("parameters", Map.of("size", "large"));
          return c;
        });
    await().atMost(Duration.ofSeconds(30)).until(() -> "LARGE".equals(client.configMaps().inNamespace(ns)
        .withName(xrName + "-config").get().getData().get("size")));
    await().atMost(Duration.ofSeconds(30)).until(() -> "LARGE".equals(json(claim(ns, "shop")).path("status")
        .path("observedSize").asText()));

    // A Composition change re-composes the XRs of its type.
    client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", "Composition").withName(COMPOSITION)
        .edit(c -> {
          JsonNode j = json(c);
          ((com.fasterxml.jackson.databind.node.ObjectNode) j.path("spec").path("resources").get(0).path("base")
              .path("data")).put("fixed", "changed");
          return Serialization.JSON.convertValue(j, GenericKubernetesResource.class);
        });
    await().atMost(Duration.ofSeconds(30)).until(() -> "changed".equals(client.configMaps().inNamespace(ns)
        .withName(xrName + "-config").get().getData().get("fixed")));

    // Deleting the claim deletes the XR (Foreground: the claim waits for it), the composed resources and Secrets.
    client.genericKubernetesResources(CompositeControllers.claimContext(KINDS)).inNamespace(ns).withName("shop")
        .delete();
    await().atMost(Duration.ofSeconds(60)).until(() -> claim(ns, "shop") == null);
    assertThat(xr(xrName)).isNull();
    assertThat(client.configMaps().inNamespace(ns).withName(xrName + "-config").get()).isNull();
    assertThat(client.secrets().inNamespace(ns).withName("shop-conn").get()).isNull();
    await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Work.class).inNamespace(ns)
        .withName(xrName + "-composed").get() == null);
  }

  @Test
  void aMissingCompositionIsSyncedFalseOnXrAndClaimSayingWhatToChange() {
    String ns = TestCluster.get().newNamespace("claim-bad");
    load("""
        apiVersion: %s/v1alpha1
        kind: Widget
        metadata: {name: lost, namespace: %s}
        spec:
          parameters: {size: small}
          compositionRef: {name: no-such-composition}
        """.formatted(GROUP, ns));
    GenericKubernetesResource claim = await().atMost(Duration.ofSeconds(30)).until(() -> claim(ns, "lost"),
        c -> "False".equals(condition(json(c), "Synced", "status")));
    assertThat(condition(json(claim), "Synced", "message")).contains("no-such-composition")
        .contains("does not exist");
    assertThat(condition(json(claim), "Ready", "status")).isEqualTo("False");
    String xrName = json(claim).path("spec").path("resourceRef").path("name").asText();
    assertThat(condition(json(xr(xrName)), "Synced", "reason")).isEqualTo("ReconcileError");
    assertThat(client.v1().events().inNamespace("default").list().getItems()).anyMatch(e ->
        xrName.equals(e.getInvolvedObject().getName()) && "CompositionNotFound".equals(e.getReason()));
    client.genericKubernetesResources(CompositeControllers.claimContext(KINDS)).inNamespace(ns).withName("lost")
        .delete();
    await().atMost(Duration.ofSeconds(30)).until(() -> claim(ns, "lost") == null && xr(xrName) == null);
  }

  @Test
  void aV2NamespacedXrWorksWithoutAClaim() {
    String ns = TestCluster.get().newNamespace("v2");
    load("""
        apiVersion: %s/v1alpha1
        kind: XGadget
        metadata: {name: gadget, namespace: %s}
        spec: {replicas: 3}
        """.formatted(GROUP, ns));
    var op = client.genericKubernetesResources(CompositeControllers.xrContext(V2)).inNamespace(ns);
    GenericKubernetesResource xr = await().atMost(Duration.ofSeconds(30)).until(() -> op.withName("gadget").get(),
        x -> "True".equals(condition(json(x), "Ready", "status")));
    JsonNode j = json(xr);
    assertThat(j.path("spec").path("crossplane").path("compositionRef").path("name").asText())
        .isEqualTo(V2_COMPOSITION);
    assertThat(j.path("spec").path("crossplane").path("resourceRefs").get(0).path("namespace").asText())
        .isEqualTo(ns);
    assertThat(j.path("status").path("replicas").asText()).isEqualTo("3");
    assertThat(client.configMaps().inNamespace(ns).withName("gadget-settings").get().getData())
        .containsEntry("replicas", "3");
    op.withName("gadget").delete();
    await().atMost(Duration.ofSeconds(30)).until(() -> op.withName("gadget").get() == null);
    assertThat(client.configMaps().inNamespace(ns).withName("gadget-settings").get()).isNull();
  }

  @Test
  void theCorpusNopClaimReachesReadyWithItsNopResourceInGitAndTheComposedValuesTheCompositionSpecifies()
      throws Exception {
    String ns = TestCluster.get().newNamespace("nop");
    JsonNode claimFile = Serialization.YAML.readTree(corpus("nop-pandt-claim.yaml"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) claimFile.path("metadata")).put("namespace", ns);
    load(Serialization.YAML.writeValueAsString(claimFile));
    String name = claimFile.path("metadata").path("name").asText();
    var claims = client.genericKubernetesResources(CompositeControllers.claimContext(NOP)).inNamespace(ns);
    GenericKubernetesResource claim = await().atMost(Duration.ofSeconds(60)).until(() -> claims.withName(name).get(),
        c -> c != null && "True".equals(condition(json(c), "Ready", "status")));

    // What the Composition says, read from it: the patch's ToUpper of spec.coolField, and the ToComposite patch.
    JsonNode template = Serialization.YAML.readTree(corpus("nop-pandt-composition.yaml")).path("spec")
        .path("resources").get(0);
    String coolField = claimFile.path("spec").path("coolField").asText();
    String expected = coolField.toUpperCase(java.util.Locale.ROOT);
    assertThat(template.path("patches").get(0).path("transforms").get(0).path("string").path("convert").asText())
        .isEqualTo("ToUpper");
    String xrName = json(claim).path("spec").path("resourceRef").path("name").asText();
    JsonNode xr = json(client.genericKubernetesResources(CompositeControllers.xrContext(NOP)).withName(xrName).get());
    assertThat(condition(xr, "Ready", "status")).isEqualTo("True");
    assertThat(xr.path("status").path("coolerField").asText()).isEqualTo(expected);
    assertThat(json(claim).path("status").path("coolerField").asText()).isEqualTo(expected);
    assertThat(condition(xr, "Synced", "message")).contains("written to Git").contains("NopResource");

    Work work = client.resources(Work.class).inNamespace(ns).withName(xrName + "-composed").get();
    JsonNode written = Serialization.YAML.readTree(work.getSpec().files.get(0).content);
    assertThat(work.getSpec().files.get(0).path).isEqualTo(template.path("name").asText() + ".yaml");
    assertThat(written.path("apiVersion").asText()).isEqualTo(template.path("base").path("apiVersion").asText());
    assertThat(written.path("kind").asText()).isEqualTo("NopResource");
    assertThat(written.path("metadata").path("annotations").path("cool-field").asText()).isEqualTo(expected);
    assertThat(written.path("spec").path("forProvider")).isEqualTo(template.path("base").path("spec")
        .path("forProvider"));
    assertThat(written.path("metadata").path("labels").path(CrossplaneFields.CLAIM_NAME).asText()).isEqualTo(name);

    // compositeDeletePolicy: Foreground: the claim goes only after its XR, and the XR's Work goes too.
    claims.withName(name).delete();
    await().atMost(Duration.ofSeconds(60)).until(() -> claims.withName(name).get() == null);
    assertThat(client.genericKubernetesResources(CompositeControllers.xrContext(NOP)).withName(xrName).get())
        .isNull();
    await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Work.class).inNamespace(ns)
        .withName(xrName + "-composed").get() == null);
  }

  @Test
  void aStandaloneClusterXrComposingANamespacedKindMustSayWhere() {
    load("""
        apiVersion: %s/v1alpha1
        kind: XWidget
        metadata: {name: cmpst-standalone}
        spec: {parameters: {size: tiny}}
        """.formatted(GROUP));
    try {
      GenericKubernetesResource xr = await().atMost(Duration.ofSeconds(30)).until(() -> xr("cmpst-standalone"),
          x -> x != null && "False".equals(condition(json(x), "Synced", "status")));
      assertThat(condition(json(xr), "Synced", "message")).contains("NamespaceRequired")
          .contains("set metadata.namespace in the resource's base");
      assertThat(condition(json(xr), "Ready", "status")).isEqualTo("False");
    } finally {
      client.genericKubernetesResources(CompositeControllers.xrContext(KINDS)).withName("cmpst-standalone").delete();
      await().atMost(Duration.ofSeconds(30)).until(() -> xr("cmpst-standalone") == null);
    }
  }
}
