package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.Events;
import dev.tarmac.LeanItemStore;
import dev.tarmac.StatusChange;
import dev.tarmac.api.Api;
import dev.tarmac.api.ComposedStatus;
import dev.tarmac.api.Composition;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Database;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.pipeline.StepOutput;
import dev.tarmac.pipeline.WorkflowRunner;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reconciles a Database claim: selects its Composition ({@link CompositionSelection}), composes it
 * ({@link CompositionEngine}), and either server-side applies the composed resources into the claim's namespace
 * (target {@code Cluster}: owner references to the claim, labels naming it, readiness from their status) or writes
 * them to Git through a Work (target {@code Destinations}). Writes the connection Secret (generated passwords kept
 * stable, only in that Secret), prunes resources no longer composed, and honours {@code deletionPolicy}. A claim is
 * reconciled again when one of its StatefulSets changes and when a Composition it uses or may select changes
 * ({@link CompositionSelection#affects}).
 *
 * <p>Failures: a claim or Composition that cannot work (no Composition selected, a composed resource the API server
 * refuses as invalid, a Secret namespace not allowed, output guardrails) is a condition and an Event, and the claim
 * waits for a change of itself or of a Composition. A passing failure (the API server unreachable, a conflict, a
 * 5xx, a permission not granted yet) is thrown and retried by the framework with {@link dev.tarmac.Retries}'
 * backoff; {@link #updateErrorStatus} writes {@code Synced=False} and {@code status.nextRetryTime}.
 */
@ControllerConfiguration(name = "database")
public final class DatabaseReconciler implements Reconciler<Database>, Cleaner<Database> {

  /** Labels on composed resources naming their claim. */
  public static final String CLAIM_NAME = Api.GROUP + "/claim-name";
  /** The claim's namespace. */
  public static final String CLAIM_NAMESPACE = Api.GROUP + "/claim-namespace";
  /** The claim's kind. */
  public static final String CLAIM_KIND = Api.GROUP + "/claim-kind";
  /** The resource template that produced a composed resource. */
  public static final String RESOURCE_NAME = Api.GROUP + "/composition-resource-name";
  /** Set on composed resources, connection Secrets and Works left behind by {@code deletionPolicy: Retain}. */
  public static final String RETAINED = Api.GROUP + "/retained";

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DatabaseReconciler.class);

  private final KubernetesClient client;
  private final Events events;
  private final dev.tarmac.secrets.ConnectionSecretAccess secrets;
  private final Map<String, String> servedVersions = new java.util.concurrent.ConcurrentHashMap<>();
  private final dev.tarmac.policy.OutputPolicyChecker outputPolicy;

  /**
   * @param client the client
   * @param events where Events go
   * @param secrets where connection secrets may be read and written, and the per-namespace RoleBinding that allows it
   * @param apiResources discovery, for the output guardrails' kind scopes of Destinations-target Compositions
   */
  public DatabaseReconciler(KubernetesClient client, Events events, dev.tarmac.secrets.ConnectionSecretAccess secrets,
      dev.tarmac.api.ApiResources apiResources) {
    this.client = client;
    this.events = events;
    this.secrets = secrets;
    this.outputPolicy = new dev.tarmac.policy.OutputPolicyChecker(new dev.tarmac.policy.Scopes(
        new dev.tarmac.policy.DiscoveryScopes(apiResources)));
  }

  @Override
  public List<EventSource<?, Database>> prepareEventSources(EventSourceContext<Database> context) {
    // StatefulSets carry readiness; their changes bring the claim back. Other kinds are re-checked on a timer.
    var statefulSets = InformerEventSourceConfiguration.from(StatefulSet.class, Database.class)
        .withLabelSelector(CLAIM_KIND + "=Database")
        .withSecondaryToPrimaryMapper(s -> {
          Map<String, String> l = s.getMetadata().getLabels();
          return l == null || l.get(CLAIM_NAME) == null ? Set.of()
              : Set.of(new ResourceID(l.get(CLAIM_NAME), l.get(CLAIM_NAMESPACE)));
        })
        .build();
    // A Ready claim is not rescheduled, so without this a Composition edit would wait for the periodic resync. Its
    // status (written by the Composition's validation) changes neither generation nor labels: no claim wakes for it.
    var compositions = InformerEventSourceConfiguration.from(Composition.class, Database.class)
        .withItemStore(new LeanItemStore<>())
        .withOnUpdateFilter((now, old) -> !Objects.equals(now.getMetadata().getGeneration(),
            old.getMetadata().getGeneration())
            || !Objects.equals(now.getMetadata().getLabels(), old.getMetadata().getLabels()))
        .withSecondaryToPrimaryMapper(c -> context.getPrimaryCache().list(db -> CompositionSelection.affects(c, db))
            .map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build();
    // The Works of Destinations-target claims: their Published condition is the claim's Ready.
    var works = InformerEventSourceConfiguration.from(Work.class, Database.class)
        .withItemStore(new LeanItemStore<>())
        .withLabelSelector(Labels.OWNER_KIND + "=Database")
        .withSecondaryToPrimaryMapper(w -> {
          Map<String, String> l = w.getMetadata().getLabels();
          return l == null || l.get(Labels.OWNER_NAME) == null ? Set.of()
              : Set.of(new ResourceID(l.get(Labels.OWNER_NAME), w.getMetadata().getNamespace()));
        })
        .build();
    return List.of(new InformerEventSource<>(statefulSets, context), new InformerEventSource<>(compositions, context),
        new InformerEventSource<>(works, context));
  }

  /** A reconcile that threw: condition, Event, {@code nextRetryTime} ({@link dev.tarmac.ErrorStatus}). */
  @Override
  public ErrorStatusUpdateControl<Database> updateErrorStatus(Database db, Context<Database> context, Exception e) {
    return dev.tarmac.ErrorStatus.update(db, context, e, events, java.time.Clock.systemUTC());
  }

  @Override
  public UpdateControl<Database> reconcile(Database db, Context<Database> context) {
    if (db.getStatus() == null) {
      db.setStatus(new Database.Status());
    }
    var before = StatusChange.snapshot(db);
    ComposedStatus status = db.getStatus();
    Long generation = db.getMetadata().getGeneration();
    status.observedGeneration = generation;
    // Set again by updateErrorStatus if this reconcile throws.
    status.nextRetryTime = null;
    String ns = db.getMetadata().getNamespace();
    try {
      Composition composition = CompositionSelection.select(db, client.resources(Composition.class).list()
          .getItems());
      status.compositionName = composition.getMetadata().getName();
      var typeRef = composition.getSpec().compositeTypeRef;
      if (typeRef != null && typeRef.kind != null && !"Database".equals(typeRef.kind)) {
        throw new CompositionException("CompositionInvalid", "Composition " + status.compositionName + " composes "
            + typeRef.kind + ", not Database: choose a Composition whose compositeTypeRef is Database");
      }
      JsonNode claim = Serialization.JSON.valueToTree(db);
      JsonNode spec = Serialization.JSON.valueToTree(composition.getSpec());
      boolean toGit = composition.getSpec().target == Composition.Target.Destinations;
      var first = CompositionEngine.compose(claim, spec, Map.of(), Map.of());
      Map<String, JsonNode> observed = new HashMap<>();
      Map<String, Map<String, String>> observedConnection = new HashMap<>();
      secretAccess(db, toGit ? List.of() : first.resources());
      for (var c : toGit ? List.<CompositionEngine.Composed>of() : first.resources()) {
        name(db, c);
        observe(ns, c).ifPresent(live -> observed.put(c.name(), live));
        composedConnectionSecret(ns, c).ifPresent(data -> observedConnection.put(c.name(), data));
      }
      var result = CompositionEngine.compose(claim, spec, observed, observedConnection);
      result.resources().forEach(c -> name(db, c));
      Work work = null;
      if (toGit) {
        work = writeWork(db, composition, result);
      } else {
        apply(db, result);
        prune(db, result);
      }
      Map<String, String> secretData = connectionSecret(db, result);
      status.resources = new ArrayList<>();
      for (var c : result.resources()) {
        ComposedStatus.ComposedResourceRef ref = new ComposedStatus.ComposedResourceRef();
        ref.name = c.name();
        ref.apiVersion = c.resource().path("apiVersion").asText();
        ref.kind = c.resource().path("kind").asText();
        ref.resourceName = c.resource().path("metadata").path("name").asText();
        ref.namespace = ns;
        ref.ready = toGit || c.ready();
        ref.message = toGit ? "written to Git" : c.message();
        status.resources.add(ref);
      }
      result.composite().path("status").fields().forEachRemaining(e -> status.setField(e.getKey(), e.getValue()));
      status.connectionSecret = secretData == null ? null : db.getSpec().writeConnectionSecretToRef.name;
      Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "Composition " + status.compositionName
          + " applied (" + result.resources().size() + " resources)", generation);
      List<String> waiting = status.resources.stream().filter(r -> !Boolean.TRUE.equals(r.ready))
          .map(r -> r.kind + " " + r.resourceName + ": " + r.message).toList();
      if (toGit) {
        // Ready when the Work is in every Destination's store, as a request is: not merely when it was handed over.
        var published = Conditions.forGeneration(work.getStatus() == null ? null : work.getStatus().conditions,
            Conditions.PUBLISHED, work.getMetadata().getGeneration());
        boolean current = published.isPresent();
        if (current && "True".equals(published.get().getStatus())) {
          Conditions.setTrue(status, Conditions.READY, "Published", "composed resources are written to the"
              + " Composition's Destinations for another controller to apply (Work " + workName(db) + ")",
              generation);
        } else if (current && !"Writing".equals(published.get().getReason())) {
          Conditions.setFalse(status, Conditions.READY, published.get().getReason(), "Work " + workName(db) + ": "
              + published.get().getMessage(), generation);
        } else {
          Conditions.setFalse(status, Conditions.READY, "Writing", "writing Work " + workName(db)
              + " to the Composition's Destinations", generation);
        }
      } else if (waiting.isEmpty()) {
        Conditions.setTrue(status, Conditions.READY, "Available", "every composed resource is ready", generation);
      } else {
        Conditions.setFalse(status, Conditions.READY, "Creating", "waiting for " + String.join("; ", waiting),
            generation);
      }
      UpdateControl<Database> control = StatusChange.control(before, db);
      // A schedule, not a retry: composed kinds other than StatefulSets are not watched, so their readiness is
      // polled every 10 s until all are ready.
      return waiting.isEmpty() || toGit ? control : control.rescheduleAfter(10_000);
    } catch (CompositionException e) {
      return failed(db, before, e.reason(), e.getMessage());
    } catch (KubernetesClientException e) {
      String message = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
          : e.getMessage();
      if (e.getCode() == 403) {
        // RBAC: the Helm chart grants composed kinds through compositionResources, Secrets through
        // rbac.secretNamespaces; say which value to change. Retried with backoff: a helm upgrade fixes it without a
        // change to the claim.
        throw new dev.tarmac.ErrorStatus.RetryLater("Forbidden", message + "; the operator's ServiceAccount needs"
            + " that verb: add the kind's group and plural to the Helm chart's compositionResources (for a"
            + " connection Secret, the namespace to rbac.secretNamespaces) and run helm upgrade", true);
      }
      if (e.getCode() == 400 || e.getCode() == 422) {
        // The composed resource itself is invalid: only a change to the claim or its Composition can fix it.
        return failed(db, before, "ApplyFailed", "the API server refused a composed resource: " + message
            + "; change the claim or its Composition");
      }
      // Unreachable, conflict, timeout, 5xx: passing, retried with backoff (updateErrorStatus).
      throw e;
    }
  }

  /**
   * The connection secret a composed resource writes ({@code spec.writeConnectionSecretToRef}, as Crossplane managed
   * resources do), decoded; empty when it names none or it does not exist yet. Its keys feed the Composition's
   * {@code FromConnectionSecretKey} connection details.
   */
  private java.util.Optional<Map<String, String>> composedConnectionSecret(String ns, CompositionEngine.Composed c) {
    JsonNode ref = c.resource().path("spec").path("writeConnectionSecretToRef");
    String name = ref.path("name").asText("");
    if (name.isEmpty()) {
      return java.util.Optional.empty();
    }
    // secretAccess(...) refused any other namespace before this is reached.
    Secret secret = client.secrets().inNamespace(ns).withName(name).get();
    if (secret == null || secret.getData() == null) {
      return java.util.Optional.empty();
    }
    Map<String, String> data = new HashMap<>();
    secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v),
        StandardCharsets.UTF_8)));
    return java.util.Optional.of(data);
  }

  /** The composed resource as it is in the cluster, at the version the cluster serves for its kind. */
  private java.util.Optional<JsonNode> observe(String ns, CompositionEngine.Composed c) {
    String apiVersion = resolveVersion(c.resource().path("apiVersion").asText(), c.resource().path("kind").asText());
    try {
      GenericKubernetesResource live = client.genericKubernetesResources(apiVersion, c.resource().path("kind").asText())
          .inNamespace(ns).withName(c.resource().path("metadata").path("name").asText()).get();
      return java.util.Optional.ofNullable(live).map(Serialization.JSON::valueToTree);
    } catch (KubernetesClientException e) {
      return java.util.Optional.empty();
    }
  }

  /**
   * The apiVersion to use for {@code kind}: the one written when the cluster serves it there, else another served
   * version of the same group that has the kind (e.g. CronJob at batch/v1beta1 before Kubernetes 1.21), else the one
   * written (the apply then fails with the API server's own message).
   */
  private String resolveVersion(String apiVersion, String kind) {
    return servedVersions.computeIfAbsent(apiVersion + "|" + kind, k -> {
      if (served(apiVersion, kind)) {
        return apiVersion;
      }
      String other = servedVersion(apiVersion, kind);
      return other == null ? apiVersion : other;
    });
  }

  private UpdateControl<Database> failed(Database db, JsonNode before, String reason, String message) {
    LOG.warn("{}: {}", reason, message);
    Long generation = db.getMetadata().getGeneration();
    Conditions.setFalse(db.getStatus(), Conditions.SYNCED, reason, message, generation);
    Conditions.setFalse(db.getStatus(), Conditions.READY, reason, message, generation);
    UpdateControl<Database> control = StatusChange.control(before, db);
    if (control.isPatchStatus()) {
      events.warning(db, reason, message);
    }
    // Not retried: bad input waits for a change of the claim or of a Composition (both watched).
    return control;
  }

  /** Defaults a composed resource's name to {@code <claim>-<template>} and labels it with its claim. */
  private static void name(Database db, CompositionEngine.Composed c) {
    ObjectNode meta = c.resource().with("metadata");
    if (!meta.hasNonNull("name")) {
      meta.put("name", db.getMetadata().getName() + "-" + c.name());
    }
    meta.remove("namespace");
    ObjectNode labels = meta.with("labels");
    labels.put(CLAIM_NAME, db.getMetadata().getName());
    labels.put(CLAIM_NAMESPACE, db.getMetadata().getNamespace());
    labels.put(CLAIM_KIND, "Database");
    labels.put(RESOURCE_NAME, c.name());
    labels.put(Labels.MANAGED_BY, "tarmac");
  }

  private void apply(Database db, CompositionEngine.Result result) {
    for (var c : result.resources()) {
      GenericKubernetesResource r = Serialization.JSON.convertValue(c.resource(), GenericKubernetesResource.class);
      r.getMetadata().setNamespace(db.getMetadata().getNamespace());
      r.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion(db.getApiVersion())
          .withKind(db.getKind()).withName(db.getMetadata().getName()).withUid(db.getMetadata().getUid())
          .withController(true).withBlockOwnerDeletion(true).build()));
      String served = resolveVersion(r.getApiVersion(), r.getKind());
      r.setApiVersion(served);
      c.resource().put("apiVersion", served);
      client.resource(r).fieldManager("tarmac").forceConflicts().serverSideApply();
    }
  }

  /** True when the cluster serves {@code kind} at {@code apiVersion}: one discovery call, not cached. */
  private boolean served(String apiVersion, String kind) {
    var resources = client.getApiResources(apiVersion);
    return resources != null && resources.getResources().stream().anyMatch(x -> kind.equals(x.getKind()));
  }

  /** Another served apiVersion of {@code kind}'s group that has {@code kind}, or null. */
  private String servedVersion(String apiVersion, String kind) {
    int slash = apiVersion.indexOf('/');
    if (slash < 0) {
      return null;
    }
    var group = client.getApiGroup(apiVersion.substring(0, slash));
    if (group == null) {
      return null;
    }
    for (var v : group.getVersions()) {
      if (v.getGroupVersion().equals(apiVersion)) {
        continue;
      }
      var resources = client.getApiResources(v.getGroupVersion());
      if (resources != null && resources.getResources().stream().anyMatch(x -> kind.equals(x.getKind()))) {
        return v.getGroupVersion();
      }
    }
    return null;
  }

  /** Deletes composed resources of this claim that the Composition no longer composes. */
  private void prune(Database db, CompositionEngine.Result result) {
    List<ComposedStatus.ComposedResourceRef> previous = db.getStatus().resources == null ? List.of()
        : db.getStatus().resources;
    for (var p : previous) {
      boolean still = result.resources().stream().anyMatch(c -> c.resource().path("kind").asText().equals(p.kind)
          && c.resource().path("metadata").path("name").asText().equals(p.resourceName));
      if (!still && p.apiVersion != null) {
        client.genericKubernetesResources(p.apiVersion, p.kind).inNamespace(db.getMetadata().getNamespace())
            .withName(p.resourceName).delete();
      }
    }
  }

  /** Applies the Work of a Destinations-target claim; returns it as the API server has it (status included). */
  private Work writeWork(Database db, Composition composition, CompositionEngine.Result result) {
    StepOutput out = new StepOutput();
    for (var c : result.resources()) {
      try {
        out.file(c.name() + ".yaml", Serialization.YAML.writeValueAsString(c.resource()));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    var owner = new WorkflowRunner.Owner(Serialization.JSON.valueToTree(db), db.getApiVersion(), db.getKind(),
        db.getMetadata().getNamespace(), db.getMetadata().getName(), db.getMetadata().getUid(),
        "composition-" + composition.getMetadata().getName(), "resource", db.getMetadata().getNamespace(), null,
        composition.getSpec().destinationSelectors == null ? List.of() : composition.getSpec().destinationSelectors);
    Work w = WorkflowRunner.work(owner, "compose", workName(db),
        dev.tarmac.pipeline.SpecHash.ofValue(out.files()), out);
    checkOutputPolicy(db, composition, out);
    return client.resource(w).fieldManager("tarmac").forceConflicts().serverSideApply();
  }

  /**
   * Checks the composed resources against the Composition's {@code outputPolicy} before they go to Git.
   *
   * @throws CompositionException {@code OutputNotAllowed}, naming file, object and rule
   */
  private void checkOutputPolicy(Database db, Composition composition, StepOutput out) {
    try {
      dev.tarmac.policy.PromiseOutputGuard.check(outputPolicy, composition.getSpec().outputPolicy, "Composition "
          + composition.getMetadata().getName(), new dev.tarmac.policy.OutputPolicyChecker.Owner(db.getApiVersion(),
          db.getKind(), db.getMetadata().getNamespace(), db.getMetadata().getName(),
          Serialization.JSON.valueToTree(db)), out.files(), () -> {
            Work previous = client.resources(Work.class).inNamespace(db.getMetadata().getNamespace())
                .withName(workName(db)).get();
            Map<String, String> files = new LinkedHashMap<>();
            if (previous != null && previous.getSpec() != null && previous.getSpec().files != null) {
              previous.getSpec().files.forEach(f -> files.put(f.path, f.content == null ? "" : f.content));
            }
            return files;
          });
    } catch (dev.tarmac.policy.OutputNotAllowedException e) {
      throw new CompositionException(dev.tarmac.policy.OutputNotAllowedException.REASON, e.getMessage());
    }
  }

  /** The Work that carries a claim's composed resources with target Destinations. */
  private static String workName(Database db) {
    return db.getMetadata().getName() + "-composed";
  }

  /**
   * Checks, before any Secret is read or written, that the claim's and its composed resources' connection secrets
   * ({@code composed}: those applied to the cluster, whose Secrets the operator reads) are in the claim's own
   * namespace (and one the operator may use), and binds the operator's Secret access there.
   *
   * @throws CompositionException {@code SecretNamespaceNotAllowed} naming the field and what to change
   */
  private void secretAccess(Database db, List<CompositionEngine.Composed> composed) throws CompositionException {
    String ns = db.getMetadata().getNamespace();
    boolean any = false;
    var own = db.getSpec().writeConnectionSecretToRef;
    if (own != null && own.name != null) {
      String why = secrets.access().refuseConnectionSecret(ns, ns, "spec.writeConnectionSecretToRef");
      if (why != null) {
        throw new CompositionException("SecretNamespaceNotAllowed", why);
      }
      any = true;
    }
    for (var c : composed) {
      JsonNode ref = c.resource().path("spec").path("writeConnectionSecretToRef");
      if (ref.path("name").asText("").isEmpty()) {
        continue;
      }
      String why = secrets.access().refuseConnectionSecret(ns, ref.path("namespace").asText(null),
          "composed resource " + c.name() + " spec.writeConnectionSecretToRef");
      if (why != null) {
        throw new CompositionException("SecretNamespaceNotAllowed", why);
      }
      any = true;
    }
    if (any) {
      secrets.ensure(ns);
    }
  }

  /** Writes the connection Secret; returns its data, or null when the claim asks for none. */
  private Map<String, String> connectionSecret(Database db, CompositionEngine.Result result) {
    var ref = db.getSpec().writeConnectionSecretToRef;
    if (ref == null || ref.name == null) {
      return null;
    }
    String ns = db.getMetadata().getNamespace();
    Secret existing = client.secrets().inNamespace(ns).withName(ref.name).get();
    Map<String, String> current = new HashMap<>();
    if (existing != null && existing.getData() != null) {
      existing.getData().forEach((k, v) -> current.put(k, new String(Base64.getDecoder().decode(v),
          StandardCharsets.UTF_8)));
    }
    String scheme = db.getSpec().engine == Database.Engine.MYSQL ? "mysql" : "postgresql";
    Map<String, String> data = ConnectionSecret.data(result.connectionDetails(), result.generatedPasswords(),
        current, scheme);
    if (!data.equals(current)) {
      Map<String, String> encoded = new LinkedHashMap<>();
      data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
      client.resource(new SecretBuilder().withNewMetadata().withName(ref.name).withNamespace(ns)
          .addToLabels(CLAIM_NAME, db.getMetadata().getName()).addToLabels(Labels.MANAGED_BY, "tarmac")
          .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(db.getApiVersion()).withKind(db.getKind())
              .withName(db.getMetadata().getName()).withUid(db.getMetadata().getUid()).withController(true).build())
          .endMetadata().withType("connection.tarmac.dev/v1alpha1").withData(encoded).build())
          .fieldManager("tarmac").forceConflicts().serverSideApply();
    }
    return data;
  }

  @Override
  public DeleteControl cleanup(Database cached, Context<Database> context) {
    // The status that lists the composed resources is read from the API server: a claim deleted during its first
    // reconcile reaches cleanup with the informer's copy from before that reconcile's status patch, which lists none,
    // and Retain would then leave them owned for the garbage collector.
    Database latest = client.resource(cached).get();
    Database db = latest == null ? cached : latest;
    boolean retain = db.getSpec().deletionPolicy == Database.DeletionPolicy.Retain;
    List<ComposedStatus.ComposedResourceRef> resources = db.getStatus() == null || db.getStatus().resources == null
        ? List.of() : db.getStatus().resources;
    String ns = db.getMetadata().getNamespace();
    for (var r : resources) {
      // A kind the cluster does not serve has nothing in it to delete or retain: with target Destinations the
      // composed resources (e.g. Crossplane's RDS Instance) are only in Git, and the client cannot even address them.
      if (r.apiVersion == null || !served(r.apiVersion, r.kind)) {
        continue;
      }
      var resource = client.genericKubernetesResources(r.apiVersion, r.kind).inNamespace(ns).withName(r.resourceName);
      if (retain) {
        retain(resource, db);
      } else {
        resource.delete();
      }
    }
    if (retain) {
      // The retained StatefulSet reads its password from the connection Secret, which the claim owns too. Status
      // names it only once written: a Secret the operator may not read (rbac.secretNamespaces) is not asked for.
      if (db.getStatus() != null && db.getStatus().connectionSecret != null) {
        secrets.ensure(ns);
        retain(client.secrets().inNamespace(ns).withName(db.getStatus().connectionSecret), db);
      }
      // With target Destinations the Work is the composed resources: owned by the claim, the garbage collector
      // would delete it and the Work's finalizer would remove its files from Git.
      retain(client.resources(Work.class).inNamespace(ns).withName(workName(db)), db);
    } else {
      client.resources(Work.class).inNamespace(ns).withName(workName(db)).delete();
    }
    return DeleteControl.defaultDelete();
  }

  /**
   * Leaves one object behind for {@code deletionPolicy: Retain}: removes its owner references to the claim, so the
   * garbage collector keeps it, and labels it {@link #RETAINED}, so a user sees why it outlived the claim. An object
   * that is gone, or that the claim does not own (a Secret of the same name the claim never wrote), is left as it is.
   */
  private static <T extends HasMetadata> void retain(Resource<T> resource, Database db) {
    String uid = db.getMetadata().getUid();
    T live = resource.get();
    if (live == null || live.getMetadata().getOwnerReferences() == null
        || live.getMetadata().getOwnerReferences().stream().noneMatch(o -> uid.equals(o.getUid()))) {
      return;
    }
    try {
      resource.edit(x -> {
        x.getMetadata().setOwnerReferences(new ArrayList<>(x.getMetadata().getOwnerReferences().stream()
            .filter(o -> !uid.equals(o.getUid())).toList()));
        if (x.getMetadata().getLabels() == null) {
          x.getMetadata().setLabels(new HashMap<>());
        }
        x.getMetadata().getLabels().put(RETAINED, "true");
        return x;
      });
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }
}
