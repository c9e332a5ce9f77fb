package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.statestore.StateStoreLayout;
import dev.tarmac.statestore.WorkRejectedException;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tarmac pipeline collect}: the last container of every pipeline Job. Reads {@code /tarmac/output} and
 * {@code /tarmac/metadata} ({@link OutputCollector}) and hands them over, gzip'd ({@link PipelineOutput#encode}), in
 * the run's output ConfigMap named by {@code TARMAC_OUTPUT_CONFIGMAP} in {@code TARMAC_WORK_NAMESPACE}. That
 * ConfigMap is the only object the pipeline ServiceAccount may write; the operator reads it when the Job completes,
 * checks it and writes the Work and the request's status itself. Exit code 1 with a message on bad output (an output
 * over {@link PipelineOutput#MAX_COMPRESSED_BYTES} compressed included); Kubernetes shows the message as the
 * container's termination message.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true, description = "Tools that run inside pipeline Jobs.",
    subcommands = PipelineCommand.Collect.class)
public final class PipelineCommand implements Runnable {

  /** How long the collector waits for its ConfigMap and the right to write it (the operator makes both). */
  static final Duration HAND_OVER_WAIT = Duration.ofSeconds(60);

  @Override
  public void run() {
    picocli.CommandLine.usage(this, System.out);
  }

  /** {@code tarmac pipeline collect}. */
  @Command(name = "collect", mixinStandardHelpOptions = true,
      description = "Hand /tarmac/output and /tarmac/metadata over to the operator in the run's output ConfigMap.")
  public static final class Collect implements Callable<Integer> {

    @Option(names = "--root", defaultValue = "/tarmac", description = "Folder with output/ and metadata/.")
    Path root;

    @Override
    public Integer call() throws Exception {
      try (KubernetesClient client = new KubernetesClientBuilder().build()) {
        collect(client, root, System.getenv());
        return 0;
      } catch (PipelineException e) {
        System.err.println("tarmac pipeline collect: " + e.getMessage());
        java.nio.file.Files.writeString(Path.of("/dev/termination-log"), e.getMessage());
        return 1;
      }
    }
  }

  /**
   * Does the collector's work: reads {@code root} and writes the output into the run's ConfigMap (a JSON merge
   * patch of its {@code binaryData}), retrying for up to {@link #HAND_OVER_WAIT} while the ConfigMap or the right to
   * write it is not there yet (403, 404).
   *
   * @param env the environment the Job builder set
   * @return the output handed over
   * @throws PipelineException when the output breaks a rule or is over {@link PipelineOutput#MAX_COMPRESSED_BYTES}
   *     compressed
   */
  public static StepOutput collect(KubernetesClient client, Path root, Map<String, String> env) throws Exception {
    StepOutput out = OutputCollector.collect(root, StateStoreLayout.Limits.DEFAULT);
    // The same checks the operator makes, so the author reads the reason in the Job too.
    byte[] gz = PipelineOutput.encode(out);
    try {
      PipelineOutput.decode(gz, StateStoreLayout.Limits.DEFAULT);
    } catch (WorkRejectedException e) {
      throw new PipelineException(e.getMessage());
    }
    if (gz.length > PipelineOutput.MAX_COMPRESSED_BYTES) {
      throw new PipelineException("the output is " + gz.length + " bytes compressed, over the "
          + PipelineOutput.MAX_COMPRESSED_BYTES + " bytes a ConfigMap holds: produce fewer or smaller documents");
    }
    String namespace = env.get("TARMAC_WORK_NAMESPACE");
    String name = env.get("TARMAC_OUTPUT_CONFIGMAP");
    if (namespace == null || name == null) {
      throw new PipelineException("TARMAC_WORK_NAMESPACE and TARMAC_OUTPUT_CONFIGMAP are not set: run the collector"
          + " in a pipeline Job made by Tarmac");
    }
    ObjectNode body = Serialization.JSON.createObjectNode();
    body.putObject("binaryData").put(PipelineOutput.KEY, Base64.getEncoder().encodeToString(gz));
    long deadline = System.nanoTime() + HAND_OVER_WAIT.toNanos();
    while (true) {
      try {
        client.configMaps().inNamespace(namespace).withName(name)
            .patch(PatchContext.of(PatchType.JSON_MERGE), body.toString());
        return out;
      } catch (KubernetesClientException e) {
        if ((e.getCode() != 403 && e.getCode() != 404) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(1000);
      }
    }
  }
}
