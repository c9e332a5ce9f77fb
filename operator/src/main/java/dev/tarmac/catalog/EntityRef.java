package dev.tarmac.catalog;

import java.util.Locale;

/**
 * A Backstage entity reference, {@code kind:namespace/name}, compared case-insensitively. Parsing follows
 * Backstage's rules: a missing kind takes the context's default kind (Group for owners, Component for dependsOn,
 * API for APIs, System for systems); a missing namespace is {@code default}.
 *
 * @param kind the kind, as written (e.g. Component)
 * @param namespace the namespace
 * @param name the name
 */
public record EntityRef(String kind, String namespace, String name) {

  /** The default namespace. */
  public static final String DEFAULT_NAMESPACE = "default";

  /**
   * Parses {@code ref}.
   *
   * @param defaultKind used when the reference has no {@code kind:}
   * @throws IllegalArgumentException when it is empty
   */
  public static EntityRef parse(String ref, String defaultKind) {
    if (ref == null || ref.isBlank()) {
      throw new IllegalArgumentException("empty entity reference");
    }
    String kind = defaultKind;
    String rest = ref.trim();
    int colon = rest.indexOf(':');
    if (colon > 0) {
      kind = rest.substring(0, colon);
      rest = rest.substring(colon + 1);
    }
    String namespace = DEFAULT_NAMESPACE;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      namespace = rest.substring(0, slash);
      rest = rest.substring(slash + 1);
    }
    return new EntityRef(kind, namespace, rest);
  }

  /** {@code kind:namespace/name} with kind and namespace in lower case, as Backstage stringifies refs. */
  @Override
  public String toString() {
    return kind.toLowerCase(Locale.ROOT) + ":" + namespace.toLowerCase(Locale.ROOT) + "/" + name;
  }

  /** The lower-case key this ref is looked up by. */
  public String key() {
    return toString().toLowerCase(Locale.ROOT);
  }
}
