package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoperatorsdk.operator.processing.retry.RetryExecution;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetriesTest {

  @Test
  void delaysDoubleFromOneSecondToThirtyAndNeverStop() {
    List<Long> seconds = new ArrayList<>();
    for (int attempts = 0; attempts < 10; attempts++) {
      seconds.add(Retries.delayAfter(attempts).toSeconds());
    }
    assertThat(seconds).containsExactly(1L, 1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L, 30L);
    // No limit on attempts: a 10,000th failure is still retried, at the cap.
    RetryExecution execution = Retries.policy().initExecution();
    for (int i = 0; i < 10_000; i++) {
      assertThat(execution.nextDelay()).isPresent();
    }
    assertThat(execution.isLastAttempt()).isFalse();
    assertThat(Retries.delayAfter(10_000)).isEqualTo(Retries.MAX);
  }

  @Test
  void delayAfterIsWhatJosdkSchedulesAfterThatFailure() {
    // JOSDK calls nextDelay() once per failure; the failure seen with getAttemptCount() == n is the (n+1)th call.
    RetryExecution execution = Retries.policy().initExecution();
    for (int n = 0; n < 12; n++) {
      assertThat(execution.getAttemptCount()).isEqualTo(n);
      long scheduled = execution.nextDelay().orElseThrow();
      assertThat(Retries.delayAfter(n).toMillis()).as("attempt %d", n).isEqualTo(scheduled);
    }
  }

  @Test
  void nextAttemptIsRfc3339RoundedUpToTheSecond() {
    Clock clock = Clock.fixed(Instant.parse("2026-12-02T08:00:00.250Z"), ZoneOffset.UTC);
    assertThat(Retries.nextAttempt(0, clock)).isEqualTo("2026-12-02T08:00:02Z");
    assertThat(Retries.nextAttempt(3, clock)).isEqualTo("2026-12-02T08:00:05Z");
    Clock whole = Clock.fixed(Instant.parse("2026-12-02T08:00:00Z"), ZoneOffset.UTC);
    assertThat(Retries.nextAttempt(6, whole)).isEqualTo("2026-12-02T08:00:30Z");
    assertThat(Instant.parse(Retries.nextAttempt(100, whole))).isEqualTo(Instant.parse("2026-12-02T08:00:00Z")
        .plus(Duration.ofSeconds(30)));
  }
}
