package dev.tarmac.cli;

import dev.tarmac.Logging;
import dev.tarmac.TarmacOperator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tarmac run}: the operator, in the foreground until SIGTERM. Connects with the usual kubeconfig rules
 * (in-cluster service account, {@code KUBECONFIG}, {@code ~/.kube/config}).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run the operator against the current Kubernetes context until stopped.")
public final class RunCommand implements Callable<Integer> {

  @Option(names = "--http-host", defaultValue = "${env:TARMAC_HTTP_HOST:-127.0.0.1}",
      description = "Address for /healthz, /readyz, /metrics, the catalog API and the Git server (default:"
          + " ${DEFAULT-VALUE}; the Helm chart passes 0.0.0.0 in a cluster).")
  String httpHost;

  @Option(names = "--anonymous-read",
      description = "Serve /git, /api/catalog and /metrics without a Kubernetes token, as before authentication"
          + " existed. Allowed only with a loopback --http-host (make run, make demo).")
  boolean anonymousRead;

  @Option(names = "--portal-trusted-proxy-headers",
      defaultValue = "${env:TARMAC_PORTAL_TRUSTED_PROXY_HEADERS:-false}",
      description = "Let the portal take the user from an authenticating proxy (oauth2-proxy): X-Forwarded-User and"
          + " X-Forwarded-Groups, or X-Auth-Request-User and X-Auth-Request-Groups; what that user may see is still"
          + " asked of the API server. Only when nothing but that proxy can reach the HTTP port (docs/portal.md;"
          + " Helm: portal.trustedProxyHeaders).")
  boolean portalTrustedProxyHeaders;

  @Option(names = "--http-port", defaultValue = "${env:TARMAC_HTTP_PORT:-8080}",
      description = "Port of the HTTP server; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--leader-election", negatable = true, fallbackValue = "true",
      description = "Take a coordination.k8s.io Lease before reconciling, so several replicas can run."
          + " Default: on inside a cluster, off elsewhere.")
  Boolean leaderElection;

  @Option(names = "--lease-duration", defaultValue = "${env:TARMAC_LEASE_DURATION:-8s}",
      converter = DurationConverter.class,
      description = "With leader election: how long the Lease holds without renewal; a standby takes over this long"
          + " after the leader died (default: ${DEFAULT-VALUE}; e.g. 8s, 500ms, PT8S).")
  java.time.Duration leaseDuration;

  @Option(names = "--lease-renew-deadline", defaultValue = "${env:TARMAC_LEASE_RENEW_DEADLINE:-5s}",
      converter = DurationConverter.class,
      description = "With leader election: the leader stops (and restarts) when it could not renew the Lease for this"
          + " long; shorter than --lease-duration (default: ${DEFAULT-VALUE}).")
  java.time.Duration leaseRenewDeadline;

  @Option(names = "--lease-retry-period", defaultValue = "${env:TARMAC_LEASE_RETRY_PERIOD:-1s}",
      converter = DurationConverter.class,
      description = "With leader election: between two attempts to take or renew the Lease (default:"
          + " ${DEFAULT-VALUE}).")
  java.time.Duration leaseRetryPeriod;

  /** Reads 8s, 500ms, 1m or ISO-8601 durations ({@link dev.tarmac.LeaseTimings#parse}). */
  static final class DurationConverter implements picocli.CommandLine.ITypeConverter<java.time.Duration> {
    @Override
    public java.time.Duration convert(String value) {
      return dev.tarmac.LeaseTimings.parse(value);
    }
  }

  @Option(names = "--namespace", defaultValue = "${env:POD_NAMESPACE:-tarmac-system}",
      description = "The operator's namespace: Lease, pipeline Jobs, Git credentials (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--data-dir", defaultValue = "${env:TARMAC_DATA_DIR:-${sys:user.home}/.local/share/tarmac}",
      description = "Git clones and the embedded repositories (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--install-crds", description = "Install or update Tarmac's CRDs at start-up.")
  boolean installCrds;

  @Option(names = "--backstage-crds", defaultValue = "${env:TARMAC_BACKSTAGE_CRDS:-false}",
      description = "Install or update the CRDs of Backstage's kinds (backstage.io Component, API, Resource, System,"
          + " Domain, Group, User, Location, AiResource; scaffolder.backstage.io Template) at start-up, so"
          + " catalog-info.yaml applies with kubectl (Helm: backstage.crds; docs/backstage.md).")
  boolean backstageCrds;

  @Option(names = "--crossplane-crds", defaultValue = "${env:TARMAC_CROSSPLANE_CRDS:-false}",
      description = "Install or update the CRDs of Crossplane's CompositeResourceDefinition and Composition kinds"
          + " (apiextensions.crossplane.io) at start-up (Helm: crossplane.crds; docs/crossplane.md). Never where"
          + " Crossplane runs.")
  boolean crossplaneCrds;

  @Option(names = "--crossplane", defaultValue = "${env:TARMAC_CROSSPLANE:-false}",
      description = "Reconcile Crossplane XRDs: generate their XR and claim CRDs and serve those kinds (Helm:"
          + " crossplane.enabled; docs/crossplane.md). Off by default; never where Crossplane runs, or both would"
          + " reconcile the same objects.")
  boolean crossplane;

  @Option(names = "--portal-impersonation", defaultValue = "${env:TARMAC_PORTAL_IMPERSONATION:-false}",
      description = "Let the portal's golden paths create a Component for a caller an authenticating proxy vouched for"
          + " (no Kubernetes token) by impersonating that user and groups; needs impersonate on users and groups"
          + " (Helm: goldenPaths.impersonate; docs/portal-golden-paths.md). Off: such callers get the YAML only.")
  boolean portalImpersonation;

  @Option(names = "--default-state-store", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Create the embedded GitStateStore and Destination 'default' when no GitStateStore exists"
          + " (default: ${DEFAULT-VALUE}).")
  boolean defaultStateStore;

  @Option(names = "--pipeline-image", defaultValue = "${env:TARMAC_PIPELINE_IMAGE:-ghcr.io/tarmac-dev/tarmac:0.1.0}",
      description = "The operator's image, run as the collector of every pipeline Job (default: ${DEFAULT-VALUE}).")
  String pipelineImage;

  @Option(names = "--secret-namespaces", defaultValue = "${env:TARMAC_SECRET_NAMESPACES:-}",
      description = "Comma-separated namespaces, besides the operator's, where GitStateStores' Secrets may live and"
          + " where connection secrets may be written; empty: Git credentials only in the operator's namespace,"
          + " connection secrets in any claim's namespace (Helm: rbac.secretNamespaces).")
  String secretNamespaces;

  @Option(names = "--connection-secret-cluster-role", defaultValue = "${env:TARMAC_CONNECTION_SECRET_CLUSTER_ROLE:-}",
      description = "A ClusterRole granting Secrets that the operator binds to its ServiceAccount in a claim's"
          + " namespace when the claim needs a connection secret there (the chart sets it); empty: no bindings.")
  String connectionSecretClusterRole;

  @Option(names = "--service-account", defaultValue = "${env:POD_SERVICE_ACCOUNT:-}",
      description = "The operator's ServiceAccount (subject of the connection-secret RoleBindings).")
  String serviceAccount;

  @Option(names = "--log-format", defaultValue = "${env:TARMAC_LOG_FORMAT:-text}",
      description = "text or json (default: ${DEFAULT-VALUE}).")
  Logging.Format logFormat;

  @Option(names = "--shard", defaultValue = "${env:TARMAC_SHARD:-}",
      description = "Reconcile only objects labelled platform.tarmac.dev/shard=NAME (requests, Databases, Components,"
          + " claims and XRs, Works, Destinations, GitStateStores), with a Lease of its own (tarmac-NAME); Promises,"
          + " Compositions, Templates and Scorecards are left to the operator run without --shard. Empty: the default"
          + " shard (docs/scaling.md).")
  String shard;

  @Option(names = "--ignore-sharded", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Without --shard: leave objects labelled platform.tarmac.dev/shard to their shards (default:"
          + " ${DEFAULT-VALUE}). --no-ignore-sharded reconciles them too: only where no named shard runs.")
  boolean ignoreSharded;

  @Option(names = "--reconcile-threads", defaultValue = "16",
      description = "Concurrent reconciles (default: ${DEFAULT-VALUE}).")
  int reconcileThreads;

  @Override
  public Integer call() throws Exception {
    Logging.use(logFormat);
    dev.tarmac.StartupTimeline.PROCESS.mark("cli");
    boolean inCluster = System.getenv("KUBERNETES_SERVICE_HOST") != null;
    boolean election = leaderElection != null ? leaderElection : inCluster;
    String identity = System.getenv().getOrDefault("POD_NAME", InetAddress.getLocalHost().getHostName());
    dev.tarmac.LeaseTimings timings;
    try {
      timings = new dev.tarmac.LeaseTimings(leaseDuration, leaseRenewDeadline, leaseRetryPeriod);
    } catch (IllegalArgumentException e) {
      System.err.println("tarmac: " + e.getMessage());
      return 2;
    }
    dev.tarmac.api.Shard shardOf;
    try {
      shardOf = dev.tarmac.api.Shard.of(shard, ignoreSharded);
    } catch (IllegalArgumentException e) {
      System.err.println("tarmac: --shard: " + e.getMessage());
      return 2;
    }
    if (!shardOf.isDefault() && crossplane) {
      System.err.println("tarmac: --crossplane runs on the default shard only (it writes XRDs' CRDs); run it in the"
          + " operator without --shard (docs/scaling.md)");
      return 2;
    }
    Files.createDirectories(dataDir);
    var config = TarmacOperator.tune(io.fabric8.kubernetes.client.Config.autoConfigure(null));
    if (!shardOf.isDefault()) {
      // The API server names a writer after its user agent (managedFields' manager): a shard's writes say which
      // shard made them (docs/scaling.md).
      config.setUserAgent(TarmacOperator.shardUserAgent(shardOf));
    }
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    dev.tarmac.StartupTimeline.PROCESS.mark("client");
    var settings = new TarmacOperator.Settings(httpHost, httpPort, election, namespace, identity, dataDir,
        installCrds, reconcileThreads, defaultStateStore, pipelineImage, anonymousRead);
    dev.tarmac.OperatorSupervisor operators;
    try {
      // A new operator in this process each time the running one loses its Lease (OperatorSupervisor).
      operators = new dev.tarmac.OperatorSupervisor(() -> {
        TarmacOperator operator = new TarmacOperator(client, settings).withSecretAccess(new dev.tarmac.secrets
            .SecretAccess(namespace, dev.tarmac.secrets.SecretAccess.parse(secretNamespaces),
            connectionSecretClusterRole, serviceAccount)).withLeaseTimings(timings)
            .withLeaderLabel(System.getenv("POD_NAME"))
            .withBackstageCrds(backstageCrds)
            .withCrossplaneCrds(crossplaneCrds)
            .withCrossplane(crossplane)
            .withPortalImpersonation(portalImpersonation)
            .withPortalTrustedProxyHeaders(portalTrustedProxyHeaders)
            .withShard(shardOf);
        try {
          return operator.start();
        } catch (RuntimeException e) {
          operator.close();
          throw e;
        }
      });
    } catch (IllegalStateException e) {
      client.close();
      System.err.println("tarmac: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      operators.close();
      client.close();
      stopped.countDown();
    }, "shutdown"));
    while (!stopped.await(2, java.util.concurrent.TimeUnit.SECONDS)) {
      String fatal = operators.check();
      if (fatal != null) {
        // The same condition fails /healthz in a cluster; run outside one, exit so a supervisor restarts it.
        System.err.println("tarmac: " + fatal);
        return 1;
      }
    }
    return 0;
  }
}
