package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Turns cluster objects into Backstage entities (shared/DESIGN.md, "Catalog"). Pure: a Kubernetes object as JSON in,
 * entities in Backstage's envelope out, each with the relations it declares ({@code relations[]} with {@code type}
 * and {@code targetRef}); the index adds the inverse relations, the synthesized Groups and Systems, and warnings.
 *
 * <p>Mapping: Component → Component (+ an API per {@code providesApis}); Database and Promise requests → Resource;
 * Promise and Template → Template (+ an API for a Promise's request kind); Crossplane claims and XRs → Resource and
 * Crossplane Compositions → Template ({@link CrossplaneEntities}); Namespaces labelled with a team → Group;
 * Backstage descriptors stored in the cluster ({@code backstage.io} kinds) → themselves ({@link BackstageObjects}).
 * Owners without a namespace resolve to {@code default} (where Backstage keeps Groups), so one team is one Group.
 */
public final class EntityMapper {

  /** Namespace labels naming the team that owns it. */
  public static final List<String> TEAM_LABELS = List.of("platform.tarmac.dev/team", "backstage.io/team");
  /** Annotations carried through to entities. */
  static final List<String> CARRIED = List.of("backstage.io/techdocs-ref", "pagerduty.com/service-id",
      "github.com/project-slug", "backstage.io/kubernetes-id", "backstage.io/source-location",
      "backstage.io/view-url", "backstage.io/edit-url", "sonarqube.org/project-key", "lighthouse.com/website-url",
      "grafana/overview-dashboard", "grafana/dashboard-selector");

  private EntityMapper() {
  }

  /**
   * Entities of a Tarmac or Promise-request object.
   *
   * @param object the object as JSON (apiVersion, kind, metadata, spec, status)
   * @param promiseOfRequest for a Promise request, the Promise's name; null otherwise
   */
  public static List<ObjectNode> map(JsonNode object, String promiseOfRequest) {
    String kind = object.path("kind").asText();
    String group = object.path("apiVersion").asText().split("/")[0];
    if (promiseOfRequest != null) {
      return List.of(request(object, promiseOfRequest));
    }
    if (BackstageObjects.is(object)) {
      return List.of(BackstageObjects.entity(object));
    }
    if (kind.equals("Namespace")) {
      return namespace(object);
    }
    if (group.equals(dev.tarmac.crossplane.CrossplaneFields.GROUP) && kind.equals("Composition")) {
      return List.of(CrossplaneEntities.composition(object));
    }
    if (!group.equals("platform.tarmac.dev") && !group.equals("platform.kratix.io")) {
      return List.of();
    }
    return switch (kind) {
      case "Component" -> component(object);
      case "Database" -> List.of(database(object));
      case "Promise" -> promise(object);
      case "Template" -> List.of(template(object));
      default -> List.of();
    };
  }

  static ObjectNode envelope(JsonNode object, String kind, String name, String namespace) {
    ObjectNode e = Serialization.JSON.createObjectNode();
    e.put("apiVersion", "backstage.io/v1alpha1");
    e.put("kind", kind);
    ObjectNode meta = e.putObject("metadata");
    meta.put("name", sanitize(name));
    meta.put("namespace", namespace == null || namespace.isEmpty() ? EntityRef.DEFAULT_NAMESPACE : namespace);
    JsonNode k8sMeta = object.path("metadata");
    ObjectNode annotations = meta.putObject("annotations");
    JsonNode a = k8sMeta.path("annotations");
    for (String key : CARRIED) {
      if (a.has(key)) {
        annotations.put(key, a.get(key).asText());
      }
    }
    a.fieldNames().forEachRemaining(key -> {
      if (key.startsWith("datadoghq.com/") || key.startsWith("backstage.io/") && !annotations.has(key)) {
        annotations.put(key, a.get(key).asText());
      }
    });
    String location = "kubernetes:" + object.path("apiVersion").asText() + "/" + object.path("kind").asText() + "/"
        + (k8sMeta.path("namespace").asText("").isEmpty() ? "" : k8sMeta.path("namespace").asText() + "/")
        + k8sMeta.path("name").asText();
    annotations.put("backstage.io/managed-by-location", location);
    annotations.put("backstage.io/managed-by-origin-location", location);
    if (!annotations.has("backstage.io/kubernetes-id")) {
      annotations.put("backstage.io/kubernetes-id", k8sMeta.path("name").asText());
    }
    ObjectNode labels = meta.putObject("labels");
    k8sMeta.path("labels").fields().forEachRemaining(l -> {
      if (!l.getKey().contains("/")) {
        labels.put(l.getKey(), l.getValue().asText());
      }
    });
    if (a.has("platform.tarmac.dev/title")) {
      meta.put("title", a.get("platform.tarmac.dev/title").asText());
    }
    if (a.has("platform.tarmac.dev/description")) {
      meta.put("description", a.get("platform.tarmac.dev/description").asText());
    }
    ArrayNode tags = meta.putArray("tags");
    for (String t : a.path("platform.tarmac.dev/tags").asText("").split(",")) {
      if (!t.isBlank()) {
        tags.add(t.trim().toLowerCase(Locale.ROOT));
      }
    }
    meta.put("uid", k8sMeta.path("uid").asText(UUID.nameUUIDFromBytes(location.getBytes(StandardCharsets.UTF_8))
        .toString()));
    e.putObject("spec");
    e.putArray("relations");
    return e;
  }

  /** Backstage's name rule: {@code [a-zA-Z0-9]} with {@code -_.} between, at most 63 characters. */
  static String sanitize(String name) {
    String n = name.replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("^[._-]+|[._-]+$", "");
    return n.length() <= 63 ? n : n.substring(0, 63).replaceAll("[._-]+$", "");
  }

  static void relation(ObjectNode entity, String type, EntityRef target) {
    ((ArrayNode) entity.get("relations")).addObject().put("type", type).put("targetRef", target.toString());
  }

  static String ownerOf(JsonNode object) {
    JsonNode a = object.path("metadata").path("annotations");
    String owner = object.path("spec").path("owner").asText(null);
    if (owner == null) {
      owner = a.path("platform.tarmac.dev/owner").asText(null);
    }
    if (owner == null) {
      owner = object.path("metadata").path("labels").path("platform.tarmac.dev/owner").asText(null);
    }
    return owner;
  }

  static void owner(ObjectNode entity, String owner) {
    if (owner != null && !owner.isBlank()) {
      EntityRef ref = EntityRef.parse(owner, "Group");
      ((ObjectNode) entity.get("spec")).put("owner", ref.toString());
      relation(entity, "ownedBy", ref);
    }
  }

  static void system(ObjectNode entity, String system) {
    if (system != null && !system.isBlank()) {
      EntityRef ref = EntityRef.parse(system, "System");
      ((ObjectNode) entity.get("spec")).put("system", ref.name());
      relation(entity, "partOf", ref);
    }
  }

  private static List<ObjectNode> component(JsonNode o) {
    JsonNode spec = o.path("spec");
    String ns = o.path("metadata").path("namespace").asText();
    ObjectNode e = envelope(o, "Component", o.path("metadata").path("name").asText(), ns);
    ObjectNode s = (ObjectNode) e.get("spec");
    s.put("type", spec.path("type").asText("service"));
    s.put("lifecycle", spec.path("lifecycle").asText("experimental"));
    owner(e, ownerOf(o));
    system(e, spec.path("system").asText(null));
    if (spec.hasNonNull("subcomponentOf")) {
      EntityRef parent = EntityRef.parse(spec.path("subcomponentOf").asText(), "Component");
      s.put("subcomponentOf", parent.toString());
      relation(e, "partOf", parent);
    }
    List<ObjectNode> out = new ArrayList<>();
    out.add(e);
    for (JsonNode api : spec.path("providesApis")) {
      EntityRef ref = EntityRef.parse(api.asText(), "API");
      s.withArray("providesApis").add(ref.toString());
      relation(e, "providesApi", ref);
      ObjectNode apiEntity = envelope(o, "API", ref.name(), ref.namespace());
      ObjectNode as = (ObjectNode) apiEntity.get("spec");
      as.put("type", "openapi");
      as.put("lifecycle", s.path("lifecycle").asText());
      as.put("definition", "# provided by " + e.path("metadata").path("name").asText());
      ((ObjectNode) apiEntity.get("metadata")).put("uid", UUID.nameUUIDFromBytes(("api|" + ref.key())
          .getBytes(StandardCharsets.UTF_8)).toString());
      owner(apiEntity, ownerOf(o));
      system(apiEntity, spec.path("system").asText(null));
      out.add(apiEntity);
    }
    for (JsonNode api : spec.path("consumesApis")) {
      EntityRef ref = EntityRef.parse(api.asText(), "API");
      s.withArray("consumesApis").add(ref.toString());
      relation(e, "consumesApi", ref);
    }
    for (JsonNode dep : spec.path("dependsOn")) {
      EntityRef ref = EntityRef.parse(dep.asText(), "Component");
      if (!dep.asText().contains("/")) {
        ref = new EntityRef(ref.kind(), ns, ref.name());
      }
      s.withArray("dependsOn").add(ref.toString());
      relation(e, "dependsOn", ref);
    }
    if (spec.has("template")) {
      s.put("template", spec.path("template").path("name").asText());
      ((ObjectNode) e.get("metadata").get("annotations")).put("platform.tarmac.dev/template",
          spec.path("template").path("name").asText());
    }
    return out;
  }

  private static ObjectNode database(JsonNode o) {
    JsonNode spec = o.path("spec");
    ObjectNode e = envelope(o, "Resource", o.path("metadata").path("name").asText(),
        o.path("metadata").path("namespace").asText());
    ObjectNode s = (ObjectNode) e.get("spec");
    s.put("type", spec.path("engine").asText("database"));
    for (String f : List.of("version", "size")) {
      if (spec.has(f)) {
        s.put(f, spec.get(f).asText());
      }
    }
    for (String f : List.of("storageGB", "backupRetentionDays")) {
      if (spec.has(f)) {
        s.put(f, spec.get(f).asInt());
      }
    }
    owner(e, ownerOf(o));
    system(e, o.path("metadata").path("annotations").path("platform.tarmac.dev/system").asText(null));
    String composition = o.path("status").path("compositionName").asText(null);
    if (composition != null) {
      s.put("composition", composition);
      ((ObjectNode) e.get("metadata").get("annotations")).put("platform.tarmac.dev/composition", composition);
    }
    return e;
  }

  private static ObjectNode request(JsonNode o, String promise) {
    ObjectNode e = envelope(o, "Resource", o.path("metadata").path("name").asText(),
        o.path("metadata").path("namespace").asText());
    ObjectNode s = (ObjectNode) e.get("spec");
    s.put("type", o.path("kind").asText().toLowerCase(Locale.ROOT));
    s.put("promise", promise);
    s.set("parameters", o.path("spec").deepCopy());
    owner(e, ownerOf(o));
    system(e, o.path("metadata").path("annotations").path("platform.tarmac.dev/system").asText(null));
    relation(e, "dependsOn", new EntityRef("Template", EntityRef.DEFAULT_NAMESPACE, sanitize(promise)));
    for (JsonNode c : o.path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        s.put("ready", c.path("status").asText());
      }
    }
    return e;
  }

  private static List<ObjectNode> promise(JsonNode o) {
    String name = o.path("metadata").path("name").asText();
    ObjectNode e = envelope(o, "Template", name, EntityRef.DEFAULT_NAMESPACE);
    ObjectNode s = (ObjectNode) e.get("spec");
    s.put("type", "promise");
    String owner = ownerOf(o);
    owner(e, owner == null ? "platform-team" : owner);
    JsonNode api = o.path("spec").path("api");
    String kind = api.path("spec").path("names").path("kind").asText(null);
    List<ObjectNode> out = new ArrayList<>();
    out.add(e);
    if (kind != null) {
      String apiName = sanitize(kind.toLowerCase(Locale.ROOT) + "-" + api.path("spec").path("group").asText());
      EntityRef ref = new EntityRef("API", EntityRef.DEFAULT_NAMESPACE, apiName);
      s.put("requestKind", kind);
      relation(e, "providesApi", ref);
      ObjectNode apiEntity = envelope(o, "API", apiName, EntityRef.DEFAULT_NAMESPACE);
      ((ObjectNode) apiEntity.get("metadata")).put("uid", UUID.nameUUIDFromBytes(("api|" + ref.key())
          .getBytes(StandardCharsets.UTF_8)).toString());
      ObjectNode as = (ObjectNode) apiEntity.get("spec");
      as.put("type", "crd");
      as.put("lifecycle", "production");
      try {
        as.put("definition", Serialization.YAML.writeValueAsString(api));
      } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
        as.put("definition", api.toString());
      }
      owner(apiEntity, owner == null ? "platform-team" : owner);
      out.add(apiEntity);
    }
    return out;
  }

  private static ObjectNode template(JsonNode o) {
    ObjectNode e = envelope(o, "Template", o.path("metadata").path("name").asText(), EntityRef.DEFAULT_NAMESPACE);
    ObjectNode s = (ObjectNode) e.get("spec");
    JsonNode spec = o.path("spec");
    s.put("type", spec.path("type").asText("service"));
    if (spec.has("title")) {
      ((ObjectNode) e.get("metadata")).put("title", spec.get("title").asText());
    }
    if (spec.has("description")) {
      ((ObjectNode) e.get("metadata")).put("description", spec.get("description").asText());
    }
    if (spec.has("parameters")) {
      s.set("parameters", spec.get("parameters").deepCopy());
    }
    if (spec.has("steps")) {
      s.set("steps", spec.get("steps").deepCopy());
    }
    owner(e, ownerOf(o));
    return e;
  }

  private static List<ObjectNode> namespace(JsonNode o) {
    JsonNode labels = o.path("metadata").path("labels");
    for (String l : TEAM_LABELS) {
      if (labels.has(l)) {
        String team = labels.get(l).asText();
        ObjectNode g = envelope(o, "Group", team, EntityRef.DEFAULT_NAMESPACE);
        ((ObjectNode) g.get("metadata")).put("uid", uuidOf(new EntityRef("Group", "default", team)));
        ObjectNode s = (ObjectNode) g.get("spec");
        s.put("type", "team");
        s.putObject("profile").put("displayName", team);
        s.putArray("children");
        ((ObjectNode) g.get("metadata").get("annotations")).put("backstage.io/kubernetes-namespace",
            o.path("metadata").path("name").asText());
        return List.of(g);
      }
    }
    return List.of();
  }

  /** A stable UUID for an entity that no single cluster object holds (a Group or System named somewhere). */
  static String uuidOf(EntityRef ref) {
    return UUID.nameUUIDFromBytes(("tarmac|" + ref.key()).getBytes(StandardCharsets.UTF_8)).toString();
  }
}
