package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Which catalog entities a caller may see: an entity is visible when the caller may {@code get} the Kubernetes
 * object it comes from, decided per (API group, kind, namespace) — one SubjectAccessReview per namespace and
 * resource, not per entity — and memoized for the request, so filtering 10,000 entities costs a pass over an int
 * array. The object is read from the entity's {@code backstage.io/managed-by-location} annotation
 * ({@code kubernetes:<apiVersion>/<kind>/[<namespace>/]<name>}), which {@link EntityMapper} always sets itself.
 *
 * <p>Entities without an object of their own are visible to every authenticated caller: the Groups and Systems the
 * index synthesizes from owners and systems named anywhere ({@code tarmac:synthesized}), and the Groups mapped from
 * team-labelled Namespaces. They hold team and system names only, as Backstage shows its organisation to every
 * signed-in user. Relations pointing to entities the caller may not see are removed from what is served
 * ({@link Viewer#redact}), so a visible Group does not list another team's requests.
 */
public final class EntityVisibility {

  /**
   * The object an entity comes from: {@code apiVersion} (e.g. {@code platform.tarmac.dev/v1alpha1}), {@code kind},
   * {@code namespace} ({@code ""} for a cluster-scoped object). {@link #PUBLIC} for entities visible to everyone.
   */
  public record Source(String apiVersion, String kind, String namespace) {
    /** Entities visible to every authenticated caller. */
    public static final Source PUBLIC = new Source("", "", "");

    /** The API group: {@code ""} for the core group. */
    public String group() {
      int slash = apiVersion.indexOf('/');
      return slash < 0 ? "" : apiVersion.substring(0, slash);
    }
  }

  private record Classes(CatalogIndex.Snapshot snapshot, int[] classOf, List<Source> sources) {
  }

  private volatile Classes classes;

  /** The source of one entity, from its managed-by-location annotation. */
  public static Source sourceOf(JsonNode entity) {
    String location = entity.path("metadata").path("annotations").path("backstage.io/managed-by-location")
        .asText("");
    if (!location.startsWith("kubernetes:")) {
      return Source.PUBLIC;
    }
    String[] parts = location.substring("kubernetes:".length()).split("/");
    int at = parts.length > 0 && parts[0].contains(".") ? 2 : 1;
    if (parts.length < at + 2) {
      return new Source("?", "?", "?"); // malformed: names no resource, so no RBAC rule allows it
    }
    String apiVersion = at == 2 ? parts[0] + "/" + parts[1] : parts[0];
    String kind = parts[at];
    if (at == 1 && kind.equals("Namespace")) {
      return Source.PUBLIC;
    }
    String namespace = parts.length - at - 1 >= 2 ? parts[at + 1] : "";
    return new Source(apiVersion, kind, namespace);
  }

  /**
   * A view for one request.
   *
   * @param may decides one source (a SubjectAccessReview, cached); null when the caller sees everything
   */
  public Viewer viewer(Predicate<Source> may) {
    return new Viewer(may);
  }

  private Classes classes(CatalogIndex.Snapshot s) {
    Classes c = classes;
    if (c != null && c.snapshot() == s) {
      return c;
    }
    Map<Source, Integer> ids = new HashMap<>();
    List<Source> sources = new ArrayList<>();
    int[] classOf = new int[s.entities().size()];
    for (int i = 0; i < classOf.length; i++) {
      Source src = sourceOf(s.entities().get(i));
      classOf[i] = ids.computeIfAbsent(src, k -> {
        sources.add(k);
        return sources.size() - 1;
      });
    }
    c = new Classes(s, classOf, List.copyOf(sources));
    classes = c;
    return c;
  }

  /** What one caller sees, with its decisions memoized for the request. */
  public final class Viewer {
    private final Predicate<Source> may;
    private final Map<Source, Boolean> memo = new HashMap<>();

    private Viewer(Predicate<Source> may) {
      this.may = may;
    }

    /** True when the caller sees everything (no filtering needed). */
    public boolean all() {
      return may == null;
    }

    /** True when the caller may see entities of {@code source}. */
    public boolean sees(Source source) {
      return may == null || source.equals(Source.PUBLIC) || memo.computeIfAbsent(source, may::test);
    }

    /** True when the caller may see {@code entity}. */
    public boolean sees(JsonNode entity) {
      return may == null || sees(sourceOf(entity));
    }

    /**
     * What this caller may see of {@code s}, as a short key: callers with the same key see the same entities, so
     * per-snapshot results (facet counts over everything visible) can be shared between them. Null when the caller
     * sees everything.
     */
    public String key(CatalogIndex.Snapshot s) {
      return may == null ? null : allowedClasses(classes(s)).toString();
    }

    private BitSet allowedClasses(Classes c) {
      BitSet allowedClasses = new BitSet(c.sources().size());
      for (int k = 0; k < c.sources().size(); k++) {
        if (sees(c.sources().get(k))) {
          allowedClasses.set(k);
        }
      }
      return allowedClasses;
    }

    /** The indexes of the entities of {@code s} the caller may see; null when it sees all of them. */
    public BitSet visible(CatalogIndex.Snapshot s) {
      if (may == null) {
        return null;
      }
      Classes c = classes(s);
      BitSet allowedClasses = allowedClasses(c);
      BitSet out = new BitSet(c.classOf().length);
      if (allowedClasses.cardinality() == c.sources().size()) {
        out.set(0, c.classOf().length);
        return out;
      }
      for (int i = 0; i < c.classOf().length; i++) {
        if (allowedClasses.get(c.classOf()[i])) {
          out.set(i);
        }
      }
      return out;
    }

    /**
     * {@code entity} as this caller may see it: the same instance when every relation points to a visible entity (or
     * to none in the catalog), else a copy without the relations to hidden ones.
     */
    public JsonNode redact(JsonNode entity, CatalogIndex.Snapshot s) {
      if (may == null || !(entity instanceof ObjectNode o) || !o.path("relations").isArray()) {
        return entity;
      }
      ArrayNode kept = null;
      ArrayNode relations = (ArrayNode) o.get("relations");
      for (int i = 0; i < relations.size(); i++) {
        JsonNode r = relations.get(i);
        ObjectNode target = s.byRef().get(r.path("targetRef").asText().toLowerCase(Locale.ROOT));
        boolean visible = target == null || sees(target);
        if (!visible && kept == null) {
          kept = o.arrayNode();
          for (int j = 0; j < i; j++) {
            kept.add(relations.get(j));
          }
        } else if (visible && kept != null) {
          kept.add(r);
        }
      }
      if (kept == null) {
        return entity;
      }
      ObjectNode copy = o.objectNode();
      o.fields().forEachRemaining(f -> copy.set(f.getKey(), f.getValue()));
      copy.set("relations", kept);
      return copy;
    }
  }
}
