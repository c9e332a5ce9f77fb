package dev.tarmac.component;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A Template's skeleton: the files {@code fetch:template} renders. Inline ({@code spec.skeleton.files}) each file is
 * {@code path: content} or {@code path: {content, executable}}; from Git ({@code spec.skeleton.git}, see
 * {@link GitSkeleton}) a file is executable when its mode is 100755, as Backstage's {@code fetch:template} keeps a
 * skeleton file's mode. An inline file given as plain text is executable when its name ends in {@code .sh}.
 *
 * <p>Every file name, as written and as rendered, is a plain relative path inside the skeleton: not absolute, no
 * {@code .} or {@code ..} or empty segment, no {@code .git} segment, no control character (NUL included), at most
 * 1,024 characters and 255 per segment. Symbolic links and submodules are refused (Git skeletons).
 */
public final class Skeleton {

  /** Longest file name, characters. */
  static final int MAX_PATH = 1024;
  /** Longest segment of a file name, characters (most file systems' limit). */
  static final int MAX_SEGMENT = 255;

  private Skeleton() {
  }

  /**
   * Reads inline skeleton files.
   *
   * @param files {@code spec.skeleton.files}
   * @throws InvalidSkeletonException when a name breaks the rules above or an entry is neither text nor
   *     {@code {content, executable}}
   */
  static Map<String, RepositoryPublisher.File> inline(JsonNode files) {
    Map<String, RepositoryPublisher.File> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext();) {
      var e = it.next();
      String name = checkPath(e.getKey(), "skeleton file");
      JsonNode v = e.getValue();
      if (v.isObject()) {
        JsonNode content = v.path("content");
        JsonNode executable = v.path("executable");
        if (!content.isTextual() || !(executable.isMissingNode() || executable.isBoolean())) {
          throw new InvalidSkeletonException("skeleton file " + printable(name) + " must be text, or {content: text,"
              + " executable: true|false}");
        }
        out.put(name, new RepositoryPublisher.File(content.asText(), executable.asBoolean(false)));
      } else if (v.isValueNode() && !v.isNull()) {
        out.put(name, new RepositoryPublisher.File(v.asText(), name.endsWith(".sh")));
      } else {
        throw new InvalidSkeletonException("skeleton file " + printable(name) + " must be text, or {content: text,"
            + " executable: true|false}");
      }
    }
    return out;
  }

  /**
   * What is wrong with inline skeleton files as written (names and shapes), for the Template's own status; names that
   * are templated are checked again once rendered.
   *
   * @param files {@code spec.skeleton.files}, may be null
   * @return one message per bad file, empty when all are fine
   */
  public static java.util.List<String> problems(JsonNode files) {
    java.util.List<String> problems = new java.util.ArrayList<>();
    if (files == null || !files.isObject()) {
      return problems;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext();) {
      var e = it.next();
      try {
        inline(Serialization.JSON.createObjectNode().set(e.getKey(), e.getValue()));
      } catch (InvalidSkeletonException ex) {
        problems.add(ex.getMessage());
      }
    }
    return problems;
  }

  /**
   * Checks one file name.
   *
   * @param what names it in the message, e.g. {@code skeleton file} or {@code skeleton file x renders to a name that}
   * @return {@code path}
   * @throws InvalidSkeletonException when it breaks a rule; the message names the file and says what to change
   */
  static String checkPath(String path, String what) {
    String shown = printable(path);
    if (path == null || path.isBlank()) {
      throw new InvalidSkeletonException(what + " '" + shown + "' has no name: give every file a relative path");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new InvalidSkeletonException(what + " '" + shown + "' contains a control character (" + (c == 0
            ? "NUL" : String.format("U+%04X", (int) c)) + "): use printable file names");
      }
    }
    if (path.length() > MAX_PATH) {
      throw new InvalidSkeletonException(what + " '" + shown + "' is " + path.length() + " characters long, over the"
          + " limit of " + MAX_PATH + ": use a shorter path");
    }
    if (path.startsWith("/") || path.contains("\\") || path.matches("^[A-Za-z]:.*") || path.startsWith("~")) {
      throw new InvalidSkeletonException(what + " '" + shown + "' is an absolute path: use a path relative to the"
          + " skeleton such as src/main.go");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new InvalidSkeletonException(what + " '" + shown + "' leaves the skeleton or has an empty segment:"
            + " use a plain relative path such as src/main.go");
      }
      if (segment.toLowerCase(Locale.ROOT).equals(".git")) {
        throw new InvalidSkeletonException(what + " '" + shown + "' is inside .git, which Git itself owns: rename"
            + " the folder");
      }
      if (segment.length() > MAX_SEGMENT) {
        throw new InvalidSkeletonException(what + " '" + shown + "' has a segment over " + MAX_SEGMENT
            + " characters: use shorter names");
      }
    }
    return path;
  }

  /** A name fit for a message: control characters escaped, at most 200 characters. */
  static String printable(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    int i = 0;
    for (; i < s.length() && out.length() < 200; i++) {
      char c = s.charAt(i);
      out.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return i < s.length() ? out + "..." : out.toString();
  }
}
