package dev.tarmac.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.promise.RequestCrdBuilder;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Secret and CRD ownership rules as pure functions, without a cluster. */
class SecretAccessTest {

  private final SecretAccess chartDefault = new SecretAccess("tarmac-system", Set.of(), "tarmac-connection-secrets",
      "tarmac");
  private final SecretAccess narrowed = new SecretAccess("tarmac-system", Set.of("payments", " "), null, "tarmac");

  @Test
  void gitCredentialsOnlyInTheOperatorsAndNamedNamespaces() {
    assertThat(chartDefault.refuseStoreSecret("tarmac-system")).isNull();
    assertThat(chartDefault.refuseStoreSecret("team-a")).contains("spec.secretRef.namespace team-a")
        .contains("move the Secret to tarmac-system").contains("rbac.secretNamespaces");
    assertThat(narrowed.refuseStoreSecret("payments")).isNull();
    assertThat(narrowed.storeSecretNamespaces()).containsExactly("payments", "tarmac-system");
  }

  @Test
  void connectionSecretsOnlyInTheClaimsOwnNamespace() {
    assertThat(chartDefault.refuseConnectionSecret("team-a", null, "f")).isNull();
    assertThat(chartDefault.refuseConnectionSecret("team-a", "team-a", "f")).isNull();
    assertThat(chartDefault.refuseConnectionSecret("team-a", "team-b", "composed resource db"))
        .contains("composed resource db names a Secret in namespace team-b").contains("claim's own namespace team-a");
    assertThat(narrowed.refuseConnectionSecret("payments", null, "f")).isNull();
    assertThat(narrowed.refuseConnectionSecret("tarmac-system", null, "f")).isNull();
    assertThat(narrowed.refuseConnectionSecret("team-a", null, "spec.writeConnectionSecretToRef"))
        .contains("may not write Secrets in namespace team-a").contains("rbac.secretNamespaces: payments");
  }

  @Test
  void bindingsOnlyWithARoleAServiceAccountAndNoNamedNamespaces() {
    assertThat(chartDefault.bindsPerNamespace()).isTrue();
    assertThat(narrowed.bindsPerNamespace()).isFalse();
    assertThat(SecretAccess.outsideChart("x").bindsPerNamespace()).isFalse();
    assertThat(new SecretAccess("x", Set.of(), "role", "").bindsPerNamespace()).isFalse();
    assertThat(SecretAccess.parse(" a, b ,,")).containsExactly("a", "b");
    assertThat(SecretAccess.parse("")).isEmpty();
  }

  @Test
  void aCrdIsChangedOnlyWhenTarmacMadeItForThatPromise() {
    Map<String, String> own = Map.of("app.kubernetes.io/managed-by", "tarmac", "platform.tarmac.dev/promise", "redis");
    assertThat(RequestCrdBuilder.notOwned("redis.example.com", own, "redis")).isNull();
    assertThat(RequestCrdBuilder.notOwned("redis.example.com", own, "cache")).contains("belongs to Promise redis");
    assertThat(RequestCrdBuilder.notOwned("certificates.cert-manager.io", null, "certs"))
        .contains("not created by Tarmac").contains("untouched");
    // The Promise label alone (anyone can set labels on a CRD they create) is not enough without managed-by.
    assertThat(RequestCrdBuilder.notOwned("x.example.com", Map.of("platform.tarmac.dev/promise", "certs"), "certs"))
        .isNotNull();
  }
}
