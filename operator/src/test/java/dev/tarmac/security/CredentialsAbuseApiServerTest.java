package dev.tarmac.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Database;
import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Selector;
import dev.tarmac.api.Work;
import dev.tarmac.secrets.SecretAccess;
import dev.tarmac.testing.AuthGitServer;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestPromises;
import dev.tarmac.testing.TestStores;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, part 5: what a tenant or a careless platform change can do with credentials, Secrets and CRDs, on a real
 * API server with real Git servers on 127.0.0.1. Each case asserts the refusal, the condition and Event text, and
 * that nothing else changed (the remote's refs, the CRD's resourceVersion, no Secret or composed resource written).
 */
@Tag("apiserver")
class CredentialsAbuseApiServerTest {

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator operator;
  static AuthGitServer gitServer;
  static Path served;
  /** The operator's namespace: the only one it reads Git credentials from. */
  static String opNs;
  static String tenantB;

  @BeforeAll
  static void start() throws Exception {
    client = TestCluster.get().client();
    opNs = TestCluster.get().newNamespace("creds-op");
    tenantB = TestCluster.get().newNamespace("creds-tenant-b");
    served = Files.createDirectories(tmp.resolve("served"));
    gitServer = new AuthGitServer(served).user("reader", "read-only-token", false)
        .user("writer", "read-write-token", true);
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, opNs, "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test"))
        .withSecretAccess(new SecretAccess(opNs, Set.of(), null, null)).start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (operator != null) {
      operator.close();
    }
    if (gitServer != null) {
      gitServer.close();
    }
  }

  // --- helpers ---------------------------------------------------------------------------------------------------

  private static String unique(String prefix) {
    return prefix + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  }

  private static Path bare(String name) {
    Path repo = served.resolve(name + ".git");
    try {
      org.eclipse.jgit.api.Git.init().setBare(true).setDirectory(repo.toFile()).setInitialBranch("main").call()
          .close();
    } catch (org.eclipse.jgit.api.errors.GitAPIException e) {
      throw new IllegalStateException(e);
    }
    return repo;
  }

  /** Every ref of a bare repository ({@code <sha> <ref>} lines): what "nothing changed in Git" is compared on. */
  private static String refs(Path bare) throws Exception {
    Process p = new ProcessBuilder("git", "for-each-ref", "--format=%(objectname) %(refname)")
        .directory(bare.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  private static void secret(String ns, String name, Map<String, String> data) {
    client.resource(new SecretBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withStringData(data).build()).serverSideApply();
  }

  /** A GitStateStore {@code name} on {@code url} with {@code secretRef} and a Destination of the same name. */
  private static void store(String name, String url, String secretNs, String secretName) {
    GitStateStore store = new GitStateStore();
    store.setMetadata(new ObjectMetaBuilder().withName(name).build());
    store.setSpec(new GitStateStore.Spec());
    store.getSpec().url = url;
    if (secretName != null) {
      store.getSpec().secretRef = new GitStateStore.SecretRef();
      store.getSpec().secretRef.name = secretName;
      store.getSpec().secretRef.namespace = secretNs;
    }
    client.resource(store).create();
    Destination dest = new Destination();
    dest.setMetadata(new ObjectMetaBuilder().withName(name).withLabels(Map.of("suite", name)).build());
    dest.setSpec(new Destination.Spec());
    dest.getSpec().stateStoreRef = new Destination.StateStoreRef();
    dest.getSpec().stateStoreRef.name = name;
    client.resource(dest).create();
  }

  private static Condition awaitReady(Function<KubernetesClient, HasMetadata> get, String reason) {
    HasMetadata o = await().atMost(Duration.ofSeconds(60)).until(() -> get.apply(client),
        x -> x != null && reason.equals(Conditions.reason(status(x), Conditions.READY)));
    return Conditions.find(status(o).conditions, Conditions.READY).orElseThrow();
  }

  private static dev.tarmac.api.TarmacStatus status(HasMetadata o) {
    return (dev.tarmac.api.TarmacStatus) ((io.fabric8.kubernetes.client.CustomResource<?, ?>) o).getStatus();
  }

  /** Waits for a Warning Event on {@code object} with {@code reason}; returns its message. */
  private static String awaitEvent(HasMetadata object, String reason) {
    String ns = object.getMetadata().getNamespace() == null ? "default" : object.getMetadata().getNamespace();
    Event e = await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace(ns).list()
        .getItems().stream().filter(x -> object.getMetadata().getName().equals(x.getInvolvedObject().getName())
            && object.getKind().equals(x.getInvolvedObject().getKind()) && reason.equals(x.getReason()))
        .findFirst().orElse(null), x -> x != null);
    assertThat(e.getType()).isEqualTo("Warning");
    return e.getMessage();
  }

  private static GitStateStore gss(String name) {
    return client.resources(GitStateStore.class).withName(name).get();
  }

  private static Destination dest(String name) {
    return client.resources(Destination.class).withName(name).get();
  }

  private static Work work(String ns, String name, List<Map<String, String>> selectors) {
    Work w = new Work();
    w.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    w.setSpec(new Work.Spec());
    w.getSpec().owner = new Work.OwnerRef();
    w.getSpec().owner.kind = "Redis";
    w.getSpec().owner.namespace = ns;
    w.getSpec().owner.name = name;
    w.getSpec().destinationSelectors = selectors.stream().map(m -> {
      Selector s = new Selector();
      s.matchLabels = m;
      return s;
    }).toList();
    w.getSpec().files.add(new Work.WorkFile("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name
        + "}\n"));
    return client.resource(w).create();
  }

  private static Work awaitPublished(String ns, String name, String reason) {
    return await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Work.class).inNamespace(ns)
        .withName(name).get(), w -> w.getStatus() != null
            && reason.equals(Conditions.reason(w.getStatus(), Conditions.PUBLISHED)));
  }

  // --- Git credentials -------------------------------------------------------------------------------------------

  @Test
  void aReadOnlyCredentialLeavesTheStoreAndDestinationNotReadyAndWritesNothing() throws Exception {
    String name = unique("ro");
    Path repo = bare(name);
    secret(opNs, name, Map.of("username", "reader", "password", "read-only-token"));
    store(name, gitServer.url(name + ".git"), null, name);

    Condition ready = awaitReady(c -> gss(name), "CredentialsReadOnly");
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getMessage()).contains("refs/tarmac/probe/" + name).contains("write access")
        .contains("Secret " + opNs + "/" + name).doesNotContain("read-only-token");
    assertThat(awaitEvent(gss(name), "CredentialsReadOnly")).contains("write access");
    Condition destReady = awaitReady(c -> dest(name), "CredentialsReadOnly");
    assertThat(destReady.getMessage()).contains("GitStateStore " + name + " is not Ready");
    assertThat(awaitEvent(dest(name), "CredentialsReadOnly")).contains("write access");
    // The credential in use is named by resourceVersion, never by content.
    GitStateStore.CredentialsInUse inUse = gss(name).getStatus().credentials;
    assertThat(inUse.secret).isEqualTo(opNs + "/" + name);
    assertThat(inUse.resourceVersion).isEqualTo(client.secrets().inNamespace(opNs).withName(name).get()
        .getMetadata().getResourceVersion());
    assertThat(client.resources(GitStateStore.class).withName(name).get().getStatus().toString())
        .doesNotContain("read-only-token");
    assertThat(refs(repo)).as("no branch, no probe ref").isEmpty();
  }

  @Test
  void aRotatedSecretIsPickedUpWithinSecondsAndTheQueuedWorkLands() throws Exception {
    String name = unique("rotate");
    Path repo = bare(name);
    String ns = TestCluster.get().newNamespace("rotate-work");
    secret(opNs, name, Map.of("username", "reader", "password", "read-only-token"));
    store(name, gitServer.url(name + ".git"), null, name);
    awaitReady(c -> gss(name), "CredentialsReadOnly");
    work(ns, "queued", List.of(Map.of("suite", name)));
    // The Work waits in the writer: not published while the credential may only read.
    Work waiting = awaitPublished(ns, "queued", "StateStoreUnreachable");
    assertThat(Conditions.find(waiting.getStatus().conditions, Conditions.PUBLISHED).orElseThrow().getMessage())
        .contains("refused the write probe");
    assertThat(refs(repo)).isEmpty();
    String before = gss(name).getStatus().credentials.resourceVersion;

    long t0 = System.nanoTime();
    secret(opNs, name, Map.of("username", "writer", "password", "read-write-token"));
    String after = client.secrets().inNamespace(opNs).withName(name).get().getMetadata().getResourceVersion();
    awaitPublished(ns, "queued", "Published");
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("rotated credential: Secret changed -> queued Work published in %.2f s%n", seconds);
    assertThat(seconds).as("a rotated credential is picked up within seconds").isLessThan(15);
    GitStateStore rotated = await().atMost(Duration.ofSeconds(30)).until(() -> gss(name),
        s -> Conditions.isTrue(s.getStatus(), Conditions.READY));
    assertThat(rotated.getStatus().credentials.resourceVersion).isEqualTo(after).isNotEqualTo(before);
    assertThat(refs(repo)).contains("refs/heads/main").doesNotContain("refs/tarmac/");
  }

  @Test
  void aDeletedSecretIsAConditionAndTheRemoteIsUntouched() throws Exception {
    String name = unique("gone");
    Path repo = bare(name);
    secret(opNs, name, Map.of("username", "writer", "password", "read-write-token"));
    store(name, gitServer.url(name + ".git"), null, name);
    await().atMost(Duration.ofSeconds(60)).until(() -> gss(name), s -> s.getStatus() != null
        && Conditions.isTrue(s.getStatus(), Conditions.READY));
    String refsBefore = refs(repo);
    client.secrets().inNamespace(opNs).withName(name).delete();
    Condition ready = awaitReady(c -> gss(name), "SecretNotFound");
    assertThat(ready.getMessage()).contains("Secret " + opNs + "/" + name).contains("does not exist")
        .contains("username and password");
    assertThat(awaitEvent(gss(name), "SecretNotFound")).contains(opNs + "/" + name);
    assertThat(awaitReady(c -> dest(name), "SecretNotFound").getMessage()).contains("does not exist");
    assertThat(gss(name).getStatus().credentials).isNull();
    assertThat(refs(repo)).isEqualTo(refsBefore);
  }

  @Test
  void aSecretWithTheWrongKeysNamesTheMissingKey() throws Exception {
    String name = unique("keys");
    Path repo = bare(name);
    secret(opNs, name, Map.of("user", "writer", "token", "read-write-token"));
    store(name, gitServer.url(name + ".git"), null, name);
    Condition ready = awaitReady(c -> gss(name), "SecretKeyMissing");
    assertThat(ready.getMessage()).contains("no key password").contains("no key sshPrivateKey")
        .contains("only token, user").doesNotContain("read-write-token");
    assertThat(awaitEvent(gss(name), "SecretKeyMissing")).contains("no key password");
    assertThat(refs(repo)).isEmpty();
  }

  @Test
  void anSshKeyWithoutKnownHostsNamesKnownHosts() {
    String name = unique("ssh");
    secret(opNs, name, Map.of("sshPrivateKey", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"));
    store(name, "ssh://git@127.0.0.1:1/repo.git", null, name);
    Condition ready = awaitReady(c -> gss(name), "SecretKeyMissing");
    assertThat(ready.getMessage()).contains("no key knownHosts").contains("ssh-keyscan")
        .doesNotContain("BEGIN OPENSSH");
    assertThat(awaitEvent(gss(name), "SecretKeyMissing")).contains("knownHosts");
  }

  @Test
  void aSecretRefIntoAnotherTenantsNamespaceIsRefusedWithoutReadingIt() throws Exception {
    String name = unique("foreign");
    Path repo = bare(name);
    // A valid, writable credential in tenant B's namespace: a tenant must not be able to point a store at it.
    secret(tenantB, name, Map.of("username", "writer", "password", "read-write-token"));
    store(name, gitServer.url(name + ".git"), tenantB, name);
    Condition ready = awaitReady(c -> gss(name), "SecretNamespaceNotAllowed");
    assertThat(ready.getMessage()).contains("spec.secretRef.namespace " + tenantB).contains("move the Secret to "
        + opNs).contains("rbac.secretNamespaces");
    assertThat(awaitEvent(gss(name), "SecretNamespaceNotAllowed")).contains(tenantB);
    assertThat(awaitReady(c -> dest(name), "SecretNamespaceNotAllowed").getStatus()).isEqualTo("False");
    assertThat(gss(name).getStatus().credentials).isNull();
    assertThat(refs(repo)).as("the credential was never used").isEmpty();
  }

  // --- CRDs ------------------------------------------------------------------------------------------------------

  @Test
  void aPromiseNamingAForeignCrdIsCrdNotOwnedAndTheCrdIsUntouched() throws Exception {
    String group = unique("certs") + ".example.org";
    String crdName = "widgets." + group;
    client.load(new ByteArrayInputStream("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: %1$s, labels: {owner: cert-team}}
        spec:
          group: %2$s
          names: {kind: Widget, plural: widgets, singular: widget}
          scope: Namespaced
          versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        """.formatted(crdName, group).getBytes(StandardCharsets.UTF_8))).create();
    CustomResourceDefinition before = client.apiextensions().v1().customResourceDefinitions().withName(crdName)
        .waitUntilCondition(TestCluster::established, 30, TimeUnit.SECONDS);
    String promiseName = unique("widgets");
    client.load(new ByteArrayInputStream(TestPromises.templatePromise(promiseName, group, "Widget", "suite",
        promiseName).getBytes(StandardCharsets.UTF_8))).serverSideApply();
    Condition ready = awaitReady(c -> c.resources(Promise.class).withName(promiseName).get(), "CrdNotOwned");
    assertThat(ready.getMessage()).contains("CRD " + crdName).contains("not created by Tarmac")
        .contains("untouched");
    assertThat(awaitEvent(client.resources(Promise.class).withName(promiseName).get(), "CrdNotOwned"))
        .contains(crdName);
    CustomResourceDefinition after = client.apiextensions().v1().customResourceDefinitions().withName(crdName).get();
    assertThat(after.getMetadata().getResourceVersion()).isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(after.getMetadata().getLabels()).containsExactly(Map.entry("owner", "cert-team"));

    // Deleting the Promise does not take the CRD with it.
    client.resources(Promise.class).withName(promiseName).delete();
    await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Promise.class).withName(promiseName).get()
        == null);
    assertThat(client.apiextensions().v1().customResourceDefinitions().withName(crdName).get().getMetadata()
        .getResourceVersion()).isEqualTo(before.getMetadata().getResourceVersion());
  }

  // --- Connection secrets and Compositions -----------------------------------------------------------------------

  @Test
  void aComposedResourceNamingASecretInAnotherNamespaceIsRefusedBeforeAnythingIsApplied() throws Exception {
    String ns = TestCluster.get().newNamespace("creds-claims");
    String composition = unique("steal-secret");
    secret(tenantB, "db-admin", Map.of("password", "tenant-b-secret"));
    String tenantSecretVersion = client.secrets().inNamespace(tenantB).withName("db-admin").get().getMetadata()
        .getResourceVersion();
    client.load(new ByteArrayInputStream("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: %1$s}
        spec:
          compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}
          target: Cluster
          resources:
            - name: service
              base:
                apiVersion: v1
                kind: Service
                spec:
                  ports: [{port: 5432, protocol: TCP}]
                  writeConnectionSecretToRef: {name: db-admin, namespace: %2$s}
              readinessChecks: [{type: None}]
              connectionDetails:
                - {name: password, type: FromConnectionSecretKey, fromConnectionSecretKey: password}
        """.formatted(composition, tenantB).getBytes(StandardCharsets.UTF_8))).serverSideApply();
    client.load(new ByteArrayInputStream("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: thief, namespace: %s}
        spec:
          engine: postgresql
          compositionRef: {name: %s}
          writeConnectionSecretToRef: {name: thief-credentials}
        """.formatted(ns, composition).getBytes(StandardCharsets.UTF_8))).create();
    Condition ready = awaitReady(c -> c.resources(Database.class).inNamespace(ns).withName("thief").get(),
        "SecretNamespaceNotAllowed");
    assertThat(ready.getMessage()).contains("composed resource service spec.writeConnectionSecretToRef")
        .contains("namespace " + tenantB).contains("claim's own namespace " + ns);
    assertThat(awaitEvent(client.resources(Database.class).inNamespace(ns).withName("thief").get(),
        "SecretNamespaceNotAllowed")).contains(tenantB);
    assertThat(client.secrets().inNamespace(ns).list().getItems()).as("no connection Secret written")
        .noneMatch(s -> s.getMetadata().getName().equals("thief-credentials"));
    assertThat(client.services().inNamespace(ns).list().getItems()).as("nothing composed").isEmpty();
    assertThat(client.secrets().inNamespace(tenantB).withName("db-admin").get().getMetadata().getResourceVersion())
        .as("tenant B's Secret untouched").isEqualTo(tenantSecretVersion);
    assertThat(client.resources(Database.class).inNamespace(ns).withName("thief").get().getStatus().toString())
        .doesNotContain("tenant-b-secret");
  }

  @Test
  void anUnknownCompositionRefIsCompositionNotFoundAndNothingIsComposed() {
    String ns = TestCluster.get().newNamespace("creds-nocomp");
    String missing = unique("no-such-composition");
    client.load(new ByteArrayInputStream("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: orphan, namespace: %s}
        spec:
          engine: postgresql
          compositionRef: {name: %s}
          writeConnectionSecretToRef: {name: orphan-credentials}
        """.formatted(ns, missing).getBytes(StandardCharsets.UTF_8))).create();
    Condition ready = awaitReady(c -> c.resources(Database.class).inNamespace(ns).withName("orphan").get(),
        "CompositionNotFound");
    assertThat(ready.getMessage()).contains(missing);
    assertThat(awaitEvent(client.resources(Database.class).inNamespace(ns).withName("orphan").get(),
        "CompositionNotFound")).contains(missing);
    assertThat(client.secrets().inNamespace(ns).withName("orphan-credentials").get()).isNull();
    assertThat(client.apps().statefulSets().inNamespace(ns).list().getItems()).isEmpty();
  }

  // --- Destinations ----------------------------------------------------------------------------------------------

  @Test
  void aWorkCannotReachAnotherTenantsDestinationBySelectingItToo() throws Exception {
    String a = unique("tenant-a");
    String b = unique("tenant-b");
    String ns = TestCluster.get().newNamespace("creds-sel");
    TestStores.create(client, a, null, Map.of("tenant", a), null);
    TestStores.create(client, b, null, Map.of("tenant", b), null);
    await().atMost(Duration.ofSeconds(60)).until(() -> Conditions.isTrue(dest(b).getStatus(), Conditions.READY)
        && Conditions.isTrue(dest(a).getStatus(), Conditions.READY));
    String bCommitBefore = gss(b).getStatus().lastCommit;
    // The Promise's selector (tenant A) plus one a pipeline added naming tenant B: selectors are ANDed (Kratix's
    // scheduling), so adding one can only narrow where a Work goes, never widen it to another tenant.
    work(ns, "escape", List.of(Map.of("tenant", a), Map.of("tenant", b)));
    Work refused = awaitPublished(ns, "escape", "NoMatchingDestination");
    assertThat(Conditions.find(refused.getStatus().conditions, Conditions.PUBLISHED).orElseThrow().getMessage())
        .contains(b);
    assertThat(refused.getStatus().placements).isEmpty();
    // The control: the same Work without the extra selector lands in A only; B's store has no new commit.
    work(ns, "stay", List.of(Map.of("tenant", a)));
    Work placed = awaitPublished(ns, "stay", "Published");
    assertThat(placed.getStatus().placements).extracting(p -> p.destination).containsExactly(a);
    assertThat(gss(b).getStatus().lastCommit).isEqualTo(bCommitBefore);
  }
}
