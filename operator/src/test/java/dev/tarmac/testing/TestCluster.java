package dev.tarmac.testing;

import dev.tarmac.api.Crds;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One real kube-apiserver + etcd (fabric8 kube-api-test, binaries from {@code hack/kube-binaries.sh}) per test JVM,
 * shared by every {@code apiserver}-tier test: starting one takes seconds, and tests keep apart by namespace and
 * name. Tarmac's CRDs are installed once, as {@code tarmac crds} prints them.
 *
 * <p>A test that stops the API server gets a cluster of its own instead ({@link #dedicated}): its own etcd data
 * folder and ports, the same binaries and certificates, closed by the test. The shared cluster cannot be stopped.
 */
public final class TestCluster implements AutoCloseable {

  /** The API server version whose binaries the project builds or downloads. */
  public static final String VERSION = "1.20.2";

  private static TestCluster instance;

  private final KubeAPIServer server;
  private final ApiServerProcesses own;
  private final String kubeconfig;
  private final KubernetesClient client;

  private static String dir() {
    return System.getProperty("tarmac.k8s.dir", System.getProperty("user.home") + "/.cache/tarmac");
  }

  private static Path binaries() {
    Path binaries = Path.of(dir(), "k8s", VERSION + "-linux-amd64");
    if (!Files.isExecutable(binaries.resolve("kube-apiserver"))) {
      throw new IllegalStateException("no kube-apiserver in " + binaries + ": run hack/kube-binaries.sh first"
          + " (make test does)");
    }
    return binaries;
  }

  private TestCluster(Path dataDir) throws java.io.IOException {
    long started = System.nanoTime();
    server = null;
    own = new ApiServerProcesses(binaries(), dir(), dataDir);
    kubeconfig = own.kubeconfig();
    client = newClient();
    System.out.printf("apiserver tier: dedicated kube-apiserver %s + etcd (data in %s) started on %s in %d ms%n",
        VERSION, dataDir, client.getConfiguration().getMasterUrl(), (System.nanoTime() - started) / 1_000_000);
    installCrds();
  }

  private TestCluster() {
    String dir = dir();
    binaries();
    own = null;
    server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withTestDir(dir)
        .withApiServerVersion(VERSION)
        .withOfflineMode(true)
        .withUpdateKubeConfig(false)
        .build());
    long started = System.nanoTime();
    server.start();
    kubeconfig = server.getKubeConfigYaml();
    client = newClient();
    System.out.printf("apiserver tier: kube-apiserver %s + etcd started on %s in %d ms%n", VERSION,
        client.getConfiguration().getMasterUrl(), (System.nanoTime() - started) / 1_000_000);
    installCrds();
    Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "kube-apiserver-stop"));
  }

  /** The shared cluster, started on first use. */
  public static synchronized TestCluster get() {
    if (instance == null) {
      instance = new TestCluster();
    }
    return instance;
  }

  /**
   * A cluster of the caller's own (close it): a new etcd with its data in {@code dataDir} and a kube-apiserver on
   * ports of its own, Tarmac's CRDs installed. Unlike the shared cluster its API server can be stopped and started
   * again at the same address, against the same etcd data ({@link #stopApiServer()}, {@link #startApiServer()}).
   */
  public static TestCluster dedicated(Path dataDir) throws java.io.IOException {
    return new TestCluster(dataDir);
  }

  /**
   * Kills this dedicated cluster's kube-apiserver (SIGKILL); etcd keeps running with its data.
   *
   * @throws IllegalStateException on the shared cluster, which other tests use
   */
  public void stopApiServer() {
    dedicatedOnly().stopApiServer();
  }

  /** Starts this dedicated cluster's kube-apiserver again on the same port; returns when it serves requests. */
  public void startApiServer() {
    dedicatedOnly().startApiServer();
  }

  private ApiServerProcesses dedicatedOnly() {
    if (own == null) {
      throw new IllegalStateException("the shared cluster cannot be stopped: other tests use it; use"
          + " TestCluster.dedicated(dir)");
    }
    return own;
  }

  /** Closes a dedicated cluster (its client, API server and etcd); the shared cluster stays up until the JVM ends. */
  @Override
  public void close() {
    if (own != null) {
      client.close();
      own.close();
    }
  }

  /** An admin client; do not close it. */
  public KubernetesClient client() {
    return client;
  }

  /** A new admin client the caller owns (close it). */
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build();
  }

  /**
   * A new client (the caller closes it) that authenticates as ServiceAccount {@code namespace/name} with a token from
   * the TokenRequest API, as a pod running under that ServiceAccount would: RBAC applies to it in full.
   */
  public KubernetesClient clientAs(String namespace, String serviceAccount) {
    String token = token(namespace, serviceAccount);
    Config admin = client.getConfiguration();
    return new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(Config.empty())
        .withMasterUrl(admin.getMasterUrl()).withCaCertData(admin.getCaCertData())
        .withCaCertFile(admin.getCaCertFile()).withOauthToken(token).build()).build();
  }

  /**
   * A token (TokenRequest API, valid one hour) of ServiceAccount {@code namespace/name}, creating the ServiceAccount
   * when it does not exist: what {@code kubectl create token} prints, for calling Tarmac's HTTP surfaces as that
   * identity.
   */
  public String token(String namespace, String serviceAccount) {
    if (client.serviceAccounts().inNamespace(namespace).withName(serviceAccount).get() == null) {
      client.serviceAccounts().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model
          .ServiceAccountBuilder().withNewMetadata().withName(serviceAccount).endMetadata().build()).create();
    }
    return client.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
        .tokenRequest(new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder().withNewSpec()
            .withExpirationSeconds(3600L).endSpec().build()).getStatus().getToken();
  }

  /** The admin kubeconfig as YAML. */
  public String kubeconfig() {
    return kubeconfig;
  }

  /** Creates a namespace with a unique name starting with {@code prefix}. */
  public String newNamespace(String prefix) {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return name;
  }

  private void installCrds() {
    for (var kind : Crds.KINDS) {
      CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
          .load(new ByteArrayInputStream(Crds.yaml(kind).getBytes(StandardCharsets.UTF_8))).item();
      client.resource(crd).forceConflicts().serverSideApply();
    }
    for (var kind : Crds.KINDS) {
      client.apiextensions().v1().customResourceDefinitions().withName(Crds.crdName(kind))
          .waitUntilCondition(TestCluster::established, 30, TimeUnit.SECONDS);
    }
  }

  /** Deletes the CRDs {@code names} (those that exist) and waits, at most 60 s each, until they are gone. */
  public static void deleteCrds(KubernetesClient client, java.util.List<String> names) {
    for (String name : names) {
      client.apiextensions().v1().customResourceDefinitions().withName(name).delete();
    }
    for (String name : names) {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> client.apiextensions()
          .v1().customResourceDefinitions().withName(name).get() == null);
    }
  }

  /**
   * Removes every Destination other test classes left in the shared API server (classes run one after another, so
   * none is in use): their finalizers are taken off, then they are deleted; waits (at most 30 s) until all are gone.
   * A Work that selects every Destination (no selectors, e.g. Crossplane's corpus Compositions) would otherwise wait
   * on a leftover whose store nobody serves any more before its files can leave Git.
   */
  public static void removeLeftoverDestinations(KubernetesClient client) {
    var destinations = client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Destination");
    for (var d : destinations.list().getItems()) {
      var one = destinations.withName(d.getMetadata().getName());
      try {
        one.patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
        one.delete();
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 404) {
          throw e;
        }
      }
    }
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
        .until(() -> destinations.list().getItems().isEmpty());
  }

  /**
   * Removes Tarmac Promise {@code name} that another test class may have left in the shared API server, with no
   * operator running to release it: its finalizers are taken off, then it is deleted; waits (at most 30 s) until it
   * is gone. A Promise left behind is reconciled by the next class's operator, which re-creates its request CRD.
   */
  public static void removeLeftoverPromise(KubernetesClient client, String name) {
    removeLeftoverPromise(client, "platform.tarmac.dev/v1alpha1", name);
  }

  /**
   * As {@link #removeLeftoverPromise(KubernetesClient, String)}, for the Promise of {@code apiVersion}: Tarmac's
   * ({@code platform.tarmac.dev/v1alpha1}) or Kratix's ({@code platform.kratix.io/v1alpha1}). A Kratix Promise left
   * by one class and a Tarmac Promise of the same name applied by the next are served under one name by the next
   * class's operator, which then switches between their request kinds.
   */
  public static void removeLeftoverPromise(KubernetesClient client, String apiVersion, String name) {
    var promise = client.genericKubernetesResources(apiVersion, "Promise").withName(name);
    if (promise.get() == null) {
      return;
    }
    try {
      promise.patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
          io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
      promise.delete();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> promise.get() == null);
  }

  /** True when a CRD's {@code Established} condition is True. */
  public static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /**
   * A CRD of {@code group}, version v1, whose schema accepts anything ({@code x-kubernetes-preserve-unknown-fields}):
   * the stand-in tests use for a provider's or a foreign kind. Name {@code plural.group}; singular the lower-cased
   * kind.
   *
   * @param scope {@code Namespaced} or {@code Cluster}
   */
  public static CustomResourceDefinition openCrd(String group, String kind, String plural, String scope) {
    return new io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder()
        .withNewMetadata().withName(plural + "." + group).endMetadata()
        .withNewSpec().withGroup(group).withScope(scope)
        .withNewNames().withKind(kind).withPlural(plural).withSingular(kind.toLowerCase(java.util.Locale.ROOT))
        .withListKind(kind + "List").endNames()
        .addNewVersion().withName("v1").withServed(true).withStorage(true)
        .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true)
        .endOpenAPIV3Schema().endSchema().endVersion()
        .endSpec().build();
  }
}
