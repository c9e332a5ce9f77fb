package dev.tarmac.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConditionsTest {

  @AfterEach
  void resetClock() {
    Conditions.useClock(Clock.systemUTC());
  }

  @Test
  void setAddsThenReportsNoChangeForTheSameValue() {
    TarmacStatus status = new TarmacStatus();
    assertThat(Conditions.setTrue(status, Conditions.READY, "Valid", "ok", 1L)).isTrue();
    assertThat(Conditions.setTrue(status, Conditions.READY, "Valid", "ok", 1L)).isFalse();
    assertThat(status.conditions).hasSize(1);
    assertThat(Conditions.isTrue(status, Conditions.READY)).isTrue();
  }

  @Test
  void transitionTimeChangesOnlyWhenStatusChanges() {
    TarmacStatus status = new TarmacStatus();
    Conditions.useClock(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));
    Conditions.setFalse(status, Conditions.READY, "Pending", "waiting", 1L);
    Conditions.useClock(Clock.fixed(Instant.parse("2026-01-01T00:05:00Z"), ZoneOffset.UTC));
    assertThat(Conditions.setFalse(status, Conditions.READY, "PipelineFailed", "step render exited 2", 2L)).isTrue();
    assertThat(status.conditions.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(status.conditions.get(0).getReason()).isEqualTo("PipelineFailed");
    assertThat(status.conditions.get(0).getObservedGeneration()).isEqualTo(2L);
    Conditions.setTrue(status, Conditions.READY, "Ready", "done", 2L);
    assertThat(status.conditions.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:05:00Z");
    assertThat(Conditions.reason(status, Conditions.READY)).isEqualTo("Ready");
  }

  @Test
  void nullValueIsUnknown() {
    TarmacStatus status = new TarmacStatus();
    Conditions.set(status, Conditions.SYNCED, null, "Reconciling", "first pass", null);
    assertThat(status.conditions.get(0).getStatus()).isEqualTo("Unknown");
    assertThat(Conditions.isTrue(status, Conditions.SYNCED)).isFalse();
  }
}
