package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReconcileQueueTest {

  @Test
  void manyEventsForOneKeyWhileQueuedCollapseIntoOneReconcile() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    try (ReconcileQueue q = new ReconcileQueue("t", 1, key -> {
      if (key.equals("block")) {
        gate.await(5, TimeUnit.SECONDS);
      } else {
        calls.incrementAndGet();
      }
      return ReconcileQueue.Result.DONE;
    })) {
      q.add("block");
      await().until(() -> q.depth() == 0);
      for (int i = 0; i < 100; i++) {
        q.add("a");
      }
      gate.countDown();
      await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() >= 1);
      Thread.sleep(200);
      assertThat(calls.get()).isEqualTo(1);
    }
  }

  @Test
  void aKeyIsNeverReconciledConcurrentlyAndAnEventDuringReconcileRunsItAgain() throws Exception {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (ReconcileQueue q = new ReconcileQueue("t", 4, key -> {
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      if (calls.incrementAndGet() == 1) {
        firstStarted.countDown();
        release.await(5, TimeUnit.SECONDS);
      }
      inFlight.decrementAndGet();
      return ReconcileQueue.Result.DONE;
    })) {
      q.add("k");
      firstStarted.await(5, TimeUnit.SECONDS);
      q.add("k");
      q.add("k");
      Thread.sleep(100);
      assertThat(calls.get()).isEqualTo(1);
      release.countDown();
      await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 2);
      Thread.sleep(200);
      assertThat(calls.get()).isEqualTo(2);
      assertThat(maxInFlight.get()).isEqualTo(1);
    }
  }

  @Test
  void failuresAreRetriedAndRequeueAfterIsHonoured() {
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    try (ReconcileQueue q = new ReconcileQueue("t", 2, key -> {
      int n = calls.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      if (key.equals("fails") && n < 3) {
        throw new IllegalStateException("boom " + n);
      }
      if (key.equals("timed") && n < 2) {
        return ReconcileQueue.Result.after(Duration.ofMillis(100));
      }
      return ReconcileQueue.Result.DONE;
    })) {
      q.add("fails");
      q.add("timed");
      await().atMost(Duration.ofSeconds(10)).until(() -> calls.get("fails") != null && calls.get("fails").get() == 3);
      await().atMost(Duration.ofSeconds(5)).until(() -> calls.get("timed").get() == 2);
    }
  }

  @Test
  void aFailureNotRetriedWaitsForTheNextEventAndTheHookSeesTheAttemptCount() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    java.util.List<Integer> attempts = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (ReconcileQueue q = new ReconcileQueue("t", 1, key -> {
      calls.incrementAndGet();
      throw new IllegalArgumentException("bad input");
    }, (key, e, attempt) -> {
      attempts.add(attempt);
      // Retried once (attempt 0), then given up: the key waits for an event.
      return attempt == 0;
    })) {
      q.add("k");
      await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() == 2);
      Thread.sleep(2_500);
      assertThat(calls.get()).as("no retry after the hook said no").isEqualTo(2);
      assertThat(attempts).containsExactly(0, 1);
      q.add("k");
      await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 3);
      // The count starts again after a failure that was not retried.
      await().atMost(Duration.ofSeconds(5)).until(() -> attempts.size() == 3);
      assertThat(attempts.get(2)).isZero();
    }
  }

  @Test
  void aHookThatThrowsDoesNotStopTheRetry() {
    AtomicInteger calls = new AtomicInteger();
    try (ReconcileQueue q = new ReconcileQueue("t", 1, key -> {
      if (calls.incrementAndGet() < 2) {
        throw new IllegalStateException("passing");
      }
      return ReconcileQueue.Result.DONE;
    }, (key, e, attempt) -> {
      throw new IllegalStateException("a bug in the hook");
    })) {
      q.add("k");
      await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() == 2);
    }
  }
}
