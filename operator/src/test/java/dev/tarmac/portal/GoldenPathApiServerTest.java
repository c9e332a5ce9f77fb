package dev.tarmac.portal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.http.Caller;
import dev.tarmac.http.KubernetesAuth;
import dev.tarmac.testing.Browser;
import dev.tarmac.testing.TestAccess;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;

/**
 * The golden paths in a real browser (Debian's headless Chromium through Selenium) and over plain HTTP, against the
 * operator on the real API server with ServiceAccount tokens: an invalid submission shows the validator's messages
 * next to the fields and creates nothing; a valid one shows the YAML, creates the Component as the caller and follows
 * it to Ready; the form is used with the keyboard alone. A caller without {@code create} gets the YAML only; the
 * Component is created with the caller's own token (a RoleBinding removed between review and create makes the API
 * server refuse it, though the operator itself could create it); impersonation acts as the proxied user.
 *
 * <p>The browser sends the creator's token as {@code Authorization: Bearer} on every request (Chrome DevTools'
 * {@code Network.setExtraHTTPHeaders}), as a browser behind an authenticating proxy that forwards a token would.
 */
@Tag("apiserver")
class GoldenPathApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient admin;
  static TarmacOperator operator;
  static String ns;
  /** The browser's own namespace, so "nothing was created" is not disturbed by the other tests. */
  static String browserNs;
  static String template;
  static String clusterRbac;
  static String creator;
  static String viewer;
  static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeAll
  static void start() throws Exception {
    TestCluster cluster = TestCluster.get();
    admin = cluster.client();
    ns = cluster.newNamespace("gp");
    template = "web-service-" + ns.substring(3);
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Template
        metadata: {name: %s}
        spec:
          owner: group:default/platform-team
          type: service
          title: Web service
          description: An HTTP service with CI, a Dockerfile and Kubernetes manifests, in a new Git repository.
          parameters:
          - title: Service
            required: [name]
            ui:order: [name, description, replicas, public]
            properties:
              name:
                title: Name
                type: string
                description: "Lower-case letters, digits and '-'; also the repository's name."
                pattern: "^[a-z][a-z0-9-]{1,40}$"
              description: {title: Description, type: string, default: An HTTP service}
              replicas:
                title: Replicas
                type: integer
                description: Pods to run, 1 to 5.
                minimum: 1
                maximum: 5
                default: 2
              public: {title: Listed in the public API catalog, type: boolean, default: false}
          - title: Ownership
            required: [owner]
            properties:
              owner: {title: Owner, type: string, description: "The owning team, e.g. team-a."}
              lifecycle: {title: Lifecycle, type: string, enum: [experimental, production], default: experimental}
          steps:
          - id: fetch
            action: fetch:template
            input:
              values: {name: "${{ parameters.name }}", replicas: "${{ parameters.replicas }}"}
          - id: publish
            action: publish:git
            input:
              repoUrl: tarmac.local?repo=${{ parameters.name }}
          output:
            links:
            - {title: Repository, url: "${{ steps.publish.output.remoteUrl }}"}
          skeleton:
            files:
              README.md: "# ${{ values.name }} (${{ values.replicas }} replicas)"
        """.formatted(template));
    // Both may read the Template and Components in the namespace; only the creator may create Components there.
    clusterRbac = "gp-test-" + ns.substring(3);
    admin.resource(new ClusterRoleBuilder().withNewMetadata().withName(clusterRbac).endMetadata()
        .withRules(TestAccess.rule("platform.tarmac.dev", "templates", List.of(template), "get")).build()).create();
    admin.resource(new ClusterRoleBindingBuilder().withNewMetadata().withName(clusterRbac).endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", clusterRbac)
        .addNewSubject().withKind("ServiceAccount").withName("creator").withNamespace(ns).endSubject()
        .addNewSubject().withKind("ServiceAccount").withName("viewer").withNamespace(ns).endSubject()
        .addNewSubject().withKind("ServiceAccount").withName("revoked").withNamespace(ns).endSubject().build())
        .create();
    creator = cluster.token(ns, "creator");
    viewer = cluster.token(ns, "viewer");
    TestAccess.allowIn(admin, ns, ns, "creator", TestAccess.rule("platform.tarmac.dev", "components", List.of(),
        "get", "create"));
    browserNs = cluster.newNamespace("gpb");
    TestAccess.allowIn(admin, browserNs, ns, "creator", TestAccess.rule("platform.tarmac.dev", "components",
        List.of(), "get", "create"));
    TestAccess.allowIn(admin, ns, ns, "viewer", TestAccess.rule("platform.tarmac.dev", "components", List.of(),
        "get"));
    operator = new TarmacOperator(admin, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test", false)).start();
    // The portal's stylesheet, which the page engineer's PortalServlet serves; mounted here so screenshots are styled.
    operator.http().mount("/portal-static/*", new StaticServlet());
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    admin.resources(Template.class).withName(template).delete();
    admin.rbac().clusterRoleBindings().withName(clusterRbac).delete();
    admin.rbac().clusterRoles().withName(clusterRbac).delete();
  }

  /** Serves {@code portal/static/*} from the class path (only for this test). */
  static final class StaticServlet extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      try (InputStream in = getClass().getClassLoader().getResourceAsStream("portal/static/portal.css")) {
        resp.setContentType("text/css");
        in.transferTo(resp.getOutputStream());
      }
    }
  }

  // ---- the browser

  @Test
  void aPersonFillsTheFormWithTheKeyboardSeesTheMessagesThenCreatesTheComponentAndFollowsItToReady()
      throws Exception {
    String name = "billing-" + ns.substring(3);
    try (Browser browser = Browser.start()) {
      WebDriver d = browser.driver();
      ChromeDriver chrome = (ChromeDriver) d;
      chrome.executeCdpCommand("Network.enable", Map.of());
      chrome.executeCdpCommand("Network.setExtraHTTPHeaders", Map.of("headers",
          Map.of("Authorization", "Bearer " + creator)));

      d.get(url("/golden-paths"));
      WebElement card = d.findElement(By.linkText("Web service"));
      assertThat(d.findElement(By.cssSelector(".gp-list")).getText())
          .contains("An HTTP service with CI, a Dockerfile and Kubernetes manifests");
      browser.screenshot("golden-paths-list");
      card.click();
      assertThat(d.findElement(By.tagName("h1")).getText()).isEqualTo("Web service");
      assertThat(d.findElements(By.tagName("legend"))).extracting(WebElement::getText).containsExactly(
          "Step 1 of 3: Component", "Step 2 of 3: Service", "Step 3 of 3: Ownership");
      List<String> fields = List.of("component-namespace", "values-name", "values-description", "values-replicas",
          "values-public", "values-owner", "values-lifecycle");
      for (String id : fields) {
        WebElement input = d.findElement(By.id(id));
        // Every input has a label, and its help (when it has one) is what it is described by.
        assertThat(d.findElements(By.cssSelector("label[for='" + id + "']"))).as("label of %s", id).hasSize(1);
        if (!d.findElements(By.id(id + "-help")).isEmpty()) {
          assertThat(input.getDomAttribute("aria-describedby")).contains(id + "-help");
        }
      }
      assertThat(d.findElement(By.id("values-replicas")).getDomProperty("value")).as("default").isEqualTo("2");
      assertThat(d.findElement(By.id("values-lifecycle")).getDomProperty("value")).isEqualTo("experimental");

      // Keyboard only: Tab reaches every field in order and then the Review button; Shift+Tab goes back.
      Actions keys = new Actions(d);
      for (int i = 0; i < 30 && !"component-namespace".equals(focused(d)); i++) {
        keys.sendKeys(Keys.TAB).perform();
      }
      List<String> order = new ArrayList<>();
      order.add(focused(d));
      type(d, browserNs);
      tab(keys, d, order);
      type(d, "Bad_Name");
      tab(keys, d, order);
      tab(keys, d, order);
      type(d, Keys.chord(Keys.CONTROL, "a"), "9");
      tab(keys, d, order);
      keys.sendKeys(Keys.SPACE).perform();
      tab(keys, d, order);
      type(d, "team-a");
      tab(keys, d, order);
      type(d, "prod");
      tab(keys, d, order);
      assertThat(order).containsExactlyElementsOf(concat(fields, "gp-review"));
      keys.keyDown(Keys.SHIFT).sendKeys(Keys.TAB).keyUp(Keys.SHIFT).perform();
      assertThat(focused(d)).isEqualTo("values-lifecycle");
      keys.sendKeys(Keys.TAB).perform();
      keys.sendKeys(Keys.ENTER).perform();

      // Invalid: the validator's messages next to their fields, what was typed kept, nothing created.
      WebElement summary = browser.await(10).until(x -> x.findElement(By.id("gp-summary")));
      assertThat(summary.getText()).contains("There are 2 problems; nothing was created");
      assertThat(d.findElement(By.id("values-name-error")).getText()).contains("pattern");
      assertThat(d.findElement(By.id("values-replicas-error")).getText()).contains("5");
      WebElement nameInput = d.findElement(By.id("values-name"));
      assertThat(nameInput.getDomAttribute("aria-invalid")).isEqualTo("true");
      assertThat(nameInput.getDomAttribute("aria-describedby")).isEqualTo("values-name-help values-name-error");
      assertThat(nameInput.getDomProperty("value")).isEqualTo("Bad_Name");
      assertThat(d.findElement(By.id("values-public")).isSelected()).isTrue();
      assertThat(d.findElement(By.id("values-lifecycle")).getDomProperty("value")).isEqualTo("production");
      assertThat(admin.resources(Component.class).inNamespace(browserNs).list().getItems()).isEmpty();
      browser.screenshot("golden-path-invalid");
      d.findElement(By.id("values-name")).click();
      browser.screenshot("golden-path-form");

      // Fixed with the keyboard, submitted with Enter from a field.
      for (int i = 0; i < 40 && !"values-name".equals(focused(d)); i++) {
        keys.sendKeys(Keys.TAB).perform();
      }
      type(d, Keys.chord(Keys.CONTROL, "a"), name);
      keys.sendKeys(Keys.TAB, Keys.TAB).perform();
      assertThat(focused(d)).isEqualTo("values-replicas");
      type(d, Keys.chord(Keys.CONTROL, "a"), "3");
      keys.sendKeys(Keys.ENTER).perform();

      WebElement yaml = browser.await(10).until(x -> x.findElement(By.cssSelector(".gp-yaml")));
      assertThat(yaml.getText()).contains("kind: Component", "name: " + name, "namespace: " + browserNs,
          "replicas: 3", "public: true", "lifecycle: production", "owner: team-a");
      browser.screenshot("golden-path-review");
      for (int i = 0; i < 30 && !d.switchTo().activeElement().getText().startsWith("Create"); i++) {
        keys.sendKeys(Keys.TAB).perform();
      }
      assertThat(d.switchTo().activeElement().getText()).isEqualTo("Create " + name + " in " + browserNs);
      keys.sendKeys(Keys.ENTER).perform();

      // The status page follows the Component to Ready (it reloads itself; no script).
      browser.await(10).until(x -> x.getCurrentUrl().endsWith("/golden-paths/status/" + browserNs + "/" + name));
      browser.await(90).until(x -> x.findElement(By.id("gp-ready")).getText().startsWith("Ready"));
      assertThat(d.findElement(By.linkText("Repository")).getDomAttribute("href")).endsWith("/git/" + name + ".git");
      browser.screenshot("golden-path-status");
    }
    Component c = admin.resources(Component.class).inNamespace(browserNs).withName(name).get();
    assertThat(Conditions.isTrue(c.getStatus(), Conditions.READY)).isTrue();
    assertThat(c.getSpec().template.values.get("replicas").isIntegralNumber()).isTrue();
    assertThat(c.getSpec().template.values.get("replicas").asInt()).isEqualTo(3);
    assertThat(c.getSpec().owner).isEqualTo("team-a");
    // The best picture of the form goes into the docs.
    Path docs = dev.tarmac.testing.RepoPaths.repo().resolve("docs/images");
    if (Boolean.getBoolean("tarmac.screenshots.update")) {
      Files.createDirectories(docs);
      Files.copy(Path.of("target/screenshots/golden-path-invalid.png"), docs.resolve("portal-golden-path.png"),
          StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static List<String> concat(List<String> a, String b) {
    List<String> out = new ArrayList<>(a);
    out.add(b);
    return out;
  }

  private static String focused(WebDriver d) {
    return d.switchTo().activeElement().getDomAttribute("id");
  }

  private static void type(WebDriver d, CharSequence... text) {
    d.switchTo().activeElement().sendKeys(text);
  }

  private static void tab(Actions keys, WebDriver d, List<String> order) {
    keys.sendKeys(Keys.TAB).perform();
    order.add(focused(d));
  }

  // ---- plain HTTP with bearer tokens

  static String form(String name, String... extra) {
    List<String> pairs = new ArrayList<>(List.of("component.namespace", ns, "values.name", name, "values.replicas",
        "2", "values.owner", "team-a", "values.lifecycle", "experimental"));
    pairs.addAll(List.of(extra));
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < pairs.size(); i += 2) {
      b.append(b.length() == 0 ? "" : "&").append(URLEncoder.encode(pairs.get(i), StandardCharsets.UTF_8))
          .append('=').append(URLEncoder.encode(pairs.get(i + 1), StandardCharsets.UTF_8));
    }
    return b.toString();
  }

  static HttpResponse<String> post(String token, String body, String origin) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url("/golden-paths/default/" + template)))
        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (origin != null) {
      b.header("Origin", origin);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aCallerWithoutCreateGetsTheYamlOnlyEvenWhenAskingToCreate() throws Exception {
    String name = "viewer-" + ns.substring(3);
    HttpResponse<String> review = post(viewer, form(name), null);
    assertThat(review.statusCode()).isEqualTo(200);
    assertThat(review.body()).contains("kind: Component").contains("name: " + name)
        .contains("may not create components.platform.tarmac.dev in namespace " + ns)
        .doesNotContain("value=\"create\"");
    HttpResponse<String> forced = post(viewer, form(name, "action", "create"), null);
    assertThat(forced.statusCode()).isEqualTo(200);
    assertThat(forced.body()).contains("may not create");
    assertThat(admin.resources(Component.class).inNamespace(ns).withName(name).get()).isNull();
  }

  @Test
  void aCallerWithCreateCreatesWithTheirTokenAndIsSentToTheStatusPage() throws Exception {
    String name = "http-" + ns.substring(3);
    HttpResponse<String> review = post(creator, form(name), null);
    assertThat(review.body()).contains("value=\"create\"").contains("with your Kubernetes token");
    HttpResponse<String> created = post(creator, form(name, "action", "create"), null);
    assertThat(created.statusCode()).isEqualTo(303);
    assertThat(created.headers().firstValue("Location")).hasValue("/golden-paths/status/" + ns + "/" + name);
    assertThat(admin.resources(Component.class).inNamespace(ns).withName(name).get()).isNotNull();
    HttpResponse<String> status = HTTP.send(HttpRequest.newBuilder(URI.create(url("/golden-paths/status/" + ns + "/"
        + name))).header("Authorization", "Bearer " + viewer).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(status.body()).contains("Component " + ns + "/" + name);
    // A second create of the same name: the API server's 409, said on the page, nothing replaced.
    HttpResponse<String> again = post(creator, form(name, "action", "create"), null);
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(again.body()).contains("already exists");
  }

  @Test
  void theComponentIsCreatedWithTheCallersTokenNotTheOperatorsRights() throws Exception {
    String name = "revoked-" + ns.substring(3);
    String token = TestCluster.get().token(ns, "revoked");
    String role = TestAccess.allowIn(admin, ns, ns, "revoked", TestAccess.rule("platform.tarmac.dev", "components",
        List.of(), "get", "create"));
    // The review asks the API server (SubjectAccessReview) and remembers the answer for up to 10 s.
    assertThat(post(token, form(name), null).body()).contains("value=\"create\"");
    admin.rbac().roleBindings().inNamespace(ns).withName(role).delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> !Boolean.TRUE.equals(admin.authorization().v1()
        .subjectAccessReview().create(new SubjectAccessReviewBuilder().withNewSpec()
            .withUser("system:serviceaccount:" + ns + ":revoked").withNewResourceAttributes().withVerb("create")
            .withGroup("platform.tarmac.dev").withResource("components").withNamespace(ns).endResourceAttributes()
            .endSpec().build()).getStatus().getAllowed()));
    // The operator still believes it may (its cached review), and the operator itself may create Components; the
    // API server refuses because the request carries the caller's token.
    HttpResponse<String> refused = post(token, form(name, "action", "create"), null);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).contains("The API server refused to create it as system:serviceaccount:" + ns
        + ":revoked");
    assertThat(admin.resources(Component.class).inNamespace(ns).withName(name).get()).isNull();
  }

  @Test
  void crossSiteAndUnauthenticatedPostsAreRefused() throws Exception {
    String name = "csrf-" + ns.substring(3);
    HttpResponse<String> forged = post(creator, form(name, "action", "create"), "https://evil.example");
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(forged.body()).contains("only from the portal's own pages");
    assertThat(post(null, form(name, "action", "create"), null).statusCode()).isEqualTo(401);
    assertThat(admin.resources(Component.class).inNamespace(ns).withName(name).get()).isNull();
  }

  @Test
  void impersonationActsAsTheProxiedUserWithTheirRights() {
    KubernetesAuth.User alice = new KubernetesAuth.User("system:serviceaccount:" + ns + ":creator",
        List.of("system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"));
    KubernetesAuth.User bob = new KubernetesAuth.User("bob@example.com", List.of("system:authenticated"));
    CreateAs createAs = new CreateAs(admin, true);
    Component ok = createAs.create(proxied(alice), new CreateAs.Decision(CreateAs.How.IMPERSONATION, null),
        component("alice-" + ns.substring(3)));
    assertThat(ok.getMetadata().getUid()).isNotNull();
    // Bob has no Role: the API server refuses him, though the client behind the impersonation is an admin.
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> createAs.create(proxied(bob), new CreateAs.Decision(
        CreateAs.How.IMPERSONATION, null), component("bob-" + ns.substring(3))))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    assertThat(admin.resources(Component.class).inNamespace(ns).withName("bob-" + ns.substring(3)).get()).isNull();
  }

  private static Component component(String name) {
    try {
      return Serialization.YAML.readValue("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata: {name: %s, namespace: %s}
          spec: {type: service, lifecycle: experimental, owner: team-a}
          """.formatted(name, ns), Component.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A proxy-authenticated user (no token) who may do everything: impersonation is what is under test. */
  private static Caller proxied(KubernetesAuth.User user) {
    return Caller.of(user, null, access -> true);
  }

  static void apply(String yaml) {
    admin.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).serverSideApply();
  }

  static String url(String path) {
    return "http://127.0.0.1:" + operator.http().address().getPort() + path;
  }
}
