package dev.tarmac.insights.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.TarmacOperator;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.CostModel;
import dev.tarmac.api.Database;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.RepoPaths;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestPromises;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cost attribution and budgets on a real API server, with the operator running: the example CostModel over demo-like
 * objects (a Component, its Database composed by the shipped postgresql-in-cluster Composition, a Pod of the
 * Database's StatefulSet and one of the service, a Promise request) gives the hand-computed monthly costs; an unowned
 * claim lowers the attribution accuracy; a lower budget gives WithinBudget=False and Events, and the Promise that
 * asks for it holds a new request back while existing ones stay as they were.
 */
@Tag("apiserver")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CostApiServerTest {

  static final double H = CostCalculator.HOURS_PER_MONTH;
  /** The example's prices (examples/costs/default.yaml). */
  static final double CPU = 0.04;
  static final double MEMORY = 0.005;
  static final double STORAGE = 0.10;
  /** The Database's Pod: the Composition's small size, 250m and 512Mi. */
  static final double DB_POD = H * (0.25 * CPU + 0.5 * MEMORY);        // 9.125
  /** The Database's composed claim: storageGB 100. */
  static final double DB_PVC = 100 * STORAGE;                          // 10.00
  /** The service's Pod: 500m, 1Gi. */
  static final double WEB_POD = H * (0.5 * CPU + 1 * MEMORY);          // 18.25
  /** A small request of the test Promise (a rule added to the example). */
  static final double CACHE = 20;

  @TempDir
  static Path tmp;
  static KubernetesClient client;
  static TarmacOperator operator;
  static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
  static final String TEAM = "team-cost-" + SUFFIX;
  static final String MODEL = "cost-test-" + SUFFIX;
  static final String PROMISE = "cost-cache-" + SUFFIX;
  static final String GROUP = "cost-" + SUFFIX + ".example.org";
  /** The group of a priced kind whose CRD the test installs late. */
  static final String WIDGETS = "widgets-" + SUFFIX + ".example.org";
  static String ns;
  static String scratch;

  @BeforeAll
  static void start() throws Exception {
    client = TestCluster.get().client();
    client.load(Files.newInputStream(RepoPaths.repo().resolve("compositions/postgresql-in-cluster.yaml")))
        .serverSideApply();
    operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, "default", "test",
        tmp.resolve("data"), false, 4, false, "tarmac:test")).start();
    ns = TestCluster.get().newNamespace("cost");
    scratch = TestCluster.get().newNamespace("scratch");
    namespace(Map.of("platform.tarmac.dev/team", TEAM), "100");
    // The example CostModel, under a name of its own, with a price for the test Promise's requests.
    ObjectNode model = (ObjectNode) Serialization.YAML.readTree(Files.readString(
        RepoPaths.repo().resolve("examples/costs/default.yaml")));
    ((ObjectNode) model.get("metadata")).put("name", MODEL);
    ((com.fasterxml.jackson.databind.node.ArrayNode) model.get("spec").get("requests")).addObject()
        .put("group", GROUP).put("kind", "Cache").put("sizeField", "spec.size")
        .set("prices", Serialization.JSON.createObjectNode().put("small", CACHE).put("large", 200));
    client.resource(Serialization.JSON.treeToValue(model, CostModel.class)).create();
    String promise = TestPromises.templatePromise(PROMISE, GROUP, "Cache", "cost-test", SUFFIX)
        .replace("metadata: {name: " + PROMISE + "}", "metadata: {name: " + PROMISE + ", annotations: {"
            + CostController.REFUSE_OVER_BUDGET + ": \"true\"}}");
    client.load(new java.io.ByteArrayInputStream(promise.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .serverSideApply();
    await().atMost(Duration.ofSeconds(60)).until(() -> Conditions.isTrue(client.resources(
        dev.tarmac.api.Promise.class).withName(PROMISE).get().getStatus(), Conditions.READY));
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    client.resources(CostModel.class).withName(MODEL).delete();
    TestCluster.removeLeftoverPromise(client, PROMISE);
    TestCluster.deleteCrds(client, List.of("caches." + GROUP, "widgets." + WIDGETS));
  }

  static void namespace(Map<String, String> labels, String budget) {
    client.namespaces().withName(ns).edit(n -> {
      n.getMetadata().setLabels(new java.util.HashMap<>(labels));
      n.getMetadata().setAnnotations(new java.util.HashMap<>(Map.of(Budgets.ANNOTATION, budget)));
      return n;
    });
  }

  static void budget(String amount) {
    client.namespaces().withName(ns).patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + Budgets.ANNOTATION + "\":\"" + amount + "\"}}}");
  }

  static Pod pod(String name, Map<String, String> labels, String cpu, String memory) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(labels).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("example/app:1").withNewResources()
        .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity(cpu))
        .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity(memory)).endResources()
        .endContainer().endSpec().build();
  }

  static GenericKubernetesResource cache(String name) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(GROUP + "/v1");
    r.setKind("Cache");
    r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    r.setAdditionalProperty("spec", Map.of("size", "small"));
    return client.resource(r).create();
  }

  static GenericKubernetesResource getCache(String name) {
    return client.genericKubernetesResources(GROUP + "/v1", "Cache").inNamespace(ns).withName(name).get();
  }

  static Optional<io.fabric8.kubernetes.api.model.Condition> condition(HasStatus o, String type) {
    JsonNode c = o.status().path("conditions");
    for (JsonNode x : c) {
      if (type.equals(x.path("type").asText())) {
        return Optional.of(Serialization.JSON.convertValue(x, io.fabric8.kubernetes.api.model.Condition.class));
      }
    }
    return Optional.empty();
  }

  interface HasStatus {
    JsonNode status();
  }

  static HasStatus of(Object o) {
    return () -> o == null ? Serialization.JSON.createObjectNode()
        : Serialization.JSON.valueToTree(o).path("status");
  }

  static CostCalculator.Cost costOf(String uid) {
    CostCalculator.Result r = operator.costs().result();
    return r == null ? null : r.byUid().get(uid);
  }

  @Test
  @Order(1)
  void costsPerObjectAndTeamMatchHandComputedTotals() throws Exception {
    Component component = client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Component
        metadata: {name: payments-service, namespace: %s}
        spec: {type: service, lifecycle: production, owner: %s}
        """.formatted(ns, TEAM), Component.class)).create();
    Database db = client.resource(Serialization.YAML.readValue("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: payments-db, namespace: %s, labels: {platform.tarmac.dev/component: payments-service}}
        spec:
          engine: postgresql
          version: "16"
          storageGB: 100
          size: small
          backupRetentionDays: 30
          compositionRef: {name: postgresql-in-cluster}
          writeConnectionSecretToRef: {name: payments-db-credentials}
        """.formatted(ns), Database.class)).create();
    // Playing the StatefulSet controller: the composed StatefulSet's Pod, owned by it, with its template's requests.
    StatefulSet sts = await().atMost(Duration.ofSeconds(30)).until(() -> client.apps().statefulSets().inNamespace(ns)
        .withName("payments-db-postgresql").get(), java.util.Objects::nonNull);
    var requests = sts.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getRequests();
    assertThat(requests.get("cpu").toString()).isEqualTo("250m");
    assertThat(requests.get("memory").toString()).isEqualTo("512Mi");
    Pod dbPod = pod("payments-db-postgresql-0", Map.of(), "250m", "512Mi");
    dbPod.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("apps/v1")
        .withKind("StatefulSet").withName(sts.getMetadata().getName()).withUid(sts.getMetadata().getUid())
        .withController(true).build()));
    client.resource(dbPod).create();
    // A Pod of the service, found through its part-of label; one that has ended costs nothing.
    client.resource(pod("payments-service-1", Map.of("app.kubernetes.io/part-of", "payments-service"), "500m", "1Gi"))
        .create();
    Pod ended = client.resource(pod("payments-service-job", Map.of("app.kubernetes.io/part-of", "payments-service"),
        "4", "8Gi")).create();
    ended.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Succeeded").build());
    client.pods().inNamespace(ns).resource(ended).updateStatus();
    GenericKubernetesResource request = cache("payments-cache");
    await().atMost(Duration.ofSeconds(30)).until(() -> Optional.ofNullable(getCache("payments-cache"))
        .map(r -> Serialization.JSON.valueToTree(r).path("status").has("pipelines")).orElse(false));

    String dbUid = db.getMetadata().getUid();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      CostCalculator.Result r = operator.costs().result();
      assertThat(r).isNotNull();
      assertThat(r.teams().get(TEAM)).isCloseTo(DB_POD + DB_PVC + WEB_POD + CACHE, within(1e-6));
      assertThat(costOf(dbUid).monthly()).isCloseTo(DB_POD + DB_PVC, within(1e-6));
      assertThat(costOf(component.getMetadata().getUid()).monthly()).isCloseTo(DB_POD + DB_PVC + WEB_POD,
          within(1e-6));
      assertThat(costOf(request.getMetadata().getUid()).monthly()).isCloseTo(CACHE, within(1e-6));
      assertThat(costOf(dbUid).team()).isEqualTo(TEAM);
    });
    // 57.375 a month against a budget of 100: in the CostModel's status, the metrics and the catalog.
    CostModel model = await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(CostModel.class)
        .withName(MODEL).get(), m -> m.getStatus() != null && m.getStatus().teams != null && m.getStatus().teams
        .stream().anyMatch(t -> t.team.equals(TEAM) && t.monthly == 57.38));
    assertThat(Conditions.isTrue(model.getStatus(), Conditions.READY)).isTrue();
    CostModel.TeamCost team = model.getStatus().teams.stream().filter(t -> t.team.equals(TEAM)).findFirst()
        .orElseThrow();
    assertThat(team.budget).isEqualTo(100.0);
    assertThat(team.budgetRatio).isCloseTo(0.5738, within(1e-4));
    String metrics = operator.metrics().scrape();
    assertThat(metrics).contains("tarmac_cost_monthly{kind=\"PersistentVolumeClaim\",team=\"" + TEAM + "\"} 10.0")
        .contains("tarmac_cost_monthly{kind=\"Cache\",team=\"" + TEAM + "\"} 20.0")
        .contains("tarmac_cost_monthly{kind=\"Pod\",team=\"" + TEAM + "\"} 27.38")
        .contains("tarmac_cost_budget_ratio{team=\"" + TEAM + "\"} 0.57375")
        .contains("tarmac_cost_attribution_ratio ");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      var byRef = operator.catalog().index().snapshot().byRef();
      JsonNode cost = byRef.get("component:" + ns + "/payments-service").path("status").path("cost");
      assertThat(cost.path("monthly").asDouble()).isEqualTo(37.38);
      assertThat(cost.path("team").asText()).isEqualTo(TEAM);
      assertThat(cost.path("withinBudget").asBoolean()).isTrue();
      assertThat(byRef.get("resource:" + ns + "/payments-db").path("status").path("cost").path("monthly")
          .asDouble()).isEqualTo(19.13);
      assertThat(byRef.get("group:default/" + TEAM).path("status").path("cost").path("budget").asDouble())
          .isEqualTo(100.0);
    });
    // Within budget: the condition says so, on the team's Component, Database and request.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(condition(of(client.resources(Component.class).inNamespace(ns).withName("payments-service").get()),
          CostController.WITHIN_BUDGET)).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
      assertThat(condition(of(client.resources(Database.class).inNamespace(ns).withName("payments-db").get()),
          CostController.WITHIN_BUDGET)).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
      assertThat(condition(of(getCache("payments-cache")), CostController.WITHIN_BUDGET))
          .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
    });
  }

  @Test
  @Order(2)
  void anUnownedClaimLowersAttributionAccuracy() {
    double before = operator.costs().result().attributionRatio();
    long computed = operator.costs().computations();
    client.persistentVolumeClaims().inNamespace(scratch).resource(new io.fabric8.kubernetes.api.model
        .PersistentVolumeClaimBuilder().withNewMetadata().withName("nobodys").endMetadata().withNewSpec()
        .withAccessModes("ReadWriteOnce").withNewResources().addToRequests("storage",
            new io.fabric8.kubernetes.api.model.Quantity("50Gi")).endResources().endSpec().build()).create();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      CostCalculator.Result r = operator.costs().result();
      assertThat(operator.costs().computations()).isGreaterThan(computed);
      assertThat(r.lines()).filteredOn(l -> l.object().namespace().equals(scratch)).singleElement()
          .satisfies(l -> {
            assertThat(l.monthly()).isCloseTo(5.0, within(1e-9));
            assertThat(l.team()).isNull();
          });
      assertThat(r.attributionRatio()).isLessThan(1.0).isLessThan(before);
      assertThat(r.total() - r.attributed()).isGreaterThanOrEqualTo(5.0 - 1e-9);
    });
    assertThat(operator.metrics().scrape()).contains("tarmac_cost_monthly{kind=\"PersistentVolumeClaim\","
        + "team=\"unattributed\"}");
  }

  @Test
  @Order(3)
  void aBudgetBreachGivesConditionsAndEventsAndHoldsNewRequestsBack() {
    budget("50");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (HasStatus o : List.of(of(client.resources(Component.class).inNamespace(ns).withName("payments-service")
          .get()), of(client.resources(Database.class).inNamespace(ns).withName("payments-db").get()),
          of(getCache("payments-cache")))) {
        assertThat(condition(o, CostController.WITHIN_BUDGET)).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo(CostController.OVER_BUDGET);
          assertThat(c.getMessage()).contains(TEAM, "57.38 USD", "over its budget of 50.00 USD", ns);
        });
      }
    });
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(client.v1().events().inNamespace(ns).list().getItems()).anyMatch(e -> e.getReason().equals(
          CostController.OVER_BUDGET) && e.getType().equals("Warning")
          && e.getInvolvedObject().getName().equals("payments-service"));
      assertThat(client.v1().events().inNamespace("default").list().getItems()).anyMatch(e -> e.getReason()
          .equals(CostController.OVER_BUDGET) && e.getInvolvedObject().getName().equals(MODEL)
          && e.getMessage().contains(TEAM));
    });

    // The Promise refuses new requests from teams over budget: the new one waits, saying why; the existing one runs.
    JsonNode existingBefore = Serialization.JSON.valueToTree(getCache("payments-cache")).path("status");
    cache("second-cache");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      HasStatus second = of(getCache("second-cache"));
      assertThat(condition(second, Conditions.READY)).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo(CostController.OVER_BUDGET);
        assertThat(c.getMessage()).contains("refuses new requests from teams over budget", TEAM);
      });
      assertThat(second.status().has("pipelines")).isFalse();
      assertThat(client.v1().events().inNamespace(ns).list().getItems()).anyMatch(e -> e.getReason().equals(
          CostController.OVER_BUDGET) && e.getInvolvedObject().getName().equals("second-cache"));
    });
    JsonNode existing = Serialization.JSON.valueToTree(getCache("payments-cache")).path("status");
    assertThat(existing.path("pipelines")).isEqualTo(existingBefore.path("pipelines"));
    assertThat(condition(of(getCache("payments-cache")), Conditions.READY).map(c -> c.getReason()))
        .isNotEqualTo(Optional.of(CostController.OVER_BUDGET));

    // Back within budget: the conditions turn True, and the held request proceeds at once (the team's return wakes
    // the requests of Promises that refuse; their own next look would be a minute later).
    budget("1000");
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(condition(of(client.resources(Component.class).inNamespace(ns).withName("payments-service").get()),
          CostController.WITHIN_BUDGET)).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
      HasStatus second = of(getCache("second-cache"));
      assertThat(second.status().has("pipelines")).isTrue();
      assertThat(condition(second, Conditions.READY).map(c -> c.getReason()))
          .isNotEqualTo(Optional.of(CostController.OVER_BUDGET));
    });
  }

  @Test
  @Order(4)
  void aPricedKindWithoutItsCrdIsSaidOnTheCostModelAndPricedOnceTheCrdAppears() throws Exception {
    // A rule for a kind no CRD defines yet: the rest is priced as before; the CostModel says which kind is missing
    // (with the example's kinds, which no test installs: Redis, Environment, RDS Instance).
    client.resources(CostModel.class).withName(MODEL).edit(m -> {
      CostModel.FlatPrice widget = new CostModel.FlatPrice();
      widget.group = WIDGETS;
      widget.kind = "Widget";
      widget.sizeField = "spec.size";
      widget.prices = Map.of("big", 7.0);
      m.getSpec().resources.add(widget);
      return m;
    });
    double team = operator.costs().result().teams().get(TEAM);
    CostModel model = await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(CostModel.class)
        .withName(MODEL).get(), m -> condition(of(m), CostController.PRICED_KINDS_SERVED)
        .map(c -> c.getStatus().equals("False") && c.getMessage().contains("Widget")).orElse(false));
    assertThat(condition(of(model), CostController.PRICED_KINDS_SERVED)).hasValueSatisfying(c -> {
      assertThat(c.getReason()).isEqualTo(CostController.PRICED_KIND_MISSING);
      assertThat(c.getMessage()).contains("Widget (" + WIDGETS + ")", "not served by the API server",
          "CRD", "still priced");
    });
    assertThat(Conditions.isTrue(model.getStatus(), Conditions.READY)).as("the rest is computed").isTrue();
    assertThat(operator.costs().result().teams().get(TEAM)).isCloseTo(team, within(1e-6));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.v1().events().inNamespace("default")
        .list().getItems()).anyMatch(e -> e.getReason().equals(CostController.PRICED_KIND_MISSING)
        && e.getType().equals("Warning") && e.getInvolvedObject().getName().equals(MODEL)
        && e.getMessage().contains("Widget")));

    // The CRD is installed and a Widget created: the lookup (with backoff, at most every 30 s) finds it, watches it
    // and prices the Widget; the condition no longer names it.
    client.resource(TestCluster.openCrd(WIDGETS, "Widget", "widgets", "Namespaced")).serverSideApply();
    GenericKubernetesResource widget = new GenericKubernetesResource();
    widget.setApiVersion(WIDGETS + "/v1");
    widget.setKind("Widget");
    widget.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("w").withNamespace(ns)
        .build());
    widget.setAdditionalProperty("spec", Map.of("size", "big"));
    String uid = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> client.resource(widget)
        .create(), java.util.Objects::nonNull).getMetadata().getUid();
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      assertThat(costOf(uid)).isNotNull();
      assertThat(costOf(uid).monthly()).isCloseTo(7.0, within(1e-9));
      assertThat(costOf(uid).team()).isEqualTo(TEAM);
      assertThat(condition(of(client.resources(CostModel.class).withName(MODEL).get()),
          CostController.PRICED_KINDS_SERVED)).hasValueSatisfying(c -> assertThat(c.getMessage())
          .doesNotContain("Widget").contains("Instance (rds.aws.upbound.io)"));
    });
  }
}
