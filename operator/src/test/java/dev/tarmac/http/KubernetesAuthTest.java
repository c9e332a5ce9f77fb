package dev.tarmac.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading the token from a request, the caches and the loopback rule, with no cluster. */
class KubernetesAuthTest {

  static String basic(String pair) {
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theTokenIsTheBearerOrTheBasicAuthPassword() {
    assertThat(KubernetesAuth.token("Bearer abc.def")).contains("abc.def");
    assertThat(KubernetesAuth.token("bearer   abc ")).contains("abc");
    assertThat(KubernetesAuth.token(basic("argocd:abc.def"))).as("user name ignored").contains("abc.def");
    assertThat(KubernetesAuth.token(basic(":abc"))).contains("abc");
    assertThat(KubernetesAuth.token(basic("user:a:b"))).as("a password may hold a colon").contains("a:b");
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "Bearer", "Bearer ", "Token abc", "Digest abc", "Basic !!!notbase64",
      "Basic dXNlcg==" /* "user": no colon */, "Basic dXNlcjo=" /* "user:": empty password */,
      "Bearer a\u0000b", "Bearer a\u00e9b"})
  void noUsableTokenMeansUnauthenticated(String header) {
    assertThat(KubernetesAuth.token(header)).isEmpty();
  }

  @Test
  void cachedEntriesExpireAndTheLeastRecentlyUsedGoFirst() {
    AtomicLong now = new AtomicLong();
    ExpiringCache<String, Integer> cache = new ExpiringCache<>(10, 2, now::get);
    AtomicInteger loads = new AtomicInteger();
    assertThat(cache.get("a", k -> loads.incrementAndGet())).isEqualTo(1);
    assertThat(cache.get("a", k -> loads.incrementAndGet())).as("cached").isEqualTo(1);
    now.set(10);
    assertThat(cache.get("a", k -> loads.incrementAndGet())).as("expired after the TTL").isEqualTo(2);
    cache.get("b", k -> 0);
    cache.get("a", k -> -1);
    cache.get("c", k -> 0);
    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.get("a", k -> -1)).as("a was used after b, so b went").isEqualTo(2);
    assertThat(cache.get("b", k -> 99)).isEqualTo(99);
  }

  @Test
  void anonymousReadOnlyOnLoopback() {
    HttpAuthenticator.checkAnonymousRead("127.0.0.1");
    HttpAuthenticator.checkAnonymousRead("::1");
    HttpAuthenticator.checkAnonymousRead("localhost");
    for (String host : new String[] {"0.0.0.0", "::", "10.1.2.3", "no-such-host.invalid"}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpAuthenticator.checkAnonymousRead(host))
          .hasMessageContaining("--anonymous-read").hasMessageContaining("loopback").hasMessageContaining(host);
    }
  }

  @Test
  void accessReadsAsKubectlWouldSayIt() {
    assertThat(KubernetesAuth.Access.resource("get", "platform.tarmac.dev", "gitstatestores", "", "default"))
        .hasToString("get gitstatestores.platform.tarmac.dev \"default\"");
    assertThat(KubernetesAuth.Access.resource("get", "", "namespaces", null, null)).hasToString("get namespaces");
    assertThat(KubernetesAuth.Access.resource("get", "platform.tarmac.dev", "components", "a", null))
        .hasToString("get components.platform.tarmac.dev in namespace a");
    assertThat(KubernetesAuth.Access.nonResource("get", "/metrics")).hasToString("get /metrics");
  }
}
