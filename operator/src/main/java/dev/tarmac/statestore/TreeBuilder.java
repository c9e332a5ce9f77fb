package dev.tarmac.statestore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Builds the files of a state store's next commit, as plain data: a tree is a map from path (relative to the
 * repository root, {@code /}-separated) to blob id, and blobs are read and written through {@link Blobs}. No
 * repository, no I/O of its own: {@link GitWriter} reads the branch tip's tree into a map, calls {@link #build}, and
 * writes the result as a commit.
 *
 * <p>What a batch does to the tree (the layout is {@link StateStoreLayout}'s, described in docs/gitops.md):
 * <ul>
 *   <li>{@link GitWriter.Put}: the Work owns exactly the given files under
 *       {@code <destinationDir>/<ownerDir>/}; files its previous index named and it no longer has are dropped; its
 *       index {@code <destinationDir>/.tarmac/works/<workKey>} lists its files' full paths, one a line, sorted.</li>
 *   <li>{@link GitWriter.Remove}: every file the Work's index names, and the index, are dropped.</li>
 *   <li>Re-publication ({@link Republication}): before the batch, the Works it names get back their index and the
 *       files that index names, as the source tree has them (after a history rewrite dropped them).</li>
 *   <li>Every Destination folder a change or a re-publication touched gets its {@code kustomization.yaml}
 *       regenerated ({@link StateStoreLayout#kustomization}); it is removed when the folder has no YAML left.</li>
 * </ul>
 * Applying a batch twice gives the same tree: every change says what the Work's files must be, not how to edit them.
 */
public final class TreeBuilder {

  /** Where blob contents live: content-addressed storage such as a Git object database. */
  public interface Blobs {
    /** Stores {@code content} (bytes of a file) and returns its blob id; the same content gives the same id. */
    ObjectId write(byte[] content);

    /**
     * The content of blob {@code id}.
     *
     * @throws java.io.UncheckedIOException when the blob cannot be read (missing from the store)
     */
    byte[] read(ObjectId id);
  }

  /**
   * Works to put back as {@code source} has them, in the same commit as the batch.
   *
   * @param source the files of the commit to copy from (path → blob), e.g. the tip before a rewrite
   * @param works destination folder → index keys of the Works to put back; null: every Work with an index in
   *     {@code source} (what a writer that has written nothing yet since it started knows)
   * @param why the end of the commit subject {@code tarmac: re-publish N Work(s) <why>}, e.g. "after the branch's
   *     history was rewritten"
   */
  public record Republication(Map<String, ObjectId> source, Map<String, Set<String>> works, String why) {
  }

  /**
   * The tree after a batch.
   *
   * @param files every file of the new tree (path → blob)
   * @param unchanged true when {@code files} equals the base tree: no commit is needed
   * @param changed one flag per change of the batch, in order: whether that change altered the tree
   * @param destinations the Destination folders whose files changed (kustomization included), sorted
   * @param republished how many Works the re-publication put back (0 when nothing was missing)
   * @param message the commit message: a subject line ({@code tarmac: ...}), then one line per change that altered
   *     the tree (at most 50), then the number of changes in the batch
   */
  public record Result(TreeMap<String, ObjectId> files, boolean unchanged, List<Boolean> changed,
      Set<String> destinations, int republished, String message) {
  }

  /** The most change lines a commit message lists. */
  static final int MESSAGE_LINES = 50;

  private TreeBuilder() {
  }

  /**
   * Applies a batch to {@code base}.
   *
   * @param base the files of the branch tip (empty for an empty or missing branch); not modified
   * @param changes the batch, applied in order
   * @param republication Works to put back first; null for none
   * @param subject the commit subject after {@code "tarmac: "}; null to describe the changes (the one change, or
   *     "N objects changed", or the re-publication)
   * @param blobs where file contents are written and index blobs read
   * @return the new tree, what changed and the commit message
   * @throws WorkRejectedException when a Put names a file path that escapes its folder
   *     ({@link StateStoreLayout#checkPath})
   */
  public static Result build(Map<String, ObjectId> base, List<? extends GitWriter.Change> changes,
      Republication republication, String subject, Blobs blobs) {
    TreeMap<String, ObjectId> files = new TreeMap<>(base);
    Set<String> touched = new LinkedHashSet<>();
    Set<String> lines = new TreeSet<>();
    int republished = 0;
    if (republication != null) {
      Map<String, Set<String>> works = republication.works() != null ? republication.works()
          : indexedWorks(republication.source());
      for (Map.Entry<String, Set<String>> e : works.entrySet()) {
        for (String key : e.getValue()) {
          if (republish(e.getKey(), key, republication.source(), files, blobs)) {
            lines.add("re-publish " + key + " in " + (e.getKey().isEmpty() ? "/" : e.getKey()));
            republished++;
          }
        }
        touched.add(e.getKey());
      }
    }
    List<Boolean> changed = new ArrayList<>(changes.size());
    for (GitWriter.Change change : changes) {
      boolean did = apply(change, files, blobs);
      changed.add(did);
      if (did) {
        lines.add((change instanceof GitWriter.Remove ? "remove " : "write ") + change.describe());
      }
      touched.add(change.destinationDir());
    }
    for (String dest : touched) {
      String prefix = prefix(dest);
      List<String> inDest = files.keySet().stream().filter(f -> f.startsWith(prefix))
          .map(f -> f.substring(prefix.length())).toList();
      String kustomization = StateStoreLayout.kustomization(inDest);
      if (kustomization == null) {
        files.remove(prefix + "kustomization.yaml");
      } else {
        files.put(prefix + "kustomization.yaml", blobs.write(kustomization.getBytes(StandardCharsets.UTF_8)));
      }
    }
    boolean unchanged = files.equals(base);
    Set<String> destinations = new TreeSet<>();
    for (String dest : touched) {
      if (!within(files, prefix(dest)).equals(within(base, prefix(dest)))) {
        destinations.add(dest);
      }
    }
    if (unchanged) {
      // Nothing is committed, so no change altered the tree (two changes that cancel out included).
      Collections.fill(changed, false);
    }
    return new Result(files, unchanged, List.copyOf(changed), Collections.unmodifiableSet(destinations), republished,
        message(lines, changes.size(), republished, republication == null ? null : republication.why(), subject));
  }

  /** The index keys of every Work with an index file in {@code files}: destination folder → keys. */
  static Map<String, Set<String>> indexedWorks(Map<String, ObjectId> files) {
    Map<String, Set<String>> works = new TreeMap<>();
    String marker = StateStoreLayout.INDEX_DIR + "/";
    for (String path : files.keySet()) {
      String dest;
      String key;
      if (path.startsWith(marker)) {
        dest = "";
        key = path.substring(marker.length());
      } else {
        int at = path.lastIndexOf("/" + marker);
        if (at < 0) {
          continue;
        }
        dest = path.substring(0, at);
        key = path.substring(at + 1 + marker.length());
      }
      if (!key.isEmpty() && !key.contains("/")) {
        works.computeIfAbsent(dest, d -> new TreeSet<>()).add(key);
      }
    }
    return works;
  }

  private static String prefix(String destinationDir) {
    return destinationDir.isEmpty() ? "" : destinationDir + "/";
  }

  private static Map<String, ObjectId> within(Map<String, ObjectId> files, String prefix) {
    Map<String, ObjectId> out = new TreeMap<>();
    files.forEach((path, blob) -> {
      if (path.startsWith(prefix)) {
        out.put(path, blob);
      }
    });
    return out;
  }

  private static String indexPath(String destinationDir, String workKey) {
    return prefix(destinationDir) + StateStoreLayout.INDEX_DIR + "/" + workKey;
  }

  /** Applies one change to the file map; true when it changed anything. */
  private static boolean apply(GitWriter.Change change, TreeMap<String, ObjectId> files, Blobs blobs) {
    String indexPath = indexPath(change.destinationDir(), change.workKey());
    if (!(change instanceof GitWriter.Put put)) {
      return replace(indexPath, Map.of(), null, files, blobs);
    }
    String owner = prefix(change.destinationDir()) + change.ownerDir() + "/";
    Map<String, ObjectId> wanted = new TreeMap<>();
    for (Map.Entry<String, String> f : new TreeMap<>(put.files()).entrySet()) {
      wanted.put(owner + StateStoreLayout.checkPath(f.getKey()),
          blobs.write(f.getValue().getBytes(StandardCharsets.UTF_8)));
    }
    ObjectId index = blobs.write((String.join("\n", wanted.keySet()) + "\n").getBytes(StandardCharsets.UTF_8));
    return replace(indexPath, wanted, index, files, blobs);
  }

  /**
   * Puts back the files of the Work {@code workKey} in destination folder {@code destinationDir} as {@code source}
   * has them (its index and every file the index names); true when that changed anything. A Work with no index in
   * {@code source} is left alone.
   */
  private static boolean republish(String destinationDir, String workKey, Map<String, ObjectId> source,
      TreeMap<String, ObjectId> files, Blobs blobs) {
    String indexPath = indexPath(destinationDir, workKey);
    ObjectId index = source.get(indexPath);
    if (index == null) {
      return false;
    }
    Map<String, ObjectId> wanted = new TreeMap<>();
    for (String path : listed(index, blobs)) {
      if (source.containsKey(path)) {
        wanted.put(path, source.get(path));
      }
    }
    return replace(indexPath, wanted, index, files, blobs);
  }

  /**
   * Makes the Work whose index is at {@code indexPath} own exactly {@code wanted} (path → blob): the files its current
   * index names are dropped, then {@code wanted} and the index blob {@code index} are written (no index: the Work is
   * removed). True when the file map changed.
   */
  private static boolean replace(String indexPath, Map<String, ObjectId> wanted, ObjectId index,
      TreeMap<String, ObjectId> files, Blobs blobs) {
    ObjectId previousIndex = files.get(indexPath);
    Set<String> previous = previousIndex == null ? Set.of() : listed(previousIndex, blobs);
    Map<String, ObjectId> before = new TreeMap<>();
    previous.forEach(p -> {
      if (files.containsKey(p)) {
        before.put(p, files.get(p));
      }
    });
    if (previousIndex != null) {
      before.put(indexPath, previousIndex);
    }
    previous.forEach(files::remove);
    files.remove(indexPath);
    Map<String, ObjectId> after = new TreeMap<>(wanted);
    if (index != null) {
      after.put(indexPath, index);
    }
    files.putAll(after);
    return !before.equals(after);
  }

  /** The paths an index blob names, one a line. */
  private static Set<String> listed(ObjectId index, Blobs blobs) {
    Set<String> paths = new TreeSet<>();
    new String(blobs.read(index), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).forEach(paths::add);
    return paths;
  }

  private static String message(Set<String> lines, int changes, int republished, String why, String subject) {
    StringBuilder m = new StringBuilder("tarmac: ");
    if (subject != null) {
      m.append(subject);
    } else if (republished > 0) {
      m.append("re-publish ").append(republished).append(" Work(s) ").append(why);
    } else if (lines.size() == 1) {
      m.append(lines.iterator().next());
    } else {
      m.append(lines.size()).append(" objects changed");
    }
    m.append("\n\n");
    int shown = 0;
    for (String line : lines) {
      if (shown++ == MESSAGE_LINES) {
        m.append("... and ").append(lines.size() - MESSAGE_LINES).append(" more\n");
        break;
      }
      m.append("- ").append(line).append('\n');
    }
    m.append("\n(").append(changes).append(" change(s) in this batch)\n");
    return m.toString();
  }
}
