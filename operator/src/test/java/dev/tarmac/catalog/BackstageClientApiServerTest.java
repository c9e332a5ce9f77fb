package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Serialization;
import dev.tarmac.backstage.BackstageKinds;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestAccess;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backstage users move in unchanged (issue 18): Backstage's published example catalogs (shared/corpus/backstage,
 * unmodified) and entities of our own are applied with the real {@code kubectl} to the real API server, the operator
 * serves them with a Tarmac Component in one catalog, and Backstage's own {@code @backstage/catalog-client} (installed
 * from npm with {@code npm ci} against the committed lockfile in src/test/node/catalog-client) calls every read
 * method with a ServiceAccount token, asserting the relations Backstage's rules give (suite.mjs). Skipped only where
 * {@code node} is not installed.
 */
@Tag("apiserver")
class BackstageClientApiServerTest {

  @TempDir
  Path tmp;

  private static final Path SUITE = RepoPaths.repo().resolve("operator/src/test/node/catalog-client");

  @Test
  void backstagesCatalogClientReadsTheCatalogAppliedWithKubectl() throws Exception {
    Assumptions.assumeTrue(onPath("node") && onPath("npm"), "node and npm are not installed: the"
        + " @backstage/catalog-client suite needs them (CI has them)");
    npmCi();
    KubernetesClient client = TestCluster.get().client();
    Path kubeconfig = tmp.resolve("kubeconfig");
    Files.writeString(kubeconfig, TestCluster.get().kubeconfig());
    try (TarmacOperator op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default",
        "test", tmp.resolve("data"), false, 4, false, "tarmac:test", false)).withBackstageCrds(true).start()) {
      assertThat(op.catalog().backstageKinds()).contains("Component", "API", "Resource", "System", "Domain",
          "Group", "User", "Location", "AiResource", "Template");
      // The corpus as it is, with kubectl: one directory, multi-document files, namespaces as written.
      if (client.namespaces().withName("portefaix").get() == null) {
        client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
            .withName("portefaix").endMetadata().build()).create();
      }
      Kubectl applied = kubectl(kubeconfig, "apply", "-R", "-f", RepoPaths.corpus().resolve("backstage").toString());
      assertThat(applied.exit()).as(applied.output()).isZero();
      assertThat(applied.output()).contains("component.backstage.io/example-website created")
          .contains("template.scaffolder.backstage.io/example-nodejs-template created")
          .contains("airesource.backstage.io/mui-to-bui-migration created");
      Kubectl own = kubectl(kubeconfig, "apply", "-f", Path.of(getClass().getResource("/backstage/own-catalog.yaml")
          .toURI()).toString());
      assertThat(own.exit()).as(own.output()).isZero();

      // A name Kubernetes refuses: a clear error at apply time, and the import command's way round it.
      Path refused = Files.createDirectories(tmp.resolve("refused"));
      Files.writeString(refused.resolve("catalog-info.yaml"), """
          apiVersion: backstage.io/v1alpha1
          kind: Component
          metadata:
            name: My_Service
            title: Mine
          spec: {type: service, lifecycle: experimental, owner: payments-team}
          """);
      Kubectl rejected = kubectl(kubeconfig, "apply", "-f", refused.toString());
      assertThat(rejected.exit()).isNotZero();
      assertThat(rejected.output()).contains("My_Service").contains("RFC 1123");
      List<String> changes = new ArrayList<>();
      var doc = (com.fasterxml.jackson.databind.node.ObjectNode) Serialization.YAML.readTree(
          refused.resolve("catalog-info.yaml").toFile());
      dev.tarmac.cli.ImportCatalogCommand.rewrite(doc, changes);
      assertThat(changes).hasSize(2);
      Files.writeString(refused.resolve("catalog-info.yaml"), Serialization.YAML.writeValueAsString(doc));
      Kubectl imported = kubectl(kubeconfig, "apply", "-f", refused.toString());
      assertThat(imported.exit()).as(imported.output()).isZero();

      // A Tarmac Component owned by a Backstage Group: one index.
      String ns = TestCluster.get().newNamespace("tarmac-own");
      client.resource(Serialization.YAML.readValue("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata: {name: ledger, namespace: %s}
          spec: {type: service, lifecycle: production, owner: payments-team, providesApis: [ledger-api]}
          """.formatted(ns), Component.class)).create();

      // A real token: a ServiceAccount allowed to get Backstage's kinds and Tarmac's Components, nothing else.
      String saNs = TestCluster.get().newNamespace("backstage-sa");
      List<String> plurals = BackstageKinds.KINDS.stream().filter(k -> k.group().equals(BackstageKinds.GROUP))
          .map(BackstageKinds.Kind::plural).toList();
      TestAccess.allowClusterWide(client, saNs, "backstage", new PolicyRuleBuilder()
          .withApiGroups(BackstageKinds.GROUP).withResources(plurals).withVerbs("get").build());
      TestAccess.allowClusterWide(client, saNs, "backstage", TestAccess.rule(BackstageKinds.SCAFFOLDER_GROUP,
          "templates", List.of(), "get"));
      TestAccess.allowClusterWide(client, saNs, "backstage", TestAccess.rule("platform.tarmac.dev", "components",
          List.of(), "get"));
      String token = TestCluster.get().token(saNs, "backstage");
      String base = "http://127.0.0.1:" + op.http().address().getPort() + "/api/catalog";
      HttpClient http = HttpClient.newHttpClient();
      await().atMost(Duration.ofSeconds(10)).until(() -> http.send(HttpRequest.newBuilder(URI.create(base
          + "/entities/by-name/component/" + ns + "/ledger")).header("Authorization", "Bearer " + token).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() == 200
          && http.send(HttpRequest.newBuilder(URI.create(base + "/entities/by-name/component/default/my_service"))
          .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode() == 200);
      // Without a token: 401, the catalog's usual authentication.
      assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/entities")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);

      ProcessBuilder node = new ProcessBuilder("node", "suite.mjs").directory(SUITE.toFile()).redirectErrorStream(true);
      node.environment().put("CATALOG_URL", base);
      node.environment().put("TOKEN", token);
      node.environment().put("TARMAC_NS", ns);
      Process p = node.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      System.out.println(out);
      assertThat(p.exitValue()).as(out).isZero();
      String last = out.strip().lines().reduce((a, b) -> b).orElse("");
      JsonNode done = Serialization.JSON.readTree(last).path("done");
      List<String> methods = new ArrayList<>();
      done.forEach(m -> methods.add(m.asText()));
      // Every read method of CatalogClient 1.16.x, and the write calls refused.
      assertThat(methods).containsExactlyInAnyOrder("getEntities", "getEntitiesByRefs", "queryEntities",
          "streamEntities", "getEntityByRef", "getEntityAncestors", "getEntityFacets", "getLocations",
          "getLocationByRef", "getLocationById", "queryLocations", "streamLocations", "getLocationByEntity",
          "refreshEntity", "validateEntity", "getEntityByName", "writes");
    }
  }

  private static void npmCi() throws IOException, InterruptedException {
    if (Files.isDirectory(SUITE.resolve("node_modules/@backstage/catalog-client"))) {
      return;
    }
    Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(SUITE.toFile())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as("npm ci in %s: %s", SUITE, out).isZero();
  }

  private record Kubectl(int exit, String output) {
  }

  private static Kubectl kubectl(Path kubeconfig, String... args) throws IOException, InterruptedException {
    String dir = System.getProperty("tarmac.k8s.dir", System.getProperty("user.home") + "/.cache/tarmac");
    List<String> cmd = new ArrayList<>(List.of(Path.of(dir, "k8s", TestCluster.VERSION + "-linux-amd64", "kubectl")
        .toString(), "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(2, TimeUnit.MINUTES);
    return new Kubectl(p.exitValue(), out);
  }

  private static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
