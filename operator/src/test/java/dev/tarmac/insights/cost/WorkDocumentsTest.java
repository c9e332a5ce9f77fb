package dev.tarmac.insights.cost;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Work;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What cost attribution keeps of a Work's documents between computations ({@code CostController.documents}): the
 * whole document only for kinds the prices may price, the identity of any other; the costs are the same as from the
 * whole documents. No cluster.
 */
class WorkDocumentsTest {

  static final String FILE = """
      apiVersion: apps/v1
      kind: StatefulSet
      metadata: {name: payments-cache-redis, namespace: payments, labels: {app: redis}}
      spec: {replicas: 3, template: {spec: {containers: [{name: redis, image: redis:7}]}}}
      ---
      apiVersion: rds.aws.upbound.io/v1beta1
      kind: Instance
      metadata: {name: payments-cache-snapshot-db}
      spec: {forProvider: {instanceClass: db.m5.large}}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: one-off}
      spec:
        containers: [{name: app, resources: {requests: {cpu: "1", memory: 1Gi}}}]
      ---
      just: a document without a kind
      """;

  static Work work() {
    Work w = new Work();
    w.setSpec(new Work.Spec());
    w.getSpec().files.add(new Work.WorkFile("redis.yaml", FILE));
    return w;
  }

  @Test
  void documentsOfKindsNotPricedKeepTheirIdentityOnly() throws Exception {
    List<JsonNode> docs = CostController.documents(work(), CostCalculatorTest.prices());
    assertThat(docs).hasSize(3);
    // Not priced: apiVersion, kind, name and namespace only.
    assertThat(docs.get(0).toString()).isEqualTo("{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
        + "\"metadata\":{\"name\":\"payments-cache-redis\",\"namespace\":\"payments\"}}");
    // Priced by a rule, and a Pod (priced by its requests): whole.
    assertThat(docs.get(1).path("spec").path("forProvider").path("instanceClass").asText()).isEqualTo("db.m5.large");
    assertThat(docs.get(2).path("spec").path("containers").size()).isEqualTo(1);
  }

  @Test
  void costsAreTheSameAsFromTheWholeDocuments() throws Exception {
    Prices prices = CostCalculatorTest.prices();
    var owner = new CostCalculator.Ref("r1", "marketplace.tarmac.dev/v1alpha1", "Redis", "payments", "payments-cache");
    List<JsonNode> objects = CostCalculatorTest.yaml(CostCalculatorTest.DEMO);
    var whole = CostCalculator.compute(prices, new CostCalculator.Inventory(objects, Map.of("payments",
        "team-payments"), List.of(new CostCalculator.WorkDocuments("w1", "payments", owner,
        CostCalculatorTest.yaml(FILE).stream().filter(d -> d.hasNonNull("kind")).toList()))));
    var kept = CostCalculator.compute(prices, new CostCalculator.Inventory(objects, Map.of("payments",
        "team-payments"), List.of(new CostCalculator.WorkDocuments("w1", "payments", owner,
        CostController.documents(work(), prices)))));
    assertThat(kept.byUid()).isEqualTo(whole.byUid());
    assertThat(kept.lines()).isEqualTo(whole.lines());
    assertThat(kept.total()).isGreaterThan(0);
  }
}
