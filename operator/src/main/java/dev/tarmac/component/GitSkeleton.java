package dev.tarmac.component;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * A Template skeleton kept in a Git repository: {@code skeleton: {git: {url, ref, path}}}. Cloned with JGit (bare,
 * depth 1) into a temporary folder and read from Git's objects, never from a checkout, so nothing in the repository
 * is ever followed on the operator's disk. Every file of the tree under {@code path} becomes a skeleton file (path
 * relative to it) with its mode: 100755 is executable. Refused ({@link InvalidSkeletonException}): symbolic links
 * (mode 120000, whatever they point to), submodules (160000), names that break {@link Skeleton#checkPath}, files over
 * 1 MiB, more than 1,000 files.
 */
final class GitSkeleton {

  private static final long MAX_FILE = 1024 * 1024;
  private static final int MAX_FILES = 1000;

  private GitSkeleton() {
  }

  /**
   * Reads the skeleton.
   *
   * @return path to file, in tree order
   * @throws IllegalStateException when the repository cannot be read (retried later)
   * @throws IllegalArgumentException when {@code url} is empty or {@code path} is not a folder of the repository
   * @throws InvalidSkeletonException when a file is refused (see above)
   */
  static Map<String, RepositoryPublisher.File> read(JsonNode git) {
    String url = git.path("url").asText("");
    if (url.isEmpty()) {
      throw new IllegalArgumentException("skeleton.git.url is empty");
    }
    String base = git.path("path").asText(".").replaceAll("^(\\./)+|/+$", "");
    if (!base.isEmpty() && !base.equals(".")) {
      try {
        Skeleton.checkPath(base, "skeleton.git.path");
      } catch (InvalidSkeletonException e) {
        throw new IllegalArgumentException("skeleton.git.path " + Skeleton.printable(git.path("path").asText())
            + " is not a folder of " + url + ": " + e.getMessage());
      }
    } else {
      base = "";
    }
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("tarmac-skeleton");
      var clone = Git.cloneRepository().setURI(url).setDirectory(tmp.toFile()).setBare(true).setDepth(1)
          .setTimeout(30);
      if (git.hasNonNull("ref")) {
        clone.setBranch(git.get("ref").asText());
      }
      try (Git repo = clone.call()) {
        return files(repo.getRepository(), base, url);
      }
    } catch (GitAPIException e) {
      throw new IllegalStateException("cannot read the skeleton from " + url + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the skeleton: " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        deleteQuietly(tmp);
      }
    }
  }

  private static Map<String, RepositoryPublisher.File> files(Repository r, String base, String url) throws IOException {
    ObjectId head = r.resolve("HEAD^{commit}");
    if (head == null) {
      throw new IllegalArgumentException("the skeleton repository " + url + " has no commit on the ref asked for");
    }
    RevTree tree;
    try (RevWalk walk = new RevWalk(r)) {
      tree = walk.parseCommit(head).getTree();
    }
    ObjectId root = tree;
    if (!base.isEmpty()) {
      try (TreeWalk folder = TreeWalk.forPath(r, base, tree)) {
        if (folder == null || !FileMode.TREE.equals(folder.getRawMode(0))) {
          throw new IllegalArgumentException("skeleton.git.path " + base + " is not a folder of " + url);
        }
        root = folder.getObjectId(0);
      }
    }
    Map<String, RepositoryPublisher.File> files = new LinkedHashMap<>();
    try (TreeWalk walk = new TreeWalk(r)) {
      walk.addTree(root);
      walk.setRecursive(true);
      while (walk.next()) {
        String name = walk.getPathString();
        int mode = walk.getRawMode(0);
        if (FileMode.SYMLINK.equals(mode)) {
          String target = new String(r.open(walk.getObjectId(0)).getBytes(4096), StandardCharsets.UTF_8);
          throw new InvalidSkeletonException("skeleton file " + Skeleton.printable(name) + " in " + url + " is a"
              + " symbolic link (to " + Skeleton.printable(target) + "); symbolic links are refused: commit the file"
              + " itself");
        }
        if (FileMode.GITLINK.equals(mode)) {
          throw new InvalidSkeletonException("skeleton file " + Skeleton.printable(name) + " in " + url + " is a"
              + " submodule; submodules are refused: commit the files themselves");
        }
        if (!FileMode.REGULAR_FILE.equals(mode) && !FileMode.EXECUTABLE_FILE.equals(mode)) {
          throw new InvalidSkeletonException("skeleton file " + Skeleton.printable(name) + " in " + url + " has"
              + " mode " + Integer.toOctalString(mode) + "; only regular and executable files are allowed");
        }
        Skeleton.checkPath(name, "skeleton file");
        if (files.size() >= MAX_FILES) {
          throw new InvalidSkeletonException("the skeleton has more than " + MAX_FILES + " files, the limit");
        }
        ObjectLoader blob = r.open(walk.getObjectId(0));
        if (blob.getSize() > MAX_FILE) {
          throw new InvalidSkeletonException("skeleton file " + name + " is over " + MAX_FILE + " bytes, the limit");
        }
        files.put(name, new RepositoryPublisher.File(new String(blob.getBytes(), StandardCharsets.UTF_8),
            FileMode.EXECUTABLE_FILE.equals(mode)));
      }
    }
    return files;
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A temporary folder left behind is harmless.
    }
  }
}
