package dev.tarmac.crossplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.statestore.StateStoreLayout;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestStores;
import dev.tarmac.trace.TraceNode;
import dev.tarmac.trace.TraceRenderer;
import dev.tarmac.trace.Tracer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole Crossplane chain inside one operator ({@code --crossplane --crossplane-crds}), with the corpus files
 * applied unchanged (issue 19, "Done when"): the XRD controller generates the XR and claim CRDs, the XR and claim
 * controllers compose the corpus claims with the corpus Compositions, the composed kinds the test cluster does not
 * serve (NopResource, the Azure provider kinds) are written to Git through a Work and Published on this class's
 * embedded-store Destination, the claims become Ready, their connection Secrets hold the filtered keys, the trace
 * shows claim → XR → composed resources → Work, and deleting a claim removes the XR, the Work, its files in Git and
 * the Secrets. A v2 namespaced XR from {@code examples/crossplane/} is composed by a Pipeline Composition.
 */
@Tag("apiserver")
class CrossplaneCorpusApiServerTest {

  private static final String NOP_XRD = "xnopresources.nop.example.org";
  private static final String AZURE_XRD = "xpostgresqlinstances.database.example.org";
  private static final String APP_XRD = "apps.example.crossplane.io";
  private static final List<String> XRDS = List.of(NOP_XRD, AZURE_XRD, APP_XRD);
  /** The CRDs the XRDs generate; also Tarmac's postgresqlinstance Promise's claim CRD (docs/crossplane.md). */
  private static final List<String> GENERATED = List.of(NOP_XRD, "nopresources.nop.example.org", AZURE_XRD,
      "postgresqlinstances.database.example.org", APP_XRD);
  private static final String NOP_COMPOSITION = "xnopresources.nop.example.org";
  private static final String AZURE_COMPOSITION = "xpostgresqlinstances.azure.database.example.org";
  private static final String APP_COMPOSITION = "app-yaml";
  private static final String STORE = "xpcorpus-test";
  private static final String NS = "default";

  private static KubernetesClient client;
  private static TarmacOperator operator;
  private static Path data;
  private static Path repo;

  @BeforeAll
  static void start() throws IOException {
    client = TestCluster.get().client();
    // As XrdApiServerTest: another class (or Tarmac's postgresqlinstance Promise) may have left these CRDs.
    // Tarmac's shipped postgresqlinstance Promise generates the same claim CRD: left by another class, this class's
    // operator would re-create that CRD for it.
    TestCluster.removeLeftoverPromise(client, "postgresqlinstance");
    TestCluster.deleteCrds(client, GENERATED);
    data = Files.createTempDirectory("xp-corpus-test");
    repo = data.resolve("data/git/" + STORE + ".git");
    String operatorNs = TestCluster.get().newNamespace("xpcorpus");
    // The corpus Compositions select no Destinations: their Works go to every one, so none may be a leftover.
    TestCluster.removeLeftoverDestinations(client);
    TestStores.create(client, STORE, null, Map.of("suite", STORE), null);
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, operatorNs,
        "xpcorpus-test", data.resolve("data"), false, 4, false, "ghcr.io/tarmac-dev/tarmac:test"))
        .withCrossplaneCrds(true).withCrossplane(true).start();
    for (String f : List.of("nop-pandt-xrd.yaml", "azure-postgres-xrd.yaml", "nop-pandt-composition.yaml",
        "azure-postgres-composition.yaml")) {
      applyFile(corpus(f));
    }
    applyFile(RepoPaths.repo().resolve("examples/crossplane/app-xrd.yaml"));
    for (String xrd : XRDS) {
      await().atMost(Duration.ofSeconds(60)).until(() -> "True".equals(condition(json(xrds().withName(xrd).get()),
          "Established", "status")));
    }
  }

  @AfterAll
  static void stop() {
    try {
      for (String xrd : XRDS) {
        xrds().withName(xrd).delete();
      }
      for (String xrd : XRDS) {
        await().atMost(Duration.ofSeconds(60)).until(() -> xrds().withName(xrd).get() == null);
      }
      for (String c : List.of(NOP_COMPOSITION, AZURE_COMPOSITION, APP_COMPOSITION)) {
        client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", "Composition").withName(c).delete();
      }
      client.resources(Destination.class).withName(STORE).delete();
      client.resources(GitStateStore.class).withName(STORE).delete();
    } finally {
      if (operator != null) {
        operator.close();
      }
      TestCluster.deleteCrds(client, GENERATED);
    }
  }

  private static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
      io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> xrds() {
    return client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", CrossplaneKinds.XRD_KIND);
  }

  private static Path corpus(String file) {
    return RepoPaths.corpus().resolve("crossplane").resolve(file);
  }

  private static void applyFile(Path file) throws IOException {
    client.load(Files.newInputStream(file)).serverSideApply();
  }

  private static JsonNode yaml(Path file) throws IOException {
    return Serialization.YAML.readTree(file.toFile());
  }

  private static JsonNode json(Object o) {
    return Serialization.JSON.valueToTree(o);
  }

  private static String condition(JsonNode o, String type, String field) {
    for (JsonNode c : o.path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path(field).asText();
      }
    }
    return null;
  }

  /** git in the embedded store's bare repository; null when the command fails (for instance a missing path). */
  private static String git(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("git", "--git-dir", repo.toString()));
    command.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() == 0 ? out : null;
  }

  /**
   * The files of the Work's folder ({@link StateStoreLayout#ownerDir}, under the Destination's folder) on the store's
   * main branch, by file name, with their content.
   */
  private static Map<String, String> gitFiles(String ownerDir) throws Exception {
    String list = git("ls-tree", "-r", "--name-only", "main");
    Map<String, String> files = new java.util.TreeMap<>();
    if (list == null) {
      return files;
    }
    for (String path : list.split("\n")) {
      if (path.startsWith(STORE + "/" + ownerDir + "/")) {
        files.put(path.substring(path.lastIndexOf('/') + 1), git("show", "main:" + path));
      }
    }
    return files;
  }

  private static GenericKubernetesResource awaitReady(String apiVersion, String kind, String name) {
    return await().atMost(Duration.ofSeconds(90)).until(() -> client.genericKubernetesResources(apiVersion, kind)
        .inNamespace(NS).withName(name).get(), c -> c != null && "True".equals(condition(json(c), "Ready", "status")));
  }

  /** The composed resource {@code template} as written to Git, read from the Work's files in the repository. */
  private static JsonNode composed(Map<String, String> files, String template) throws IOException {
    assertThat(files).containsKey(template + ".yaml");
    return Serialization.YAML.readTree(files.get(template + ".yaml"));
  }

  /**
   * {@code tarmac trace <kind> <claim> -n default}: claim → XR (Ready) → each composed resource, in Git through the
   * Work, which is placed on this class's Destination; the claim's connection Secret by its keys.
   */
  private static void assertTraced(String kind, String claim, String xrName, String work, List<String> templates,
      String secret) {
    TraceNode root = new Tracer(client).trace(kind, NS, claim);
    String text = TraceRenderer.text(root);
    assertThat(root.name).as(text).isEqualTo(claim);
    assertThat(root.status).as(text).isEqualTo("True");
    TraceNode xr = root.children.stream().filter(c -> xrName.equals(c.name)).findFirst().orElseThrow();
    assertThat(xr.status).as(text).isEqualTo("True");
    for (String t : templates) {
      TraceNode composed = xr.children.stream().filter(c -> CompositeRules.composedName(xrName, t).equals(c.name))
          .findFirst().orElseThrow(() -> new AssertionError(t + " not in the trace:\n" + text));
      assertThat(composed.reason).as(text).isEqualTo("Published");
      assertThat(composed.detail).as(text).contains("Git").contains("Work " + work);
      TraceNode w = composed.children.stream().filter(c -> "Work".equals(c.kind)).findFirst().orElseThrow();
      assertThat(w.name).isEqualTo(work);
      assertThat(TraceRenderer.text(w)).as(text).contains(STORE);
    }
    if (secret != null) {
      assertThat(root.children).as(text).anyMatch(c -> "Secret".equals(c.kind) && secret.equals(c.name)
          && c.detail.contains("port"));
    }
  }

  @Test
  void theNopClaimComposesItsNopResourceInGitIsReadyAndIsDeletedWithEverything() throws Exception {
    JsonNode claimFile = yaml(corpus("nop-pandt-claim.yaml"));
    applyFile(corpus("nop-pandt-claim.yaml"));
    String name = claimFile.path("metadata").path("name").asText();
    String apiVersion = claimFile.path("apiVersion").asText();
    GenericKubernetesResource claim = awaitReady(apiVersion, "NopResource", name);
    JsonNode c = json(claim);
    // Composed kinds the cluster does not serve count ready once Published, and the message says so.
    assertThat(condition(c, "Ready", "message")).as(c.toString()).contains("written to Git")
        .contains(CompositeRules.xrName(NS, name, claim.getMetadata().getUid()) + "-composed");

    String xrName = c.path("spec").path("resourceRef").path("name").asText();
    assertThat(xrName).isEqualTo(CompositeRules.xrName(NS, name, claim.getMetadata().getUid()));
    assertThat(c.path("spec").path("resourceRef").path("kind").asText()).isEqualTo("XNopResource");
    JsonNode xr = json(client.genericKubernetesResources(apiVersion, "XNopResource").withName(xrName).get());
    assertThat(xr.path("spec").path("claimRef").path("name").asText()).isEqualTo(name);
    assertThat(xr.path("spec").path("claimRef").path("namespace").asText()).isEqualTo(NS);
    assertThat(condition(xr, "Ready", "status")).isEqualTo("True");
    assertThat(condition(xr, "Synced", "message")).as(xr.toString()).contains("written to Git");

    // From the Composition: FromCompositeFieldPath spec.coolField → metadata.annotations[cool-field], ToUpper;
    // ToCompositeFieldPath metadata.annotations[cool-field] → status.coolerField.
    JsonNode template = yaml(corpus("nop-pandt-composition.yaml")).path("spec").path("resources").get(0);
    JsonNode toUpper = template.path("patches").get(0);
    assertThat(toUpper.path("fromFieldPath").asText()).isEqualTo("spec.coolField");
    assertThat(toUpper.path("toFieldPath").asText()).isEqualTo("metadata.annotations[cool-field]");
    assertThat(toUpper.path("transforms").get(0).path("string").path("convert").asText()).isEqualTo("ToUpper");
    assertThat(template.path("patches").get(1).path("toFieldPath").asText()).isEqualTo("status.coolerField");
    String expected = claimFile.path("spec").path("coolField").asText().toUpperCase(Locale.ROOT);

    String workName = xrName + "-composed";
    Work work = client.resources(Work.class).inNamespace(NS).withName(workName).get();
    assertThat(work).isNotNull();
    String dir = StateStoreLayout.ownerDir(work);
    Map<String, String> files = gitFiles(dir);
    JsonNode nop = composed(files, template.path("name").asText());
    assertThat(nop.path("apiVersion").asText()).isEqualTo(template.path("base").path("apiVersion").asText());
    assertThat(nop.path("kind").asText()).isEqualTo(template.path("base").path("kind").asText());
    assertThat(nop.path("metadata").path("name").asText()).isEqualTo(CompositeRules.composedName(xrName,
        template.path("name").asText()));
    assertThat(nop.path("metadata").path("labels").path(CrossplaneFields.CLAIM_NAME).asText()).isEqualTo(name);
    assertThat(nop.path("metadata").path("labels").path(CrossplaneFields.COMPOSITE).asText()).isEqualTo(xrName);
    assertThat(nop.path("metadata").has("namespace")).isFalse();
    assertThat(nop.path("metadata").path("annotations").path("cool-field").asText()).isEqualTo(expected);
    assertThat(nop.path("spec").path("forProvider")).isEqualTo(template.path("base").path("spec")
        .path("forProvider"));
    assertThat(xr.path("status").path("coolerField").asText()).isEqualTo(expected);
    assertThat(c.path("status").path("coolerField").asText()).isEqualTo(expected);

    assertTraced("NopResource", name, xrName, workName, List.of(template.path("name").asText()), null);

    // The catalog: claim and XR as Resources, the claim depending on its XR and both on the Composition.
    String claimRef = "resource:" + NS + "/" + name;
    String xrRef = "resource:" + NS + "/" + xrName;
    JsonNode entity = await().atMost(Duration.ofSeconds(60)).until(() -> operator.catalog().index().snapshot()
        .byRef().get(claimRef), e -> e != null && operator.catalog().index().snapshot().byRef().containsKey(xrRef));
    assertThat(entity.path("spec").path("ready").asText()).isEqualTo("True");
    assertThat(entity.toString()).contains(xrRef).contains("template:default/" + NOP_COMPOSITION);

    // compositeDeletePolicy: Foreground (the claim file): the claim goes after its XR, then the Work and its files.
    client.genericKubernetesResources(apiVersion, "NopResource").inNamespace(NS).withName(name).delete();
    await().atMost(Duration.ofSeconds(60)).until(() -> client.genericKubernetesResources(apiVersion, "NopResource")
        .inNamespace(NS).withName(name).get() == null);
    assertThat(client.genericKubernetesResources(apiVersion, "XNopResource").withName(xrName).get()).isNull();
    await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Work.class).inNamespace(NS)
        .withName(workName).get() == null);
    await().atMost(Duration.ofSeconds(60)).until(() -> gitFiles(dir).isEmpty());
  }

  @Test
  void theAzurePostgresClaimComposesThreeProviderResourcesInGitWithItsConnectionSecret() throws Exception {
    JsonNode claimFile = yaml(corpus("azure-postgres-claim.yaml"));
    applyFile(corpus("azure-postgres-claim.yaml"));
    String name = claimFile.path("metadata").path("name").asText();
    String apiVersion = claimFile.path("apiVersion").asText();
    GenericKubernetesResource claim = awaitReady(apiVersion, "PostgreSQLInstance", name);
    JsonNode c = json(claim);
    String xrName = c.path("spec").path("resourceRef").path("name").asText();
    assertThat(xrName).isEqualTo(CompositeRules.xrName(NS, name, claim.getMetadata().getUid()));
    GenericKubernetesResource xrObject = client.genericKubernetesResources(apiVersion, "XPostgreSQLInstance")
        .withName(xrName).get();
    JsonNode xr = json(xrObject);
    assertThat(xr.path("spec").path("claimRef").path("name").asText()).isEqualTo(name);
    assertThat(xr.path("spec").path("compositionRef").path("name").asText()).isEqualTo(AZURE_COMPOSITION);
    assertThat(condition(xr, "Ready", "status")).isEqualTo("True");
    assertThat(condition(c, "Ready", "message")).as(c.toString()).contains("written to Git")
        .contains(xrName + "-composed");

    JsonNode composition = yaml(corpus("azure-postgres-composition.yaml"));
    JsonNode resources = composition.path("spec").path("resources");
    String workName = xrName + "-composed";
    Work work = client.resources(Work.class).inNamespace(NS).withName(workName).get();
    assertThat(work).isNotNull();
    String dir = StateStoreLayout.ownerDir(work);
    Map<String, String> files = gitFiles(dir);
    List<String> templates = new ArrayList<>();
    resources.forEach(r -> templates.add(r.path("name").asText()));
    assertThat(files.keySet()).containsExactlyInAnyOrderElementsOf(templates.stream().map(t -> t + ".yaml")
        .toList());

    // resourcegroup: the base as written.
    JsonNode group = composed(files, "resourcegroup");
    assertThat(group.path("kind").asText()).isEqualTo(resources.get(0).path("base").path("kind").asText());
    assertThat(group.path("spec").path("location").asText())
        .isEqualTo(resources.get(0).path("base").path("spec").path("location").asText());

    // postgresqlserver: storageMB = storageGB × the math transform's multiply; the Secret name from the fmt.
    JsonNode server = composed(files, "postgresqlserver");
    JsonNode base = resources.get(1).path("base");
    JsonNode storagePatch = resources.get(1).path("patches").get(1);
    assertThat(storagePatch.path("toFieldPath").asText()).isEqualTo("spec.forProvider.storageProfile.storageMB");
    long multiply = storagePatch.path("transforms").get(0).path("math").path("multiply").asLong();
    assertThat(server.path("spec").path("forProvider").path("storageProfile").path("storageMB").asLong())
        .isEqualTo(claimFile.path("spec").path("parameters").path("storageGB").asLong() * multiply)
        .isEqualTo(20 * 1024);
    String fmt = resources.get(1).path("patches").get(0).path("transforms").get(0).path("string").path("fmt")
        .asText();
    assertThat(server.path("spec").path("writeConnectionSecretToRef").path("name").asText())
        .isEqualTo(String.format(fmt, xrObject.getMetadata().getUid()));
    for (String field : List.of("administratorLogin", "location", "sslEnforcement", "version")) {
      assertThat(server.path("spec").path("forProvider").path(field).asText()).as(field)
          .isEqualTo(base.path("spec").path("forProvider").path(field).asText());
    }
    assertThat(server.path("spec").path("forProvider").path("location").asText()).isEqualTo("West US 2");
    assertThat(server.path("spec").path("forProvider").path("sku"))
        .isEqualTo(base.path("spec").path("forProvider").path("sku"));

    // firewallrule: the base as written.
    JsonNode rule = composed(files, "firewallrule");
    assertThat(rule.path("spec").path("forProvider").path("properties"))
        .isEqualTo(resources.get(2).path("base").path("spec").path("forProvider").path("properties"));

    // The claim's connection Secret: the FromValue key; no value of it in Git.
    String secretName = claimFile.path("spec").path("writeConnectionSecretToRef").path("name").asText();
    Secret secret = await().atMost(Duration.ofSeconds(30)).until(() -> client.secrets().inNamespace(NS)
        .withName(secretName).get(), s -> s != null && s.getData() != null && s.getData().containsKey("port"));
    assertThat(new String(Base64.getDecoder().decode(secret.getData().get("port")), StandardCharsets.UTF_8))
        .isEqualTo("5432");
    assertThat(secret.getData().keySet()).isSubsetOf(List.of("username", "password", "endpoint", "port"));
    String everything = git("log", "-p", "--all");
    assertThat(everything).isNotEmpty().doesNotContain("5432").doesNotContain("kind: Secret");
    // The XR's own Secret: named by the claim's UID in the claim's namespace (not the Composition's
    // writeConnectionSecretsToNamespace), holding the same filtered keys.
    JsonNode xrSecretRef = xr.path("spec").path("writeConnectionSecretToRef");
    String xrSecret = xrSecretRef.path("name").asText();
    assertThat(xrSecret).isEqualTo(claim.getMetadata().getUid());
    assertThat(xrSecretRef.path("namespace").asText()).isEqualTo(NS);
    assertThat(client.secrets().inNamespace(NS).withName(xrSecret).get().getData()).containsKey("port")
        .doesNotContainKey("extra");
    // The claim named no Composition: the one its compositionSelector matched is written back.
    assertThat(json(client.genericKubernetesResources(apiVersion, "PostgreSQLInstance").inNamespace(NS)
        .withName(name).get()).path("spec").path("compositionRef").path("name").asText())
        .isEqualTo(AZURE_COMPOSITION);

    assertTraced("PostgreSQLInstance", name, xrName, workName, templates, secretName);

    // Settled: once Ready nothing is written again (no status loop between XR and claim, no new commits).
    String commits = git("rev-list", "--count", "main");
    String xrVersion = client.genericKubernetesResources(apiVersion, "XPostgreSQLInstance").withName(xrName).get()
        .getMetadata().getResourceVersion();
    String claimVersion = client.genericKubernetesResources(apiVersion, "PostgreSQLInstance").inNamespace(NS)
        .withName(name).get().getMetadata().getResourceVersion();
    await().during(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(15)).until(() -> commits.equals(
        git("rev-list", "--count", "main")) && xrVersion.equals(client.genericKubernetesResources(apiVersion,
        "XPostgreSQLInstance").withName(xrName).get().getMetadata().getResourceVersion())
        && claimVersion.equals(client.genericKubernetesResources(apiVersion, "PostgreSQLInstance").inNamespace(NS)
        .withName(name).get().getMetadata().getResourceVersion()));

    // Background: the claim goes at once; the XR, its Work, its files and both Secrets follow.
    client.genericKubernetesResources(apiVersion, "PostgreSQLInstance").inNamespace(NS).withName(name).delete();
    await().atMost(Duration.ofSeconds(60)).until(() -> client.genericKubernetesResources(apiVersion,
        "XPostgreSQLInstance").withName(xrName).get() == null);
    await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Work.class).inNamespace(NS)
        .withName(workName).get() == null);
    await().atMost(Duration.ofSeconds(60)).until(() -> gitFiles(dir).isEmpty());
    await().atMost(Duration.ofSeconds(30)).until(() -> client.secrets().inNamespace(NS).withName(secretName)
        .get() == null && client.secrets().inNamespace(NS).withName(xrSecret).get() == null);
  }

  @Test
  void theV2AppXrIsComposedByAPipelineWithoutAClaim() throws Exception {
    String ns = TestCluster.get().newNamespace("xpapp");
    client.load(new ByteArrayInputStream("""
        apiVersion: apiextensions.crossplane.io/v1
        kind: Composition
        metadata: {name: %s}
        spec:
          compositeTypeRef: {apiVersion: example.crossplane.io/v1, kind: App}
          mode: Pipeline
          pipeline:
            - step: patch-and-transform
              functionRef: {name: function-patch-and-transform}
              input:
                apiVersion: pt.fn.crossplane.io/v1beta1
                kind: Resources
                resources:
                  - name: config
                    base: {apiVersion: v1, kind: ConfigMap, data: {tier: web}}
                    patches:
                      - fromFieldPath: spec.image
                        toFieldPath: data.image
                        transforms: [{type: string, string: {type: Format, fmt: "docker.io/library/%%s"}}]
                      - {type: ToCompositeFieldPath, fromFieldPath: data.image, toFieldPath: status.address}
            - step: automatically-detect-ready-composed-resources
              functionRef: {name: function-auto-ready}
        """.formatted(APP_COMPOSITION).getBytes(StandardCharsets.UTF_8))).serverSideApply();
    JsonNode app = yaml(RepoPaths.repo().resolve("examples/crossplane/app.yaml"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) app.path("metadata")).put("namespace", ns);
    client.load(new ByteArrayInputStream(Serialization.YAML.writeValueAsBytes(app))).serverSideApply();
    String name = app.path("metadata").path("name").asText();
    var apps = client.genericKubernetesResources("example.crossplane.io/v1", "App").inNamespace(ns);
    GenericKubernetesResource xr = await().atMost(Duration.ofSeconds(60)).until(() -> apps.withName(name).get(),
        x -> x != null && "True".equals(condition(json(x), "Ready", "status")));
    String expected = "docker.io/library/" + app.path("spec").path("image").asText();
    assertThat(json(xr).path("status").path("address").asText()).isEqualTo(expected);
    ConfigMap cm = client.configMaps().inNamespace(ns).withName(CompositeRules.composedName(name, "config")).get();
    assertThat(cm.getData()).containsEntry("image", expected).containsEntry("tier", "web");
    assertThat(cm.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo(name));
    apps.withName(name).delete();
    await().atMost(Duration.ofSeconds(30)).until(() -> apps.withName(name).get() == null);
    assertThat(client.configMaps().inNamespace(ns).withName(CompositeRules.composedName(name, "config")).get())
        .isNull();
  }
}
