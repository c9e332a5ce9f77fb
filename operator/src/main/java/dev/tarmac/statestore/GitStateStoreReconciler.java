package dev.tarmac.statestore;

import dev.tarmac.Events;
import dev.tarmac.StatusChange;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.GitStateStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Reconciles a GitStateStore into a running {@link GitWriter} and reports the store's state: {@code Ready} (the
 * remote answered; reason {@code HistoryRewritten} for {@link #HISTORY_REWRITTEN_SHOWN_MS} after the writer found its
 * commits dropped from the remote and re-published the Works, with a Warning Event), last commit SHA and time, last
 * error and next retry. Credentials come from the Secret named by {@code spec.secretRef} (keys {@code username}/
 * {@code password}, or {@code sshPrivateKey}/{@code knownHosts}); they are never logged or put in status.
 */
@ControllerConfiguration(name = "gitstatestore")
public final class GitStateStoreReconciler implements Reconciler<GitStateStore>, Cleaner<GitStateStore> {

  /** Shortest time between two status writes that only move {@code lastCommit} (milliseconds). */
  static final long COMMIT_STATUS_INTERVAL_MS = 10_000;
  /** How long Ready's reason says {@code HistoryRewritten} after the writer found the remote rewritten (10 min). */
  static final long HISTORY_REWRITTEN_SHOWN_MS = 10 * 60_000;

  private final java.util.Map<String, Long> lastStatusWrite = new java.util.concurrent.ConcurrentHashMap<>();
  private final KubernetesClient client;
  private final StateStores stores;
  private final Events events;
  private final String operatorNamespace;
  private final SimpleInboundEventSource<GitStateStore> storeEvents = new SimpleInboundEventSource<>("store-state");

  /**
   * @param client the client (reads Secrets)
   * @param stores the writers
   * @param events where Events go
   * @param operatorNamespace where Secrets without a namespace are looked up
   */
  public GitStateStoreReconciler(KubernetesClient client, StateStores stores, Events events,
      String operatorNamespace) {
    this.client = client;
    this.stores = stores;
    this.events = events;
    this.operatorNamespace = operatorNamespace;
    stores.onStoreState(name -> storeEvents.propagateEvent(new ResourceID(name)));
  }

  @Override
  public List<EventSource<?, GitStateStore>> prepareEventSources(EventSourceContext<GitStateStore> context) {
    return List.of(storeEvents);
  }

  @Override
  public UpdateControl<GitStateStore> reconcile(GitStateStore store, Context<GitStateStore> context) {
    if (store.getStatus() == null) {
      store.setStatus(new GitStateStore.Status());
    }
    var before = StatusChange.snapshot(store);
    var status = store.getStatus();
    Long generation = store.getMetadata().getGeneration();
    status.observedGeneration = generation;
    GitCredentials credentials;
    try {
      credentials = credentials(store);
    } catch (IllegalArgumentException e) {
      Conditions.setFalse(status, Conditions.READY, "SecretNotFound", e.getMessage(), generation);
      Conditions.setFalse(status, Conditions.SYNCED, "SecretNotFound", e.getMessage(), generation);
      var control = StatusChange.control(before, store);
      if (control.isPatchStatus()) {
        events.warning(store, "SecretNotFound", e.getMessage());
      }
      return control;
    }
    GitWriter writer = stores.writer(store, credentials);
    GitWriter.State state = writer.state();
    if (state.lastCommit() == null && state.lastError() == null && !state.ready()) {
      writer.probe();
    }
    status.lastCommit = state.lastCommit();
    status.lastCommitTime = state.lastCommitTime() == null ? status.lastCommitTime : state.lastCommitTime().toString();
    status.lastError = state.lastError();
    status.nextRetryTime = state.nextRetry() == null ? null : state.nextRetry().toString();
    Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "writer configured for " + describe(store),
        generation);
    long rewrittenShownFor = state.historyRewrittenAt() == null ? 0
        : state.historyRewrittenAt().toEpochMilli() + HISTORY_REWRITTEN_SHOWN_MS - System.currentTimeMillis();
    if (state.ready() && rewrittenShownFor > 0) {
      Conditions.setTrue(status, Conditions.READY, "HistoryRewritten", state.historyRewritten(), generation);
    } else if (state.ready()) {
      Conditions.setTrue(status, Conditions.READY, "Reachable", "the remote answered; branch "
          + writer.config().branch(), generation);
    } else if (state.lastError() != null) {
      Conditions.setFalse(status, Conditions.READY, state.reason(), state.lastError()
          + "; pending changes are kept and retried", generation);
    } else {
      Conditions.set(status, Conditions.READY, null, "Connecting", "reaching the remote", generation);
    }
    var control = StatusChange.control(before, store);
    String name = store.getMetadata().getName();
    long now = System.currentTimeMillis();
    if (control.isPatchStatus() && state.pending() > 0 && onlyTheCommitMoved(before, store)) {
      // Under a stream of commits (changes still queued) the last commit is shown at most every 10 s (every Work's
      // status names its own commit); once the writer is idle, the newest commit is written at once.
      long since = now - lastStatusWrite.getOrDefault(name, 0L);
      if (since < COMMIT_STATUS_INTERVAL_MS) {
        return UpdateControl.<GitStateStore>noUpdate().rescheduleAfter(COMMIT_STATUS_INTERVAL_MS - since);
      }
    }
    if (control.isPatchStatus()) {
      lastStatusWrite.put(name, now);
    }
    if (control.isPatchStatus() && state.lastError() != null
        && !state.lastError().equals(before.path("lastError").asText(null))) {
      events.warning(store, state.reason(), state.lastError());
    }
    if (control.isPatchStatus() && rewrittenShownFor > 0 && state.ready()
        && !state.historyRewritten().equals(readyMessage(before))) {
      events.warning(store, "HistoryRewritten", state.historyRewritten());
    }
    // Back to Reachable once the notice has been shown long enough, even if the writer stays quiet.
    return rewrittenShownFor > 0 ? control.rescheduleAfter(rewrittenShownFor) : control;
  }

  private static String readyMessage(com.fasterxml.jackson.databind.JsonNode status) {
    return Conditions.find(status, Conditions.READY).map(c -> c.path("message").asText(null)).orElse(null);
  }

  private static boolean onlyTheCommitMoved(com.fasterxml.jackson.databind.JsonNode before, GitStateStore store) {
    if (before == null || !before.isObject()) {
      return false;
    }
    var a = ((com.fasterxml.jackson.databind.node.ObjectNode) before).deepCopy();
    var b = (com.fasterxml.jackson.databind.node.ObjectNode) StatusChange.snapshot(store);
    for (String field : new String[] {"lastCommit", "lastCommitTime"}) {
      a.remove(field);
      b.remove(field);
    }
    return a.equals(b) && before.hasNonNull("lastCommit");
  }

  private String describe(GitStateStore store) {
    return store.getSpec().url == null || store.getSpec().url.isBlank()
        ? "the embedded repository /git/" + store.getMetadata().getName() + ".git" : store.getSpec().url;
  }

  private GitCredentials credentials(GitStateStore store) {
    var ref = store.getSpec().secretRef;
    if (ref == null || ref.name == null) {
      return GitCredentials.NONE;
    }
    String ns = ref.namespace == null ? operatorNamespace : ref.namespace;
    Secret secret = client.secrets().inNamespace(ns).withName(ref.name).get();
    if (secret == null) {
      throw new IllegalArgumentException("Secret " + ns + "/" + ref.name + " named by spec.secretRef does not exist:"
          + " create it with username/password or sshPrivateKey/knownHosts");
    }
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    if (data.containsKey("sshPrivateKey")) {
      return GitCredentials.ssh(decode(data.get("sshPrivateKey")), decode(data.get("knownHosts")));
    }
    if (data.containsKey("password")) {
      return GitCredentials.basic(decode(data.get("username")), decode(data.get("password")));
    }
    throw new IllegalArgumentException("Secret " + ns + "/" + ref.name + " has neither password nor sshPrivateKey");
  }

  private static String decode(String b64) {
    return b64 == null ? null : new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }

  @Override
  public DeleteControl cleanup(GitStateStore store, Context<GitStateStore> context) {
    stores.remove(store.getMetadata().getName());
    return DeleteControl.defaultDelete();
  }
}
