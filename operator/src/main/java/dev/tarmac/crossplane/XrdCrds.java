package dev.tarmac.crossplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * From a Crossplane {@code CompositeResourceDefinition} (XRD, as a JSON tree: the object as written or as read from
 * the API server) to the kinds it defines ({@link #kinds}) and to the CustomResourceDefinitions of its composite
 * resource (XR, {@link #compositeCrd}) and claim ({@link #claimCrd}), built as Crossplane builds them. Pure: no
 * cluster.
 *
 * <p>The rules, from Crossplane's API reference and its CRD generation (crossplane-runtime {@code xcrd}):
 * <ul>
 *   <li>The XR CRD is named like the XRD ({@code <names.plural>.<group>}), the claim CRD
 *       {@code <claimNames.plural>.<group>}. Every XRD version becomes a CRD version; the referenceable one is the
 *       storage version. Scope: {@code Namespaced} for {@code scope: Namespaced}, {@code Cluster} otherwise; claims
 *       are always namespaced.</li>
 *   <li>Each version's schema is the XRD's {@code openAPIV3Schema} with: {@code spec} required; {@code metadata.name}
 *       at most 63 characters (Crossplane uses the name as a label value); of {@code spec} and {@code status} only
 *       {@code properties}, {@code required}, {@code description}, {@code oneOf} and {@code x-kubernetes-validations}
 *       kept (and {@code x-kubernetes-preserve-unknown-fields} for {@code spec}), as Crossplane keeps them; and
 *       Crossplane's own fields added (they win over the XRD's of the same name): see {@link CrossplaneFields} for
 *       their shapes. XRs with v1 fields ({@code LegacyCluster}) get {@code spec.compositionRef},
 *       {@code compositionSelector}, {@code compositionRevisionRef}, {@code compositionRevisionSelector},
 *       {@code compositionUpdatePolicy} (defaulted to the XRD's {@code defaultCompositionUpdatePolicy}),
 *       {@code resourceRefs}, {@code claimRef}, {@code writeConnectionSecretToRef} and Crossplane 1.x's
 *       {@code publishConnectionDetailsTo}; other XRs get the first six under {@code spec.crossplane} (a namespaced
 *       XR's {@code resourceRefs} have no namespace). Claims get {@code compositionRef}, {@code compositionSelector},
 *       {@code compositionRevisionRef}, {@code compositionRevisionSelector}, {@code compositionUpdatePolicy},
 *       {@code compositeDeletePolicy} (defaulted to the XRD's {@code defaultCompositeDeletePolicy}),
 *       {@code resourceRef} and {@code writeConnectionSecretToRef}.</li>
 *   <li>Status: {@code conditions} (a list map keyed by type); for {@code LegacyCluster} XRs and claims also
 *       {@code connectionDetails.lastPublishedTime} and {@code claimConditionTypes}; and Tarmac's
 *       {@code status.tarmac} ({@link CrossplaneFields#STATUS_TARMAC}, free-form).</li>
 *   <li>Printer columns: the XRD version's own, then XR {@code SYNCED}, {@code READY}, {@code COMPOSITION},
 *       {@code COMPOSITIONREVISION} (wide only), {@code AGE}; claim {@code SYNCED}, {@code READY},
 *       {@code CONNECTION-SECRET}, {@code AGE}. Categories: the XRD's plus {@code composite} (XR) or {@code claim}
 *       (claim). The status subresource is on.</li>
 *   <li>Labels: the XRD's and {@code spec.metadata.labels}, plus {@code app.kubernetes.io/managed-by: tarmac};
 *       annotations: {@code spec.metadata.annotations} plus {@link #XRD_ANNOTATION}; an owner reference to the XRD
 *       (controller) when the XRD has a UID.</li>
 * </ul>
 */
public final class XrdCrds {

  /** Annotation on a generated CRD: the name of the XRD it was generated for (Tarmac's ownership mark). */
  public static final String XRD_ANNOTATION = "platform.tarmac.dev/xrd";
  /** Category of XR CRDs. */
  public static final String CATEGORY_COMPOSITE = "composite";
  /** Category of claim CRDs. */
  public static final String CATEGORY_CLAIM = "claim";
  /** Longest XR and claim name: Crossplane puts names in label values. */
  public static final int MAX_NAME_LENGTH = 63;

  private XrdCrds() {
  }

  /**
   * The kinds {@code xrd} defines, after checking it as Crossplane does.
   *
   * @param xrd a {@code CompositeResourceDefinition}, any of its versions; {@code spec.scope} absent means
   *     {@code LegacyCluster} for {@code apiextensions.crossplane.io/v1} and {@code Namespaced} for v2 (the
   *     defaults of the served CRD)
   * @throws XrdException with reason {@code MissingGroup}, {@code MissingNames}, {@code NameMismatch},
   *     {@code InvalidScope}, {@code NoVersions}, {@code NoReferenceableVersion}, {@code InvalidSchema},
   *     {@code ClaimsNotAllowed}, {@code ConnectionSecretsNotAllowed} or {@code ConflictingClaimNames}
   */
  public static XrdKinds kinds(JsonNode xrd) {
    String name = xrd.path("metadata").path("name").asText("");
    JsonNode spec = xrd.path("spec");
    String group = spec.path("group").asText("");
    if (group.isBlank()) {
      throw new XrdException("MissingGroup", "spec.group is missing: set the API group of the XR kind, e.g."
          + " example.org");
    }
    JsonNode names = spec.path("names");
    String kind = names.path("kind").asText("");
    String plural = names.path("plural").asText("");
    if (kind.isBlank() || plural.isBlank()) {
      throw new XrdException("MissingNames", "spec.names needs kind and plural (e.g. kind: XDatabase, plural:"
          + " xdatabases)");
    }
    if (!plural.equals(plural.toLowerCase(Locale.ROOT))) {
      throw new XrdException("MissingNames", "spec.names.plural " + plural + " must be lowercase");
    }
    if (!name.equals(plural + "." + group)) {
      throw new XrdException("NameMismatch", "metadata.name " + name + " must be <spec.names.plural>.<spec.group>: "
          + plural + "." + group);
    }
    String scope = scope(xrd);
    String version = referenceable(spec.path("versions"));
    boolean legacy = XrdKinds.LEGACY_CLUSTER.equals(scope);
    String claimKind = null;
    String claimPlural = null;
    JsonNode claimNames = spec.path("claimNames");
    if (claimNames.isObject()) {
      if (!legacy) {
        throw new XrdException("ClaimsNotAllowed", "spec.claimNames is set but spec.scope is " + scope + ": only"
            + " LegacyCluster XRDs offer claims (Crossplane v2); remove claimNames and create " + kind
            + " objects directly, or set scope: LegacyCluster");
      }
      claimKind = claimNames.path("kind").asText("");
      claimPlural = claimNames.path("plural").asText("");
      if (claimKind.isBlank() || claimPlural.isBlank()) {
        throw new XrdException("MissingNames", "spec.claimNames needs kind and plural (e.g. kind: Database,"
            + " plural: databases)");
      }
      if (!claimPlural.equals(claimPlural.toLowerCase(Locale.ROOT))) {
        throw new XrdException("MissingNames", "spec.claimNames.plural " + claimPlural + " must be lowercase");
      }
      for (String field : List.of("kind", "plural", "singular", "listKind")) {
        String c = claimNames.path(field).asText("");
        if (!c.isEmpty() && c.equals(names.path(field).asText(""))) {
          throw new XrdException("ConflictingClaimNames", "spec.claimNames." + field + " " + c + " conflicts with"
              + " spec.names." + field + ": the claim kind must differ from the XR kind (Crossplane's convention:"
              + " XR X" + c + ", claim " + c + ")");
        }
      }
    }
    List<String> keys = new ArrayList<>();
    spec.path("connectionSecretKeys").forEach(k -> keys.add(k.asText()));
    if (!keys.isEmpty() && !legacy) {
      throw new XrdException("ConnectionSecretsNotAllowed", "spec.connectionSecretKeys is set but spec.scope is "
          + scope + ": only LegacyCluster XRs have connection secrets (Crossplane v2); remove it");
    }
    return new XrdKinds(name, group, version, kind, plural, scope, claimKind, claimPlural, List.copyOf(keys),
        text(spec.path("defaultCompositionRef").path("name")), text(spec.path("enforcedCompositionRef").path("name")),
        spec.path("defaultCompositionUpdatePolicy").asText("Automatic"),
        spec.path("defaultCompositeDeletePolicy").asText("Background"));
  }

  private static String text(JsonNode node) {
    return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
  }

  /** {@code spec.scope}, or the default of the XRD's version; checked. */
  private static String scope(JsonNode xrd) {
    JsonNode scope = xrd.path("spec").path("scope");
    if (scope.isMissingNode() || scope.isNull()) {
      return xrd.path("apiVersion").asText("").equals(CrossplaneFields.GROUP + "/v2") ? XrdKinds.NAMESPACED
          : XrdKinds.LEGACY_CLUSTER;
    }
    String s = scope.asText();
    if (!List.of(XrdKinds.NAMESPACED, XrdKinds.CLUSTER, XrdKinds.LEGACY_CLUSTER).contains(s)) {
      throw new XrdException("InvalidScope", "spec.scope " + s + " is not one of Namespaced, Cluster,"
          + " LegacyCluster");
    }
    return s;
  }

  /**
   * The referenceable version: the one marked {@code referenceable: true}, else the only served one. Each version
   * needs a name and {@code schema.openAPIV3Schema} (Crossplane refuses a version without one).
   */
  private static String referenceable(JsonNode versions) {
    if (!versions.isArray() || versions.isEmpty()) {
      throw new XrdException("NoVersions", "spec.versions is empty: add a version with name, served: true,"
          + " referenceable: true and schema.openAPIV3Schema");
    }
    List<String> marked = new ArrayList<>();
    List<String> served = new ArrayList<>();
    int i = 0;
    for (JsonNode v : versions) {
      String name = v.path("name").asText("");
      if (name.isBlank()) {
        throw new XrdException("NoVersions", "spec.versions[" + i + "] has no name");
      }
      JsonNode schema = v.path("schema").path("openAPIV3Schema");
      if (!schema.isObject()) {
        throw new XrdException("InvalidSchema", "spec.versions[" + i + "] (" + name + ") has no"
            + " schema.openAPIV3Schema: give it one, at least {type: object, properties: {spec: {type: object}}}");
      }
      for (String part : List.of("spec", "status")) {
        JsonNode p = schema.path("properties").path(part);
        if (!p.isMissingNode() && p.has("type") && !"object".equals(p.path("type").asText())) {
          throw new XrdException("InvalidSchema", "spec.versions[" + i + "] (" + name + "):"
              + " schema.openAPIV3Schema.properties." + part + " must be of type object");
        }
      }
      if (v.path("referenceable").asBoolean(false)) {
        marked.add(name);
        if (!v.path("served").asBoolean(false)) {
          throw new XrdException("NoReferenceableVersion", "version " + name + " is referenceable but not served:"
              + " set served: true");
        }
      }
      if (v.path("served").asBoolean(false)) {
        served.add(name);
      }
      i++;
    }
    if (marked.size() > 1) {
      throw new XrdException("NoReferenceableVersion", "versions " + String.join(", ", marked) + " are all"
          + " referenceable: mark exactly one referenceable: true (it becomes the storage version)");
    }
    if (marked.size() == 1) {
      return marked.get(0);
    }
    if (served.size() == 1) {
      return served.get(0);
    }
    throw new XrdException("NoReferenceableVersion", "no version is referenceable: mark exactly one served version"
        + " referenceable: true (it becomes the storage version)");
  }

  /**
   * The XR's CRD. See the class comment for what it contains.
   *
   * @throws XrdException when {@link #kinds} does
   */
  public static ObjectNode compositeCrd(JsonNode xrd) {
    XrdKinds kinds = kinds(xrd);
    ObjectNode crd = base(xrd, kinds, kinds.xrdName());
    ObjectNode spec = (ObjectNode) crd.get("spec");
    ObjectNode names = ((ObjectNode) xrd.path("spec").path("names")).deepCopy();
    addCategory(names, CATEGORY_COMPOSITE);
    spec.set("names", names);
    spec.put("scope", kinds.namespaced() ? "Namespaced" : "Cluster");
    ArrayNode versions = spec.putArray("versions");
    for (JsonNode v : xrd.path("spec").path("versions")) {
      ObjectNode version = version(v, kinds);
      ArrayNode columns = (ArrayNode) version.get("additionalPrinterColumns");
      String fields = kinds.legacyFields() ? ".spec." : ".spec.crossplane.";
      columns.add(column("SYNCED", "string", ".status.conditions[?(@.type=='Synced')].status"));
      columns.add(column("READY", "string", ".status.conditions[?(@.type=='Ready')].status"));
      columns.add(column("COMPOSITION", "string", fields + "compositionRef.name"));
      columns.add(column("COMPOSITIONREVISION", "string", fields + "compositionRevisionRef.name").put("priority", 1));
      columns.add(column("AGE", "date", ".metadata.creationTimestamp"));
      ObjectNode props = (ObjectNode) version.path("schema").path("openAPIV3Schema").path("properties");
      ObjectNode specProps = ((ObjectNode) props.get("spec")).with("properties");
      ObjectNode crossplane = compositeSpecProps(kinds);
      if (kinds.legacyFields()) {
        specProps.setAll(crossplane);
      } else {
        ObjectNode nested = specProps.putObject("crossplane");
        nested.put("type", "object");
        nested.put("description", "Configures how Crossplane (here: Tarmac) reconciles this composite resource.");
        nested.set("properties", crossplane);
      }
      ((ObjectNode) props.get("status")).with("properties").setAll(statusProps(kinds.legacyFields()));
      versions.add(version);
    }
    return crd;
  }

  /**
   * The claim's CRD, or empty when the XRD has no {@code claimNames}. See the class comment for what it contains.
   *
   * @throws XrdException when {@link #kinds} does
   */
  public static Optional<ObjectNode> claimCrd(JsonNode xrd) {
    XrdKinds kinds = kinds(xrd);
    if (!kinds.offersClaim()) {
      return Optional.empty();
    }
    ObjectNode crd = base(xrd, kinds, kinds.claimPlural() + "." + kinds.group());
    ObjectNode spec = (ObjectNode) crd.get("spec");
    ObjectNode names = ((ObjectNode) xrd.path("spec").path("claimNames")).deepCopy();
    addCategory(names, CATEGORY_CLAIM);
    spec.set("names", names);
    spec.put("scope", "Namespaced");
    ArrayNode versions = spec.putArray("versions");
    for (JsonNode v : xrd.path("spec").path("versions")) {
      ObjectNode version = version(v, kinds);
      ArrayNode columns = (ArrayNode) version.get("additionalPrinterColumns");
      columns.add(column("SYNCED", "string", ".status.conditions[?(@.type=='Synced')].status"));
      columns.add(column("READY", "string", ".status.conditions[?(@.type=='Ready')].status"));
      columns.add(column("CONNECTION-SECRET", "string", ".spec.writeConnectionSecretToRef.name"));
      columns.add(column("AGE", "date", ".metadata.creationTimestamp"));
      ObjectNode props = (ObjectNode) version.path("schema").path("openAPIV3Schema").path("properties");
      ((ObjectNode) props.get("spec")).with("properties").setAll(claimSpecProps(kinds));
      ((ObjectNode) props.get("status")).with("properties").setAll(statusProps(true));
      versions.add(version);
    }
    return Optional.of(crd);
  }

  /**
   * Null when Tarmac may change CRD {@code crdName} for XRD {@code xrd}, else why not: Tarmac changes only CRDs it
   * generated for that XRD (label {@code app.kubernetes.io/managed-by: tarmac} and annotation
   * {@link #XRD_ANNOTATION} naming the XRD), never a CRD that Crossplane or anyone else installed.
   *
   * @param labels the existing CRD's labels (null for none)
   * @param annotations the existing CRD's annotations (null for none)
   */
  public static String notOwned(String crdName, Map<String, String> labels, Map<String, String> annotations,
      String xrd) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    Map<String, String> a = annotations == null ? Map.of() : annotations;
    String owner = a.get(XRD_ANNOTATION);
    if ("tarmac".equals(l.get(Labels.MANAGED_BY)) && xrd.equals(owner)) {
      return null;
    }
    if ("tarmac".equals(l.get(Labels.MANAGED_BY)) && owner != null) {
      return "CRD " + crdName + " was generated for XRD " + owner + ", not for " + xrd + ": choose another group or"
          + " names";
    }
    return "CRD " + crdName + " already exists and was not generated by Tarmac for XRD " + xrd + " (no label "
        + Labels.MANAGED_BY + "=tarmac and annotation " + XRD_ANNOTATION + "=" + xrd + "; is Crossplane installed"
        + " in this cluster? Then do not run Tarmac with --crossplane); Tarmac leaves it untouched";
  }

  private static ObjectNode base(JsonNode xrd, XrdKinds kinds, String crdName) {
    ObjectNode crd = Serialization.JSON.createObjectNode();
    crd.put("apiVersion", "apiextensions.k8s.io/v1");
    crd.put("kind", "CustomResourceDefinition");
    ObjectNode meta = crd.putObject("metadata");
    meta.put("name", crdName);
    ObjectNode labels = meta.putObject("labels");
    if (xrd.path("metadata").path("labels").isObject()) {
      labels.setAll((ObjectNode) xrd.path("metadata").path("labels").deepCopy());
    }
    JsonNode wanted = xrd.path("spec").path("metadata");
    if (wanted.path("labels").isObject()) {
      labels.setAll((ObjectNode) wanted.path("labels").deepCopy());
    }
    labels.put(Labels.MANAGED_BY, "tarmac");
    ObjectNode annotations = meta.putObject("annotations");
    if (wanted.path("annotations").isObject()) {
      annotations.setAll((ObjectNode) wanted.path("annotations").deepCopy());
    }
    annotations.put(XRD_ANNOTATION, kinds.xrdName());
    String uid = xrd.path("metadata").path("uid").asText("");
    if (!uid.isEmpty()) {
      meta.putArray("ownerReferences").addObject().put("apiVersion", CrossplaneFields.GROUP + "/"
          + CrossplaneKinds.XRD_VERSION).put("kind", CrossplaneKinds.XRD_KIND).put("name", kinds.xrdName())
          .put("uid", uid).put("controller", true).put("blockOwnerDeletion", true);
    }
    ObjectNode spec = crd.putObject("spec");
    spec.put("group", kinds.group());
    JsonNode conversion = xrd.path("spec").path("conversion");
    if (conversion.isObject() && !conversion.isEmpty()) {
      spec.set("conversion", conversion.deepCopy());
    }
    return crd;
  }

  private static void addCategory(ObjectNode names, String category) {
    ArrayNode categories = names.withArray("categories");
    for (JsonNode c : categories) {
      if (c.asText().equals(category)) {
        return;
      }
    }
    categories.add(category);
  }

  private static ObjectNode column(String name, String type, String jsonPath) {
    ObjectNode c = Serialization.JSON.createObjectNode();
    c.put("name", name);
    c.put("type", type);
    c.put("jsonPath", jsonPath);
    return c;
  }

  /** One CRD version from one XRD version: served, storage, columns, subresources and the base schema. */
  private static ObjectNode version(JsonNode v, XrdKinds kinds) {
    ObjectNode version = Serialization.JSON.createObjectNode();
    String name = v.path("name").asText();
    version.put("name", name);
    version.put("served", v.path("served").asBoolean(false));
    version.put("storage", name.equals(kinds.version()));
    if (v.path("deprecated").asBoolean(false)) {
      version.put("deprecated", true);
    }
    if (v.path("deprecationWarning").isTextual()) {
      version.put("deprecationWarning", v.path("deprecationWarning").asText());
    }
    ArrayNode columns = version.putArray("additionalPrinterColumns");
    v.path("additionalPrinterColumns").forEach(c -> columns.add(c.deepCopy()));
    version.putObject("subresources").putObject("status");
    version.putObject("schema").set("openAPIV3Schema", schema(v.path("schema").path("openAPIV3Schema")));
    return version;
  }

  /** Crossplane's base schema with the XRD's spec and status merged in (see the class comment). */
  private static ObjectNode schema(JsonNode xrdSchema) {
    ObjectNode root = Serialization.JSON.createObjectNode();
    if (xrdSchema.path("description").isTextual()) {
      root.put("description", xrdSchema.path("description").asText());
    }
    root.put("type", "object");
    root.putArray("required").add("spec");
    copy(xrdSchema, root, "x-kubernetes-validations");
    ObjectNode props = root.putObject("properties");
    props.putObject("apiVersion").put("type", "string");
    props.putObject("kind").put("type", "string");
    int maxLength = MAX_NAME_LENGTH;
    JsonNode declared = xrdSchema.path("properties").path("metadata").path("properties").path("name")
        .path("maxLength");
    if (declared.canConvertToInt() && declared.asInt() < maxLength) {
      maxLength = declared.asInt();
    }
    props.putObject("metadata").put("type", "object").putObject("properties").putObject("name")
        .put("type", "string").put("maxLength", maxLength);
    JsonNode xSpec = xrdSchema.path("properties").path("spec");
    ObjectNode spec = props.putObject("spec");
    copy(xSpec, spec, "description");
    spec.put("type", "object");
    copy(xSpec, spec, "required");
    copy(xSpec, spec, "x-kubernetes-preserve-unknown-fields");
    copy(xSpec, spec, "x-kubernetes-validations");
    copy(xSpec, spec, "oneOf");
    spec.set("properties", xSpec.path("properties").isObject() ? xSpec.path("properties").deepCopy()
        : Serialization.JSON.createObjectNode());
    JsonNode xStatus = xrdSchema.path("properties").path("status");
    ObjectNode status = props.putObject("status");
    copy(xStatus, status, "description");
    status.put("type", "object");
    copy(xStatus, status, "required");
    copy(xStatus, status, "x-kubernetes-validations");
    copy(xStatus, status, "oneOf");
    status.set("properties", xStatus.path("properties").isObject() ? xStatus.path("properties").deepCopy()
        : Serialization.JSON.createObjectNode());
    return root;
  }

  private static void copy(JsonNode from, ObjectNode to, String field) {
    JsonNode value = from.path(field);
    if (!value.isMissingNode() && !value.isNull() && !(value.isArray() && value.isEmpty())) {
      to.set(field, value.deepCopy());
    }
  }

  private static ObjectNode parse(String json) {
    try {
      return (ObjectNode) Serialization.JSON.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final String S = "{\"type\":\"string\"}";
  private static final String NAME_REF = "{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":" + S
      + "}}";
  private static final String MATCH_LABELS = "{\"type\":\"object\",\"required\":[\"matchLabels\"],\"properties\":{"
      + "\"matchLabels\":{\"type\":\"object\",\"additionalProperties\":" + S + "}}}";

  private static ObjectNode compositeSpecProps(XrdKinds kinds) {
    ObjectNode p = selectionProps();
    ObjectNode policy = parse("{\"type\":\"string\",\"enum\":[\"Automatic\",\"Manual\"]}");
    policy.put("default", kinds.defaultCompositionUpdatePolicy());
    p.set("compositionUpdatePolicy", policy);
    String refProps = "\"apiVersion\":" + S + ",\"kind\":" + S + ",\"name\":" + S
        + (kinds.namespaced() ? "" : ",\"namespace\":" + S);
    p.set("resourceRefs", parse("{\"type\":\"array\",\"x-kubernetes-list-type\":\"atomic\",\"items\":{\"type\":"
        + "\"object\",\"required\":[\"apiVersion\",\"kind\"],\"properties\":{" + refProps + "}}}"));
    if (kinds.legacyFields()) {
      p.set("claimRef", parse("{\"type\":\"object\",\"required\":[\"apiVersion\",\"kind\",\"namespace\",\"name\"],"
          + "\"properties\":{\"apiVersion\":" + S + ",\"kind\":" + S + ",\"namespace\":" + S + ",\"name\":" + S
          + "}}"));
      p.set("writeConnectionSecretToRef", parse("{\"type\":\"object\",\"required\":[\"name\",\"namespace\"],"
          + "\"properties\":{\"name\":" + S + ",\"namespace\":" + S + "}}"));
      p.set("publishConnectionDetailsTo", parse("{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{"
          + "\"name\":" + S + ",\"configRef\":{\"type\":\"object\",\"properties\":{\"name\":" + S + "}},"
          + "\"metadata\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}"));
    }
    return p;
  }

  private static ObjectNode selectionProps() {
    ObjectNode p = Serialization.JSON.createObjectNode();
    p.set("compositionRef", parse(NAME_REF));
    p.set("compositionSelector", parse(MATCH_LABELS));
    p.set("compositionRevisionRef", parse(NAME_REF));
    p.set("compositionRevisionSelector", parse(MATCH_LABELS));
    return p;
  }

  private static ObjectNode claimSpecProps(XrdKinds kinds) {
    ObjectNode p = selectionProps();
    p.set("compositionUpdatePolicy", parse("{\"type\":\"string\",\"enum\":[\"Automatic\",\"Manual\"]}"));
    ObjectNode delete = parse("{\"type\":\"string\",\"enum\":[\"Background\",\"Foreground\"]}");
    delete.put("default", kinds.defaultCompositeDeletePolicy());
    p.set("compositeDeletePolicy", delete);
    p.set("resourceRef", parse("{\"type\":\"object\",\"required\":[\"apiVersion\",\"kind\",\"name\"],\"properties\":{"
        + "\"apiVersion\":" + S + ",\"kind\":" + S + ",\"name\":" + S + "}}"));
    p.set("writeConnectionSecretToRef", parse(NAME_REF));
    return p;
  }

  private static ObjectNode statusProps(boolean legacy) {
    ObjectNode p = Serialization.JSON.createObjectNode();
    p.set("conditions", parse("{\"description\":\"Conditions of the resource.\",\"type\":\"array\","
        + "\"x-kubernetes-list-type\":\"map\",\"x-kubernetes-list-map-keys\":[\"type\"],\"items\":{\"type\":\"object\","
        + "\"required\":[\"lastTransitionTime\",\"reason\",\"status\",\"type\"],\"properties\":{"
        + "\"lastTransitionTime\":{\"type\":\"string\",\"format\":\"date-time\"},\"message\":" + S + ",\"reason\":"
        + S + ",\"status\":" + S + ",\"type\":" + S + ",\"observedGeneration\":{\"type\":\"integer\",\"format\":"
        + "\"int64\"}}}}"));
    if (legacy) {
      p.set("connectionDetails", parse("{\"type\":\"object\",\"properties\":{\"lastPublishedTime\":{\"type\":"
          + "\"string\",\"format\":\"date-time\"}}}"));
      p.set("claimConditionTypes", parse("{\"type\":\"array\",\"x-kubernetes-list-type\":\"set\",\"items\":" + S
          + "}"));
    }
    p.set(CrossplaneFields.STATUS_TARMAC, parse("{\"type\":\"object\",\"description\":\"Where Tarmac put each"
        + " composed resource (cluster or Git), and with which Composition.\","
        + "\"x-kubernetes-preserve-unknown-fields\":true}"));
    return p;
  }

  /** The names of the CRDs {@code kinds} needs: the XR's, then the claim's when offered. */
  public static List<String> crdNames(XrdKinds kinds) {
    List<String> names = new ArrayList<>();
    names.add(kinds.xrdName());
    if (kinds.offersClaim()) {
      names.add(kinds.claimPlural() + "." + kinds.group());
    }
    return names;
  }
}
