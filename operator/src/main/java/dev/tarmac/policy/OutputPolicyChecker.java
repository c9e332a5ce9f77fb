package dev.tarmac.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.tarmac.api.OutputPolicy;
import dev.tarmac.api.Serialization;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks a run's output files against an {@link OutputPolicy}; pure (no cluster, no I/O beyond the {@link Scopes}
 * resolver it is given). Every object of every {@code .yaml}, {@code .yml} and {@code .json} file is checked — each
 * document of a multi-document file, and each item of a {@code kind: List} (any kind ending in {@code List} with
 * {@code items}, as kubectl reads it) — in this order: it is a Kubernetes object (apiVersion, kind); its kind is in
 * {@code allowedKinds} (a kustomize {@code Kustomization} only when its group is listed by name, since it can pull
 * in manifests from elsewhere); a cluster-scoped kind only with {@code allowClusterScoped}; a namespaced object's
 * {@code metadata.namespace}, when set, in {@code allowedNamespaces} (default the request's own); every CEL rule in
 * {@code validations} holds. Files of other types are not applied by Argo CD or Flux from a Destination folder and
 * are not checked (nor Terraform's {@code .tf.json}), except Jsonnet, which Argo CD evaluates and which is refused.
 * Rules and defaults: docs/guardrails.md.
 */
public final class OutputPolicyChecker {

  /** Most violations named in one message. */
  public static final int MAX_REPORTED = 5;
  /** Deepest nesting of {@code List} kinds followed. */
  private static final int MAX_LIST_DEPTH = 4;
  private static final String KUSTOMIZE_GROUP = "kustomize.config.k8s.io";
  private static final int CACHE_SIZE = 256;
  private static final Map<String, CelRules> COMPILED = new ConcurrentHashMap<>();
  private static final CelRules NO_RULES = CelRules.compile(List.of());

  /**
   * The request (or claim) whose run produced the output.
   *
   * @param apiVersion its apiVersion
   * @param kind its kind
   * @param namespace its namespace (null when cluster-scoped)
   * @param name its name
   * @param object the whole object, as CEL's {@code params}
   */
  public record Owner(String apiVersion, String kind, String namespace, String name, JsonNode object) {
  }

  /**
   * One object the policy refuses.
   *
   * @param file the output file's path
   * @param document the document's index in the file (0 for the first), with {@code items[i]} for a List's item
   * @param kind the object's kind ("" when it has none)
   * @param namespace its metadata.namespace ("" when unset)
   * @param name its metadata.name ("" when unset)
   * @param rule the rule it breaks: {@code allowedKinds}, {@code allowClusterScoped}, {@code allowedNamespaces},
   *     {@code validations[i]} (with its reason, if any), or {@code object} (not a Kubernetes object)
   * @param message why, and what to change
   */
  public record Violation(String file, String document, String kind, String namespace, String name, String rule,
      String message) {

    /** One line naming file, object and rule, e.g. {@code file rbac.yaml (document 0): ClusterRoleBinding admin: ...}. */
    public String describe() {
      String object = (kind.isEmpty() ? "object" : kind) + " " + (namespace.isEmpty() ? "" : namespace + "/")
          + (name.isEmpty() ? "(no name)" : name);
      return "file " + file + " (" + document + "): " + object + " breaks rule " + rule + ": " + message;
    }
  }

  private final Scopes scopes;

  /** @param scopes decides which kinds are cluster-scoped */
  public OutputPolicyChecker(Scopes scopes) {
    this.scopes = scopes;
  }

  /**
   * What is wrong with a policy itself (CEL rules that do not compile, empty kind rules), each naming the field; empty
   * when it can be used. The Promise or Composition shows these as a condition, and its outputs are refused.
   */
  public static List<String> problems(OutputPolicy policy) {
    if (policy == null) {
      return List.of();
    }
    List<String> problems = new ArrayList<>();
    if (policy.allowedKinds != null) {
      for (int i = 0; i < policy.allowedKinds.size(); i++) {
        OutputPolicy.KindRule r = policy.allowedKinds.get(i);
        if (r == null || r.kinds == null || r.kinds.isEmpty()) {
          problems.add("allowedKinds[" + i + "].kinds is empty: list kinds, or \"*\" for every kind of its groups");
        }
      }
    }
    problems.addAll(rules(policy).errors());
    return problems;
  }

  /**
   * True when the policy's rules read the previous output ({@code oldObject} or {@code request.operation}), so the
   * caller fetches it only then.
   */
  public static boolean needsPrevious(OutputPolicy policy) {
    return policy != null && policy.validations != null && policy.validations.stream().anyMatch(v -> v != null
        && (mentions(v.expression) || mentions(v.messageExpression)));
  }

  private static boolean mentions(String expression) {
    return expression != null && (expression.contains("oldObject") || expression.contains("operation"));
  }

  /**
   * Checks every object of the output.
   *
   * @param policy the policy; null means the defaults (any namespaced kind, only in the owner's namespace)
   * @param owner the request or claim the output is for
   * @param files the output, path → content
   * @param previous the output last published for the same run (path → content), for {@code oldObject}; may be empty
   * @return the violations, in file order (empty when everything is allowed)
   */
  public List<Violation> check(OutputPolicy policy, Owner owner, Map<String, String> files,
      Map<String, String> previous) {
    OutputPolicy p = policy == null ? new OutputPolicy() : policy;
    CelRules rules = rules(p);
    Map<String, JsonNode> old = rules.isEmpty() || previous == null || previous.isEmpty() ? Map.of()
        : index(previous);
    Object params = rules.isEmpty() ? null : CelRules.value(owner.object());
    List<Violation> violations = new ArrayList<>();
    for (var file : files.entrySet()) {
      String path = file.getKey();
      String lower = path.toLowerCase(Locale.ROOT);
      if (lower.endsWith(".jsonnet") || lower.endsWith(".libsonnet")) {
        violations.add(new Violation(path, "whole file", "", "", "", "object", "Jsonnet is evaluated by Argo CD and"
            + " cannot be checked: render it to YAML in the pipeline"));
        continue;
      }
      if (!manifest(lower)) {
        continue;
      }
      List<JsonNode> docs;
      try {
        docs = documents(file.getValue());
      } catch (IOException | RuntimeException e) {
        violations.add(new Violation(path, "whole file", "", "", "", "object", "the file is not valid YAML, so it"
            + " cannot be checked: " + CelRules.oneLine(e.getMessage())));
        continue;
      }
      for (int d = 0; d < docs.size(); d++) {
        JsonNode doc = docs.get(d);
        if (doc == null || doc.isNull() || doc.isMissingNode()) {
          continue;
        }
        visit(p, rules, owner, params, old, path, "document " + d, doc, 0, violations);
      }
    }
    return violations;
  }

  /**
   * One message for a list of violations: the first {@link #MAX_REPORTED}, then how many more.
   */
  public static String message(List<Violation> violations) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(MAX_REPORTED, violations.size()); i++) {
      sb.append(i == 0 ? "" : "; ").append(violations.get(i).describe());
    }
    if (violations.size() > MAX_REPORTED) {
      sb.append("; and ").append(violations.size() - MAX_REPORTED).append(" more");
    }
    return sb.toString();
  }

  private void visit(OutputPolicy p, CelRules rules, Owner owner, Object params, Map<String, JsonNode> old,
      String path, String where, JsonNode doc, int depth, List<Violation> out) {
    String kind = doc.path("kind").isTextual() ? doc.path("kind").asText() : "";
    String name = doc.path("metadata").path("name").isTextual() ? doc.path("metadata").path("name").asText() : "";
    String ns = doc.path("metadata").path("namespace").isTextual() ? doc.path("metadata").path("namespace").asText()
        : "";
    if (!doc.isObject()) {
      out.add(new Violation(path, where, "", "", "", "object", "the document is not a Kubernetes object (a map with"
          + " apiVersion, kind and metadata)"));
      return;
    }
    if (doc.has("metadata") && (!doc.get("metadata").isObject() || (doc.get("metadata").has("namespace")
        && !doc.get("metadata").get("namespace").isTextual() && !doc.get("metadata").get("namespace").isNull()))) {
      out.add(new Violation(path, where, kind, "", name, "object", "metadata must be a map and metadata.namespace a"
          + " string"));
      return;
    }
    String apiVersion = doc.path("apiVersion").isTextual() ? doc.path("apiVersion").asText() : "";
    if (apiVersion.isBlank() || kind.isBlank()) {
      out.add(new Violation(path, where, kind, ns, name, "object", "the document has no apiVersion or kind, so it"
          + " cannot be checked: write complete Kubernetes objects"));
      return;
    }
    if (kind.endsWith("List") && doc.has("items")) {
      if (!doc.path("items").isArray()) {
        out.add(new Violation(path, where, kind, ns, name, "object", "items of a List must be a list of objects"));
        return;
      }
      if (depth >= MAX_LIST_DEPTH) {
        out.add(new Violation(path, where, kind, ns, name, "object", "Lists are nested more than " + MAX_LIST_DEPTH
            + " deep"));
        return;
      }
      for (int i = 0; i < doc.path("items").size(); i++) {
        visit(p, rules, owner, params, old, path, where + ", items[" + i + "]", doc.path("items").get(i), depth + 1,
            out);
      }
      return;
    }
    String group = Scopes.group(apiVersion);
    if (!kindAllowed(p.allowedKinds, group, kind)) {
      out.add(new Violation(path, where, kind, ns, name, "allowedKinds", (group.isEmpty() ? "core" : group) + " kind "
          + kind + " is not among the policy's allowedKinds" + (KUSTOMIZE_GROUP.equals(group)
          ? " (a Kustomization can pull in other manifests: it is allowed only when allowedKinds names its group)"
          : "")));
      return;
    }
    boolean clusterScoped = scopes.clusterScoped(apiVersion, kind);
    if (clusterScoped && !Boolean.TRUE.equals(p.allowClusterScoped)) {
      out.add(new Violation(path, where, kind, ns, name, "allowClusterScoped", kind + " is cluster-scoped and the"
          + " policy allows no cluster-scoped kinds (allowClusterScoped is false)"));
      return;
    }
    if (!clusterScoped && !ns.isEmpty() && !namespaceAllowed(p.allowedNamespaces, ns, owner.namespace())) {
      out.add(new Violation(path, where, kind, ns, name, "allowedNamespaces", "namespace " + ns + " is not allowed"
          + " (allowed: " + allowedText(p.allowedNamespaces, owner.namespace()) + ")"));
      return;
    }
    if (rules.isEmpty()) {
      return;
    }
    JsonNode previous = old.get(key(group, kind, clusterScoped ? "" : ns, name));
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("kind", Map.of("group", group, "version", apiVersion.substring(apiVersion.indexOf('/') + 1),
        "kind", kind));
    request.put("namespace", clusterScoped ? "" : ns);
    request.put("name", name);
    request.put("operation", previous == null ? "CREATE" : "UPDATE");
    Map<String, Object> vars = CelRules.variables(doc, previous, request, params);
    for (CelRules.Compiled rule : rules.rules()) {
      String why = CelRules.evaluate(rule, vars);
      if (why != null) {
        String reason = rule.source() == null || rule.source().reason == null ? "" : " (" + rule.source().reason + ")";
        out.add(new Violation(path, where, kind, ns, name, "validations[" + rule.index() + "]" + reason, why));
      }
    }
  }

  private static boolean manifest(String lowerPath) {
    // *.tf.json is Terraform configuration (a module call for tofu-controller), not a manifest: the Destination's
    // kustomization.yaml lists only YAML, so neither Flux nor Argo CD applies it.
    return lowerPath.endsWith(".yaml") || lowerPath.endsWith(".yml")
        || lowerPath.endsWith(".json") && !lowerPath.endsWith(".tf.json");
  }

  static boolean kindAllowed(List<OutputPolicy.KindRule> allowed, String group, String kind) {
    boolean kustomize = KUSTOMIZE_GROUP.equals(group);
    if (allowed == null || allowed.isEmpty()) {
      return !kustomize;
    }
    for (OutputPolicy.KindRule r : allowed) {
      if (r == null || r.kinds == null) {
        continue;
      }
      List<String> groups = r.apiGroups == null || r.apiGroups.isEmpty() ? List.of("") : r.apiGroups;
      boolean groupOk = kustomize ? groups.contains(group) : groups.contains(group) || groups.contains("*");
      if (groupOk && (r.kinds.contains(kind) || r.kinds.contains("*"))) {
        return true;
      }
    }
    return false;
  }

  static boolean namespaceAllowed(List<String> allowed, String ns, String ownerNamespace) {
    if (allowed == null || allowed.isEmpty()) {
      return ns.equals(ownerNamespace);
    }
    return allowed.contains("*") || allowed.contains(ns);
  }

  private static String allowedText(List<String> allowed, String ownerNamespace) {
    if (allowed == null || allowed.isEmpty()) {
      return ownerNamespace == null ? "none: the request is cluster-scoped; the policy's allowedNamespaces names"
          + " none" : "only the request's own namespace " + ownerNamespace;
    }
    return String.join(", ", allowed);
  }

  /**
   * The documents of a YAML (or JSON) file. Refused, because the GitOps tool's parser would read them differently
   * from this one: aliases ({@code *name}, which Jackson leaves unexpanded and Go's YAML expands), merge keys
   * ({@code <<}, which Go's YAML merges), and duplicate keys.
   *
   * @throws IOException when the file is not valid YAML or uses one of those
   */
  static List<JsonNode> documents(String content) throws IOException {
    String text = content == null ? "" : content;
    org.yaml.snakeyaml.LoaderOptions options = new org.yaml.snakeyaml.LoaderOptions();
    options.setCodePointLimit(8 * 1024 * 1024);
    options.setNestingDepthLimit(200);
    try {
      for (org.yaml.snakeyaml.events.Event e : new org.yaml.snakeyaml.Yaml(options).parse(
          new java.io.StringReader(text))) {
        if (e instanceof org.yaml.snakeyaml.events.AliasEvent a) {
          throw new IOException("YAML alias *" + a.getAnchor() + " at line " + (a.getStartMark().getLine() + 1)
              + ": write the values out (aliases are read differently by Go's YAML, which Argo CD and Flux use)");
        }
      }
    } catch (org.yaml.snakeyaml.error.YAMLException e) {
      throw new IOException(e.getMessage(), e);
    }
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = Serialization.YAML.readerFor(JsonNode.class)
        .with(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).readValues(text)) {
      while (it.hasNextValue()) {
        JsonNode doc = it.nextValue();
        String merge = mergeKey(doc, "", 0);
        if (merge != null) {
          throw new IOException("YAML merge key << at " + merge + ": write the values out (Go's YAML merges them,"
              + " so the object would not be the one checked)");
        }
        docs.add(doc);
      }
    }
    return docs;
  }

  /** The path of the first {@code <<} key in {@code node}, or null. */
  private static String mergeKey(JsonNode node, String path, int depth) {
    if (node == null || depth > 200) {
      return null;
    }
    if (node.isObject()) {
      for (var it = node.fields(); it.hasNext();) {
        var e = it.next();
        String here = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        if ("<<".equals(e.getKey())) {
          return path.isEmpty() ? "the top level" : path;
        }
        String inner = mergeKey(e.getValue(), here, depth + 1);
        if (inner != null) {
          return inner;
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String inner = mergeKey(node.get(i), path + "[" + i + "]", depth + 1);
        if (inner != null) {
          return inner;
        }
      }
    }
    return null;
  }

  /** Objects of the previous output by group, kind, namespace and name (unparseable files are skipped). */
  private static Map<String, JsonNode> index(Map<String, String> previous) {
    Map<String, JsonNode> byKey = new HashMap<>();
    for (String content : previous.values()) {
      try {
        for (JsonNode doc : documents(content)) {
          indexObject(doc, byKey, 0);
        }
      } catch (IOException | RuntimeException e) {
        // The previous output was accepted once; if it no longer reads, its objects count as new.
      }
    }
    return byKey;
  }

  private static void indexObject(JsonNode doc, Map<String, JsonNode> byKey, int depth) {
    if (doc == null || !doc.isObject()) {
      return;
    }
    String kind = doc.path("kind").asText("");
    if (kind.endsWith("List") && doc.path("items").isArray() && depth < MAX_LIST_DEPTH) {
      doc.path("items").forEach(i -> indexObject(i, byKey, depth + 1));
      return;
    }
    byKey.put(key(Scopes.group(doc.path("apiVersion").asText("")), kind,
        doc.path("metadata").path("namespace").asText(""), doc.path("metadata").path("name").asText("")), doc);
  }

  private static String key(String group, String kind, String ns, String name) {
    return group + "|" + kind + "|" + ns + "|" + name;
  }

  /** The policy's CEL rules, compiled once per distinct list of validations. */
  private static CelRules rules(OutputPolicy policy) {
    if (policy.validations == null || policy.validations.isEmpty()) {
      return NO_RULES;
    }
    String key;
    try {
      key = Serialization.JSON.writeValueAsString(policy.validations);
    } catch (JsonProcessingException e) {
      return CelRules.compile(policy.validations);
    }
    CelRules cached = COMPILED.get(key);
    if (cached != null) {
      return cached;
    }
    if (COMPILED.size() >= CACHE_SIZE) {
      COMPILED.clear();
    }
    CelRules compiled = CelRules.compile(policy.validations);
    COMPILED.put(key, compiled);
    return compiled;
  }
}
