package dev.tarmac.insights.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.CostModel;
import dev.tarmac.api.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cost calculator over a demo-like set of objects, with totals computed by hand; no cluster. */
class CostCalculatorTest {

  static final double H = CostCalculator.HOURS_PER_MONTH;

  static List<JsonNode> yaml(String s) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (var it = Serialization.YAML.readerFor(JsonNode.class).<JsonNode>readValues(s)) {
      while (it.hasNextValue()) {
        out.add(it.nextValue());
      }
    }
    return out;
  }

  static Prices prices() throws Exception {
    CostModel.Spec spec = Serialization.YAML.readValue("""
        currency: USD
        cpuCoreHour: 0.04
        memoryGiBHour: 0.005
        storageGiBMonth: 0.10
        resources:
          - {group: rds.aws.upbound.io, kind: Instance, sizeField: spec.forProvider.instanceClass,
             prices: {db.t3.medium: 60, db.m5.large: 125}}
        requests:
          - {group: marketplace.tarmac.dev, kind: Redis, sizeField: spec.size, prices: {small: 20, large: 80}}
        """, CostModel.Spec.class);
    Prices.Checked checked = Prices.check(spec);
    assertThat(checked.problems()).isEmpty();
    return checked.prices();
  }

  static final String DEMO = """
      apiVersion: platform.tarmac.dev/v1alpha1
      kind: Component
      metadata: {name: payments-service, namespace: payments, uid: c1}
      spec: {type: service, owner: team-payments}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: payments, uid: d1, labels: {app.kubernetes.io/part-of: payments-service}}
      ---
      apiVersion: apps/v1
      kind: ReplicaSet
      metadata:
        name: web-7f9
        namespace: payments
        uid: rs1
        ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d1, controller: true}]
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: web-7f9-a
        namespace: payments
        uid: p1
        ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7f9, uid: rs1, controller: true}]
      spec:
        containers: [{name: app, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
      status: {phase: Running}
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: web-7f9-old
        namespace: payments
        uid: p2
        ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7f9, uid: rs1, controller: true}]
      spec:
        containers: [{name: app, resources: {requests: {cpu: "4", memory: 8Gi}}}]
      status: {phase: Succeeded}
      ---
      apiVersion: platform.tarmac.dev/v1alpha1
      kind: Database
      metadata: {name: payments-db, namespace: payments, uid: db1, labels: {platform.tarmac.dev/component: payments-service}}
      spec: {engine: postgresql, size: small}
      ---
      apiVersion: apps/v1
      kind: StatefulSet
      metadata:
        name: payments-db-postgresql
        namespace: payments
        uid: s1
        ownerReferences: [{apiVersion: platform.tarmac.dev/v1alpha1, kind: Database, name: payments-db, uid: db1, controller: true}]
      spec:
        volumeClaimTemplates: [{metadata: {name: data}}]
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: payments-db-postgresql-0
        namespace: payments
        uid: p3
        ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: payments-db-postgresql, uid: s1, controller: true}]
      spec:
        containers: [{name: postgresql, resources: {requests: {cpu: "1", memory: 2Gi}}}]
      ---
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata: {name: data-payments-db-postgresql-0, namespace: payments, uid: pvc1}
      spec: {resources: {requests: {storage: 50Gi}}}
      status: {capacity: {storage: 100Gi}}
      ---
      apiVersion: marketplace.tarmac.dev/v1alpha1
      kind: Redis
      metadata: {name: payments-cache, namespace: payments, uid: r1, annotations: {platform.tarmac.dev/owner: team-payments}}
      spec: {size: small}
      ---
      apiVersion: database.example.org/v1alpha1
      kind: PostgreSQLInstance
      metadata: {name: payments-db, namespace: payments-prod, uid: cl1, annotations: {platform.tarmac.dev/owner: team-payments}}
      ---
      apiVersion: database.example.org/v1alpha1
      kind: XPostgreSQLInstance
      metadata: {name: payments-db-x7k2p, uid: x1}
      spec:
        claimRef: {apiVersion: database.example.org/v1alpha1, kind: PostgreSQLInstance, namespace: payments-prod, name: payments-db}
      ---
      apiVersion: rds.aws.upbound.io/v1beta1
      kind: Instance
      metadata:
        name: payments-db-x7k2p-rds
        uid: i1
        ownerReferences: [{apiVersion: database.example.org/v1alpha1, kind: XPostgreSQLInstance, name: payments-db-x7k2p, uid: x1, controller: true}]
      spec: {forProvider: {instanceClass: db.t3.medium}}
      """;

  static final String UNOWNED_PVC = """
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata: {name: scratch-data, namespace: scratch, uid: pvc9}
      spec: {resources: {requests: {storage: 10Gi}}}
      """;

  static CostCalculator.WorkDocuments redisWork() throws Exception {
    // The Redis request's Work: a StatefulSet (not priced, not in this cluster) and an RDS Instance for another
    // cluster (priced from the document).
    return new CostCalculator.WorkDocuments("w1", "payments",
        new CostCalculator.Ref("r1", "marketplace.tarmac.dev/v1alpha1", "Redis", "payments", "payments-cache"),
        yaml("""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: payments-cache-redis}
            ---
            apiVersion: rds.aws.upbound.io/v1beta1
            kind: Instance
            metadata: {name: payments-cache-snapshot-db}
            spec: {forProvider: {instanceClass: db.m5.large}}
            """));
  }

  static CostCalculator.Result compute(String objects) throws Exception {
    return CostCalculator.compute(prices(), new CostCalculator.Inventory(yaml(objects),
        Map.of("payments", "team-payments", "payments-prod", "team-payments"), List.of(redisWork())));
  }

  @Test
  void demoCostsMatchHandComputedTotals() throws Exception {
    CostCalculator.Result r = compute(DEMO);
    double web = H * (0.5 * 0.04 + 1 * 0.005);           // 18.25
    double db = H * (1 * 0.04 + 2 * 0.005);              // 36.50
    double pvc = 100 * 0.10;                             // 10.00: the bound capacity, not the 50Gi asked for
    assertThat(web).isCloseTo(18.25, within(1e-9));
    assertThat(r.byUid().get("p1").monthly()).isCloseTo(web, within(1e-9));
    assertThat(r.byUid()).doesNotContainKey("p2");
    assertThat(r.byUid().get("db1").monthly()).isCloseTo(db + pvc, within(1e-9));
    assertThat(r.byUid().get("c1").monthly()).isCloseTo(web + db + pvc, within(1e-9));
    assertThat(r.byUid().get("r1").monthly()).isCloseTo(20 + 125, within(1e-9));
    assertThat(r.byUid().get("cl1").monthly()).isCloseTo(60, within(1e-9));
    assertThat(r.byUid().get("x1").monthly()).isCloseTo(60, within(1e-9));
    assertThat(r.teams()).containsOnlyKeys("team-payments");
    assertThat(r.teams().get("team-payments")).isCloseTo(web + db + pvc + 145 + 60, within(1e-9));
    assertThat(r.total()).isCloseTo(r.attributed(), within(1e-9));
    assertThat(r.attributionRatio()).isEqualTo(1.0);
    assertThat(r.byUid().get("c1").team()).isEqualTo("team-payments");
    assertThat(r.unpriced()).isEmpty();
  }

  @Test
  void anUnownedPvcLowersAttributionAccuracy() throws Exception {
    CostCalculator.Result r = compute(DEMO + "---\n" + UNOWNED_PVC);
    double owned = 18.25 + 36.5 + 10 + 145 + 60;
    assertThat(r.total()).isCloseTo(owned + 1.0, within(1e-9));
    assertThat(r.attributed()).isCloseTo(owned, within(1e-9));
    assertThat(r.attributionRatio()).isCloseTo(owned / (owned + 1.0), within(1e-12)).isLessThan(1.0);
    assertThat(r.lines()).filteredOn(l -> l.object().uid().equals("pvc9")).singleElement()
        .satisfies(l -> assertThat(l.team()).isNull());
  }

  @Test
  void nothingPricedMeansFullAttribution() throws Exception {
    CostCalculator.Result r = CostCalculator.compute(prices(), new CostCalculator.Inventory(List.of(), Map.of(),
        List.of()));
    assertThat(r.total()).isZero();
    assertThat(r.attributionRatio()).isEqualTo(1.0);
  }

  @Test
  void initContainersSidecarsAndOverheadCountAsTheSchedulerCounts() throws Exception {
    JsonNode spec = yaml("""
        initContainers:
          - {name: migrate, resources: {requests: {cpu: "2", memory: 256Mi}}}
          - {name: proxy, restartPolicy: Always, resources: {requests: {cpu: 100m, memory: 64Mi}}}
        containers:
          - {name: app, resources: {requests: {cpu: 500m, memory: 512Mi}}}
          - {name: no-requests}
        overhead: {cpu: 50m}
        """).get(0);
    double[] req = CostCalculator.podRequest(spec);
    // max(0.5 + 0.1 sidecar, 2 init) + 0.05 overhead; memory max(512 + 64, 256) MiB
    assertThat(req[0]).isCloseTo(2.05, within(1e-9));
    assertThat(req[1]).isCloseTo(576d * 1024 * 1024, within(1e-3));
    assertThat(CostCalculator.quantity(Serialization.JSON.getNodeFactory().textNode("not-a-quantity"))).isZero();
  }

  @Test
  void ownerCyclesAndUnknownOwnersDoNotLoopOrLoseCost() throws Exception {
    CostCalculator.Result r = CostCalculator.compute(prices(), new CostCalculator.Inventory(yaml("""
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: a
          namespace: payments
          uid: a
          ownerReferences: [{apiVersion: example.org/v1, kind: Thing, name: b, uid: b}]
        status: {capacity: {storage: 1Gi}}
        ---
        apiVersion: example.org/v1
        kind: Thing
        metadata:
          name: b
          namespace: payments
          uid: b
          ownerReferences: [{apiVersion: v1, kind: PersistentVolumeClaim, name: a, uid: a}]
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: c
          namespace: payments
          uid: c
          ownerReferences: [{apiVersion: example.org/v1, kind: Unwatched, name: u, uid: u1}]
        status: {capacity: {storage: 2Gi}}
        """), Map.of("payments", "team-payments"), List.of()));
    assertThat(r.byUid().get("a").monthly()).isCloseTo(0.1, within(1e-9));
    assertThat(r.byUid().get("b").monthly()).isCloseTo(0.1, within(1e-9));
    // An owner known only from the owner reference still gets the cost and the namespace's team.
    assertThat(r.byUid().get("u1").monthly()).isCloseTo(0.2, within(1e-9));
    assertThat(r.byUid().get("u1").team()).isEqualTo("team-payments");
    assertThat(r.attributionRatio()).isEqualTo(1.0);
  }

  @Test
  void aSizeWithoutPriceIsReportedNotGuessed() throws Exception {
    CostCalculator.Result r = CostCalculator.compute(prices(), new CostCalculator.Inventory(yaml("""
        apiVersion: marketplace.tarmac.dev/v1alpha1
        kind: Redis
        metadata: {name: huge, namespace: payments, uid: r9}
        spec: {size: xxl}
        ---
        apiVersion: other.example.org/v1
        kind: Redis
        metadata: {name: elsewhere, namespace: payments, uid: r8}
        spec: {size: small}
        """), Map.of(), List.of()));
    assertThat(r.lines()).isEmpty();
    assertThat(r.unpriced()).singleElement().asString().contains("Redis/payments/huge", "xxl", "spec.requests[0]");
  }

  @Test
  void theOwnerNamedClosestToTheItemWinsOverTheNamespaceTeam() throws Exception {
    CostCalculator.Result r = CostCalculator.compute(prices(), new CostCalculator.Inventory(yaml("""
        apiVersion: marketplace.tarmac.dev/v1alpha1
        kind: Redis
        metadata: {name: shared, namespace: payments, uid: r1, labels: {platform.tarmac.dev/owner: "group:default/team-search"}}
        spec: {size: large}
        ---
        apiVersion: marketplace.tarmac.dev/v1alpha1
        kind: Redis
        metadata: {name: mine, namespace: payments, uid: r2, annotations: {platform.tarmac.dev/owner: "user:default/jane"}}
        spec: {size: small}
        """), Map.of("payments", "team-payments"), List.of()));
    assertThat(r.teams()).containsEntry("team-search", 80.0).containsEntry("user:default/jane", 20.0)
        .doesNotContainKey("team-payments");
  }

  @Test
  void badPricesAreReportedWithTheFieldToChange() throws Exception {
    CostModel.Spec spec = Serialization.YAML.readValue("""
        currency: usd
        cpuCoreHour: -1
        resources:
          - {kind: Instance, prices: {small: 5}}
          - {kind: Instance, sizeField: "spec[", price: 3}
          - {kind: Bucket}
          - {group: g, kind: Disk, sizeField: spec.size, prices: {big: -2}}
        """, CostModel.Spec.class);
    List<String> problems = Prices.check(spec).problems();
    assertThat(Prices.check(spec).prices()).isNull();
    assertThat(String.join("\n", problems)).contains("spec.currency is 'usd'", "spec.cpuCoreHour is -1.0",
        "spec.resources[0] lists prices by size but no sizeField", "spec.resources[1] prices Instance again",
        "spec.resources[1].sizeField 'spec['", "spec.resources[2] (Bucket) has no price",
        "spec.resources[3].prices.big is -2.0");
  }

  @Test
  void aRuleWithAGroupWinsOverAGrouplessOne() throws Exception {
    CostModel.Spec spec = Serialization.YAML.readValue("""
        resources:
          - {kind: Instance, price: 1}
          - {group: rds.aws.upbound.io, kind: Instance, price: 2}
        """, CostModel.Spec.class);
    Prices p = Prices.check(spec).prices();
    assertThat(p.ruleFor("rds.aws.upbound.io/v1beta1", "Instance").price()).isEqualTo(2.0);
    assertThat(p.ruleFor("ec2.aws.upbound.io/v1beta1", "Instance").price()).isEqualTo(1.0);
    assertThat(p.ruleFor("v1", "Pod")).isNull();
  }
}
