package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.Validation;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.statestore.EmbeddedGitServer;
import dev.tarmac.testing.RepoPaths;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The three templates of Backstage's {@code software-templates} repository ({@code shared/corpus/backstage-templates},
 * unmodified): imported with {@code tarmac import template DIR} (skeletons into a real bare Git repository), then
 * scaffolded by {@link ComponentReconciler}'s step runner, which clones the skeleton with JGit and publishes to the
 * embedded Git server's repositories on disk; the published tree is read back with JGit. Expected files are written
 * here from the skeleton files and Backstage's documented {@code fetch:template} rules (Nunjucks with {@code ${{ }}},
 * undefined values print nothing, {@code dump} is {@code JSON.stringify}, {@code +} is JavaScript's, {@code {%-}
 * strips the whitespace before the tag, binary files copied byte-exact), not from Tarmac's output.
 */
class BackstageTemplatesTest {

  @TempDir
  Path tmp;

  static Path corpus(String template) {
    return RepoPaths.corpus().resolve("backstage-templates").resolve(template);
  }

  /** Runs the import command; returns exit code, the Template, stderr. */
  record Imported(int exit, Template template, String stderr) {
  }

  Imported importTemplate(Path dir, String... more) throws Exception {
    Path out = tmp.resolve(dir.getFileName() + ".yaml");
    List<String> args = new ArrayList<>(List.of(dir.toString(), "--skeleton-repo", tmp.resolve("skeletons.git")
        .toString(), "-o", out.toString()));
    args.addAll(List.of(more));
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = new CommandLine(new ImportTemplateCommand()).execute(args.toArray(String[]::new));
    } finally {
      System.setErr(err);
    }
    Template t = Files.exists(out) ? Serialization.YAML.readValue(Files.readString(out), Template.class) : null;
    return new Imported(exit, t, captured.toString(StandardCharsets.UTF_8));
  }

  final List<GenericKubernetesResource> applied = new ArrayList<>();

  /** Scaffolds; returns the Component (status filled) and the published repository's files. */
  record Scaffolded(Component component, Map<String, RepositoryPublisher.File> files) {
  }

  Scaffolded scaffold(Template template, String componentName, String valuesYaml, String repo) throws Exception {
    EmbeddedGitServer server = new EmbeddedGitServer(tmp.resolve("git-data"));
    ComponentReconciler reconciler = new ComponentReconciler(null, new RepositoryPublisher(server), null,
        () -> "http://127.0.0.1:8080/git");
    reconciler.applier = applied::add;
    Component c = component(componentName, template.getMetadata().getName(), valuesYaml);
    reconciler.scaffold(c, c.getStatus(), template, null);
    return new Scaffolded(c, repo == null ? Map.of() : tree(server.repository(repo)));
  }

  static Component component(String name, String template, String valuesYaml) throws Exception {
    Component c = new Component();
    c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("team-web").withUid("0f6d3f4e-1111-2222-3333"
        + "-444455556666").withGeneration(1L).build());
    c.setSpec(new Component.Spec());
    c.getSpec().template = new Component.TemplateRef();
    c.getSpec().template.name = template;
    c.getSpec().template.values = Serialization.YAML.readTree(valuesYaml);
    c.setStatus(new Component.Status());
    return c;
  }

  /** Every file of the branch tip of a bare repository: bytes and whether its mode is 100755. */
  static Map<String, RepositoryPublisher.File> tree(Path bare) throws Exception {
    Map<String, RepositoryPublisher.File> out = new TreeMap<>();
    try (Repository r = new FileRepositoryBuilder().setGitDir(bare.toFile()).setMustExist(true).build();
        RevWalk rw = new RevWalk(r); TreeWalk walk = new TreeWalk(r)) {
      walk.addTree(rw.parseCommit(r.resolve("HEAD")).getTree());
      walk.setRecursive(true);
      while (walk.next()) {
        out.put(walk.getPathString(), new RepositoryPublisher.File(r.open(walk.getObjectId(0)).getBytes(),
            FileMode.EXECUTABLE_FILE.equals(walk.getRawMode(0))));
      }
    }
    return out;
  }

  static String text(Path p) throws Exception {
    return Files.readString(p);
  }

  @Test
  void createReactAppImportsAsItIsAndRendersAsBackstageDoes() throws Exception {
    Path dir = corpus("create-react-app");
    Imported imported = importTemplate(dir);
    assertThat(imported.exit()).as(imported.stderr()).isZero();
    assertThat(imported.stderr()).contains("publish:github became publish:git").doesNotContain("not mapped");
    JsonNode git = imported.template().getSpec().skeleton.path("git");
    assertThat(git.path("path").asText()).isEqualTo("templates/create-react-app-template");
    assertThat(git.path("url").asText()).startsWith("file:");
    assertThat(imported.template().getSpec().steps.get(0).path("input").path("url").asText()).isEqualTo("./skeleton");
    assertThat(Validation.template(imported.template())).isEmpty();

    Scaffolded s = scaffold(imported.template(), "website", """
        component_id: my-site
        description: 'A site: for "docs"'
        owner: group:default/web
        repoUrl: github.com?owner=acme&repo=my-site
        """, "my-site");
    Path skel = dir.resolve("skeleton");
    // Every file of the skeleton is there, under the same name (none of these names is templated).
    List<String> expectedNames = new ArrayList<>();
    try (var walk = Files.walk(skel)) {
      walk.filter(Files::isRegularFile).forEach(p -> expectedNames.add(skel.relativize(p).toString()));
    }
    assertThat(s.files().keySet()).containsExactlyInAnyOrderElementsOf(expectedNames);
    assertThat(s.files().get("catalog-info.yaml").content()).isEqualTo("""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: "my-site"
          description: "A site: for \\"docs\\""
          annotations:
            github.com/project-slug: acme/my-site
            backstage.io/techdocs-ref: dir:.
        spec:
          type: website
          lifecycle: experimental
          owner: "group:default/web"
        """);
    assertThat(s.files().get("mkdocs.yml").content()).isEqualTo(text(skel.resolve("mkdocs.yml"))
        .replace("${{values.component_id | dump}}", "\"my-site\"")
        .replace("${{values.description | dump}}", "\"A site: for \\\"docs\\\"\""));
    assertThat(s.files().get("package.json").content()).isEqualTo(text(skel.resolve("package.json"))
        .replace("\"${{values.component_id}}\"", "\"my-site\""));
    // values.name is not among this template's values: undefined prints nothing.
    assertThat(s.files().get("docs/index.md").content()).isEqualTo(text(skel.resolve("docs/index.md"))
        .replace("## ${{ values.name }}", "## ").replace("${{ values.description }}", "A site: for \"docs\""));
    // Binary files byte-exact; text without expressions unchanged; no file became executable.
    for (String name : expectedNames) {
      if (!List.of("catalog-info.yaml", "mkdocs.yml", "package.json", "docs/index.md").contains(name)) {
        assertThat(s.files().get(name).data()).as(name).isEqualTo(Files.readAllBytes(skel.resolve(name)));
      }
      assertThat(s.files().get(name).executable()).as(name).isFalse();
    }
    assertThat(Fetch.isBinary(s.files().get("public/logo512.png").data())).isTrue();
    assertThat(Fetch.isBinary(s.files().get("public/favicon.ico").data())).isTrue();
    // publish:github → publish:git: repoUrl's repo on the embedded Git server.
    assertThat(s.component().getStatus().repositoryUrl).isEqualTo("http://127.0.0.1:8080/git/my-site.git");
    // catalog:register: the published catalog-info.yaml as a backstage.io Component in the Component's namespace.
    assertThat(applied).singleElement().satisfies(r -> {
      assertThat(r.getApiVersion()).isEqualTo("backstage.io/v1alpha1");
      assertThat(r.getKind()).isEqualTo("Component");
      assertThat(r.getMetadata().getName()).isEqualTo("my-site");
      assertThat(r.getMetadata().getNamespace()).isEqualTo("team-web");
      assertThat(r.getMetadata().getAnnotations()).containsEntry("platform.tarmac.dev/description",
          "A site: for \"docs\"").containsEntry("github.com/project-slug", "acme/my-site");
      assertThat(r.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName())
          .isEqualTo("website"));
      assertThat(r.getAdditionalProperties().get("spec").toString()).contains("owner=group:default/web");
    });
    var register = s.component().getStatus().steps.stream().filter(x -> x.id.equals("register")).findFirst()
        .orElseThrow();
    assertThat(register.output).containsEntry("entityRef", "component:team-web/my-site");
    assertThat(Conditions.isTrue(s.component().getStatus(), BackstageRegistration.CONDITION)).isTrue();
    assertThat(s.component().getStatus().links).extracting(l -> l.url)
        .contains("http://127.0.0.1:8080/git/my-site.git");
  }

  @Test
  void createReactAppWithoutTheOptionalDescriptionLeavesItsLinesOutAndSaysWhenTheBackstageKindsAreMissing()
      throws Exception {
    Path dir = corpus("create-react-app");
    Imported imported = importTemplate(dir);
    EmbeddedGitServer server = new EmbeddedGitServer(tmp.resolve("git-data"));
    ComponentReconciler reconciler = new ComponentReconciler(null, new RepositoryPublisher(server), null,
        () -> "http://127.0.0.1:8080/git");
    reconciler.applier = r -> {
      throw new KubernetesClientException("the server could not find the requested resource", 404, null);
    };
    Component c = component("website", imported.template().getMetadata().getName(), """
        component_id: my-site
        owner: group:default/web
        repoUrl: github.com?owner=acme&repo=my-site
        """);
    reconciler.scaffold(c, c.getStatus(), imported.template(), null);
    var files = tree(server.repository("my-site"));
    // {%- if %} false: the if block and the whitespace before both tags go; the newline after endif stays.
    assertThat(files.get("catalog-info.yaml").content()).startsWith("""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: "my-site"
          annotations:
        """);
    // dump of undefined is JSON.stringify(undefined): nothing.
    assertThat(files.get("mkdocs.yml").content()).startsWith("site_name: \"my-site\"\nsite_description: \n");
    var condition = c.getStatus().conditions.stream().filter(x -> x.getType().equals(
        BackstageRegistration.CONDITION)).findFirst().orElseThrow();
    assertThat(condition.getStatus()).isEqualTo("False");
    assertThat(condition.getReason()).isEqualTo("BackstageKindsNotInstalled");
    assertThat(condition.getMessage()).contains("backstage.crds=true").contains("component:team-web/website");
  }

  @Test
  void cleanArchitectureRendersEveryExpressionOfItsFilesIncludingTheGitHubOnes() throws Exception {
    Path dir = corpus("clean-architecture-app");
    Imported imported = importTemplate(dir);
    assertThat(imported.exit()).as(imported.stderr()).isZero();
    Scaffolded s = scaffold(imported.template(), "orders", """
        name: orders
        package: co.com.acme
        projectType: reactive
        coverage: jacoco
        lombok: true
        owner: group:default/team-a
        repoUrl: github.com?owner=acme&repo=orders
        """, "orders");
    Path skel = dir.resolve("skeleton");
    assertThat(s.files().keySet()).containsExactlyInAnyOrder(".github/workflows/gradle.yml", "build.gradle",
        "catalog-info.yaml");
    // values.destination is not given by this template: values.destination.owner is undefined, and JavaScript's
    // undefined + "/" + undefined is "undefined/undefined", which Backstage writes.
    assertThat(s.files().get("catalog-info.yaml").content()).isEqualTo("""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: "orders"
          annotations:
            github.com/project-slug: undefined/undefined
            backstage.io/techdocs-ref: dir:.
        spec:
          type: service
          lifecycle: experimental
          owner: "group:default/team-a"
        """);
    // No copyWithoutRender in this template: GitHub's own ${{ github.head_ref }} and ${{ secrets.GITHUB_TOKEN }} are
    // rendered too, to nothing (undefined), as Backstage does; metrics takes its schema default, false.
    assertThat(s.files().get(".github/workflows/gradle.yml").content()).isEqualTo(
        text(skel.resolve(".github/workflows/gradle.yml"))
            .replace("${{ github.head_ref }}", "").replace("${{ secrets.GITHUB_TOKEN }}", "")
            .replace("--name=${{ values.name }} --type=${{ values.projectType }} --package=${{ values.package }}"
                + " --coverage=${{ values.coverage }} --lombok=${{ values.lombok }} --metrics=${{ values.metrics }}",
                "--name=orders --type=reactive --package=co.com.acme --coverage=jacoco --lombok=true --metrics=false"));
    assertThat(s.files().get("build.gradle").data()).isEqualTo(Files.readAllBytes(skel.resolve("build.gradle")));
  }

  @Test
  void railsDemoIsImportedWithItsFolderAndItsRailsStepIsReportedByNameEverywhere() throws Exception {
    Path dir = corpus("rails-demo");
    Imported imported = importTemplate(dir);
    assertThat(imported.exit()).isEqualTo(3);
    assertThat(imported.stderr()).contains("not mapped: step fetch-base: action fetch:rails does not exist");
    // The folder of the step is stored all the same, for when the step is replaced.
    assertThat(tree(tmp.resolve("skeletons.git")).keySet())
        .contains("templates/rails-demo/template/rails-template-file.rb");
    assertThat(Validation.template(imported.template())).singleElement().asString()
        .contains("step fetch-base uses action 'fetch:rails', which Tarmac cannot run");
    assertThatThrownBy(() -> scaffold(imported.template(), "rails-app", """
        name: rails-app
        owner: group:default/team-a
        repoUrl: github.com?owner=acme&repo=rails-app
        dryRun: false
        """, null)).isInstanceOf(ComponentReconciler.ScaffoldException.class)
        .hasMessageContaining("step fetch-base uses unknown action 'fetch:rails'");
    // Its JavaScript-style step conditions evaluate as Backstage's: dryRun false → publish runs, Results is skipped.
    Expressions e = new Expressions(dev.tarmac.render.RenderLimits.DEFAULT);
    Map<String, Object> ctx = Map.of("parameters", Map.of("dryRun", false));
    JsonNode steps = Serialization.YAML.readTree(Files.readString(dir.resolve("template.yaml"))).path("spec")
        .path("steps");
    assertThat(e.render(steps.get(2).path("if"), ctx).asBoolean()).isTrue();
    assertThat(e.render(steps.get(4).path("if"), ctx).asBoolean()).isFalse();
  }
}
