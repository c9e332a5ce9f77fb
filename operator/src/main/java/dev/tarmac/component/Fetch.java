package dev.tarmac.component;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Backstage's {@code fetch:template} and {@code fetch:plain} over skeleton files already read (inline or from Git):
 * which files are rendered, what they are called, where they go. Pure. The rules are those of Backstage's
 * {@code fetch:template} action (its documentation, "Writing templates" and the action's input schema):
 *
 * <ul>
 *   <li>Every file's contents and name (directory names included) are rendered with {@code values}.</li>
 *   <li>{@code copyWithoutRender}: glob patterns (micromatch with dot files: {@code *} stays within one directory,
 *       {@code **} crosses them); a file that matches is copied as it is, name and contents. A pattern that matches
 *       a directory only ({@code .github/workflows}) matches that directory, not the files in it, as in Backstage
 *       (write {@code .github/workflows/*}). {@code copyWithoutTemplating}: the same, but names are rendered.</li>
 *   <li>{@code templateFileExtension} ({@code true} means {@code .njk}): only files with that extension are rendered,
 *       and lose it; every name is rendered.</li>
 *   <li>A file whose name renders to nothing, to a path starting with {@code /} or containing {@code //} (a directory
 *       name rendering empty) is left out: that is how templates make files optional.</li>
 *   <li>Binary files (see {@link #isBinary}) are copied byte-exact, never rendered.</li>
 *   <li>{@code targetPath}: the folder of the workspace the files go to ({@code ./} by default); it must stay inside
 *       the workspace. A file already in the workspace is kept unless {@code replace: true}.</li>
 *   <li>Executable bits are kept.</li>
 * </ul>
 */
final class Fetch {

  /** Renders a template text; {@code what} names it in messages. */
  @FunctionalInterface
  interface Renderer {
    String render(String template, String what);
  }

  private Fetch() {
  }

  /**
   * {@code fetch:template}: renders {@code skeleton} into {@code workspace}.
   *
   * @param input the step's rendered input ({@code targetPath}, {@code copyWithoutRender},
   *     {@code copyWithoutTemplating}, {@code templateFileExtension}, {@code replace}; {@code values} are in the
   *     renderer's context)
   * @return how many files were written
   * @throws InvalidSkeletonException when a name, as written or rendered, or {@code targetPath} breaks
   *     {@link Skeleton#checkPath}
   * @throws IllegalArgumentException when both {@code copyWithoutRender} and {@code copyWithoutTemplating} are given
   */
  static int template(Map<String, RepositoryPublisher.File> skeleton, JsonNode input, Renderer renderer,
      Map<String, RepositoryPublisher.File> workspace) {
    if (input.has("copyWithoutRender") && input.has("copyWithoutTemplating")) {
      throw new IllegalArgumentException("copyWithoutRender and copyWithoutTemplating cannot be used together (as in"
          + " Backstage): keep one");
    }
    boolean renderNames = input.has("copyWithoutTemplating");
    List<PathMatcher> verbatim = matchers(input.has("copyWithoutTemplating") ? input.get("copyWithoutTemplating")
        : input.path("copyWithoutRender"));
    JsonNode ext = input.path("templateFileExtension");
    String extension = ext.isBoolean() ? (ext.asBoolean() ? ".njk" : null)
        : ext.isTextual() && !ext.asText().isEmpty() ? ext.asText() : null;
    String target = targetPath(input);
    boolean replace = input.path("replace").asBoolean(false);
    int written = 0;
    for (Map.Entry<String, RepositoryPublisher.File> f : skeleton.entrySet()) {
      String location = f.getKey();
      String shown = Skeleton.printable(location);
      boolean renderContents;
      String out = location;
      if (extension != null) {
        renderContents = out.endsWith(extension);
        if (renderContents) {
          out = out.substring(0, out.length() - extension.length());
        }
        out = renderer.render(out, "the name of skeleton file " + shown);
      } else {
        renderContents = !matches(verbatim, location);
        if (renderNames || renderContents) {
          out = renderer.render(out, "the name of skeleton file " + shown);
        }
      }
      if (out.isEmpty() || out.startsWith("/") || out.contains("//")) {
        continue;
      }
      out = Skeleton.checkPath(out, "skeleton file " + shown + " renders to the name");
      String path = target.isEmpty() ? out : target + "/" + out;
      if (workspace.containsKey(path) && !replace) {
        continue;
      }
      RepositoryPublisher.File file = f.getValue();
      if (renderContents && !isBinary(file.data())) {
        file = new RepositoryPublisher.File(renderer.render(file.content(), "skeleton file " + shown),
            file.executable());
      }
      workspace.put(path, file);
      written++;
    }
    return written;
  }

  /**
   * {@code fetch:plain}: copies {@code files} into {@code targetPath} of {@code workspace}, names and bytes as they
   * are. A file already in the workspace is replaced (Backstage's {@code fetch:plain} copies over).
   *
   * @return how many files were written
   */
  static int plain(Map<String, RepositoryPublisher.File> files, JsonNode input,
      Map<String, RepositoryPublisher.File> workspace) {
    String target = targetPath(input);
    for (Map.Entry<String, RepositoryPublisher.File> f : files.entrySet()) {
      workspace.put(target.isEmpty() ? f.getKey() : target + "/" + f.getKey(), f.getValue());
    }
    return files.size();
  }

  /** {@code targetPath} normalised: {@code ""} for the workspace itself, else a checked relative folder. */
  static String targetPath(JsonNode input) {
    String raw = input.path("targetPath").asText("./");
    String t = raw.replaceAll("^(\\./)+", "").replaceAll("/+$", "");
    if (t.isEmpty() || t.equals(".")) {
      return "";
    }
    return Skeleton.checkPath(t, "targetPath");
  }

  /**
   * A relative {@code url} of a step ({@code ./skeleton}, {@code ../shared/x}) joined to the folder of the template
   * ({@code base}, {@code ""} for the root), normalised.
   *
   * @throws IllegalArgumentException when the result leaves the repository
   */
  static String join(String base, String url) {
    Path p = Path.of(base.isEmpty() ? "." : base).resolve(url).normalize();
    String s = p.toString().replace('\\', '/');
    if (s.startsWith("..") || p.isAbsolute()) {
      throw new IllegalArgumentException("url " + url + " leaves the repository that holds the template");
    }
    return s.equals(".") ? "" : s;
  }

  /** Whether {@code url} is relative to the template ({@code ./x}, {@code ../x}, {@code x}), not a URL. */
  static boolean isRelative(String url) {
    return !url.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*") && !url.startsWith("/");
  }

  private static List<PathMatcher> matchers(JsonNode globs) {
    List<PathMatcher> out = new ArrayList<>();
    for (JsonNode g : globs) {
      String glob = g.asText().replaceAll("^\\./", "");
      out.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
      // micromatch's **/ also matches nothing (a file at the top); Java's glob needs one folder.
      while (glob.startsWith("**/")) {
        glob = glob.substring(3);
        out.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
      }
    }
    return out;
  }

  private static boolean matches(List<PathMatcher> matchers, String path) {
    Path p = Path.of(path);
    return matchers.stream().anyMatch(m -> m.matches(p));
  }

  /** How many of the first {@code n} bytes start or are invalid UTF-8 sequences. */
  private static int invalidUtf8(byte[] data, int n) {
    int bad = 0;
    for (int i = 0; i < n; i++) {
      int b = data[i] & 0xff;
      int more = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
      if (more < 0) {
        bad++;
        continue;
      }
      int j = 1;
      while (j <= more && i + j < n && (data[i + j] & 0xc0) == 0x80) {
        j++;
      }
      // A sequence cut by the end of the first 512 bytes is not counted.
      if (j <= more && i + j < n) {
        bad++;
      } else {
        i += more;
      }
    }
    return bad;
  }

  /**
   * Whether a file is binary, as the {@code isbinaryfile} package Backstage uses decides it, approximately: a NUL byte
   * in the first 512 bytes, or more than 10% of them control characters or bytes of invalid UTF-8 sequences. An empty
   * file and a file starting with a UTF-8 byte order mark are text.
   */
  static boolean isBinary(byte[] data) {
    int n = Math.min(512, data.length);
    if (n == 0 || n >= 3 && (data[0] & 0xff) == 0xef && (data[1] & 0xff) == 0xbb && (data[2] & 0xff) == 0xbf) {
      return false;
    }
    int suspicious = 0;
    for (int i = 0; i < n; i++) {
      int b = data[i] & 0xff;
      if (b == 0) {
        return true;
      }
      if (b < 7 || b > 14 && b < 32) {
        suspicious++;
      }
    }
    suspicious += invalidUtf8(data, n);
    return suspicious * 10 > n;
  }
}
