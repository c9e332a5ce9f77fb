package dev.tarmac.statestore;

import dev.tarmac.Events;
import dev.tarmac.StatusChange;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.secrets.SecretAccess;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
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
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Reconciles a GitStateStore into a running {@link GitWriter} and reports the store's state: {@code Ready} (the
 * remote answered; for {@link #HISTORY_REWRITTEN_SHOWN_MS} after the writer repaired something, the reason says what,
 * with a Warning Event: {@code HistoryRewritten} when it found its commits dropped from the remote by a force-push,
 * {@code BranchRecreated} when it found the branch deleted, both also when that happened while the operator was
 * down, and {@code RepositoryRecreated} when an embedded repository was missing or empty at start; each time the
 * Works are re-published), last commit SHA and time, and, while the remote fails, {@code Ready=False} with the
 * writer's reason ({@link GitFailure}), {@code status.lastError}, {@code status.nextRetryTime} and a Warning Event. Credentials come from the Secret named by {@code spec.secretRef} (keys {@code username}/
 * {@code password}, or {@code sshPrivateKey}/{@code knownHosts}); they are never logged or put in status, which names
 * only the Secret and the resourceVersion in use.
 *
 * <p>Secrets are watched, not polled (the Keycloak operator's watched-secrets pattern): an informer on Secrets in the
 * namespaces Git credentials may live in ({@link SecretAccess#storeSecretNamespaces()}) wakes every store that names
 * a changed, created or deleted Secret, and a changed credential replaces the store's writer, which hands over the
 * changes it had not written. A Secret in any other namespace is refused ({@code SecretNamespaceNotAllowed}) without
 * being read.
 */
@ControllerConfiguration(name = "gitstatestore")
public final class GitStateStoreReconciler implements Reconciler<GitStateStore>, Cleaner<GitStateStore> {

  /** Shortest time between two status writes that only move {@code lastCommit} (milliseconds). */
  static final long COMMIT_STATUS_INTERVAL_MS = 10_000;
  /**
   * How long Ready's reason says {@code HistoryRewritten}, {@code BranchRecreated} or {@code RepositoryRecreated}
   * after the writer found and repaired it (10 min).
   */
  static final long HISTORY_REWRITTEN_SHOWN_MS = 10 * 60_000;

  private final java.util.Map<String, Long> lastStatusWrite = new java.util.concurrent.ConcurrentHashMap<>();
  private final KubernetesClient client;
  private final StateStores stores;
  private final Events events;
  private final String operatorNamespace;
  private final SecretAccess access;
  private volatile InformerEventSource<Secret, GitStateStore> secrets;
  private final SimpleInboundEventSource<GitStateStore> storeEvents = new SimpleInboundEventSource<>("store-state");

  /**
   * @param client the client
   * @param stores the writers
   * @param events where Events go
   * @param access which namespaces may hold Git credentials (the operator's own is the default for a secretRef)
   */
  public GitStateStoreReconciler(KubernetesClient client, StateStores stores, Events events, SecretAccess access) {
    String operatorNamespace = access.operatorNamespace();
    this.access = access;
    this.client = client;
    this.stores = stores;
    this.events = events;
    this.operatorNamespace = operatorNamespace;
    stores.onStoreState(name -> storeEvents.propagateEvent(new ResourceID(name)));
  }

  @Override
  public List<EventSource<?, GitStateStore>> prepareEventSources(EventSourceContext<GitStateStore> context) {
    var config = InformerEventSourceConfiguration.from(Secret.class, GitStateStore.class)
        .withName("store-secrets")
        .withNamespaces(access.storeSecretNamespaces())
        .withFollowControllerNamespacesChanges(false)
        // Only what a credential is made of wakes a store: not label or annotation edits.
        .withOnUpdateFilter((now, old) -> !Objects.equals(now.getData(), old.getData())
            || !Objects.equals(now.getStringData(), old.getStringData()))
        .withSecondaryToPrimaryMapper(secret -> context.getPrimaryCache()
            .list(store -> names(store, secret)).map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build();
    secrets = new InformerEventSource<>(config, context);
    return List.of(storeEvents, secrets);
  }

  private boolean names(GitStateStore store, Secret secret) {
    var ref = store.getSpec() == null ? null : store.getSpec().secretRef;
    return ref != null && secret.getMetadata().getName().equals(ref.name)
        && secret.getMetadata().getNamespace().equals(ref.namespace == null ? operatorNamespace : ref.namespace);
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
      Secret secret = secret(store);
      credentials = credentials(store, secret);
      status.credentials = inUse(secret, credentials);
    } catch (CredentialsException e) {
      // The writer keeps its last good credentials (queued changes wait in it) until the Secret is fixed.
      status.credentials = null;
      Conditions.setFalse(status, Conditions.READY, e.reason, e.getMessage(), generation);
      Conditions.setFalse(status, Conditions.SYNCED, e.reason, e.getMessage(), generation);
      var control = StatusChange.control(before, store);
      if (control.isPatchStatus()) {
        events.warning(store, e.reason, e.getMessage());
      }
      return control;
    }
    GitWriter writer = stores.writer(store, credentials);
    GitWriter.State state = writer.state();
    if (state.lastCommit() == null && state.lastError() == null && !state.ready()) {
      writer.probe();
      if (Conditions.forGeneration(status.conditions, Conditions.READY, generation)
          .map(c -> "True".equals(c.getStatus())).orElse(false)) {
        // A new writer (after a restart) that has not reached the remote yet: the store was Ready for this
        // generation, so its status stays as it is until the probe answers (the answer reconciles it again) rather
        // than flapping to Connecting and back, with every Destination on it.
        return UpdateControl.noUpdate();
      }
    }
    status.lastCommit = state.lastCommit();
    status.lastCommitTime = state.lastCommitTime() == null ? status.lastCommitTime : state.lastCommitTime().toString();
    status.lastError = state.lastError();
    status.nextRetryTime = state.nextRetry() == null ? null : state.nextRetry().toString();
    Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "writer configured for " + describe(store),
        generation);
    Notice notice = Notice.latest(state, System.currentTimeMillis());
    if (state.ready() && notice != null) {
      Conditions.setTrue(status, Conditions.READY, notice.reason(), notice.message(), generation);
    } else if (state.ready()) {
      Conditions.setTrue(status, Conditions.READY, "Reachable", "the remote answered; branch "
          + writer.config().branch(), generation);
    } else if (state.lastError() != null) {
      String secret = status.credentials == null ? "" : " (credentials from Secret " + status.credentials.secret
          + ")";
      Conditions.setFalse(status, Conditions.READY, state.reason(), state.lastError() + secret
          + "; changes wait in the operator and are retried with backoff"
          + (state.nextRetry() == null ? "" : ", next attempt at " + status.nextRetryTime), generation);
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
    if (control.isPatchStatus() && notice != null && state.ready()
        && !notice.message().equals(readyMessage(before))) {
      events.warning(store, notice.reason(), notice.message());
    }
    // Back to Reachable once the notice has been shown long enough, even if the writer stays quiet.
    return notice != null ? control.rescheduleAfter(notice.shownForMs()) : control;
  }

  /**
   * Something the writer repaired, which {@code Ready} (still {@code True}) shows for
   * {@link #HISTORY_REWRITTEN_SHOWN_MS} after it was found, with a Warning Event: {@code RepositoryRecreated},
   * {@code HistoryRewritten} or {@code BranchRecreated}; the newest wins.
   *
   * @param shownForMs how much longer it is shown (milliseconds, positive)
   */
  record Notice(String reason, String message, long shownForMs) {

    /** The newest notice of {@code state} still shown at {@code nowMs} (epoch milliseconds); null when none is. */
    static Notice latest(GitWriter.State state, long nowMs) {
      Notice latest = null;
      long latestAt = Long.MIN_VALUE;
      String[] reasons = {"RepositoryRecreated", "HistoryRewritten", "BranchRecreated"};
      String[] messages = {state.recreated(), state.historyRewritten(), state.branchRecreated()};
      java.time.Instant[] times = {state.recreatedAt(), state.historyRewrittenAt(), state.branchRecreatedAt()};
      for (int i = 0; i < reasons.length; i++) {
        if (times[i] == null || messages[i] == null) {
          continue;
        }
        long at = times[i].toEpochMilli();
        long shownFor = at + HISTORY_REWRITTEN_SHOWN_MS - nowMs;
        if (shownFor > 0 && at >= latestAt) {
          latest = new Notice(reasons[i], messages[i], shownFor);
          latestAt = at;
        }
      }
      return latest;
    }
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

  /** A store's Secret that cannot be used: the condition reason and a message saying what to change. */
  static final class CredentialsException extends Exception {
    final String reason;

    CredentialsException(String reason, String message) {
      super(message);
      this.reason = reason;
    }
  }

  /**
   * The Secret {@code spec.secretRef} names, from the informer; null when the store names none.
   *
   * @throws CredentialsException {@code SecretNamespaceNotAllowed} for a namespace Git credentials may not live in
   *     (nothing is read), {@code SecretNotFound} when it does not exist
   */
  private Secret secret(GitStateStore store) throws CredentialsException {
    var ref = store.getSpec().secretRef;
    if (ref == null || ref.name == null || ref.name.isBlank()) {
      return null;
    }
    String ns = ref.namespace == null || ref.namespace.isBlank() ? operatorNamespace : ref.namespace;
    String refused = access.refuseStoreSecret(ns);
    if (refused != null) {
      throw new CredentialsException("SecretNamespaceNotAllowed", refused);
    }
    Secret secret = secrets == null ? client.secrets().inNamespace(ns).withName(ref.name).get()
        : secrets.get(new ResourceID(ref.name, ns)).orElse(null);
    if (secret == null) {
      throw new CredentialsException("SecretNotFound", "Secret " + ns + "/" + ref.name + " named by spec.secretRef"
          + " does not exist: create it with keys username and password, or sshPrivateKey and knownHosts");
    }
    return secret;
  }

  /**
   * The credentials in {@code secret} (null: none).
   *
   * @throws CredentialsException {@code SecretKeyMissing} naming the key that is missing or empty
   */
  static GitCredentials credentials(GitStateStore store, Secret secret) throws CredentialsException {
    if (secret == null) {
      return GitCredentials.NONE;
    }
    String id = secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
    Map<String, String> data = new java.util.HashMap<>();
    if (secret.getData() != null) {
      secret.getData().forEach((k, v) -> data.put(k, decode(v)));
    }
    if (secret.getStringData() != null) {
      data.putAll(secret.getStringData());
    }
    if (data.containsKey("sshPrivateKey")) {
      if (blank(data.get("sshPrivateKey"))) {
        throw new CredentialsException("SecretKeyMissing", "key sshPrivateKey of Secret " + id + " is empty: put"
            + " the OpenSSH private key there");
      }
      if (blank(data.get("knownHosts"))) {
        throw new CredentialsException("SecretKeyMissing", "Secret " + id + " has sshPrivateKey but no key"
            + " knownHosts: add the server's known_hosts line(s) (ssh-keyscan <host>) under knownHosts");
      }
      return GitCredentials.ssh(data.get("sshPrivateKey"), data.get("knownHosts"));
    }
    if (data.containsKey("password")) {
      if (blank(data.get("password"))) {
        throw new CredentialsException("SecretKeyMissing", "key password of Secret " + id + " is empty: put the"
            + " password or token there");
      }
      return GitCredentials.basic(data.get("username"), data.get("password"));
    }
    throw new CredentialsException("SecretKeyMissing", "Secret " + id + " has no key password (HTTPS: username and"
        + " password or token) and no key sshPrivateKey (SSH: sshPrivateKey and knownHosts); it has "
        + (data.isEmpty() ? "no keys" : "only " + String.join(", ", new java.util.TreeSet<>(data.keySet())))
        + ": rename or add the key");
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static GitStateStore.CredentialsInUse inUse(Secret secret, GitCredentials credentials) {
    if (secret == null) {
      return null;
    }
    var in = new GitStateStore.CredentialsInUse();
    in.secret = secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
    in.resourceVersion = secret.getMetadata().getResourceVersion();
    in.type = credentials.toString();
    return in;
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
