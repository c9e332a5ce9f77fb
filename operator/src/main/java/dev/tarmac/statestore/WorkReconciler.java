package dev.tarmac.statestore;

import dev.tarmac.Events;
import dev.tarmac.StatusChange;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Work;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Places each Work on the Destinations its selectors match ({@link WorkScheduler}), writes its files there through
 * the stores' {@link GitWriter}s, and records the placements in status. A reconcile never waits for Git: it queues the
 * writes and returns; when a commit lands, the Work is reconciled again and its status says where the files are.
 *
 * <p>Conditions: {@code Published} (every placement committed), {@code Ready} (same, the rollup). Reasons:
 * {@code Published}, {@code Writing}, {@code NoMatchingDestination}, {@code InvalidWork},
 * {@code StateStoreUnreachable} while a placement waits for a store that is not Ready, with a message naming the store
 * and its own reason ({@code GitStateStore s is not Ready (AuthenticationFailed): ...}), which a request's
 * {@code Published} and {@code Ready} conditions repeat. Placements already written stay {@code Published} through an
 * outage: their files are in Git. A Work removed from a Destination
 * (selectors changed) or deleted has its files removed, through the finalizer.
 */
@ControllerConfiguration(name = "work", finalizerName = dev.tarmac.api.Labels.WORK_FINALIZER)
public final class WorkReconciler implements Reconciler<Work>, Cleaner<Work> {

  /** What a Destination placement is waiting for or has. */
  private record InFlight(String fingerprint, CompletableFuture<GitWriter.CommitResult> future) {
  }

  private final StateStores stores;
  private final dev.tarmac.api.Shard shard;
  private final Events events;
  private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
  private final Map<String, Long> validGeneration = new ConcurrentHashMap<>();
  private final SimpleInboundEventSource<Work> written = new SimpleInboundEventSource<>("git-written");
  private final java.util.concurrent.atomic.LongAdder confirmations = new java.util.concurrent.atomic.LongAdder();
  private final Map<String, java.util.concurrent.atomic.LongAdder> confirmationsByNamespace =
      new ConcurrentHashMap<>();
  private volatile EventSourceContext<Work> context;
  private final long startedAt = System.nanoTime();

  /**
   * @param stores the state stores
   * @param events where Events go
   */
  public WorkReconciler(StateStores stores, Events events) {
    this(stores, events, dev.tarmac.api.Shard.ALL);
  }

  /**
   * As {@link #WorkReconciler(StateStores, Events)}, placing Works only on {@code shard}'s Destinations
   * ({@link WorkScheduler#select(Work, List, dev.tarmac.api.Shard)}): a state store is written by exactly one shard,
   * so commits to it never race (docs/scaling.md). The Works themselves are filtered by the controller's label
   * selector.
   */
  public WorkReconciler(StateStores stores, Events events, dev.tarmac.api.Shard shard) {
    this.shard = shard;
    this.stores = stores;
    this.events = events;
    stores.onDestinationsChanged(() -> {
      var c = context;
      if (c != null && dev.tarmac.SharedPrimaryCache.started(c.getPrimaryCache())) {
        c.getPrimaryCache().list().forEach(w -> written.propagateEvent(ResourceID.fromResource(w)));
      }
    });
  }

  /**
   * Reconciles since start that found every placement of a Work committed (metric
   * {@code tarmac_work_confirmations_total}): after a restart, this reaching the number of Works proves each was
   * re-confirmed against its store.
   */
  public double confirmations() {
    return confirmations.sum();
  }

  /** {@link #confirmations()} of the Works in {@code namespace} only. */
  public long confirmations(String namespace) {
    var n = confirmationsByNamespace.get(namespace);
    return n == null ? 0 : n.sum();
  }

  /**
   * The index of {@link #cache()} by the owner's UID ({@code Labels.OWNER_UID}) of Works Tarmac manages
   * ({@code Labels.MANAGED_BY=tarmac}): a request's reconcile looks its Works up without scanning every Work.
   */
  public static final String OWNER_UID_INDEX = "owner-uid";

  private volatile dev.tarmac.SharedPrimaryCache<Work> cache;

  /**
   * This controller's Work informer cache, indexed by {@link #OWNER_UID_INDEX}, for the request controllers
   * ({@code PromiseRuntime}): one informer on Works instead of two (issue 17, figure 3). Available once the
   * reconciler is registered; it lists Works when the operator starts (on the leader).
   *
   * @throws IllegalStateException before the reconciler is registered
   */
  public dev.tarmac.SharedPrimaryCache<Work> cache() {
    return dev.tarmac.SharedPrimaryCache.registered(cache, "Work");
  }

  @Override
  public List<EventSource<?, Work>> prepareEventSources(EventSourceContext<Work> context) {
    this.context = context;
    cache = dev.tarmac.SharedPrimaryCache.attach(context, Map.of(OWNER_UID_INDEX, w -> {
      Map<String, String> labels = w.getMetadata().getLabels();
      String uid = labels == null || !"tarmac".equals(labels.get(dev.tarmac.api.Labels.MANAGED_BY)) ? null
          : labels.get(dev.tarmac.api.Labels.OWNER_UID);
      return uid == null ? List.of() : List.of(uid);
    }));
    return List.of(written, cache.eventSource());
  }

  @Override
  public UpdateControl<Work> reconcile(Work work, Context<Work> context) {
    if (work.getStatus() == null) {
      work.setStatus(new Work.Status());
    }
    var before = StatusChange.snapshot(work);
    var status = work.getStatus();
    Long generation = work.getMetadata().getGeneration();
    status.observedGeneration = generation;
    String ownerDir;
    try {
      // The files of a generation are checked once (parsing every YAML document is most of a reconcile's CPU);
      // a Work is reconciled again when its commit lands, with the same spec.
      String uid = work.getMetadata().getUid();
      if (generation == null || uid == null || !generation.equals(validGeneration.get(uid))) {
        StateStoreLayout.validate(work, stores.limits());
        if (generation != null && uid != null) {
          validGeneration.put(uid, generation);
        }
      }
      ownerDir = StateStoreLayout.ownerDir(work);
    } catch (WorkRejectedException e) {
      fail(status, "InvalidWork", e.getMessage() + "; nothing was written", generation);
      return warnOnChange(before, work, "InvalidWork");
    }
    List<Destination> targets = WorkScheduler.select(work, stores.destinations(), shard);
    Map<String, Work.Placement> previous = new LinkedHashMap<>();
    status.placements.forEach(p -> previous.put(p.destination, p));
    Map<String, Work.Placement> recorded = new LinkedHashMap<>(previous);
    List<Work.Placement> placements = new ArrayList<>();
    List<String> waiting = new ArrayList<>();
    String storeProblem = null;

    for (Destination d : targets) {
      String name = d.getMetadata().getName();
      GitStateStore store = stores.store(d.getSpec().stateStoreRef.name).orElse(null);
      GitWriter writer = store == null ? null : stores.writer(store.getMetadata().getName()).orElse(null);
      Work.Placement p = new Work.Placement();
      p.destination = name;
      if (writer == null && store != null && System.nanoTime() - startedAt < WRITER_GRACE_NANOS
          && placedHere(before, generation, recorded.get(name),
              StateStores.destinationDir(store, d) + "/" + ownerDir)) {
        // The store exists but its writer is not made yet (the operator has just started): the Work was Published
        // here for this generation, so its status stays until the writer can re-confirm it. Only in the first
        // 30 s after start: a store whose writer cannot be made (its Secret is gone) is reported after that.
        return UpdateControl.<Work>noUpdate().rescheduleAfter(WRITER_WAIT_MS);
      }
      if (writer == null) {
        storeProblem = "Destination " + name + " names GitStateStore " + d.getSpec().stateStoreRef.name
            + (store == null ? ", which does not exist"
            : !shard.owns(store.getMetadata().getLabels()) ? ", which belongs to shard "
                + dev.tarmac.api.Shard.of(store.getMetadata().getLabels()) + " while the Destination belongs to shard "
                + shard.displayName() + ": a store is written by one shard only; label both with the same "
                + dev.tarmac.api.Labels.SHARD
            : ", which is not ready yet" + storeCondition(store));
        p.state = "Pending";
        placements.add(p);
        waiting.add(name);
        continue;
      }
      String destDir = StateStores.destinationDir(store, d);
      p.path = destDir + "/" + ownerDir;
      InFlight f = placement(work, name, writer, put(work, destDir, ownerDir));
      if (f.future().isDone() && !f.future().isCompletedExceptionally()) {
        GitWriter.CommitResult result = f.future().join();
        Work.Placement was = recorded.get(name);
        // A write that changed nothing (the files were in place, e.g. re-confirmed after a restart) keeps the commit
        // that put them there, so an unchanged Work's status is not rewritten to name the branch's newest commit.
        // After a history rewrite, or in a repository this writer re-created, the recorded commit is gone, so the
        // new tip is named then.
        boolean keep = !result.changed() && was != null && "Written".equals(was.state) && was.commit != null
            && Objects.equals(was.path, p.path) && writer.state().historyRewrites() == 0
            && writer.state().recreatedAt() == null;
        p.commit = keep ? was.commit : result.commit();
        p.state = "Written";
      } else {
        p.state = f.future().isCompletedExceptionally() ? "Failed" : "Writing";
        waiting.add(name);
        if (!writer.state().ready() && writer.state().lastError() != null) {
          // The store's name and reason, so the request whose Work this is can say which store and why.
          storeProblem = "GitStateStore " + writer.config().name() + " is not Ready (" + writer.state().reason()
              + "): " + writer.state().lastError();
        }
        if (f.future().isCompletedExceptionally()) {
          inFlight.remove(uid(work) + "|" + name);
        }
      }
      placements.add(p);
      previous.remove(name);
    }
    // Destinations the Work no longer matches: remove its files there.
    for (Work.Placement gone : previous.values()) {
      if (removeFrom(work, gone)) {
        continue;
      }
      Work.Placement p = new Work.Placement();
      p.destination = gone.destination;
      p.path = gone.path;
      p.state = "Removing";
      placements.add(p);
      waiting.add(gone.destination);
    }
    status.placements = placements;
    Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "", generation);
    if (targets.isEmpty()) {
      List<String> elsewhere = WorkScheduler.select(work, stores.destinations()).stream()
          .map(d -> d.getMetadata().getName() + " (shard " + dev.tarmac.api.Shard.of(d.getMetadata().getLabels())
              + ")").toList();
      fail(status, "NoMatchingDestination", "no Destination " + (elsewhere.isEmpty() ? "" : "of shard "
          + shard.displayName() + " ") + "matches the Work's selectors " + selectorText(work)
          + (elsewhere.isEmpty() ? "" : "; " + String.join(", ", elsewhere) + " match but belong to other shards,"
              + " whose operators write their stores (a Work is placed only on Destinations of its own shard,"
              + " label " + dev.tarmac.api.Labels.SHARD + ")")
          + "; it is placed as soon as one does", generation);
      return warnOnChange(before, work, "NoMatchingDestination");
    }
    if (waiting.isEmpty()) {
      confirmations.increment();
      confirmationsByNamespace.computeIfAbsent(String.valueOf(work.getMetadata().getNamespace()),
          k -> new java.util.concurrent.atomic.LongAdder()).increment();
      String where = placements.stream().filter(p -> "Written".equals(p.state))
          .map(p -> p.destination + " (" + (p.commit == null ? "empty" : p.commit.substring(0, 7)) + ")")
          .reduce((a, b) -> a + ", " + b).orElse("");
      Conditions.setTrue(status, Conditions.PUBLISHED, "Published", "committed to " + where, generation);
      Conditions.setTrue(status, Conditions.READY, "Published", "committed to " + where, generation);
    } else if (storeProblem != null) {
      fail(status, "StateStoreUnreachable", storeProblem + "; waiting to write to " + String.join(", ", waiting),
          generation);
    } else {
      if (before.path("conditions").isEmpty() || before.path("conditions").isMissingNode()) {
        // The first write of a new Work is usually committed within a second: skip the transient "Writing"
        // status (one API write per Work saved); the commit brings the Work back and Published is written then.
        return UpdateControl.noUpdate();
      }
      if (rewritingWhatIsWritten(before, generation, waiting, recorded, placements)) {
        // The same files again to the same places (after a restart, or a store's history check): they are in Git
        // already, so Published stays as it is rather than flapping to Writing and back for every Work — and for
        // every request whose Ready follows it. The commit brings the Work back.
        return UpdateControl.noUpdate();
      }
      Conditions.setFalse(status, Conditions.PUBLISHED, "Writing", "writing to " + String.join(", ", waiting),
          generation);
      Conditions.setFalse(status, Conditions.READY, "Writing", "writing to " + String.join(", ", waiting),
          generation);
    }
    var control = StatusChange.control(before, work);
    // A Work whose store has no writer yet looks again shortly (ApiServerOutageApiServerTest).
    return storeProblem != null && storeProblem.endsWith("not ready yet") ? control.rescheduleAfter(WRITER_WAIT_MS)
        : control;
  }

  /** {@code " (<reason>: <message>)"} of a store's Ready=False condition, or "" when it has none. */
  private static String storeCondition(GitStateStore store) {
    if (store.getStatus() == null || Conditions.isTrue(store.getStatus(), Conditions.READY)) {
      return "";
    }
    return Conditions.find(store.getStatus().conditions, Conditions.READY).filter(c -> c.getReason() != null)
        .map(c -> " (" + c.getReason() + ": " + c.getMessage() + ")").orElse("");
  }

  /** How long a Work whose store has no writer yet waits before it is reconciled again (milliseconds). */
  static final long WRITER_WAIT_MS = 1000;
  /** How long after start a missing writer is taken for one still being made (nanoseconds). */
  static final long WRITER_GRACE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);

  /** True when the Work was Published for {@code generation} with {@code was} Written at {@code path}. */
  private static boolean placedHere(com.fasterxml.jackson.databind.JsonNode before, Long generation,
      Work.Placement was, String path) {
    boolean published = Conditions.find(before, Conditions.PUBLISHED).map(c -> "True".equals(c.path("status")
        .asText()) && generation != null && generation == c.path("observedGeneration").asLong(-1)).orElse(false);
    return published && was != null && "Written".equals(was.state) && Objects.equals(was.path, path);
  }

  /**
   * The change that makes the Work's files in Destination folder {@code destDir} be its {@code spec.files}: what a
   * reconcile writes, and what a re-created repository gets back ({@link StateStores}).
   */
  static GitWriter.Put put(Work work, String destDir, String ownerDir) {
    Map<String, String> files = new LinkedHashMap<>();
    work.getSpec().files.forEach(f -> files.put(f.path, f.content == null ? "" : f.content));
    return new GitWriter.Put(destDir, ownerDir, StateStoreLayout.indexKey(work), files);
  }

  /**
   * True when the Work was Published for this generation and every placement still waiting had been Written to the
   * same path before: the write in flight re-confirms content that is already in its store.
   */
  private static boolean rewritingWhatIsWritten(com.fasterxml.jackson.databind.JsonNode before, Long generation,
      List<String> waiting, Map<String, Work.Placement> recorded, List<Work.Placement> placements) {
    boolean published = Conditions.find(before, Conditions.PUBLISHED).map(c -> "True".equals(c.path("status")
        .asText()) && generation != null && generation == c.path("observedGeneration").asLong(-1)).orElse(false);
    if (!published) {
      return false;
    }
    for (String name : waiting) {
      Work.Placement was = recorded.get(name);
      Work.Placement now = placements.stream().filter(p -> name.equals(p.destination)).findFirst().orElse(null);
      if (was == null || now == null || !"Written".equals(was.state) || !"Writing".equals(now.state)
          || !java.util.Objects.equals(was.path, now.path)) {
        return false;
      }
    }
    return true;
  }

  private static String selectorText(Work work) {
    var s = work.getSpec().destinationSelectors;
    return s == null || s.isEmpty() ? "(none)" : dev.tarmac.api.Serialization.JSON.valueToTree(s).toString();
  }

  private static void fail(Work.Status status, String reason, String message, Long generation) {
    Conditions.setFalse(status, Conditions.PUBLISHED, reason, message, generation);
    Conditions.setFalse(status, Conditions.READY, reason, message, generation);
  }

  private UpdateControl<Work> warnOnChange(com.fasterxml.jackson.databind.JsonNode before, Work work, String reason) {
    var control = StatusChange.control(before, work);
    if (control.isPatchStatus()) {
      events.warning(work, reason, Conditions.find(work.getStatus().conditions, Conditions.READY).orElseThrow()
          .getMessage());
    }
    return control;
  }

  private static String uid(Work work) {
    return work.getMetadata().getUid();
  }

  private InFlight placement(Work work, String destination, GitWriter writer, GitWriter.Put put) {
    // The store's rewrite count is part of the fingerprint: after a force-push dropped Tarmac's commits, the commit a
    // finished write names is no longer on the branch, so every Work is written again (the writer has put its files
    // back already, so this changes nothing) and its status names a commit that is.
    String fingerprint = writer.config().name() + "|" + put.destinationDir() + "|" + put.ownerDir() + "|"
        + Objects.hash(put.files()) + "|" + writer.state().historyRewrites();
    String k = uid(work) + "|" + destination;
    InFlight current = inFlight.get(k);
    if (current != null && current.fingerprint().equals(fingerprint)) {
      return current;
    }
    CompletableFuture<GitWriter.CommitResult> future = writer.submit(put);
    InFlight created = new InFlight(fingerprint, future);
    inFlight.put(k, created);
    ResourceID id = ResourceID.fromResource(work);
    future.whenComplete((r, e) -> written.propagateEvent(id));
    return created;
  }

  /** Queues removal of the Work's files from a former placement; true when they are gone. */
  private boolean removeFrom(Work work, Work.Placement placement) {
    String k = uid(work) + "|" + placement.destination + "|remove";
    InFlight current = inFlight.get(k);
    if (current != null) {
      if (current.future().isDone()) {
        inFlight.remove(k);
        inFlight.remove(uid(work) + "|" + placement.destination);
        return !current.future().isCompletedExceptionally();
      }
      return false;
    }
    Destination d = stores.destinations().stream().filter(x -> x.getMetadata().getName().equals(placement.destination))
        .findFirst().orElse(null);
    GitStateStore store = d == null ? null : stores.store(d.getSpec().stateStoreRef.name).orElse(null);
    GitWriter writer = store == null ? null : stores.writer(store.getMetadata().getName()).orElse(null);
    if (writer == null || placement.path == null) {
      // The Destination or its store is gone: there is nowhere left to remove from.
      return true;
    }
    String destDir = StateStores.destinationDir(store, d);
    String ownerDir = placement.path.startsWith(destDir + "/") ? placement.path.substring(destDir.length() + 1)
        : StateStoreLayout.ownerDir(work);
    CompletableFuture<GitWriter.CommitResult> f = writer.submit(new GitWriter.Remove(destDir, ownerDir,
        StateStoreLayout.indexKey(work)));
    inFlight.put(k, new InFlight("remove", f));
    ResourceID id = ResourceID.fromResource(work);
    f.whenComplete((r, e) -> written.propagateEvent(id));
    return false;
  }

  @Override
  public DeleteControl cleanup(Work work, Context<Work> context) {
    validGeneration.remove(String.valueOf(work.getMetadata().getUid()));
    if (work.getStatus() == null || work.getStatus().placements == null) {
      return DeleteControl.defaultDelete();
    }
    Set<String> pending = new TreeSet<>();
    for (Work.Placement p : work.getStatus().placements) {
      if (!removeFrom(work, p)) {
        pending.add(p.destination);
      }
    }
    if (pending.isEmpty()) {
      inFlight.keySet().removeIf(k -> k.startsWith(uid(work) + "|"));
      return DeleteControl.defaultDelete();
    }
    return DeleteControl.noFinalizerRemoval();
  }
}
