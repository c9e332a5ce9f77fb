package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.statestore.StateStoreLayout;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tarmac pipeline collect}: the last container of every pipeline Job. Reads {@code /tarmac/output} and
 * {@code /tarmac/metadata} ({@link OutputCollector}), writes one Work, and merges {@code status.yaml} into the owner's
 * status. What it writes to is named by the environment the Job builder sets ({@code TARMAC_WORK_NAMESPACE},
 * {@code TARMAC_WORK_NAME}, {@code TARMAC_OWNER_*}, {@code TARMAC_PROMISE_NAME}, {@code TARMAC_PIPELINE_NAME},
 * {@code TARMAC_SPEC_HASH}, {@code TARMAC_WORKFLOW_TYPE}, {@code TARMAC_WORKFLOW_ACTION}). Exit code 1 with a
 * message on bad output; Kubernetes shows the message as the container's termination message.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true, description = "Tools that run inside pipeline Jobs.",
    subcommands = PipelineCommand.Collect.class)
public final class PipelineCommand implements Runnable {

  @Override
  public void run() {
    picocli.CommandLine.usage(this, System.out);
  }

  /** {@code tarmac pipeline collect}. */
  @Command(name = "collect", mixinStandardHelpOptions = true,
      description = "Turn /tarmac/output and /tarmac/metadata into a Work and a status patch.")
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
   * Does the collector's work: reads {@code root}, writes the Work and patches the owner's status.
   *
   * @param env the environment the Job builder set
   * @throws PipelineException when the output breaks a rule
   */
  public static Work collect(KubernetesClient client, Path root, Map<String, String> env) throws Exception {
    StepOutput out = OutputCollector.collect(root, StateStoreLayout.Limits.DEFAULT);
    String ownerNamespace = env.getOrDefault("TARMAC_OWNER_NAMESPACE", "");
    String apiVersion = env.get("TARMAC_OWNER_API_VERSION");
    String kind = env.get("TARMAC_OWNER_KIND");
    String name = env.get("TARMAC_OWNER_NAME");
    WorkflowRunner.Owner owner = new WorkflowRunner.Owner(Serialization.JSON.createObjectNode(), apiVersion, kind,
        ownerNamespace.isEmpty() ? null : ownerNamespace, name, env.get("TARMAC_OWNER_UID"),
        env.get("TARMAC_PROMISE_NAME"), env.getOrDefault("TARMAC_WORKFLOW_TYPE", "resource"),
        env.get("TARMAC_WORK_NAMESPACE"), null, List.of());
    Work work = WorkflowRunner.work(owner, env.get("TARMAC_PIPELINE_NAME"), env.get("TARMAC_WORK_NAME"),
        env.getOrDefault("TARMAC_SPEC_HASH", ""), out);
    try {
      StateStoreLayout.validate(work, StateStoreLayout.Limits.DEFAULT);
    } catch (dev.tarmac.statestore.WorkRejectedException e) {
      throw new PipelineException(e.getMessage());
    }
    if ("configure".equals(env.getOrDefault("TARMAC_WORKFLOW_ACTION", "configure"))) {
      client.resource(work).fieldManager("tarmac-collect").forceConflicts().serverSideApply();
    }
    if (!out.status().isEmpty()) {
      var op = client.genericKubernetesResources(apiVersion, kind);
      var resource = ownerNamespace.isEmpty() ? op.withName(name) : op.inNamespace(ownerNamespace).withName(name);
      GenericKubernetesResource current = resource.get();
      if (current != null) {
        JsonNode now = Serialization.JSON.valueToTree(current).path("status");
        ObjectNode merged = now.isObject() ? (ObjectNode) now.deepCopy() : Serialization.JSON.createObjectNode();
        StatusMerge.merge(merged, out.status());
        ObjectNode body = Serialization.JSON.createObjectNode();
        body.set("status", merged);
        resource.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), body.toString());
      }
    }
    return work;
  }
}
