package dev.tarmac.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.testing.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed crds/ folder is exactly what the build generates from the model classes. */
class CrdDriftTest {

  private final Path crds = RepoPaths.repo().resolve("crds");

  @Test
  void committedCrdsMatchTheModel() throws IOException {
    for (var kind : Crds.KINDS) {
      Path file = crds.resolve(Crds.fileName(kind));
      assertThat(file).as("crds/%s is missing; run `make crds`", Crds.fileName(kind)).exists();
      assertThat(Files.readString(file))
          .as("crds/%s differs from the model class %s; run `make crds` and commit", file.getFileName(),
              kind.getSimpleName())
          .isEqualTo(Crds.yaml(kind));
    }
  }

  @Test
  void noStaleCrdFiles() throws IOException {
    Set<String> expected = Crds.KINDS.stream().map(Crds::fileName).collect(Collectors.toSet());
    try (Stream<Path> files = Files.list(crds)) {
      assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  /** crds/backstage/ and the chart's optional template are exactly what BackstageKinds builds. */
  @Test
  void committedBackstageCrdsMatchTheKinds() throws IOException {
    Path dir = crds.resolve("backstage");
    Set<String> expected = new java.util.HashSet<>();
    for (var kind : dev.tarmac.backstage.BackstageKinds.KINDS) {
      Path file = dir.resolve(dev.tarmac.backstage.BackstageKinds.fileName(kind));
      expected.add(file.getFileName().toString());
      assertThat(file).as("crds/backstage/%s is missing; run `make crds`", file.getFileName()).exists();
      assertThat(Files.readString(file)).as("crds/backstage/%s is stale; run `make crds`", file.getFileName())
          .isEqualTo(dev.tarmac.backstage.BackstageKinds.yaml(kind));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(expected);
    }
    assertThat(Files.readString(RepoPaths.repo().resolve("helm/tarmac/templates/backstage-crds.yaml")))
        .as("helm/tarmac/templates/backstage-crds.yaml is stale; run `make crds`")
        .isEqualTo(dev.tarmac.backstage.BackstageKinds.helmTemplate());
  }

  /** crds/crossplane/ and the chart's optional template are exactly what CrossplaneKinds builds. */
  @Test
  void committedCrossplaneCrdsMatchTheKinds() throws IOException {
    Path dir = crds.resolve("crossplane");
    Set<String> expected = new java.util.HashSet<>();
    for (var crd : dev.tarmac.crossplane.CrossplaneKinds.crds()) {
      Path file = dir.resolve(dev.tarmac.crossplane.CrossplaneKinds.fileName(crd));
      expected.add(file.getFileName().toString());
      assertThat(file).as("crds/crossplane/%s is missing; run `make crds`", file.getFileName()).exists();
      assertThat(Files.readString(file)).as("crds/crossplane/%s is stale; run `make crds`", file.getFileName())
          .isEqualTo(dev.tarmac.crossplane.CrossplaneKinds.yaml(crd));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(expected);
    }
    assertThat(Files.readString(RepoPaths.repo().resolve("helm/tarmac/templates/crossplane-crds.yaml")))
        .as("helm/tarmac/templates/crossplane-crds.yaml is stale; run `make crds`")
        .isEqualTo(dev.tarmac.crossplane.CrossplaneKinds.helmTemplate());
  }

  @Test
  void everyCrdHasStatusPrinterColumnsCategoryAndDescriptions() {
    for (var kind : Crds.KINDS) {
      var crd = Crds.tree(kind);
      var version = crd.path("spec").path("versions").get(0);
      assertThat(version.path("subresources").has("status")).as(kind.getSimpleName()).isTrue();
      var columns = version.path("additionalPrinterColumns").findValuesAsText("name");
      assertThat(columns).as(kind.getSimpleName()).contains("READY", "REASON", "AGE");
      assertThat(columns.get(columns.size() - 1)).isEqualTo("AGE");
      assertThat(crd.path("spec").path("names").path("categories").toString()).contains("tarmac");
      // Kratix's own Promise CRD keeps Kratix's names; every Tarmac kind has a short name for kubectl.
      if (kind != dev.tarmac.api.KratixPromise.class) {
        assertThat(crd.path("spec").path("names").path("shortNames")).as("%s has a short name",
            kind.getSimpleName()).isNotEmpty();
      }
      var spec = version.path("schema").path("openAPIV3Schema").path("properties").path("spec").path("properties");
      spec.fields().forEachRemaining(f -> assertThat(f.getValue().path("description").asText())
          .as("%s.spec.%s has a description", kind.getSimpleName(), f.getKey()).isNotBlank());
    }
  }
}
