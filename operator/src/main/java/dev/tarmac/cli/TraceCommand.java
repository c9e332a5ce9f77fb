package dev.tarmac.cli;

import dev.tarmac.api.Serialization;
import dev.tarmac.trace.TraceNode;
import dev.tarmac.trace.TraceRenderer;
import dev.tarmac.trace.Tracer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tarmac trace KIND/NAME [-n NS] [-o text|wide|json|yaml]} (or {@code tarmac trace KIND NAME}): the tree from
 * an object to its pipeline runs, composed resources, Works, Destinations and commits, so a request can be debugged
 * without reading logs. Crossplane claims and XRs are traced claim → XR → composed resources → connection Secret and
 * printed as a table with SYNCED and READY columns, as {@code crossplane beta trace} prints them; {@code -o wide}
 * prints that table, with whole messages, for any kind. Exit code 0 when nothing in the tree failed, 3 when something
 * did, 1 when the object is not found, 2 on bad arguments.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
    description = "Show an object's conditions, pipeline runs, composed resources, Works, placements and commits;"
        + " for a Crossplane claim or XR: claim → XR → composed resources → connection Secret.")
public final class TraceCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "KIND[/NAME]",
      description = "e.g. database/payments-db, redis/my-redis, or a claim or XR kind (postgresqlinstance)")
  String target;

  @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "the name, when not given as KIND/NAME")
  String name;

  @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "Namespace (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = {"-o", "--output"}, defaultValue = "text",
      description = "text, wide (table with whole messages), json or yaml (default: ${DEFAULT-VALUE}).")
  String output;

  @Override
  public Integer call() throws Exception {
    String kind = target;
    String objectName = name;
    int slash = target.indexOf('/');
    if (objectName == null && slash > 0 && slash < target.length() - 1) {
      kind = target.substring(0, slash);
      objectName = target.substring(slash + 1);
    }
    if (objectName == null || kind.contains("/")) {
      System.err.println("tarmac: expected KIND/NAME or KIND NAME, e.g. database/payments-db");
      return 2;
    }
    if (!java.util.List.of("text", "wide", "json", "yaml").contains(output)) {
      System.err.println("tarmac: -o must be text, wide, json or yaml");
      return 2;
    }
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      var tree = new Tracer(client).trace(kind, namespace, objectName);
      System.out.print(render(tree, output));
      return tree.failing() ? 3 : 0;
    } catch (IllegalArgumentException e) {
      System.err.println("tarmac: " + e.getMessage());
      return 1;
    }
  }

  /**
   * The trace as {@code output} asks: json, yaml, wide (the table, whole messages), or text — the table with
   * messages cut to {@link TraceRenderer#MESSAGE_LENGTH} for Crossplane claims and XRs (their root has a SYNCED
   * value), the indented tree for every other kind.
   */
  static String render(TraceNode tree, String output) throws Exception {
    return switch (output) {
      case "json" -> Serialization.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree) + "\n";
      case "yaml" -> Serialization.YAML.writeValueAsString(tree);
      case "wide" -> TraceRenderer.table(tree, true);
      default -> tree.synced != null ? TraceRenderer.table(tree, false) : TraceRenderer.text(tree);
    };
  }
}
