package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.backstage.BackstageKinds;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Backstage descriptors stored as cluster objects ({@code backstage.io} kinds, {@code scaffolder.backstage.io}
 * Template; {@link BackstageKinds}) as catalog entities, with the relations Backstage's catalog computes for them.
 * Pure.
 *
 * <p>The entity is the object as written: {@code apiVersion}, {@code kind}, {@code spec} unchanged; {@code metadata}
 * with the Kubernetes name (or the Backstage name {@code tarmac import catalog} kept in
 * {@value #NAME_ANNOTATION}), namespace, UID, labels and annotations. Backstage's metadata fields {@code title},
 * {@code description}, {@code tags} and {@code links}, which the API server does not keep in {@code metadata}, come
 * from the annotations {@value #TITLE}, {@value #DESCRIPTION}, {@value #TAGS} (a JSON array or comma-separated) and
 * {@value #LINKS} (a JSON array), or else from the copy of the applied file kubectl keeps in
 * {@value #LAST_APPLIED} (client-side {@code kubectl apply}, the default), when that copy names this same object.
 *
 * <p>Relations follow Backstage's {@code BuiltinKindsEntityProcessor} (plugins/catalog-backend): each reference is
 * parsed with the kind's default kind and the entity's own namespace as default namespace, and the entity gets the
 * outgoing relation; the index gives the target the inverse one. Component: owner → ownedBy (Group),
 * subcomponentOf → partOf (Component), providesApis → providesApi (API), consumesApis → consumesApi (API), dependsOn
 * → dependsOn and dependencyOf → dependencyOf (no default kind: a reference without a kind is an error), system →
 * partOf (System). API: owner, system. Resource: owner, dependsOn, dependencyOf, system. User: memberOf → memberOf
 * (Group). Group: parent → childOf, children → parentOf (Group), members → hasMember (User). System: owner, domain →
 * partOf (Domain). Domain: owner, subdomainOf → partOf (Domain). AiResource (catalog-model's relation fields): owner,
 * system, dependsOn (AiResource), skills and plugins → hasPart (AiResource). Template (the scaffolder's processor):
 * owner. Location: none; its {@code target}/{@code targets} stay data.
 */
public final class BackstageObjects {

  /** The Backstage name of an object whose name Kubernetes refused (set by {@code tarmac import catalog}). */
  public static final String NAME_ANNOTATION = "platform.tarmac.dev/backstage-name";
  /** Backstage's {@code metadata.title}. */
  public static final String TITLE = "platform.tarmac.dev/title";
  /** Backstage's {@code metadata.description}. */
  public static final String DESCRIPTION = "platform.tarmac.dev/description";
  /** Backstage's {@code metadata.tags}: a JSON array, or comma-separated. */
  public static final String TAGS = "platform.tarmac.dev/tags";
  /** Backstage's {@code metadata.links}: a JSON array of {@code {url, title, icon, type}}. */
  public static final String LINKS = "platform.tarmac.dev/links";
  /** Where client-side {@code kubectl apply} keeps the applied file, as JSON. */
  public static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  /** Annotations that carry Backstage metadata fields and are not served as annotations themselves. */
  static final Set<String> CONSUMED = Set.of(NAME_ANNOTATION, TITLE, DESCRIPTION, TAGS, LINKS, LAST_APPLIED);

  private BackstageObjects() {
  }

  /** True when {@code object} is a Backstage descriptor stored in the cluster. */
  public static boolean is(JsonNode object) {
    return BackstageKinds.of(object.path("apiVersion").asText(), object.path("kind").asText()).isPresent();
  }

  /** True when {@code entity} came from a Backstage descriptor stored in the cluster (its managed-by-location). */
  static boolean sourced(JsonNode entity) {
    String location = entity.path("metadata").path("annotations").path("backstage.io/managed-by-location")
        .asText("");
    return location.startsWith("kubernetes:" + BackstageKinds.GROUP + "/")
        || location.startsWith("kubernetes:" + BackstageKinds.SCAFFOLDER_GROUP + "/");
  }

  /** The entity of a Backstage descriptor object, with its outgoing relations. */
  public static ObjectNode entity(JsonNode object) {
    JsonNode k8s = object.path("metadata");
    JsonNode annotations = k8s.path("annotations");
    ObjectNode e = Serialization.JSON.createObjectNode();
    e.put("apiVersion", object.path("apiVersion").asText());
    e.put("kind", object.path("kind").asText());
    ObjectNode meta = e.putObject("metadata");
    meta.put("name", annotations.path(NAME_ANNOTATION).asText(k8s.path("name").asText()));
    meta.put("namespace", k8s.path("namespace").asText(EntityRef.DEFAULT_NAMESPACE));
    // Metadata fields the object carries itself (an API server that keeps them, or an object handed over directly)
    // come first, then the annotations, then kubectl's copy of the applied file.
    JsonNode applied = lastApplied(object);
    for (String f : List.of("title", "description", "tags", "links")) {
      if (k8s.has(f) && !annotations.has("platform.tarmac.dev/" + f)) {
        applied = applied.isObject() ? ((ObjectNode) applied.deepCopy()).set(f, k8s.get(f))
            : Serialization.JSON.createObjectNode().set(f, k8s.get(f));
      }
    }
    if (annotations.has(TITLE)) {
      meta.put("title", annotations.get(TITLE).asText());
    } else if (applied.path("title").isTextual()) {
      meta.set("title", applied.get("title"));
    }
    if (annotations.has(DESCRIPTION)) {
      meta.put("description", annotations.get(DESCRIPTION).asText());
    } else if (applied.path("description").isTextual()) {
      meta.set("description", applied.get("description"));
    }
    if (k8s.path("labels").isObject() && !k8s.path("labels").isEmpty()) {
      meta.set("labels", k8s.get("labels").deepCopy());
    }
    ObjectNode served = meta.putObject("annotations");
    annotations.fields().forEachRemaining(a -> {
      if (!CONSUMED.contains(a.getKey())) {
        served.set(a.getKey(), a.getValue());
      }
    });
    // Always the object itself: the catalog decides who may see an entity from this annotation (EntityVisibility).
    String location = "kubernetes:" + object.path("apiVersion").asText() + "/" + object.path("kind").asText() + "/"
        + k8s.path("namespace").asText(EntityRef.DEFAULT_NAMESPACE) + "/" + k8s.path("name").asText();
    served.put("backstage.io/managed-by-location", location);
    served.put("backstage.io/managed-by-origin-location", location);
    JsonNode tags = annotations.has(TAGS) ? list(annotations.get(TAGS).asText()) : applied.path("tags");
    if (tags.isArray()) {
      meta.set("tags", tags.deepCopy());
    }
    JsonNode links = annotations.has(LINKS) ? json(annotations.get(LINKS).asText()) : applied.path("links");
    if (links.isArray()) {
      meta.set("links", links.deepCopy());
    }
    meta.put("uid", k8s.path("uid").asText(EntityMapper.uuidOf(new EntityRef(object.path("kind").asText(),
        meta.path("namespace").asText(), meta.path("name").asText()))));
    e.set("spec", object.path("spec").isObject() ? object.get("spec").deepCopy()
        : Serialization.JSON.createObjectNode());
    e.putArray("relations");
    relations(e);
    return e;
  }

  /**
   * The {@code metadata} of the file client-side {@code kubectl apply} recorded, when it describes this object (same
   * kind, name and namespace); an empty node otherwise.
   */
  static JsonNode lastApplied(JsonNode object) {
    String text = object.path("metadata").path("annotations").path(LAST_APPLIED).asText(null);
    if (text == null) {
      return Serialization.JSON.missingNode();
    }
    JsonNode applied = json(text);
    JsonNode m = applied.path("metadata");
    String ns = object.path("metadata").path("namespace").asText("");
    boolean same = applied.path("kind").asText().equals(object.path("kind").asText())
        && m.path("name").asText().equals(object.path("metadata").path("name").asText())
        && (m.path("namespace").asText("").isEmpty() || m.path("namespace").asText().equals(ns));
    return same ? m : Serialization.JSON.missingNode();
  }

  private static JsonNode json(String text) {
    try {
      return Serialization.JSON.readTree(text);
    } catch (Exception e) {
      return Serialization.JSON.missingNode();
    }
  }

  private static JsonNode list(String text) {
    JsonNode parsed = text.trim().startsWith("[") ? json(text) : null;
    if (parsed != null && parsed.isArray()) {
      return parsed;
    }
    ArrayNode out = Serialization.JSON.createArrayNode();
    for (String t : text.split(",")) {
      if (!t.isBlank()) {
        out.add(t.trim());
      }
    }
    return out;
  }

  /** Adds the relations Backstage's processors emit from {@code e}'s spec (outgoing side only). */
  static void relations(ObjectNode e) {
    JsonNode spec = e.path("spec");
    String ns = e.path("metadata").path("namespace").asText(EntityRef.DEFAULT_NAMESPACE);
    switch (e.path("kind").asText()) {
      case "Component" -> {
        emit(e, spec.get("owner"), "Group", ns, "ownedBy");
        emit(e, spec.get("subcomponentOf"), "Component", ns, "partOf");
        emit(e, spec.get("providesApis"), "API", ns, "providesApi");
        emit(e, spec.get("consumesApis"), "API", ns, "consumesApi");
        emit(e, spec.get("dependsOn"), null, ns, "dependsOn");
        emit(e, spec.get("dependencyOf"), null, ns, "dependencyOf");
        emit(e, spec.get("system"), "System", ns, "partOf");
      }
      case "API" -> {
        emit(e, spec.get("owner"), "Group", ns, "ownedBy");
        emit(e, spec.get("system"), "System", ns, "partOf");
      }
      case "Resource" -> {
        emit(e, spec.get("owner"), "Group", ns, "ownedBy");
        emit(e, spec.get("dependsOn"), null, ns, "dependsOn");
        emit(e, spec.get("dependencyOf"), null, ns, "dependencyOf");
        emit(e, spec.get("system"), "System", ns, "partOf");
      }
      case "User" -> emit(e, spec.get("memberOf"), "Group", ns, "memberOf");
      case "Group" -> {
        emit(e, spec.get("parent"), "Group", ns, "childOf");
        emit(e, spec.get("children"), "Group", ns, "parentOf");
        emit(e, spec.get("members"), "User", ns, "hasMember");
      }
      case "System" -> {
        emit(e, spec.get("owner"), "Group", ns, "ownedBy");
        emit(e, spec.get("domain"), "Domain", ns, "partOf");
      }
      case "Domain" -> {
        emit(e, spec.get("owner"), "Group", ns, "ownedBy");
        emit(e, spec.get("subdomainOf"), "Domain", ns, "partOf");
      }
      case "AiResource" -> {
        emit(e, spec.get("owner"), "Group", ns, "ownedBy");
        emit(e, spec.get("system"), "System", ns, "partOf");
        emit(e, spec.get("dependsOn"), "AiResource", ns, "dependsOn");
        emit(e, spec.get("skills"), "AiResource", ns, "hasPart");
        emit(e, spec.get("plugins"), "AiResource", ns, "hasPart");
      }
      case "Template" -> emit(e, spec.get("owner"), "Group", ns, "ownedBy");
      default -> {
      }
    }
  }

  private static void emit(ObjectNode e, JsonNode targets, String defaultKind, String namespace, String type) {
    if (targets == null || targets.isNull() || targets.isMissingNode()) {
      return;
    }
    List<JsonNode> all = new java.util.ArrayList<>();
    if (targets.isArray()) {
      targets.forEach(all::add);
    } else {
      all.add(targets);
    }
    for (JsonNode t : all) {
      try {
        EntityRef ref = parse(t.asText(), defaultKind, namespace);
        ((ArrayNode) e.get("relations")).addObject().put("type", type).put("targetRef", ref.toString());
      } catch (IllegalArgumentException ex) {
        ObjectNode item = e.with("status").withArray("items").addObject();
        item.put("type", "backstage.io/catalog-processing");
        item.put("level", "error");
        item.put("message", "InputError: " + ex.getMessage());
        item.putObject("error").put("name", "InputError").put("message", ex.getMessage());
      }
    }
  }

  /**
   * Backstage's {@code parseEntityRef}: {@code [kind:][namespace/]name}, where a {@code /} before the first
   * {@code :} means there is no kind; a missing kind or namespace takes the default.
   *
   * @throws IllegalArgumentException (Backstage's message) when the kind is missing and there is no default, or a
   *     part is empty
   */
  public static EntityRef parse(String ref, String defaultKind, String defaultNamespace) {
    String r = ref == null ? "" : ref;
    int colon = r.indexOf(':');
    int slash = r.indexOf('/');
    int kindEnd = slash != -1 && slash < colon ? -1 : colon;
    String kind = kindEnd == -1 ? null : r.substring(0, kindEnd);
    String namespace = slash == -1 ? null : r.substring(kindEnd + 1, slash);
    String name = r.substring(Math.max(kindEnd + 1, slash + 1));
    if (kind == null) {
      kind = defaultKind;
    }
    if (kind == null || kind.isEmpty()) {
      throw new IllegalArgumentException("Entity reference \"" + r + "\" had missing or empty kind (e.g. did not"
          + " start with \"component:\" or similar)");
    }
    if (namespace == null) {
      namespace = defaultNamespace;
    }
    if (namespace == null || namespace.isEmpty()) {
      throw new IllegalArgumentException("Entity reference \"" + r + "\" had missing or empty namespace");
    }
    if (name.isEmpty()) {
      throw new IllegalArgumentException("Entity reference \"" + r + "\" had missing or empty name");
    }
    return new EntityRef(kind, namespace.toLowerCase(Locale.ROOT), name);
  }
}
