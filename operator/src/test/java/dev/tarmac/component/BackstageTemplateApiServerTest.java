package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Backstage's create-react-app template (shared/corpus, unmodified) imported with {@code tarmac import template},
 * applied to the real API server and scaffolded by the running operator: the skeleton is cloned from the bare
 * repository the import wrote, the repository lands on the embedded Git server, and {@code catalog:register} creates
 * the {@code backstage.io} Component from the published {@code catalog-info.yaml}, which the catalog then serves.
 * A template with {@code publish:github:pull-request} gets a Template condition naming the step.
 */
@Tag("apiserver")
class BackstageTemplateApiServerTest {

  @TempDir
  Path tmp;

  private static final ResourceDefinitionContext BACKSTAGE_COMPONENTS = new ResourceDefinitionContext.Builder()
      .withGroup("backstage.io").withVersion("v1alpha1").withKind("Component").withPlural("components")
      .withNamespaced(true).build();

  private Template imported(Path dir) throws Exception {
    Path out = tmp.resolve(dir.getFileName() + ".yaml");
    PrintStream err = System.err;
    System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      new CommandLine(new ImportTemplateCommand()).execute(dir.toString(), "--skeleton-repo",
          tmp.resolve("skeletons.git").toString(), "-o", out.toString());
    } finally {
      System.setErr(err);
    }
    return Serialization.YAML.readValue(Files.readString(out), Template.class);
  }

  @Test
  void anImportedBackstageTemplateScaffoldsAndRegistersItsCatalogInfo() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    try (TarmacOperator op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default",
        "test", tmp.resolve("data"), false, 2, false, "tarmac:test", false)).withBackstageCrds(true).start()) {
      Template t = imported(RepoPaths.corpus().resolve("backstage-templates/create-react-app"));
      // A cluster-scoped name of this class's own, so other classes' Templates are not touched.
      t.getMetadata().setName("bt-create-react-app");
      client.resource(t).serverSideApply();
      await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Template.class)
          .withName("bt-create-react-app").get(), x -> x.getStatus() != null
          && Conditions.isTrue(x.getStatus(), Conditions.READY));

      String ns = TestCluster.get().newNamespace("bt");
      client.resource(Serialization.YAML.readValue("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata: {name: website, namespace: %s}
          spec:
            type: website
            lifecycle: experimental
            owner: group:default/web
            template:
              name: bt-create-react-app
              values:
                component_id: site-%s
                description: The docs site
                owner: group:default/web
                repoUrl: github.com?owner=acme&repo=site-%s
          """.formatted(ns, ns, ns), Component.class)).create();
      Component done = await().atMost(Duration.ofSeconds(60)).until(
          () -> client.resources(Component.class).inNamespace(ns).withName("website").get(),
          c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), "Scaffolded"));
      assertThat(done.getStatus().repositoryUrl).endsWith("/git/site-" + ns + ".git");
      assertThat(Conditions.isTrue(done.getStatus(), BackstageRegistration.CONDITION)).as(String.valueOf(
          done.getStatus().conditions)).isTrue();

      GenericKubernetesResource registered = client.genericKubernetesResources(BACKSTAGE_COMPONENTS).inNamespace(ns)
          .withName("site-" + ns).get();
      assertThat(registered).isNotNull();
      assertThat(registered.getMetadata().getOwnerReferences()).singleElement()
          .satisfies(o -> assertThat(o.getUid()).isEqualTo(done.getMetadata().getUid()));
      assertThat(registered.getMetadata().getAnnotations()).containsEntry("github.com/project-slug",
          "acme/site-" + ns).containsEntry("platform.tarmac.dev/description", "The docs site");
      // The catalog serves it, next to the Tarmac Component.
      await().atMost(Duration.ofSeconds(10)).until(() -> op.catalog().index().snapshot().byRef()
          .containsKey("component:" + ns + "/site-" + ns));
      assertThat(op.catalog().index().snapshot().byRef().get("component:" + ns + "/site-" + ns).path("metadata")
          .path("description").asText()).isEqualTo("The docs site");

      // An action Tarmac cannot run: the Template says which step.
      Template pr = Serialization.YAML.readValue("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Template
          metadata: {name: bt-change-request}
          spec:
            owner: group:default/platform
            type: service
            steps:
              - {id: open-pr, action: "publish:github:pull-request", input: {repoUrl: "github.com?owner=a&repo=b"}}
          """, Template.class);
      client.resource(pr).serverSideApply();
      Template invalid = await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Template.class)
          .withName("bt-change-request").get(), x -> x.getStatus() != null
          && "Invalid".equals(Conditions.reason(x.getStatus(), Conditions.READY)));
      assertThat(invalid.getStatus().conditions.stream().filter(c -> c.getType().equals(Conditions.READY))
          .findFirst().orElseThrow().getMessage())
          .contains("step open-pr uses action 'publish:github:pull-request', which Tarmac cannot run");
    } finally {
      client.resources(Template.class).withName("bt-create-react-app").delete();
      client.resources(Template.class).withName("bt-change-request").delete();
    }
  }
}
