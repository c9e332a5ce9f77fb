package dev.tarmac.cli;

import dev.tarmac.api.Crds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tarmac crds}: prints every Tarmac CRD as a YAML stream, or writes one file per CRD into a folder. */
@Command(name = "crds", mixinStandardHelpOptions = true,
    description = "Print the CustomResourceDefinitions of Tarmac's kinds (kubectl apply -f - ready).")
public final class CrdsCommand implements Callable<Integer> {

  @Option(names = {"-o", "--output-dir"}, description = "Write <plural>.<group>.yaml files into this folder.")
  Path outputDir;

  @Option(names = "--backstage", description = "The CRDs of Backstage's catalog kinds instead (backstage.io,"
      + " scaffolder.backstage.io; docs/backstage.md).")
  boolean backstage;

  @Option(names = "--crossplane", description = "The CRDs of Crossplane's CompositeResourceDefinition and"
      + " Composition kinds instead (apiextensions.crossplane.io; docs/crossplane.md). Never where Crossplane runs.")
  boolean crossplane;

  @Option(names = "--helm", description = "With --backstage or --crossplane: the chart's"
      + " templates/backstage-crds.yaml or templates/crossplane-crds.yaml.")
  boolean helm;

  @Override
  public Integer call() throws IOException {
    if (outputDir != null) {
      Files.createDirectories(outputDir);
    }
    StringBuilder stream = new StringBuilder();
    if (crossplane && helm) {
      System.out.print(dev.tarmac.crossplane.CrossplaneKinds.helmTemplate());
      return 0;
    }
    if (crossplane) {
      for (var crd : dev.tarmac.crossplane.CrossplaneKinds.crds()) {
        String yaml = dev.tarmac.crossplane.CrossplaneKinds.yaml(crd);
        if (outputDir != null) {
          Files.writeString(outputDir.resolve(dev.tarmac.crossplane.CrossplaneKinds.fileName(crd)), yaml);
        } else {
          stream.append("---\n").append(yaml);
        }
      }
      if (outputDir == null) {
        System.out.print(stream);
      }
      return 0;
    }
    if (backstage && helm) {
      System.out.print(dev.tarmac.backstage.BackstageKinds.helmTemplate());
      return 0;
    }
    if (backstage) {
      for (var kind : dev.tarmac.backstage.BackstageKinds.KINDS) {
        String yaml = dev.tarmac.backstage.BackstageKinds.yaml(kind);
        if (outputDir != null) {
          Files.writeString(outputDir.resolve(dev.tarmac.backstage.BackstageKinds.fileName(kind)), yaml);
        } else {
          stream.append("---\n").append(yaml);
        }
      }
      if (outputDir == null) {
        System.out.print(stream);
      }
      return 0;
    }
    for (var kind : Crds.KINDS) {
      String yaml = Crds.yaml(kind);
      if (outputDir != null) {
        Files.writeString(outputDir.resolve(Crds.fileName(kind)), yaml);
      } else {
        stream.append("---\n").append(yaml);
      }
    }
    if (outputDir == null) {
      System.out.print(stream);
    }
    return 0;
  }
}
