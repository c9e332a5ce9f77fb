package dev.tarmac.cli;

import dev.tarmac.api.Serialization;
import dev.tarmac.trace.TraceRenderer;
import dev.tarmac.trace.Tracer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tarmac trace KIND/NAME [-n NS] [-o json]}: the tree from an object to its pipeline runs, composed resources,
 * Works, Destinations and commits, so a request can be debugged without reading logs. Exit code 0 when nothing in the
 * tree failed, 3 when something did.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
    description = "Show an object's conditions, pipeline runs, composed resources, Works, placements and commits.")
public final class TraceCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "KIND/NAME", description = "e.g. database/payments-db or redis/my-redis")
  String target;

  @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "Namespace (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
  String output;

  @Override
  public Integer call() throws Exception {
    int slash = target.indexOf('/');
    if (slash <= 0 || slash == target.length() - 1) {
      System.err.println("tarmac: expected KIND/NAME, e.g. database/payments-db");
      return 2;
    }
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      var tree = new Tracer(client).trace(target.substring(0, slash), namespace, target.substring(slash + 1));
      if ("json".equals(output)) {
        System.out.println(Serialization.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
      } else {
        System.out.print(TraceRenderer.text(tree));
      }
      return tree.failing() ? 3 : 0;
    } catch (IllegalArgumentException e) {
      System.err.println("tarmac: " + e.getMessage());
      return 1;
    }
  }
}
