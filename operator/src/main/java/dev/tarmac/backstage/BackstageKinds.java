package dev.tarmac.backstage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Backstage's catalog entity kinds as Kubernetes CustomResourceDefinitions, so {@code kubectl apply -f
 * catalog-info.yaml} stores a Backstage descriptor in the cluster as it is written: group {@code backstage.io}
 * (versions {@code v1alpha1}, the storage version, and {@code v1beta1}, which Backstage accepts alike) for Component,
 * API, Resource, System, Domain, Group, User, Location and AiResource, and {@code scaffolder.backstage.io/v1beta3}
 * Template (kept as a catalog entity; Tarmac's runnable Template is {@code platform.tarmac.dev}).
 *
 * <p>Each {@code spec} schema is the one of Backstage's {@code @backstage/catalog-model} JSON Schema for the kind
 * (required fields, {@code minLength: 1} strings, string arrays), with unknown spec fields kept (Backstage's schemas
 * do not forbid them either). Deliberate widenings: API {@code spec.definition} also takes an object (Backstage's
 * {@code $text}/{@code $openapi} placeholders, which Backstage resolves before validation and Tarmac keeps as data) and
 * is not required by the CRD, because Backstage's {@code mcp-server} APIs have {@code remotes} instead (one schema per
 * type, which a CRD cannot choose between; {@code /validate-entity} checks the one for the type), and
 * the root keeps unknown fields ({@code x-kubernetes-preserve-unknown-fields}). The latter is what lets kubectl accept
 * Backstage's extra metadata fields ({@code title}, {@code description}, {@code tags}, {@code links}): for such a
 * root the API server publishes no OpenAPI schema, so kubectl's client-side validation does not reject them as
 * unknown fields of ObjectMeta; the API server itself then drops them from {@code metadata} (see docs/backstage.md
 * for how the catalog gets them back).
 */
public final class BackstageKinds {

  /** Backstage's catalog API group. */
  public static final String GROUP = "backstage.io";
  /** The storage version of {@link #GROUP}. */
  public static final String VERSION = "v1alpha1";
  /** Backstage's scaffolder group (Template entities). */
  public static final String SCAFFOLDER_GROUP = "scaffolder.backstage.io";

  /**
   * One kind.
   *
   * @param group API group
   * @param versions served versions, the first one stored
   * @param kind the kind, as Backstage spells it
   * @param plural the resource name
   * @param spec the JSON Schema of {@code spec} (structural: every property typed)
   */
  public record Kind(String group, List<String> versions, String kind, String plural, JsonNode spec) {

    /** The CRD name, {@code <plural>.<group>}. */
    public String crdName() {
      return plural + "." + group;
    }

    /** {@code group/version} of the storage version. */
    public String apiVersion() {
      return group + "/" + versions.get(0);
    }
  }

  private static final String STR = "{\"type\":\"string\",\"minLength\":1}";
  private static final String STRS = "{\"type\":\"array\",\"items\":" + STR + "}";
  private static final String PROFILE = "{\"type\":\"object\",\"properties\":{\"displayName\":" + STR + ",\"email\":"
      + STR + ",\"picture\":" + STR + "}}";
  private static final String ANY = "{\"x-kubernetes-preserve-unknown-fields\":true}";

  /** Every kind, in install order. */
  public static final List<Kind> KINDS = List.of(
      kind("Component", "components", "[\"type\",\"lifecycle\",\"owner\"]", "\"type\":" + STR + ",\"lifecycle\":"
          + STR + ",\"owner\":" + STR + ",\"system\":" + STR + ",\"subcomponentOf\":" + STR + ",\"providesApis\":"
          + STRS + ",\"consumesApis\":" + STRS + ",\"dependsOn\":" + STRS + ",\"dependencyOf\":" + STRS),
      kind("API", "apis", "[\"type\",\"lifecycle\",\"owner\"]", "\"type\":" + STR + ",\"lifecycle\":"
          + STR + ",\"owner\":" + STR + ",\"system\":" + STR + ",\"definition\":" + ANY + ",\"remotes\":{\"type\":"
          + "\"array\",\"items\":{\"type\":\"object\",\"required\":[\"type\",\"url\"],\"properties\":{\"type\":" + STR
          + ",\"url\":" + STR + "}}}"),
      kind("Resource", "resources", "[\"type\",\"owner\"]", "\"type\":" + STR + ",\"owner\":" + STR
          + ",\"dependsOn\":" + STRS + ",\"dependencyOf\":" + STRS + ",\"system\":" + STR),
      kind("System", "systems", "[\"owner\"]", "\"owner\":" + STR + ",\"domain\":" + STR + ",\"type\":" + STR),
      kind("Domain", "domains", "[\"owner\"]", "\"owner\":" + STR + ",\"subdomainOf\":" + STR + ",\"type\":" + STR),
      kind("Group", "groups", "[\"type\",\"children\"]", "\"type\":" + STR + ",\"profile\":" + PROFILE
          + ",\"parent\":" + STR + ",\"children\":" + STRS + ",\"members\":" + STRS),
      kind("User", "users", "[\"memberOf\"]", "\"profile\":" + PROFILE + ",\"memberOf\":" + STRS),
      kind("Location", "locations", "[]", "\"type\":" + STR + ",\"target\":" + STR + ",\"targets\":" + STRS
          + ",\"presence\":{\"type\":\"string\",\"enum\":[\"required\",\"optional\"]}"),
      new Kind(GROUP, List.of(VERSION), "AiResource", "airesources", spec("[\"type\",\"lifecycle\",\"owner\"]",
          "\"type\":" + STR + ",\"lifecycle\":" + STR + ",\"owner\":" + STR + ",\"system\":" + STR + ",\"dependsOn\":"
              + STRS + ",\"skills\":" + STRS + ",\"plugins\":" + STRS)),
      new Kind(SCAFFOLDER_GROUP, List.of("v1beta3"), "Template", "templates", spec("[\"type\",\"steps\"]",
          "\"type\":" + STR + ",\"owner\":" + STR + ",\"lifecycle\":" + STR + ",\"parameters\":" + ANY
              + ",\"presentation\":" + ANY + ",\"EXPERIMENTAL_formDecorators\":" + ANY + ",\"steps\":{\"type\":"
              + "\"array\",\"items\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}},"
              + "\"output\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}")));

  private BackstageKinds() {
  }

  private static Kind kind(String kind, String plural, String required, String properties) {
    return new Kind(GROUP, List.of(VERSION, "v1beta1"), kind, plural, spec(required, properties));
  }

  private static JsonNode spec(String required, String properties) {
    try {
      return Serialization.JSON.readTree("{\"type\":\"object\",\"required\":" + required + ",\"properties\":{"
          + properties + "},\"x-kubernetes-preserve-unknown-fields\":true}");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The kind served as {@code apiVersion} (any of its versions) and {@code kind}; empty when it is not one. */
  public static Optional<Kind> of(String apiVersion, String kind) {
    int slash = apiVersion == null ? -1 : apiVersion.indexOf('/');
    if (slash < 0) {
      return Optional.empty();
    }
    String group = apiVersion.substring(0, slash);
    String version = apiVersion.substring(slash + 1);
    return KINDS.stream().filter(k -> k.group().equals(group) && k.kind().equals(kind)
        && k.versions().contains(version)).findFirst();
  }

  /** The kind named {@code kind} (case-insensitive) in any Backstage group; empty when there is none. */
  public static Optional<Kind> named(String kind) {
    return KINDS.stream().filter(k -> k.kind().equalsIgnoreCase(kind)).findFirst();
  }

  /** The CustomResourceDefinition of {@code k}, namespaced like Backstage's entities, as a JSON tree. */
  public static ObjectNode crd(Kind k) {
    ObjectNode crd = Serialization.JSON.createObjectNode();
    crd.put("apiVersion", "apiextensions.k8s.io/v1");
    crd.put("kind", "CustomResourceDefinition");
    ObjectNode meta = crd.putObject("metadata");
    meta.put("name", k.crdName());
    meta.putObject("labels").put("app.kubernetes.io/part-of", "tarmac");
    ObjectNode spec = crd.putObject("spec");
    spec.put("group", k.group());
    ObjectNode names = spec.putObject("names");
    names.put("kind", k.kind());
    names.put("listKind", k.kind() + "List");
    names.put("plural", k.plural());
    names.put("singular", k.kind().toLowerCase(Locale.ROOT));
    names.putArray("categories").add("backstage");
    spec.put("scope", "Namespaced");
    ArrayNode versions = spec.putArray("versions");
    for (String v : k.versions()) {
      ObjectNode version = versions.addObject();
      version.put("name", v);
      version.put("served", true);
      version.put("storage", v.equals(k.versions().get(0)));
      ArrayNode columns = version.putArray("additionalPrinterColumns");
      if (k.spec().path("properties").has("type")) {
        columns.addObject().put("name", "TYPE").put("type", "string").put("jsonPath", ".spec.type");
      }
      if (k.spec().path("properties").has("owner")) {
        columns.addObject().put("name", "OWNER").put("type", "string").put("jsonPath", ".spec.owner");
      }
      columns.addObject().put("name", "AGE").put("type", "date").put("jsonPath", ".metadata.creationTimestamp");
      ObjectNode root = version.putObject("schema").putObject("openAPIV3Schema");
      root.put("description", "A Backstage " + k.kind() + " entity (" + k.group() + "), as in catalog-info.yaml."
          + " Backstage's metadata fields title, description, tags and links are not kept in metadata by the API"
          + " server: see docs/backstage.md.");
      root.put("type", "object");
      root.putArray("required").add("spec");
      root.putObject("properties").set("spec", k.spec().deepCopy());
      root.put("x-kubernetes-preserve-unknown-fields", true);
    }
    return crd;
  }

  /** The CRD of {@code k} as YAML. */
  public static String yaml(Kind k) {
    try {
      return Serialization.YAML.writeValueAsString(crd(k));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The chart's {@code templates/backstage-crds.yaml}: every CRD, rendered when {@code backstage.crds} is true, kept
   * by {@code helm uninstall} ({@code helm.sh/resource-policy: keep}: deleting a CRD deletes every object of it).
   */
  public static String helmTemplate() {
    StringBuilder out = new StringBuilder();
    out.append("# Generated by `make crds` (bin/tarmac crds --backstage --helm): Backstage's catalog kinds, docs/backstage.md.\n");
    out.append("{{- if .Values.backstage.crds }}\n");
    for (Kind k : KINDS) {
      ObjectNode crd = crd(k);
      ((ObjectNode) crd.get("metadata")).putObject("annotations").put("helm.sh/resource-policy", "keep");
      try {
        out.append("---\n").append(Serialization.YAML.writeValueAsString(crd));
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
    }
    out.append("{{- end }}\n");
    return out.toString();
  }

  /** The file name of a kind's CRD under {@code crds/backstage/}: {@code <plural>.<group>.yaml}. */
  public static String fileName(Kind k) {
    return k.crdName() + ".yaml";
  }
}
