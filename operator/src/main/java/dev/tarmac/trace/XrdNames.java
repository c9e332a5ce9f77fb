package dev.tarmac.trace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.crossplane.CrossplaneFields;
import dev.tarmac.crossplane.XrdCrds;
import dev.tarmac.crossplane.XrdException;
import dev.tarmac.crossplane.XrdKinds;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads Crossplane {@code CompositeResourceDefinition}s (XRDs) as {@code tarmac trace} and the catalog need them:
 * the XR and claim kinds one defines ({@link XrdKinds}) and the names a user may type for them. Read-only; the XRD
 * controller is what generates the CRDs. Source of the rules: Crossplane's documentation, "Composite Resource
 * Definitions" (v1 and v2): {@code spec.group}, {@code spec.names}, {@code spec.claimNames}, {@code spec.versions[]}
 * ({@code referenceable}, {@code served}) and, in v2, {@code spec.scope} ({@code Namespaced} by default).
 */
public final class XrdNames {

  /** The XRD kind. */
  public static final String KIND = "CompositeResourceDefinition";
  /** The XRD resource (plural). */
  public static final String PLURAL = "compositeresourcedefinitions";

  private XrdNames() {
  }

  /** A kind the user typed, matched to an XRD: its kinds, and whether the claim kind (not the XR kind) matched. */
  public record Match(XrdKinds kinds, boolean claim) {
    /** The matched kind's name. */
    public String kind() {
      return claim ? kinds.claimKind() : kinds.xrKind();
    }

    /** True when objects of the matched kind are namespaced (claims always are). */
    public boolean namespaced() {
      return claim || kinds.namespaced();
    }
  }

  /**
   * The kinds one XRD defines, read exactly as the XRD controller reads them ({@link XrdCrds#kinds}), so trace and the
   * catalog address the version and scope the generated CRDs have.
   *
   * @param xrd the XRD as JSON, at {@code apiextensions.crossplane.io/v1} or {@code v2}
   * @return the kinds; empty when the XRD is not valid (the controller refuses it and generates no CRD)
   */
  public static Optional<XrdKinds> kinds(JsonNode xrd) {
    try {
      return Optional.of(XrdCrds.kinds(xrd));
    } catch (XrdException e) {
      return Optional.empty();
    }
  }

  /**
   * Matches what a user typed against one XRD's XR names and claim names: kind, plural, singular or a short name,
   * any case, optionally followed by {@code .group} (as {@code kubectl} accepts).
   *
   * @return the match, or empty when neither kind matches
   */
  public static Optional<Match> match(String typed, JsonNode xrd) {
    Optional<XrdKinds> kinds = kinds(xrd);
    if (kinds.isEmpty()) {
      return Optional.empty();
    }
    String t = typed.toLowerCase(Locale.ROOT);
    String group = kinds.get().group().toLowerCase(Locale.ROOT);
    if (t.endsWith("." + group)) {
      t = t.substring(0, t.length() - group.length() - 1);
    }
    if (names(xrd.path("spec").path("claimNames")).contains(t)) {
      return Optional.of(new Match(kinds.get(), true));
    }
    if (names(xrd.path("spec").path("names")).contains(t)) {
      return Optional.of(new Match(kinds.get(), false));
    }
    return Optional.empty();
  }

  private static List<String> names(JsonNode names) {
    List<String> out = new ArrayList<>();
    for (String f : List.of("kind", "plural", "singular")) {
      if (names.hasNonNull(f)) {
        out.add(names.get(f).asText().toLowerCase(Locale.ROOT));
      }
    }
    names.path("shortNames").forEach(s -> out.add(s.asText().toLowerCase(Locale.ROOT)));
    return out;
  }

  /**
   * The API version at which the API server serves XRDs ({@code apiextensions.crossplane.io/<preferred>}), from
   * discovery; empty when it serves no {@code compositeresourcedefinitions} (neither Tarmac's XRD support nor
   * Crossplane is installed).
   */
  public static Optional<String> servedVersion(KubernetesClient client) {
    return servedVersion(client, PLURAL);
  }

  /**
   * The API version at which the API server serves {@code plural} in {@code apiextensions.crossplane.io} (the
   * preferred version first), from discovery; empty when it does not serve it.
   */
  public static Optional<String> servedVersion(KubernetesClient client, String plural) {
    try {
      var group = client.getApiGroup(CrossplaneFields.GROUP);
      if (group == null) {
        return Optional.empty();
      }
      List<String> versions = new ArrayList<>();
      if (group.getPreferredVersion() != null) {
        versions.add(group.getPreferredVersion().getGroupVersion());
      }
      group.getVersions().forEach(v -> versions.add(v.getGroupVersion()));
      for (String gv : versions) {
        var resources = client.getApiResources(gv);
        if (resources != null && resources.getResources().stream().anyMatch(r -> plural.equals(r.getName()))) {
          return Optional.of(gv);
        }
      }
      return Optional.empty();
    } catch (KubernetesClientException e) {
      return Optional.empty();
    }
  }

  /** Every XRD in the cluster as JSON; empty when XRDs are not served. */
  public static List<JsonNode> list(KubernetesClient client) {
    Optional<String> gv = servedVersion(client);
    if (gv.isEmpty()) {
      return List.of();
    }
    List<JsonNode> out = new ArrayList<>();
    client.genericKubernetesResources(gv.get(), KIND).list().getItems()
        .forEach(x -> out.add(Serialization.JSON.valueToTree(x)));
    return out;
  }
}
