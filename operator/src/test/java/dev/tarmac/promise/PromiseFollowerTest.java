package dev.tarmac.promise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

/** When a named shard serves a Promise's requests, decided from the default shard's status alone. */
class PromiseFollowerTest {

  private static Promise promise(long generation, Long observed, boolean api) {
    Promise p = new Promise();
    p.setMetadata(new ObjectMetaBuilder().withName("redis").withGeneration(generation).build());
    p.setSpec(new Promise.Spec());
    if (api) {
      p.getSpec().api = Serialization.JSON.createObjectNode().put("kind", "CustomResourceDefinition");
    }
    if (observed != null) {
      p.setStatus(new Promise.Status());
      p.getStatus().observedGeneration = observed;
    }
    return p;
  }

  @Test
  void servedOnceTheDefaultShardReportsItAvailableForTheCurrentGeneration() {
    Promise p = promise(2, 2L, true);
    p.getStatus().crdName = "redis.example.com";
    assertThat(PromiseFollower.decide(p)).as("no Available condition yet").isEqualTo(PromiseFollower.Action.WAIT);
    Conditions.setFalse(p.getStatus(), Conditions.AVAILABLE, "WaitingForCRD", "not Established", 2L);
    assertThat(PromiseFollower.decide(p)).isEqualTo(PromiseFollower.Action.WAIT);
    Conditions.setFalse(p.getStatus(), Conditions.AVAILABLE, "RequiredPromisesUnavailable", "needs x", 2L);
    assertThat(PromiseFollower.decide(p)).as("requests are served, and wait").isEqualTo(PromiseFollower.Action.SERVE);
    Conditions.setTrue(p.getStatus(), Conditions.AVAILABLE, "Available", "serving", 2L);
    assertThat(PromiseFollower.decide(p)).isEqualTo(PromiseFollower.Action.SERVE);
    p.getMetadata().setGeneration(3L);
    assertThat(PromiseFollower.decide(p)).as("status of an older generation").isEqualTo(PromiseFollower.Action.WAIT);
  }

  @Test
  void aPromiseWithoutStatusOrWithoutApiOrBeingDeleted() {
    assertThat(PromiseFollower.decide(promise(1, null, true))).isEqualTo(PromiseFollower.Action.WAIT);
    assertThat(PromiseFollower.decide(promise(1, 1L, false))).isEqualTo(PromiseFollower.Action.STOP);
    Promise deleting = promise(1, 1L, true);
    deleting.getStatus().crdName = "redis.example.com";
    Conditions.setTrue(deleting.getStatus(), Conditions.AVAILABLE, "Available", "serving", 1L);
    deleting.getMetadata().setDeletionTimestamp("2026-12-02T17:00:00Z");
    assertThat(PromiseFollower.decide(deleting)).as("served until gone: delete pipelines run here")
        .isEqualTo(PromiseFollower.Action.WAIT);
  }
}
