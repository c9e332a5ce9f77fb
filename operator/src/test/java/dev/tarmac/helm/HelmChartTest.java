package dev.tarmac.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.tarmac.Main;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import picocli.CommandLine;

/**
 * The Helm chart rendered by Helm's own library (helm-java, no helm binary, no cluster): lint, defaults, non-default
 * values, what values.schema.json refuses, least-privilege RBAC, the restricted pod security profile, and the places
 * that must agree with the rest of the repository (CRDs, versions, the image Jib builds, the default Scorecard).
 */
class HelmChartTest {

  private static List<JsonNode> render(UnaryOperator<TemplateCommand> values) throws IOException {
    String manifests = values.apply(new Helm(Chart.DIR).template().withName("tarmac").withNamespace("tarmac-system"))
        .call();
    return Chart.documents(manifests);
  }

  private static JsonNode deployment(List<JsonNode> docs) {
    return Chart.find(docs, "Deployment", "tarmac").orElseThrow();
  }

  private static JsonNode container(List<JsonNode> docs) {
    return deployment(docs).path("spec").path("template").path("spec").path("containers").get(0);
  }

  private static String env(List<JsonNode> docs, String name) {
    for (JsonNode e : container(docs).path("env")) {
      if (name.equals(e.path("name").asText())) {
        return e.path("value").asText();
      }
    }
    return null;
  }

  private static List<String> args(List<JsonNode> docs) {
    List<String> args = new ArrayList<>();
    container(docs).path("args").forEach(a -> args.add(a.asText()));
    return args;
  }

  @Test
  void lintsCleanInStrictMode() {
    LintResult result = new Helm(Chart.DIR).lint().strict().call();
    assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
  }

  @Test
  void defaultsRenderOneRestrictedOperatorWithoutLeaderElection() throws IOException {
    List<JsonNode> docs = render(t -> t);
    JsonNode pod = deployment(docs).path("spec").path("template").path("spec");
    JsonNode c = container(docs);

    assertThat(deployment(docs).path("spec").path("replicas").asInt()).isEqualTo(1);
    assertThat(deployment(docs).path("spec").path("strategy").path("type").asText()).isEqualTo("Recreate");
    assertThat(args(docs)).containsExactly("run", "--leader-election=false", "--default-state-store=true",
        "--reconcile-threads=16");
    assertThat(c.path("image").asText()).isEqualTo("ghcr.io/tarmac-dev/tarmac:0.1.0");
    assertThat(env(docs, "TARMAC_LOG_FORMAT")).isEqualTo("text");
    assertThat(env(docs, "TARMAC_GIT_BASE_URL")).isEqualTo("http://tarmac-git.tarmac-system.svc:8080/git");
    assertThat(env(docs, "TARMAC_PIPELINE_IMAGE")).isEqualTo(c.path("image").asText());

    // The restricted Pod Security profile, field by field.
    assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.path("securityContext").path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
    JsonNode sc = c.path("securityContext");
    assertThat(sc.path("allowPrivilegeEscalation").isBoolean()).isTrue();
    assertThat(sc.path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(sc.path("capabilities").path("drop").toString()).isEqualTo("[\"ALL\"]");
    assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/readyz");
    assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/healthz");
    assertThat(c.path("resources").path("limits").path("memory").asText()).isEqualTo("1Gi");
    // The repositories are persisted by default, on a claim `helm uninstall` keeps.
    JsonNode claim = Chart.find(docs, "PersistentVolumeClaim", "tarmac-data").orElseThrow();
    assertThat(claim.path("spec").path("accessModes").toString()).isEqualTo("[\"ReadWriteOnce\"]");
    assertThat(claim.path("spec").path("resources").path("requests").path("storage").asText()).isEqualTo("5Gi");
    assertThat(claim.path("spec").has("storageClassName")).as("the cluster's default StorageClass").isFalse();
    assertThat(claim.path("metadata").path("annotations").path("helm.sh/resource-policy").asText()).isEqualTo("keep");
    assertThat(pod.path("volumes").toString()).contains("\"claimName\":\"tarmac-data\"")
        .doesNotContain("\"name\":\"data\",\"emptyDir\"");
    assertThat(pod.has("affinity")).as("one replica needs no co-location").isFalse();

    assertThat(Chart.find(docs, "Service", "tarmac")).isPresent();
    assertThat(Chart.find(docs, "ServiceMonitor", "")).isEmpty();
    assertThat(Chart.find(docs, "PodDisruptionBudget", "")).isEmpty();
    assertThat(Chart.find(docs, "Scorecard", "service-maturity")).isPresent();
    assertThat(Chart.find(docs, "GitStateStore", "")).as("no external store unless git.defaultStore.url").isEmpty();
  }

  @Test
  void nonDefaultValuesTurnOnLeaderElectionServiceMonitorJsonLogsAndNarrowSecrets() throws IOException {
    List<JsonNode> docs = render(t -> t.set("replicas", 2).set("serviceMonitor.enabled", true)
        .set("log.format", "json").set("podDisruptionBudget.enabled", true).set("persistence.enabled", true)
        .set("rbac.secretNamespaces[0]", "payments").set("git.defaultStore.url", "https://git.example.com/p.git")
        .set("git.defaultStore.secretName", "git-credentials"));

    assertThat(deployment(docs).path("spec").path("replicas").asInt()).isEqualTo(2);
    assertThat(deployment(docs).path("spec").has("strategy")).as("rolling update with leader election").isFalse();
    assertThat(args(docs)).contains("--leader-election=true");
    assertThat(env(docs, "TARMAC_LOG_FORMAT")).isEqualTo("json");
    assertThat(Chart.find(docs, "ServiceMonitor", "tarmac").orElseThrow().path("spec").path("endpoints").get(0)
        .path("path").asText()).isEqualTo("/metrics");
    assertThat(Chart.find(docs, "PodDisruptionBudget", "tarmac")).isPresent();
    assertThat(Chart.find(docs, "PersistentVolumeClaim", "tarmac-data")).isPresent();
    assertThat(deployment(docs).path("spec").path("template").path("spec").path("volumes").toString())
        .contains("\"claimName\":\"tarmac-data\"");

    // Secrets: no longer cluster-wide, but a Role in payments and in the operator's own namespace.
    assertThat(rules(docs, "ClusterRole", "tarmac")).noneMatch(r -> r.path("resources").toString().contains(
        "\"secrets\""));
    JsonNode payments = docs.stream().filter(d -> "Role".equals(d.path("kind").asText())
        && "payments".equals(d.path("metadata").path("namespace").asText())).findFirst().orElseThrow();
    assertThat(payments.path("rules").toString()).contains("\"secrets\"");
    assertThat(rules(docs, "Role", "tarmac")).anyMatch(r -> r.path("resources").toString().contains("\"secrets\""));
    assertThat(Chart.find(docs, "ClusterRole", "tarmac-connection-secrets")).as("no bindings in narrowed mode")
        .isEmpty();
    assertThat(rules(docs, "ClusterRole", "tarmac")).noneMatch(r -> r.path("verbs").toString().contains("bind"));
    assertThat(env(docs, "TARMAC_SECRET_NAMESPACES")).isEqualTo("payments");

    JsonNode store = Chart.find(docs, "GitStateStore", "default-git").orElseThrow();
    assertThat(store.path("spec").path("url").asText()).isEqualTo("https://git.example.com/p.git");
    assertThat(store.path("spec").path("secretRef").path("namespace").asText()).isEqualTo("tarmac-system");
    assertThat(Chart.find(docs, "Destination", "default-git").orElseThrow().path("metadata").path("labels")
        .path("environment").asText()).isEqualTo("dev");
  }

  /** True when Service {@code service}'s selector matches a Pod with {@code podLabels} (Kubernetes' rule). */
  private static boolean selects(JsonNode service, Map<String, String> podLabels) {
    JsonNode selector = service.path("spec").path("selector");
    assertThat(selector.size()).as("Service %s selects something", service.path("metadata").path("name"))
        .isPositive();
    List<String> keys = new ArrayList<>();
    selector.fieldNames().forEachRemaining(keys::add);
    return keys.stream().allMatch(k -> selector.path(k).asText().equals(podLabels.get(k)));
  }

  private static Map<String, String> podLabels(List<JsonNode> docs) {
    Map<String, String> labels = new TreeMap<>();
    deployment(docs).path("spec").path("template").path("metadata").path("labels").fields()
        .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    return labels;
  }

  private static String fieldRef(List<JsonNode> docs, String name) {
    for (JsonNode e : container(docs).path("env")) {
      if (name.equals(e.path("name").asText())) {
        return e.path("valueFrom").path("fieldRef").path("fieldPath").asText();
      }
    }
    return null;
  }

  @Test
  void replicasRouteGitToTheLeaderOnlyAndTheCatalogToEveryReplica() throws IOException {
    List<JsonNode> docs = render(t -> t.set("replicas", 2).set("serviceMonitor.enabled", true));
    JsonNode main = Chart.find(docs, "Service", "tarmac").orElseThrow();
    JsonNode git = Chart.find(docs, "Service", "tarmac-git").orElseThrow();
    Map<String, String> standby = podLabels(docs);
    Map<String, String> leader = new TreeMap<>(standby);
    leader.put(dev.tarmac.LeaderLabel.LABEL, "true");

    // Catalog, metrics: every replica. /git: the Pod the leader labelled, and no other.
    assertThat(selects(main, standby)).as("main Service selects a standby").isTrue();
    assertThat(selects(main, leader)).as("main Service selects the leader").isTrue();
    assertThat(selects(git, leader)).as("git Service selects the leader").isTrue();
    assertThat(selects(git, standby)).as("git Service must not select a standby").isFalse();
    assertThat(git.path("spec").path("ports").get(0).path("targetPort").asText()).isEqualTo("http");
    assertThat(env(docs, "TARMAC_GIT_BASE_URL")).isEqualTo("http://tarmac-git.tarmac-system.svc:8080/git");

    // The leader can label its own Pod: its name and namespace from the downward API, get/list/patch on pods in its
    // namespace only (a Role, not the ClusterRole).
    assertThat(fieldRef(docs, "POD_NAME")).isEqualTo("metadata.name");
    assertThat(fieldRef(docs, "POD_NAMESPACE")).isEqualTo("metadata.namespace");
    assertThat(rules(docs, "Role", "tarmac")).anyMatch(r -> r.path("resources").toString().equals("[\"pods\"]")
        && r.path("verbs").toString().equals("[\"get\",\"list\",\"patch\"]"));
    assertThat(rules(docs, "ClusterRole", "tarmac")).noneMatch(r -> r.path("resources").toString()
        .contains("\"pods\"") && r.path("verbs").toString().contains("patch"));

    // Lease timings: the documented defaults, passed as flags the CLI accepts and that make valid timings.
    assertThat(args(docs)).contains("--lease-duration=8s", "--lease-renew-deadline=5s", "--lease-retry-period=1s");
    CommandLine cli = new CommandLine(new Main());
    cli.parseArgs(args(docs).toArray(String[]::new));
    var run = cli.getSubcommands().get("run").getCommandSpec();
    var timings = new dev.tarmac.LeaseTimings(run.findOption("--lease-duration").getValue(),
        run.findOption("--lease-renew-deadline").getValue(), run.findOption("--lease-retry-period").getValue());
    assertThat(timings).isEqualTo(dev.tarmac.LeaseTimings.DEFAULT);

    // Prometheus scrapes every replica once: through the main Service, not the Git Service as well.
    JsonNode monitor = Chart.find(docs, "ServiceMonitor", "tarmac").orElseThrow().path("spec").path("selector");
    assertThat(monitor.path("matchExpressions").toString()).contains("app.kubernetes.io/component")
        .contains("NotIn").contains("git");
    assertThat(git.path("metadata").path("labels").path("app.kubernetes.io/component").asText()).isEqualTo("git");
    assertThat(main.path("metadata").path("labels").has("app.kubernetes.io/component")).isFalse();

    // Other timings reach the flags.
    List<JsonNode> slow = render(t -> t.set("replicas", 3).set("leaderElection.leaseDuration", "15s")
        .set("leaderElection.renewDeadline", "10s").set("leaderElection.retryPeriod", "2s"));
    assertThat(args(slow)).contains("--lease-duration=15s", "--lease-renew-deadline=10s", "--lease-retry-period=2s");
  }

  @Test
  void oneReplicaWithoutLeaderElectionServesGitThroughTheGitServiceWithoutPodRights() throws IOException {
    List<JsonNode> docs = render(t -> t);
    Map<String, String> pod = podLabels(docs);
    assertThat(selects(Chart.find(docs, "Service", "tarmac").orElseThrow(), pod)).isTrue();
    // No leader election, so nobody labels a Pod: the Git Service selects the one replica as it is.
    assertThat(selects(Chart.find(docs, "Service", "tarmac-git").orElseThrow(), pod)).isTrue();
    assertThat(rules(docs, "Role", "tarmac")).noneMatch(r -> r.path("resources").toString().contains("pods"));
    assertThat(args(docs)).noneMatch(a -> a.startsWith("--lease-"));
  }

  @Test
  void persistenceCanBeTurnedOffAndFollowsTheReplicasAndAccessMode() throws IOException {
    // Opt-out: an emptyDir, no claim, and NOTES say what that costs.
    List<JsonNode> off = render(t -> t.set("persistence.enabled", false));
    assertThat(Chart.find(off, "PersistentVolumeClaim", "")).isEmpty();
    assertThat(deployment(off).path("spec").path("template").path("spec").path("volumes").toString())
        .contains("{\"name\":\"data\",\"emptyDir\":{}}");
    assertThat(deployment(off).path("spec").path("strategy").path("type").asText()).isEqualTo("Recreate");

    // Size and StorageClass reach the claim.
    JsonNode claim = Chart.find(render(t -> t.set("persistence.size", "20Gi").set("persistence.storageClass", "fast")),
        "PersistentVolumeClaim", "tarmac-data").orElseThrow();
    assertThat(claim.path("spec").path("resources").path("requests").path("storage").asText()).isEqualTo("20Gi");
    assertThat(claim.path("spec").path("storageClassName").asText()).isEqualTo("fast");

    // One replica with leader election on still replaces the pod (Recreate): an RWO volume cannot move while held.
    assertThat(deployment(render(t -> t.set("leaderElection.enabled", true))).path("spec").path("strategy")
        .path("type").asText()).isEqualTo("Recreate");

    // Two replicas on one ReadWriteOnce claim: both must run on the node that mounts it.
    JsonNode rwo = deployment(render(t -> t.set("replicas", 2).set("affinity.nodeAffinity.x", "y")))
        .path("spec").path("template").path("spec").path("affinity");
    JsonNode term = rwo.path("podAffinity").path("requiredDuringSchedulingIgnoredDuringExecution").get(0);
    assertThat(term.path("topologyKey").asText()).isEqualTo("kubernetes.io/hostname");
    assertThat(term.path("labelSelector").path("matchLabels").path("app.kubernetes.io/name").asText())
        .isEqualTo("tarmac");
    assertThat(rwo.path("nodeAffinity").path("x").asText()).as("the user's affinity is kept").isEqualTo("y");

    // ReadWriteMany: replicas may spread over nodes, no co-location.
    JsonNode rwx = deployment(render(t -> t.set("replicas", 2).set("persistence.accessModes[0]", "ReadWriteMany")))
        .path("spec").path("template").path("spec");
    assertThat(rwx.has("affinity")).isFalse();
  }

  @Test
  void shardsAddOneDeploymentAndServiceEachWithTheSameServiceAccountAndSelectorsThatDoNotOverlap() throws IOException {
    List<JsonNode> none = render(t -> t);
    assertThat(none).noneMatch(d -> d.path("metadata").path("name").asText().contains("-shard-"));

    List<JsonNode> docs = render(t -> t.set("shards[0].name", "team-a").set("shards[1].name", "team-b")
        .set("shards[1].replicas", 2).set("crossplane.enabled", true));
    JsonNode a = Chart.find(docs, "Deployment", "tarmac-shard-team-a").orElseThrow();
    JsonNode b = Chart.find(docs, "Deployment", "tarmac-shard-team-b").orElseThrow();
    assertThat(a.path("spec").path("replicas").asInt()).isEqualTo(1);
    assertThat(b.path("spec").path("replicas").asInt()).isEqualTo(2);
    JsonNode podA = a.path("spec").path("template").path("spec");
    assertThat(podA.path("serviceAccountName").asText())
        .isEqualTo(deployment(docs).path("spec").path("template").path("spec").path("serviceAccountName").asText());
    List<String> argsA = new ArrayList<>();
    podA.path("containers").get(0).path("args").forEach(x -> argsA.add(x.asText()));
    assertThat(argsA).contains("--shard=team-a", "--leader-election=false")
        .noneMatch(x -> x.startsWith("--default-state-store"));
    List<String> argsB = new ArrayList<>();
    b.path("spec").path("template").path("spec").path("containers").get(0).path("args")
        .forEach(x -> argsB.add(x.asText()));
    assertThat(argsB).as("two replicas of a shard elect a leader").contains("--shard=team-b", "--leader-election=true");
    assertThat(args(docs)).as("the main Deployment is the default shard").noneMatch(x -> x.startsWith("--shard"));
    // The flags parse as tarmac run's.
    CommandLine cli = new CommandLine(new Main());
    cli.parseArgs(argsA.toArray(String[]::new));
    assertThat((String) cli.getSubcommands().get("run").getCommandSpec().findOption("--shard").getValue())
        .isEqualTo("team-a");
    // Crossplane's XRD controller runs on the default shard only (tarmac run --shard refuses --crossplane).
    assertThat(podA.path("containers").get(0).path("env").toString()).doesNotContain("TARMAC_CROSSPLANE")
        .contains("http://tarmac-shard-team-a.tarmac-system.svc:8080/git");
    assertThat(env(docs, "TARMAC_CROSSPLANE")).isEqualTo("true");

    // Neither Deployment selects the other's Pods, nor does the main Service; each shard's Service selects its own.
    Map<String, String> shardPod = new TreeMap<>();
    a.path("spec").path("template").path("metadata").path("labels").fields()
        .forEachRemaining(e -> shardPod.put(e.getKey(), e.getValue().asText()));
    Map<String, String> mainPod = podLabels(docs);
    assertThat(matches(deployment(docs).path("spec").path("selector").path("matchLabels"), shardPod)).isFalse();
    assertThat(matches(a.path("spec").path("selector").path("matchLabels"), mainPod)).isFalse();
    assertThat(matches(b.path("spec").path("selector").path("matchLabels"), shardPod)).isFalse();
    assertThat(selects(Chart.find(docs, "Service", "tarmac").orElseThrow(), shardPod)).isFalse();
    assertThat(selects(Chart.find(docs, "Service", "tarmac-git").orElseThrow(), shardPod)).isFalse();
    assertThat(selects(Chart.find(docs, "Service", "tarmac-shard-team-a").orElseThrow(), shardPod)).isTrue();
    assertThat(selects(Chart.find(docs, "Service", "tarmac-shard-team-a").orElseThrow(), mainPod)).isFalse();

    assertThat(rules(docs, "Role", "tarmac")).as("shard team-b's leader labels its Pod for its Service")
        .anyMatch(r -> r.path("resources").toString().equals("[\"pods\"]"));
    assertThat(rules(render(t -> t.set("shards[0].name", "a")), "Role", "tarmac"))
        .noneMatch(r -> r.path("resources").toString().contains("pods"));
    assertThatThrownBy(() -> render(t -> t.set("shards[0].name", "default")))
        .as("the default shard is the main Deployment").hasMessageContaining("shards");
    assertThatThrownBy(() -> render(t -> t.set("shards[0].name", "Team_A"))).hasMessageContaining("shards");
  }

  private static boolean matches(JsonNode matchLabels, Map<String, String> labels) {
    List<String> keys = new ArrayList<>();
    matchLabels.fieldNames().forEachRemaining(keys::add);
    return !keys.isEmpty() && keys.stream().allMatch(k -> matchLabels.path(k).asText().equals(labels.get(k)));
  }

  @Test
  void schemaRefusesBadValuesNamingTheKey() {
    assertThatThrownBy(() -> render(t -> t.set("leaderElection.leaseDuration", "8")))
        .as("a duration needs its unit").hasMessageContaining("leaseDuration");
    assertThatThrownBy(() -> render(t -> t.set("replicas", -1)))
        .hasMessageContaining("/replicas").hasMessageContaining("minimum");
    assertThatThrownBy(() -> render(t -> t.set("log.format", "xml")))
        .hasMessageContaining("/log/format").hasMessageContaining("text");
    assertThatThrownBy(() -> render(t -> t.set("promiseApis[0].group", "example.com")
        .set("promiseApis[0].resources[0]", "*")))
        .as("no wildcard resources").hasMessageContaining("promiseApis");
    assertThatThrownBy(() -> render(t -> t.set("replica", 2)))
        .as("a misspelt key is an error, not ignored").hasMessageContaining("replica");
  }

  private static List<JsonNode> rules(List<JsonNode> docs, String kind, String name) {
    List<JsonNode> rules = new ArrayList<>();
    docs.stream().filter(d -> kind.equals(d.path("kind").asText()) && name.equals(d.path("metadata").path("name")
        .asText())).forEach(d -> d.path("rules").forEach(rules::add));
    return rules;
  }

  @Test
  void pipelinePermissionsAreHeldByTheOperatorOnlyWhenListedAndNeverAsWildcards() throws IOException {
    List<JsonNode> none = render(t -> t);
    assertThat(Chart.find(none, "ClusterRole", "tarmac-pipeline-grants")).isEmpty();
    assertThat(rules(none, "ClusterRole", "tarmac")).noneMatch(r -> r.path("resources").toString()
        .contains("clusterrolebindings"));
    List<JsonNode> some = render(t -> t.set("pipelinePermissions.rules[0].apiGroups[0]", "")
        .set("pipelinePermissions.rules[0].resources[0]", "secrets")
        .set("pipelinePermissions.rules[0].verbs[0]", "get"));
    assertThat(rules(some, "ClusterRole", "tarmac-pipeline-grants")).singleElement().satisfies(r -> {
      assertThat(r.path("resources").toString()).isEqualTo("[\"secrets\"]");
      assertThat(r.path("verbs").toString()).isEqualTo("[\"get\"]");
    });
    JsonNode binding = Chart.find(some, "ClusterRoleBinding", "tarmac-pipeline-grants").orElseThrow();
    assertThat(binding.path("subjects").get(0).path("name").asText()).isEqualTo("tarmac");
    assertThat(rules(some, "ClusterRole", "tarmac")).anyMatch(r -> r.path("resources").toString()
        .equals("[\"clusterroles\",\"clusterrolebindings\"]") && !r.path("verbs").toString().contains("bind")
        && !r.path("verbs").toString().contains("escalate"));
    assertThatThrownBy(() -> render(t -> t.set("pipelinePermissions.rules[0].apiGroups[0]", "")
        .set("pipelinePermissions.rules[0].resources[0]", "secrets")
        .set("pipelinePermissions.rules[0].verbs[0]", "*")));
    assertThatThrownBy(() -> render(t -> t.set("pipelinePermissions.rules[0].apiGroups[0]", "")
        .set("pipelinePermissions.rules[0].resources[0]", "*")
        .set("pipelinePermissions.rules[0].verbs[0]", "get")));
  }

  @Test
  void rbacNamesEveryVerbAndResourceAndGrantsNoEscalation() throws IOException {
    List<JsonNode> docs = render(t -> t);
    List<JsonNode> all = new ArrayList<>();
    for (JsonNode d : docs) {
      if (d.path("kind").asText().endsWith("Role")) {
        d.path("rules").forEach(all::add);
      }
    }
    assertThat(all).hasSizeGreaterThan(10);
    for (JsonNode rule : all) {
      assertThat(rule.path("verbs").toString()).as("rule %s", rule).doesNotContain("\"*\"")
          .doesNotContain("escalate").doesNotContain("impersonate");
      if (rule.path("verbs").toString().contains("bind")) {
        // One exception: bind on the connection-secrets ClusterRole alone, so the operator can grant itself
        // Secrets in a claim's namespace and nowhere else.
        assertThat(rule.path("verbs").toString()).isEqualTo("[\"bind\"]");
        assertThat(rule.path("resources").toString()).isEqualTo("[\"clusterroles\"]");
        assertThat(rule.path("resourceNames").toString()).isEqualTo("[\"tarmac-connection-secrets\"]");
      }
      assertThat(rule.path("resources").toString()).as("rule %s", rule).doesNotContain("*");
      assertThat(rule.path("apiGroups").toString()).as("rule %s", rule).doesNotContain("*");
    }
    // Deployments and StatefulSets are only read (DORA metrics and cost attribution, in one rule checked below); no
    // ControllerRevisions are needed.
    assertThat(all).filteredOn(r -> r.path("apiGroups").toString().contains("\"apps\"")).noneMatch(r -> r
        .path("resources").toString().contains("revisions"));
    // Namespaces are only read; RBAC objects only in namespaces (pipeline Roles), never cluster-wide.
    assertThat(all).filteredOn(r -> r.path("resources").toString().contains("\"namespaces\""))
        .allMatch(r -> r.path("verbs").toString().equals("[\"get\",\"list\",\"watch\"]"));
    assertThat(all).filteredOn(r -> r.path("resources").toString().contains("clusterrole"))
        .allMatch(r -> r.path("verbs").toString().equals("[\"bind\"]"));
    // Secrets: none in the bound ClusterRole; the connection-secrets ClusterRole is bound by nobody in the chart.
    assertThat(rules(docs, "ClusterRole", "tarmac")).noneMatch(r -> r.path("resources").toString()
        .contains("\"secrets\""));
    assertThat(docs).filteredOn(d -> d.path("kind").asText().endsWith("Binding"))
        .noneMatch(d -> d.path("roleRef").path("name").asText().equals("tarmac-connection-secrets"));
    assertThat(rules(docs, "ClusterRole", "tarmac-connection-secrets")).singleElement().satisfies(r -> {
      assertThat(r.path("resources").toString()).isEqualTo("[\"secrets\"]");
      assertThat(r.path("verbs").toString()).doesNotContain("list").doesNotContain("watch");
    });
    assertThat(env(docs, "TARMAC_CONNECTION_SECRET_CLUSTER_ROLE")).isEqualTo("tarmac-connection-secrets");
    // CRDs: anything beyond read and create only by name: Tarmac's own and those of the promiseApis.
    List<JsonNode> crdRules = rules(docs, "ClusterRole", "tarmac").stream()
        .filter(r -> r.path("resources").toString().contains("customresourcedefinitions")).toList();
    assertThat(crdRules).allMatch(r -> r.has("resourceNames")
        || r.path("verbs").toString().equals("[\"get\",\"list\",\"watch\",\"create\"]"));
    assertThat(crdRules).filteredOn(r -> r.path("verbs").toString().contains("delete")).singleElement()
        .satisfies(r -> assertThat(r.path("resourceNames").toString()).contains("\"redis.marketplace.tarmac.dev\"")
            .contains("\"postgresqls.marketplace.tarmac.dev\"").doesNotContain("platform.tarmac.dev"));
    assertThat(crdRules).filteredOn(r -> r.path("resourceNames").toString().contains("works.platform.tarmac.dev"))
        .singleElement().satisfies(r -> {
          assertThat(r.path("verbs").toString()).isEqualTo("[\"update\",\"patch\"]");
          assertThat(r.path("resourceNames")).hasSize(11);
        });
    // Cost attribution reads, never writes: CostModels (status aside), Pods, claims and the workloads owning them.
    List<JsonNode> tarmacRules = rules(docs, "ClusterRole", "tarmac");
    assertThat(tarmacRules).filteredOn(r -> r.path("resources").toString().equals("[\"costmodels\"]"))
        .singleElement().satisfies(r -> assertThat(r.path("verbs").toString())
            .isEqualTo("[\"get\",\"list\",\"watch\"]"));
    assertThat(tarmacRules).filteredOn(r -> r.path("apiGroups").toString().equals("[\"apps\"]")
        && r.path("resources").toString().contains("deployments")).singleElement().satisfies(r -> {
          assertThat(r.path("resources").toString())
              .isEqualTo("[\"deployments\",\"replicasets\",\"statefulsets\",\"daemonsets\"]");
          assertThat(r.path("verbs").toString()).isEqualTo("[\"get\",\"list\",\"watch\"]");
        });
    assertThat(tarmacRules).filteredOn(r -> r.path("resources").toString().contains("deployments"))
        .allMatch(r -> r.path("verbs").toString().equals("[\"get\",\"list\",\"watch\"]"));
    // Every group the default promiseApis names is granted, with status and finalizers.
    assertThat(rules(docs, "ClusterRole", "tarmac")).anyMatch(r -> r.path("apiGroups").toString()
        .equals("[\"marketplace.tarmac.dev\"]") && r.path("resources").toString()
        .equals("[\"redis/status\",\"postgresqls/status\"]"));
  }

  @Test
  void backstageCrdsRenderOnlyWhenAskedKeptOnUninstallAndTheirKindsAreReadable() throws IOException {
    assertThat(render(t -> t)).noneMatch(d -> d.path("kind").asText().equals("CustomResourceDefinition"));
    List<JsonNode> crds = render(t -> t.set("backstage.crds", true)).stream()
        .filter(d -> d.path("kind").asText().equals("CustomResourceDefinition")).toList();
    assertThat(crds).hasSize(dev.tarmac.backstage.BackstageKinds.KINDS.size());
    assertThat(crds).allMatch(d -> d.path("metadata").path("annotations").path("helm.sh/resource-policy").asText()
        .equals("keep"));
    assertThat(crds.stream().map(d -> d.path("metadata").path("name").asText()))
        .contains("components.backstage.io", "templates.scaffolder.backstage.io");
    assertThat(rules(render(t -> t), "ClusterRole", "tarmac")).anyMatch(r -> r.path("apiGroups").toString()
        .equals("[\"backstage.io\"]") && r.path("verbs").toString().equals(
            "[\"get\",\"list\",\"watch\",\"create\",\"patch\"]") && r.path("resources").size() == 9);
    assertThatThrownBy(() -> render(t -> t.set("backstage.crds", "yes"))).hasMessageContaining("backstage");
  }

  @Test
  void goldenPathImpersonationIsOffByDefaultAndGrantsOnlyImpersonateOnUsersAndGroupsWhenOn() throws Exception {
    List<JsonNode> defaults = render(t -> t);
    assertThat(env(defaults, "TARMAC_PORTAL_IMPERSONATION")).isNull();
    assertThat(defaults).noneMatch(d -> d.toString().contains("impersonate"));
    List<JsonNode> on = render(t -> t.set("goldenPaths.impersonate", true));
    assertThat(env(on, "TARMAC_PORTAL_IMPERSONATION")).isEqualTo("true");
    assertThat(rules(on, "ClusterRole", "tarmac-impersonate")).singleElement().satisfies(r -> {
      assertThat(r.path("apiGroups").toString()).isEqualTo("[\"\"]");
      assertThat(r.path("resources").toString()).isEqualTo("[\"users\",\"groups\"]");
      assertThat(r.path("verbs").toString()).isEqualTo("[\"impersonate\"]");
    });
    JsonNode binding = Chart.find(on, "ClusterRoleBinding", "tarmac-impersonate").orElseThrow();
    assertThat(binding.path("subjects")).singleElement().satisfies(s -> {
      assertThat(s.path("name").asText()).isEqualTo("tarmac");
      assertThat(s.path("namespace").asText()).isEqualTo("tarmac-system");
    });
    // Nothing else changes: the operator's own ClusterRole still has no impersonate.
    assertThat(rules(on, "ClusterRole", "tarmac")).noneMatch(r -> r.path("verbs").toString().contains("impersonate"));
    // The variable is the one `tarmac run --portal-impersonation` reads.
    assertThat(dev.tarmac.cli.RunCommand.class.getDeclaredField("portalImpersonation")
        .getAnnotation(CommandLine.Option.class).defaultValue()).contains("TARMAC_PORTAL_IMPERSONATION");
    assertThatThrownBy(() -> render(t -> t.set("goldenPaths.impersonate", "yes"))).hasMessageContaining("goldenPaths");
  }

  @Test
  void crossplaneIsOffByDefaultAndGrantsOnlyTheListedXrAndClaimKindsWhenEnabled() throws IOException {
    List<JsonNode> defaults = render(t -> t);
    assertThat(env(defaults, "TARMAC_CROSSPLANE")).isNull();
    // Off: Crossplane's kinds (whoever runs them) are only read, for the catalog and `tarmac trace`.
    assertThat(rules(defaults, "ClusterRole", "tarmac")).filteredOn(r -> r.toString()
        .contains("apiextensions.crossplane.io") || r.toString().contains("nop.example.org"))
        .isNotEmpty().allSatisfy(r -> assertThat(r.path("verbs").toString())
            .isEqualTo("[\"get\",\"list\",\"watch\"]"));
    assertThat(rules(defaults, "ClusterRole", "tarmac")).noneMatch(r -> r.toString().contains("nopresources/status")
        || r.toString().contains("compositeresourcedefinitions/status"));
    List<JsonNode> crds = render(t -> t.set("crossplane.crds", true)).stream()
        .filter(d -> d.path("kind").asText().equals("CustomResourceDefinition")).toList();
    assertThat(crds.stream().map(d -> d.path("metadata").path("name").asText())).containsExactly(
        "compositeresourcedefinitions.apiextensions.crossplane.io", "compositions.apiextensions.crossplane.io");
    assertThat(crds).allMatch(d -> d.path("metadata").path("annotations").path("helm.sh/resource-policy").asText()
        .equals("keep"));

    List<JsonNode> enabled = render(t -> t.set("crossplane.enabled", true));
    assertThat(env(enabled, "TARMAC_CROSSPLANE")).isEqualTo("true");
    List<JsonNode> rules = rules(enabled, "ClusterRole", "tarmac");
    assertThat(rules).anyMatch(r -> r.path("apiGroups").toString().equals("[\"apiextensions.crossplane.io\"]")
        && r.path("resources").toString().equals("[\"compositeresourcedefinitions/finalizers\"]")
        && r.path("verbs").toString().equals("[\"update\"]"));
    assertThat(rules).anyMatch(r -> r.path("apiGroups").toString().equals("[\"apiextensions.crossplane.io\"]")
        && r.path("resources").toString().equals("[\"compositions\"]")
        && r.path("verbs").toString().equals("[\"get\",\"list\",\"watch\"]"));
    // The generated CRDs: changed and deleted by name only.
    assertThat(rules).filteredOn(r -> r.path("resources").toString().contains("customresourcedefinitions")
        && r.path("resourceNames").toString().contains("nop.example.org")).singleElement().satisfies(r -> {
          assertThat(r.path("verbs").toString()).isEqualTo("[\"update\",\"patch\",\"delete\"]");
          assertThat(r.path("resourceNames").toString()).contains("\"xnopresources.nop.example.org\"",
              "\"nopresources.nop.example.org\"", "\"xpostgresqlinstances.database.example.org\"");
        });
    assertThat(rules).anyMatch(r -> r.path("apiGroups").toString().equals("[\"nop.example.org\"]")
        && r.path("resources").toString().equals("[\"nopresources/status\",\"xnopresources/status\"]"));
    assertThat(rules).noneMatch(r -> r.toString().contains("\"*\""));
    // Every rule is whole: apiGroups, resources and verbs (a misplaced template block once split a rule in two).
    assertThat(rules).allSatisfy(r -> assertThat(r.path("verbs")).as("rule %s", r).isNotEmpty())
        .allSatisfy(r -> assertThat(r.path("resources")).as("rule %s", r).isNotEmpty());
    // The Promise CRDs' rule is unchanged by crossplane.enabled.
    assertThat(rules).anyMatch(r -> r.path("resourceNames").toString().contains("\"redis.marketplace.tarmac.dev\"")
        && r.path("verbs").toString().equals("[\"update\",\"patch\",\"delete\"]")
        && !r.path("resourceNames").toString().contains("nop.example.org"));
    assertThatThrownBy(() -> render(t -> t.set("crossplane.enabled", "yes"))).hasMessageContaining("crossplane");
  }

  @Test
  void chartCrdsAreTheRepositoryCrds() throws IOException {
    Map<String, String> chart = files(Chart.DIR.resolve("crds"));
    Map<String, String> top = files(RepoPaths.repo().resolve("crds"));
    assertThat(chart.keySet()).isEqualTo(top.keySet());
    top.forEach((name, yaml) -> assertThat(chart.get(name)).as("helm/tarmac/crds/%s differs from crds/%s: run"
        + " make crds", name, name).isEqualTo(yaml));
  }

  private static Map<String, String> files(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        files.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    return files;
  }

  @Test
  void versionsAndTheImageAgreeWithMavenJibAndTheCli() throws Exception {
    JsonNode chart = Serialization.YAML.readTree(Chart.DIR.resolve("Chart.yaml").toFile());
    JsonNode values = Serialization.YAML.readTree(Chart.DIR.resolve("values.yaml").toFile());
    Document root = xml(RepoPaths.repo().resolve("pom.xml"));
    String projectVersion = child(root.getDocumentElement(), "version").getTextContent();
    assertThat(chart.path("appVersion").asText() + "-SNAPSHOT").isIn(projectVersion + "-SNAPSHOT", projectVersion);

    String chartImage = values.path("image").path("repository").asText() + ":" + chart.path("appVersion").asText();
    String property = child(child(root.getDocumentElement(), "properties"), "tarmac.image").getTextContent();
    assertThat(property).isEqualTo(chartImage);

    Document operator = xml(RepoPaths.repo().resolve("operator/pom.xml"));
    var plugins = operator.getElementsByTagName("plugin");
    String jibTarget = null;
    for (int i = 0; i < plugins.getLength(); i++) {
      Element plugin = (Element) plugins.item(i);
      if ("jib-maven-plugin".equals(child(plugin, "artifactId").getTextContent())) {
        Element config = child(plugin, "configuration");
        jibTarget = child(child(config, "to"), "image").getTextContent();
        assertThat(child(child(config, "container"), "mainClass").getTextContent()).isEqualTo(Main.class.getName());
        assertThat(child(child(config, "container"), "user").getTextContent()).startsWith("65532");
      }
    }
    assertThat(jibTarget).as("the Jib plugin's <to><image>").isEqualTo("${tarmac.image}");

    CommandLine cli = new CommandLine(new Main());
    cli.parseArgs("run");
    CommandLine run = cli.getSubcommands().get("run");
    if (System.getenv("TARMAC_PIPELINE_IMAGE") == null) {
      assertThat((String) run.getCommandSpec().findOption("--pipeline-image").getValue()).isEqualTo(chartImage);
    }
  }

  private static Document xml(Path file) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
  }

  private static Element child(Element parent, String name) {
    for (var n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    throw new AssertionError("<" + parent.getTagName() + "> has no <" + name + ">");
  }

  @Test
  void defaultScorecardIsTheShippedExample() throws IOException {
    JsonNode example = Serialization.YAML.readTree(RepoPaths.repo().resolve("examples/scorecards/default.yaml")
        .toFile());
    JsonNode rendered = Chart.find(render(t -> t), "Scorecard", "").orElseThrow();
    assertThat(rendered.path("metadata").path("name")).isEqualTo(example.path("metadata").path("name"));
    assertThat(rendered.path("spec")).isEqualTo(example.path("spec"));
  }

  @Test
  void httpPortIsAuthenticatedAndAdmittedOnlyFromNamedNamespaces() throws IOException {
    List<JsonNode> docs = render(t -> t);
    // Bound on every interface in the cluster, so every surface but the probes checks a token with the API server.
    assertThat(env(docs, "TARMAC_HTTP_HOST")).isEqualTo("0.0.0.0");
    assertThat(args(docs)).noneMatch(a -> a.startsWith("--anonymous-read"));
    assertThat(rules(docs, "ClusterRole", "tarmac")).anyMatch(r -> r.path("apiGroups").toString()
        .equals("[\"authentication.k8s.io\"]") && r.path("resources").toString().equals("[\"tokenreviews\"]")
        && r.path("verbs").toString().equals("[\"create\"]"));
    assertThat(rules(docs, "ClusterRole", "tarmac")).anyMatch(r -> r.path("apiGroups").toString()
        .equals("[\"authorization.k8s.io\"]") && r.path("resources").toString()
        .equals("[\"subjectaccessreviews\"]") && r.path("verbs").toString().equals("[\"create\"]"));
    assertThat(rules(docs, "ClusterRole", "tarmac-metrics-reader")).singleElement().satisfies(r -> {
      assertThat(r.path("nonResourceURLs").toString()).isEqualTo("[\"/metrics\"]");
      assertThat(r.path("verbs").toString()).isEqualTo("[\"get\"]");
    });
    assertThat(Chart.find(docs, "ClusterRoleBinding", "tarmac-metrics-reader")).as("no readers by default").isEmpty();

    // On by default: the HTTP port, from the release's namespace and the named ones only.
    JsonNode policy = Chart.find(docs, "NetworkPolicy", "tarmac").orElseThrow();
    assertThat(policy.path("metadata").path("namespace").asText()).isEqualTo("tarmac-system");
    assertThat(policy.path("spec").path("podSelector").path("matchLabels"))
        .isEqualTo(deployment(docs).path("spec").path("selector").path("matchLabels"));
    assertThat(policy.path("spec").path("policyTypes").toString()).isEqualTo("[\"Ingress\"]");
    JsonNode ingress = policy.path("spec").path("ingress");
    assertThat(ingress).hasSize(1);
    assertThat(ingress.get(0).path("ports").toString()).isEqualTo("[{\"port\":\"http\",\"protocol\":\"TCP\"}]");
    List<String> from = new ArrayList<>();
    ingress.get(0).path("from").forEach(f -> from.add(f.path("namespaceSelector").path("matchLabels")
        .path("kubernetes.io/metadata.name").asText()));
    assertThat(from).containsExactly("tarmac-system", "argocd", "flux-system");

    List<JsonNode> custom = render(t -> t.set("networkPolicy.allowFromNamespaces[0]", "monitoring")
        .set("networkPolicy.namespaceSelectors[0].matchLabels.team", "platform")
        .set("metrics.readers[0].name", "prometheus-k8s").set("metrics.readers[0].namespace", "monitoring")
        .set("serviceMonitor.enabled", true));
    JsonNode customFrom = Chart.find(custom, "NetworkPolicy", "tarmac").orElseThrow().path("spec").path("ingress")
        .get(0).path("from");
    assertThat(customFrom.toString()).contains("\"kubernetes.io/metadata.name\":\"monitoring\"")
        .contains("{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"platform\"}}}")
        .doesNotContain("argocd");
    JsonNode binding = Chart.find(custom, "ClusterRoleBinding", "tarmac-metrics-reader").orElseThrow();
    assertThat(binding.path("subjects").toString())
        .isEqualTo("[{\"kind\":\"ServiceAccount\",\"name\":\"prometheus-k8s\",\"namespace\":\"monitoring\"}]");
    assertThat(Chart.find(custom, "ServiceMonitor", "tarmac").orElseThrow().path("spec").path("endpoints").get(0)
        .path("bearerTokenFile").asText()).isEqualTo("/var/run/secrets/kubernetes.io/serviceaccount/token");

    assertThat(Chart.find(render(t -> t.set("networkPolicy.enabled", false)), "NetworkPolicy", "")).isEmpty();
    assertThatThrownBy(() -> render(t -> t.set("networkPolicy.allowFromNamespaces[0]", "Not A Namespace")))
        .hasMessageContaining("allowFromNamespaces");
  }
}
