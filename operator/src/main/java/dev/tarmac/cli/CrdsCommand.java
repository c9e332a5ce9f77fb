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

  @Override
  public Integer call() throws IOException {
    if (outputDir != null) {
      Files.createDirectories(outputDir);
    }
    StringBuilder stream = new StringBuilder();
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
