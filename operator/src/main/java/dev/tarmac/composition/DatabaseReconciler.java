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
import dev.tarmac.pipeline.WorkflowRunner;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
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
import java.util.ArrayList;
import java.util.HashMap;
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
  private final Composer composer;

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
    this.composer = new Composer(client, apiResources);
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
        composer.observe(ns, c.resource()).ifPresent(live -> observed.put(c.name(), live));
        // secretAccess(...) refused any other namespace before this is reached.
        composer.composedConnectionSecret(ns, c.resource()).ifPresent(data -> observedConnection.put(c.name(), data));
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
      // With a Terraform module, tofu-controller writes the module's outputs to the claim's connection Secret
      // (writeOutputsToSecret): Tarmac then neither writes nor owns it.
      String tofuSecret = toGit ? tofuOutputsSecret(db, result) : null;
      Map<String, String> secretData = tofuSecret != null ? null : connectionSecret(db, result);
      Map<String, TofuReadiness> tofu = toGit ? tofuReadiness(ns, result) : Map.of();
      status.resources = new ArrayList<>();
      for (var c : result.resources()) {
        ComposedStatus.ComposedResourceRef ref = new ComposedStatus.ComposedResourceRef();
        ref.name = c.name();
        ref.apiVersion = c.resource().path("apiVersion").asText();
        ref.kind = c.resource().path("kind").asText();
        ref.resourceName = c.resource().path("metadata").path("name").asText();
        ref.namespace = ns;
        TofuReadiness t = tofu.get(c.name());
        ref.ready = t != null ? t.ready() : toGit || c.ready();
        ref.message = t != null ? t.message() : toGit ? "written to Git" : c.message();
        status.resources.add(ref);
      }
      result.composite().path("status").fields().forEachRemaining(e -> status.setField(e.getKey(), e.getValue()));
      status.connectionSecret = tofuSecret != null ? tofuSecret
          : secretData == null ? null : db.getSpec().writeConnectionSecretToRef.name;
      Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "Composition " + status.compositionName
          + " applied (" + result.resources().size() + " resources)", generation);
      List<String> waiting = status.resources.stream().filter(r -> !Boolean.TRUE.equals(r.ready))
          .map(r -> r.kind + " " + r.resourceName + ": " + r.message).toList();
      if (toGit) {
        // Ready when the Work is in every Destination's store, as a request is: not merely when it was handed over.
        var published = Composer.publication(work, "composed resources");
        List<String> applying = tofu.values().stream().filter(t -> t.served() && !t.ready()).map(TofuReadiness::message)
            .toList();
        String notServed = tofu.values().stream().filter(t -> !t.served()).findFirst().map(t -> "; " + t.message())
            .orElse("");
        if (published.ready() && !applying.isEmpty()) {
          Conditions.setFalse(status, Conditions.READY, "Applying", "waiting for " + String.join("; ", applying),
              generation);
        } else if (published.ready() && tofu.values().stream().anyMatch(TofuReadiness::served)) {
          Conditions.setTrue(status, Conditions.READY, "Available", published.message() + "; every Terraform object"
              + " is Ready" + notServed, generation);
        } else {
          Conditions.set(status, Conditions.READY, published.ready(), published.reason(), published.message()
              + notServed, generation);
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
      // Terraform objects are not watched either: polled the same way while tofu-controller applies them.
      boolean tofuWaiting = tofu.values().stream().anyMatch(t -> t.served() && !t.ready());
      return tofuWaiting || !toGit && !waiting.isEmpty() ? control.rescheduleAfter(10_000) : control;
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
    if (TerraformModule.isTerraform(c.resource())) {
      // tofu-controller writes the outputs Secret in the Terraform object's namespace: the claim's.
      meta.put("namespace", db.getMetadata().getNamespace());
    }
    ObjectNode labels = meta.with("labels");
    labels.put(CLAIM_NAME, db.getMetadata().getName());
    labels.put(CLAIM_NAMESPACE, db.getMetadata().getNamespace());
    labels.put(CLAIM_KIND, "Database");
    labels.put(RESOURCE_NAME, c.name());
    labels.put(Labels.MANAGED_BY, "tarmac");
  }

  private void apply(Database db, CompositionEngine.Result result) {
    for (var c : result.resources()) {
      composer.apply(c.resource(), db.getMetadata().getNamespace(), Composer.controllerRef(db.getApiVersion(),
          db.getKind(), db.getMetadata().getName(), db.getMetadata().getUid()));
    }
  }

  /** Deletes composed resources of this claim that the Composition no longer composes. */
  private void prune(Database db, CompositionEngine.Result result) {
    List<ComposedStatus.ComposedResourceRef> previous = db.getStatus().resources == null ? List.of()
        : db.getStatus().resources;
    for (var p : previous) {
      boolean still = result.resources().stream().anyMatch(c -> c.resource().path("kind").asText().equals(p.kind)
          && c.resource().path("metadata").path("name").asText().equals(p.resourceName));
      if (!still && p.apiVersion != null) {
        composer.delete(p.apiVersion, p.kind, db.getMetadata().getNamespace(), p.resourceName);
      }
    }
  }

  /**
   * Applies the Work of a Destinations-target claim after checking the Composition's {@code outputPolicy}; returns
   * it as the API server has it (status included).
   *
   * @throws CompositionException {@code OutputNotAllowed}, naming file, object and rule
   */
  private Work writeWork(Database db, Composition composition, CompositionEngine.Result result) {
    var owner = new WorkflowRunner.Owner(Serialization.JSON.valueToTree(db), db.getApiVersion(), db.getKind(),
        db.getMetadata().getNamespace(), db.getMetadata().getName(), db.getMetadata().getUid(),
        "composition-" + composition.getMetadata().getName(), "resource", db.getMetadata().getNamespace(), null,
        composition.getSpec().destinationSelectors == null ? List.of() : composition.getSpec().destinationSelectors);
    var ref = db.getSpec().writeConnectionSecretToRef;
    return composer.writeWork(owner, workName(db), result.resources(), composition.getSpec().outputPolicy,
        "Composition " + composition.getMetadata().getName(), new dev.tarmac.policy.OutputPolicyChecker.Owner(
            db.getApiVersion(), db.getKind(), db.getMetadata().getNamespace(), db.getMetadata().getName(),
            Serialization.JSON.valueToTree(db)), ref == null ? null : ref.name);
  }

  /**
   * The claim's connection Secret name when a composed Terraform object writes its outputs there
   * ({@code spec.writeOutputsToSecret.name}, set by {@link TerraformModule#files}); else null.
   */
  private static String tofuOutputsSecret(Database db, CompositionEngine.Result result) {
    var ref = db.getSpec().writeConnectionSecretToRef;
    if (ref == null || ref.name == null) {
      return null;
    }
    return result.resources().stream().filter(c -> TerraformModule.isTerraform(c.resource()))
        .anyMatch(c -> ref.name.equals(c.resource().path("spec").path("writeOutputsToSecret").path("name").asText()))
        ? ref.name : null;
  }

  /**
   * The readiness of one composed Terraform object written to Git.
   *
   * @param served whether this cluster serves the Terraform kind (tofu-controller installed here)
   * @param ready its Ready condition is True (never when not served: publication decides then)
   * @param message what a person reads
   */
  private record TofuReadiness(boolean served, boolean ready, String message) {
  }

  /**
   * For each composed Terraform object (by template name): when this cluster serves the kind, whether the object of
   * the same name in the claim's namespace reports {@code Ready=True}, as tofu-controller sets it once the module is
   * applied; when not served, not served (the claim is Ready when published, and says so).
   */
  private Map<String, TofuReadiness> tofuReadiness(String ns, CompositionEngine.Result result) {
    Map<String, TofuReadiness> out = new HashMap<>();
    for (var c : result.resources()) {
      if (!TerraformModule.isTerraform(c.resource())) {
        continue;
      }
      String what = "Terraform " + c.resource().path("metadata").path("name").asText();
      String apiVersion = c.resource().path("apiVersion").asText();
      if (composer.servedNamespaced(apiVersion, TerraformModule.KIND).isEmpty()) {
        out.put(c.name(), new TofuReadiness(false, false, "this cluster does not serve " + apiVersion + " "
            + TerraformModule.KIND + " (tofu-controller), so " + what + " counts as ready once written to Git"));
        continue;
      }
      var live = composer.observe(ns, c.resource());
      if (live.isEmpty()) {
        out.put(c.name(), new TofuReadiness(true, false, what + ": not in the cluster yet (Flux applies it from"
            + " Git)"));
        continue;
      }
      JsonNode readyCondition = null;
      for (JsonNode cond : live.get().path("status").path("conditions")) {
        if ("Ready".equals(cond.path("type").asText())) {
          readyCondition = cond;
        }
      }
      if (readyCondition != null && "True".equals(readyCondition.path("status").asText())) {
        out.put(c.name(), new TofuReadiness(true, true, what + " is Ready"));
      } else {
        out.put(c.name(), new TofuReadiness(true, false, what + ": " + (readyCondition == null
            ? "no Ready condition yet" : readyCondition.path("reason").asText("") + " "
            + readyCondition.path("message").asText(""))));
      }
    }
    return out;
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
    Map<String, String> current = composer.secretData(ns, ref.name).orElse(Map.of());
    String scheme = db.getSpec().engine == Database.Engine.MYSQL ? "mysql" : "postgresql";
    Map<String, String> data = ConnectionSecret.data(result.connectionDetails(), result.generatedPasswords(),
        current, scheme);
    composer.writeSecret(ns, ref.name, data, Map.of(CLAIM_NAME, db.getMetadata().getName()),
        new OwnerReferenceBuilder().withApiVersion(db.getApiVersion()).withKind(db.getKind())
            .withName(db.getMetadata().getName()).withUid(db.getMetadata().getUid()).withController(true).build(),
        "connection.tarmac.dev/v1alpha1");
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
      if (r.apiVersion == null || !composer.served(r.apiVersion, r.kind)) {
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
