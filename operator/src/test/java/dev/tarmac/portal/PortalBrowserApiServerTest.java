package dev.tarmac.portal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.TarmacOperator;
import dev.tarmac.testing.Browser;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestAccess;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The portal in a real browser (Debian's headless Chromium through Selenium) against the operator on the real API
 * server, signed in with a ServiceAccount token that may read two of three team namespaces: sign-in, search and facet
 * narrowing, the entity page's relations and scorecard, the requests page with a Database that is not Ready and its
 * trace (and the list updating itself), keyboard navigation, and what an unauthenticated or cross-site request gets.
 */
@Tag("apiserver")
class PortalBrowserApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator op;
  static String payments;
  static String shop;
  static String hidden;
  static String base;
  static String token;
  static boolean createdScorecard;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    client = TestCluster.get().client();
    payments = TestCluster.get().newNamespace("payments");
    shop = TestCluster.get().newNamespace("shop");
    hidden = TestCluster.get().newNamespace("secret");
    createdScorecard = client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Scorecard")
        .withName("service-maturity").get() == null;
    client.load(Files.newInputStream(RepoPaths.repo().resolve("examples/scorecards/default.yaml")))
        .serverSideApply();
    client.namespaces().withName(payments).edit(n -> {
      n.getMetadata().setLabels(java.util.Map.of("platform.tarmac.dev/team", "team-" + payments));
      return n;
    });
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata:
          name: payments-service
          namespace: %1$s
          annotations:
            backstage.io/techdocs-ref: dir:.
            backstage.io/source-location: url:https://github.com/acme/payments-service
            pagerduty.com/service-id: P9PAYMT
            grafana/overview-dashboard: https://grafana.example.com/d/payments
            platform.tarmac.dev/description: Takes card payments for the shop
            platform.tarmac.dev/tags: java,payments
        spec: {type: service, lifecycle: production, owner: team-%1$s, system: payments,
               providesApis: [payments-api], dependsOn: [resource:payments-db]}
        ---
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata:
          name: fraud-check
          namespace: %1$s
          annotations: {platform.tarmac.dev/description: Scores each payment for fraud, platform.tarmac.dev/tags: python}
        spec: {type: service, lifecycle: experimental, owner: team-%1$s, system: payments, dependsOn: [component:payments-service]}
        ---
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: payments-db, namespace: %1$s}
        spec: {engine: postgresql, version: "16", storageGB: 100, size: small, backupRetentionDays: 3,
               compositionRef: {name: no-such-composition-%1$s}}
        """.formatted(payments));
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata:
          name: checkout-web
          namespace: %1$s
          annotations: {platform.tarmac.dev/description: The shop's web front end, platform.tarmac.dev/tags: "typescript,web"}
        spec: {type: website, lifecycle: production, owner: team-%1$s, system: shop, consumesApis: [payments-api]}
        ---
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata:
          name: cart-service
          namespace: %1$s
          annotations: {platform.tarmac.dev/description: Keeps shopping carts, platform.tarmac.dev/tags: go}
        spec: {type: service, lifecycle: production, owner: team-%1$s, system: shop}
        """.formatted(shop));
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: vault-sync, namespace: %1$s}
        spec: {type: service, lifecycle: production, owner: team-%1$s}
        """.formatted(hidden));
    op = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test", false)).start();
    base = "http://127.0.0.1:" + op.http().address().getPort();
    // The reader may get and list Tarmac's kinds and Events in two of the three namespaces.
    for (String ns : List.of(payments, shop)) {
      TestAccess.allowIn(client, ns, payments, "reader", new io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder()
          .withApiGroups("platform.tarmac.dev", "").withResources("components", "databases", "events", "works")
          .withVerbs("get", "list").build());
    }
    token = TestCluster.get().token(payments, "reader");
    await().atMost(Duration.ofSeconds(15)).until(() -> op.catalog().index().snapshot().byRef()
        .containsKey("component:" + hidden + "/vault-sync") && op.catalog().index().snapshot().byRef()
        .containsKey("resource:" + payments + "/payments-db"));
  }

  static void apply(String yaml) {
    client.load(new java.io.ByteArrayInputStream(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .serverSideApply();
  }

  @AfterAll
  static void stop() {
    if (op != null) {
      op.close();
    }
    if (createdScorecard) {
      client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Scorecard").withName("service-maturity")
          .delete();
    }
  }

  @Test
  void unauthenticatedBrowsersAreSentToSignInAndFormsFromElsewhereAreRefused() throws Exception {
    var page = http.send(HttpRequest.newBuilder(URI.create(base + "/catalog?kind=Component"))
        .header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(303);
    assertThat(page.headers().firstValue("Location")).hasValue("/sign-in?next=%2Fcatalog%3Fkind%3DComponent");
    // Proxy headers are believed only with --portal-trusted-proxy-headers.
    var proxied = http.send(HttpRequest.newBuilder(URI.create(base + "/catalog")).header("Accept", "text/html")
        .header("X-Forwarded-User", "system:admin").header("X-Forwarded-Groups", "system:masters").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(proxied.statusCode()).isEqualTo(303);
    var poll = http.send(HttpRequest.newBuilder(URI.create(base + "/requests?fragment=rows")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(poll.statusCode()).isEqualTo(401);
    // A bearer token works as for the API.
    var bearer = http.send(HttpRequest.newBuilder(URI.create(base + "/catalog")).header("Authorization",
        "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(bearer.statusCode()).isEqualTo(200);
    assertThat(bearer.body()).contains("payments-service").doesNotContain("vault-sync");
    assertThat(bearer.headers().firstValue("Content-Security-Policy").orElse("")).contains("script-src 'self'");
    // A sign-in posted from another site (no Origin of ours) is refused before the token is looked at.
    var crossSite = http.send(HttpRequest.newBuilder(URI.create(base + "/sign-in"))
        .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", "https://evil.example")
        .POST(HttpRequest.BodyPublishers.ofString("token=" + token + "&csrf=x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(crossSite.statusCode()).isEqualTo(403);
    assertThat(crossSite.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("tarmac_token="));
    var noCsrf = http.send(HttpRequest.newBuilder(URI.create(base + "/sign-in"))
        .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", base)
        .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(noCsrf.statusCode()).isEqualTo(403);
    assertThat(noCsrf.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("tarmac_token="));
  }

  @Test
  void aSignedInUserSearchesNarrowsReadsAnEntityAndFollowsRequests() throws Exception {
    try (Browser browser = Browser.start()) {
      WebDriver d = browser.driver();
      d.get(base + "/catalog");
      assertThat(d.getCurrentUrl()).contains("/sign-in?next=");
      d.findElement(By.id("token")).sendKeys("not-a-valid-token");
      d.findElement(By.cssSelector("form.sign-in button")).click();
      assertThat(d.findElement(By.cssSelector("[role=alert]")).getText()).contains("did not accept");
      d.findElement(By.id("token")).sendKeys(token);
      d.findElement(By.cssSelector("form.sign-in button")).click();
      browser.await(10).until(ExpectedConditions.urlContains("/catalog"));
      assertThat(d.findElement(By.cssSelector(".caller")).getText()).contains("system:serviceaccount:" + payments
          + ":reader");
      assertThat(d.manage().getCookieNamed("tarmac_token").isHttpOnly()).isTrue();
      String body = d.findElement(By.tagName("main")).getText();
      assertThat(body).contains("payments-service", "checkout-web").doesNotContain("vault-sync");

      // Search, then narrow with a facet; the filter is in the URL.
      WebElement q = d.findElement(By.id("q"));
      q.sendKeys("payment", Keys.ENTER);
      browser.await(10).until(ExpectedConditions.urlContains("q=payment"));
      List<String> names = names(d);
      assertThat(names).contains("payments-service", "payments-db").doesNotContain("cart-service");
      d.findElement(By.id("f-kind-component")).click();
      d.findElement(By.cssSelector(".facets button")).click();
      browser.await(10).until(ExpectedConditions.urlContains("kind=Component"));
      assertThat(names(d)).contains("payments-service").doesNotContain("payments-db");
      assertThat(d.findElement(By.id("f-kind-component")).isSelected()).isTrue();

      // The catalog as a team sees it, for the README.
      d.get(base + "/catalog?kind=Component&kind=Resource&kind=API");
      browser.screenshot("portal-catalog");

      // Keyboard only: the first Tab reaches the skip link, further Tabs the search box and the filters.
      d.get(base + "/catalog");
      List<String> focused = new ArrayList<>();
      for (int i = 0; i < 14; i++) {
        new Actions(d).sendKeys(Keys.TAB).perform();
        WebElement a = d.switchTo().activeElement();
        focused.add(a.getAttribute("id") == null || a.getAttribute("id").isEmpty() ? a.getText() : a.getAttribute("id"));
      }
      assertThat(focused.get(0)).isEqualTo("Skip to content");
      assertThat(focused).contains("q").anyMatch(f -> f.startsWith("f-kind-"));
      d.get(base + "/catalog");
      new Actions(d).sendKeys(Keys.TAB).perform();
      new Actions(d).sendKeys(Keys.ENTER).perform();
      assertThat(d.getCurrentUrl()).endsWith("#main");

      // The entity page: relations as a graph and lists, links from annotations, the scorecard with advice.
      d.get(base + "/catalog?q=payments-service");
      d.findElement(By.linkText("payments-service")).click();
      browser.await(10).until(ExpectedConditions.urlContains("/catalog/component/" + payments
          + "/payments-service"));
      String svg = d.findElement(By.cssSelector("svg.graph")).getText();
      assertThat(svg).contains("team-" + payments, "payments-db", "payments-api", "fraud-check");
      assertThat(d.findElement(By.id("relations")).isDisplayed()).isTrue();
      assertThat(d.findElements(By.cssSelector("ul.links a"))).extracting(a -> a.getAttribute("href"))
          .contains("https://app.pagerduty.com/service-directory/P9PAYMT", "https://grafana.example.com/d/payments");
      String scorecard = d.findElement(By.cssSelector("article.scorecard")).getText();
      assertThat(scorecard).contains("service-maturity").contains("What to do").contains("database-with-backups");
      d.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1500));
      browser.screenshot("portal-entity");
      d.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));

      // The requests page: the Database that is not Ready comes first, with its reason; its page shows the trace.
      d.get(base + "/requests?team=team-" + payments);
      WebElement first = browser.await(20).until(x -> {
        x.navigate().refresh();
        WebElement row = x.findElement(By.cssSelector("#requests-rows tr"));
        return row.getText().contains("CompositionNotFound") ? row : null;
      });
      assertThat(first.getText()).contains("payments-db").contains("Not ready");
      browser.screenshot("portal-requests");
      // A new request appears without reloading (the page polls its rows).
      apply("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Database
          metadata: {name: ledger-db, namespace: %1$s}
          spec: {engine: postgresql, version: "16", storageGB: 10, size: small, backupRetentionDays: 7,
                 compositionRef: {name: no-such-composition-%1$s}}
          """.formatted(payments));
      browser.await(20).until(x -> x.findElement(By.id("requests-rows")).getText().contains("ledger-db"));
      d.findElement(By.linkText("payments-db")).click();
      browser.await(10).until(ExpectedConditions.presenceOfElementLocated(By.id("trace")));
      String trace = d.findElement(By.cssSelector("table.trace")).getText();
      assertThat(trace).contains("Database " + payments + "/payments-db").contains("CompositionNotFound");
      assertThat(d.findElement(By.cssSelector("section[aria-labelledby=conditions]")).getText()).contains("Ready");
      browser.screenshot("portal-request-trace");

      // Scorecards: the matrix and the entities below Gold, sortable.
      d.get(base + "/scorecards?sort=name&dir=desc");
      assertThat(d.findElement(By.cssSelector("table.matrix")).getText()).contains("team-" + payments);
      assertThat(d.findElement(By.cssSelector("th[aria-sort=descending]")).getText()).contains("Entity");
      browser.screenshot("portal-scorecards");

      // An entity the reader may not get is not confirmed to exist.
      d.get(base + "/catalog/component/" + hidden + "/vault-sync");
      assertThat(d.findElement(By.tagName("h1")).getText()).isEqualTo("Not found");

      d.findElement(By.cssSelector("form.signout button")).click();
      browser.await(10).until(ExpectedConditions.urlContains("/sign-in"));
      d.get(base + "/catalog");
      assertThat(d.getCurrentUrl()).contains("/sign-in");
    }
  }

  static List<String> names(WebDriver d) {
    return d.findElements(By.cssSelector("table.entities tbody tr td:first-child a")).stream()
        .map(WebElement::getText).toList();
  }
}
