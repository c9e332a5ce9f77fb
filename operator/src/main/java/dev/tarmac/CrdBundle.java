package dev.tarmac;

import dev.tarmac.api.Crds;
import dev.tarmac.backstage.BackstageKinds;
import dev.tarmac.crossplane.CrossplaneKinds;
import dev.tarmac.pipeline.SpecHash;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Every CRD the operator can install (Tarmac's kinds, Backstage's, Crossplane's), rendered and hashed by the build
 * instead of at each start (start-up, issue 17): {@link #main} runs at Maven's {@code process-classes} phase, after
 * fabric8's CRD generator, and writes {@value #DIR}{@code <name>.yaml} (the exact YAML {@link Crds#yaml},
 * {@link BackstageKinds#yaml} and {@link CrossplaneKinds#yaml} return, the same text as the committed {@code crds/})
 * and {@value #INDEX} ({@code <name>=<hash>}, the hash {@link CrdInstaller} compares with a CRD's annotation
 * {@value TarmacOperator#CRD_HASH}: {@link SpecHash#ofValue} of that text, as before, so clusters installed by an
 * older build are not rewritten). At start the operator reads the index only; a CRD's YAML is read when it is written.
 * Rendering all 21 at start cost 2–3 s of one core with the CRDs already present (YAML parse, printer-column order,
 * YAML write), the largest part of the {@code crds} phase. {@code CrdBundleTest} checks the bundle on the class path
 * against what the classes render.
 */
public final class CrdBundle {

  /** Class-path folder of the rendered CRDs. */
  static final String DIR = "META-INF/tarmac/crds/";

  /** Class-path resource of the hashes: a properties file, CRD name → hash. */
  static final String INDEX = DIR + "index.properties";

  private final Map<String, String> hashes;

  private CrdBundle(Map<String, String> hashes) {
    this.hashes = hashes;
  }

  /**
   * The bundle on the class path; empty when the build did not write it (classes compiled by an IDE without Maven's
   * {@code process-classes}), and the operator then renders each CRD at start as before.
   *
   * @throws UncheckedIOException when the index exists but cannot be read
   */
  static Optional<CrdBundle> onClassPath() {
    try (InputStream in = CrdBundle.class.getClassLoader().getResourceAsStream(INDEX)) {
      if (in == null) {
        return Optional.empty();
      }
      Properties p = new Properties();
      p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
      Map<String, String> hashes = new LinkedHashMap<>();
      p.stringPropertyNames().forEach(n -> hashes.put(n, p.getProperty(n)));
      return Optional.of(new CrdBundle(hashes));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + INDEX, e);
    }
  }

  /** The build's hash of CRD {@code name}; empty when the bundle does not hold it. */
  Optional<String> hash(String name) {
    return Optional.ofNullable(hashes.get(name));
  }

  /** The names of the CRDs the bundle holds. */
  java.util.Set<String> names() {
    return hashes.keySet();
  }

  /**
   * The YAML of CRD {@code name} as the build rendered it.
   *
   * @throws IllegalStateException when the bundle has no such CRD
   */
  static String yaml(String name) {
    try (InputStream in = CrdBundle.class.getClassLoader().getResourceAsStream(DIR + name + ".yaml")) {
      if (in == null) {
        throw new IllegalStateException("CRD " + DIR + name + ".yaml is not on the class path; build with Maven");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every CRD the operator can install, by name, rendered from the classes (what the build writes). */
  static Map<String, String> render() {
    Map<String, String> crds = new LinkedHashMap<>();
    for (var kind : Crds.KINDS) {
      crds.put(Crds.crdName(kind), Crds.yaml(kind));
    }
    for (var kind : BackstageKinds.KINDS) {
      crds.put(kind.crdName(), BackstageKinds.yaml(kind));
    }
    for (var crd : CrossplaneKinds.crds()) {
      crds.put(crd.path("metadata").path("name").asText(), CrossplaneKinds.yaml(crd));
    }
    return crds;
  }

  /** The hash {@link CrdInstaller} annotates a CRD of this YAML with. */
  static String hashOf(String yaml) {
    return SpecHash.ofValue(yaml);
  }

  /**
   * Writes the bundle under the class-output folder {@code args[0]} (Maven: {@code ${project.build.outputDirectory}}).
   *
   * @throws IOException when a file cannot be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: CrdBundle <class output folder>");
    }
    Path dir = Path.of(args[0]).resolve(DIR);
    Files.createDirectories(dir);
    StringBuilder index = new StringBuilder("# Written by the build (dev.tarmac.CrdBundle): CRD name = hash.\n");
    for (var e : render().entrySet()) {
      Files.writeString(dir.resolve(e.getKey() + ".yaml"), e.getValue());
      index.append(e.getKey()).append('=').append(hashOf(e.getValue())).append('\n');
    }
    Files.writeString(dir.resolve("index.properties"), index);
  }
}
