package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.Database;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ErrorStatusTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T08:00:00Z"), ZoneOffset.UTC);

  private final List<String> events = new ArrayList<>();
  private final ErrorStatus.Warning warning = (HasMetadata o, String reason, String message) -> events.add(reason);

  /** A refusal as a schema check answers: with the field it refuses. */
  private static KubernetesClientException http(int code) {
    return new KubernetesClientException(new StatusBuilder().withCode(code).withMessage("said " + code)
        .withNewDetails().addNewCause().withField("spec.size").withReason("FieldValueInvalid").endCause().endDetails()
        .build());
  }

  private static Database claim() {
    Database db = new Database();
    db.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace("team-a").withGeneration(3L).build());
    db.setStatus(new Database.Status());
    Conditions.setTrue(db.getStatus(), Conditions.READY, "Available", "every composed resource is ready", 3L);
    return db;
  }

  @Test
  void passingFailuresAreRetriedAndLeaveReadyAlone() {
    var unreachable = ErrorStatus.classify(new KubernetesClientException("Operation failed",
        new ConnectException("Connection refused")));
    assertThat(unreachable.reason()).isEqualTo("ApiServerUnreachable");
    assertThat(unreachable.message()).contains("Connection refused").contains("retried with backoff");
    assertThat(ErrorStatus.classify(new RuntimeException(new SocketTimeoutException("timeout"))).reason())
        .isEqualTo("ApiServerUnreachable");
    assertThat(ErrorStatus.classify(http(409)).reason()).isEqualTo("Conflict");
    assertThat(ErrorStatus.classify(http(429)).reason()).isEqualTo("ApiServerThrottled");
    assertThat(ErrorStatus.classify(http(503)).reason()).isEqualTo("ApiServerUnavailable");
    assertThat(ErrorStatus.classify(http(504)).message()).contains("HTTP 504").contains("said 504");
    assertThat(ErrorStatus.classify(http(404)).retry()).isTrue();
    for (int code : new int[] {0, 409, 429, 500, 503, 504, 408}) {
      var f = ErrorStatus.classify(code == 0 ? new KubernetesClientException("x", new ConnectException("refused"))
          : http(code));
      assertThat(f.retry()).as("HTTP %d", code).isTrue();
      assertThat(f.notReady()).as("HTTP %d", code).isFalse();
    }
  }

  @Test
  void forbiddenIsRetriedButNotReadyAndInvalidIsPermanent() {
    var forbidden = ErrorStatus.classify(http(403));
    assertThat(forbidden.retry()).isTrue();
    assertThat(forbidden.notReady()).isTrue();
    assertThat(forbidden.message()).contains("grant");
    for (int code : new int[] {400, 422}) {
      var invalid = ErrorStatus.classify(http(code));
      assertThat(invalid.reason()).isEqualTo("Invalid");
      assertThat(invalid.retry()).isFalse();
      assertThat(invalid.message()).contains("change the object's spec");
    }
    // A 422 naming no field: a patch that did not apply to the object as it is now, retried.
    var unapplied = ErrorStatus.classify(new KubernetesClientException(new StatusBuilder().withCode(422)
        .withMessage("the server rejected our request due to an error in our request").build()));
    assertThat(unapplied.reason()).isEqualTo("Conflict");
    assertThat(unapplied.retry()).isTrue();
    assertThat(unapplied.notReady()).isFalse();
    var later = ErrorStatus.classify(new ErrorStatus.RetryLater("RepositoryMissing", "apply it", true));
    assertThat(later).isEqualTo(new ErrorStatus.Failure("RepositoryMissing", "apply it", true, true));
    // As JOSDK hands it to updateErrorStatus: wrapped.
    assertThat(ErrorStatus.classify(new io.javaoperatorsdk.operator.OperatorException(new ErrorStatus.RetryLater(
        "Forbidden", "grant it", true)))).isEqualTo(new ErrorStatus.Failure("Forbidden", "grant it", true, true));
    assertThat(ErrorStatus.classify(new io.javaoperatorsdk.operator.OperatorException(new IllegalStateException(
        "boom"))).message()).startsWith("IllegalStateException: boom");
    assertThat(ErrorStatus.classify(new io.javaoperatorsdk.operator.OperatorException(http(503))).reason())
        .isEqualTo("ApiServerUnavailable");
  }

  @Test
  void updateWritesSyncedAndNextRetryTimeAndOneEventPerNewFailure() {
    Database db = claim();
    var control = ErrorStatus.update(db, 3, null, http(503), warning, CLOCK);
    assertThat(control.isNoRetry()).isFalse();
    assertThat(control.getResource()).containsSame(db);
    // Attempt 3 (the fourth failure) waits 4 s.
    assertThat(db.getStatus().nextRetryTime).isEqualTo("2026-12-02T08:00:04Z");
    assertThat(Conditions.reason(db.getStatus(), Conditions.SYNCED)).isEqualTo("ApiServerUnavailable");
    assertThat(Conditions.isTrue(db.getStatus(), Conditions.READY)).as("a passing failure keeps Ready").isTrue();
    assertThat(events).containsExactly("ApiServerUnavailable");

    // The same failure again, as the informer now holds it: no second Event, a later nextRetryTime.
    Database cached = claim();
    ErrorStatus.update(cached, 0, null, http(503), (o, r, m) -> { }, CLOCK);
    Database again = claim();
    ErrorStatus.update(again, 6, cached, http(503), warning, CLOCK);
    assertThat(events).hasSize(1);
    assertThat(again.getStatus().nextRetryTime).isEqualTo("2026-12-02T08:00:30Z");
  }

  @Test
  void permanentFailureIsNotRetriedAndClearsNextRetryTime() {
    Database db = claim();
    db.getStatus().nextRetryTime = "2026-12-02T07:59:00Z";
    var control = ErrorStatus.update(db, 2, null, http(422), warning, CLOCK);
    assertThat(control.isNoRetry()).isTrue();
    assertThat(db.getStatus().nextRetryTime).isNull();
    assertThat(Conditions.reason(db.getStatus(), Conditions.READY)).isEqualTo("Invalid");
    assertThat(Conditions.find(db.getStatus().conditions, Conditions.SYNCED).orElseThrow().getObservedGeneration())
        .isEqualTo(3L);
    assertThat(events).containsExactly("Invalid");
  }
}
