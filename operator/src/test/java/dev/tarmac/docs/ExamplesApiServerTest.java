package dev.tarmac.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.promise.RequestCrdBuilder;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The docs cannot rot: every YAML document in {@code examples/} and every {@code yaml} code block in {@code docs/}
 * and the README is applied to the real API server (server-side apply, dry run) against the CRDs it names — Tarmac's,
 * the request kinds the shipped Promises generate, and stand-ins for Argo CD's and Flux's kinds. A document fails when
 * the API server refuses it, or when it silently drops a field the document sets (a misspelt field is pruned by a
 * structural schema, not refused, so the test compares what was sent with what would be stored).
 */
@Tag("apiserver")
class ExamplesApiServerTest {

  /** Where one document came from. */
  record Document(String source, int index, ObjectNode object) {
    String describe() {
      return source + " #" + index + " (" + object.path("kind").asText() + " "
          + object.path("metadata").path("name").asText() + ")";
    }
  }

  private static final Pattern YAML_BLOCK = Pattern.compile("```ya?ml\\n(.*?)```", Pattern.DOTALL);
  private static KubernetesClient client;
  private static final List<String> fragments = new ArrayList<>();
  private static final List<String> templated = new ArrayList<>();

  @BeforeAll
  static void installKinds() throws IOException {
    client = TestCluster.get().client();
    List<CustomResourceDefinition> crds = new ArrayList<>();
    try (Stream<Path> promises = Files.list(RepoPaths.repo().resolve("promises"))) {
      for (Path p : promises.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        JsonNode promise = Serialization.YAML.readTree(p.toFile());
        ObjectNode crd = RequestCrdBuilder.build(promise.path("metadata").path("name").asText(),
            promise.path("spec").path("api"));
        crds.add(Serialization.JSON.treeToValue(crd, CustomResourceDefinition.class));
      }
    }
    // The request kinds of the Promises the examples and docs themselves show (Tarmac's and Kratix's).
    for (Document d : documents()) {
      JsonNode api = d.object().path("spec").path("api");
      // docs/promises.md sketches a Promise's shape with "..." for the CRD: no request kind to install for that one.
      if (d.object().path("kind").asText().equals("Promise") && api.path("spec").has("group")) {
        crds.add(Serialization.JSON.treeToValue(RequestCrdBuilder.build(d.object().path("metadata").path("name")
            .asText(), api), CustomResourceDefinition.class));
      }
    }
    // Crossplane's XRD and Composition kinds as Tarmac serves them (--crossplane-crds), and the XR and claim kinds the
    // XRDs of the examples and docs generate (docs/crossplane.md).
    for (var crd : dev.tarmac.crossplane.CrossplaneKinds.crds()) {
      crds.add(Serialization.JSON.treeToValue(crd, CustomResourceDefinition.class));
    }
    for (Document d : documents()) {
      if (d.object().path("kind").asText().equals(dev.tarmac.crossplane.CrossplaneKinds.XRD_KIND)) {
        crds.add(Serialization.JSON.treeToValue(dev.tarmac.crossplane.XrdCrds.compositeCrd(d.object()),
            CustomResourceDefinition.class));
        var claim = dev.tarmac.crossplane.XrdCrds.claimCrd(d.object());
        if (claim.isPresent()) {
          crds.add(Serialization.JSON.treeToValue(claim.get(), CustomResourceDefinition.class));
        }
      }
    }
    // Backstage's kinds as Tarmac serves them (--backstage-crds): docs/backstage.md shows a scaffolder Template.
    for (var kind : dev.tarmac.backstage.BackstageKinds.KINDS) {
      crds.add(Serialization.JSON.treeToValue(dev.tarmac.backstage.BackstageKinds.crd(kind),
          CustomResourceDefinition.class));
    }
    // Argo CD and Flux own these kinds; neither runs on these machines. Their stand-ins accept any body, so the
    // manifests under examples/argocd and examples/flux are checked for apiVersion, kind and metadata only.
    crds.add(standIn("argoproj.io", "v1alpha1", "Application", "applications"));
    crds.add(standIn("source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories"));
    crds.add(standIn("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations"));
    for (CustomResourceDefinition crd : crds) {
      client.resource(crd).forceConflicts().serverSideApply();
    }
    for (CustomResourceDefinition crd : crds) {
      client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
          .waitUntilCondition(TestCluster::established, 30, TimeUnit.SECONDS);
    }
  }

  private static CustomResourceDefinition standIn(String group, String version, String kind, String plural)
      throws IOException {
    return Serialization.YAML.readValue("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: %4$s.%1$s}
        spec:
          group: %1$s
          names: {kind: %3$s, plural: %4$s}
          scope: Namespaced
          versions:
            - name: %2$s
              served: true
              storage: true
              schema:
                openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
        """.formatted(group, version, kind, plural), CustomResourceDefinition.class);
  }

  /** Every document, in a stable order; YAML fragments of docs (no apiVersion and kind) are counted apart. */
  static List<Document> documents() throws IOException {
    List<Document> out = new ArrayList<>();
    Path repo = RepoPaths.repo();
    try (Stream<Path> files = Files.walk(repo.resolve("examples"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
          .toList()) {
        addAll(out, repo.relativize(f).toString(), Files.readString(f));
      }
    }
    List<Path> markdown = new ArrayList<>();
    try (Stream<Path> docs = Files.list(repo.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(markdown::add);
    }
    markdown.add(repo.resolve("README.md"));
    for (Path md : markdown) {
      Matcher m = YAML_BLOCK.matcher(Files.readString(md));
      int block = 0;
      while (m.find()) {
        addAll(out, repo.relativize(md) + " yaml block " + (++block), m.group(1));
      }
    }
    return out;
  }

  private static void addAll(List<Document> out, String source, String yaml) throws IOException {
    int index = 0;
    try (MappingIterator<JsonNode> it = Serialization.YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        index++;
        if (doc == null || !doc.isObject() || doc.isEmpty()) {
          continue;
        }
        if (source.startsWith("docs/") && doc.path("metadata").toString().contains("${{")) {
          // A skeleton file a Backstage template renders (docs/backstage.md): applied once rendered, not as written.
          synchronized (templated) {
            if (!templated.contains(source)) {
              templated.add(source);
            }
          }
          continue;
        }
        if (!doc.has("apiVersion") || !doc.has("kind")) {
          synchronized (fragments) {
            if (!fragments.contains(source)) {
              fragments.add(source);
            }
          }
          continue;
        }
        out.add(new Document(source, index, (ObjectNode) doc));
      }
    }
  }

  @Test
  void findsEveryDocument() throws IOException {
    List<Document> docs = documents();
    // As many as the repository holds today; a finder that breaks finds fewer and fails here.
    assertThat(docs).hasSizeGreaterThanOrEqualTo(20);
    assertThat(docs).extracting(Document::source).anyMatch(s -> s.startsWith("examples/argocd/"))
        .anyMatch(s -> s.startsWith("examples/flux/")).anyMatch(s -> s.startsWith("docs/"))
        .anyMatch(s -> s.startsWith("examples/templates/"));
    // The fragments (a values.yaml excerpt, a pipeline's status.yaml) are listed, not silently skipped.
    assertThat(fragments).containsExactlyInAnyOrder("docs/helm.md yaml block 1", "docs/gitops.md yaml block 2",
        "docs/http-auth.md yaml block 2", "docs/templates.md yaml block 1",
        "docs/promises.md yaml block " + promisesFragmentBlock(), "docs/backstage.md yaml block 2",
        "docs/backstage.md yaml block 3", "docs/backstage.md yaml block 7", "docs/backstage.md yaml block 8",
        "docs/backstage.md yaml block 9");
    // Skeleton files with template expressions in their metadata: listed too.
    assertThat(templated).containsExactly("docs/backstage.md yaml block 5");
  }

  private static int promisesFragmentBlock() throws IOException {
    Matcher m = YAML_BLOCK.matcher(Files.readString(RepoPaths.repo().resolve("docs/promises.md")));
    int block = 0;
    while (m.find()) {
      block++;
      JsonNode doc = Serialization.YAML.readTree(m.group(1));
      if (doc != null && !doc.has("kind")) {
        return block;
      }
    }
    return -1;
  }

  @TestFactory
  Stream<DynamicTest> everyDocumentIsAcceptedAsWritten() throws IOException {
    List<Document> docs = documents();
    // Namespaces first, for real: the other documents are applied into them.
    for (Document d : docs) {
      if (d.object().path("kind").asText().equals("Namespace")) {
        client.resource(Serialization.JSON.treeToValue(d.object(), GenericKubernetesResource.class))
            .fieldManager("docs-test").forceConflicts().serverSideApply();
      }
    }
    for (Document d : docs) {
      String ns = d.object().path("metadata").path("namespace").asText(null);
      if (ns != null && client.namespaces().withName(ns).get() == null) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
            .serverSideApply();
      }
    }
    return docs.stream().filter(d -> !d.object().path("kind").asText().equals("Namespace"))
        .map(d -> DynamicTest.dynamicTest(d.describe(), () -> accepted(d)));
  }

  private static void accepted(Document d) throws IOException {
    GenericKubernetesResource sent = Serialization.JSON.treeToValue(d.object(), GenericKubernetesResource.class);
    if (sent.getMetadata().getNamespace() == null && namespaced(sent)) {
      sent.getMetadata().setNamespace("default");
    }
    GenericKubernetesResource stored;
    try {
      String group = sent.getApiVersion().contains("/") ? sent.getApiVersion().split("/")[0] : "";
      if (group.endsWith("backstage.io")) {
        // Backstage descriptors carry metadata fields ObjectMeta lacks (title, ...): `kubectl apply` (client-side,
        // what docs/backstage.md tells users to run) creates them with those fields dropped, server-side apply
        // refuses them. Checked the way users apply them.
        stored = client.resource(sent).dryRun().create();
      } else {
        stored = client.resource(sent).dryRun().fieldManager("docs-test").forceConflicts().serverSideApply();
      }
    } catch (KubernetesClientException e) {
      throw new AssertionError(d.describe() + " is refused by the API server: " + (e.getStatus() == null
          ? e.getMessage() : e.getStatus().getMessage()), e);
    }
    List<String> dropped = new ArrayList<>();
    missing(d.object().path("spec"), Serialization.JSON.valueToTree(stored).path("spec"), "spec", dropped);
    assertThat(dropped).as("%s sets fields its schema does not have (pruned by the API server)", d.describe())
        .isEmpty();
  }

  private static boolean namespaced(GenericKubernetesResource r) {
    return client.getApiResources(r.getApiVersion()).getResources().stream()
        .filter(x -> x.getKind().equals(r.getKind()) && !x.getName().contains("/")).findFirst()
        .map(x -> Boolean.TRUE.equals(x.getNamespaced())).orElse(true);
  }

  /** Adds to {@code out} every path set in {@code sent} that {@code stored} does not have. */
  private static void missing(JsonNode sent, JsonNode stored, String path, List<String> out) {
    if (sent.isObject()) {
      if (!stored.isObject()) {
        out.add(path);
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = sent.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (f.getValue().isNull()) {
          continue;
        }
        JsonNode s = stored.get(f.getKey());
        if (s == null) {
          out.add(path + "." + f.getKey());
        } else {
          missing(f.getValue(), s, path + "." + f.getKey(), out);
        }
      }
    } else if (sent.isArray() && stored.isArray()) {
      for (int i = 0; i < sent.size() && i < stored.size(); i++) {
        missing(sent.get(i), stored.get(i), path + "[" + i + "]", out);
      }
    }
  }
}
