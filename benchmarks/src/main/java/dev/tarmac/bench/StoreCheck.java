package dev.tarmac.bench;

import dev.tarmac.api.Work;
import dev.tarmac.statestore.StateStoreLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * What a state store's Git tree holds against what the Works say should be there, checked from outside: the tree is
 * read from a bare repository on disk (the {@code git daemon}'s, or a fetched copy of an embedded store), the
 * expectation computed from the Works' {@code spec.files} with the operator's own layout rules
 * ({@link StateStoreLayout}: {@code <destination>/resources/<namespace>/<kind>/<name>/<file>}, one index entry per Work
 * under {@code .tarmac/works/}, a {@code kustomization.yaml} listing every YAML file).
 */
final class StoreCheck {

  private StoreCheck() {
  }

  /**
   * The comparison of one Destination folder.
   *
   * @param expected files the Works place there
   * @param lost expected files (or index entries) missing from the tree
   * @param stale files present with other content than the Work's (an older generation), plus a wrong
   *     {@code kustomization.yaml}
   * @param extra files (or index entries) no Work accounts for: duplicated or left behind
   * @param examples up to five paths of each kind, for the report
   */
  record Result(int expected, int lost, int stale, int extra, List<String> examples) {
    boolean clean() {
      return lost == 0 && stale == 0 && extra == 0;
    }

    @Override
    public String toString() {
      return expected + " files expected, " + lost + " lost, " + stale + " stale, " + extra + " extra"
          + (examples.isEmpty() ? "" : " " + examples);
    }
  }

  /**
   * Compares {@code tree} (path → content, the whole repository) under {@code destinationDir} (no trailing slash;
   * empty for the root) with {@code works}: every Work's files, its index entry, and the folder's kustomization. Files
   * outside {@code resources/<namespaces>} of the Works' namespaces (other Promises' outputs) are not judged. Pure.
   */
  static Result compare(Map<String, String> tree, String destinationDir, Collection<Work> works) {
    String prefix = destinationDir.isEmpty() ? "" : destinationDir + "/";
    Map<String, String> expected = new TreeMap<>();
    Set<String> indexes = new TreeSet<>();
    Set<String> namespaces = new TreeSet<>();
    for (Work w : works) {
      String owner = prefix + StateStoreLayout.ownerDir(w) + "/";
      w.getSpec().files.forEach(f -> expected.put(owner + f.path, f.content));
      indexes.add(prefix + StateStoreLayout.INDEX_DIR + "/" + StateStoreLayout.indexKey(w));
      namespaces.add(w.getMetadata().getNamespace());
    }
    List<String> examples = new ArrayList<>();
    int lost = 0;
    int stale = 0;
    int extra = 0;
    for (var e : expected.entrySet()) {
      String actual = tree.get(e.getKey());
      if (actual == null) {
        lost++;
        example(examples, "lost " + e.getKey());
      } else if (!actual.equals(e.getValue())) {
        stale++;
        example(examples, "stale " + e.getKey());
      }
    }
    for (String index : indexes) {
      if (!tree.containsKey(index)) {
        lost++;
        example(examples, "lost " + index);
      }
    }
    // The kustomization that should be there: every file the Works place, plus what is not theirs to judge.
    List<String> inFolder = new ArrayList<>();
    expected.keySet().forEach(p -> inFolder.add(p.substring(prefix.length())));
    for (String path : tree.keySet()) {
      if (!path.startsWith(prefix)) {
        continue;
      }
      boolean judged = namespaces.stream().anyMatch(ns -> path.startsWith(prefix + "resources/" + ns + "/"))
          || path.startsWith(prefix + StateStoreLayout.INDEX_DIR + "/") && namespaces.stream()
              .anyMatch(ns -> path.startsWith(prefix + StateStoreLayout.INDEX_DIR + "/" + ns + "."));
      if (!judged) {
        inFolder.add(path.substring(prefix.length()));
      } else if (!expected.containsKey(path) && !indexes.contains(path)) {
        extra++;
        example(examples, "extra " + path);
      }
    }
    String kustomization = StateStoreLayout.kustomization(inFolder);
    if (!works.isEmpty() && !java.util.Objects.equals(kustomization, tree.get(prefix + "kustomization.yaml"))) {
      stale++;
      example(examples, "stale " + prefix + "kustomization.yaml");
    }
    return new Result(expected.size(), lost, stale, extra, examples);
  }

  private static void example(List<String> examples, String s) {
    if (examples.size() < 5) {
      examples.add(s);
    }
  }

  /** Every file on {@code branch} of the bare repository {@code gitDir}: path → content (UTF-8); empty when none. */
  static Map<String, String> read(Path gitDir, String branch) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setMustExist(true).build()) {
      ObjectId tip = repo.resolve("refs/heads/" + branch);
      if (tip == null) {
        return files;
      }
      try (RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
        tree.addTree(walk.parseCommit(tip).getTree());
        tree.setRecursive(true);
        while (tree.next()) {
          files.put(tree.getPathString(), new String(repo.open(tree.getObjectId(0)).getBytes(),
              StandardCharsets.UTF_8));
        }
      }
    }
    return files;
  }

  /** The commit {@code branch} of {@code gitDir} points at, or null. */
  static String tip(Path gitDir, String branch) throws IOException {
    try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setMustExist(true).build()) {
      ObjectId tip = repo.resolve("refs/heads/" + branch);
      return tip == null ? null : tip.name();
    }
  }
}
