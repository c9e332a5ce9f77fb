package dev.tarmac.component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import dev.tarmac.backstage.BackstageKinds;
import dev.tarmac.cli.ImportCatalogCommand;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code catalog:register}: the scaffolded {@code catalog-info.yaml} (input {@code catalogInfoPath}, default
 * {@code /catalog-info.yaml}, read from the files the scaffold published) becomes {@code backstage.io} objects in the
 * Component's namespace, so the catalog serves the entities Backstage would register. Each document of a Backstage
 * kind is applied (server-side apply, field manager {@code tarmac}) after {@code tarmac import catalog}'s rewrite
 * ({@code title}, {@code description}, {@code tags}, {@code links} into annotations; a name Kubernetes refuses made
 * a DNS name, the Backstage name kept); it is labelled with the Component and owned by it (deleted with it). A
 * document's own {@code metadata.namespace} is not followed: a scaffold writes only into its Component's namespace.
 *
 * <p>The outcome is condition {@code CatalogRegistered} on the Component: True with the refs; False with reason
 * {@code BackstageKindsNotInstalled} when the API server does not serve the kind (the Backstage CRDs are optional:
 * {@code backstage.crds=true}), which does not fail the scaffold. A Backstage Component with the Tarmac Component's
 * own name is not created: the Tarmac Component already is that entity.
 */
final class BackstageRegistration {

  /** Writes one object (server-side apply in the operator). */
  @FunctionalInterface
  interface Applier {
    /** @throws KubernetesClientException as the API server answers (404: the kind is not served) */
    void apply(GenericKubernetesResource object);
  }

  /** The condition type. */
  static final String CONDITION = "CatalogRegistered";

  private BackstageRegistration() {
  }

  /**
   * Registers.
   *
   * @return the step output: {@code entityRef} (the first entity, or the Component's own ref) and {@code entityRefs}
   *     (comma-separated)
   * @throws IllegalArgumentException when the file is not YAML
   * @throws KubernetesClientException when the API server refuses an object for another reason than a missing kind
   */
  static Map<String, String> register(Applier applier, Component component, JsonNode input,
      Map<String, RepositoryPublisher.File> workspace) {
    String namespace = component.getMetadata().getNamespace();
    String own = "component:" + namespace + "/" + component.getMetadata().getName();
    Long generation = component.getMetadata().getGeneration();
    Map<String, String> out = new LinkedHashMap<>();
    out.put("entityRef", own);
    String path = input.path("catalogInfoPath").asText("/catalog-info.yaml").replaceAll("^/+|^(\\./)+", "");
    RepositoryPublisher.File file = workspace.get(path);
    if (file == null) {
      Conditions.setTrue(component.getStatus(), CONDITION, "NoCatalogInfo", "the scaffold has no " + path
          + "; the Component itself is entity " + own, generation);
      return out;
    }
    List<ObjectNode> objects;
    List<String> notes = new ArrayList<>();
    try {
      objects = objects(file.content(), component, notes);
    } catch (IOException e) {
      throw new IllegalArgumentException(path + " is not YAML: " + e.getMessage());
    }
    List<String> refs = new ArrayList<>();
    for (ObjectNode o : objects) {
      String ref = o.path("kind").asText().toLowerCase(java.util.Locale.ROOT) + ":" + namespace + "/"
          + o.path("metadata").path("name").asText();
      if (ref.equals(own) && o.path("apiVersion").asText().startsWith(BackstageKinds.GROUP + "/")) {
        refs.add(ref);
        notes.add(ref + " is the Tarmac Component itself, not created twice");
        continue;
      }
      GenericKubernetesResource r = Serialization.JSON.convertValue(o, GenericKubernetesResource.class);
      try {
        applier.apply(r);
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          String message = "the API server does not serve " + o.path("apiVersion").asText() + " " + o.path("kind")
              .asText() + ", so " + path + " is not registered: install the Backstage CRDs (chart value"
              + " backstage.crds=true, or `tarmac run --backstage-crds`) and rescaffold; the Component itself is"
              + " entity " + own;
          Conditions.setFalse(component.getStatus(), CONDITION, "BackstageKindsNotInstalled", message, generation);
          out.put("message", message);
          return out;
        }
        throw e;
      }
      refs.add(ref);
    }
    if (!refs.isEmpty()) {
      out.put("entityRef", refs.get(0));
      out.put("entityRefs", String.join(",", refs));
    }
    Conditions.setTrue(component.getStatus(), CONDITION, "Registered", (refs.isEmpty() ? "no Backstage entity in "
        + path : "registered " + String.join(", ", refs) + " from " + path) + (notes.isEmpty() ? ""
        : "; " + String.join("; ", notes)), generation);
    return out;
  }

  /**
   * The objects to apply for {@code yaml}'s documents of a Backstage kind, in the Component's namespace, labelled and
   * owned by it. Pure.
   *
   * @param notes receives what was changed (renames, moved fields) and what was skipped
   */
  static List<ObjectNode> objects(String yaml, Component component, List<String> notes) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    try (MappingIterator<JsonNode> docs = Serialization.YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc == null || !doc.isObject() || doc.isEmpty()) {
          continue;
        }
        if (BackstageKinds.of(doc.path("apiVersion").asText(), doc.path("kind").asText()).isEmpty()) {
          notes.add("skipped " + doc.path("apiVersion").asText() + " " + doc.path("kind").asText() + " (not a"
              + " Backstage kind)");
          continue;
        }
        ObjectNode o = (ObjectNode) doc.deepCopy();
        ImportCatalogCommand.rewrite(o, notes);
        ObjectNode meta = o.with("metadata");
        String ns = meta.path("namespace").asText("");
        if (!ns.isEmpty() && !ns.equals(component.getMetadata().getNamespace())) {
          notes.add(o.path("kind").asText() + " " + meta.path("name").asText() + ": namespace " + ns + " replaced by"
              + " the Component's, " + component.getMetadata().getNamespace());
        }
        meta.put("namespace", component.getMetadata().getNamespace());
        meta.with("labels").put(Labels.MANAGED_BY, "tarmac").put("platform.tarmac.dev/component",
            component.getMetadata().getName());
        if (component.getMetadata().getUid() != null) {
          meta.putArray("ownerReferences").add(Serialization.JSON.valueToTree(new OwnerReferenceBuilder()
              .withApiVersion(component.getApiVersion()).withKind(component.getKind())
              .withName(component.getMetadata().getName()).withUid(component.getMetadata().getUid()).build()));
        }
        out.add(o);
      }
    }
    return out;
  }
}
