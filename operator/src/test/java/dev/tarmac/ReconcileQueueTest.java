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
}
