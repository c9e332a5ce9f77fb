package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.crossplane.CrossplaneFields;
import dev.tarmac.crossplane.XrdKinds;
import java.util.List;
import java.util.Locale;

/**
 * Catalog entities of Crossplane objects (docs/catalog.md, "Crossplane claims and XRs"). Pure: JSON in, entities out.
 *
 * <ul>
 *   <li>A claim → a {@code Resource} in the claim's namespace, {@code spec.type} its kind in lower case,
 *       {@code spec.parameters} its spec without Crossplane's fields, {@code spec.composition}, {@code spec.ready} and
 *       {@code spec.synced} (its Ready and Synced conditions' statuses), {@code dependsOn} its XR and its
 *       Composition.</li>
 *   <li>An XR → a {@code Resource} likewise, {@code dependencyOf} its claim. A namespaced XR (Crossplane v2) is in
 *       its namespace; a cluster-scoped XR with a claim is in the claim's namespace (so the team that owns the
 *       namespace owns both; an XR named as its claim is named {@code <name>-xr} there); any other in
 *       {@code default}.</li>
 *   <li>A Composition → a {@code Template} in {@code default}, {@code spec.type: composition}, owned by
 *       {@code platform-team} unless it names an owner, as a Promise is: the thing a claim is made from.</li>
 * </ul>
 * Owners come from {@code spec.owner}, the {@code platform.tarmac.dev/owner} annotation or label, else the team of
 * the entity's namespace (added by {@link CatalogIndex}), as for Promise requests.
 */
public final class CrossplaneEntities {

  /** Annotation on claim and XR entities: {@code claim} or {@code composite}. */
  public static final String ROLE = "platform.tarmac.dev/crossplane-role";
  /** Annotation on claim and XR entities: the XRD that defines their kind. */
  public static final String XRD = "platform.tarmac.dev/xrd";
  /** Annotation on claim and XR entities: the Composition (as on Databases). */
  public static final String COMPOSITION = "platform.tarmac.dev/composition";
  /** The {@code spec.type} of a Composition's Template entity. */
  public static final String COMPOSITION_TYPE = "composition";

  /** Crossplane's fields on claims and XRs: machinery, not parameters. */
  static final List<String> CROSSPLANE_SPEC_FIELDS = List.of("resourceRef", "claimRef", "resourceRefs", "crossplane",
      "compositionRef", "compositionSelector", "compositionUpdatePolicy", "compositionRevisionRef",
      "compositionRevisionSelector", "compositeDeletePolicy", "writeConnectionSecretToRef",
      "publishConnectionDetailsTo", "environmentConfigRefs");

  private CrossplaneEntities() {
  }

  /**
   * The entity of a claim ({@code claim} true) or an XR.
   *
   * @param object the claim or XR as JSON
   * @param kinds the kinds its XRD defines (for the XRD's name)
   * @param claim true for a claim
   */
  public static ObjectNode map(JsonNode object, XrdKinds kinds, boolean claim) {
    JsonNode meta = object.path("metadata");
    JsonNode spec = object.path("spec");
    String name = meta.path("name").asText();
    EntityRef self = claim ? new EntityRef("Resource", meta.path("namespace").asText(), name) : xrRef(object);
    ObjectNode e = EntityMapper.envelope(object, "Resource", self.name(), self.namespace());
    ObjectNode s = (ObjectNode) e.get("spec");
    ObjectNode annotations = (ObjectNode) e.get("metadata").get("annotations");
    s.put("type", object.path("kind").asText().toLowerCase(Locale.ROOT));
    annotations.put(ROLE, claim ? "claim" : "composite");
    if (kinds != null) {
      annotations.put(XRD, kinds.xrdName());
    }
    ObjectNode parameters = s.putObject("parameters");
    spec.fields().forEachRemaining(f -> {
      if (!CROSSPLANE_SPEC_FIELDS.contains(f.getKey())) {
        parameters.set(f.getKey(), f.getValue().deepCopy());
      }
    });
    EntityMapper.owner(e, EntityMapper.ownerOf(object));
    EntityMapper.system(e, meta.path("annotations").path("platform.tarmac.dev/system").asText(null));
    String composition = compositionOf(object);
    if (composition != null) {
      s.put("composition", composition);
      annotations.put(COMPOSITION, composition);
      EntityMapper.relation(e, "dependsOn", new EntityRef("Template", EntityRef.DEFAULT_NAMESPACE,
          EntityMapper.sanitize(composition)));
    }
    for (JsonNode c : object.path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        s.put("ready", c.path("status").asText());
      } else if ("Synced".equals(c.path("type").asText())) {
        s.put("synced", c.path("status").asText());
      }
    }
    if (claim) {
      JsonNode ref = spec.path("resourceRef");
      if (ref.hasNonNull("name")) {
        EntityRef xr = xrRef(ref.path("name").asText(), ref.path("namespace").asText(null),
            self.namespace(), name);
        s.put("composite", xr.toString());
        EntityMapper.relation(e, "dependsOn", xr);
      }
    } else {
      String[] claimOf = claimOf(object);
      if (claimOf != null) {
        EntityRef c = new EntityRef("Resource", claimOf[0], EntityMapper.sanitize(claimOf[1]));
        s.put("claim", c.toString());
        EntityMapper.relation(e, "dependencyOf", c);
      }
    }
    return e;
  }

  /** The Template entity of a Crossplane Composition. */
  public static ObjectNode composition(JsonNode o) {
    ObjectNode e = EntityMapper.envelope(o, "Template", o.path("metadata").path("name").asText(),
        EntityRef.DEFAULT_NAMESPACE);
    ObjectNode s = (ObjectNode) e.get("spec");
    s.put("type", COMPOSITION_TYPE);
    JsonNode typeRef = o.path("spec").path("compositeTypeRef");
    if (typeRef.isObject()) {
      s.set("compositeTypeRef", typeRef.deepCopy());
    }
    s.put("mode", o.path("spec").path("mode").asText("Resources"));
    String owner = EntityMapper.ownerOf(o);
    EntityMapper.owner(e, owner == null ? "platform-team" : owner);
    return e;
  }

  /** The Composition a claim or XR is composed by: Tarmac's status, else the reference (v1 or v2 fields). */
  static String compositionOf(JsonNode o) {
    String fromStatus = o.path("status").path(CrossplaneFields.STATUS_TARMAC).path("composition").asText(null);
    if (fromStatus != null) {
      return fromStatus;
    }
    JsonNode spec = o.path("spec");
    return spec.path("compositionRef").path("name")
        .asText(spec.path("crossplane").path("compositionRef").path("name").asText(null));
  }

  /** The claim of an XR as {namespace, name}: {@code spec.claimRef}, else Crossplane's claim labels; null if none. */
  private static String[] claimOf(JsonNode xr) {
    JsonNode ref = xr.path("spec").path("claimRef");
    if (ref.hasNonNull("name") && ref.hasNonNull("namespace")) {
      return new String[] {ref.path("namespace").asText(), ref.path("name").asText()};
    }
    JsonNode labels = xr.path("metadata").path("labels");
    if (labels.hasNonNull(CrossplaneFields.CLAIM_NAME) && labels.hasNonNull(CrossplaneFields.CLAIM_NAMESPACE)) {
      return new String[] {labels.path(CrossplaneFields.CLAIM_NAMESPACE).asText(),
          labels.path(CrossplaneFields.CLAIM_NAME).asText()};
    }
    return null;
  }

  private static EntityRef xrRef(JsonNode xr) {
    String[] claim = claimOf(xr);
    return xrRef(xr.path("metadata").path("name").asText(), xr.path("metadata").path("namespace").asText(null),
        claim == null ? null : claim[0], claim == null ? null : claim[1]);
  }

  /** Where an XR's entity is (see the class comment): one rule for the XR itself and for its claim's relation. */
  private static EntityRef xrRef(String xrName, String xrNamespace, String claimNamespace, String claimName) {
    if (xrNamespace != null && !xrNamespace.isEmpty()) {
      return new EntityRef("Resource", xrNamespace, EntityMapper.sanitize(xrName));
    }
    if (claimNamespace != null) {
      String name = xrName.equals(claimName) ? xrName + "-xr" : xrName;
      return new EntityRef("Resource", claimNamespace, EntityMapper.sanitize(name));
    }
    return new EntityRef("Resource", EntityRef.DEFAULT_NAMESPACE, EntityMapper.sanitize(xrName));
  }
}
