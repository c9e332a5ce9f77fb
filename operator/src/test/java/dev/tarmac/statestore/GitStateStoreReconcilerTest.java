package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Which repair a store's Ready condition shows, and for how long, from the writer's state alone. */
class GitStateStoreReconcilerTest {

  private static GitWriter.State state(Instant recreatedAt, Instant rewrittenAt, Instant branchAt) {
    return new GitWriter.State(true, "abc", null, null, null, null, 0, 1, 2, rewrittenAt == null ? null : "rewritten",
        rewrittenAt, recreatedAt == null ? null : "recreated", recreatedAt, branchAt == null ? null : "branch",
        branchAt);
  }

  @Test
  void theNewestRepairIsShownForTenMinutesThenNone() {
    Instant t0 = Instant.parse("2026-12-02T08:00:00Z");
    long shown = GitStateStoreReconciler.HISTORY_REWRITTEN_SHOWN_MS;
    assertThat(GitStateStoreReconciler.Notice.latest(state(null, null, null), t0.toEpochMilli())).isNull();

    var rewritten = GitStateStoreReconciler.Notice.latest(state(null, t0, null), t0.toEpochMilli() + 1000);
    assertThat(rewritten.reason()).isEqualTo("HistoryRewritten");
    assertThat(rewritten.message()).isEqualTo("rewritten");
    assertThat(rewritten.shownForMs()).isEqualTo(shown - 1000);

    // A deleted branch found after the rewrite is what the condition says now.
    var both = GitStateStoreReconciler.Notice.latest(state(t0.minusSeconds(5), t0, t0.plusSeconds(60)),
        t0.plusSeconds(61).toEpochMilli());
    assertThat(both.reason()).isEqualTo("BranchRecreated");
    assertThat(both.shownForMs()).isEqualTo(shown - 1000);

    // Ten minutes after the last one, the store is plainly Reachable again.
    assertThat(GitStateStoreReconciler.Notice.latest(state(t0.minusSeconds(5), t0, t0.plusSeconds(60)),
        t0.plusSeconds(60).toEpochMilli() + shown)).isNull();
    // An older notice still in its window shows when the newer one has none.
    var older = GitStateStoreReconciler.Notice.latest(state(t0, null, null), t0.toEpochMilli());
    assertThat(older.reason()).isEqualTo("RepositoryRecreated");
  }
}
