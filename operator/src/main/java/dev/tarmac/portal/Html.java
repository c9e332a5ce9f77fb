package dev.tarmac.portal;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Small pure helpers the page models share: portal URLs of entities, query strings, element ids, and the one check
 * every link taken from an annotation passes ({@link #safeHref}). Values reach HTML through Pebble's autoescaping;
 * these only decide which URLs are built.
 */
public final class Html {

  private Html() {
  }

  /** {@code path} with {@code params} ({@code {name, value}} pairs) as a URL-encoded query string. */
  public static String url(String path, List<String[]> params) {
    StringBuilder out = new StringBuilder(path);
    for (String[] p : params) {
      out.append(out.length() == path.length() ? '?' : '&').append(enc(p[0])).append('=').append(enc(p[1]));
    }
    return out.toString();
  }

  /** One URL path segment or query value, encoded ({@code %20} for a space in paths). */
  public static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** An HTML id fragment for {@code value}: lower-case letters, digits and dashes. */
  public static String id(String value) {
    String id = value.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    return id.isEmpty() ? "x" : id;
  }

  /** The portal page of an entity: {@code /catalog/<kind>/<namespace>/<name>}, kind and namespace in lower case. */
  public static String entityUrl(JsonNode e) {
    return "/catalog/" + enc(e.path("kind").asText().toLowerCase(Locale.ROOT)) + "/"
        + enc(e.path("metadata").path("namespace").asText("default").toLowerCase(Locale.ROOT)) + "/"
        + enc(e.path("metadata").path("name").asText());
  }

  /**
   * The portal page of a ref ({@code [kind:][namespace/]name}), the kind defaulting to {@code defaultKind} and the
   * namespace to {@code default}.
   */
  public static String refUrl(String ref, String defaultKind) {
    String kind = defaultKind;
    String rest = ref;
    int colon = ref.indexOf(':');
    if (colon > 0) {
      kind = ref.substring(0, colon);
      rest = ref.substring(colon + 1);
    }
    String namespace = "default";
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      namespace = rest.substring(0, slash);
      rest = rest.substring(slash + 1);
    }
    return "/catalog/" + enc(kind.toLowerCase(Locale.ROOT)) + "/" + enc(namespace.toLowerCase(Locale.ROOT)) + "/"
        + enc(rest);
  }

  /** The name part of a ref: {@code group:default/team-a} → {@code team-a}. */
  public static String refName(String ref) {
    int at = Math.max(ref.lastIndexOf('/'), ref.lastIndexOf(':'));
    return ref.substring(at + 1);
  }

  /** The kind part of a ref, lower case ({@code component}), or {@code ""} when it names none. */
  public static String refKind(String ref) {
    int colon = ref.indexOf(':');
    return colon < 0 ? "" : ref.substring(0, colon).toLowerCase(Locale.ROOT);
  }

  /**
   * {@code value} when it is an absolute http(s) URL, else null: a link from an annotation a tenant wrote must not
   * be {@code javascript:} or {@code data:}. Backstage's {@code url:} prefix is removed first.
   */
  public static String safeHref(String value) {
    if (value == null) {
      return null;
    }
    String v = value.trim();
    if (v.startsWith("url:")) {
      v = v.substring(4);
    }
    try {
      URI u = new URI(v);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      return (scheme.equals("https") || scheme.equals("http")) && u.getHost() != null ? v : null;
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }

  /** A portal-local redirect target: a path starting with one {@code /} (not {@code //} or {@code /\}), else null. */
  public static String localPath(String next) {
    if (next == null || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")
        || next.chars().anyMatch(c -> c < 0x20)) {
      return null;
    }
    return next;
  }
}
