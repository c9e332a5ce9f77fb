package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LeaseTimingsTest {

  @Test
  void defaultsLeaveRoomForFailoverWithin15Seconds() {
    LeaseTimings d = LeaseTimings.DEFAULT;
    // A standby holds the Lease at most leaseDuration + retryPeriod after the leader's last renewal.
    assertThat(d.leaseDuration().plus(d.retryPeriod())).isLessThanOrEqualTo(Duration.ofSeconds(9));
    assertThat(d.renewDeadline()).isLessThan(d.leaseDuration());
  }

  @Test
  void refusesTimingsTheLeaderElectorWouldRefuseNamingTheFix() {
    assertThatThrownBy(() -> new LeaseTimings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shorter than the Lease duration");
    assertThatThrownBy(() -> new LeaseTimings(Duration.ofSeconds(8), Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .hasMessageContaining("1.2 times the retry period");
    assertThatThrownBy(() -> new LeaseTimings(Duration.ofSeconds(8), Duration.ofSeconds(5), Duration.ZERO))
        .hasMessageContaining("positive");
  }

  @Test
  void parsesTheUnitsTheChartAndFlagsUse() {
    assertThat(LeaseTimings.parse("8s")).isEqualTo(Duration.ofSeconds(8));
    assertThat(LeaseTimings.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(LeaseTimings.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(LeaseTimings.parse("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(LeaseTimings.parse("PT8S")).isEqualTo(Duration.ofSeconds(8));
    assertThatThrownBy(() -> LeaseTimings.parse("8")).hasMessageContaining("8s, 500ms or 1m");
    assertThatThrownBy(() -> LeaseTimings.parse("soon")).hasMessageContaining("not a duration");
  }
}
