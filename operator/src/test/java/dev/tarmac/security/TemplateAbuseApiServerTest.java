package dev.tarmac.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestPromises;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Templates built to hurt the operator (issue 15, part 4): render bombs and skeletons that reach outside themselves.
 * Each one fails its own Component with a condition and an Event that say why, creates no repository on the embedded
 * Git server, leaves the other repositories and an already scaffolded Component untouched, and the operator goes on
 * scaffolding other Components.
 */
@Tag("apiserver")
class TemplateAbuseApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator operator;
  static String ns;
  static String suite;
  static String canaryVersion;
  static Path skeletons;

  @BeforeAll
  static void start() throws Exception {
    client = TestCluster.get().client();
    suite = TestCluster.get().newNamespace("abuse-store");
    TestStores.create(client, suite, null, Map.of("suite", suite), null);
    // Anonymous reads on loopback: the test clones scaffolded repositories with the git CLI.
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, suite, "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test", true)).start();
    ns = TestCluster.get().newNamespace("abuse");
    skeletons = gitSkeletons();
    template("abuse-canary", "files: {README.md: \"# ${{ values.name }}\\n\"}", "{name: \"${{ parameters.name }}\"}");
    Component canary = scaffold("canary", "abuse-canary", "{name: canary-" + ns + "}");
    assertThat(Conditions.isTrue(canary.getStatus(), Conditions.READY)).isTrue();
    canaryVersion = canary.getMetadata().getResourceVersion();
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  /** A repository of skeletons with links, committed with the git CLI as a template author would. */
  static Path gitSkeletons() throws Exception {
    Path repo = tmp.resolve("skeletons");
    Files.createDirectories(repo);
    git(repo, "init", "-q", "-b", "main");
    for (String dir : List.of("token", "passwd", "folder", "good")) {
      Files.createDirectories(repo.resolve(dir));
      Files.writeString(repo.resolve(dir + "/README.md"), "# ${{ values.name }}\n");
    }
    Files.createSymbolicLink(repo.resolve("token/token"),
        Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token"));
    Files.createSymbolicLink(repo.resolve("passwd/passwd"), Path.of("/etc/passwd"));
    Files.createSymbolicLink(repo.resolve("folder/etc"), Path.of("/etc"));
    Files.writeString(repo.resolve("good/run.sh"), "#!/bin/sh\necho ${{ values.name }}\n");
    repo.resolve("good/run.sh").toFile().setExecutable(true);
    git(repo, "add", ".");
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "skeletons");
    return repo;
  }

  static String git(Path dir, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("git %s: %s", args, out).isTrue();
    return out;
  }

  /** A Template: its skeleton and the values its fetch:template step passes; publishes to repo = parameters.name. */
  static void template(String name, String skeleton, String fetchValues) throws Exception {
    client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Template
        metadata: {name: %s}
        spec:
          owner: group:default/platform-team
          type: service
          parameters:
          - required: [name]
            properties:
              name: {type: string}
              blob: {type: string}
          steps:
          - id: fetch
            action: fetch:template
            input:
              values: %s
          - id: publish
            action: publish:git
            input:
              repoUrl: tarmac.local?repo=${{ parameters.name }}
          skeleton:
        %s
        """.formatted(name, fetchValues, skeleton.indent(4)), Template.class)).create();
  }

  static Component create(String name, String template, String values) throws Exception {
    return client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: %s, namespace: %s}
        spec:
          type: service
          lifecycle: experimental
          owner: team-a
          template: {name: %s, values: %s}
        """.formatted(name, ns, template, values), Component.class)).create();
  }

  /** Creates a Component and waits until its Ready condition is decided (True, or False with a final reason). */
  static Component scaffold(String name, String template, String values) throws Exception {
    create(name, template, values);
    return await().atMost(Duration.ofSeconds(60)).until(
        () -> client.resources(Component.class).inNamespace(ns).withName(name).get(),
        c -> c.getStatus() != null && Conditions.find(c.getStatus().conditions, Conditions.READY)
            .filter(r -> r.getStatus().equals("True") || !r.getReason().equals("Reconciling")).isPresent());
  }

  /**
   * The scaffolded repositories on the embedded Git server (named after this suite's namespace) and each one's
   * branch tips: what must not change. State-store repositories are left out: Templates never write to them, and
   * this operator creates them (its own store's lazily) and catches up on Works other tests left in the shared
   * cluster while the suite runs.
   */
  static Map<String, String> repositories() throws Exception {
    Map<String, String> out = new TreeMap<>();
    Path root = tmp.resolve("data/git");
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.toList()) {
        String name = dir.getFileName().toString();
        if (!name.contains(ns)) {
          continue;
        }
        try (Git g = Git.open(dir.toFile())) {
          StringBuilder tips = new StringBuilder();
          for (var ref : g.getRepository().getRefDatabase().getRefs()) {
            tips.append(ref.getName()).append('=').append(ref.getObjectId() == null ? "" : ref.getObjectId().name());
          }
          out.put(dir.getFileName().toString(), tips.toString());
        }
      }
    }
    return out;
  }

  static String bigBlob() {
    return "b".repeat(200_000);
  }

  static Stream<Arguments> abuses() {
    String manyFiles = Stream.iterate(0, i -> i + 1).limit(100).map(i -> "  f" + i + ".txt: \"${{ values.blob }}\"")
        .reduce("files:", (a, b) -> a + "\n" + b);
    return Stream.of(
        Arguments.of("range-bomb", "files: {a.txt: \"${% for i in range(1, 2000000000) %}x${% endfor %}\"}", null,
            "TemplateLimitExceeded", "skeleton file a.txt: range(1, 2000000000) has 2000000000 items, over the limit"
                + " of 10000 per range"),
        Arguments.of("range-bomb-in-step-input", "files: {a.txt: x}", "{n: \"${{ (1..2000000000) | length }}\"}",
            "TemplateLimitExceeded", "step fetch (fetch:template) failed: expression '${{ (1..2000000000) | length"
                + " }}': range(1, 2000000000) has 2000000000 items"),
        Arguments.of("nested-loops-without-output", "files: {a.txt: \"${% for i in range(1, 10000) %}${% for j in"
            + " range(1, 10000) %}${% endfor %}${% endfor %}\"}", null, "TemplateLimitExceeded",
            "skeleton file a.txt: rendering took longer than 2000 ms, the limit per render"),
        Arguments.of("output-size-bomb", "files: {a.txt: \"${% for i in range(1, 10000) %}${% for j in range(1, 200)"
            + " %}xxxxxxxxxx${% endfor %}${% endfor %}\"}", null, "TemplateLimitExceeded",
            "skeleton file a.txt: the rendered text is over 1048576 characters, the limit per render"),
        Arguments.of("macro-recursion", "files: {a.txt: \"${% macro f(n) %}${{ f(n) }}${% endmacro %}${{ f(1) }}\"}",
            null, "TemplateLimitExceeded", "skeleton file a.txt: templates are nested deeper than 64 levels"),
        Arguments.of("string-doubling", "files: {a.txt: \"${% set s = 'x' %}${% for i in range(1, 64) %}${% set s ="
            + " s ~ s %}${% endfor %}\"}", null, "TemplateLimitExceeded", "skeleton file a.txt: a concatenation (~)"
                + " on line 1 is over 1048576 characters"),
        Arguments.of("huge-parameter-in-many-files", manyFiles,
            "{name: \"${{ parameters.name }}\", blob: \"${{ parameters.blob }}\"}", "TemplateLimitExceeded",
            "all rendered text together is over 16777216 characters, the limit per scaffold"),
        Arguments.of("symlink-to-service-account-token", "git: {url: \"SKELETONS\", path: token}", null,
            "InvalidSkeleton", "skeleton file token in SKELETONS is a symbolic link (to"
                + " /var/run/secrets/kubernetes.io/serviceaccount/token); symbolic links are refused"),
        Arguments.of("symlink-to-etc-passwd", "git: {url: \"SKELETONS\", path: passwd}", null, "InvalidSkeleton",
            "skeleton file passwd in SKELETONS is a symbolic link (to /etc/passwd)"),
        Arguments.of("symlink-to-a-folder", "git: {url: \"SKELETONS\", path: folder}", null, "InvalidSkeleton",
            "skeleton file etc in SKELETONS is a symbolic link (to /etc)"),
        Arguments.of("dot-dot-file-name", "files: {\"../escape.txt\": x}", null, "InvalidSkeleton",
            "skeleton file '../escape.txt' leaves the skeleton or has an empty segment"),
        Arguments.of("templated-name-to-dot-dot", "files: {\"${{ values.dir }}/cron.txt\": x}",
            "{name: \"${{ parameters.name }}\", dir: \"../../etc\"}", "InvalidSkeleton",
            "skeleton file ${{ values.dir }}/cron.txt renders to the name '../../etc/cron.txt' leaves the skeleton"),
        Arguments.of("absolute-file-name", "files: {\"/etc/cron.d/x\": x}", null, "InvalidSkeleton",
            "skeleton file '/etc/cron.d/x' is an absolute path"),
        Arguments.of("nul-in-file-name", "files: {\"a\\0b.txt\": x}", null, "InvalidSkeleton",
            "skeleton file 'a\\u0000b.txt' contains a control character (NUL)"),
        Arguments.of("file-inside-dot-git", "files: {\".git/hooks/post-checkout\": x}", null, "InvalidSkeleton",
            "skeleton file '.git/hooks/post-checkout' is inside .git"),
        // An explicit key (?): YAML allows implicit keys of at most 1,024 characters.
        Arguments.of("very-long-file-name", "files:\n  ? \"" + "d/".repeat(600) + "x\"\n  : x", null, "InvalidSkeleton",
            "characters long, over the limit of 1024"),
        Arguments.of("include-tag", "files: {a.txt: \"${% include 'x' %}\"}", null, "StepFailed",
            "the include tag is not available in Tarmac templates"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("abuses")
  void anAbusiveTemplateFailsOnlyItsOwnComponent(String id, String skeleton, String fetchValues, String reason,
      String message) throws Exception {
    String url = skeletons.toUri().toString();
    template("abuse-" + id, skeleton.replace("SKELETONS", url), fetchValues != null ? fetchValues
        : "{name: \"${{ parameters.name }}\"}");
    Map<String, String> before = repositories();
    String repo = id + "-" + ns;
    Component bad = scaffold(id, "abuse-" + id, "{name: " + repo + (id.startsWith("huge") ? ", blob: " + bigBlob()
        : "") + "}");

    var ready = Conditions.find(bad.getStatus().conditions, Conditions.READY).orElseThrow();
    String expected = message.replace("SKELETONS", url);
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getReason()).isEqualTo(reason);
    assertThat(ready.getMessage()).contains(expected);
    assertThat(bad.getStatus().repositoryUrl).isNull();
    assertThat(bad.getStatus().steps).extracting(s -> s.id + "=" + s.phase).containsExactly("fetch=Failed");
    List<Event> events = await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace(ns)
        .list().getItems().stream().filter(e -> id.equals(e.getInvolvedObject().getName())).toList(),
        l -> !l.isEmpty());
    assertThat(events).anySatisfy(e -> {
      assertThat(e.getType()).isEqualTo("Warning");
      assertThat(e.getReason()).isEqualTo(reason);
      assertThat(e.getMessage()).contains(expected);
    });
    // A bad name written in the Template itself also makes the Template say so (Invalid), before any Component uses it.
    if (expected.startsWith("skeleton file '")) {
      Template t = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.resources(Template.class).withName("abuse-" + id).get(),
          x -> x.getStatus() != null && "Invalid".equals(Conditions.reason(x.getStatus(), Conditions.READY)));
      assertThat(Conditions.find(t.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
          .contains(expected);
    }
    // Nothing else changed: no repository created, none written, the scaffolded canary untouched.
    assertThat(repositories()).isEqualTo(before).doesNotContainKey(repo + ".git");
    assertThat(client.resources(Component.class).inNamespace(ns).withName("canary").get().getMetadata()
        .getResourceVersion()).isEqualTo(canaryVersion);
  }

  @Test
  void aRangeBombFailsItsComponentWhileAnotherIsScaffoldedAndExecutableFilesStayExecutable() throws Exception {
    template("abuse-bomb", "files: {a.txt: \"${{ range(1, 2000000000) | length }}\"}",
        "{name: \"${{ parameters.name }}\"}");
    template("abuse-good", "git: {url: \"" + skeletons.toUri() + "\", path: good}", "{name: \"${{ parameters.name"
        + " }}\"}");
    create("bomb", "abuse-bomb", "{name: bomb-" + ns + "}");
    Component good = scaffold("good", "abuse-good", "{name: good-" + ns + "}");
    assertThat(Conditions.isTrue(good.getStatus(), Conditions.READY)).isTrue();
    Component bomb = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(Component.class).inNamespace(ns).withName("bomb").get(),
        c -> c.getStatus() != null && "TemplateLimitExceeded".equals(Conditions.reason(c.getStatus(),
            Conditions.READY)));
    assertThat(Conditions.find(bomb.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
        .isEqualTo("step fetch (fetch:template) failed: skeleton file a.txt: range(1, 2000000000) has 2000000000"
            + " items, over the limit of 10000 per range: iterate over fewer items");

    // The Git skeleton's executable file (mode 100755) is executable in the scaffolded repository; README.md is not.
    Path clone = tmp.resolve("good-clone");
    git(tmp, "clone", "-q", good.getStatus().repositoryUrl, clone.toString());
    assertThat(git(clone, "ls-tree", "HEAD")).contains("100755 blob").contains("\trun.sh")
        .containsPattern("100644 blob \\w+\tREADME.md");
    assertThat(Files.readString(clone.resolve("run.sh"))).isEqualTo("#!/bin/sh\necho good-" + ns + "\n");
    assertThat(clone.resolve("run.sh").toFile().canExecute()).isTrue();
  }

  static String ready(GenericKubernetesResource r, String field) {
    for (var c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        return c.path(field).asText();
      }
    }
    return "";
  }

  @Test
  void aRangeBombInAPromisesTemplateStepFailsOnlyThatRequest() throws Exception {
    String group = suite + ".example.dev";
    // Requests of size large hit the bomb; small ones render as usual, through the same Promise and step.
    String promise = TestPromises.templatePromise("bomb-" + suite, group, "Cache", "suite", suite).replace(
        "data: {size: \"{{ spec.size }}\"}", "data: {size: \"{% if spec.size == 'large' %}{% for i in range(1,"
            + " 2000000000) %}x{% endfor %}{% endif %}{{ spec.size }}\"}");
    assertThat(promise).contains("range(1, 2000000000)");
    client.resource(Serialization.YAML.readValue(promise, dev.tarmac.api.Promise.class)).create();
    await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(dev.tarmac.api.Promise.class).withName("bomb-" + suite).get(),
        p -> p.getStatus() != null && Conditions.isTrue(p.getStatus(), Conditions.AVAILABLE));
    var requests = client.genericKubernetesResources(group + "/v1", "Cache");
    for (String size : List.of("large", "small")) {
      requests.inNamespace(ns).resource(Serialization.YAML.readValue("""
          apiVersion: %s/v1
          kind: Cache
          metadata: {name: %s, namespace: %s}
          spec: {size: %s}
          """.formatted(group, size, ns, size), GenericKubernetesResource.class)).create();
    }
    GenericKubernetesResource small = await().atMost(Duration.ofSeconds(30)).until(
        () -> requests.inNamespace(ns).withName("small").get(), r -> "True".equals(ready(r, "status")));
    assertThat(small).isNotNull();
    GenericKubernetesResource large = await().atMost(Duration.ofSeconds(30)).until(
        () -> requests.inNamespace(ns).withName("large").get(), r -> "PipelineFailed".equals(ready(r, "reason")));
    assertThat(ready(large, "status")).isEqualTo("False");
    assertThat(ready(large, "message")).contains("tarmac/template: file cache.yaml: range(1, 2000000000) has"
        + " 2000000000 items, over the limit of 10000 per range");
    // The small request's Work exists; the large one has none: nothing of the failed run was handed to Git.
    assertThat(client.resources(dev.tarmac.api.Work.class).inNamespace(ns).withName("small-cache-render").get())
        .isNotNull();
    assertThat(client.resources(dev.tarmac.api.Work.class).inNamespace(ns).withName("large-cache-render").get())
        .isNull();
  }
}
