package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The CRD bundle the build writes ({@link CrdBundle}) is what the classes render, and the installer reads it. */
class CrdBundleTest {

  private final CrdBundle bundle = CrdBundle.onClassPath().orElseThrow(
      () -> new AssertionError(CrdBundle.INDEX + " is not on the class path: the build's process-classes step"));

  @Test
  void bundleHoldsEveryCrdAsTheClassesRenderIt() {
    Map<String, String> rendered = CrdBundle.render();
    assertThat(rendered).hasSize(11 + dev.tarmac.backstage.BackstageKinds.KINDS.size() + 2);
    assertThat(bundle.names()).containsExactlyInAnyOrderElementsOf(rendered.keySet());
    rendered.forEach((name, yaml) -> {
      assertThat(CrdBundle.yaml(name)).as("bundled YAML of %s", name).isEqualTo(yaml);
      assertThat(bundle.hash(name)).as("bundled hash of %s", name).contains(CrdBundle.hashOf(yaml));
    });
  }

  @Test
  void installerTakesTheBundledHashWithoutRendering() {
    String name = dev.tarmac.api.Crds.crdName(dev.tarmac.api.Work.class);
    Supplier<String> render = () -> {
      throw new AssertionError("rendered although the bundle holds " + name);
    };
    var desired = CrdInstaller.Desired.of(Optional.of(bundle), name, render, null);
    assertThat(desired.hash().get()).isEqualTo(bundle.hash(name).orElseThrow());
    assertThat(desired.yaml().get()).isEqualTo(dev.tarmac.api.Crds.yaml(dev.tarmac.api.Work.class));
  }

  @Test
  void withoutABundleTheCrdIsRenderedOnceAndHashedAsTheBuildWould() {
    int[] renders = {0};
    var desired = CrdInstaller.Desired.of(Optional.empty(), "x.example.com", () -> {
      renders[0]++;
      return "kind: CustomResourceDefinition\n";
    }, null);
    assertThat(desired.hash().get()).isEqualTo(CrdBundle.hashOf("kind: CustomResourceDefinition\n"));
    assertThat(desired.yaml().get()).isEqualTo("kind: CustomResourceDefinition\n");
    assertThat(renders[0]).isEqualTo(1);
  }
}
