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
   *     filled per key on first use; {@link CatalogQuery#EXISTS} maps to the entities that have the key at all);
   *     under {@link CatalogQuery#AS_WRITTEN} + key, value as written → entities, for facets. A new snapshot builds
   *     those its predecessor was asked for before it is served
   * @param parents per lower-case ref: the refs of the entities it was derived from (an API a Component provides:
   *     that Component), for {@code /ancestry}
   * @param orders search key → per entity, the rank of its first value (lower case) among the key's distinct values,
   *     -1 for none ({@link CatalogQuery#orderBy}), filled per key on first use; under {@link CatalogQuery#SORTED} +
   *     key, the entities with a value sorted by it ({@link CatalogQuery#sortedBy})
   * @param json per entity (same order as {@code entities}): its JSON as served, written on first use and kept while
   *     the entity is unchanged, also across rebuilds ({@link Json})
   * @param facetRows facet key (+ NUL + visibility key) → the rows {@code /entity-facets} answers for it over everything
   *     (that key's callers) see, filled on first use ({@link CatalogQuery#facetsJson})
   */
  public record Snapshot(List<ObjectNode> entities, Map<String, ObjectNode> byRef, Map<String, ObjectNode> byUid,
      List<Map<String, Set<String>>> search, Map<String, List<Scorecards.Result>> scorecards, long generation,
      Map<String, Map<String, Integer>> facetsOfAll, Map<String, Map<String, java.util.BitSet>> postings,
      Map<String, List<String>> parents, Map<String, int[]> orders, List<Json> json, Map<String, JsonNode> facetRows) {
  }

  /**
   * An entity's JSON as the catalog API serves it (UTF-8 bytes), written once, on first use, and then copied into each
   * response that serves the entity whole: 20 entities of a page cost 20 array copies, not a tree walk and an encoding
   * each. One per published entity: an entity that a rebuild leaves unchanged keeps it; a changed one gets a new one.
   * Memory: the entities served so far, about 1.2 KiB each at the bench's shapes (docs/benchmarks.md).
   */
  public static final class Json implements com.fasterxml.jackson.core.SerializableString {
    private final ObjectNode entity;
    private final com.fasterxml.jackson.databind.util.RawValue raw;
    private volatile byte[] bytes;

    Json(ObjectNode entity) {
      this.entity = entity;
      this.raw = new com.fasterxml.jackson.databind.util.RawValue(this);
    }

    /** The entity as compact JSON, UTF-8. The array is shared: never change it. */
    byte[] bytes() {
      byte[] b = bytes;
      if (b == null) {
        try {
          b = Serialization.JSON.writeValueAsBytes(entity);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new java.io.UncheckedIOException(e);
        }
        bytes = b;
      }
      return b;
    }

    /** A JSON tree node that writes these bytes as they are (for a response tree). */
    public JsonNode node() {
      return Serialization.JSON.getNodeFactory().rawValueNode(raw);
    }

    @Override
    public String getValue() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    @Override
    public int charLength() {
      return getValue().length();
    }

    @Override
    public char[] asQuotedChars() {
      return com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(getValue());
    }

    @Override
    public byte[] asUnquotedUTF8() {
      return bytes();
    }

    @Override
    public byte[] asQuotedUTF8() {
      return com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsUTF8(getValue());
    }

    @Override
    public int appendQuotedUTF8(byte[] buffer, int offset) {
      return copy(asQuotedUTF8(), buffer, offset);
    }

    @Override
    public int appendQuoted(char[] buffer, int offset) {
      char[] q = asQuotedChars();
      if (offset + q.length > buffer.length) {
        return -1;
      }
      System.arraycopy(q, 0, buffer, offset, q.length);
      return q.length;
    }

    @Override
    public int appendUnquotedUTF8(byte[] buffer, int offset) {
      return copy(bytes(), buffer, offset);
    }

    @Override
    public int appendUnquoted(char[] buffer, int offset) {
      String v = getValue();
      if (offset + v.length() > buffer.length) {
        return -1;
      }
      v.getChars(0, v.length(), buffer, offset);
      return v.length();
    }

    @Override
    public int writeQuotedUTF8(java.io.OutputStream out) throws java.io.IOException {
      byte[] q = asQuotedUTF8();
      out.write(q);
      return q.length;
    }

    @Override
    public int writeUnquotedUTF8(java.io.OutputStream out) throws java.io.IOException {
      byte[] b = bytes();
      out.write(b);
      return b.length;
    }

    @Override
    public int putQuotedUTF8(java.nio.ByteBuffer buffer) {
      byte[] q = asQuotedUTF8();
      if (q.length > buffer.remaining()) {
        return -1;
      }
      buffer.put(q);
      return q.length;
    }

    @Override
    public int putUnquotedUTF8(java.nio.ByteBuffer buffer) {
      byte[] b = bytes();
      if (b.length > buffer.remaining()) {
        return -1;
      }
      buffer.put(b);
      return b.length;
    }

    private static int copy(byte[] from, byte[] buffer, int offset) {
      if (offset + from.length > buffer.length) {
        return -1;
      }
      System.arraycopy(from, 0, buffer, offset, from.length);
      return from.length;
    }
  }

  private final Map<String, List<Prepared>> sources = new ConcurrentHashMap<>();
  private final Map<String, JsonNode> scorecardSpecs = new ConcurrentHashMap<>();
  private final AtomicLong changes = new AtomicLong();
  /** Increases when a Scorecard changes: every entity's results are evaluated again. */
  private final AtomicLong scorecardChanges = new AtomicLong();
  private volatile Snapshot snapshot = new Snapshot(List.of(), Map.of(), Map.of(), List.of(), Map.of(), 0,
      new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), Map.of(), new ConcurrentHashMap<>(), List.of(),
      new ConcurrentHashMap<>());
  private long builtFrom = -1;
  private long scorecardsBuiltFrom = -1;
  /** Per lower-case ref: what the last rebuild made of it, and from which inputs. */
  private Map<String, Built> built = Map.of();
  /** Synthesized Groups and Systems of the last rebuild by ref and owner, so an unchanged one keeps its identity. */
  private Map<String, Prepared> synthesizedBefore = Map.of();
  /** The lower-case refs of the last rebuild, sorted. */
  private List<String> order = List.of();

  /**
   * A source entity with what the rebuild reads of it worked out once, when it is upserted (not on every rebuild).
   *
   * @param entity the entity as mapped (never changed)
   * @param ref its lower-case ref
   * @param display its ref as Backstage prints it (inverse relations point to it)
   * @param namespace its namespace as written
   * @param group true for a Group
   * @param sourced true for a Backstage descriptor ({@link BackstageObjects#sourced})
   * @param owned true when it has an ownedBy relation
   * @param namespaceTeam for a Group mapped from a team namespace, that namespace; else null
   * @param relations its relations in order
   */
  record Prepared(ObjectNode entity, String ref, String display, String namespace, boolean group, boolean sourced,
      boolean owned, String namespaceTeam, List<Rel> relations) {

    static Prepared of(ObjectNode e) {
      List<Rel> relations = new ArrayList<>();
      boolean owned = false;
      for (JsonNode r : e.path("relations")) {
        String type = r.path("type").asText();
        String target = r.path("targetRef").asText();
        relations.add(new Rel(type, target, target.toLowerCase(Locale.ROOT)));
        owned |= type.equals("ownedBy");
      }
      boolean group = "Group".equals(e.path("kind").asText());
      return new Prepared(e, CatalogIndex.ref(e), displayRef(e), e.path("metadata").path("namespace").asText(),
          group, BackstageObjects.sourced(e), owned,
          group ? e.path("metadata").path("annotations").path("backstage.io/kubernetes-namespace").asText(null)
              : null, List.copyOf(relations));
    }
  }

  /**
   * One relation: its type, its target as written and in lower case (null for an inverse relation). Equal when the
   * strings are; those of an unchanged source are the same instances, so comparing inputs is cheap.
   */
  record Rel(String type, String target, String targetKey) {
  }

  /**
   * What an entity's served content is a function of: its source entity (by identity), the team that owns it
   * through its namespace (or null), the relations naming refs that are not in the catalog (warnings), the
   * inverse relations other entities give it, and the fields computed elsewhere for its {@code status} (cost, DORA;
   * {@link #statusField}). Equal inputs give equal content, so the content is kept.
   */
  private record Inputs(Prepared source, String team, List<Rel> missing, List<Rel> inverse,
      Map<String, JsonNode> statusFields) {
    boolean same(Inputs o) {
      return o != null && source == o.source && java.util.Objects.equals(team, o.team) && missing.equals(o.missing)
          && inverse.equals(o.inverse) && statusFields.equals(o.statusFields);
    }
  }

  /**
   * An entity as the last rebuild made it: its inputs, the published entity, its Scorecard results (null: none) and
   * the lower-case refs its relations point to.
   */
  private record Built(Inputs inputs, Published published, List<Scorecards.Result> results, List<String> targets) {
  }

  /**
   * Adds or replaces the entities of one cluster object.
   *
   * @param key the object's identity (e.g. {@code Component/payments/payments-service})
   * @param object the object as JSON
   * @param promiseOfRequest for a Promise request, the Promise's name; else null
   */
  public void upsert(String key, JsonNode object, String promiseOfRequest) {
    upsertEntities(key, EntityMapper.map(object, promiseOfRequest));
    status(key, object);
  }

  /**
   * The readiness of one cluster object, as the portal's request list shows it without asking the API server.
   *
   * @param ready the Ready condition's status ({@code True}, {@code False}, {@code Unknown}), null without one
   * @param reason its reason, or null
   * @param message its message, or null
   * @param since its lastTransitionTime (RFC 3339), or null
   * @param created the object's creationTimestamp (RFC 3339), or null
   * @param stale true when the object's status describes an older generation than its spec (a change not yet seen)
   */
  public record ObjectStatus(String ready, String reason, String message, String since, String created,
      boolean stale) {

    /** The status of {@code object} (Kubernetes JSON), read from its Ready condition. */
    public static ObjectStatus of(JsonNode object) {
      JsonNode ready = null;
      for (JsonNode c : object.path("status").path("conditions")) {
        if ("Ready".equals(c.path("type").asText())) {
          ready = c;
        }
      }
      long generation = object.path("metadata").path("generation").asLong(0);
      long observed = object.path("status").path("observedGeneration").asLong(generation);
      String created = object.path("metadata").path("creationTimestamp").asText(null);
      if (ready == null) {
        return new ObjectStatus(null, null, null, null, created, observed < generation);
      }
      return new ObjectStatus(ready.path("status").asText(null), ready.path("reason").asText(null),
          ready.path("message").asText(null), ready.path("lastTransitionTime").asText(null), created,
          observed < generation);
    }
  }

  private final Map<String, ObjectStatus> statuses = new ConcurrentHashMap<>();
  private final Map<String, String> locationOfKey = new ConcurrentHashMap<>();
  private final AtomicLong statusChanges = new AtomicLong();

  /**
   * Records the readiness of one cluster object (every informer update, status writes included; no rebuild).
   *
   * @param key the object's identity, as given to {@link #upsert}
   * @param object the object as JSON
   */
  public void status(String key, JsonNode object) {
    ObjectStatus now = ObjectStatus.of(object);
    String location = location(object);
    locationOfKey.put(key, location);
    if (!now.equals(statuses.put(location, now))) {
      statusChanges.incrementAndGet();
    }
  }

  /**
   * The readiness of the object an entity comes from, by the entity's {@code backstage.io/managed-by-location}
   * ({@code kubernetes:<apiVersion>/<kind>/[<namespace>/]<name>}); null when none was recorded.
   */
  public ObjectStatus statusOf(JsonNode entity) {
    String location = entity.path("metadata").path("annotations").path("backstage.io/managed-by-location")
        .asText("");
    return location.isEmpty() ? null : statuses.get(location);
  }

  /** Increases whenever a recorded status changes (pages that follow statuses compare it). */
  public long statusVersion() {
    return statusChanges.get();
  }

  /** The managed-by-location an object's entities carry ({@link EntityMapper}'s rule). */
  static String location(JsonNode object) {
    JsonNode meta = object.path("metadata");
    String ns = meta.path("namespace").asText("");
    return "kubernetes:" + object.path("apiVersion").asText() + "/" + object.path("kind").asText() + "/"
        + (ns.isEmpty() ? "" : ns + "/") + meta.path("name").asText();
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
    List<Prepared> previous = sources.get(key);
    // Most updates (status writes, resyncs) change nothing the catalog shows: no rebuild for them, and the source
    // keeps its identity (which tells the rebuild it is unchanged).
    if (previous != null && previous.size() == entities.size()) {
      boolean same = true;
      for (int i = 0; i < entities.size() && same; i++) {
        same = previous.get(i).entity().equals(entities.get(i));
      }
      if (same) {
        return;
      }
    }
    sources.put(key, entities.stream().map(Prepared::of).toList());
    changes.incrementAndGet();
  }

  /** Removes the entities of one cluster object. */
  public void remove(String key) {
    String location = locationOfKey.remove(key);
    if (location != null && statuses.remove(location) != null) {
      statusChanges.incrementAndGet();
    }
    if (sources.remove(key) != null) {
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
    scorecardChanges.incrementAndGet();
    changes.incrementAndGet();
  }

  /**
   * Sets (or, with {@code byRef} null, removes) a field that other parts of the operator derive and add under the
   * {@code status} of entities, such as {@code status.cost} (docs/insights-cost.md) and {@code status.dora}
   * (docs/insights.md), so Backstage plugins and Scorecard checks read it as part of the entity. The whole field at
   * once: an entity missing from {@code byRef} loses it. Applied at every rebuild, before Scorecards are evaluated; an
   * entity that does not exist (yet) gets it once it does. The one way to set such a field.
   *
   * @param field the key under {@code status}, e.g. {@code cost}
   * @param byRef entity ref ({@code component:payments/payments-service}; case does not matter) → the value
   */
  public void statusField(String field, Map<String, JsonNode> byRef) {
    Map<String, JsonNode> next = null;
    if (byRef != null) {
      next = new java.util.HashMap<>();
      for (Map.Entry<String, JsonNode> e : byRef.entrySet()) {
        next.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
      }
      next = Map.copyOf(next);
    }
    Map<String, JsonNode> previous = next == null ? statusFields.remove(field) : statusFields.put(field, next);
    if (!java.util.Objects.equals(previous, next)) {
      changes.incrementAndGet();
    }
  }

  private final Map<String, Map<String, JsonNode>> statusFields = new ConcurrentHashMap<>();

  /** The fields computed elsewhere for {@code ref}'s status, by field name (sorted); empty when none. */
  private Map<String, JsonNode> statusFieldsOf(String ref) {
    Map<String, JsonNode> out = null;
    for (Map.Entry<String, Map<String, JsonNode>> f : statusFields.entrySet()) {
      JsonNode value = f.getValue().get(ref);
      if (value != null) {
        if (out == null) {
          out = new TreeMap<>();
        }
        out.put(f.getKey(), value);
      }
    }
    return out == null ? Map.of() : out;
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

  /** Most search keys whose postings a new snapshot builds before it is served (those the last one was asked for). */
  private static final int WARM_KEYS = 32;

  /**
   * Rebuilds the snapshot from the sources when anything changed; returns it.
   *
   * <p>The result is the same as building from nothing (CatalogIndexTest checks that after random changes), but
   * a change costs about what it changes: an entity's content is a function of its {@link Inputs}, and an entity
   * whose inputs are those of the last rebuild, and none of whose relation targets changed (Scorecards may look at
   * related entities), keeps its content, etag, search keys and Scorecard results. What remains per entity is a
   * few map lookups per relation. Postings of the search keys the last snapshot was queried by are built before the
   * new snapshot is served, so queries do not pay for them.
   */
  public synchronized Snapshot rebuild() {
    long seen = changes.get();
    if (seen == builtFrom) {
      return snapshot;
    }
    long scorecardsSeen = scorecardChanges.get();
    boolean allScorecards = scorecardsSeen != scorecardsBuiltFrom;
    Map<String, Prepared> base = new HashMap<>(built.size() * 2 + 16);
    // Several namespaces may name the same team, so the namespace → team map is taken before Groups merge.
    Map<String, String> teamOfNamespace = new HashMap<>();
    Map<String, List<String>> parents = new HashMap<>();
    for (List<Prepared> list : sources.values()) {
      for (int at = 1; at < list.size(); at++) {
        parents.computeIfAbsent(list.get(at).ref(), k -> new ArrayList<>()).add(list.get(0).ref());
      }
      for (Prepared e : list) {
        if (e.namespaceTeam() != null) {
          teamOfNamespace.put(e.namespaceTeam(), e.entity().path("metadata").path("name").asText());
        }
        base.merge(e.ref(), e, CatalogIndex::preferred);
      }
    }
    // An entity with no owner in a namespace labelled with a team is owned by that team (the Namespace's Group).
    Map<String, String> teamOf = new HashMap<>();
    if (!teamOfNamespace.isEmpty()) {
      for (Prepared e : base.values()) {
        String team = teamOfNamespace.get(e.namespace());
        if (team != null && !e.owned() && !e.group() && !e.sourced()) {
          teamOf.put(e.ref(), team);
        }
      }
    }
    // Owners and systems named anywhere exist as entities while they are referenced; a System gets the owner of the
    // first entity (in ref order) that names it. Backstage descriptors stay as Backstage has them: their references
    // synthesize nothing and warn of nothing.
    Map<String, Rel> groups = new HashMap<>();
    Map<String, String[]> systems = new HashMap<>();
    for (Prepared e : base.values()) {
      if (e.sourced()) {
        continue;
      }
      String team = teamOf.get(e.ref());
      for (Rel r : relations(e, team)) {
        String target = r.targetKey();
        if (base.containsKey(target)) {
          continue;
        }
        if (r.type().equals("ownedBy") && target.startsWith("group:")) {
          groups.putIfAbsent(target, r);
        } else if (r.type().equals("partOf") && target.startsWith("system:")) {
          String[] first = systems.get(target);
          if (first == null || e.ref().compareTo(first[0]) < 0) {
            String owner = team != null ? new EntityRef("Group", EntityRef.DEFAULT_NAMESPACE, team).toString()
                : e.entity().path("spec").path("owner").asText(null);
            systems.put(target, new String[] {e.ref(), owner, r.target()});
          }
        }
      }
    }
    Map<String, Prepared> synthesizedNow = new HashMap<>();
    groups.forEach((target, r) -> {
      Prepared g = synthesizedBefore.get(target);
      if (g == null) {
        g = Prepared.of(synthesize(EntityRef.parse(r.target(), "Group"), "team"));
      }
      base.put(target, g);
      synthesizedNow.put(target, g);
    });
    systems.forEach((target, first) -> {
      if (groups.containsKey(target)) {
        return;
      }
      String owner = first[1];
      String key = target + "\u0000" + owner;
      Prepared system = synthesizedBefore.get(key);
      if (system == null) {
        ObjectNode o = synthesize(EntityRef.parse(first[2], "System"), null);
        if (owner != null) {
          ((ObjectNode) o.get("spec")).put("owner", owner);
          EntityMapper.relation(o, "ownedBy", EntityRef.parse(owner, "Group"));
        }
        system = Prepared.of(o);
      }
      base.put(target, system);
      synthesizedNow.put(key, system);
    });
    // Ref order: the last one's when the same refs are there (most changes change an entity, not the set).
    List<String> order = this.order;
    boolean sameRefs = order.size() == base.size();
    for (var it = base.keySet().iterator(); sameRefs && it.hasNext();) {
      sameRefs = built.containsKey(it.next());
    }
    if (!sameRefs) {
      String[] refs = base.keySet().toArray(new String[0]);
      java.util.Arrays.sort(refs);
      order = List.of(refs);
    }
    // Inverse relations, and references to entities that do not exist (warnings, except for Backstage's own).
    Map<String, List<Rel>> inverse = new HashMap<>();
    Map<String, List<Rel>> missing = new HashMap<>();
    for (String ref : order) {
      Prepared e = base.get(ref);
      for (Rel r : relations(e, teamOf.get(ref))) {
        String inv = INVERSE.get(r.type());
        if (!base.containsKey(r.targetKey())) {
          if (!e.sourced()) {
            missing.computeIfAbsent(ref, k -> new ArrayList<>()).add(r);
          }
        } else if (inv != null) {
          inverse.computeIfAbsent(r.targetKey(), k -> new ArrayList<>()).add(new Rel(inv, e.display(), null));
        }
      }
    }
    // Which entities' inputs changed (or that are new, or gone): those are made again, and so are the entities
    // whose relations point to one of them (their Scorecards may look at it).
    Map<String, Inputs> inputs = new HashMap<>(base.size() * 2);
    Set<String> changed = new java.util.HashSet<>();
    for (String ref : order) {
      Inputs in = new Inputs(base.get(ref), teamOf.get(ref), missing.getOrDefault(ref, List.of()),
          inverse.getOrDefault(ref, List.of()), statusFieldsOf(ref));
      inputs.put(ref, in);
      Built before = built.get(ref);
      if (before == null || !in.same(before.inputs())) {
        changed.add(ref);
      }
    }
    if (!sameRefs) {
      for (String ref : built.keySet()) {
        if (!base.containsKey(ref)) {
          changed.add(ref);
        }
      }
    }
    Map<String, ObjectNode> contents = new LinkedHashMap<>();
    Map<String, Built> now = new HashMap<>(base.size() * 2);
    for (String ref : order) {
      Built before = built.get(ref);
      boolean again = allScorecards || changed.contains(ref);
      if (!again && !changed.isEmpty()) {
        for (String target : before.targets()) {
          if (changed.contains(target)) {
            again = true;
            break;
          }
        }
      }
      if (again) {
        contents.put(ref, content(inputs.get(ref)));
      } else {
        now.put(ref, before);
      }
    }
    // Scorecards of the entities made again (related entities as this rebuild has them), then etags and search
    // keys: an entity equal to the one the last rebuild published keeps that one (same instance, etag, keys).
    java.util.function.Function<String, ObjectNode> lookup = ref -> {
      ObjectNode c = contents.get(ref);
      if (c != null) {
        return c;
      }
      Built b = now.get(ref);
      return b == null ? null : b.published().content();
    };
    Map<String, JsonNode> specs = new TreeMap<>(scorecardSpecs);
    Map<String, List<Scorecards.Result>> evaluated = new HashMap<>();
    for (Map.Entry<String, ObjectNode> entry : contents.entrySet()) {
      ObjectNode e = entry.getValue();
      List<Scorecards.Result> rs = new ArrayList<>();
      for (Map.Entry<String, JsonNode> sc : specs.entrySet()) {
        Scorecards.Result r = Scorecards.evaluate(sc.getKey(), sc.getValue(), e, lookup);
        if (r != null) {
          rs.add(r);
        }
      }
      if (!rs.isEmpty()) {
        e.with("status").set("scorecards", Scorecards.toJson(rs));
      }
      evaluated.put(entry.getKey(), rs);
    }
    for (Map.Entry<String, ObjectNode> entry : contents.entrySet()) {
      ObjectNode e = entry.getValue();
      Built before = built.get(entry.getKey());
      Published published = before != null && before.published().content().equals(e) ? before.published()
          : publish(e);
      List<String> targets = new ArrayList<>();
      for (JsonNode r : e.path("relations")) {
        targets.add(r.path("targetRef").asText().toLowerCase(Locale.ROOT));
      }
      List<Scorecards.Result> rs = evaluated.get(entry.getKey());
      now.put(entry.getKey(), new Built(inputs.get(entry.getKey()), published, rs.isEmpty() ? null
          : before != null && rs.equals(before.results()) ? before.results() : List.copyOf(rs), List.copyOf(targets)));
    }
    Map<String, ObjectNode> byRef = new HashMap<>(order.size() * 2);
    ObjectNode[] entities = new ObjectNode[order.size()];
    Map<String, ObjectNode> byUid = new HashMap<>(order.size() * 2);
    List<Map<String, Set<String>>> search = new ArrayList<>(order.size());
    Json[] json = new Json[order.size()];
    Map<String, List<Scorecards.Result>> results = new HashMap<>();
    int at = 0;
    for (String ref : order) {
      Built b = now.get(ref);
      ObjectNode entity = b.published().entity();
      byRef.put(ref, entity);
      json[at] = b.published().json();
      entities[at++] = entity;
      byUid.put(b.published().uid(), entity);
      search.add(b.published().search());
      if (b.results() != null) {
        results.put(ref, b.results());
      }
    }
    built = now;
    List<String> orderBefore = this.order;
    this.order = order;
    synthesizedBefore = synthesizedNow;
    builtFrom = seen;
    scorecardsBuiltFrom = scorecardsSeen;
    Snapshot previous = snapshot;
    Snapshot next = new Snapshot(List.of(entities), byRef, byUid, search, results, previous.generation() + 1,
        new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), parents, new ConcurrentHashMap<>(), List.of(json),
        new ConcurrentHashMap<>());
    // Postings: carried over from the last snapshot (its bits moved to the entities' new indexes), with only the
    // entities whose search keys changed, or that are new, looked at again; not rebuilt from every entity's keys.
    int[] carried = carried(orderBefore, previous.search(), order, search);
    boolean[] covered = new boolean[search.size()];
    for (int j : carried) {
      if (j >= 0) {
        covered[j] = true;
      }
    }
    int warmed = 0;
    for (Map.Entry<String, Map<String, java.util.BitSet>> p : previous.postings().entrySet()) {
      if (warmed++ < WARM_KEYS) {
        next.postings().put(p.getKey(), carry(p.getValue(), carried, covered, search, p.getKey()));
      }
    }
    boolean sameOrder = orderBefore == order;
    for (String key : previous.orders().keySet()) {
      // The same entities in the same order, none of which changed its value of the key: the same ranks.
      String field = key.startsWith(CatalogQuery.SORTED) ? key.substring(CatalogQuery.SORTED.length()) : key;
      if (sameOrder && sameFirstValues(previous.search(), search, covered, field)) {
        next.orders().put(key, previous.orders().get(key));
        continue;
      }
      if (next.orders().containsKey(key)) {
        continue;
      }
      if (warmed++ < WARM_KEYS) {
        if (key.startsWith(CatalogQuery.SORTED)) {
          CatalogQuery.sortedBy(next, key.substring(CatalogQuery.SORTED.length()));
        } else {
          CatalogQuery.order(next, key);
        }
      }
    }
    snapshot = next;
    return snapshot;
  }

  /**
   * Per entity of the last snapshot (its index there), its index in the new one when it is there with the same search
   * keys (the same map instance: an unchanged published entity keeps it), else -1. Both ref lists are sorted.
   */
  private static int[] carried(List<String> before, List<Map<String, Set<String>>> searchBefore, List<String> now,
      List<Map<String, Set<String>>> searchNow) {
    int[] out = new int[before.size()];
    java.util.Arrays.fill(out, -1);
    if (searchBefore.size() != before.size()) {
      return out;
    }
    int i = 0;
    int j = 0;
    while (i < before.size() && j < now.size()) {
      int cmp = before == now ? 0 : before.get(i).compareTo(now.get(j));
      if (cmp == 0) {
        if (searchBefore.get(i) == searchNow.get(j)) {
          out[i] = j;
        }
        i++;
        j++;
      } else if (cmp < 0) {
        i++;
      } else {
        j++;
      }
    }
    return out;
  }

  /**
   * The postings of one key ({@link CatalogQuery#postings}, or under {@link CatalogQuery#AS_WRITTEN} its values as
   * written) for the new snapshot, from the last one's: each bit moved to the entity's new index ({@code carried}),
   * then the entities not carried over ({@code covered} false) added from their search keys. Equal to building them
   * from nothing (CatalogIndexTest).
   */
  private static Map<String, java.util.BitSet> carry(Map<String, java.util.BitSet> before, int[] carried,
      boolean[] covered, List<Map<String, Set<String>>> search, String postingsKey) {
    boolean asWritten = postingsKey.startsWith(CatalogQuery.AS_WRITTEN);
    String key = asWritten ? postingsKey.substring(CatalogQuery.AS_WRITTEN.length()) : postingsKey;
    Map<String, java.util.BitSet> out = asWritten ? new TreeMap<>() : new HashMap<>(before.size() * 2);
    for (Map.Entry<String, java.util.BitSet> e : before.entrySet()) {
      java.util.BitSet bits = e.getValue();
      java.util.BitSet moved = new java.util.BitSet(search.size());
      for (int i = bits.nextSetBit(0); i >= 0 && i < carried.length; i = bits.nextSetBit(i + 1)) {
        if (carried[i] >= 0) {
          moved.set(carried[i]);
        }
      }
      if (!moved.isEmpty()) {
        out.put(e.getKey(), moved);
      }
    }
    for (int j = 0; j < covered.length; j++) {
      if (covered[j]) {
        continue;
      }
      Set<String> values = search.get(j).get(key);
      if (values == null) {
        continue;
      }
      if (!asWritten) {
        out.computeIfAbsent(CatalogQuery.EXISTS, v -> new java.util.BitSet(search.size())).set(j);
      }
      for (String v : values) {
        out.computeIfAbsent(asWritten ? v : v.toLowerCase(Locale.ROOT), x -> new java.util.BitSet(search.size()))
            .set(j);
      }
    }
    return out;
  }

  /** True when every entity not carried over has the same first value of {@code key} (lower case) as before. */
  private static boolean sameFirstValues(List<Map<String, Set<String>>> before, List<Map<String, Set<String>>> now,
      boolean[] covered, String key) {
    if (before.size() != now.size()) {
      return false;
    }
    for (int j = 0; j < covered.length; j++) {
      if (!covered[j] && !java.util.Objects.equals(firstLower(before.get(j).get(key)), firstLower(now.get(j)
          .get(key)))) {
        return false;
      }
    }
    return true;
  }

  private static String firstLower(Set<String> values) {
    return values == null || values.isEmpty() ? null : values.iterator().next().toLowerCase(Locale.ROOT);
  }

  /** An entity's relations, with the team that owns it through its namespace (null: none) last. */
  private static List<Rel> relations(Prepared e, String team) {
    if (team == null) {
      return e.relations();
    }
    List<Rel> out = new ArrayList<>(e.relations());
    String owner = new EntityRef("Group", EntityRef.DEFAULT_NAMESPACE, team).toString();
    out.add(new Rel("ownedBy", owner, owner.toLowerCase(Locale.ROOT)));
    return out;
  }

  /** The content of an entity (before Scorecards) from its inputs; the source is not changed. */
  private static ObjectNode content(Inputs in) {
    ObjectNode e = writableCopy(in.source().entity());
    if (in.team() != null) {
      EntityRef owner = new EntityRef("Group", EntityRef.DEFAULT_NAMESPACE, in.team());
      ((ObjectNode) e.get("spec")).put("owner", owner.toString());
      EntityMapper.relation(e, "ownedBy", owner);
      sortRelations(e);
    }
    if (!in.missing().isEmpty()) {
      // The status object is a copy, its items array may be the source's: a new array, never the source's.
      ArrayNode all = Serialization.JSON.createArrayNode();
      all.addAll((ArrayNode) e.with("status").withArray("items"));
      for (Rel m : in.missing()) {
        ObjectNode item = all.addObject();
        item.put("type", "backstage.io/catalog-processing");
        item.put("level", "warning");
        String message = "relation " + m.type() + " points to " + m.target() + ", which is not in the catalog";
        item.put("message", message);
        item.putObject("error").put("name", "NotFoundError").put("message", message);
      }
      e.with("status").set("items", all);
    }
    in.statusFields().forEach((field, value) -> e.with("status").set(field, value));
    if (!in.inverse().isEmpty()) {
      ArrayNode relations = (ArrayNode) e.get("relations");
      for (Rel r : in.inverse()) {
        relations.addObject().put("type", r.type()).put("targetRef", r.target());
      }
      // As Backstage serves them: distinct (type, targetRef), ordered by type, then targetRef.
      sortRelations(e);
    }
    return e;
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

  /**
   * An entity as served: its content without etag, the served entity (content plus etag), its search keys, uid and
   * JSON.
   */
  private record Published(ObjectNode content, ObjectNode entity, Map<String, Set<String>> search, String uid,
      Json json) {
  }

  private static Published publish(ObjectNode content) {
    // Content and entity share all but metadata; neither is changed once published.
    ObjectNode entity = content.objectNode();
    content.fields().forEachRemaining(f -> entity.set(f.getKey(), f.getValue()));
    ObjectNode metadata = entity.putObject("metadata");
    content.path("metadata").fields().forEachRemaining(f -> metadata.set(f.getKey(), f.getValue()));
    metadata.put("etag", etag(content));
    return new Published(content, entity, searchKeys(entity), metadata.path("uid").asText(), new Json(entity));
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

  /**
   * Two objects produce the same entity (e.g. an API provided by two Components): keep the one with more data, and
   * of two as long the first in text order, so the choice does not depend on the order sources are visited in.
   */
  private static Prepared preferred(Prepared a, Prepared b) {
    String x = a.entity().toString();
    String y = b.entity().toString();
    if (x.length() != y.length()) {
      return x.length() > y.length() ? a : b;
    }
    return x.compareTo(y) <= 0 ? a : b;
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

  /** The lower-case ref of an entity ({@code kind:namespace/name}), the key of {@link Snapshot#byRef}. */
  public static String ref(JsonNode e) {
    return (e.path("kind").asText() + ":" + e.path("metadata").path("namespace").asText("default") + "/"
        + e.path("metadata").path("name").asText()).toLowerCase(Locale.ROOT);
  }

  /** The ref of an entity as Backstage prints it (lower-case kind and namespace). */
  public static String displayRef(JsonNode e) {
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
