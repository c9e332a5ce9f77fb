package dev.tarmac.statestore;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Work;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state stores of this operator: one {@link GitWriter} per GitStateStore, the embedded Git server, and informers
 * on Destinations and GitStateStores that the Work, Destination and GitStateStore reconcilers share.
 */
public final class StateStores implements AutoCloseable {

  /** Name of the store and Destination created when none exists, backed by the embedded Git server. */
  public static final String DEFAULT = "default";

  private static final Logger LOG = LoggerFactory.getLogger(StateStores.class);

  private final KubernetesClient client;
  private final Path cacheDir;
  private final EmbeddedGitServer embedded;
  private final Map<String, GitWriter> writers = new ConcurrentHashMap<>();
  private final List<Consumer<String>> storeListeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> destinationListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<String>> storeStatusListeners = new CopyOnWriteArrayList<>();
  private SharedIndexInformer<Destination> destinations;
  private SharedIndexInformer<GitStateStore> stores;
  private final StateStoreLayout.Limits limits;
  private volatile GitWriter.Timing timing = GitWriter.Timing.DEFAULT;

  /**
   * @param client the client
   * @param dataDir the operator's data folder: Git clones under {@code cache/}, embedded repositories under
   *     {@code git/}
   * @param limits file and Work size limits
   */
  public StateStores(KubernetesClient client, Path dataDir, StateStoreLayout.Limits limits) {
    this.client = client;
    this.cacheDir = dataDir.resolve("cache");
    this.embedded = new EmbeddedGitServer(dataDir);
    this.limits = limits;
  }

  /**
   * Sets the backoff and history-check intervals of writers made from now on (tests shorten them); default
   * {@link GitWriter.Timing#DEFAULT}.
   */
  public StateStores withTiming(GitWriter.Timing timing) {
    this.timing = timing;
    return this;
  }

  /**
   * Starts the informers on Destinations and GitStateStores and waits for their first lists, made at once.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when a list fails (RBAC, API server)
   */
  public StateStores start() {
    destinations = client.resources(Destination.class).runnableInformer(0);
    destinations.addEventHandler(handler(() -> destinationListeners.forEach(Runnable::run)));
    stores = client.resources(GitStateStore.class).runnableInformer(0);
    stores.addEventHandler(handler(() -> destinationListeners.forEach(Runnable::run)));
    stores.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GitStateStore obj) {
      }

      @Override
      public void onUpdate(GitStateStore oldObj, GitStateStore newObj) {
        if (!readyView(oldObj).equals(readyView(newObj))) {
          storeStatusListeners.forEach(l -> l.accept(newObj.getMetadata().getName()));
        }
      }

      @Override
      public void onDelete(GitStateStore obj, boolean deletedFinalStateUnknown) {
      }
    });
    var starts = new dev.tarmac.InformerStarts();
    starts.start(destinations);
    starts.start(stores);
    starts.await();
    return this;
  }

  /** What a Destination repeats of its store: the Ready condition (status, reason, message) and the next attempt. */
  private static String readyView(GitStateStore store) {
    if (store.getStatus() == null) {
      return "";
    }
    return Conditions.find(store.getStatus().conditions, Conditions.READY)
        .map(c -> c.getStatus() + "/" + c.getReason() + "/" + c.getMessage()).orElse("")
        + "/" + store.getStatus().nextRetryTime;
  }

  /**
   * Calls {@code listener} with a store's name whenever its {@code Ready} condition (message included) or
   * {@code status.nextRetryTime} changes, so Destinations can repeat it (placement listeners hear only status and
   * reason changes).
   */
  public void onStoreStatus(Consumer<String> listener) {
    storeStatusListeners.add(listener);
  }

  private static <T> ResourceEventHandler<T> handler(Runnable onChange) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        onChange.run();
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        // Status writes after every commit (lastCommit, messages) do not change where Works go; re-placing every
        // Work on each of them made Work reconciles grow with Works x commits.
        if (!placementView(oldObj).equals(placementView(newObj))) {
          onChange.run();
        }
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        onChange.run();
      }
    };
  }

  /**
   * What Work placement depends on in a Destination or GitStateStore: labels, spec, deletion, and the Ready
   * condition's status and reason (a store going down or up changes what Works say).
   */
  static com.fasterxml.jackson.databind.JsonNode placementView(Object object) {
    com.fasterxml.jackson.databind.JsonNode o = dev.tarmac.api.Serialization.JSON.valueToTree(object);
    var view = dev.tarmac.api.Serialization.JSON.createObjectNode();
    view.set("labels", o.path("metadata").path("labels"));
    view.set("deletion", o.path("metadata").path("deletionTimestamp"));
    view.set("spec", o.path("spec"));
    for (var c : o.path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        view.put("ready", c.path("status").asText() + "/" + c.path("reason").asText());
      }
    }
    return view;
  }

  /**
   * Creates the {@value #DEFAULT} GitStateStore (the embedded repository) and Destination (labels
   * {@code environment: dev}, {@code platform.tarmac.dev/default: "true"}) when no GitStateStore exists, so a fresh
   * install publishes somewhere real.
   */
  public void ensureDefaults() {
    if (!client.resources(GitStateStore.class).list().getItems().isEmpty()) {
      return;
    }
    GitStateStore store = new GitStateStore();
    store.setMetadata(new ObjectMetaBuilder().withName(DEFAULT)
        .addToLabels("platform.tarmac.dev/default", "true").build());
    store.setSpec(new GitStateStore.Spec());
    createIfAbsent(store);
    if (client.resources(Destination.class).withName(DEFAULT).get() == null) {
      Destination d = new Destination();
      d.setMetadata(new ObjectMetaBuilder().withName(DEFAULT).addToLabels("environment", "dev")
          .addToLabels("platform.tarmac.dev/default", "true").build());
      d.setSpec(new Destination.Spec());
      d.getSpec().stateStoreRef = new Destination.StateStoreRef();
      d.getSpec().stateStoreRef.name = DEFAULT;
      d.getSpec().path = "default";
      createIfAbsent(d);
    }
    LOG.info("no GitStateStore existed: created store and Destination '{}' on the embedded Git server", DEFAULT);
  }

  private void createIfAbsent(io.fabric8.kubernetes.api.model.HasMetadata object) {
    try {
      client.resource(object).create();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }

  /** Destinations now, from the informer. */
  public List<Destination> destinations() {
    return destinations.getStore().list();
  }

  /** The GitStateStore {@code name}, from the informer. */
  public Optional<GitStateStore> store(String name) {
    return Optional.ofNullable(stores.getStore().getByKey(name));
  }

  /** Calls {@code listener} whenever a Destination or GitStateStore changes (Works may need placing again). */
  public void onDestinationsChanged(Runnable listener) {
    destinationListeners.add(listener);
  }

  /** Calls {@code listener} with a store's name whenever its writer's state changes (a commit, an error). */
  public void onStoreState(Consumer<String> listener) {
    storeListeners.add(listener);
  }

  /** The embedded Git server. */
  public EmbeddedGitServer embedded() {
    return embedded;
  }

  /** File and Work size limits. */
  public StateStoreLayout.Limits limits() {
    return limits;
  }

  /**
   * The writer for {@code store}, created or replaced when its URL, branch or credentials changed.
   *
   * @param credentials read from the store's Secret by the caller
   */
  public GitWriter writer(GitStateStore store, GitCredentials credentials) {
    String name = store.getMetadata().getName();
    var spec = store.getSpec();
    String branch = spec.branch == null || spec.branch.isBlank() ? "main" : spec.branch;
    PersonIdent author = new PersonIdent(spec.author != null && spec.author.name != null ? spec.author.name : "Tarmac",
        spec.author != null && spec.author.email != null ? spec.author.email : "tarmac@tarmac.dev");
    // Checked before writerUrl creates the repository: an embedded repository that is missing or empty while Works
    // say they were published to it (a new or wiped data volume) gets them back in the new writer's first commit.
    GitWriter current = writers.get(name);
    boolean embeddedStore = spec.url == null || spec.url.isBlank();
    boolean missing = embeddedStore && current == null && !embedded.hasBranch(name, branch);
    GitWriter.Recreation recreation = missing ? recreation(store, branch) : GitWriter.Recreation.NONE;
    // The commit the remote must still hold (status.lastCommit, from before a restart): a force-push or a deleted
    // branch while no writer watched is found at the new writer's first fetch. A missing embedded repository is
    // reported as re-created instead.
    String recorded = missing || store.getStatus() == null ? null : store.getStatus().lastCommit;
    String url = spec.url == null || spec.url.isBlank() ? embedded.writerUrl(name) : spec.url;
    if (current == null) {
      // A process killed while it wrote (kill -9, OOM) leaves its ref locks behind, and every later update of that ref
      // fails as if another writer held it: the store would never be written again. This process is the only writer
      // of its data folder, so a lock older than the process is a dead one.
      removeStaleLocks(spec.url == null || spec.url.isBlank() ? embedded.repository(name)
          : cacheDir.resolve(name + ".git"), PROCESS_START);
    }
    GitWriter.Config config = new GitWriter.Config(name, url, branch, credentials, author);
    var first = new java.util.concurrent.atomic.AtomicBoolean();
    GitWriter made = writers.compute(name, (k, existing) -> {
      if (existing != null && sameTarget(existing.config(), config)) {
        return existing;
      }
      first.set(existing == null);
      var rewritesSeen = new java.util.concurrent.atomic.AtomicLong();
      // A writer replaced for new credentials or author hands on what it last saw (newer than the status); one
      // replaced for another URL or branch has nothing the new remote must contain.
      boolean sameBranch = existing != null && existing.config().url().equals(config.url())
          && existing.config().branch().equals(config.branch());
      String keep = existing == null ? recorded : sameBranch ? existing.state().lastCommit() : null;
      GitWriter fresh = new GitWriter(config, cacheDir, s -> {
        storeListeners.forEach(l -> l.accept(name));
        // The remote dropped commits (history rewritten, branch deleted): Works place themselves again so their
        // status names a commit on the new history (and any Work the writer could not put back is written).
        if (s.historyRewrites() > rewritesSeen.getAndSet(s.historyRewrites())) {
          destinationListeners.forEach(Runnable::run);
        }
      }, timing, existing == null ? recreation : GitWriter.Recreation.NONE, keep);
      if (existing != null) {
        // New URL, branch or credentials (a rotated Secret): the changes the old writer still held are written by
        // the new one, so no Work waits for its next reconcile.
        LOG.info("store {}: replacing its writer ({} changed)", name, existing.config().credentials().fingerprint()
            .equals(config.credentials().fingerprint()) ? "URL, branch or author" : "credentials");
        existing.handOver().thenAccept(fresh::adopt);
      }
      return fresh;
    });
    if (first.get()) {
      // Works reconciled before this writer existed (just after a start) reported the store not ready and wait for
      // an event: a restart changes no store or Destination status, so none would come (the fault suite found
      // requests stuck for minutes after a kill -9 in a burst). They place themselves now.
      destinationListeners.forEach(Runnable::run);
    }
    return made;
  }

  /** When this process started: a lock file older than that was left by a previous process. */
  static final java.time.Instant PROCESS_START = java.time.Instant.ofEpochMilli(
      java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime());

  /**
   * Deletes the lock files ({@code *.lock}: {@code HEAD.lock}, {@code packed-refs.lock}, {@code refs/**}) of the Git
   * directory {@code gitDir} last modified before {@code before}; returns how many. A missing folder has none.
   */
  static int removeStaleLocks(Path gitDir, java.time.Instant before) {
    if (!java.nio.file.Files.isDirectory(gitDir)) {
      return 0;
    }
    int removed = 0;
    try (var files = java.nio.file.Files.walk(gitDir)) {
      for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".lock")
          && !gitDir.relativize(f).startsWith("objects")).toList()) {
        if (java.nio.file.Files.getLastModifiedTime(p).toInstant().isBefore(before)) {
          java.nio.file.Files.deleteIfExists(p);
          LOG.warn("removed {}: a lock left by a process that stopped while it wrote", p);
          removed++;
        }
      }
    } catch (java.io.IOException e) {
      LOG.warn("could not look for stale locks in {}: {}", gitDir, e.toString());
    }
    return removed;
  }

  /** What to re-publish into the missing embedded repository of {@code store}: Works listed from the API server. */
  private GitWriter.Recreation recreation(GitStateStore store, String branch) {
    List<Work> works = client.resources(Work.class).inAnyNamespace().list().getItems();
    var recreation = recreation(store, destinations(), works, limits);
    if (!recreation.works().isEmpty()) {
      LOG.warn("store {}: the embedded repository has no branch {} although the store was written before;"
          + " re-publishing {} Work placement(s) in one commit", store.getMetadata().getName(), branch,
          recreation.works().size());
    }
    return recreation;
  }

  /**
   * The Works to put back into the embedded repository of {@code store} when it is missing or empty. Only a store that
   * had been written is re-created: its {@code status.lastCommit} names a commit, or a Work's status records a
   * placement {@code Written} on one of its Destinations (a new store is simply created). What goes back is what the
   * cluster says belongs there now: every Work (not being deleted, with files that can be laid out) whose selectors
   * match a Destination of this store, as its current {@code spec.files}. Work status is not relied on for that list:
   * a restarted operator may already have marked placements {@code Pending} while the store's writer did not exist.
   *
   * @return {@link GitWriter.Recreation#NONE} when the store was never written or no Work belongs there
   */
  static GitWriter.Recreation recreation(GitStateStore store, List<Destination> destinations, List<Work> works,
      StateStoreLayout.Limits limits) {
    String name = store.getMetadata().getName();
    List<Destination> ours = destinations.stream().filter(d -> d.getSpec() != null && d.getSpec().stateStoreRef != null
        && name.equals(d.getSpec().stateStoreRef.name)).toList();
    java.util.Set<String> ourNames = new java.util.HashSet<>();
    ours.forEach(d -> ourNames.add(d.getMetadata().getName()));
    String lastCommit = store.getStatus() == null ? null : store.getStatus().lastCommit;
    boolean written = lastCommit != null || works.stream().anyMatch(w -> w.getStatus() != null
        && w.getStatus().placements != null && w.getStatus().placements.stream().anyMatch(p -> ourNames.contains(
            p.destination) && ("Written".equals(p.state) || p.commit != null)));
    if (!written) {
      return GitWriter.Recreation.NONE;
    }
    List<GitWriter.Put> puts = new java.util.ArrayList<>();
    for (Work w : works) {
      if (w.isMarkedForDeletion()) {
        continue;
      }
      for (Destination d : WorkScheduler.select(w, ours)) {
        try {
          StateStoreLayout.validate(w, limits);
          puts.add(WorkReconciler.put(w, destinationDir(store, d), StateStoreLayout.ownerDir(w)));
        } catch (RuntimeException e) {
          LOG.warn("store {}: Work {}/{} is not re-published: {}", name, w.getMetadata().getNamespace(),
              w.getMetadata().getName(), e.getMessage());
        }
      }
    }
    if (puts.isEmpty()) {
      return GitWriter.Recreation.NONE;
    }
    return new GitWriter.Recreation(puts, "the embedded repository /git/" + name + ".git was missing or empty (a new"
        + " or wiped data volume)" + (lastCommit == null ? "" : "; it had held commit "
        + lastCommit.substring(0, Math.min(7, lastCommit.length()))));
  }

  private static boolean sameTarget(GitWriter.Config a, GitWriter.Config b) {
    return a.url().equals(b.url()) && a.branch().equals(b.branch())
        // Every credential field, not only its kind: a rotated password or key replaces the writer.
        && a.credentials().fingerprint().equals(b.credentials().fingerprint())
        // PersonIdent.equals compares the time it was made too; only the name and e-mail are configuration.
        && a.author().getName().equals(b.author().getName())
        && a.author().getEmailAddress().equals(b.author().getEmailAddress());
  }

  /** Every writer made so far (one per GitStateStore), for metrics. */
  public java.util.Collection<GitWriter> writers() {
    return java.util.List.copyOf(writers.values());
  }

  /** The writer for the store named {@code name}, if one was made. */
  public Optional<GitWriter> writer(String name) {
    return Optional.ofNullable(writers.get(name));
  }

  /** Stops and forgets the writer of a deleted store. */
  public void remove(String name) {
    GitWriter w = writers.remove(name);
    if (w != null) {
      w.close();
    }
  }

  /** The folder of {@code destination} in its store's repository: store path + destination path. */
  public static String destinationDir(GitStateStore store, Destination destination) {
    String storePath = store.getSpec().path == null ? "" : store.getSpec().path.replaceAll("^/+|/+$", "");
    String destPath = destination.getSpec().path == null || destination.getSpec().path.isBlank()
        ? destination.getMetadata().getName() : destination.getSpec().path.replaceAll("^/+|/+$", "");
    return storePath.isEmpty() ? destPath : storePath + "/" + destPath;
  }

  /** For tests: apply {@code action} to every writer. */
  void forEachWriter(BiConsumer<String, GitWriter> action) {
    writers.forEach(action);
  }

  @Override
  public void close() {
    writers.values().forEach(GitWriter::close);
    if (destinations != null) {
      destinations.close();
    }
    if (stores != null) {
      stores.close();
    }
  }
}
