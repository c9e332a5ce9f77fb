package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Backstage's filter predicates ({@code @backstage/filter-predicates}, as the catalog backend evaluates them over its
 * search table), parsed once and evaluated over a {@link CatalogIndex.Snapshot}'s inverted index. Pure.
 *
 * <p>A predicate is an object: {@code {"$all": [p...]}} (all hold; none given: true), {@code {"$any": [p...]}} (one
 * holds; none given: false), {@code {"$not": p}}, or field expressions {@code {"<dotted.key>": v, ...}} that must all
 * hold. A value {@code v} is a primitive (the key has that value, compared case-insensitively, numbers and booleans
 * as their text), {@code {"$exists": true|false}}, {@code {"$in": [primitive...]}}, {@code {"$hasPrefix": "text"}},
 * {@code {"$contains": primitive}} (as equality: array items are indexed one by one), or for the key
 * {@code relations} {@code {"$contains": {"type": t, "targetRef": ref | {"$in": [refs]}}}}. Keys are the search keys
 * of {@link CatalogIndex}: lower-case dotted paths through objects and arrays, {@code <array path>.<item>} = true for
 * string items, {@code relations.<type>}. Anything else is an {@link IllegalArgumentException} with the catalog
 * backend's message (answered as a 400 InputError).
 */
public abstract sealed class CatalogPredicate {

  private CatalogPredicate() {
  }

  /** The indexes of the entities of {@code s} matching this predicate. */
  abstract BitSet eval(CatalogIndex.Snapshot s);

  /** True when {@code object} (a plain JSON object, e.g. a location) matches, comparing values at dotted paths. */
  abstract boolean matches(JsonNode object);

  /**
   * Parses a predicate.
   *
   * @throws IllegalArgumentException when it is not one (Backstage's InputError message)
   */
  public static CatalogPredicate parse(JsonNode p) {
    if (p == null || !p.isObject()) {
      throw new IllegalArgumentException("Invalid filter predicate: top-level primitive values are not supported."
          + " Wrap the value in a field expression, e.g. { \"kind\": " + p + " }");
    }
    boolean operator = false;
    for (var it = p.fieldNames(); it.hasNext();) {
      operator |= it.next().startsWith("$");
    }
    if (operator) {
      String key = p.fieldNames().next();
      JsonNode value = p.get(key);
      boolean valid = p.size() == 1 && (key.equals("$not")
          || (key.equals("$all") || key.equals("$any")) && value.isArray());
      if (!valid) {
        throw new IllegalArgumentException("Invalid filter predicate: operators must be a single $all or $any with an"
            + " array, or $not, but got " + p);
      }
      if (key.equals("$not")) {
        return new Not(parse(value));
      }
      List<CatalogPredicate> parts = new ArrayList<>();
      value.forEach(v -> parts.add(parse(v)));
      return key.equals("$all") ? new All(parts) : new Any(parts);
    }
    List<CatalogPredicate> fields = new ArrayList<>();
    p.fields().forEachRemaining(f -> fields.add(field(f.getKey().toLowerCase(Locale.ROOT), f.getValue())));
    return fields.size() == 1 ? fields.get(0) : new All(fields);
  }

  private static CatalogPredicate field(String key, JsonNode v) {
    if (v.isValueNode() && !v.isNull()) {
      return new In(key, List.of(v.asText().toLowerCase(Locale.ROOT)));
    }
    if (v.isObject()) {
      if (v.has("$exists")) {
        return new Exists(key, v.get("$exists").asBoolean());
      }
      if (v.has("$in") && v.get("$in").isArray()) {
        List<String> values = new ArrayList<>();
        v.get("$in").forEach(x -> values.add(x.asText().toLowerCase(Locale.ROOT)));
        return new In(key, values);
      }
      if (v.has("$hasPrefix") && v.get("$hasPrefix").isTextual()) {
        return new Prefix(key, v.get("$hasPrefix").asText().toLowerCase(Locale.ROOT));
      }
      if (v.has("$contains")) {
        JsonNode target = v.get("$contains");
        if (target.isValueNode() && !target.isNull()) {
          return new In(key, List.of(target.asText().toLowerCase(Locale.ROOT)));
        }
        if (target.isObject() && key.equals("relations")) {
          return relation(target);
        }
        if (target.isObject()) {
          throw new IllegalArgumentException("Object form of $contains is not supported for field \"" + key + "\"");
        }
        throw new IllegalArgumentException("Unsupported $contains target for field \"" + key + "\": " + target);
      }
    }
    throw new IllegalArgumentException("Invalid filter predicate value for field \"" + key + "\": expected a"
        + " primitive value, $exists, $in, $hasPrefix, or $contains operator, but got " + v);
  }

  private static CatalogPredicate relation(JsonNode target) {
    String type = null;
    List<String> refs = null;
    for (var it = target.fields(); it.hasNext();) {
      var f = it.next();
      String k = f.getKey().toLowerCase(Locale.ROOT);
      if (k.equals("type") && f.getValue().isTextual()) {
        type = f.getValue().asText();
      } else if (k.equals("targetref")) {
        refs = new ArrayList<>();
        if (f.getValue().isTextual()) {
          refs.add(f.getValue().asText().toLowerCase(Locale.ROOT));
        } else if (f.getValue().path("$in").isArray() && !f.getValue().get("$in").isEmpty()) {
          for (JsonNode r : f.getValue().get("$in")) {
            refs.add(r.asText().toLowerCase(Locale.ROOT));
          }
        } else {
          throw new IllegalArgumentException("Unsupported value in $contains for \"relations\": expected a string or"
              + " { \"$in\": [strings] }, but got " + f.getValue());
        }
      } else if (k.equals("type")) {
        throw new IllegalArgumentException("The $contains operator for \"relations\" requires a \"type\" string"
            + " property");
      } else {
        throw new IllegalArgumentException("Unsupported key \"" + f.getKey() + "\" in $contains for \"relations\"."
            + " Only \"type\" and \"targetRef\" are supported");
      }
    }
    if (type == null) {
      throw new IllegalArgumentException("The $contains operator for \"relations\" requires a \"type\" string"
          + " property");
    }
    String key = "relations." + type.toLowerCase(Locale.ROOT);
    return refs == null ? new Exists(key, true) : new In(key, refs);
  }

  /**
   * The predicate of Backstage's {@code filter} query parameters ({@code parseEntityFilterParams}): each parameter a
   * comma-separated list of {@code key=value} or {@code key} conditions, all of which must hold; a key named twice in
   * one parameter takes either value; the parameters are alternatives. Null when there is no condition.
   */
  public static CatalogPredicate ofFilters(List<String> filters) {
    List<List<CatalogQuery.Condition>> parsed = CatalogQuery.parseFilters(filters);
    return parsed.isEmpty() ? null : parse(json(parsed));
  }

  /** {@code filters} as a predicate JSON object (Backstage's conversion of filter strings). */
  static ObjectNode json(List<List<CatalogQuery.Condition>> filters) {
    ArrayNode any = Serialization.JSON.createArrayNode();
    for (List<CatalogQuery.Condition> all : filters) {
      ArrayNode conditions = Serialization.JSON.createArrayNode();
      for (CatalogQuery.Condition c : all) {
        ObjectNode p = conditions.addObject();
        List<String> values = c.values().stream().filter(java.util.Objects::nonNull).toList();
        if (values.isEmpty()) {
          p.putObject(c.key()).put("$exists", true);
        } else if (values.size() == 1) {
          p.put(c.key(), values.get(0));
        } else {
          ArrayNode in = p.putObject(c.key()).putArray("$in");
          values.forEach(in::add);
        }
      }
      if (conditions.size() == 1) {
        any.add(conditions.get(0));
      } else {
        any.addObject().set("$all", conditions);
      }
    }
    if (any.size() == 1) {
      return (ObjectNode) any.get(0);
    }
    ObjectNode out = Serialization.JSON.createObjectNode();
    out.set("$any", any);
    return out;
  }

  private static BitSet universe(CatalogIndex.Snapshot s) {
    BitSet all = new BitSet(s.entities().size());
    all.set(0, s.entities().size());
    return all;
  }

  /** Values at a dotted path of a plain object, lower case (array items one by one). */
  private static List<String> values(JsonNode object, String key) {
    List<String> out = new ArrayList<>();
    JsonNode v = Paths.value(object, key);
    if (v == null || v.isNull() || v.isMissingNode()) {
      return out;
    }
    if (v.isArray()) {
      v.forEach(x -> out.add(x.asText().toLowerCase(Locale.ROOT)));
    } else {
      out.add(v.asText().toLowerCase(Locale.ROOT));
    }
    return out;
  }

  static final class All extends CatalogPredicate {
    final List<CatalogPredicate> parts;

    All(List<CatalogPredicate> parts) {
      this.parts = parts;
    }

    @Override
    BitSet eval(CatalogIndex.Snapshot s) {
      BitSet out = universe(s);
      for (CatalogPredicate p : parts) {
        out.and(p.eval(s));
        if (out.isEmpty()) {
          break;
        }
      }
      return out;
    }

    @Override
    boolean matches(JsonNode object) {
      return parts.stream().allMatch(p -> p.matches(object));
    }
  }

  static final class Any extends CatalogPredicate {
    final List<CatalogPredicate> parts;

    Any(List<CatalogPredicate> parts) {
      this.parts = parts;
    }

    @Override
    BitSet eval(CatalogIndex.Snapshot s) {
      BitSet out = new BitSet(s.entities().size());
      parts.forEach(p -> out.or(p.eval(s)));
      return out;
    }

    @Override
    boolean matches(JsonNode object) {
      return parts.stream().anyMatch(p -> p.matches(object));
    }
  }

  static final class Not extends CatalogPredicate {
    final CatalogPredicate inner;

    Not(CatalogPredicate inner) {
      this.inner = inner;
    }

    @Override
    BitSet eval(CatalogIndex.Snapshot s) {
      BitSet out = universe(s);
      out.andNot(inner.eval(s));
      return out;
    }

    @Override
    boolean matches(JsonNode object) {
      return !inner.matches(object);
    }
  }

  static final class Exists extends CatalogPredicate {
    final String key;
    final boolean exists;

    Exists(String key, boolean exists) {
      this.key = key;
      this.exists = exists;
    }

    @Override
    BitSet eval(CatalogIndex.Snapshot s) {
      BitSet with = CatalogQuery.postings(s, key).get(CatalogQuery.EXISTS);
      BitSet out = with == null ? new BitSet() : (BitSet) with.clone();
      if (!exists) {
        BitSet all = universe(s);
        all.andNot(out);
        return all;
      }
      return out;
    }

    @Override
    boolean matches(JsonNode object) {
      JsonNode v = Paths.value(object, key);
      return (v != null && !v.isMissingNode()) == exists;
    }
  }

  static final class In extends CatalogPredicate {
    final String key;
    final List<String> values;

    In(String key, List<String> values) {
      this.key = key;
      this.values = values;
    }

    @Override
    BitSet eval(CatalogIndex.Snapshot s) {
      Map<String, BitSet> byValue = CatalogQuery.postings(s, key);
      BitSet out = new BitSet(s.entities().size());
      for (String v : values) {
        BitSet some = byValue.get(v);
        if (some != null) {
          out.or(some);
        }
      }
      return out;
    }

    @Override
    boolean matches(JsonNode object) {
      Set<String> wanted = Set.copyOf(values);
      return values(object, key).stream().anyMatch(wanted::contains);
    }
  }

  static final class Prefix extends CatalogPredicate {
    final String key;
    final String prefix;

    Prefix(String key, String prefix) {
      this.key = key;
      this.prefix = prefix;
    }

    @Override
    BitSet eval(CatalogIndex.Snapshot s) {
      BitSet out = new BitSet(s.entities().size());
      CatalogQuery.postings(s, key).forEach((v, set) -> {
        if (!v.equals(CatalogQuery.EXISTS) && v.startsWith(prefix)) {
          out.or(set);
        }
      });
      return out;
    }

    @Override
    boolean matches(JsonNode object) {
      return values(object, key).stream().anyMatch(v -> v.startsWith(prefix));
    }
  }
}
