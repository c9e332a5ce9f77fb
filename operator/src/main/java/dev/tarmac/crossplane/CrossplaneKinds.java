package dev.tarmac.crossplane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The CustomResourceDefinitions of Crossplane's {@code apiextensions.crossplane.io} kinds that Tarmac serves when
 * asked ({@code --crossplane-crds}, chart value {@code crossplane.crds}): {@code CompositeResourceDefinition} (XRD)
 * and {@code Composition}, so the files of Crossplane's own repositories apply unchanged. Never install them where
 * Crossplane runs: Crossplane installs its own.
 *
 * <p>XRD: versions {@code v1} (the storage version) and {@code v2}, served with the same schema (conversion
 * {@code None}, which only rewrites {@code apiVersion}); they differ only in the default of {@code spec.scope}
 * ({@code LegacyCluster} in v1, {@code Namespaced} in v2), as in Crossplane v2's own CRD. The schema is written from
 * Crossplane's API reference (v1.x and v2): {@code group}, {@code names}, {@code claimNames}, {@code versions[]}
 * ({@code name}, {@code served}, {@code referenceable}, {@code deprecated}, {@code deprecationWarning},
 * {@code schema.openAPIV3Schema} (kept as written), {@code additionalPrinterColumns}), {@code scope},
 * {@code connectionSecretKeys}, {@code defaultCompositionRef}, {@code enforcedCompositionRef},
 * {@code defaultCompositionRevisionSelector}, {@code defaultCompositionUpdatePolicy} (default {@code Automatic}),
 * {@code defaultCompositeDeletePolicy} (default {@code Background}), {@code conversion}, {@code metadata}. One
 * deliberate widening: v2 also accepts {@code scope: LegacyCluster} (Crossplane's v1 XRD has it; its v2 XRD does not),
 * and the rules Crossplane's CRD states in CEL ({@code x-kubernetes-validations}: claims only with scope
 * {@code LegacyCluster}, immutable names) are checked by the XRD controller instead ({@link XrdCrds#kinds}), which
 * reports them as conditions: CEL needs Kubernetes 1.25, Tarmac supports older API servers. Status: Crossplane's
 * {@code conditions} and {@code controllers}, plus Tarmac's {@code observedGeneration} and {@code nextRetryTime}.
 *
 * <p>Composition: version {@code v1} with Crossplane v1.x's fields (mode {@code Resources} and {@code Pipeline}), the
 * default mode {@code Resources} as in Crossplane v1 (Crossplane v2 removed that mode; Tarmac keeps it): typed top
 * level, free-form resource templates, patch sets, pipeline steps and environment
 * ({@code x-kubernetes-preserve-unknown-fields}).
 */
public final class CrossplaneKinds {

  /** The XRD kind. */
  public static final String XRD_KIND = "CompositeResourceDefinition";
  /** The XRD plural. */
  public static final String XRD_PLURAL = "compositeresourcedefinitions";
  /** The Composition kind (Crossplane's; Tarmac's own is {@code platform.tarmac.dev} Composition). */
  public static final String COMPOSITION_KIND = "Composition";
  /** The Composition plural. */
  public static final String COMPOSITION_PLURAL = "compositions";
  /** The XRD storage version. */
  public static final String XRD_VERSION = "v1";

  /** The CRD names, in install order. */
  public static final List<String> CRD_NAMES = List.of(XRD_PLURAL + "." + CrossplaneFields.GROUP,
      COMPOSITION_PLURAL + "." + CrossplaneFields.GROUP);

  private static final String STRING = "{\"type\":\"string\"}";
  private static final String NAME_REF = "{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":"
      + STRING + "}}";
  private static final String FREE = "{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}";
  private static final String FREE_LIST = "{\"type\":\"array\",\"items\":" + FREE + "}";
  private static final String LABEL_SELECTOR = "{\"type\":\"object\",\"properties\":{\"matchLabels\":{\"type\":"
      + "\"object\",\"additionalProperties\":" + STRING + "},\"matchExpressions\":{\"type\":\"array\",\"items\":{"
      + "\"type\":\"object\",\"required\":[\"key\",\"operator\"],\"properties\":{\"key\":" + STRING + ",\"operator\":"
      + STRING + ",\"values\":{\"type\":\"array\",\"items\":" + STRING + "}}}}}}";
  private static final String NAMES = "{\"type\":\"object\",\"required\":[\"kind\",\"plural\"],\"properties\":{"
      + "\"kind\":" + STRING + ",\"listKind\":" + STRING + ",\"plural\":" + STRING + ",\"singular\":" + STRING
      + ",\"shortNames\":{\"type\":\"array\",\"items\":" + STRING + "},\"categories\":{\"type\":\"array\",\"items\":"
      + STRING + "}}}";
  private static final String TYPE_REF = "{\"type\":\"object\",\"required\":[\"apiVersion\",\"kind\"],\"properties\":"
      + "{\"apiVersion\":" + STRING + ",\"kind\":" + STRING + "}}";
  private static final String CONDITIONS = "{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\","
      + "\"x-kubernetes-list-map-keys\":[\"type\"],\"items\":{\"type\":\"object\",\"required\":[\"type\",\"status\","
      + "\"reason\",\"lastTransitionTime\"],\"properties\":{\"type\":" + STRING + ",\"status\":" + STRING
      + ",\"reason\":" + STRING + ",\"message\":" + STRING + ",\"lastTransitionTime\":{\"type\":\"string\","
      + "\"format\":\"date-time\"},\"observedGeneration\":{\"type\":\"integer\",\"format\":\"int64\"}}}}";

  private CrossplaneKinds() {
  }

  private static JsonNode json(String text) {
    try {
      return Serialization.JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The XRD's CRD, {@code compositeresourcedefinitions.apiextensions.crossplane.io}, as a JSON tree. */
  public static ObjectNode xrdCrd() {
    ObjectNode crd = crd(XRD_PLURAL, XRD_KIND, List.of("xrd", "xrds"));
    ArrayNode versions = crd.with("spec").putArray("versions");
    for (String v : List.of("v1", "v2")) {
      ObjectNode version = versions.addObject();
      version.put("name", v);
      version.put("served", true);
      version.put("storage", v.equals(XRD_VERSION));
      ArrayNode columns = version.putArray("additionalPrinterColumns");
      columns.addObject().put("name", "ESTABLISHED").put("type", "string")
          .put("jsonPath", ".status.conditions[?(@.type=='Established')].status");
      columns.addObject().put("name", "OFFERED").put("type", "string")
          .put("jsonPath", ".status.conditions[?(@.type=='Offered')].status");
      columns.addObject().put("name", "AGE").put("type", "date").put("jsonPath", ".metadata.creationTimestamp");
      version.putObject("subresources").putObject("status");
      ObjectNode root = version.putObject("schema").putObject("openAPIV3Schema");
      root.put("description", "A Crossplane CompositeResourceDefinition (XRD): defines a composite resource (XR) kind"
          + " and, with claimNames, a claim kind. Served by Tarmac (docs/crossplane.md).");
      root.put("type", "object");
      ObjectNode props = root.putObject("properties");
      props.set("apiVersion", json(STRING));
      props.set("kind", json(STRING));
      props.putObject("metadata").put("type", "object");
      props.set("spec", xrdSpec(v));
      props.set("status", json("{\"type\":\"object\",\"properties\":{\"conditions\":" + CONDITIONS
          + ",\"controllers\":{\"type\":\"object\",\"properties\":{\"compositeResourceType\":" + TYPE_REF
          + ",\"compositeResourceClaimType\":" + TYPE_REF + "}},\"observedGeneration\":{\"type\":\"integer\","
          + "\"format\":\"int64\"},\"nextRetryTime\":" + STRING + "}}"));
    }
    return crd;
  }

  private static JsonNode xrdSpec(String version) {
    String scopeDefault = version.equals("v1") ? XrdKinds.LEGACY_CLUSTER : XrdKinds.NAMESPACED;
    String versionItem = "{\"type\":\"object\",\"required\":[\"name\",\"served\",\"referenceable\"],\"properties\":{"
        + "\"name\":" + STRING + ",\"served\":{\"type\":\"boolean\"},\"referenceable\":{\"type\":\"boolean\"},"
        + "\"deprecated\":{\"type\":\"boolean\"},\"deprecationWarning\":" + STRING + ","
        + "\"schema\":{\"type\":\"object\",\"properties\":{\"openAPIV3Schema\":" + FREE + "}},"
        + "\"additionalPrinterColumns\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"name\","
        + "\"type\",\"jsonPath\"],\"properties\":{\"name\":" + STRING + ",\"type\":" + STRING + ",\"jsonPath\":"
        + STRING + ",\"description\":" + STRING + ",\"format\":" + STRING + ",\"priority\":{\"type\":\"integer\","
        + "\"format\":\"int32\"}}}}}}";
    String spec = "{\"type\":\"object\",\"required\":[\"group\",\"names\",\"versions\"],\"properties\":{"
        + "\"group\":" + STRING + ","
        + "\"names\":" + NAMES + ","
        + "\"claimNames\":" + NAMES + ","
        + "\"scope\":{\"type\":\"string\",\"enum\":[\"Namespaced\",\"Cluster\",\"LegacyCluster\"],\"default\":\""
        + scopeDefault + "\"},"
        + "\"connectionSecretKeys\":{\"type\":\"array\",\"items\":" + STRING + "},"
        + "\"defaultCompositionRef\":" + NAME_REF + ","
        + "\"enforcedCompositionRef\":" + NAME_REF + ","
        + "\"defaultCompositionRevisionSelector\":" + LABEL_SELECTOR + ","
        + "\"defaultCompositionUpdatePolicy\":{\"type\":\"string\",\"enum\":[\"Automatic\",\"Manual\"],"
        + "\"default\":\"Automatic\"},"
        + "\"defaultCompositeDeletePolicy\":{\"type\":\"string\",\"enum\":[\"Background\",\"Foreground\"],"
        + "\"default\":\"Background\"},"
        + "\"conversion\":" + FREE + ","
        + "\"metadata\":{\"type\":\"object\",\"properties\":{\"labels\":{\"type\":\"object\",\"additionalProperties\":"
        + STRING + "},\"annotations\":{\"type\":\"object\",\"additionalProperties\":" + STRING + "}}},"
        + "\"versions\":{\"type\":\"array\",\"items\":" + versionItem + "}}}";
    return json(spec);
  }

  /** Crossplane's Composition CRD, {@code compositions.apiextensions.crossplane.io}, as a JSON tree. */
  public static ObjectNode compositionCrd() {
    ObjectNode crd = crd(COMPOSITION_PLURAL, COMPOSITION_KIND, List.of("comp"));
    ObjectNode version = crd.with("spec").putArray("versions").addObject();
    version.put("name", "v1");
    version.put("served", true);
    version.put("storage", true);
    ArrayNode columns = version.putArray("additionalPrinterColumns");
    columns.addObject().put("name", "XR-KIND").put("type", "string").put("jsonPath", ".spec.compositeTypeRef.kind");
    columns.addObject().put("name", "XR-APIVERSION").put("type", "string")
        .put("jsonPath", ".spec.compositeTypeRef.apiVersion");
    columns.addObject().put("name", "AGE").put("type", "date").put("jsonPath", ".metadata.creationTimestamp");
    ObjectNode root = version.putObject("schema").putObject("openAPIV3Schema");
    root.put("description", "A Crossplane Composition: what an XR of compositeTypeRef's kind is composed of"
        + " (mode Resources: resource templates with patches; mode Pipeline: function steps). Served by Tarmac"
        + " (docs/crossplane.md); Tarmac's own Composition is compositions.platform.tarmac.dev.");
    root.put("type", "object");
    ObjectNode props = root.putObject("properties");
    props.set("apiVersion", json(STRING));
    props.set("kind", json(STRING));
    props.putObject("metadata").put("type", "object");
    props.set("spec", json("{\"type\":\"object\",\"required\":[\"compositeTypeRef\"],\"properties\":{"
        + "\"compositeTypeRef\":" + TYPE_REF + ","
        + "\"mode\":{\"type\":\"string\",\"enum\":[\"Resources\",\"Pipeline\"],\"default\":\"Resources\"},"
        + "\"resources\":" + FREE_LIST + ","
        + "\"patchSets\":" + FREE_LIST + ","
        + "\"pipeline\":" + FREE_LIST + ","
        + "\"functions\":" + FREE_LIST + ","
        + "\"environment\":" + FREE + ","
        + "\"writeConnectionSecretsToNamespace\":" + STRING + ","
        + "\"publishConnectionDetailsWithStoreConfigRef\":{\"type\":\"object\",\"properties\":{\"name\":" + STRING
        + "}},"
        + "\"revisionActivationPolicy\":{\"type\":\"string\",\"enum\":[\"Automatic\",\"Manual\"]}}}"));
    return crd;
  }

  private static ObjectNode crd(String plural, String kind, List<String> shortNames) {
    ObjectNode crd = Serialization.JSON.createObjectNode();
    crd.put("apiVersion", "apiextensions.k8s.io/v1");
    crd.put("kind", "CustomResourceDefinition");
    ObjectNode meta = crd.putObject("metadata");
    meta.put("name", plural + "." + CrossplaneFields.GROUP);
    meta.putObject("labels").put("app.kubernetes.io/part-of", "tarmac");
    ObjectNode spec = crd.putObject("spec");
    spec.put("group", CrossplaneFields.GROUP);
    ObjectNode names = spec.putObject("names");
    names.put("kind", kind);
    names.put("listKind", kind + "List");
    names.put("plural", plural);
    names.put("singular", kind.toLowerCase(java.util.Locale.ROOT));
    ArrayNode shorts = names.putArray("shortNames");
    shortNames.forEach(shorts::add);
    names.putArray("categories").add("crossplane");
    spec.put("scope", "Cluster");
    return crd;
  }

  /** Both CRDs, in install order: XRD, Composition. */
  public static List<ObjectNode> crds() {
    return List.of(xrdCrd(), compositionCrd());
  }

  /** A CRD as YAML. */
  public static String yaml(ObjectNode crd) {
    try {
      return Serialization.YAML.writeValueAsString(crd);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The file name of a CRD under {@code crds/crossplane/}: {@code <plural>.<group>.yaml}. */
  public static String fileName(ObjectNode crd) {
    return crd.path("metadata").path("name").asText() + ".yaml";
  }

  /**
   * The chart's {@code templates/crossplane-crds.yaml}: both CRDs, rendered when {@code crossplane.crds} is true,
   * kept by {@code helm uninstall} ({@code helm.sh/resource-policy: keep}: deleting a CRD deletes every object of it).
   */
  public static String helmTemplate() {
    StringBuilder out = new StringBuilder();
    out.append("# Generated by `make crds` (bin/tarmac crds --crossplane --helm): Crossplane's XRD and Composition"
        + " kinds, docs/crossplane.md.\n");
    out.append("# Never enable crossplane.crds where Crossplane runs: Crossplane installs these CRDs itself.\n");
    out.append("{{- if .Values.crossplane.crds }}\n");
    for (ObjectNode crd : crds()) {
      ((ObjectNode) crd.get("metadata")).putObject("annotations").put("helm.sh/resource-policy", "keep");
      out.append("---\n").append(yaml(crd));
    }
    out.append("{{- end }}\n");
    return out.toString();
  }
}
