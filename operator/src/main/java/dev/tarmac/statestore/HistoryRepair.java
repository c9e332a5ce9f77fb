package dev.tarmac.statestore;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Notices when a store's remote branch lost what Tarmac wrote, and says what to put back. Two faults look alike from
 * here: the branch's history was rewritten (a force-push to an older or unrelated commit) and the branch was deleted.
 * Both drop the commit the writer must keep ({@link #keep()}: the last commit it pushed, or, for a writer that has
 * pushed nothing since it started, the store's {@code status.lastCommit} from before the start), so both are found
 * the same way, after each fetch: the remote's tip no longer contains that commit.
 *
 * <p>The repair is a {@link TreeBuilder.Republication} in the same commit as the next batch: the Works this writer
 * put (and did not remove) get their files back as the last tip it saw had them. While it still guards the recorded
 * commit (it has pushed nothing since it started), it copies every Work indexed in the last tip it saw, or in the
 * recorded commit itself when its local repository still has it (the data volume survived); otherwise nothing can be
 * copied and each Work is written again when it is next reconciled (every Work is, after a start and after a
 * rewrite). Each finding is reported once, for a person:
 * {@link #historyRewritten()} or {@link #branchRecreated()}.
 *
 * <p>Plain bookkeeping over commit ids: the writer asks the repository (ancestry, files) and passes the answers in,
 * so this class is tested without one. Not thread-safe: the writer's thread is its only user.
 */
final class HistoryRepair {

  /** Whether a tip's history contains a commit; false when the commit is unknown (not in that history). */
  @FunctionalInterface
  interface Ancestry {
    boolean contains(ObjectId tip, ObjectId commit) throws GitFailure;
  }

  /** The files of a commit, or null when the local repository does not have it. */
  @FunctionalInterface
  interface Files {
    Map<String, ObjectId> of(ObjectId commit) throws GitFailure;
  }

  /**
   * What a fetch showed.
   *
   * @param dropped the commit the remote no longer holds
   * @param branchDeleted the branch is gone (else its history was rewritten)
   * @param recorded the dropped commit is the one recorded before this writer started (it has pushed nothing since)
   * @param atStart found at this writer's first contact with the remote: the fault happened while it was not running
   * @param tip the branch's tip now (null when deleted)
   * @param republication what to put back; null when nothing can be copied
   */
  record Finding(ObjectId dropped, boolean branchDeleted, boolean recorded, boolean atStart, ObjectId tip,
      TreeBuilder.Republication republication) {
  }

  private final String branch;
  /** The commit the remote branch must go on containing; null until there is one. */
  private ObjectId keep;
  /** Whether {@link #keep} came from the store's status at start (this writer has not written yet). */
  private boolean keepFromRecord;
  /** The branch tip after the last successful batch: its tree holds the files of every Work in {@link #owned}. */
  private ObjectId lastTip;
  /** The Works this writer has put and not removed since it started: destination folder → index keys. */
  private final Map<String, Set<String>> owned = new TreeMap<>();
  /** Whether a batch has reached the remote since this writer started. */
  private boolean contacted;
  private long findings;
  private String historyRewritten;
  private String branchRecreated;

  /**
   * @param branch the branch written, for messages
   * @param recorded the commit the store's status recorded before this writer started (its remote must still contain
   *     it), or null when none is known
   */
  HistoryRepair(String branch, String recorded) {
    this.branch = branch;
    if (recorded != null && ObjectId.isId(recorded)) {
      keep = ObjectId.fromString(recorded);
      keepFromRecord = true;
    }
  }

  /** The commit the remote must go on containing (null: none yet); an idle writer checks it periodically. */
  ObjectId keep() {
    return keep;
  }

  /**
   * Checks the remote's {@code tip} (null: no branch) against {@link #keep()}.
   *
   * @return null when the remote still holds everything this writer wrote
   */
  Finding check(ObjectId tip, Ancestry ancestry, Files files) throws GitFailure {
    if (keep == null || keep.equals(tip) || (tip != null && ancestry.contains(tip, keep))) {
      return null;
    }
    // The source: the last tip this writer saw, else the recorded commit itself. The Works: those this writer put, or,
    // while it still guards a recorded commit, every Work indexed there (it has not been told about all of them yet).
    Map<String, ObjectId> source = files.of(lastTip != null ? lastTip : keep);
    TreeBuilder.Republication republication = source == null ? null
        : new TreeBuilder.Republication(source, keepFromRecord ? null : copy(owned), tip == null
            ? "into the re-created branch " + branch : "after the branch's history was rewritten");
    return new Finding(keep, tip == null, keepFromRecord, !contacted, tip, republication);
  }

  /**
   * Records a batch that reached the remote.
   *
   * @param changes the batch's changes (probes left out)
   * @param tip the branch tip now: the commit just made, or the remote's tip when nothing was committed
   * @param committed whether {@code tip} is a commit this writer just pushed
   * @param finding what the fetch before this batch showed (null: nothing dropped)
   * @param republished how many Works the batch's commit put back
   * @return the report of {@code finding} for a person; null when there was none
   */
  String written(Iterable<? extends GitWriter.Change> changes, ObjectId tip, boolean committed, Finding finding,
      int republished) {
    if (finding != null && finding.republication() != null && finding.republication().works() == null) {
      // Copied from the recorded commit: those Works are this writer's to keep now (the batch may remove some).
      TreeBuilder.indexedWorks(finding.republication().source()).forEach((dest, keys) ->
          owned.computeIfAbsent(dest, d -> new TreeSet<>()).addAll(keys));
    }
    for (GitWriter.Change change : changes) {
      if (change instanceof GitWriter.Put put) {
        owned.computeIfAbsent(put.destinationDir(), d -> new TreeSet<>()).add(put.workKey());
      } else if (change instanceof GitWriter.Remove remove) {
        Set<String> keys = owned.get(remove.destinationDir());
        if (keys != null) {
          keys.remove(remove.workKey());
          if (keys.isEmpty()) {
            owned.remove(remove.destinationDir());
          }
        }
      }
    }
    lastTip = tip;
    contacted = true;
    if (committed || finding != null) {
      // After a repair the new tip holds everything this writer wrote, so it is what the remote must keep next.
      keep = tip;
      keepFromRecord = false;
    }
    if (finding == null) {
      return null;
    }
    findings++;
    String report = report(finding, tip, committed, republished);
    if (finding.branchDeleted()) {
      branchRecreated = report;
    } else {
      historyRewritten = report;
    }
    return report;
  }

  private String report(Finding f, ObjectId tip, boolean committed, int republished) {
    String dropped = f.dropped().abbreviate(7).name();
    StringBuilder m = new StringBuilder();
    if (f.branchDeleted()) {
      m.append("branch ").append(branch).append(" was deleted on the remote")
          .append(f.atStart() ? " while Tarmac was not connected (found at its first fetch after start)" : "")
          .append("; it held commit ").append(dropped).append(f.recorded() ? ", the last one recorded in"
              + " status.lastCommit" : ", the last one Tarmac wrote").append("; ");
    } else {
      m.append("the history of branch ").append(branch).append(" was rewritten on the remote")
          .append(f.atStart() ? " while Tarmac was not connected (found at its first fetch after start)" : "")
          .append(": commit ").append(dropped).append(f.recorded() ? ", the last one recorded in status.lastCommit,"
              : ", the last one Tarmac pushed,").append(" is no longer on it; ");
    }
    if (republished > 0) {
      m.append("Tarmac ").append(f.branchDeleted() ? "re-created it with" : "re-published").append(" the files of ")
          .append(republished).append(" Work(s) in commit ").append(tip.abbreviate(7).name());
    } else if (f.republication() == null) {
      m.append("commit ").append(dropped).append(" is not in Tarmac's local repository to copy from, so every Work is"
          + " written again as it is reconciled");
    } else if (f.branchDeleted() && !committed) {
      m.append("nothing was left to put back; the next write re-creates it");
    } else {
      m.append(f.branchDeleted() ? "Tarmac re-created it; " : "")
          .append("the files of every Work Tarmac wrote were still there, nothing had to be re-published");
    }
    return m.toString();
  }

  /** How many times the remote was found to have dropped this writer's commits (rewrites and deleted branches). */
  long findings() {
    return findings;
  }

  /** The report of the last rewritten history; null when none was found. */
  String historyRewritten() {
    return historyRewritten;
  }

  /** The report of the last deleted (and re-created) branch; null when none was found. */
  String branchRecreated() {
    return branchRecreated;
  }

  private static Map<String, Set<String>> copy(Map<String, Set<String>> works) {
    Map<String, Set<String>> out = new TreeMap<>();
    works.forEach((dest, keys) -> out.put(dest, new TreeSet<>(keys)));
    return out;
  }
}
