package dev.tarmac.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Conditions;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.testing.TestPromises;
import org.junit.jupiter.api.Test;

class RequestKindInformersTest {

  private static Promise promise() throws Exception {
    return Serialization.YAML.treeToValue(Serialization.YAML.readTree(TestPromises.templatePromise("cache",
        "example.dev", "Cache", "env", "dev")), Promise.class);
  }

  @Test
  void watchesTheRequestKindOnlyOnceThePromiseIsAvailable() throws Exception {
    Promise p = promise();
    assertThat(RequestKindInformers.wanted(p)).as("no status yet").isEmpty();
    p.setStatus(new Promise.Status());
    Conditions.setFalse(p.getStatus(), Conditions.AVAILABLE, "WaitingForCRD", "not yet", 1L);
    assertThat(RequestKindInformers.wanted(p)).as("CRD not Established").isEmpty();
    Conditions.setTrue(p.getStatus(), Conditions.AVAILABLE, "Available", "serving", 1L);
    var kind = RequestKindInformers.wanted(p).orElseThrow();
    assertThat(kind.getGroup()).isEqualTo("example.dev");
    assertThat(kind.getVersion()).isEqualTo("v1");
    assertThat(kind.getKind()).isEqualTo("Cache");
    assertThat(kind.getPlural()).isEqualTo("caches");
    assertThat(kind.isNamespaceScoped()).isTrue();
  }

  @Test
  void anApiThatIsNoCrdIsNothingToWatch() throws Exception {
    Promise p = promise();
    p.getSpec().api = Serialization.JSON.readTree("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}");
    p.setStatus(new Promise.Status());
    Conditions.setTrue(p.getStatus(), Conditions.AVAILABLE, "Available", "serving", 1L);
    assertThat(RequestKindInformers.wanted(p)).isEmpty();
  }
}
