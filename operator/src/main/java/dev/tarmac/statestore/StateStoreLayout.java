package dev.tarmac.statestore;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.BoundedYaml;
import dev.tarmac.api.Work;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where a Work's files go in a state store, and whether they may go there. Pure.
 *
 * <p>Layout (shared/DESIGN.md, "State stores, Destinations, Works"), relative to the Destination's folder:
 * <pre>
 * resources/&lt;namespace&gt;/&lt;kind&gt;/&lt;name&gt;/&lt;file&gt;   a request's (or claim's) outputs
 * dependencies/&lt;promise&gt;/&lt;file&gt;                   a Promise's dependencies and promise-workflow outputs
 * kustomization.yaml                                   every YAML file below, so Flux and Argo CD sync the folder
 * .tarmac/works/&lt;work-key&gt;                          which files each Work owns (not YAML, ignored by GitOps tools)
 * </pre>
 * A cluster-scoped owner uses {@code _cluster} as its namespace.
 */
public final class StateStoreLayout {

  /** The folder, relative to a Destination's folder, where Tarmac records which files each Work owns. */
  public static final String INDEX_DIR = ".tarmac/works";
  /** The namespace segment for cluster-scoped owners. */
  public static final String CLUSTER_NAMESPACE = "_cluster";
  /** Kinds whose documents may reach Git: encrypted or referenced secrets, never plain ones. */
  static final Set<String> SECRET_KINDS_ALLOWED = Set.of("SealedSecret", "ExternalSecret", "SecretStore",
      "ClusterSecretStore");

  /**
   * Limits on what a Work may hold.
   *
   * @param maxFileBytes largest file, bytes (default 1 MiB; Kubernetes objects stop at about 1.5 MiB)
   * @param maxWorkBytes all files of one Work together, bytes (default 4 MiB)
   */
  public record Limits(long maxFileBytes, long maxWorkBytes) {
    /** 1 MiB per file, 4 MiB per Work. */
    public static final Limits DEFAULT = new Limits(1024 * 1024, 4 * 1024 * 1024);
  }

  private StateStoreLayout() {
  }

  /**
   * The folder a Work owns, relative to its Destination's folder.
   *
   * @throws WorkRejectedException when the Work names no owner
   */
  public static String ownerDir(Work work) {
    var spec = work.getSpec();
    if ("promise".equals(spec.workType)) {
      String promise = spec.promiseName != null ? spec.promiseName
          : spec.owner != null ? spec.owner.name : null;
      if (promise == null) {
        throw new WorkRejectedException("spec.promiseName is empty: a promise Work must name its Promise");
      }
      return "dependencies/" + segment(promise);
    }
    if (spec.owner == null || spec.owner.name == null || spec.owner.kind == null) {
      throw new WorkRejectedException("spec.owner needs kind and name: a resource Work must name the object it"
          + " belongs to");
    }
    String ns = spec.owner.namespace == null || spec.owner.namespace.isEmpty() ? CLUSTER_NAMESPACE
        : spec.owner.namespace;
    return "resources/" + segment(ns) + "/" + segment(spec.owner.kind) + "/" + segment(spec.owner.name);
  }

  /** The key under {@link #INDEX_DIR} that records a Work's files: {@code <namespace>.<name>}. */
  public static String indexKey(Work work) {
    String ns = work.getMetadata().getNamespace() == null ? CLUSTER_NAMESPACE : work.getMetadata().getNamespace();
    return segment(ns) + "." + segment(work.getMetadata().getName());
  }

  private static String segment(String s) {
    if (s.isEmpty() || s.equals(".") || s.equals("..") || s.contains("/") || s.contains("\\")) {
      throw new WorkRejectedException("'" + s + "' cannot be a folder name in a state store");
    }
    return s;
  }

  /**
   * Checks every file of {@code work}: a relative path that stays inside its folder, within the size limits, valid
   * YAML, and no plain {@code Secret}. Symlinks cannot occur: a Work holds file contents, not files.
   *
   * @throws WorkRejectedException naming the first file that breaks a rule and the rule (the limit in bytes)
   */
  public static void validate(Work work, Limits limits) {
    List<Work.WorkFile> files = work.getSpec().files == null ? List.of() : work.getSpec().files;
    long total = 0;
    Set<String> seen = new TreeSet<>();
    for (Work.WorkFile f : files) {
      String path = checkPath(f.path);
      if (!seen.add(path)) {
        throw new WorkRejectedException("file " + path + " appears twice in the Work");
      }
      byte[] bytes = f.content == null ? new byte[0] : f.content.getBytes(StandardCharsets.UTF_8);
      if (bytes.length > limits.maxFileBytes()) {
        throw new WorkRejectedException("file " + path + " is " + bytes.length + " bytes, over the limit of "
            + limits.maxFileBytes() + " bytes per file: split it or make it smaller");
      }
      total += bytes.length;
      if (total > limits.maxWorkBytes()) {
        throw new WorkRejectedException("the Work's files are over the limit of " + limits.maxWorkBytes()
            + " bytes per Work (reached at " + path + "): produce fewer or smaller documents");
      }
      if (isYaml(path) || path.toLowerCase(Locale.ROOT).endsWith(".json")) {
        // JSON is YAML too: a Secret in a .json file, or inside a List, is caught the same way.
        checkYaml(path, f.content == null ? "" : f.content);
      }
    }
  }

  /** Longest file or folder name in a path, bytes (NAME_MAX of Linux file systems, where Git checks files out). */
  public static final int MAX_NAME_BYTES = 255;
  /** Longest path, characters. */
  public static final int MAX_PATH_CHARS = 1024;

  /**
   * A file path as written in a Work, checked: relative, forward slashes, no empty, {@code .} or {@code ..} segment,
   * no NUL or other control character, each name at most {@link #MAX_NAME_BYTES} bytes (UTF-8) and the whole at
   * most {@link #MAX_PATH_CHARS} characters.
   *
   * @return the path unchanged
   * @throws WorkRejectedException saying why the path may not be used
   */
  public static String checkPath(String path) {
    if (path == null || path.isBlank()) {
      throw new WorkRejectedException("a file has no path");
    }
    if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new WorkRejectedException("file " + path.replaceAll("\\p{Cntrl}", "?") + " has a NUL or control"
          + " character in its path: use printable names");
    }
    if (path.length() > MAX_PATH_CHARS) {
      throw new WorkRejectedException("file " + path.substring(0, 60) + "... has a path of " + path.length()
          + " characters, over the limit of " + MAX_PATH_CHARS + ": use shorter folder and file names");
    }
    if (path.startsWith("/") || path.contains("\\") || path.matches("^[A-Za-z]:.*")) {
      throw new WorkRejectedException("file " + path + " has an absolute path: use a path relative to the output"
          + " folder");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new WorkRejectedException("file " + path + " escapes its folder or has an empty segment: use a plain"
            + " relative path such as deployment.yaml or manifests/service.yaml");
      }
      int bytes = segment.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_NAME_BYTES) {
        throw new WorkRejectedException("file " + (path.length() > 60 ? path.substring(0, 60) + "..." : path)
            + " has a name of " + bytes + " bytes, over the limit of " + MAX_NAME_BYTES + " bytes per file or folder"
            + " name: use a shorter name");
      }
    }
    if (path.startsWith(".tarmac/") || path.equals("kustomization.yaml")) {
      throw new WorkRejectedException("file " + path + " is reserved for Tarmac's own bookkeeping");
    }
    return path;
  }

  private static boolean isYaml(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    return p.endsWith(".yaml") || p.endsWith(".yml");
  }

  private static void checkYaml(String path, String content) {
    // Bounded: the content comes from pipelines, and GitOps tools parse it again (BoundedYaml says why).
    try {
      int index = 0;
      for (JsonNode doc : BoundedYaml.readAll(content)) {
        if (doc != null && plainSecret(doc)) {
          throw new WorkRejectedException("file " + path + " (document " + index + ") is a plain Secret: secrets are"
              + " never written to Git; use a SealedSecret, an ExternalSecret or a SOPS-encrypted file");
        }
        index++;
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof WorkRejectedException w) {
        throw w;
      }
      throw new WorkRejectedException("file " + path + " is not valid YAML: " + firstLine(e.getMessage()));
    }
  }

  /** A {@code Secret} that is not SOPS-encrypted, itself or among the {@code items} of a {@code List} kind. */
  private static boolean plainSecret(JsonNode doc) {
    if ("Secret".equals(doc.path("kind").asText()) && !doc.has("sops")) {
      return true;
    }
    if (doc.path("kind").asText().endsWith("List") && doc.path("items").isArray()) {
      for (JsonNode item : doc.path("items")) {
        if (plainSecret(item)) {
          return true;
        }
      }
    }
    return false;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /**
   * The {@code kustomization.yaml} of a Destination folder that holds {@code files} (paths relative to the folder):
   * every YAML file except the kustomization itself and Tarmac's bookkeeping, sorted; null when there is none (the
   * file is then removed).
   */
  public static String kustomization(Collection<String> files) {
    List<String> resources = new ArrayList<>(new TreeSet<>(files.stream()
        .filter(StateStoreLayout::isYaml)
        .filter(p -> !p.equals("kustomization.yaml") && !p.startsWith(".tarmac/"))
        .toList()));
    if (resources.isEmpty()) {
      return null;
    }
    StringBuilder out = new StringBuilder("# Written by Tarmac: every YAML file in this folder, so Flux and Argo CD"
        + " can sync it as it is.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    resources.forEach(r -> out.append("  - ").append(r).append('\n'));
    return out.toString();
  }
}
