package dev.tarmac;

import dev.tarmac.api.Composition;
import dev.tarmac.component.ComponentReconciler;
import dev.tarmac.component.RepositoryPublisher;
import dev.tarmac.catalog.CatalogIndex;
import dev.tarmac.catalog.CatalogInformers;
import dev.tarmac.catalog.CatalogServlet;
import dev.tarmac.api.Crds;
import dev.tarmac.composition.ComposeStep;
import dev.tarmac.composition.DatabaseReconciler;
import dev.tarmac.pipeline.BuiltInStep;
import dev.tarmac.pipeline.Pipeline;
import dev.tarmac.pipeline.PipelineJobBuilder;
import dev.tarmac.pipeline.TemplateStep;
import dev.tarmac.promise.PromiseReconciler;
import dev.tarmac.promise.PromiseRuntime;
import java.util.HashMap;
import java.util.Map;
import dev.tarmac.api.ApiResources;
import dev.tarmac.http.Caller;
import dev.tarmac.http.HttpAuthenticator;
import dev.tarmac.http.KubernetesAuth;
import dev.tarmac.portal.ClusterReads;
import dev.tarmac.portal.PortalServlet;
import dev.tarmac.statestore.DestinationReconciler;
import dev.tarmac.statestore.GitAccess;
import dev.tarmac.statestore.GitStateStoreReconciler;
import dev.tarmac.statestore.StateStoreLayout;
import dev.tarmac.statestore.StateStores;
import dev.tarmac.statestore.WorkReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator process: one JOSDK {@link Operator} with a reconciler per kind, the HTTP server, metrics and leader
 * election through a {@code coordination.k8s.io} Lease. Built by {@code tarmac run} and by tests, which run it
 * in-process against a real API server.
 */
public final class TarmacOperator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TarmacOperator.class);

  /**
   * How the operator runs.
   *
   * @param httpHost address the HTTP server binds
   * @param httpPort HTTP port; 0 picks a free one
   * @param leaderElection take a Lease before reconciling (several replicas)
   * @param namespace the operator's own namespace: Lease, pipeline Jobs, Git credentials
   * @param identity this instance's name in the Lease and in Events (pod name or host name)
   * @param dataDir where Git clones and the embedded repositories live
   * @param installCrds install or update Tarmac's CRDs at start-up instead of requiring them
   * @param reconcileThreads JOSDK reconciliation threads
   * @param defaultStateStore create the embedded store and Destination {@code default} when no GitStateStore exists
   * @param pipelineImage the operator's image, run as the last container of every pipeline Job
   * @param anonymousRead serve {@code /git}, {@code /api/catalog} and {@code /metrics} without authentication
   *     (allowed only when {@code httpHost} is a loopback address); false: Kubernetes tokens, TokenReview and
   *     SubjectAccessReview decide ({@link KubernetesAuth})
   */
  public record Settings(String httpHost, int httpPort, boolean leaderElection, String namespace, String identity,
      Path dataDir, boolean installCrds, int reconcileThreads, boolean defaultStateStore, String pipelineImage,
      boolean anonymousRead) {

    /** Without {@code anonymousRead}: the HTTP surfaces need a token (the safe default). */
    public Settings(String httpHost, int httpPort, boolean leaderElection, String namespace, String identity,
        Path dataDir, boolean installCrds, int reconcileThreads, boolean defaultStateStore, String pipelineImage) {
      this(httpHost, httpPort, leaderElection, namespace, identity, dataDir, installCrds, reconcileThreads,
          defaultStateStore, pipelineImage, false);
    }

    /** The same settings with {@code anonymousRead} set as given. */
    public Settings withAnonymousRead(boolean anonymous) {
      return new Settings(httpHost, httpPort, leaderElection, namespace, identity, dataDir, installCrds,
          reconcileThreads, defaultStateStore, pipelineImage, anonymous);
    }
  }

  /**
   * How often the operator's client repeats a request that failed to connect or got a 5xx/429: twice (after 0.1 s and
   * 0.2 s). fabric8's default, 10 times over about 19 s, held a Lease renewal past the renew deadline (5 s) for 20 s
   * while the API server was down (measured by {@code ApiServerOutageApiServerTest}), so the leader kept reconciling
   * long after a standby could take the Lease; failed reconciles are retried by the framework with backoff anyway.
   */
  public static final int REQUEST_RETRIES = 2;

  /**
   * Sets what the operator needs on the configuration its client is built from ({@link #REQUEST_RETRIES}); the same
   * instance is returned (changed in place, so an auto-configured one keeps refreshing its token).
   */
  public static io.fabric8.kubernetes.client.Config tune(io.fabric8.kubernetes.client.Config config) {
    config.setRequestRetryBackoffLimit(REQUEST_RETRIES);
    return config;
  }

  /**
   * The HTTP user agent of a named shard's client, {@code tarmac-shard-NAME/1}: the API server records the part before
   * the slash as the manager of every field the shard writes (an object's {@code metadata.managedFields}), so
   * {@code kubectl get -o yaml --show-managed-fields} tells which shard wrote a status.
   */
  public static String shardUserAgent(dev.tarmac.api.Shard shard) {
    return "tarmac-shard-" + shard.displayName() + "/1";
  }

  /** Annotation on Tarmac's own CRDs: the hash of the CRD this build installs, so an unchanged one is skipped. */
  static final String CRD_HASH = "platform.tarmac.dev/crd-hash";

  private final KubernetesClient client;
  private final Settings settings;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final StartupTimeline timeline = StartupTimeline.PROCESS;
  private final AtomicBoolean leader = new AtomicBoolean(false);
  private final AtomicReference<String> currentLeader = new AtomicReference<>();
  private final AtomicReference<String> fatal = new AtomicReference<>();
  private volatile boolean closing;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean reconcilingStopped = new AtomicBoolean();
  private volatile String lostLeadershipAt;
  private volatile boolean lostLeadership;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private dev.tarmac.secrets.SecretAccess secretAccess;
  private Operator operator;
  private HttpServer http;
  private Events events;
  private StateStores stateStores;
  /** Discovery, cached once for the process: the catalog's authorizer and the output guardrails both read it. */
  private ApiResources apiResources;
  private PromiseRuntime promises;
  private volatile WorkReconciler workReconciler;
  private CatalogInformers catalog;
  private dev.tarmac.insights.cost.CostController costs;
  private dev.tarmac.insights.dora.DoraEngine dora;
  private LeaseTimings leaseTimings = LeaseTimings.DEFAULT;
  private dev.tarmac.statestore.GitWriter.Timing gitTiming = dev.tarmac.statestore.GitWriter.Timing.DEFAULT;
  private LeaderLabel leaderLabel;
  private ApiServerProbe apiServer;
  private java.util.concurrent.CompletableFuture<Void> catalogStarted =
      java.util.concurrent.CompletableFuture.completedFuture(null);

  /**
   * @param client connected to the cluster (kubeconfig rules: in-cluster, KUBECONFIG, ~/.kube/config)
   * @param settings how to run
   */
  public TarmacOperator(KubernetesClient client, Settings settings) {
    this.client = client;
    this.settings = settings;
    this.secretAccess = dev.tarmac.secrets.SecretAccess.outsideChart(settings.namespace());
  }

  /**
   * Where the operator may read and write Secrets (Git credentials, connection secrets); by default only the
   * operator's namespace holds Git credentials and no RoleBindings are made. Call before {@link #start()}.
   *
   * @throws IllegalArgumentException when {@code access} names another operator namespace than the settings
   */
  public TarmacOperator withSecretAccess(dev.tarmac.secrets.SecretAccess access) {
    if (!access.operatorNamespace().equals(settings.namespace())) {
      throw new IllegalArgumentException("secret access is for namespace " + access.operatorNamespace()
          + ", the operator runs in " + settings.namespace());
    }
    this.secretAccess = access;
    return this;
  }

  /**
   * Install or update the CRDs of Backstage's kinds ({@link dev.tarmac.backstage.BackstageKinds}) at start-up, so
   * {@code kubectl apply -f catalog-info.yaml} works. CRDs of those names that another tool installed (without
   * Tarmac's label) are left as they are. Off by default: with them, {@code kubectl get components} and
   * {@code kubectl get templates} name Backstage's kinds. The catalog indexes objects of these kinds whenever the
   * API server serves them, installed by this or not. Call before {@link #start()}.
   */
  public TarmacOperator withBackstageCrds(boolean install) {
    this.backstageCrds = install;
    return this;
  }

  private boolean backstageCrds;

  /**
   * Install or update the CRDs of Crossplane's {@code CompositeResourceDefinition} and {@code Composition}
   * ({@link dev.tarmac.crossplane.CrossplaneKinds}) at start-up. CRDs of those names that another tool installed
   * (without Tarmac's label; Crossplane itself) are left as they are. Off by default. Call before {@link #start()}.
   */
  public TarmacOperator withCrossplaneCrds(boolean install) {
    this.crossplaneCrds = install;
    return this;
  }

  private boolean crossplaneCrds;

  /**
   * Reconcile Crossplane XRDs ({@link dev.tarmac.crossplane.XrdReconciler}): generate their XR and claim CRDs and
   * start the XR and claim controllers. Off by default: never where Crossplane runs. Needs the XRD CRD
   * ({@link #withCrossplaneCrds} or installed beforehand). Call before {@link #start()}.
   */
  public TarmacOperator withCrossplane(boolean enabled) {
    this.crossplane = enabled;
    return this;
  }

  /**
   * The XR and claim controllers the XRD controller starts and stops (default: {@link dev.tarmac.crossplane.XrControllers}
   * on this operator's client; tests of the XRD controller alone pass
   * {@link dev.tarmac.crossplane.CompositeControllers#logging()}). Call before {@link #start()}.
   */
  public TarmacOperator withCompositeControllers(dev.tarmac.crossplane.CompositeControllers controllers) {
    this.compositeControllers = controllers;
    return this;
  }

  private boolean crossplane;
  private dev.tarmac.crossplane.CompositeControllers compositeControllers;
  private dev.tarmac.api.Shard shard = dev.tarmac.api.Shard.DEFAULT;

  /**
   * Reconcile only {@code shard}'s objects (docs/scaling.md; default {@link dev.tarmac.api.Shard#DEFAULT}: the objects
   * without the label {@link dev.tarmac.api.Labels#SHARD}). The controllers of requests, Databases, Components,
   * Works, Destinations and GitStateStores watch with the shard's label selector; the Lease is the shard's own
   * ({@link dev.tarmac.api.Shard#leaseName}); a named shard reads Promises ({@link dev.tarmac.promise.PromiseFollower})
   * and does not reconcile Promises, Compositions, Templates or Scorecards, nor create the default state store. The
   * catalog serves every object whatever the shard. Call before {@link #start()}.
   */
  public TarmacOperator withShard(dev.tarmac.api.Shard shard) {
    this.shard = shard;
    return this;
  }

  /** The shard this operator reconciles. */
  public dev.tarmac.api.Shard shard() {
    return shard;
  }

  /**
   * Let the golden-path pages create a Component for a caller who signed in through an authenticating proxy (no
   * Kubernetes token) by impersonating that user and groups ({@link dev.tarmac.portal.CreateAs}); needs
   * {@code impersonate} on users and groups (chart value {@code goldenPaths.impersonate}). Off by default: such callers
   * get the YAML only. Call before {@link #start()}.
   */
  public TarmacOperator withPortalImpersonation(boolean enabled) {
    this.portalImpersonation = enabled;
    return this;
  }

  private boolean portalImpersonation;

  /**
   * Makes the portal believe an authenticating proxy's user headers ({@code X-Forwarded-User},
   * {@code X-Forwarded-Groups} and the {@code X-Auth-Request-*} variants; {@code --portal-trusted-proxy-headers}).
   * Off by default: only for an operator that nothing but that proxy can reach.
   */
  public TarmacOperator withPortalTrustedProxyHeaders(boolean trust) {
    this.portalTrustedProxyHeaders = trust;
    return this;
  }

  private boolean portalTrustedProxyHeaders;

  /** How the leader-election Lease is held (default {@link LeaseTimings#DEFAULT}). Call before {@link #start()}. */
  public TarmacOperator withLeaseTimings(LeaseTimings timings) {
    this.leaseTimings = timings;
    return this;
  }

  /**
   * Backoff and idle history-check intervals of the Git state store writers (default
   * {@link dev.tarmac.statestore.GitWriter.Timing#DEFAULT}; tests shorten them). Call before {@link #start()}.
   */
  public TarmacOperator withGitTiming(dev.tarmac.statestore.GitWriter.Timing timing) {
    this.gitTiming = timing;
    return this;
  }

  /**
   * With leader election, label Pod {@code pod} (in the operator's namespace) {@link LeaderLabel#LABEL} while this
   * replica leads, for the chart's Git Service. Call before {@link #start()}; without it no Pod is labelled (outside a
   * cluster).
   */
  public TarmacOperator withLeaderLabel(String pod) {
    this.leaderLabel = pod == null || pod.isBlank() ? null : new LeaderLabel(client, settings.namespace(), pod);
    return this;
  }

  /**
   * Checks the cluster, starts the HTTP server, registers every reconciler and starts them; returns when the
   * informers are synced (or, with leader election, once this instance stands by or leads).
   *
   * @throws IllegalStateException with a message saying what to do when the API server cannot be reached, Tarmac's
   *     CRDs are missing, or the HTTP port is taken
   */
  public TarmacOperator start() {
    if (settings.anonymousRead()) {
      try {
        HttpAuthenticator.checkAnonymousRead(settings.httpHost());
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
    checkCluster();
    ensureCrds();
    timeline.mark("crds");
    apiServer = new ApiServerProbe(client, java.time.Clock.systemUTC());
    new ClassLoaderMetrics().bindTo(metrics);
    new JvmMemoryMetrics().bindTo(metrics);
    new JvmGcMetrics().bindTo(metrics);
    new JvmThreadMetrics().bindTo(metrics);
    new ProcessorMetrics().bindTo(metrics);
    new UptimeMetrics().bindTo(metrics);
    events = new Events(client, settings.identity());
    if (settings.leaderElection() && leaderLabel != null) {
      // A former container of this Pod may have led and been killed without taking its label off.
      leaderLabel.release();
    }

    operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withCloseClientOnStop(false)
          .withConcurrentReconciliationThreads(settings.reconcileThreads())
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics))
          .withUseSSAToPatchPrimaryResource(false)
          .withInformerStoppedHandler(this::informerStopped)
          .withResourceCloner(new TokenBufferCloner(client.getKubernetesSerialization()));
      if (settings.leaderElection()) {
        o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(shard.leaseName(), settings.namespace(),
            leaseTimings.leaseDuration(), leaseTimings.renewDeadline(), leaseTimings.retryPeriod(),
            settings.identity(), new LeaderCallbacks(this::startedLeading, this::stoppedLeading, currentLeader::set),
            false));
      }
    });
    registerReconcilers();
    timeline.mark("reconcilers");

    http = new HttpServer(settings.httpHost(), settings.httpPort(), metrics, this::liveness, () -> {
      HttpServer.Readiness r = readiness();
      if (r.ready()) {
        timeline.mark("ready");
      }
      return r;
    });
    HttpAuthenticator authenticator = (settings.anonymousRead() ? HttpAuthenticator.anonymousRead()
        : HttpAuthenticator.kubernetes(new KubernetesAuth(client))).withTrustedProxyHeaders(portalTrustedProxyHeaders);
    http.protect("/metrics", authenticator.filter(
        HttpAuthenticator.Guard.require(KubernetesAuth.Access.nonResource("get", "/metrics"))));
    http.protect("/git/*", authenticator.filter(new GitAccess(this::repositoryOwner)));
    http.protect("/api/catalog/*", authenticator.filter(HttpAuthenticator.Guard.AUTHENTICATED));
    // The golden paths show each caller what SubjectAccessReviews allow, and create as the caller (never as the
    // operator): any authenticated caller may open them, behind the portal's browser filter below.
    dev.tarmac.portal.PortalTimers portalTimers = new dev.tarmac.portal.PortalTimers(metrics);
    http.mount("/golden-paths/*", new dev.tarmac.portal.GoldenPathServlet(client, new dev.tarmac.portal
        .PortalTemplates(), new dev.tarmac.portal.CreateAs(client, portalImpersonation), portalTimers));
    if (settings.leaderElection()) {
      http.protect("/git/*", new StandbyGitFilter());
    }
    http.mount("/git/*", stateStores.embedded().servlet());
    http.mount("/api/catalog/*", new CatalogServlet(catalog.index(), this::catalogAccess));
    // The portal: its pages (and the golden paths') behind the browser filter; sign-in and the stylesheet open.
    jakarta.servlet.Filter portalFilter = authenticator.browserFilter(HttpAuthenticator.Guard.AUTHENTICATED);
    for (String path : PORTAL_PAGES) {
      http.protect(path, portalFilter);
    }
    http.mount("/", new PortalServlet(catalog.index(), this::catalogAccess, new ClusterReads(client,
        this::gitBaseUrl), authenticator, portalTimers));
    timeline.mark("registered");
    http.start();
    LOG.info("HTTP server listening on {}", http.address());
    timeline.mark("http");
    // JOSDK starts every controller at once and returns when all have listed their kinds; its log says when each
    // one did ("'work' controller started").
    operator.start();
    timeline.mark("controllers");
    try {
      catalogStarted.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw new IllegalStateException("the catalog's informers did not start: " + rootMessage(e), e);
    }
    timeline.bindTo(metrics, List.of("leader", "ready"));
    LOG.info("operator started ({} controllers{})", operator.getRegisteredControllersNumber(),
        settings.leaderElection() ? ", leader election on" : "");
    return this;
  }

  /** The portal's protected paths (each also matches the path without {@code /*}). */
  static final List<String> PORTAL_PAGES = List.of("/catalog/*", "/scorecards/*", "/requests/*", "/golden-paths/*");

  /**
   * Whether the caller of {@code req} may see the entities of one source: {@code get} on the source's resource in
   * its namespace (SubjectAccessReview, cached); null when the caller sees everything. The catalog API and the
   * portal share this rule.
   */
  private java.util.function.Predicate<dev.tarmac.catalog.EntityVisibility.Source> catalogAccess(
      jakarta.servlet.http.HttpServletRequest req) {
    Caller caller = Caller.of(req);
    if (caller.unrestricted()) {
      return null;
    }
    return source -> apiResources.plural(source.apiVersion(), source.kind()).map(plural -> caller.may(
        KubernetesAuth.Access.resource("get", source.group(), plural, source.namespace(), null))).orElse(false);
  }

  private void registerReconcilers() {
    stateStores = new StateStores(client, settings.dataDir(), StateStoreLayout.Limits.DEFAULT).withTiming(gitTiming);
    closeables.add(stateStores);
    // The state stores' informers list on a thread of their own while the Jobs informer of the Promise runtime lists
    // here (start-up, issue 17); both are awaited before the controllers start (end of this method). The reconcilers
    // made meanwhile only add listeners to the stores (thread-safe lists).
    var storesStarted = java.util.concurrent.CompletableFuture.runAsync(() -> {
      stateStores.start();
      if (settings.defaultStateStore() && shard.writesClusterKinds()) {
        // The embedded store 'default' has no shard label: only the default shard may create and write it.
        stateStores.ensureDefaults();
      }
      timeline.mark("state-stores");
    }, task -> startThread("state-stores-start", task));
    registerSharded(new GitStateStoreReconciler(client, stateStores, events, secretAccess));
    registerSharded(new DestinationReconciler(stateStores, events));
    WorkReconciler works = new WorkReconciler(stateStores, events, shard);
    workReconciler = works;
    registerSharded(works);
    io.micrometer.core.instrument.FunctionCounter.builder("tarmac.work.confirmations", works,
        WorkReconciler::confirmations).description("Work reconciles that found every placement committed")
        .register(metrics);
    PipelineJobBuilder jobs = new PipelineJobBuilder(new PipelineJobBuilder.Settings(settings.pipelineImage(), 3600));
    apiResources = new ApiResources(client);
    promises = new PromiseRuntime(client, builtIns(), jobs, events, settings.namespace(),
        Math.max(4, settings.reconcileThreads()), apiResources, shard, works.cache());
    closeables.add(0, promises);
    timeline.mark("promise-runtime");
    io.micrometer.core.instrument.FunctionCounter.builder("tarmac.git.commits", stateStores,
        s -> s.writers().stream().mapToLong(w -> w.state().commits()).sum())
        .description("Commits made to Git state stores, all stores").register(metrics);
    io.micrometer.core.instrument.Gauge.builder("tarmac.git.pending.changes", stateStores,
        s -> s.writers().stream().mapToInt(w -> w.state().pending()).sum())
        .description("Work changes waiting for the next commit, all stores").register(metrics);
    io.micrometer.core.instrument.Gauge.builder("tarmac.git.stores.failing", stateStores,
        s -> s.writers().stream().filter(w -> w.state().lastError() != null).count())
        .description("Git state stores whose last write failed (retried with backoff)").register(metrics);
    io.micrometer.core.instrument.FunctionCounter.builder("tarmac.request.reconciles", promises,
        PromiseRuntime::requestReconciles).description("Reconciles of Promise requests, all kinds").register(metrics);
    // Registered before the catalog starts: the catalog may read its Component cache (below).
    ComponentReconciler components = new ComponentReconciler(client, new RepositoryPublisher(stateStores.embedded()),
        events, this::gitBaseUrl);
    registerSharded(components);
    catalog = new CatalogInformers(client, new CatalogIndex());
    closeables.add(catalog);
    // One process sees every object: the catalog, DORA and costs read the controllers' caches (below).
    boolean sharesCaches = !settings.leaderElection() && shard.labelSelector() == null;
    if (!sharesCaches) {
      // Request controllers run only on the leader, and see only this shard's requests: every replica's catalog
      // watches the request kinds itself, so a standby (and any shard) answers the catalog API with every request;
      // only the leader writes Scorecard results, and each shard only into its own Components' status.
      catalog.watchRequestKinds().writeScorecardsOf(c -> shard.owns(c.getMetadata().getLabels()));
      if (settings.leaderElection()) {
        catalog.writeScorecardsWhen(leader::get);
      }
    } else {
      // The catalog reads the request controllers' and the Component controller's caches instead of holding each
      // request and Component a second time (issue 17, figure 3).
      catalog.componentsFrom(components.cache());
    }
    // The catalog lists its kinds and builds its first index while the controllers start (at 10,000 Components
    // each takes seconds); /readyz waits for both.
    // DORA metrics and costs write ConfigMaps and conditions across namespaces: the default shard alone writes them,
    // so two shards never both do (docs/scaling.md).
    // One Deployment and one StatefulSet informer for DORA metrics and costs (both read them).
    var workloads = new dev.tarmac.insights.WorkloadInformers(client);
    closeables.add(workloads);
    dora = new dev.tarmac.insights.dora.DoraEngine(client, workloads, catalog.index(),
        dev.tarmac.insights.dora.DoraEngine.Settings.DEFAULT, java.time.Clock.systemUTC(),
        dev.tarmac.insights.dora.CommitResolver.embedded(stateStores.embedded()), events);
    if (!shard.writesClusterKinds()) {
      dora.writeWhen(() -> false);
    } else if (settings.leaderElection()) {
      dora.writeWhen(leader::get);
    }
    closeables.add(dora);
    // On a thread of its own: the start blocks for seconds, and the common pool may have 2 workers (Main).
    catalogStarted = java.util.concurrent.CompletableFuture.runAsync(() -> catalog.start(metrics),
        task -> startThread("catalog-start", task)).thenRun(() -> timeline.mark("catalog"));
    // Cost attribution and budgets (docs/insights-cost.md): its own informers; an operator without the RBAC for them
    // (an older chart) runs on without costs, saying so in its log.
    boolean writesCosts = shard.writesClusterKinds();
    costs = new dev.tarmac.insights.cost.CostController(client, workloads, events, catalog.index(),
        java.time.Duration.ofSeconds(2))
        .writeWhen(!writesCosts ? () -> false : settings.leaderElection() ? leader::get : () -> true)
        .onBackWithinBudget(promises::admissionChanged);
    closeables.add(costs);
    promises.admission(costs::refusal);
    if (sharesCaches) {
      // DORA and costs read Components, Works and requests from the controllers' caches too (issue 17, figure 3).
      promises.observeRequests((promise, request, deleted) -> {
        catalog.request(promise, request, deleted);
        costs.request(promise, request, deleted);
      });
      dora.componentsFrom(components.cache());
      costs.componentsFrom(components.cache()).worksFrom(works.cache()).requestsFrom(promises::requests);
    }
    // DORA metrics on a thread of their own, not awaited by /readyz: they are not needed to serve, and with a shared
    // Component cache their start waits for the controllers' first lists.
    java.util.concurrent.CompletableFuture.runAsync(() -> {
      try {
        dora.start(metrics);
        LOG.info("DORA metrics started");
      } catch (RuntimeException e) {
        // DORA metrics are an insight, not the operator's job: without read access to Deployments and StatefulSets
        // the rest runs on.
        LOG.warn("DORA metrics are off: cannot watch Components, Deployments and StatefulSets ({}); grant get, list"
            + " and watch on deployments and statefulsets (apps)", rootMessage(e));
      }
    }, task -> startThread("dora-start", task));
    java.util.concurrent.CompletableFuture.runAsync(() -> costs.start(metrics), task -> startThread("cost-start", task))
        .exceptionally(e -> {
          LOG.warn("cost attribution is off: its informers did not start: {}", rootMessage(e));
          return null;
        });
    if (shard.writesClusterKinds()) {
      register(new PromiseReconciler.ForTarmac(client, promises, events, settings.namespace()));
      register(new PromiseReconciler.ForKratix(client, promises, events, settings.namespace()));
      register(new Validation.CompositionReconciler(events));
    } else if (!settings.leaderElection()) {
      followPromises();
    }
    var connectionSecrets = new dev.tarmac.secrets.ConnectionSecretAccess(client, secretAccess);
    registerSharded(new DatabaseReconciler(client, events, connectionSecrets, apiResources));
    if (shard.writesClusterKinds()) {
      register(new Validation.TemplateReconciler(events));
      register(new Validation.ScorecardReconciler(events));
    }
    if (crossplane) {
      if (compositeControllers == null) {
        var xrs = new dev.tarmac.crossplane.XrControllers(client, events, connectionSecrets, apiResources,
            settings.namespace());
        closeables.add(xrs);
        compositeControllers = xrs;
      }
      register(new dev.tarmac.crossplane.XrdReconciler(client, compositeControllers, events));
    }
    try {
      storesStarted.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /**
   * Registers a reconciler whose informer keeps objects without their managedFields ({@link LeanItemStore}) and whose
   * failed reconciles are retried with {@link Retries}' backoff, without limit (JOSDK's default gives up after five).
   */
  private <P extends io.fabric8.kubernetes.api.model.HasMetadata> void register(
      io.javaoperatorsdk.operator.api.reconciler.Reconciler<P> reconciler) {
    operator.register(reconciler, o -> o.withItemStore(new LeanItemStore<>()).withRetry(Retries.policy()));
  }

  /**
   * As {@link #register}, for a kind whose objects belong to shards: the controller's informer lists and watches only
   * this shard's objects ({@link dev.tarmac.api.Shard#labelSelector}), so the API server filters and the others are
   * never cached or reconciled here.
   */
  private <P extends io.fabric8.kubernetes.api.model.HasMetadata> void registerSharded(
      io.javaoperatorsdk.operator.api.reconciler.Reconciler<P> reconciler) {
    String selector = shard.labelSelector();
    operator.register(reconciler, o -> {
      o.withItemStore(new LeanItemStore<>()).withRetry(Retries.policy());
      if (selector != null) {
        o.withLabelSelector(selector);
      }
    });
  }

  /**
   * What reading embedded repository {@code name} needs: {@code get} on the GitStateStore of that name when one
   * exists, else on the Component whose UID the repository's commits carry (found in the catalog's informers).
   */
  private java.util.Optional<KubernetesAuth.Access> repositoryOwner(String name) {
    if (stateStores.store(name).isPresent()) {
      return java.util.Optional.of(GitAccess.gitStateStore(name));
    }
    // The entity's managed-by-location is kubernetes:platform.tarmac.dev/<version>/Component/<namespace>/<name>.
    return stateStores.embedded().componentUid(name).flatMap(uid -> java.util.Optional.ofNullable(
        catalog.index().snapshot().byUid().get(uid))).flatMap(entity -> {
          String[] parts = entity.path("metadata").path("annotations").path("backstage.io/managed-by-location")
              .asText("").split("/");
          return parts.length == 5 && parts[0].equals("kubernetes:platform.tarmac.dev") && parts[2].equals("Component")
              ? java.util.Optional.of(GitAccess.component(parts[3], parts[4])) : java.util.Optional.empty();
        });
  }

  /** How users reach the embedded Git server: {@code TARMAC_GIT_BASE_URL}, else this process's HTTP address. */
  String gitBaseUrl() {
    String configured = System.getenv("TARMAC_GIT_BASE_URL");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    String host = settings.httpHost().equals("0.0.0.0") ? "127.0.0.1" : settings.httpHost();
    return "http://" + host + ":" + http.address().getPort() + "/git";
  }

  /** The built-in pipeline steps, by image name. */
  private Map<String, BuiltInStep> builtIns() {
    Map<String, BuiltInStep> steps = new HashMap<>();
    steps.put(Pipeline.TEMPLATE, new TemplateStep(dev.tarmac.render.RenderLimits.DEFAULT));
    steps.put(Pipeline.COMPOSE, new ComposeStep(name -> client.resources(Composition.class).withName(name).get()));
    return steps;
  }

  /**
   * Clones a resource before a reconcile (JOSDK hands reconcilers a copy, so the informer's cache is never changed)
   * through Jackson's token buffer instead of fabric8's JSON-string round trip: same result, no text encoding or
   * parsing. Under load the clone was half of JOSDK's reconcile time (JFR, 1,000 requests).
   */
  static final class TokenBufferCloner implements io.javaoperatorsdk.operator.api.config.Cloner {
    private final io.fabric8.kubernetes.client.utils.KubernetesSerialization serialization;

    TokenBufferCloner(io.fabric8.kubernetes.client.utils.KubernetesSerialization serialization) {
      this.serialization = serialization;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <R extends io.fabric8.kubernetes.api.model.HasMetadata> R clone(R object) {
      R copy = (R) serialization.convertValue(object, object.getClass());
      // Jackson returns the same instance when it deems no conversion is needed; a clone must be a copy.
      return copy == object ? serialization.clone(object) : copy;
    }
  }

  /**
   * An informer that stopped with an error (typically RBAC: 403 on list or watch) is fatal for this process. JOSDK's
   * default calls {@code System.exit}, which kills tests and hides the cause; instead the cause is logged with the
   * resource it concerns and {@code /healthz} fails, so a kubelet restarts the pod and {@code tarmac run} exits.
   */
  void informerStopped(io.fabric8.kubernetes.client.informers.SharedIndexInformer<?> informer,
      Throwable error) {
    if (error == null) {
      return;
    }
    String message = "informer for " + informer.getApiTypeClass().getSimpleName() + " stopped: "
        + rootMessage(error);
    LOG.error("{}; /healthz now fails so the process is restarted (check the operator's RBAC: the Helm chart's"
        + " promiseApis and compositionResources)", message);
    fatal.compareAndSet(null, message);
  }

  /** This replica took the Lease: label its Pod for the Git Service, publish what a standby does not write. */
  private void startedLeading() {
    leader.set(true);
    timeline.mark("leader");
    LOG.info("leading: took Lease {}/{} as {}", settings.namespace(), shard.leaseName(), settings.identity());
    if (leaderLabel != null) {
      leaderLabel.claim();
    }
    if (catalog != null) {
      catalog.leading();
      if (dora != null) {
        dora.leading();
      }
    }
    if (!shard.writesClusterKinds()) {
      // A named shard's request controllers run on its leader only, as the Promise controller's do on the default
      // shard's leader (a JOSDK controller, started on leading).
      followPromises();
    }
  }

  /** Starts serving Promise request kinds as the default shard reports them (a named shard); once. */
  private synchronized void followPromises() {
    if (promiseFollower == null && !reconcilingStopped.get()) {
      promiseFollower = new dev.tarmac.promise.PromiseFollower(client, promises);
    }
  }

  private dev.tarmac.promise.PromiseFollower promiseFollower;

  /**
   * Answers {@code /git} on a standby with 503 and where to go: the embedded repositories are written by the leader
   * only, and the chart's Git Service selects the leader's Pod ({@link LeaderLabel}).
   */
  private final class StandbyGitFilter implements jakarta.servlet.Filter {
    @Override
    public void doFilter(jakarta.servlet.ServletRequest request, jakarta.servlet.ServletResponse response,
        jakarta.servlet.FilterChain chain) throws java.io.IOException, jakarta.servlet.ServletException {
      if (leader.get()) {
        chain.doFilter(request, response);
        return;
      }
      var out = (jakarta.servlet.http.HttpServletResponse) response;
      out.setStatus(503);
      out.setHeader("Retry-After", "5");
      out.setContentType("text/plain;charset=utf-8");
      String who = currentLeader.get();
      out.getWriter().println("this replica (" + settings.identity() + ") is a standby; the leader "
          + (who == null ? "is not known yet" : who) + " serves /git: use the chart's Git Service"
          + " (<release>-tarmac-git), which routes to the leader only");
    }
  }

  /**
   * Leadership lost while running (the Lease could not be renewed within the renew deadline, typically because the
   * API server could not be reached) ends this operator: another replica may take the Lease as soon as it expires, so
   * this one stops reconciling at once — controllers, request controllers and Git writers are closed on a thread of
   * their own; the HTTP server stays, {@code /healthz} fails and {@code /readyz} says why — JOSDK would
   * {@code System.exit} here, and with it told not to, it would keep its controllers running beside the new leader.
   * {@code tarmac run} then starts a new operator in the same process once the API server answers, which stands by
   * or leads again ({@link OperatorSupervisor}); a kubelet that finds {@code /healthz} failing first restarts the
   * container, which is as good.
   */
  private void stoppedLeading() {
    leader.set(false);
    if (leaderLabel != null) {
      leaderLabel.release();
    }
    if (!closing && !lostLeadership) {
      LOG.error("lost leadership of Lease {}/{} (not renewed within {}); stopped reconciling, /healthz now fails",
          settings.namespace(), shard.leaseName(), leaseTimings.renewDeadline());
      lostLeadershipAt = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
      lostLeadership = true;
      fatal.compareAndSet(null, "lost leadership of Lease " + settings.namespace() + "/" + shard.leaseName());
      Thread stop = new Thread(this::stopReconciling, "lost-leadership-stop");
      stop.setDaemon(true);
      stop.start();
    }
  }

  /** True once this operator lost the leader-election Lease while running (it then stops; see {@link #liveness}). */
  public boolean lostLeadership() {
    return lostLeadership;
  }

  /** What the last probe of the API server found ({@link ApiServerProbe}); reachable before {@link #start()}. */
  public ApiServerProbe.State apiServer() {
    ApiServerProbe probe = apiServer;
    return probe == null ? new ApiServerProbe.State(true, "not probed yet", null) : probe.state();
  }

  /** Liveness for {@code /healthz}: fails once an informer stopped with an error. */
  public HttpServer.Readiness liveness() {
    String cause = fatal.get();
    return cause == null ? new HttpServer.Readiness(true, "ok") : new HttpServer.Readiness(false, cause);
  }

  /**
   * Readiness for {@code /readyz}: started, the API server answering its own {@code /readyz} ({@link ApiServerProbe};
   * the body says since when it does not, and why), the catalog's informers synced (every request kind included),
   * informers healthy. A standby is Ready once its catalog is complete and it knows the leader: it serves the catalog API and
   * {@code /metrics} (the chart's main Service selects every replica), not {@code /git} (the Git Service selects
   * the leader's Pod); the detail says so.
   */
  HttpServer.Readiness readiness() {
    if (lostLeadership) {
      ApiServerProbe.State api = apiServer();
      return new HttpServer.Readiness(false, "lost leadership of Lease " + settings.namespace() + "/"
          + shard.leaseName() + " at "
          + lostLeadershipAt + " and stopped reconciling" + (api.reachable() ? "" : "; API server "
          + client.getConfiguration().getMasterUrl() + " unreachable since " + api.since() + ": " + api.detail())
          + "; tarmac run starts a new operator in this process when the API server answers");
    }
    if (operator == null || !operator.getRuntimeInfo().isStarted()) {
      return new HttpServer.Readiness(false, "starting");
    }
    ApiServerProbe.State api = apiServer.state();
    if (!api.reachable()) {
      // Reads would be served from a cache that no longer follows the cluster, and no reconcile can write.
      return new HttpServer.Readiness(false, "API server " + client.getConfiguration().getMasterUrl()
          + " unreachable since " + api.since() + ": " + api.detail() + "; reconciles wait and resume by themselves"
          + " when it answers");
    }
    if (!catalogStarted.isDone()) {
      return new HttpServer.Readiness(false, "catalog informers starting");
    }
    if (catalogStarted.isCompletedExceptionally()) {
      return new HttpServer.Readiness(false, "catalog informers failed: " + catalogStarted.handle((v, e) ->
          rootMessage(e)).join());
    }
    if (!catalog.requestsSynced()) {
      return new HttpServer.Readiness(false, "catalog request informers starting");
    }
    if (settings.leaderElection() && !leader.get()) {
      String who = currentLeader.get();
      return who == null ? new HttpServer.Readiness(false, "waiting for a leader")
          : new HttpServer.Readiness(true, "standby; leader is " + who + "; serving catalog and metrics");
    }
    if (!operator.getRuntimeInfo().allEventSourcesAreHealthy()) {
      return new HttpServer.Readiness(false, "informers not healthy: "
          + operator.getRuntimeInfo().unhealthyEventSources().keySet());
    }
    return new HttpServer.Readiness(true, settings.leaderElection()
        ? "leader; serving reconciles, catalog, metrics and /git" : "ok");
  }

  private void checkCluster() {
    String url = client.getConfiguration().getMasterUrl();
    try {
      client.getKubernetesVersion();
    } catch (KubernetesClientException e) {
      throw new IllegalStateException("cannot reach the Kubernetes API server at " + url + " (" + rootMessage(e)
          + "); point KUBECONFIG at a reachable cluster, or run `make run` for a local one", e);
    }
  }

  /**
   * Installs or updates the CRDs this operator was told to ({@link CrdInstaller}: all at once, an unchanged one not
   * written), or checks that Tarmac's are there.
   */
  private void ensureCrds() {
    CrdInstaller installer = new CrdInstaller(client);
    List<CrdInstaller.Desired> desired = new ArrayList<>();
    java.util.Optional<CrdBundle> bundle = CrdBundle.onClassPath();
    if (bundle.isEmpty()) {
      LOG.info("no CRD bundle on the class path (classes not built by Maven): rendering the CRDs to hash them");
    }
    if (settings.installCrds()) {
      for (var kind : Crds.KINDS) {
        desired.add(CrdInstaller.Desired.of(bundle, Crds.crdName(kind), () -> Crds.yaml(kind), null));
      }
    } else {
      List<String> missing = installer.missing(Crds.KINDS.stream().map(Crds::crdName).toList());
      if (!missing.isEmpty()) {
        throw new IllegalStateException("Tarmac's CRDs are not installed: " + String.join(", ", missing)
            + "; install them with `bin/tarmac crds | kubectl apply --server-side -f -` or start with --install-crds");
      }
    }
    if (backstageCrds) {
      for (var kind : dev.tarmac.backstage.BackstageKinds.KINDS) {
        desired.add(CrdInstaller.Desired.of(bundle, kind.crdName(),
            () -> dev.tarmac.backstage.BackstageKinds.yaml(kind), name -> LOG.info("CRD {} was installed by another"
                + " tool; left as it is (the catalog indexes its objects)", name)));
      }
    }
    if (crossplaneCrds) {
      for (var crd : dev.tarmac.crossplane.CrossplaneKinds.crds()) {
        desired.add(CrdInstaller.Desired.of(bundle, crd.path("metadata").path("name").asText(),
            () -> dev.tarmac.crossplane.CrossplaneKinds.yaml(crd),
            name -> LOG.warn("CRD {} was installed by another tool (Crossplane?); left as it is. Do not run Tarmac with"
                + " --crossplane where Crossplane runs", name)));
      }
    }
    List<String> applied = installer.install(desired);
    if (!applied.isEmpty()) {
      LOG.info("installed or updated {} CRDs: {}", applied.size(), applied);
    }
    if (crossplane && installer.missing(List.of(dev.tarmac.crossplane.CrossplaneKinds.CRD_NAMES.get(0))).size() > 0) {
      throw new IllegalStateException("--crossplane needs the CRD " + dev.tarmac.crossplane.CrossplaneKinds.CRD_NAMES
          .get(0) + ": start with --crossplane-crds (Helm: crossplane.crds: true) or apply crds/crossplane/");
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** True while this replica reconciles: it holds the leader-election Lease, or runs without leader election. */
  public boolean leading() {
    return !settings.leaderElection() || leader.get();
  }

  /** The JOSDK operator, for registering controllers at run time (Promise request kinds). */
  public Operator operator() {
    return operator;
  }

  /** Reconciles since start of Promise {@code promise}'s requests; 0 before the operator started. */
  public long requestReconciles(String promise) {
    PromiseRuntime p = promises;
    return p == null ? 0 : p.requestReconciles(promise);
  }

  /**
   * Work reconciles since start that found every placement of a Work in {@code namespace} committed (see
   * {@code tarmac_work_confirmations_total}, which counts all namespaces); 0 before the operator started.
   */
  public long workConfirmations(String namespace) {
    WorkReconciler w = workReconciler;
    return w == null ? 0 : w.confirmations(namespace);
  }

  /** DORA metrics from cluster state (docs/insights.md). */
  public dev.tarmac.insights.dora.DoraEngine dora() {
    return dora;
  }

  /** The registry {@code /metrics} serves. */
  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  /** The HTTP server (for its bound address). */
  public HttpServer http() {
    return http;
  }

  /** The state stores (Git writers, embedded Git server). */
  public StateStores stateStores() {
    return stateStores;
  }

  /** Cost attribution and budgets. */
  public dev.tarmac.insights.cost.CostController costs() {
    return costs;
  }

  /** The catalog and its informers. */
  public CatalogInformers catalog() {
    return catalog;
  }

  /** The Events writer. */
  public Events events() {
    return events;
  }

  /** Stops the controllers and the HTTP server; the client stays open (its owner closes it). Idempotent. */
  @Override
  public void close() {
    closing = true;
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    stopReconciling();
    if (apiServer != null) {
      apiServer.close();
    }
    if (http != null) {
      http.close();
    }
  }

  /** Stops the controllers, request controllers, Git writers and catalog informers; once. */
  private void stopReconciling() {
    if (!reconcilingStopped.compareAndSet(false, true)) {
      return;
    }
    if (operator != null) {
      operator.stop();
    }
    synchronized (this) {
      if (promiseFollower != null) {
        // Before the runtime whose request controllers it starts.
        promiseFollower.close();
      }
    }
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed: {}", c, e.getMessage());
      }
    }
  }

  /** Runs {@code task} on a daemon thread named {@code name} (starts that block for seconds keep off the common pool). */
  private static void startThread(String name, Runnable task) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
  }
}
