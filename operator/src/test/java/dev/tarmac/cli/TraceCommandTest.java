package dev.tarmac.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Serialization;
import dev.tarmac.trace.TraceNode;
import org.junit.jupiter.api.Test;

class TraceCommandTest {

  private static TraceNode claim() {
    TraceNode root = TraceNode.of("PostgreSQLInstance", "payments", "orders-db");
    root.synced = "True";
    root.status = "False";
    root.reason = "Waiting";
    root.message = "x".repeat(70) + " the end";
    return root;
  }

  @Test
  void crossplaneTracesPrintAsATableOthersAsTheTreeWideAlwaysAsTheWholeTable() throws Exception {
    String text = TraceCommand.render(claim(), "text");
    assertThat(text).startsWith("NAME").contains("Waiting: ...").contains("the end").doesNotContain("x".repeat(70));
    assertThat(TraceCommand.render(claim(), "wide")).contains("x".repeat(70) + " the end");

    TraceNode database = TraceNode.of("Database", "payments", "payments-db");
    database.status = "True";
    assertThat(TraceCommand.render(database, "text")).isEqualTo("Database payments/payments-db  [True]\n");
    assertThat(TraceCommand.render(database, "wide")).startsWith("NAME");
  }

  @Test
  void jsonAndYamlCarryTheSyncedField() throws Exception {
    assertThat(Serialization.JSON.readTree(TraceCommand.render(claim(), "json")).path("synced").asText())
        .isEqualTo("True");
    assertThat(Serialization.YAML.readTree(TraceCommand.render(claim(), "yaml")).path("reason").asText())
        .isEqualTo("Waiting");
  }
}
