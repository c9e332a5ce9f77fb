package dev.tarmac.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CustomResourceDefinitions of Tarmac's kinds, as fabric8's crd-generator-maven-plugin wrote them at build time
 * (under {@code META-INF/fabric8/} on the class path), with one correction: printer columns in the order the model
 * class declares them (the generator sorts them by JSONPath, which would put AGE first in {@code kubectl get}).
 * The committed {@code crds/} folder is exactly {@link #yaml} of each kind; a test fails on drift.
 */
public final class Crds {

  /** Every Tarmac kind, in the order the CRDs are installed. */
  public static final List<Class<? extends CustomResource<?, ?>>> KINDS = List.of(
      GitStateStore.class, Destination.class, Work.class, Promise.class, KratixPromise.class, Composition.class,
      Database.class, Template.class, Component.class, Scorecard.class, CostModel.class);

  private static final ObjectMapper YAML = Serialization.YAML;

  private Crds() {
  }

  /** The CRD name of a kind, {@code <plural>.<group>}. */
  public static String crdName(Class<? extends HasMetadata> kind) {
    return HasMetadata.getFullResourceName(kind);
  }

  /** The file name of a kind's CRD under {@code crds/}: {@code <plural>.<group>.yaml}. */
  public static String fileName(Class<? extends HasMetadata> kind) {
    return crdName(kind) + ".yaml";
  }

  /**
   * The CRD of {@code kind} as YAML.
   *
   * @throws IllegalStateException when the build did not generate it (the class path lacks the generated file)
   */
  public static String yaml(Class<? extends HasMetadata> kind) {
    try {
      return YAML.writeValueAsString(tree(kind));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CRD of {@code kind} as a JSON tree; see {@link #yaml}. */
  public static ObjectNode tree(Class<? extends HasMetadata> kind) {
    String resource = "/META-INF/fabric8/" + crdName(kind) + "-v1.yml";
    try (InputStream in = Crds.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("CRD " + resource + " is not on the class path; build with Maven first");
      }
      ObjectNode crd = (ObjectNode) YAML.readTree(in);
      orderPrinterColumns(crd, kind);
      return crd;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void orderPrinterColumns(ObjectNode crd, Class<?> kind) {
    AdditionalPrinterColumn[] declared = kind.getAnnotationsByType(AdditionalPrinterColumn.class);
    for (JsonNode version : crd.path("spec").path("versions")) {
      JsonNode columns = version.path("additionalPrinterColumns");
      if (!columns.isArray()) {
        continue;
      }
      Map<String, JsonNode> byName = new LinkedHashMap<>();
      columns.forEach(c -> byName.put(c.path("name").asText(), c));
      List<JsonNode> ordered = new ArrayList<>();
      for (AdditionalPrinterColumn column : declared) {
        JsonNode c = byName.remove(column.name());
        if (c != null) {
          ordered.add(c);
        }
      }
      ordered.addAll(byName.values());
      ArrayNode result = ((ObjectNode) version).putArray("additionalPrinterColumns");
      ordered.forEach(result::add);
    }
  }
}
