package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The software catalog, in memory, derived entirely from cluster objects (no database, no polling). Sources are
 * added, replaced and removed as informers report them ({@link #upsert}, {@link #remove}); the queryable
 * {@link Snapshot} is rebuilt from them: own entities, synthesized Groups and Systems for owners and systems named
 * anywhere, relations in both directions, warnings for references to missing entities, etags, and Scorecard results.
 * Readers always see a complete, consistent snapshot; a rebuild at 10,000 entities takes tens of milliseconds.
 */
public final class CatalogIndex {

  /** Inverse of each relation type (Backstage's well-known relations). */
  static final Map<String, String> INVERSE = Map.ofEntries(
      Map.entry("ownedBy", "ownerOf"), Map.entry("ownerOf", "ownedBy"),
      Map.entry("partOf", "hasPart"), Map.entry("hasPart", "partOf"),
      Map.entry("dependsOn", "dependencyOf"), Map.entry("dependencyOf", "dependsOn"),
      Map.entry("providesApi", "apiProvidedBy"), Map.entry("apiProvidedBy", "providesApi"),
      Map.entry("consumesApi", "apiConsumedBy"), Map.entry("apiConsumedBy", "consumesApi"),
      Map.entry("parentOf", "childOf"), Map.entry("childOf", "parentOf"),
      Map.entry("memberOf", "hasMember"), Map.entry("hasMember", "memberOf"));

  /**
   * An immutable view of the catalog.
   *
   * @param entities every entity, sorted by ref
   * @param byRef entities by lower-case ref
   * @param byUid entities by uid
   * @param search per entity (same order as {@code entities}): Backstage's search keys ({@link #searchKeys}), lower
   *     case, → values as written
   * @param scorecards per entity ref: its Scorecard results
   * @param generation increases with every rebuild
   * @param facetsOfAll facet key → value → count over every entity, filled on first use (facets without a filter
   *     are what portals ask most, and a snapshot never changes); also facet key + NUL + visibility key → counts
   *     over what callers with that key see ({@link EntityVisibility.Viewer#key})
   * @param postings search key → lower-case value → the indexes of the entities that have it (an inverted index,
   *     filled per key on first use; {@link CatalogQuery#EXISTS} maps to the entities that have the key at all)
   * @param parents per lower-case ref: the refs of the entities it was derived from (an API a Component provides:
   *     that Component), for {@code /ancestry}
   */
  public record Snapshot(List<ObjectNode> entities, Map<String, ObjectNode> byRef, Map<String, ObjectNode> byUid,
      List<Map<String, Set<String>>> search, Map<String, List<Scorecards.Result>> scorecards, long generation,
      Map<String, Map<String, Integer>> facetsOfAll, Map<String, Map<String, java.util.BitSet>> postings,
      Map<String, List<String>> parents) {
  }

  private final Map<String, List<ObjectNode>> sources = new ConcurrentHashMap<>();
  private final Map<String, JsonNode> scorecardSpecs = new ConcurrentHashMap<>();
  private final Map<String, Map<String, JsonNode>> statusFields = new ConcurrentHashMap<>();
  private final AtomicLong changes = new AtomicLong();
  private volatile Snapshot snapshot = new Snapshot(List.of(), Map.of(), Map.of(), List.of(), Map.of(), 0,
      new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), Map.of());
  private long builtFrom = -1;
  private Map<String, Published> published = Map.of();

  /**
   * Adds or replaces the entities of one cluster object.
   *
   * @param key the object's identity (e.g. {@code Component/payments/payments-service})
   * @param object the object as JSON
   * @param promiseOfRequest for a Promise request, the Promise's name; else null
   */
  public void upsert(String key, JsonNode object, String promiseOfRequest) {
    upsertEntities(key, EntityMapper.map(object, promiseOfRequest));
  }

  /**
   * Adds or replaces the entities of one cluster object, mapped by the caller (Crossplane claims and XRs, whose
   * mapping needs their XRD: {@link CrossplaneEntities}).
   *
   * @param key the object's identity
   * @param entities its entities (may be empty)
   */
  public void upsertEntities(String key, List<ObjectNode> entities) {
    entities.forEach(CatalogIndex::sortRelations);
    List<ObjectNode> previous = sources.put(key, entities);
    // Most updates (status writes, resyncs) change nothing the catalog shows: no rebuild for them.
    if (!entities.equals(previous)) {
      changes.incrementAndGet();
    }
  }

  /** Removes the entities of one cluster object. */
  public void remove(String key) {
    if (sources.remove(key) != null) {
      changes.incrementAndGet();
    }
  }

  /**
   * Sets a field under {@code status} of one entity from a source other than its cluster object (DORA metrics, costs:
   * figures the operator derives), so Backstage plugins and Scorecard checks read it as part of the entity. Applied
   * at each rebuild, before Scorecards are evaluated; an entity that does not exist (yet) gets it once it does.
   *
   * @param ref the entity's ref, e.g. {@code component:payments/payments-service} (case does not matter)
   * @param field the field under {@code status}, e.g. {@code dora}
   * @param value its value; null removes the field
   */
  public void statusField(String ref, String field, JsonNode value) {
    String key = ref.toLowerCase(Locale.ROOT);
    JsonNode previous;
    if (value == null) {
      Map<String, JsonNode> fields = statusFields.get(key);
      previous = fields == null ? null : fields.remove(field);
      if (fields != null && fields.isEmpty()) {
        statusFields.remove(key, fields);
      }
    } else {
      previous = statusFields.computeIfAbsent(key, k -> new ConcurrentHashMap<>()).put(field, value);
    }
    if (!java.util.Objects.equals(previous, value)) {
      changes.incrementAndGet();
    }
  }

  /** Adds or replaces a Scorecard (its spec). */
  public void scorecard(String name, JsonNode spec) {
    if (spec == null) {
      scorecardSpecs.remove(name);
    } else {
      scorecardSpecs.put(name, spec);
    }
    changes.incrementAndGet();
  }

  /** The Scorecards by name. */
  public Map<String, JsonNode> scorecardSpecs() {
    return Map.copyOf(scorecardSpecs);
  }

  /** True when a source changed since the last rebuild. */
  public boolean dirty() {
    return changes.get() != builtFrom;
  }

  /** The current snapshot (rebuilt by {@link #rebuild}). */
  public Snapshot snapshot() {
    return snapshot;
  }

  /** Rebuilds the snapshot from the sources when anything changed; returns it. */
  public synchronized Snapshot rebuild() {
    long seen = changes.get();
    if (seen == builtFrom) {
      return snapshot;
    }
    Map<String, ObjectNode> byRef = new TreeMap<>();
    // Several namespaces may name the same team, so the namespace → team map is taken before Groups merge.
    Map<String, String> teamOfNamespace = new HashMap<>();
    Map<String, List<String>> parents = new HashMap<>();
    for (List<ObjectNode> list : sources.values()) {
      for (int at = 1; at < list.size(); at++) {
        parents.computeIfAbsent(ref(list.get(at)), k -> new ArrayList<>()).add(ref(list.get(0)));
      }
      for (ObjectNode e : list) {
        String ns = e.path("metadata").path("annotations").path("backstage.io/kubernetes-namespace").asText(null);
        if ("Group".equals(e.path("kind").asText()) && ns != null) {
          teamOfNamespace.put(ns, e.path("metadata").path("name").asText());
        }
        ObjectNode copy = writableCopy(e);
        byRef.merge(ref(copy), copy, (a, b) -> preferred(a, b));
      }
    }
    // An entity with no owner in a namespace labelled with a team is owned by that team (the Namespace's Group).
    for (ObjectNode e : byRef.values()) {
      String team = teamOfNamespace.get(e.path("metadata").path("namespace").asText());
      boolean owned = false;
      for (JsonNode r : e.path("relations")) {
        owned |= "ownedBy".equals(r.path("type").asText());
      }
      if (team != null && !owned && !"Group".equals(e.path("kind").asText()) && !BackstageObjects.sourced(e)) {
        EntityRef owner = new EntityRef("Group", EntityRef.DEFAULT_NAMESPACE, team);
        ((ObjectNode) e.get("spec")).put("owner", owner.toString());
        EntityMapper.relation(e, "ownedBy", owner);
        sortRelations(e);
      }
    }
    // Owners and systems named anywhere exist as entities while they are referenced.
    // Backstage descriptors stay as Backstage has them: their references synthesize nothing and warn of nothing.
    Map<String, ObjectNode> synthesized = new LinkedHashMap<>();
    for (ObjectNode e : byRef.values()) {
      if (BackstageObjects.sourced(e)) {
        continue;
      }
      for (JsonNode r : e.path("relations")) {
        String type = r.path("type").asText();
        String target = r.path("targetRef").asText().toLowerCase(Locale.ROOT);
        if (byRef.containsKey(target) || synthesized.containsKey(target)) {
          continue;
        }
        if (type.equals("ownedBy") && target.startsWith("group:")) {
          synthesized.put(target, synthesize(EntityRef.parse(r.path("targetRef").asText(), "Group"), "team"));
        } else if (type.equals("partOf") && target.startsWith("system:")) {
          ObjectNode system = synthesize(EntityRef.parse(r.path("targetRef").asText(), "System"), null);
          String owner = e.path("spec").path("owner").asText(null);
          if (owner != null) {
            ((ObjectNode) system.get("spec")).put("owner", owner);
            EntityMapper.relation(system, "ownedBy", EntityRef.parse(owner, "Group"));
          }
          synthesized.put(target, system);
        }
      }
    }
    byRef.putAll(synthesized);
    // Inverse relations, and warnings for references to entities that do not exist.
    Map<String, List<JsonNode>> inverse = new HashMap<>();
    for (ObjectNode e : byRef.values()) {
      ArrayNode items = Serialization.JSON.createArrayNode();
      boolean backstage = BackstageObjects.sourced(e);
      for (JsonNode r : e.path("relations")) {
        String target = r.path("targetRef").asText().toLowerCase(Locale.ROOT);
        String inv = INVERSE.get(r.path("type").asText());
        if (!byRef.containsKey(target)) {
          if (backstage) {
            continue;
          }
          ObjectNode item = items.addObject();
          item.put("type", "backstage.io/catalog-processing");
          item.put("level", "warning");
          String message = "relation " + r.path("type").asText() + " points to " + r.path("targetRef").asText()
              + ", which is not in the catalog";
          item.put("message", message);
          item.putObject("error").put("name", "NotFoundError").put("message", message);
        } else if (inv != null) {
          inverse.computeIfAbsent(target, k -> new ArrayList<>()).add(Serialization.JSON.createObjectNode()
              .put("type", inv).put("targetRef", displayRef(e)));
        }
      }
      if (!items.isEmpty()) {
        // The status object is a copy, its items array may be the source's: a new array, never the source's.
        ArrayNode all = Serialization.JSON.createArrayNode();
        all.addAll((ArrayNode) e.with("status").withArray("items"));
        all.addAll(items);
        e.with("status").set("items", all);
      }
    }
    inverse.forEach((target, rels) -> ((ArrayNode) byRef.get(target).get("relations")).addAll(rels));
    // As Backstage serves them: distinct (type, targetRef), ordered by type, then targetRef. Sources are sorted at
    // upsert, so only entities that received inverse relations are sorted here.
    for (String target : inverse.keySet()) {
      sortRelations(byRef.get(target));
    }
    // Status fields other sources derive (DORA, costs), then Scorecards (which may check them), then etags.
    statusFields.forEach((ref, fields) -> {
      ObjectNode e = byRef.get(ref);
      if (e != null) {
        // The status object is a copy of the source's (writableCopy) or new: setting fields on it changes no source.
        ObjectNode status = e.has("status") ? (ObjectNode) e.get("status") : e.putObject("status");
        fields.forEach(status::set);
      }
    });
    Map<String, List<Scorecards.Result>> results = new HashMap<>();
    for (ObjectNode e : byRef.values()) {
      List<Scorecards.Result> rs = new ArrayList<>();
      for (Map.Entry<String, JsonNode> sc : new TreeMap<>(scorecardSpecs).entrySet()) {
        Scorecards.Result r = Scorecards.evaluate(sc.getKey(), sc.getValue(), e, byRef::get);
        if (r != null) {
          rs.add(r);
        }
      }
      if (!rs.isEmpty()) {
        results.put(ref(e), rs);
        e.with("status").set("scorecards", Scorecards.toJson(rs));
      }
    }
    // Etags and search keys are pure functions of the final entity: an entity equal to the one the last rebuild
    // published keeps that one (same instance, etag and search keys), so a change costs only what it changes.
    List<ObjectNode> entities = new ArrayList<>(byRef.size());
    Map<String, ObjectNode> byUid = new HashMap<>();
    List<Map<String, Set<String>>> search = new ArrayList<>(byRef.size());
    Map<String, Published> published = new HashMap<>();
    for (Map.Entry<String, ObjectNode> entry : byRef.entrySet()) {
      ObjectNode content = entry.getValue();
      Published before = this.published.get(entry.getKey());
      Published now = before != null && before.content().equals(content) ? before : publish(content);
      published.put(entry.getKey(), now);
      entry.setValue(now.entity());
      entities.add(now.entity());
      byUid.put(now.entity().path("metadata").path("uid").asText(), now.entity());
      search.add(now.search());
    }
    this.published = published;
    builtFrom = seen;
    snapshot = new Snapshot(List.copyOf(entities), byRef, byUid, search, results, snapshot.generation() + 1,
        new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), parents);
    return snapshot;
  }

  /** Makes {@code e}'s relations distinct by (type, targetRef) and ordered by type, then targetRef, as Backstage's. */
  static void sortRelations(ObjectNode e) {
    JsonNode relations = e.path("relations");
    String previous = null;
    boolean sorted = true;
    for (JsonNode r : relations) {
      String key = r.path("type").asText() + "\u0000" + r.path("targetRef").asText();
      if (previous != null && key.compareTo(previous) <= 0) {
        sorted = false;
        break;
      }
      previous = key;
    }
    if (sorted) {
      return;
    }
    Map<String, JsonNode> distinct = new TreeMap<>();
    relations.forEach(r -> distinct.putIfAbsent(r.path("type").asText() + "\u0000" + r.path("targetRef").asText(), r));
    ArrayNode out = e.putArray("relations");
    distinct.values().forEach(out::add);
  }

  /** An entity as served: its content without etag, the served entity (content plus etag) and its search keys. */
  private record Published(ObjectNode content, ObjectNode entity, Map<String, Set<String>> search) {
  }

  private static Published publish(ObjectNode content) {
    // Content and entity share all but metadata; neither is changed once published.
    ObjectNode entity = content.objectNode();
    content.fields().forEachRemaining(f -> entity.set(f.getKey(), f.getValue()));
    ObjectNode metadata = entity.putObject("metadata");
    content.path("metadata").fields().forEachRemaining(f -> metadata.set(f.getKey(), f.getValue()));
    metadata.put("etag", etag(content));
    return new Published(content, entity, searchKeys(entity));
  }

  /**
   * A copy of a source entity that the rebuild may change (relations, spec.owner, status, metadata) without
   * touching the source: those parts are copied one level deep, the rest is shared. Sources are never changed.
   */
  private static ObjectNode writableCopy(ObjectNode source) {
    ObjectNode copy = source.objectNode();
    source.fields().forEachRemaining(f -> {
      JsonNode v = f.getValue();
      if (v.isObject() && (f.getKey().equals("metadata") || f.getKey().equals("spec")
          || f.getKey().equals("status"))) {
        ObjectNode shallow = copy.putObject(f.getKey());
        v.fields().forEachRemaining(g -> shallow.set(g.getKey(), g.getValue()));
      } else if (v.isArray() && f.getKey().equals("relations")) {
        copy.putArray("relations").addAll((ArrayNode) v);
      } else {
        copy.set(f.getKey(), v);
      }
    });
    if (!copy.has("relations")) {
      copy.putArray("relations");
    }
    return copy;
  }

  /** Two objects produce the same entity (e.g. an API provided by two Components): keep the one with more data. */
  private static ObjectNode preferred(ObjectNode a, ObjectNode b) {
    return a.toString().length() >= b.toString().length() ? a : b;
  }

  private static ObjectNode synthesize(EntityRef ref, String groupType) {
    ObjectNode e = Serialization.JSON.createObjectNode();
    e.put("apiVersion", "backstage.io/v1alpha1");
    e.put("kind", Character.toUpperCase(ref.kind().charAt(0)) + ref.kind().substring(1).toLowerCase(Locale.ROOT));
    ObjectNode meta = e.putObject("metadata");
    meta.put("name", ref.name());
    meta.put("namespace", ref.namespace());
    meta.put("uid", EntityMapper.uuidOf(ref));
    meta.putObject("annotations").put("backstage.io/managed-by-location", "tarmac:synthesized")
        .put("backstage.io/managed-by-origin-location", "tarmac:synthesized");
    ObjectNode spec = e.putObject("spec");
    if (groupType != null) {
      spec.put("type", groupType);
      spec.putObject("profile").put("displayName", ref.name());
      spec.putArray("children");
    }
    e.putArray("relations");
    return e;
  }

  /** The lower-case ref of an entity. */
  static String ref(JsonNode e) {
    return (e.path("kind").asText() + ":" + e.path("metadata").path("namespace").asText("default") + "/"
        + e.path("metadata").path("name").asText()).toLowerCase(Locale.ROOT);
  }

  /** The ref of an entity as Backstage prints it (lower-case kind and namespace). */
  static String displayRef(JsonNode e) {
    return e.path("kind").asText().toLowerCase(Locale.ROOT) + ":"
        + e.path("metadata").path("namespace").asText("default").toLowerCase(Locale.ROOT) + "/"
        + e.path("metadata").path("name").asText();
  }

  private static String etag(ObjectNode content) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(
          content.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (java.security.NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
  }

  /** Keys Backstage's search table leaves out (special keys are added on their own). */
  private static final Set<String> SPECIAL = Set.of("attachments", "relations", "status", "metadata.name",
      "metadata.namespace", "metadata.uid", "metadata.etag");
  /** Longest key and value Backstage's search table keeps (a longer value: the key exists, without a value). */
  private static final int MAX_LENGTH = 200;

  /**
   * Backstage's search rows of an entity ({@code buildEntitySearch} in plugins/catalog-backend): lower-case dotted
   * keys through objects and arrays with their values as written (one set per key, the first spelling of each value
   * case-insensitively), {@code <array path>.<item>} = {@code true} for each string item, {@code metadata.name},
   * {@code metadata.namespace}, {@code metadata.uid}, and {@code relations.<type>} = target ref. A key with only
   * null or over-long values is present with no value ({@code $exists} holds, equality does not).
   */
  static Map<String, Set<String>> searchKeys(JsonNode entity) {
    Map<String, Set<String>> out = new HashMap<>();
    traverse("", entity, out);
    JsonNode meta = entity.path("metadata");
    add(out, "metadata.name", meta.path("name"));
    add(out, "metadata.namespace", meta.has("namespace") ? meta.get("namespace")
        : Serialization.JSON.getNodeFactory().textNode(EntityRef.DEFAULT_NAMESPACE));
    add(out, "metadata.uid", meta.path("uid"));
    for (JsonNode r : entity.path("relations")) {
      add(out, "relations." + r.path("type").asText(), r.path("targetRef"));
    }
    return out;
  }

  private static void traverse(String path, JsonNode node, Map<String, Set<String>> out) {
    if (SPECIAL.contains(path)) {
      return;
    }
    if (node.isValueNode() || node.isNull()) {
      add(out, path, node);
    } else if (node.isArray()) {
      for (JsonNode item : node) {
        traverse(path, item, out);
        if (item.isTextual()) {
          add(out, path + "." + item.asText(), com.fasterxml.jackson.databind.node.BooleanNode.TRUE);
        }
      }
    } else if (node.isObject()) {
      node.fields().forEachRemaining(f -> traverse(path.isEmpty() ? f.getKey() : path + "." + f.getKey(),
          f.getValue(), out));
    }
  }

  private static void add(Map<String, Set<String>> out, String rawKey, JsonNode value) {
    String key = rawKey.toLowerCase(Locale.ROOT);
    if (key.length() > MAX_LENGTH || value.isMissingNode()) {
      return;
    }
    Set<String> values = out.computeIfAbsent(key, k -> new LinkedHashSet<>(2));
    if (value.isNull() || value.asText().length() > MAX_LENGTH) {
      return;
    }
    String v = value.asText();
    for (String have : values) {
      if (have.equalsIgnoreCase(v)) {
        return;
      }
    }
    values.add(v);
  }

  /** Number of sources (cluster objects) indexed. */
  public int sources() {
    return sources.size();
  }

  /** For tests: all entities of the current snapshot, rebuilt first. */
  Collection<ObjectNode> entities() {
    return rebuild().entities();
  }
}
