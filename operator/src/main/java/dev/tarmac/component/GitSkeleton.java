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
 * relative to it), byte-exact, with its mode: 100755 is executable. Refused ({@link InvalidSkeletonException}):
 * symbolic links (mode 120000, whatever they point to), submodules (160000), names that break
 * {@link Skeleton#checkPath}, files over 64 MiB, over 256 MiB together, more than 1,000 files.
 */
final class GitSkeleton {

  /** Largest file, bytes: binary files are kept byte-exact; text over the render limit fails when rendered. */
  static final long MAX_FILE = 64L * 1024 * 1024;
  /** Most bytes of one skeleton, all files together. */
  static final long MAX_TOTAL = 256L * 1024 * 1024;
  private static final int MAX_FILES = 1000;

  /**
   * Where a skeleton is: a Git repository, a ref (null: its default branch) and a folder ({@code ""}: its root).
   *
   * @param url what JGit clones
   * @param ref branch or tag, null for the default branch
   * @param path folder inside the repository, no leading or trailing slash
   */
  record Location(String url, String ref, String path) {
  }

  private static final java.util.regex.Pattern TREE = java.util.regex.Pattern.compile(
      "^(https?://[^?#]+?)(?:\\.git)?/(?:-/)?(?:tree|blob)/([^/?#]+)(?:/([^?#]*))?/?$");

  /**
   * A Backstage {@code fetch:*} URL as a Git location. GitHub's and GitLab's browse URLs,
   * {@code https://github.com/o/r/tree/<ref>/<path>} and {@code https://gitlab.com/g/r/-/tree/<ref>/<path>}, name
   * the repository {@code https://github.com/o/r}, the ref and the folder (a ref containing {@code /} cannot be told
   * apart from a folder: its first segment is the ref). Any other URL is a repository whose default branch's root is
   * the skeleton. Pure.
   */
  static Location location(String url) {
    java.util.regex.Matcher m = TREE.matcher(url);
    if (m.matches()) {
      String path = m.group(3) == null ? "" : m.group(3).replaceAll("/+$", "");
      return new Location(m.group(1), m.group(2), path);
    }
    return new Location(url, null, "");
  }

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
    return read(git.path("url").asText(""), git.hasNonNull("ref") ? git.get("ref").asText() : null,
        git.path("path").asText("."));
  }

  /**
   * Reads the files under folder {@code path} of {@code ref} of {@code url}.
   *
   * @param ref a branch or tag; null for the default branch
   * @param path a folder, {@code .} or {@code ""} for the root; {@code ./} prefixes are dropped
   * @return path to file (relative to {@code path}), in tree order
   * @throws IllegalStateException when the repository cannot be read (retried later)
   * @throws IllegalArgumentException when {@code url} is empty or {@code path} is not a folder of the repository
   * @throws InvalidSkeletonException when a file is refused (see above)
   */
  static Map<String, RepositoryPublisher.File> read(String url, String ref, String path) {
    if (url.isEmpty()) {
      throw new IllegalArgumentException("skeleton.git.url is empty");
    }
    String base = (path == null ? "." : path).replaceAll("^(\\./)+|/+$", "");
    if (!base.isEmpty() && !base.equals(".")) {
      try {
        Skeleton.checkPath(base, "skeleton.git.path");
      } catch (InvalidSkeletonException e) {
        throw new IllegalArgumentException("skeleton.git.path " + Skeleton.printable(path)
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
      if (ref != null) {
        clone.setBranch(ref);
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
    long total = 0;
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
        total += blob.getSize();
        if (total > MAX_TOTAL) {
          throw new InvalidSkeletonException("the skeleton's files are over " + MAX_TOTAL + " bytes together, the"
              + " limit");
        }
        files.put(name, new RepositoryPublisher.File(blob.getCachedBytes((int) MAX_FILE),
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
