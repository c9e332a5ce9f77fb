package dev.tarmac.crossplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.composition.CompositionException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The pure rules of Crossplane composite resources (XRs) and claims, as Crossplane's documentation states them
 * ("Composite Resources", "Compositions", "Claims"), with the choices Tarmac makes where Crossplane is random or has
 * machinery Tarmac lacks (docs/crossplane.md, "Composite resources and claims"). Plain JSON in, plain JSON out.
 */
public final class CompositeRules {

  /** Fields of a claim's spec that stay on the claim and are not copied to its XR. */
  public static final Set<String> CLAIM_ONLY_FIELDS = Set.of("resourceRef", "writeConnectionSecretToRef",
      "compositeDeletePolicy");
  /** Fields of a v1 XR's spec that the XR side owns; a claim's copy never overwrites them. */
  public static final Set<String> XR_OWNED_FIELDS = Set.of("resourceRefs", "claimRef", "writeConnectionSecretToRef");
  /** XR status fields not copied onto the claim (the claim has its own conditions). */
  public static final Set<String> NOT_COPIED_STATUS = Set.of("conditions", "observedGeneration");

  private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  private CompositeRules() {
  }

  /**
   * The Composition chosen for an XR.
   *
   * @param name the Composition's name
   * @param composition the Composition object
   * @param how which rule chose it, for the Synced message
   */
  public record Choice(String name, JsonNode composition, String how) {
  }

  /**
   * The object that holds an XR's Crossplane fields: {@code spec} with v1 fields, {@code spec.crossplane} with v2
   * fields ({@link XrdKinds#legacyFields()}); missing node when absent.
   */
  public static JsonNode crossplane(JsonNode xr, XrdKinds kinds) {
    return kinds.legacyFields() ? xr.path("spec") : xr.path("spec").path("crossplane");
  }

  /** The path prefix of the Crossplane fields in messages: {@code spec} or {@code spec.crossplane}. */
  public static String crossplanePath(XrdKinds kinds) {
    return kinds.legacyFields() ? "spec" : "spec.crossplane";
  }

  /** True when {@code composition}'s {@code spec.compositeTypeRef} is {@code apiVersion} and {@code kind}. */
  public static boolean composes(JsonNode composition, String apiVersion, String kind) {
    JsonNode ref = composition.path("spec").path("compositeTypeRef");
    return apiVersion.equals(ref.path("apiVersion").asText()) && kind.equals(ref.path("kind").asText());
  }

  /**
   * Chooses the Composition of an XR. Rules, in order (Crossplane's, documented in "Compositions" and "Composite
   * Resource Definitions"):
   * <ol>
   *   <li>the XRD's {@code enforcedCompositionRef} wins over anything the XR says;</li>
   *   <li>{@code compositionRef.name} ({@code spec} with v1 fields, {@code spec.crossplane} with v2 fields);</li>
   *   <li>{@code compositionSelector.matchLabels}: the Compositions of the XR's type whose labels include every one;
   *       Crossplane picks one at random when several match, Tarmac the first by name, so the choice is the same on
   *       every reconcile and every replica;</li>
   *   <li>the XRD's {@code defaultCompositionRef};</li>
   *   <li>the only Composition whose {@code compositeTypeRef} is the XR's type.</li>
   * </ol>
   *
   * @param xr the XR
   * @param kinds its kinds (XRD)
   * @param compositions every Composition in the cluster
   * @throws CompositionException {@code CompositionNotFound} (a named one missing, nothing matches),
   *     {@code CompositionAmbiguous} (several for the type and nothing chooses), {@code CompositionInvalid} (a named
   *     one composes another type), each saying what to change
   */
  public static Choice choose(JsonNode xr, XrdKinds kinds, List<JsonNode> compositions) {
    String apiVersion = kinds.apiVersion();
    String kind = kinds.xrKind();
    String path = crossplanePath(kinds);
    List<JsonNode> ofType = compositions.stream().filter(c -> composes(c, apiVersion, kind))
        .sorted(Comparator.comparing(c -> c.path("metadata").path("name").asText())).toList();
    if (kinds.enforcedCompositionRef() != null) {
      return named(kinds.enforcedCompositionRef(), compositions, apiVersion, kind, "enforcedCompositionRef of XRD "
          + kinds.xrdName(), "the XRD's spec.enforcedCompositionRef");
    }
    JsonNode fields = crossplane(xr, kinds);
    String ref = fields.path("compositionRef").path("name").asText("");
    if (!ref.isEmpty()) {
      return named(ref, compositions, apiVersion, kind, path + ".compositionRef", "the XR's " + path
          + ".compositionRef");
    }
    JsonNode matchLabels = fields.path("compositionSelector").path("matchLabels");
    if (matchLabels.isObject() && !matchLabels.isEmpty()) {
      Map<String, String> wanted = new LinkedHashMap<>();
      matchLabels.fields().forEachRemaining(e -> wanted.put(e.getKey(), e.getValue().asText()));
      List<JsonNode> matching = ofType.stream().filter(c -> hasLabels(c, wanted)).toList();
      if (matching.isEmpty()) {
        throw new CompositionException("CompositionNotFound", "no Composition for " + kind + " (" + apiVersion
            + ") has the labels " + wanted + " of " + path + ".compositionSelector: label a Composition or change"
            + " the selector");
      }
      String name = name(matching.get(0));
      return new Choice(name, matching.get(0), matching.size() == 1 ? path + ".compositionSelector"
          : path + ".compositionSelector (first by name of " + matching.size() + " matching: "
              + String.join(", ", matching.stream().map(CompositeRules::name).toList()) + ")");
    }
    if (kinds.defaultCompositionRef() != null) {
      return named(kinds.defaultCompositionRef(), compositions, apiVersion, kind, "defaultCompositionRef of XRD "
          + kinds.xrdName(), "the XRD's spec.defaultCompositionRef");
    }
    if (ofType.size() == 1) {
      return new Choice(name(ofType.get(0)), ofType.get(0), "the only Composition for " + kind);
    }
    if (ofType.isEmpty()) {
      throw new CompositionException("CompositionNotFound", "no Composition has compositeTypeRef " + apiVersion
          + " " + kind + ": apply one, or set " + path + ".compositionRef");
    }
    throw new CompositionException("CompositionAmbiguous", ofType.size() + " Compositions are for " + kind + " ("
        + String.join(", ", ofType.stream().map(CompositeRules::name).toList()) + ") and nothing chooses one: set "
        + path + ".compositionRef or " + path + ".compositionSelector, or the XRD's defaultCompositionRef");
  }

  private static Choice named(String name, List<JsonNode> compositions, String apiVersion, String kind, String how,
      String field) {
    JsonNode c = compositions.stream().filter(x -> name.equals(name(x))).findFirst().orElseThrow(() ->
        new CompositionException("CompositionNotFound", "Composition " + name + " named by " + field
            + " does not exist: apply it or name another (kubectl get compositions.apiextensions.crossplane.io)"));
    if (!composes(c, apiVersion, kind)) {
      JsonNode ref = c.path("spec").path("compositeTypeRef");
      throw new CompositionException("CompositionInvalid", "Composition " + name + " named by " + field
          + " composes " + ref.path("kind").asText() + " (" + ref.path("apiVersion").asText() + "), not " + kind
          + " (" + apiVersion + "): name a Composition whose compositeTypeRef is " + kind);
    }
    return new Choice(name, c, how);
  }

  /**
   * Whether a change of {@code composition} may change what {@code xr} composes: the XR uses it (its
   * {@code compositionRef} or {@code status.tarmac.composition} names it) or it is for the XR's type.
   */
  public static boolean affects(JsonNode composition, JsonNode xr, XrdKinds kinds) {
    String name = name(composition);
    return name.equals(crossplane(xr, kinds).path("compositionRef").path("name").asText())
        || name.equals(xr.path("status").path(CrossplaneFields.STATUS_TARMAC).path("composition").asText())
        || composes(composition, kinds.apiVersion(), kinds.xrKind());
  }

  private static String name(JsonNode o) {
    return o.path("metadata").path("name").asText();
  }

  private static boolean hasLabels(JsonNode o, Map<String, String> wanted) {
    JsonNode labels = o.path("metadata").path("labels");
    return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(labels.path(e.getKey()).asText(null)));
  }

  /**
   * The name of a claim's XR: {@code <claim name>-<5 characters>}. Crossplane generates the suffix at random; Tarmac
   * derives it from a SHA-256 of {@code namespace/name/uid}, so the same claim always names the same XR (a reconcile
   * that dies after creating it finds it again) while two claims of one name in different namespaces, or a claim
   * deleted and created again, do not collide. The claim name is cut so the whole stays within 63 characters (a
   * label value: composed resources carry the XR's name in {@link CrossplaneFields#COMPOSITE}).
   */
  public static String xrName(String claimNamespace, String claimName, String claimUid) {
    byte[] hash;
    try {
      hash = MessageDigest.getInstance("SHA-256").digest((claimNamespace + "/" + claimName + "/" + claimUid)
          .getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    StringBuilder suffix = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      suffix.append(ALPHABET.charAt((hash[i] & 0xff) % ALPHABET.length()));
    }
    String base = claimName.length() > 57 ? claimName.substring(0, 57) : claimName;
    while (base.endsWith("-") || base.endsWith(".")) {
      base = base.substring(0, base.length() - 1);
    }
    return base + "-" + suffix;
  }

  /**
   * The default name of a composed resource: {@code <xr name>-<template name>} (Crossplane generates
   * {@code <xr name>-<random>}), the template name made a DNS label (lower case; characters other than letters,
   * digits, {@code -} and {@code .} become {@code -}), at most 253 characters.
   */
  public static String composedName(String xrName, String templateName) {
    String t = templateName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
    String name = xrName + "-" + t;
    if (name.length() > 253) {
      name = name.substring(0, 253);
    }
    return name.replaceAll("[-.]+$", "");
  }

  /**
   * The spec of a claim's XR: the claim's spec without {@link #CLAIM_ONLY_FIELDS}, the fields the XR owns
   * ({@link #XR_OWNED_FIELDS}) kept from {@code existing}, its {@code compositionRef} kept when the claim names
   * none (the XR chose one), and {@code claimRef} pointing at the claim (Crossplane's "Claims").
   *
   * @param claim the claim
   * @param existing the XR's current spec, or null when the XR does not exist yet
   */
  public static ObjectNode xrSpec(JsonNode claim, JsonNode existing) {
    ObjectNode spec = claim.path("spec").isObject() ? claim.get("spec").deepCopy()
        : Serialization.JSON.createObjectNode();
    CLAIM_ONLY_FIELDS.forEach(spec::remove);
    if (existing != null && existing.isObject()) {
      for (String f : XR_OWNED_FIELDS) {
        if (existing.has(f)) {
          spec.set(f, existing.get(f).deepCopy());
        }
      }
      if (!spec.has("compositionRef") && existing.has("compositionRef")) {
        spec.set("compositionRef", existing.get("compositionRef").deepCopy());
      }
    }
    ObjectNode claimRef = spec.putObject("claimRef");
    claimRef.put("apiVersion", claim.path("apiVersion").asText());
    claimRef.put("kind", claim.path("kind").asText());
    claimRef.put("namespace", claim.path("metadata").path("namespace").asText());
    claimRef.put("name", claim.path("metadata").path("name").asText());
    return spec;
  }

  /**
   * The claim's status after its XR's: every status field of the XR except {@link #NOT_COPIED_STATUS} replaces the
   * claim's (ToCompositeFieldPath results, {@code connectionDetails}, {@code tarmac}); the XR's {@code Ready}
   * condition is copied as it is; the claim's {@code Synced} is set by the caller.
   *
   * @param xrStatus the XR's status (may be missing)
   * @param claimStatus the claim's current status (may be missing)
   * @return the claim's new status (its conditions other than Ready kept)
   */
  public static ObjectNode claimStatus(JsonNode xrStatus, JsonNode claimStatus) {
    ObjectNode out = claimStatus != null && claimStatus.isObject() ? claimStatus.deepCopy()
        : Serialization.JSON.createObjectNode();
    if (xrStatus != null && xrStatus.isObject()) {
      xrStatus.fields().forEachRemaining(e -> {
        if (!NOT_COPIED_STATUS.contains(e.getKey())) {
          out.set(e.getKey(), e.getValue().deepCopy());
        }
      });
    }
    List<JsonNode> conditions = new ArrayList<>();
    out.path("conditions").forEach(c -> {
      if (!"Ready".equals(c.path("type").asText())) {
        conditions.add(c);
      }
    });
    if (xrStatus != null) {
      xrStatus.path("conditions").forEach(c -> {
        if ("Ready".equals(c.path("type").asText())) {
          conditions.add(c.deepCopy());
        }
      });
    }
    out.set("conditions", Serialization.JSON.valueToTree(conditions));
    return out;
  }

  /**
   * An XR's {@code Ready} condition.
   *
   * @param ready the condition's status
   * @param reason Crossplane's reason: {@code Available}, {@code Creating} or {@code Unavailable}
   * @param message what is ready or what it waits for
   */
  public record Readiness(boolean ready, String reason, String message) {
  }

  /**
   * The {@code Ready} condition of a composed XR: {@code Unavailable} when its Work reports a problem (for
   * instance no Destination matches); {@code Creating} while composed resources in the cluster are not ready
   * ({@code waiting}: one "kind name: why" each) or the Work is being written; else {@code Available}.
   *
   * @param waiting the composed resources in the cluster that are not ready
   * @param published the Work's publication, null when nothing goes to Git
   * @param git what went to Git ("2 written to Git by Work ns/name"), null when nothing
   */
  public static Readiness readiness(List<String> waiting, dev.tarmac.composition.Composer.Publication published,
      String git) {
    if (published != null && !published.ready() && !"Writing".equals(published.reason())) {
      return new Readiness(false, "Unavailable", published.message());
    }
    List<String> all = new ArrayList<>(waiting);
    if (published != null && !published.ready()) {
      all.add(published.message());
    }
    if (!all.isEmpty()) {
      return new Readiness(false, "Creating", "waiting for " + String.join("; ", all));
    }
    return new Readiness(true, "Available", "every composed resource is ready"
        + (git == null ? "" : " (" + git + ", counted ready once published)"));
  }

  /**
   * The keys of an XR's connection Secret: {@code details} limited to the XRD's {@code connectionSecretKeys} (all
   * when that list is empty), as Crossplane filters them.
   */
  public static Map<String, String> connectionKeys(Map<String, String> details, List<String> allowed) {
    Map<String, String> out = new java.util.TreeMap<>(details);
    if (allowed != null && !allowed.isEmpty()) {
      out.keySet().retainAll(allowed);
    }
    return out;
  }

  /**
   * True when {@code xr} is bound to {@code claim}: its {@code spec.claimRef} names the claim's namespace and name.
   * An XR without {@code claimRef} is bound to no claim, whatever a claim's {@code spec.resourceRef} says.
   *
   * @param claim the claim (metadata.namespace, metadata.name)
   * @param xr the XR as the API server has it
   */
  static boolean claimOwns(JsonNode claim, JsonNode xr) {
    JsonNode ref = xr.path("spec").path("claimRef");
    if (!ref.isObject()) {
      // An XR without a claim (a platform team's own, or one being handed over) is not bound to a claim that names it
      // in spec.resourceRef: a tenant could otherwise take over, rewrite and delete any unclaimed XR. Crossplane
      // binds it; Tarmac needs the XR's spec.claimRef set to the claim first (docs/crossplane.md).
      return false;
    }
    return Objects.equals(ref.path("namespace").asText(), claim.path("metadata").path("namespace").asText())
        && Objects.equals(ref.path("name").asText(), claim.path("metadata").path("name").asText());
  }
}
