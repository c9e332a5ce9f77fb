package dev.tarmac.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.TestAccess;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Abuse of the authenticated HTTP surfaces (issue 15, part 3), against the real API server with ServiceAccount
 * tokens from the TokenRequest API: no, garbage, revoked and rightless tokens; another tenant's repository and
 * entities; pushes; path tricks; existence probes. Every case asserts the refusal, that nothing is served, and for
 * Git that the repository did not change.
 */
@Tag("apiserver")
class HttpAuthAbuseApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient admin;
  static TarmacOperator operator;
  static String nsA;
  static String nsB;
  static String store;
  static String repoA;
  static String tokenA;
  static String tokenB;
  static String tokenNone;
  static String tokenMetrics;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    TestCluster cluster = TestCluster.get();
    admin = cluster.client();
    nsA = cluster.newNamespace("tenant-a");
    nsB = cluster.newNamespace("tenant-b");
    store = "store-" + nsA;
    String template = "http-auth-" + nsA;
    repoA = "svc-" + nsA;
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: GitStateStore
        metadata: {name: %1$s}
        spec: {branch: main}
        ---
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Template
        metadata: {name: %2$s}
        spec:
          owner: group:default/platform-team
          type: service
          parameters:
          - required: [name]
            properties:
              name: {type: string}
          steps:
          - id: fetch
            action: fetch:template
            input:
              values: {name: "${{ parameters.name }}"}
          - id: publish
            action: publish:git
            input:
              repoUrl: tarmac.local?repo=${{ parameters.name }}
          skeleton:
            files:
              README.md: "# ${{ values.name }}"
        """.formatted(store, template));
    // Tenant A may read Components and Databases in its namespace and the store; B only Components in its own.
    tokenA = cluster.token(nsA, "tenant-a");
    TestAccess.allowIn(admin, nsA, nsA, "tenant-a", TestAccess.rule("platform.tarmac.dev", "components",
        List.of(), "get"));
    TestAccess.allowClusterWide(admin, nsA, "tenant-a", TestAccess.rule("platform.tarmac.dev", "gitstatestores",
        List.of(store), "get"));
    tokenB = cluster.token(nsB, "tenant-b");
    TestAccess.allowIn(admin, nsB, nsB, "tenant-b", TestAccess.rule("platform.tarmac.dev", "components",
        List.of(), "get"));
    tokenNone = cluster.token(nsA, "no-rights");
    tokenMetrics = cluster.token(nsA, "prometheus");
    TestAccess.allowClusterWide(admin, nsA, "prometheus", TestAccess.nonResource("/metrics"));

    operator = new TarmacOperator(admin, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test", false)).start();
    for (String ns : List.of(nsA, nsB)) {
      apply("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata: {name: checkout, namespace: %1$s}
          spec: {type: service, lifecycle: production, owner: shared-team, system: shop}
          ---
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata: {name: secret-%1$s, namespace: %1$s}
          spec: {type: website, lifecycle: experimental, owner: shared-team}
          """.formatted(ns));
    }
    apply("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: scaffolded, namespace: %s}
        spec:
          type: service
          lifecycle: experimental
          owner: shared-team
          template: {name: %s, values: {name: %s}}
        """.formatted(nsA, template, repoA));
    await().atMost(Duration.ofSeconds(60)).until(
        () -> admin.resources(Component.class).inNamespace(nsA).withName("scaffolded").get(),
        c -> c.getStatus() != null && Conditions.isTrue(c.getStatus(), "Scaffolded"));
    await().atMost(Duration.ofSeconds(30)).until(
        () -> admin.resources(GitStateStore.class).withName(store).get(),
        s -> s.getStatus() != null && Conditions.isTrue(s.getStatus(), Conditions.READY));
    // Both tenants' entities are in the catalog before any case runs (the admin sees them through B and A's views).
    await().atMost(Duration.ofSeconds(10)).until(() -> query(tokenA, "kind=component").path("totalItems").asInt() == 3
        && query(tokenB, "kind=component").path("totalItems").asInt() == 2);
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  // ---- helpers

  static void apply(String yaml) {
    admin.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).serverSideApply();
  }

  static String url(String path) {
    return "http://127.0.0.1:" + operator.http().address().getPort() + path;
  }

  static HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path)));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String authorization, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url(path))).header("Authorization", authorization)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String bearer(String token) {
    return "Bearer " + token;
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  static JsonNode query(String token, String filter) throws Exception {
    return Serialization.JSON.readTree(get("/api/catalog/entities/by-query?limit=100&filter="
        + URLEncoder.encode(filter, StandardCharsets.UTF_8), bearer(token)).body());
  }

  /** Status line and body of a request sent byte for byte, so the path reaches the server as written. */
  static String raw(String path, String authorization) throws IOException {
    try (Socket s = new Socket("127.0.0.1", operator.http().address().getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
          + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  record Git(int exit, String output) {
  }

  static Git git(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "credential.helper=", "-c", "user.name=T",
        "-c", "user.email=t@example.com"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("GIT_TERMINAL_PROMPT", "0");
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Git(p.exitValue(), out);
  }

  static String withToken(String repo, String token) {
    return url("/git/" + repo + ".git").replace("http://", "http://x-token:" + token + "@");
  }

  /** Every ref of an embedded repository, read from its folder: what a refused push must leave as it was. */
  static String refs(String repo) throws Exception {
    Path dir = tmp.resolve("data/git/" + repo + ".git");
    return git(dir, "--git-dir", dir.toString(), "for-each-ref", "--format=%(refname) %(objectname)").output();
  }

  static String uidOf(String ns, String name) {
    return admin.resources(Component.class).inNamespace(ns).withName(name).get().getMetadata().getUid();
  }

  // ---- no or bad credentials: 401 with a challenge Git answers

  @ParameterizedTest
  @ValueSource(strings = {"/git/STORE.git/info/refs?service=git-upload-pack", "/api/catalog/entities/by-query",
      "/api/catalog/export/catalog-info.yaml", "/metrics"})
  void noTokenIsUnauthorizedWithABasicChallenge(String path) throws Exception {
    HttpResponse<String> r = get(path.replace("STORE", store), null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().allValues("WWW-Authenticate")).contains("Basic realm=\"tarmac\"",
        "Bearer realm=\"tarmac\"");
    assertThat(r.body()).contains("kubectl create token").doesNotContain("checkout").doesNotContain("jvm_");
  }

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJzdWIiOiJzeXN0ZW06YWRtaW4ifQ.c2ln"})
  void aTokenTheApiServerDoesNotKnowIsUnauthorized(String token) throws Exception {
    assertThat(get("/api/catalog/entities/by-query", bearer(token)).statusCode()).isEqualTo(401);
    assertThat(get("/git/" + store + ".git/info/refs?service=git-upload-pack", basic("admin", token))
        .statusCode()).isEqualTo(401);
  }

  @Test
  void aRevokedTokenIsUnauthorized() throws Exception {
    // A token bound to a Secret stops authenticating when the Secret is deleted (a revoked token; TokenRequest
    // cannot issue one that has already expired, and the API server rejects both the same way).
    var secret = admin.secrets().inNamespace(nsA).resource(new SecretBuilder().withNewMetadata()
        .withName("bound").endMetadata().build()).create();
    String token = admin.serviceAccounts().inNamespace(nsA).withName("tenant-a").tokenRequest(
        new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).withBoundObjectRef(
            new io.fabric8.kubernetes.api.model.authentication.BoundObjectReferenceBuilder().withApiVersion("v1")
                .withKind("Secret").withName("bound").withUid(secret.getMetadata().getUid()).build())
            .endSpec().build()).getStatus().getToken();
    admin.resource(secret).delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> admin.secrets().inNamespace(nsA).withName("bound").get()
        == null);
    HttpResponse<String> r = get("/api/catalog/entities/by-query", bearer(token));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).doesNotContain("checkout");
  }

  @Test
  void aTokenOfADeletedServiceAccountIsUnauthorized() throws Exception {
    String token = TestCluster.get().token(nsA, "short-lived");
    TestAccess.allowIn(admin, nsA, nsA, "short-lived", TestAccess.rule("platform.tarmac.dev", "components",
        List.of(), "get"));
    admin.serviceAccounts().inNamespace(nsA).withName("short-lived").delete();
    await().atMost(Duration.ofSeconds(10)).until(
        () -> admin.serviceAccounts().inNamespace(nsA).withName("short-lived").get() == null);
    assertThat(get("/api/catalog/entities/by-query", bearer(token)).statusCode()).isEqualTo(401);
  }

  @Test
  void basicAuthWithAnEmptyPasswordIsUnauthorizedWhateverTheUserName() throws Exception {
    assertThat(get("/git/" + store + ".git/info/refs?service=git-upload-pack", basic("system:admin", ""))
        .statusCode()).isEqualTo(401);
    assertThat(get("/api/catalog/entities/by-query", basic(tokenA, "")).statusCode())
        .as("a token in the user name is not read").isEqualTo(401);
    Git clone = git(tmp, "clone", "-q", url("/git/" + store + ".git").replace("http://", "http://admin@"),
        tmp.resolve("empty-password").toString());
    assertThat(clone.exit()).as(clone.output()).isNotZero();
  }

  // ---- authenticated, not allowed

  @Test
  void aTokenWithoutRightsReadsNothing() throws Exception {
    HttpResponse<String> metrics = get("/metrics", bearer(tokenNone));
    assertThat(metrics.statusCode()).isEqualTo(403);
    assertThat(metrics.body()).contains("get /metrics").doesNotContain("jvm_");
    HttpResponse<String> git = get("/git/" + store + ".git/info/refs?service=git-upload-pack", bearer(tokenNone));
    assertThat(git.statusCode()).isEqualTo(403);
    assertThat(git.body()).contains("get on gitstatestores.platform.tarmac.dev \"" + store + "\"");
    JsonNode page = query(tokenNone, "kind=component");
    assertThat(page.path("totalItems").asInt()).isZero();
    assertThat(get("/api/catalog/export/catalog-info.yaml", bearer(tokenNone)).body()).doesNotContain("checkout");
  }

  @Test
  void anotherTenantCannotCloneTheStoreOrTheScaffoldedRepository() throws Exception {
    String before = refs(store) + refs(repoA);
    Git store = git(tmp, "clone", "-q", withToken(HttpAuthAbuseApiServerTest.store, tokenB),
        tmp.resolve("b-store").toString());
    assertThat(store.exit()).isNotZero();
    assertThat(store.output()).contains("403");
    Git repo = git(tmp, "clone", "-q", withToken(repoA, tokenB), tmp.resolve("b-repo").toString());
    assertThat(repo.exit()).isNotZero();
    assertThat(tmp.resolve("b-repo/README.md")).doesNotExist();
    assertThat(refs(HttpAuthAbuseApiServerTest.store) + refs(repoA)).isEqualTo(before);
  }

  @Test
  void theOwnTenantClonesTheStoreAndTheRepositoryOfItsComponent() throws Exception {
    Git store = git(tmp, "clone", "-q", withToken(HttpAuthAbuseApiServerTest.store, tokenA),
        tmp.resolve("a-store").toString());
    assertThat(store.exit()).as(store.output()).isZero();
    // With the token as a header instead (Argo CD's bearerToken, or http.extraHeader).
    Git repo = git(tmp, "-c", "http.extraHeader=Authorization: Bearer " + tokenA, "clone", "-q",
        url("/git/" + repoA + ".git"), tmp.resolve("a-repo").toString());
    assertThat(repo.exit()).as(repo.output()).isZero();
    assertThat(Files.readString(tmp.resolve("a-repo/README.md"))).isEqualTo("# " + repoA);
  }

  @Test
  void pushIsRefusedEvenWithATokenAllowedToRead() throws Exception {
    Path clone = tmp.resolve("push");
    assertThat(git(tmp, "clone", "-q", withToken(repoA, tokenA), clone.toString()).exit()).isZero();
    String before = refs(repoA);
    Files.writeString(clone.resolve("evil.txt"), "x");
    git(clone, "add", "evil.txt");
    git(clone, "commit", "-q", "-m", "push attempt");
    Git push = git(clone, "push", "origin", "HEAD:main");
    assertThat(push.exit()).isNotZero();
    assertThat(push.output()).contains("403");
    HttpResponse<String> advertise = get("/git/" + repoA + ".git/info/refs?service=git-receive-pack", bearer(tokenA));
    assertThat(advertise.statusCode()).isEqualTo(403);
    assertThat(advertise.body()).contains("read-only");
    HttpResponse<String> pack = post("/git/" + repoA + ".git/git-receive-pack", bearer(tokenA), "0000");
    assertThat(pack.statusCode()).isEqualTo(403);
    assertThat(refs(repoA)).as("the repository did not change").isEqualTo(before);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/git/../metrics", "/git/%2e%2e/metrics", "/git/..%2fmetrics",
      "/git/STORE.git/../../api/catalog/entities", "/git/%2e%2e/api/catalog/entities"})
  void pathTricksDoNotEscapeTheGuard(String path) throws Exception {
    // Tenant B's token: allowed nothing on the store and nothing on /metrics. A path that normalizes to another
    // surface meets that surface's guard (the catalog then answers with B's own entities only); an encoded dot
    // segment is refused outright.
    String response = raw(path.replace("STORE", store), bearer(tokenB));
    String status = response.substring(0, response.indexOf("\r\n"));
    assertThat(response).doesNotContain("jvm_").doesNotContain("secret-" + nsA).doesNotContain(nsA + "/");
    if (path.contains("metrics") || path.contains("%2")) {
      assertThat(status).as(response).doesNotContain(" 200 ");
    } else {
      assertThat(response).contains("secret-" + nsB);
    }
  }

  @Test
  void aMissingRepositoryAndAForbiddenOneLookTheSame() throws Exception {
    String missing = "no-such-" + nsA;
    HttpResponse<String> forbidden = get("/git/" + store + ".git/info/refs?service=git-upload-pack",
        bearer(tokenB));
    HttpResponse<String> absent = get("/git/" + missing + ".git/info/refs?service=git-upload-pack",
        bearer(tokenB));
    assertThat(absent.statusCode()).isEqualTo(forbidden.statusCode()).isEqualTo(403);
    assertThat(absent.body().replace(missing, "X")).isEqualTo(forbidden.body().replace(store, "X"));
    HttpResponse<String> component = get("/git/" + repoA + ".git/info/refs?service=git-upload-pack",
        bearer(tokenB));
    assertThat(component.body().replace(repoA, "X")).as("a Component's repository too")
        .isEqualTo(forbidden.body().replace(store, "X"));
  }

  // ---- the catalog: another tenant's entities do not exist

  @Test
  void byNameAndByUidOfAnotherTenantsEntityAreNotFoundLikeAMissingOne() throws Exception {
    HttpResponse<String> hidden = get("/api/catalog/entities/by-name/component/" + nsB + "/secret-" + nsB,
        bearer(tokenA));
    HttpResponse<String> missing = get("/api/catalog/entities/by-name/component/" + nsB + "/nope", bearer(tokenA));
    assertThat(hidden.statusCode()).isEqualTo(missing.statusCode()).isEqualTo(404);
    assertThat(Serialization.JSON.readTree(hidden.body()).path("error").path("name").asText())
        .isEqualTo("NotFoundError");
    assertThat(hidden.body()).doesNotContain("website");
    assertThat(get("/api/catalog/entities/by-uid/" + uidOf(nsB, "secret-" + nsB), bearer(tokenA)).statusCode())
        .isEqualTo(404);
    assertThat(get("/api/catalog/entities/by-name/component/" + nsB + "/secret-" + nsB, bearer(tokenB))
        .statusCode()).as("its own tenant sees it").isEqualTo(200);
  }

  @Test
  void queriesListsAndSearchShowOnlyTheCallersNamespace() throws Exception {
    JsonNode a = query(tokenA, "kind=component");
    assertThat(a.path("totalItems").asInt()).isEqualTo(3);
    assertThat(a.path("items").toString()).contains(nsA).doesNotContain(nsB);
    JsonNode search = Serialization.JSON.readTree(get("/api/catalog/entities/by-query?fullTextFilterTerm=secret-"
        + nsB, bearer(tokenA)).body());
    assertThat(search.path("totalItems").asInt()).isZero();
    String legacy = get("/api/catalog/entities?filter=kind=component", bearer(tokenA)).body();
    assertThat(legacy).contains("secret-" + nsA).doesNotContain(nsB);
    // The shared owner is visible to both, without the other tenant's entities among its relations.
    String group = get("/api/catalog/entities/by-name/group/default/shared-team", bearer(tokenA)).body();
    assertThat(group).contains("component:" + nsA + "/checkout").doesNotContain(nsB);
  }

  @Test
  void facetsCountOnlyVisibleEntities() throws Exception {
    JsonNode facets = Serialization.JSON.readTree(get("/api/catalog/entity-facets?facet=metadata.namespace"
        + "&facet=spec.type&filter=kind=component", bearer(tokenB)).body()).path("facets");
    assertThat(facets.path("metadata.namespace").toString()).contains(nsB).doesNotContain(nsA);
    int services = 0;
    for (JsonNode f : facets.path("spec.type")) {
      services += f.path("value").asText().equals("service") ? f.path("count").asInt() : 0;
    }
    assertThat(services).as("B's checkout only, not A's checkout and scaffolded").isEqualTo(1);
  }

  @Test
  void byRefsAnswersNullForHiddenEntities() throws Exception {
    HttpResponse<String> r = post("/api/catalog/entities/by-refs", bearer(tokenA), "{\"entityRefs\": ["
        + "\"component:" + nsA + "/checkout\", \"component:" + nsB + "/checkout\", \"component:" + nsB
        + "/secret-" + nsB + "\"], \"fields\": [\"metadata.namespace\"]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(Serialization.JSON.readTree(r.body()).path("items").toString())
        .isEqualTo("[{\"metadata\":{\"namespace\":\"" + nsA + "\"}},null,null]");
  }

  @Test
  void theExportHoldsOnlyVisibleEntities() throws Exception {
    String yaml = get("/api/catalog/export/catalog-info.yaml", bearer(tokenA)).body();
    assertThat(yaml).contains("secret-" + nsA).doesNotContain("secret-" + nsB).doesNotContain("namespace: " + nsB);
  }

  @Test
  void aRemovedRoleBindingHidesTheEntitiesWithinTheDecisionCacheTime() throws Exception {
    String token = TestCluster.get().token(nsB, "leaving");
    String binding = TestAccess.allowIn(admin, nsB, nsB, "leaving", TestAccess.rule("platform.tarmac.dev",
        "components", List.of(), "get"));
    String path = "/api/catalog/entities/by-name/component/" + nsB + "/secret-" + nsB;
    // RBAC takes effect once the API server's informers saw the binding (a denial meanwhile is cached for a while).
    await().atMost(Duration.ofSeconds(20)).until(() -> get(path, bearer(token)).statusCode() == 200);
    admin.rbac().roleBindings().inNamespace(nsB).withName(binding).delete();
    long removed = System.nanoTime();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
        .until(() -> get(path, bearer(token)).statusCode() == 404);
    double seconds = (System.nanoTime() - removed) / 1e9;
    assertThat(seconds).as("SubjectAccessReview answers are kept %s", dev.tarmac.http.KubernetesAuth.DECISION_TTL)
        .isLessThan(dev.tarmac.http.KubernetesAuth.DECISION_TTL.toSeconds() + 3);
  }

  // ---- metrics and the switch

  @Test
  void metricsNeedGetOnTheMetricsUrl() throws Exception {
    HttpResponse<String> r = get("/metrics", bearer(tokenMetrics));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("jvm_");
    assertThat(get("/metrics", bearer(tokenA)).statusCode()).as("a tenant may not").isEqualTo(403);
    assertThat(get("/healthz", null).statusCode()).as("probes stay open").isEqualTo(200);
    assertThat(get("/readyz", null).statusCode()).isEqualTo(200);
  }

  @Test
  void anonymousReadIsRefusedOnAnAddressOtherHostsReach() {
    var settings = new TarmacOperator.Settings("0.0.0.0", 0, false, "default", "test", tmp.resolve("anon"), false,
        4, false, "tarmac:test", true);
    assertThatThrownBy(() -> new TarmacOperator(admin, settings).start())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("--anonymous-read")
        .hasMessageContaining("loopback").hasMessageContaining("0.0.0.0");
    assertThat(tmp.resolve("anon/git")).as("nothing started").doesNotExist();
  }
}
