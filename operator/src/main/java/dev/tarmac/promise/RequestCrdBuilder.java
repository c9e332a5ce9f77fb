package dev.tarmac.promise;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Api;
import dev.tarmac.api.Labels;
import dev.tarmac.api.PrinterColumns;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The request CRD a Promise serves, from {@code spec.api} (a full {@code apiextensions.k8s.io/v1}
 * CustomResourceDefinition). Pure. The author's schema is kept; Tarmac forces the status subresource on every
 * version (with a status schema that keeps unknown fields, so pipelines' {@code status.yaml} fits), adds the READY,
 * REASON and AGE printer columns after the author's, adds the {@code tarmac} category, and labels the CRD with its
 * Promise. Cluster-scoped request kinds are allowed (Kratix refuses them).
 */
public final class RequestCrdBuilder {

  private RequestCrdBuilder() {
  }

  /**
   * False when {@code api} is absent, null or an empty object: a Promise without a request API, as Kratix allows
   * ({@code Promise.DoesNotContainAPI} in Kratix's {@code promise_types.go}).
   */
  public static boolean hasApi(JsonNode api) {
    return api != null && !api.isNull() && !api.isMissingNode() && !(api.isObject() && api.isEmpty());
  }

  /**
   * The CRD to apply for Promise {@code promise}.
   *
   * @throws PromiseException when {@code api} is not a usable CRD; the message says what to change
   */
  public static ObjectNode build(String promise, JsonNode api) {
    if (api == null || !api.isObject()) {
      throw new PromiseException("InvalidAPI", "spec.api is missing: give the full CustomResourceDefinition of the"
          + " request kind");
    }
    if (!"CustomResourceDefinition".equals(api.path("kind").asText())
        || !api.path("apiVersion").asText().startsWith("apiextensions.k8s.io/")) {
      throw new PromiseException("InvalidAPI", "spec.api must be an apiextensions.k8s.io/v1 CustomResourceDefinition,"
          + " not " + api.path("apiVersion").asText() + " " + api.path("kind").asText());
    }
    ObjectNode crd = api.deepCopy();
    crd.put("apiVersion", "apiextensions.k8s.io/v1");
    JsonNode spec = crd.path("spec");
    String group = spec.path("group").asText("");
    String kind = spec.path("names").path("kind").asText("");
    String plural = spec.path("names").path("plural").asText("");
    if (group.isEmpty() || kind.isEmpty() || plural.isEmpty()) {
      throw new PromiseException("InvalidAPI", "spec.api.spec needs group, names.kind and names.plural");
    }
    if (group.equals(Api.GROUP) || group.equals(Api.KRATIX_GROUP)) {
      throw new PromiseException("InvalidAPI", "spec.api.spec.group " + group + " is reserved: use your own group,"
          + " e.g. marketplace.tarmac.dev");
    }
    String expectedName = plural + "." + group;
    ObjectNode metadata = crd.with("metadata");
    if (metadata.hasNonNull("name") && !metadata.path("name").asText().equals(expectedName)) {
      throw new PromiseException("InvalidAPI", "spec.api.metadata.name must be <plural>.<group> = " + expectedName
          + ", not " + metadata.path("name").asText());
    }
    metadata.put("name", expectedName);
    metadata.remove(List.of("creationTimestamp", "resourceVersion", "uid", "generation", "managedFields"));
    metadata.with("labels").put(Labels.PROMISE, promise).put(Labels.MANAGED_BY, "tarmac");
    crd.remove("status");
    ObjectNode names = ((ObjectNode) crd.get("spec")).with("names");
    ArrayNode categories = names.withArray("categories");
    if (!categories.toString().contains("\"" + Api.CATEGORY + "\"")) {
      categories.add(Api.CATEGORY);
    }
    JsonNode versions = crd.path("spec").path("versions");
    if (!versions.isArray() || versions.isEmpty()) {
      throw new PromiseException("InvalidAPI", "spec.api.spec.versions is empty: add a served and stored version");
    }
    int storage = 0;
    for (JsonNode v : versions) {
      ObjectNode version = (ObjectNode) v;
      if (version.path("storage").asBoolean(false)) {
        storage++;
      }
      version.with("subresources").with("status");
      ObjectNode schema = version.with("schema").with("openAPIV3Schema");
      if (!schema.has("type")) {
        schema.put("type", "object");
      }
      ObjectNode props = schema.with("properties");
      if (!props.has("status")) {
        props.putObject("status").put("type", "object").put("x-kubernetes-preserve-unknown-fields", true);
      }
      ArrayNode columns = version.withArray("additionalPrinterColumns");
      addColumn(columns, "READY", PrinterColumns.READY, "string");
      addColumn(columns, "REASON", PrinterColumns.REASON, "string");
      addColumn(columns, "AGE", PrinterColumns.AGE, "date");
    }
    if (storage != 1) {
      throw new PromiseException("InvalidAPI", "spec.api.spec.versions must have exactly one version with storage:"
          + " true, found " + storage);
    }
    return crd;
  }

  private static void addColumn(ArrayNode columns, String name, String path, String type) {
    for (JsonNode c : columns) {
      if (name.equalsIgnoreCase(c.path("name").asText())) {
        return;
      }
    }
    columns.addObject().put("name", name).put("type", type).put("jsonPath", path);
  }

  /**
   * Refuses a change that renames the request kind or moves it to another group (existing requests would be
   * orphaned); Kubernetes itself refuses a changed group, and a changed kind breaks every stored request.
   *
   * @throws PromiseException when the group, kind, plural or scope differ
   */
  public static void checkRename(JsonNode existing, JsonNode wanted) {
    if (existing == null) {
      return;
    }
    List<String> changed = new ArrayList<>();
    for (String path : List.of("group", "scope")) {
      if (!existing.path("spec").path(path).asText().equals(wanted.path("spec").path(path).asText())) {
        changed.add(path);
      }
    }
    for (String path : List.of("kind", "plural")) {
      if (!existing.path("spec").path("names").path(path).asText()
          .equals(wanted.path("spec").path("names").path(path).asText())) {
        changed.add("names." + path);
      }
    }
    if (!changed.isEmpty()) {
      throw new PromiseException("APIRenameRefused", "spec.api changes " + String.join(", ", changed)
          + " of the request kind, which would orphan every existing request: publish a new Promise instead");
    }
  }

  /**
   * Why Promise {@code promise} may not update or delete the existing CRD {@code crdName} with {@code labels}; null
   * when it may. Tarmac changes only CRDs it created for that Promise: labelled {@code app.kubernetes.io/managed-by:
   * tarmac} and {@code platform.tarmac.dev/promise: <promise>} (set by {@link #build}). This is the operator's own
   * check, with no admission webhook: the chart's RBAC cannot name CRDs a Promise will generate.
   *
   * @param labels the existing CRD's labels (null for none)
   */
  public static String notOwned(String crdName, java.util.Map<String, String> labels, String promise) {
    java.util.Map<String, String> l = labels == null ? java.util.Map.of() : labels;
    String owner = l.get(Labels.PROMISE);
    if ("tarmac".equals(l.get(Labels.MANAGED_BY)) && promise.equals(owner)) {
      return null;
    }
    if ("tarmac".equals(l.get(Labels.MANAGED_BY)) && owner != null) {
      return "CRD " + crdName + " belongs to Promise " + owner + ", not to " + promise
          + ": choose another group or kind in spec.api";
    }
    return "CRD " + crdName + " already exists and was not created by Tarmac (no labels " + Labels.MANAGED_BY
        + "=tarmac and " + Labels.PROMISE + "=" + promise + "); Tarmac leaves it untouched: choose another group or"
        + " kind in spec.api";
  }

  /** What the request controller needs: group, the storage version, plural, kind, scope. */
  public static ResourceDefinitionContext kind(JsonNode crd) {
    JsonNode spec = crd.path("spec");
    String version = "";
    for (JsonNode v : spec.path("versions")) {
      if (v.path("storage").asBoolean(false)) {
        version = v.path("name").asText();
      }
    }
    return new ResourceDefinitionContext.Builder()
        .withGroup(spec.path("group").asText())
        .withVersion(version)
        .withPlural(spec.path("names").path("plural").asText())
        .withKind(spec.path("names").path("kind").asText())
        .withNamespaced(!"Cluster".equals(spec.path("scope").asText()))
        .build();
  }

  /** The CRD as YAML, for logs and tests. */
  public static String yaml(JsonNode crd) {
    try {
      return Serialization.YAML.writeValueAsString(crd);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
