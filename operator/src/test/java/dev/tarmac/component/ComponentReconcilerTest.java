package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Pure parts of {@link ComponentReconciler}, no cluster. */
class ComponentReconcilerTest {

  @Test
  void theRepositoryNameIsTheLastPathSegmentOfThePublishedUrl() {
    assertThat(ComponentReconciler.repositoryName("http://127.0.0.1:8080/git/payments-service.git"))
        .isEqualTo("payments-service");
    assertThat(ComponentReconciler.repositoryName("http://tarmac.tarmac-system.svc:8080/git/a.b_c")).isEqualTo("a.b_c");
    assertThat(ComponentReconciler.repositoryName("http://host/git/")).isNull();
  }
}
