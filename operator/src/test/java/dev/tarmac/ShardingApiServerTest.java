package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.OperatorProcesses.Operator;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Destination;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.statestore.GitCli;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestPromises;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two named shards ({@code tarmac run --shard a} and {@code --shard b}, each a JVM of its own with leader election)
 * and the default shard (in this JVM, writing the Promise) against one API server, as docs/scaling.md describes:
 * requests labelled half {@code a}, half {@code b}. Each shard reconciles only its own — the API server records the
 * writer of every status as the shard's user agent in {@code managedFields} — all become Ready, every Work carries its
 * request's shard and was written by that shard into that shard's Git repository only, and each repository's
 * history is that one shard's commits, linear.
 *
 * <p>The number of requests is {@code -Dtarmac.sharding.requests} (default 200, about a minute here; the issue's
 * figure, 2,000, by hand); {@code -Dtarmac.sharding.shards=1} labels all of them {@code a}, for the one-shard figure.
 * The rate is printed for docs/scaling.md.
 */
@Tag("apiserver")
class ShardingApiServerTest {

  private static final int REQUESTS = Integer.getInteger("tarmac.sharding.requests", 200);
  private static final int SHARDS = Integer.getInteger("tarmac.sharding.shards", 2);

  @TempDir
  Path tmp;

  private OperatorProcesses operators;
  private TarmacOperator defaultShard;
  private final List<Runnable> cleanup = new ArrayList<>();

  /** One {@code tarmac run --shard NAME --leader-election} process, running as Pod {@code shard-NAME-0}. */
  private Operator shard(String name) throws IOException {
    return operators.start("shard-" + name + "-0", List.of("-XX:+UseSerialGC", "-Xmx384m"), "--shard", name,
        "--reconcile-threads", "8");
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      try {
        cleanup.get(i).run();
      } catch (RuntimeException e) {
        System.err.println("cleanup: " + e.getMessage());
      }
    }
    if (operators != null) {
      operators.close();
    }
    if (defaultShard != null) {
      defaultShard.close();
    }
  }

  @Test
  void eachShardReconcilesAndWritesOnlyItsOwnRequestsWorksAndStore() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String ns = TestCluster.get().newNamespace("sharding");
    operators = new OperatorProcesses(tmp, TestCluster.get().kubeconfig(), ns);
    // The Pods the shards run as (no kubelet: they stay Pending; only their names and labels matter).
    client.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata()
        .withName("default").endMetadata().build()).create();
    for (String name : List.of("a", "b")) {
      client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("shard-" + name + "-0")
          .endMetadata().withNewSpec().withAutomountServiceAccountToken(false).addNewContainer().withName("tarmac")
          .withImage("tarmac:test").endContainer().endSpec().build()).create();
    }

    // One Git repository, GitStateStore and Destination per shard, labelled with the shard; both Destinations match
    // the Promise's selector, so only the shard label decides where a request's Work goes.
    Map<String, Path> repos = new TreeMap<>();
    for (String name : List.of("a", "b")) {
      Path repo = GitCli.bareRepo(tmp, "remote-" + name);
      repos.put(name, repo);
      GitStateStore store = new GitStateStore();
      store.setMetadata(new ObjectMetaBuilder().withName(ns + "-" + name).withLabels(Map.of(Labels.SHARD, name))
          .build());
      store.setSpec(new GitStateStore.Spec());
      store.getSpec().url = repo.toUri().toString();
      client.resource(store).create();
      Destination dest = new Destination();
      dest.setMetadata(new ObjectMetaBuilder().withName(ns + "-" + name).withLabels(Map.of("suite", ns,
          Labels.SHARD, name)).build());
      dest.setSpec(new Destination.Spec());
      dest.getSpec().stateStoreRef = new Destination.StateStoreRef();
      dest.getSpec().stateStoreRef.name = ns + "-" + name;
      client.resource(dest).create();
      cleanup.add(() -> {
        client.resources(Destination.class).withName(ns + "-" + name).delete();
        client.resources(GitStateStore.class).withName(ns + "-" + name).delete();
      });
    }

    // The default shard, in this JVM: it alone writes the Promise (and reconciles no labelled request).
    defaultShard = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, ns, "default-shard",
        tmp.resolve("default-data"), false, 4, false, "tarmac:test")).start();
    Operator a = shard("a");
    Operator b = shard("b");
    // JVM start and informers listing are slow on a loaded machine.
    a.awaitReady("leader", Duration.ofSeconds(300));
    b.awaitReady("leader", Duration.ofSeconds(300));

    String group = ns + ".example.dev";
    String promise = "cache-" + ns;
    client.resource(Serialization.YAML.treeToValue(Serialization.YAML.readTree(
        TestPromises.templatePromise(promise, group, "Cache", "suite", ns)), Promise.class)).create();
    cleanup.add(() -> {
      client.resources(Promise.class).withName(promise).delete();
      await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Promise.class).withName(promise).get()
          == null);
    });
    await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Promise.class).withName(promise).get(),
        p -> p.getStatus() != null && Conditions.isTrue(p.getStatus(), Conditions.AVAILABLE));
    // Both stores Ready: written by their own shard's GitStateStore controller.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String name : List.of("a", "b")) {
        var store = client.resources(GitStateStore.class).withName(ns + "-" + name).get();
        assertThat(store.getStatus()).isNotNull();
        assertThat(Conditions.isTrue(store.getStatus(), Conditions.READY)).as("store %s Ready", name).isTrue();
      }
    });

    // Requests, half a and half b (all a with -Dtarmac.sharding.shards=1), created by 8 threads.
    var requests = client.genericKubernetesResources(group + "/v1", "Cache").inNamespace(ns);
    Map<String, String> shardOf = new TreeMap<>();
    for (int i = 0; i < REQUESTS; i++) {
      shardOf.put(String.format("c%05d", i), SHARDS == 1 || i % 2 == 0 ? "a" : "b");
    }
    long start = System.nanoTime();
    ExecutorService creators = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> created = new ArrayList<>();
      shardOf.forEach((name, shard) -> created.add(creators.submit(() -> {
        try {
          requests.resource(request(group, ns, name, shard)).create();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
          // fabric8 retries a POST whose answer it lost (a timeout under load); the first one created it.
          if (e.getCode() != 409) {
            throw e;
          }
        }
        return null;
      })));
      for (Future<?> f : created) {
        f.get();
      }
    } finally {
      creators.shutdown();
    }
    double createdAfter = (System.nanoTime() - start) / 1e9;
    Duration bound = Duration.ofSeconds(120 + REQUESTS / 4);
    try {
      await().atMost(bound).pollInterval(Duration.ofSeconds(1)).until(() -> requests.list().getItems().stream()
          .filter(r -> "True".equals(condition(r, "Ready"))).count() == REQUESTS);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      Map<String, Long> notReady = requests.list().getItems().stream().filter(r -> !"True".equals(condition(r,
          "Ready"))).collect(Collectors.groupingBy(r -> shardOf.get(r.getMetadata().getName()) + ": "
          + Serialization.JSON.valueToTree(r).path("status").path("conditions").toString(), TreeMap::new,
          Collectors.counting()));
      throw new AssertionError("not all " + REQUESTS + " requests Ready within " + bound + "; not Ready, by shard and"
          + " conditions: " + notReady + "\nshard a:\n" + a.tail() + "\nshard b:\n" + b.tail(), e);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long onA = shardOf.values().stream().filter("a"::equals).count();
    long onB = REQUESTS - onA;
    System.out.printf("sharding: %d requests (a: %d, b: %d) created in %.1f s, all Ready after %.1f s: %.1f"
        + " requests/s in all, %.1f/s on shard a, %.1f/s on shard b%n", REQUESTS, onA, onB, createdAfter, seconds,
        REQUESTS / seconds, onA / seconds, onB / seconds);

    // Each request's status was written by its own shard only (the API server names the writer after the user
    // agent), never by the other shard; the default shard reconciled none of them.
    for (GenericKubernetesResource r : requests.list().getItems()) {
      String own = shardOf.get(r.getMetadata().getName());
      Set<String> writers = managers(r.getMetadata().getManagedFields());
      assertThat(writers).as("writers of request %s (shard %s)", r.getMetadata().getName(), own)
          .contains("tarmac-shard-" + own).doesNotContain("tarmac-shard-" + other(own));
    }
    assertThat(defaultShard.requestReconciles(promise)).as("the default shard ignores labelled requests").isZero();
    assertThat(a.metric("tarmac_request_reconciles_total")).isGreaterThanOrEqualTo(onA);
    assertThat(b.metric("tarmac_request_reconciles_total")).isGreaterThanOrEqualTo(onB);
    if (onB == 0) {
      assertThat(b.metric("tarmac_request_reconciles_total")).isZero();
    }

    // Every Work: its request's shard label, status written by that shard, placed on that shard's Destination only.
    List<Work> works = client.resources(Work.class).inNamespace(ns).list().getItems();
    assertThat(works).hasSize(REQUESTS);
    for (Work w : works) {
      String own = shardOf.get(w.getSpec().owner.name);
      assertThat(w.getMetadata().getLabels()).containsEntry(Labels.SHARD, own);
      assertThat(managers(w.getMetadata().getManagedFields())).as("writers of Work %s", w.getMetadata().getName())
          .contains("tarmac-shard-" + own).doesNotContain("tarmac-shard-" + other(own));
      assertThat(w.getStatus().placements).extracting(p -> p.destination).containsExactly(ns + "-" + own);
      assertThat(Conditions.isTrue(w.getStatus(), Conditions.PUBLISHED)).isTrue();
    }
    // The Promise is the default shard's alone.
    assertThat(managers(client.resources(Promise.class).withName(promise).get().getMetadata().getManagedFields()))
        .noneMatch(m -> m.startsWith("tarmac-shard-"));

    // Git: each repository holds exactly its shard's requests, in a linear history of that shard's commits only (the
    // count matches the shard's own commit counter, and the other shard never even cloned it).
    for (String name : List.of("a", "b")) {
      Operator shard = name.equals("a") ? a : b;
      Operator otherShard = name.equals("a") ? b : a;
      Path repo = repos.get(name);
      long expected = shardOf.values().stream().filter(name::equals).count();
      long commits = expected == 0 ? 0 : Long.parseLong(GitCli.git(repo, "rev-list", "--count", "main").strip());
      String files = expected == 0 ? "" : GitCli.git(repo, "ls-tree", "-r", "--name-only", "main");
      Set<String> requestDirs = files.lines().filter(f -> f.contains("/resources/" + ns + "/Cache/"))
          .map(f -> f.substring(f.indexOf("/Cache/") + 7, f.lastIndexOf('/'))).collect(Collectors.toSet());
      assertThat(requestDirs).as("requests in repository %s", name).hasSize((int) expected)
          .allMatch(r -> name.equals(shardOf.get(r)));
      if (expected > 0) {
        assertThat(GitCli.git(repo, "rev-list", "--merges", "--count", "main").strip()).as("merges in %s", name)
            .isEqualTo("0");
      }
      assertThat(commits).as("commits in %s = commits shard %s made", name, name)
          .isEqualTo((long) shard.metric("tarmac_git_commits_total"));
      assertThat(otherShard.data.resolve("cache").resolve(ns + "-" + name + ".git")).as("a clone of store %s by"
          + " shard %s", name, otherShard.pod).doesNotExist();
      System.out.printf("sharding: repository %s: %d commits for %d requests%n", name, commits, expected);
    }

    // One Lease per shard, each held by its own Pod.
    assertThat(client.leases().inNamespace(ns).withName("tarmac-a").get().getSpec().getHolderIdentity())
        .isEqualTo(a.pod);
    assertThat(client.leases().inNamespace(ns).withName("tarmac-b").get().getSpec().getHolderIdentity())
        .isEqualTo(b.pod);
  }

  private static String other(String shard) {
    return shard.equals("a") ? "b" : "a";
  }

  private static Set<String> managers(List<ManagedFieldsEntry> entries) {
    return entries == null ? Set.of() : entries.stream().map(ManagedFieldsEntry::getManager)
        .collect(Collectors.toSet());
  }

  private static GenericKubernetesResource request(String group, String ns, String name, String shard) {
    try {
      return Serialization.YAML.treeToValue(Serialization.YAML.readTree("""
          apiVersion: %s/v1
          kind: Cache
          metadata: {name: %s, namespace: %s, labels: {%s: %s}}
          spec: {size: large}
          """.formatted(group, name, ns, Labels.SHARD, shard)), GenericKubernetesResource.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String condition(GenericKubernetesResource r, String type) {
    for (JsonNode c : Serialization.JSON.valueToTree(r).path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path("status").asText();
      }
    }
    return null;
  }
}
