package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.Crds;
import dev.tarmac.api.Database;
import dev.tarmac.testing.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Tarmac's CRDs on a real kube-apiserver: installed, Established, and enforcing their schemas. */
@Tag("apiserver")
class CrdsApiServerTest {

  static KubernetesClient client;
  static String ns;

  @BeforeAll
  static void cluster() {
    client = TestCluster.get().client();
    ns = TestCluster.get().newNamespace("crds");
  }

  @Test
  void everyCrdIsEstablished() {
    for (var kind : Crds.KINDS) {
      var crd = client.apiextensions().v1().customResourceDefinitions().withName(Crds.crdName(kind)).get();
      assertThat(TestCluster.established(crd)).as(Crds.crdName(kind)).isTrue();
      assertThat(crd.getSpec().getNames().getCategories()).contains("tarmac");
    }
  }

  private static GenericKubernetesResource database(String name, String yamlSpec) {
    String yaml = """
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Database
        metadata: {name: %s, namespace: %s}
        spec:
        %s
        """.formatted(name, ns, yamlSpec.indent(2));
    return client.genericKubernetesResources("platform.tarmac.dev/v1alpha1", "Database")
        .load(new java.io.ByteArrayInputStream(yaml.getBytes())).item();
  }

  @Test
  void aValidDatabaseIsAccepted() {
    client.resource(database("ok", "engine: postgresql\nversion: \"16\"\nstorageGB: 100\nsize: small")).create();
    Database db = client.resources(Database.class).inNamespace(ns).withName("ok").get();
    assertThat(db.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(db.getSpec().storageGB).isEqualTo(100);
  }

  @Test
  void anUnknownEngineIsRejectedByTheApiServer() {
    assertThatThrownBy(() -> client.resource(database("oracle", "engine: oracle\nstorageGB: 10")).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.engine")
        .hasMessageContaining("Unsupported value: \"oracle\"");
  }

  @Test
  void negativeStorageIsRejectedByTheApiServer() {
    assertThatThrownBy(() -> client.resource(database("neg", "engine: mysql\nstorageGB: -5")).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.storageGB")
        .hasMessageContaining("should be greater than or equal to 1");
  }

  @Test
  void aMissingRequiredFieldIsRejected() {
    assertThatThrownBy(() -> client.resource(database("noengine", "storageGB: 5")).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.engine")
        .hasMessageContaining("Required value");
  }
}
