package dev.tarmac.portal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.http.Caller;
import dev.tarmac.http.KubernetesAuth;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who may create a Component from the portal, and how: never anonymously, never with the operator's rights. */
class CreateAsTest {

  /** A caller whose permissions are the one access {@code allowed}, with or without a token. */
  static Caller caller(String token, KubernetesAuth.Access allowed) {
    return Caller.of(new KubernetesAuth.User("alice", List.of("team-a")), token, allowed::equals);
  }

  @Test
  void aTokenCallerWithCreateCreatesWithTheirToken() {
    var d = CreateAs.decide(caller("t", CreateAs.access("team-a")), "team-a", false);
    assertThat(d.allowed()).isTrue();
    assertThat(d.how()).isEqualTo(CreateAs.How.TOKEN);
  }

  @Test
  void withoutCreateInThatNamespaceOnlyTheYamlIsShownAndTheReasonNamesTheRule() {
    var d = CreateAs.decide(caller("t", CreateAs.access("team-a")), "team-b", true);
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).contains("alice may not create components.platform.tarmac.dev in namespace team-b");
  }

  @Test
  void aProxyIdentityIsImpersonatedOnlyWhenTheOperatorWasToldTo() {
    Caller proxied = caller(null, CreateAs.access("team-a"));
    assertThat(CreateAs.decide(proxied, "team-a", false).allowed()).isFalse();
    assertThat(CreateAs.decide(proxied, "team-a", false).reason()).contains("--portal-impersonation");
    assertThat(CreateAs.decide(proxied, "team-a", true).how()).isEqualTo(CreateAs.How.IMPERSONATION);
  }

  @Test
  void anonymousReadAndNobodyNeverCreate() {
    assertThat(CreateAs.decide(Caller.ANYONE, "team-a", true).allowed()).isFalse();
    assertThat(CreateAs.decide(Caller.ANYONE, "team-a", true).reason()).contains("--anonymous-read");
    assertThat(CreateAs.decide(Caller.NOBODY, "team-a", true).allowed()).isFalse();
  }
}
