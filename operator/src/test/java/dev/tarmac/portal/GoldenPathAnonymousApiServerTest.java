package dev.tarmac.portal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Template;
import dev.tarmac.testing.Browser;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;

/**
 * The golden paths with {@code --anonymous-read} (the local demo): the form and the YAML are there, but nothing is
 * ever created, because there is no identity to create as (the operator's own rights are never used).
 */
@Tag("apiserver")
class GoldenPathAnonymousApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient admin;
  static TarmacOperator operator;
  static String ns;
  static String template;

  @BeforeAll
  static void start() {
    TestCluster cluster = TestCluster.get();
    admin = cluster.client();
    ns = cluster.newNamespace("gpa");
    template = "anon-" + ns.substring(4);
    admin.load(new ByteArrayInputStream("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Template
        metadata: {name: %s}
        spec:
          owner: group:default/platform-team
          type: service
          title: Anonymous demo
          parameters:
          - required: [name, owner]
            properties:
              name: {title: Name, type: string}
              owner: {title: Owner, type: string}
          steps:
          - {id: log, action: debug:log, input: {message: hi}}
        """.formatted(template).getBytes(StandardCharsets.UTF_8))).serverSideApply();
    operator = new TarmacOperator(admin, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 2, false, "tarmac:test", true)).start();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    admin.resources(Template.class).withName(template).delete();
  }

  static String url(String path) {
    return "http://127.0.0.1:" + operator.http().address().getPort() + path;
  }

  @Test
  void theFormAndTheYamlAreServedButNothingIsCreated() throws Exception {
    try (Browser browser = Browser.start()) {
      WebDriver d = browser.driver();
      d.get(url("/golden-paths/default/" + template));
      d.findElement(By.id("component-namespace")).sendKeys(ns);
      d.findElement(By.id("values-name")).sendKeys("demo");
      d.findElement(By.id("values-owner")).sendKeys("team-a");
      d.findElement(By.id("gp-review")).click();
      String yaml = browser.await(10).until(x -> x.findElement(By.cssSelector(".gp-yaml"))).getText();
      assertThat(yaml).contains("name: demo", "namespace: " + ns, "template:");
      assertThat(d.findElements(By.cssSelector("button[value='create']"))).isEmpty();
      assertThat(d.findElement(By.id("gp-why")).getText()).contains("--anonymous-read");
    }
    // Asking to create anyway (from the portal's own origin) still shows the YAML only.
    HttpResponse<String> forced = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        url("/golden-paths/default/" + template))).header("Origin", url("").replaceAll("/$", ""))
        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(
            "component.namespace=" + ns + "&component.lifecycle=experimental&values.name=demo&values.owner=team-a"
                + "&action=create")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(forced.statusCode()).isEqualTo(200);
    assertThat(forced.body()).contains("--anonymous-read");
    assertThat(admin.resources(Component.class).inNamespace(ns).list().getItems()).isEmpty();
  }
}
