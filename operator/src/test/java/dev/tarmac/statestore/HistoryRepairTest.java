package dev.tarmac.statestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;

/** Finding dropped commits and what to put back, over commit ids and an ancestry table: no repository. */
class HistoryRepairTest {

  private static ObjectId id(int n) {
    return ObjectId.fromString((Integer.toHexString(n) + "0".repeat(40)).substring(0, 40));
  }

  /** Commit → its ancestors (itself included). */
  private final Map<ObjectId, Set<ObjectId>> history = new HashMap<>();
  /** Commit → files; a commit missing here is not in the local repository. */
  private final Map<ObjectId, Map<String, ObjectId>> trees = new HashMap<>();

  private final HistoryRepair.Ancestry ancestry = (tip, commit) -> history.getOrDefault(tip, Set.of()).contains(commit);
  private final HistoryRepair.Files files = trees::get;

  private static final GitWriter.Put R1 = new GitWriter.Put("dev", "resources/default/Redis/r1", "default.r1",
      Map.of("redis.yaml", "kind: A\n"));
  private static final GitWriter.Put R2 = new GitWriter.Put("dev", "resources/default/Redis/r2", "default.r2",
      Map.of("redis.yaml", "kind: A\n"));

  @Test
  void nothingToCheckBeforeAnythingIsKeptAndNothingWhenTheTipStillContainsIt() throws Exception {
    HistoryRepair repair = new HistoryRepair("main", null);
    assertThat(repair.keep()).isNull();
    assertThat(repair.check(id(1), ancestry, files)).isNull();
    assertThat(repair.written(List.of(R1), id(1), true, null, 0)).isNull();
    assertThat(repair.keep()).isEqualTo(id(1));
    // A person's commit on top of Tarmac's is no rewrite.
    history.put(id(2), Set.of(id(1), id(2)));
    assertThat(repair.check(id(2), ancestry, files)).isNull();
    assertThat(repair.check(id(1), ancestry, files)).isNull();
    assertThat(repair.findings()).isZero();
  }

  @Test
  void aRewriteWhileRunningPutsBackTheWorksThisWriterPutAndNotTheOnesItRemoved() throws Exception {
    HistoryRepair repair = new HistoryRepair("main", null);
    trees.put(id(1), Map.of("dev/.tarmac/works/default.r1", id(100)));
    repair.written(List.of(R1, R2), id(1), true, null, 0);
    repair.written(List.of(new GitWriter.Remove("dev", "resources/default/Redis/r2", "default.r2")), id(1), false,
        null, 0);
    HistoryRepair.Finding f = repair.check(id(9), ancestry, files);
    assertThat(f).isNotNull();
    assertThat(f.dropped()).isEqualTo(id(1));
    assertThat(f.branchDeleted()).isFalse();
    assertThat(f.recorded()).isFalse();
    assertThat(f.atStart()).isFalse();
    assertThat(f.republication().works()).isEqualTo(Map.of("dev", Set.of("default.r1")));
    assertThat(f.republication().source()).isSameAs(trees.get(id(1)));
    assertThat(f.republication().why()).isEqualTo("after the branch's history was rewritten");

    String report = repair.written(List.of(), id(10), true, f, 1);
    assertThat(report).startsWith("the history of branch main was rewritten on the remote: commit 1000000, the last"
        + " one Tarmac pushed, is no longer on it; Tarmac re-published the files of 1 Work(s) in commit a000000");
    assertThat(repair.historyRewritten()).isEqualTo(report);
    assertThat(repair.branchRecreated()).isNull();
    assertThat(repair.findings()).isEqualTo(1);
    // The repaired tip is what the remote must keep next.
    assertThat(repair.keep()).isEqualTo(id(10));
  }

  @Test
  void aDeletedBranchIsFoundAndReportedApart() throws Exception {
    HistoryRepair repair = new HistoryRepair("main", null);
    trees.put(id(1), Map.of());
    repair.written(List.of(R1), id(1), true, null, 0);
    HistoryRepair.Finding f = repair.check(null, ancestry, files);
    assertThat(f.branchDeleted()).isTrue();
    assertThat(f.republication().why()).isEqualTo("into the re-created branch main");
    String report = repair.written(List.of(), id(2), true, f, 1);
    assertThat(report).isEqualTo("branch main was deleted on the remote; it held commit 1000000, the last one Tarmac"
        + " wrote; Tarmac re-created it with the files of 1 Work(s) in commit 2000000");
    assertThat(repair.branchRecreated()).isEqualTo(report);
    assertThat(repair.historyRewritten()).isNull();
    assertThat(repair.findings()).isEqualTo(1);
  }

  @Test
  void aRewriteWhileStoppedIsFoundAgainstTheRecordedCommitAndEveryIndexedWorkIsCopied() throws Exception {
    String recorded = id(5).name();
    trees.put(id(5), Map.of("dev/.tarmac/works/default.r1", id(100), "prod/.tarmac/works/default.r7", id(101)));
    HistoryRepair repair = new HistoryRepair("main", recorded);
    assertThat(repair.keep()).as("an idle writer checks from the start").isEqualTo(id(5));
    // Force-pushed back to an older commit (an ancestor of the recorded one).
    history.put(id(5), Set.of(id(4), id(5)));
    history.put(id(4), Set.of(id(4)));
    HistoryRepair.Finding f = repair.check(id(4), ancestry, files);
    assertThat(f.recorded()).isTrue();
    assertThat(f.atStart()).isTrue();
    assertThat(f.republication().works()).as("every Work indexed in the recorded commit").isNull();
    String report = repair.written(List.of(new GitWriter.Remove("prod", "x", "default.r7")), id(6), true, f, 2);
    assertThat(report).startsWith("the history of branch main was rewritten on the remote while Tarmac was not"
        + " connected (found at its first fetch after start): commit 5000000, the last one recorded in"
        + " status.lastCommit, is no longer on it; Tarmac re-published the files of 2 Work(s) in commit 6000000");
    // Later rewrites protect the copied Works, less the one the batch removed.
    trees.put(id(6), Map.of());
    HistoryRepair.Finding next = repair.check(id(8), ancestry, files);
    assertThat(next.republication().works()).isEqualTo(Map.of("dev", Set.of("default.r1")));
    assertThat(next.atStart()).isFalse();
    assertThat(next.recorded()).isFalse();
  }

  @Test
  void aRecordedCommitTheTipStillContainsIsNoFinding() throws Exception {
    history.put(id(7), Set.of(id(5), id(7)));
    HistoryRepair repair = new HistoryRepair("main", id(5).name());
    assertThat(repair.check(id(7), ancestry, files)).isNull();
    assertThat(repair.check(id(5), ancestry, files)).isNull();
    assertThat(new HistoryRepair("main", "not-a-sha").keep()).isNull();
  }

  @Test
  void aDroppedCommitTheLocalRepositoryLostCanOnlyBeReported() throws Exception {
    HistoryRepair repair = new HistoryRepair("main", id(5).name());
    HistoryRepair.Finding f = repair.check(null, ancestry, files);
    assertThat(f.branchDeleted()).isTrue();
    assertThat(f.republication()).isNull();
    String report = repair.written(List.of(), null, false, f, 0);
    assertThat(report).startsWith("branch main was deleted on the remote while Tarmac was not connected")
        .endsWith("commit 5000000 is not in Tarmac's local repository to copy from, so every Work is written again"
            + " as it is reconciled");
    // Nothing left to guard: the Works re-create the branch as they are written.
    assertThat(repair.keep()).isNull();
  }
}
