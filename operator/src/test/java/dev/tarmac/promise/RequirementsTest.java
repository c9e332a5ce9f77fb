package dev.tarmac.promise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.KratixPromise;
import dev.tarmac.api.Promise;
import dev.tarmac.api.TarmacStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Compound Promises: requirements, Kratix's status fields and the wait of requests, without a cluster. */
class RequirementsTest {

  static Promise promise(String name, String version, boolean available, boolean ready) {
    Promise p = new KratixPromise();
    p.setMetadata(new ObjectMetaBuilder().withName(name).withGeneration(1L).build());
    if (version != null) {
      p.getMetadata().setLabels(Map.of("kratix.io/promise-version", version));
    }
    p.setSpec(new Promise.Spec());
    p.setStatus(new Promise.Status());
    Conditions.set(p.getStatus(), Conditions.AVAILABLE, available, "X", "x", 1L);
    Conditions.set(p.getStatus(), Conditions.READY, ready, "X", "x", 1L);
    return p;
  }

  static Promise.RequiredPromise requires(String name, String version) {
    Promise.RequiredPromise r = new Promise.RequiredPromise();
    r.name = name;
    r.version = version;
    return r;
  }

  @Test
  void eachRequirementGetsKratixsStateAndTheConditionNamesWhatIsMissing() {
    Map<String, Promise> installed = Map.of(
        "runtime", promise("runtime", "v1.0.0", true, true),
        "postgresql", promise("postgresql", "v1.0.0-beta.4", true, true),
        "redis", promise("redis", "v2", true, false));
    var result = Requirements.evaluate(List.of(requires("postgresql", "v1.0.0-beta.5"), requires("runtime", "v1.0.0"),
        requires("redis", null), requires("kafka", "")), installed::get);
    assertThat(result.fulfilled()).isFalse();
    assertThat(result.statuses()).extracting(s -> s.name + "|" + s.version + "|" + s.state).containsExactly(
        "postgresql|v1.0.0-beta.5|Requirement not installed at the specified version",
        "runtime|v1.0.0|Requirement installed",
        "redis|null|Requirement not available",
        "kafka|null|Requirement not installed");
    assertThat(result.reason()).isEqualTo(Requirements.NOT_INSTALLED);
    assertThat(result.message()).startsWith("Requirements not fulfilled: waiting for Promise ")
        .contains("postgresql@v1.0.0-beta.5 (requirement not installed at the specified version, installed:"
            + " v1.0.0-beta.4)")
        .contains("redis (requirement not available)").contains("kafka (requirement not installed)")
        .doesNotContain("runtime");
  }

  @Test
  void fulfilledWhenEveryRequiredPromiseIsAvailableAtItsVersion() {
    var result = Requirements.evaluate(List.of(requires("runtime", "v1.0.0")),
        Map.of("runtime", promise("runtime", "v1.0.0", true, true))::get);
    assertThat(result.fulfilled()).isTrue();
    assertThat(result.reason()).isEqualTo("RequirementsInstalled");
    assertThat(result.message()).isEqualTo("Requirements fulfilled");
    var onlyUnavailable = Requirements.evaluate(List.of(requires("runtime", "v1.0.0")),
        Map.of("runtime", promise("runtime", "v1.0.0", true, false))::get);
    assertThat(onlyUnavailable.reason()).isEqualTo(Requirements.NOT_AVAILABLE);
    assertThat(Requirements.evaluate(null, n -> null).fulfilled()).isTrue();
  }

  @Test
  void theConditionIsSetOnlyOnCompoundPromises() {
    Promise.Status status = new Promise.Status();
    var result = Requirements.evaluate(List.of(requires("a", null)), n -> null);
    Requirements.setCondition(status, true, result, 3L);
    var c = Conditions.find(status.conditions, "RequirementsFulfilled").orElseThrow();
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("RequirementsNotInstalled");
    Requirements.setCondition(status, false, result, 3L);
    assertThat(Conditions.find(status.conditions, "RequirementsFulfilled")).isEmpty();
  }

  @Test
  void requiredByListsThePromisesThatNameThisOne() {
    Promise app = promise("app", "v3", false, false);
    app.getSpec().requiredPromises = List.of(requires("postgresql", "v1.0.0-beta.5"), requires("nginx", null));
    Promise other = promise("other", null, true, true);
    other.getSpec().requiredPromises = List.of(requires("postgresql", null));
    var by = Requirements.requiredBy("postgresql", List.of(other, app, promise("postgresql", "v1", true, true)));
    assertThat(by).extracting(b -> b.promise.name + "|" + b.promise.version + "|" + b.requiredVersion)
        .containsExactly("app|v3|v1.0.0-beta.5", "other|null|null");
    assertThat(Requirements.requiredBy("redis", List.of(app))).isNull();
  }

  @Test
  void aChangedPromiseWakesThePromisesThatRequireItAndThoseItRequires() {
    Promise app = promise("app", null, false, false);
    app.getSpec().requiredPromises = List.of(requires("postgresql", null));
    Promise postgresql = promise("postgresql", null, true, true);
    Promise unrelated = promise("unrelated", null, true, true);
    assertThat(PromiseLookup.related(postgresql, List.of(app, postgresql, unrelated)))
        .extracting(id -> id.getName()).containsExactly("app");
    assertThat(PromiseLookup.related(app, List.of(app, postgresql, unrelated)))
        .extracting(id -> id.getName()).containsExactly("postgresql");
  }

  @Test
  void kratixStatusFieldsFollowTheConditions() {
    Promise p = promise("runtime", "v1.0.0", true, false);
    p.getStatus().kind = "Runtime";
    p.getStatus().apiVersion = "marketplace.kratix.io/v1alpha1";
    p.getSpec().workflows = new Promise.Workflows();
    p.getSpec().workflows.promise = new Promise.Lifecycle();
    p.getSpec().workflows.promise.configure = List.of(
        dev.tarmac.api.Serialization.JSON.createObjectNode(), dev.tarmac.api.Serialization.JSON.createObjectNode());
    var run = new dev.tarmac.api.PipelineRunStatus();
    run.phase = "Succeeded";
    var failed = new dev.tarmac.api.PipelineRunStatus();
    failed.phase = "Failed";
    p.getStatus().pipelines = new java.util.ArrayList<>(List.of(run, failed));
    Instant t1 = Instant.parse("2026-01-01T10:00:00.123Z");
    KratixStatusFields.apply(p, t1);
    assertThat(p.getStatus().status).isEqualTo("Unavailable");
    assertThat(p.getStatus().lastAvailableTime).isNull();
    assertThat(p.getStatus().version).isEqualTo("v1.0.0");
    assertThat(List.of(p.getStatus().workflows, p.getStatus().workflowsSucceeded, p.getStatus().workflowsFailed))
        .containsExactly(2L, 1L, 1L);
    Conditions.setTrue(p.getStatus(), Conditions.READY, "Available", "ok", 1L);
    KratixStatusFields.apply(p, t1);
    assertThat(p.getStatus().status).isEqualTo("Available");
    assertThat(p.getStatus().lastAvailableTime).isEqualTo("2026-01-01T10:00:00Z");
    // Steady: a later pass does not move lastAvailableTime (no status write while nothing changes).
    KratixStatusFields.apply(p, t1.plusSeconds(60));
    assertThat(p.getStatus().lastAvailableTime).isEqualTo("2026-01-01T10:00:00Z");
    assertThat(p.getStatus().kratix.status).isEqualTo("Available");
    assertThat(p.getStatus().kratix.kind).isEqualTo("Runtime");
    assertThat(p.getStatus().kratix.version).isEqualTo("v1.0.0");
    assertThat(p.getStatus().kratix.lastAvailableTime).isEqualTo("2026-01-01T10:00:00Z");
  }

  @Test
  void workflowConfigThatTarmacDoesNotActOnIsACondition() {
    Promise p = promise("a", null, true, true);
    p.getSpec().workflows = new Promise.Workflows();
    p.getSpec().workflows.config = new Promise.WorkflowConfig();
    KratixStatusFields.workflowConfig(p);
    assertThat(Conditions.find(p.getStatus().conditions, "WorkflowConfigIgnored")).isEmpty();
    p.getSpec().workflows.config.reconciliationInterval = "10m";
    KratixStatusFields.workflowConfig(p);
    var c = Conditions.find(p.getStatus().conditions, "WorkflowConfigIgnored").orElseThrow();
    assertThat(c.getReason()).isEqualTo("ReconciliationIntervalIgnored");
    assertThat(c.getMessage()).contains("reconciliationInterval (10m) is ignored");
    p.getSpec().workflows.config.pipelineNamespace = "pipelines";
    KratixStatusFields.workflowConfig(p);
    assertThat(Conditions.find(p.getStatus().conditions, "WorkflowConfigIgnored").orElseThrow().getReason())
        .isEqualTo("WorkflowConfigIgnored");
  }

  @Test
  void aWaitingRequestSaysWhichPromiseItWaitsFor() {
    TarmacStatus conditions = RequirementsWait.waiting(new TarmacStatus(), "Requirements not fulfilled: waiting for"
        + " Promise postgresql@v1 (requirement not installed)", 2L);
    var c = Conditions.find(conditions.conditions, "PromiseAvailable").orElseThrow();
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("PromiseRequirementsNotInstalled");
    assertThat(c.getMessage()).startsWith("Promise Requirements are not installed: ").contains("postgresql@v1");
    assertThat(Conditions.find(conditions.conditions, "Ready").orElseThrow().getReason())
        .isEqualTo("PromiseRequirementsNotInstalled");
    Promise compound = promise("app", null, true, true);
    compound.getSpec().requiredPromises = List.of(requires("postgresql", "v1"));
    RequirementsWait.released(conditions, compound, 2L);
    assertThat(Conditions.find(conditions.conditions, "PromiseAvailable").orElseThrow().getStatus())
        .isEqualTo("True");
  }
}
