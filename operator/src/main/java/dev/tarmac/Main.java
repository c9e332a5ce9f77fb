package dev.tarmac;

import dev.tarmac.cli.ConvertCommand;
import dev.tarmac.cli.ImportCommand;
import dev.tarmac.cli.CrdsCommand;
import dev.tarmac.cli.RunCommand;
import dev.tarmac.cli.TraceCommand;
import dev.tarmac.pipeline.PipelineCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tarmac} command: {@code tarmac run} (the operator), {@code tarmac crds}, and the tools each capability
 * adds. Exit codes: 0 success, 1 a failure the message explains, 2 a usage error.
 */
@Command(name = "tarmac", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "An internal developer platform on Kubernetes: Promises, Compositions, Templates and a catalog.",
    subcommands = {CommandLine.HelpCommand.class, CrdsCommand.class, RunCommand.class, TraceCommand.class,
        PipelineCommand.class, ConvertCommand.class, ImportCommand.class})
public final class Main implements Runnable {

  static {
    // Named so that tools scanning the class path (the CRD generator at build time) do not pick it up.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "tarmac-logback.xml");
    }
    // With fewer than 3 CPUs the common pool has parallelism 1, and CompletableFuture then runs every async stage
    // without an executor on a new thread (ThreadPerTaskExecutor): the JDK HTTP client under fabric8 completes each
    // response that way, so the operator started ~4 threads per request served (JFR jdk.ThreadStart: 4,335 during
    // 1,000 requests on 2 cores). Two workers make CompletableFuture use the common pool instead.
    String parallelism = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(parallelism) == null && Runtime.getRuntime().availableProcessors() < 3) {
      System.setProperty(parallelism, "2");
    }
  }

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    StartupTimeline.PROCESS.record("jvm");
    System.exit(commandLine().execute(args));
  }

  /** The command line with every subcommand registered; used by {@link #main} and by tests. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("tarmac: " + e.getMessage());
      return 1;
    });
    return cli;
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"tarmac " + (v == null ? "dev" : v)};
    }
  }
}
