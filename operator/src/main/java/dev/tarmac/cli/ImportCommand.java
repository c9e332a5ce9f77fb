package dev.tarmac.cli;

import dev.tarmac.component.ImportTemplateCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code tarmac import}: bring definitions from other tools over ({@code tarmac import template FILE},
 * {@code tarmac import catalog DIR}).
 */
@Command(name = "import", mixinStandardHelpOptions = true, description = "Import definitions from other tools.",
    subcommands = {ImportTemplateCommand.class, ImportCatalogCommand.class})
public final class ImportCommand implements Runnable {
  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }
}
