package dev.tarmac.cli;

import dev.tarmac.composition.ConvertCompositionCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tarmac convert}: bring definitions from other tools over ({@code tarmac convert composition FILE}). */
@Command(name = "convert", mixinStandardHelpOptions = true, description = "Convert definitions from other tools.",
    subcommands = ConvertCompositionCommand.class)
public final class ConvertCommand implements Runnable {
  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }
}
