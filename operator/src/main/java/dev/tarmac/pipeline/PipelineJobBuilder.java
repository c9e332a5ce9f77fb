package dev.tarmac.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Job for one run of a container Pipeline. Pure: same inputs, same Job.
 *
 * <p>Shape (shared/DESIGN.md, "Pipelines as Jobs"; Kratix's file contract): every step is an init container, so they
 * run in order; they share {@code /tarmac/input} (a ConfigMap holding {@code object.yaml}, read-only),
 * {@code /tarmac/output} and {@code /tarmac/metadata} (emptyDirs), mounted again at {@code /kratix/...}. The main
 * container is the operator's image running {@code tarmac pipeline collect}, which hands the output and metadata
 * folders over in the run's output ConfigMap ({@code TARMAC_OUTPUT_CONFIGMAP}); the operator turns that into the Work
 * and the status patch. Every container runs with the restricted Pod Security profile
 * (non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp) and default resources.
 * Kratix's environment variables are set ({@code KRATIX_WORKFLOW_ACTION}, {@code KRATIX_WORKFLOW_TYPE},
 * {@code KRATIX_PROMISE_NAME}, {@code KRATIX_PIPELINE_NAME}) with {@code TARMAC_} twins.
 */
public final class PipelineJobBuilder {

  /**
   * Settings that do not depend on the request.
   *
   * @param operatorImage the operator's image (runs the collector)
   * @param activeDeadlineSeconds how long a run may take, seconds
   */
  public record Settings(String operatorImage, long activeDeadlineSeconds) {
  }

  /**
   * One run.
   *
   * @param pipeline the Pipeline
   * @param promise the Promise's name
   * @param workflowType {@code resource} or {@code promise}
   * @param action {@code configure} or {@code delete}
   * @param ownerApiVersion apiVersion of the request (or Promise)
   * @param ownerKind its kind
   * @param ownerNamespace its namespace, null when cluster-scoped
   * @param ownerName its name
   * @param ownerUid its UID
   * @param specHash the spec hash of this run
   * @param namespace where the Job runs
   * @param serviceAccount the ServiceAccount the Job runs as (may write only the run's output ConfigMap)
   * @param inputConfigMap the ConfigMap holding {@code object.yaml}
   * @param workName the Work the collector writes
   */
  public record Run(Pipeline pipeline, String promise, String workflowType, String action, String ownerApiVersion,
      String ownerKind, String ownerNamespace, String ownerName, String ownerUid, String specHash, String namespace,
      String serviceAccount, String inputConfigMap, String workName) {
  }

  private final Settings settings;

  /** @param settings image and deadline */
  public PipelineJobBuilder(Settings settings) {
    this.settings = settings;
  }

  /**
   * The deterministic Job name of a run: {@code <owner>-<kind>-<pipeline>-<hash>}, at most 63 characters (the kind
   * keeps apart same-named requests of two Promises in one namespace); a retry's spec hash
   * carries {@code -<attempt>}, which the name keeps so each attempt gets a Job of its own.
   */
  public static String jobName(Run run) {
    String full = run.specHash();
    int dash = full.indexOf('-');
    String base = dash < 0 ? full : full.substring(0, dash);
    String hash = base.substring(0, Math.min(8, base.length())) + (dash < 0 ? "" : full.substring(dash));
    String prefix = (run.ownerName() + "-" + run.ownerKind() + "-" + run.pipeline().name()).toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9-]", "-");
    int room = 63 - hash.length() - 1;
    if (prefix.length() > room) {
      prefix = prefix.substring(0, room);
    }
    return prefix.replaceAll("-+$", "") + "-" + hash;
  }

  /** Labels every object of a run carries, mapping it back to its owner. */
  public static Map<String, String> labels(Run run) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.MANAGED_BY, "tarmac");
    labels.put(Labels.OWNER_KIND, run.ownerKind());
    if (run.ownerNamespace() != null) {
      labels.put(Labels.OWNER_NAMESPACE, run.ownerNamespace());
    }
    labels.put(Labels.OWNER_NAME, run.ownerName());
    labels.put(Labels.OWNER_UID, run.ownerUid());
    labels.put(Labels.PROMISE, run.promise());
    labels.put(Labels.PIPELINE, run.pipeline().name());
    labels.put(Labels.SPEC_HASH, run.specHash());
    return labels;
  }

  /**
   * The Job of {@code run}. Each step's container is taken as the Pipeline's author wrote it (envFrom, env with
   * valueFrom, volumeMounts, resources, imagePullPolicy, workingDir...: what a Kratix Pipeline may carry), with the
   * shared input/output/metadata mounts added, default resources where the author gave none, and the restricted Pod
   * Security profile's fields forced on (Kubernetes' "restricted" policy: non-root, no privilege escalation, all
   * capabilities dropped, RuntimeDefault seccomp). The Pipeline's {@code spec.volumes} and
   * {@code spec.imagePullSecrets} go into the pod, as in Kratix.
   */
  public Job build(Run run) {
    List<Container> init = new ArrayList<>();
    for (Pipeline.Step step : run.pipeline().steps()) {
      init.add(stepContainer(run, step));
    }
    Container collect = new ContainerBuilder()
        .withName("collect")
        .withImage(settings.operatorImage())
        .withArgs("pipeline", "collect")
        .withEnv(env(run, List.of()))
        .withVolumeMounts(mounts(true))
        .withSecurityContext(restricted())
        .withResources(new ResourceRequirementsBuilder()
            .addToRequests("cpu", new Quantity("50m")).addToRequests("memory", new Quantity("128Mi"))
            .addToLimits("memory", new Quantity("256Mi")).build())
        .build();
    Map<String, String> labels = labels(run);
    return new JobBuilder()
        .withNewMetadata()
        .withName(jobName(run))
        .withNamespace(run.namespace())
        .withLabels(labels)
        // Deleting the request (or Promise) garbage-collects its Jobs; not a controller reference, and it does not
        // block the owner's deletion (its delete pipelines run while it is being deleted).
        .addNewOwnerReference().withApiVersion(run.ownerApiVersion()).withKind(run.ownerKind())
            .withName(run.ownerName()).withUid(run.ownerUid()).withBlockOwnerDeletion(false).withController(false)
        .endOwnerReference()
        .endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withActiveDeadlineSeconds(settings.activeDeadlineSeconds())
        .withTtlSecondsAfterFinished(3600)
        .withNewTemplate()
        .withNewMetadata().withLabels(labels).endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withServiceAccountName(run.serviceAccount())
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(65532L)
        .withFsGroup(65532L)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .endSecurityContext()
        .withInitContainers(init)
        .withContainers(collect)
        .addNewVolume().withName("input").withNewConfigMap().withName(run.inputConfigMap()).endConfigMap().endVolume()
        .addNewVolume().withName("output").withNewEmptyDir().endEmptyDir().endVolume()
        .addNewVolume().withName("metadata").withNewEmptyDir().endEmptyDir().endVolume()
        .addAllToVolumes(listOf(run.pipeline().raw().path("spec").path("volumes"), Volume.class))
        .addAllToImagePullSecrets(listOf(run.pipeline().raw().path("spec").path("imagePullSecrets"),
            LocalObjectReference.class))
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static Container stepContainer(Run run, Pipeline.Step step) {
    ObjectNode written = step.container() != null && step.container().isObject()
        ? ((ObjectNode) step.container()).deepCopy() : Serialization.JSON.createObjectNode();
    written.remove("with");
    Container c;
    try {
      c = Serialization.JSON.treeToValue(written, Container.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      throw new PipelineException("Pipeline " + run.pipeline().name() + " step " + step.name() + " is not a"
          + " Kubernetes container: " + e.getMessage());
    }
    c.setName(step.name());
    c.setImage(step.image());
    c.setEnv(env(run, step.env()));
    List<VolumeMount> mounts = mounts(false);
    if (c.getVolumeMounts() != null) {
      mounts.addAll(c.getVolumeMounts());
    }
    c.setVolumeMounts(mounts);
    if (c.getResources() == null || (c.getResources().getRequests() == null && c.getResources().getLimits() == null)) {
      c.setResources(new ResourceRequirementsBuilder()
          .addToRequests("cpu", new Quantity("100m")).addToRequests("memory", new Quantity("128Mi"))
          .addToLimits("memory", new Quantity("512Mi")).build());
    }
    // The author's securityContext may add (readOnlyRootFilesystem, runAsUser); the restricted fields always hold.
    SecurityContext sc = c.getSecurityContext() == null ? new SecurityContext() : c.getSecurityContext();
    SecurityContext restricted = restricted();
    sc.setRunAsNonRoot(true);
    sc.setAllowPrivilegeEscalation(false);
    sc.setPrivileged(null);
    sc.setCapabilities(restricted.getCapabilities());
    sc.setSeccompProfile(restricted.getSeccompProfile());
    c.setSecurityContext(sc);
    return c;
  }

  private static <T> List<T> listOf(JsonNode array, Class<T> type) {
    List<T> out = new ArrayList<>();
    if (array != null && array.isArray()) {
      array.forEach(n -> out.add(Serialization.JSON.convertValue(n, type)));
    }
    return out;
  }

  private static SecurityContext restricted() {
    return new SecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withAllowPrivilegeEscalation(false)
        .withNewCapabilities().withDrop("ALL").endCapabilities()
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .build();
  }

  private static List<VolumeMount> mounts(boolean collector) {
    List<VolumeMount> mounts = new ArrayList<>();
    for (String root : List.of("/tarmac", "/kratix")) {
      mounts.add(new VolumeMountBuilder().withName("input").withMountPath(root + "/input").withReadOnly(true).build());
      mounts.add(new VolumeMountBuilder().withName("output").withMountPath(root + "/output")
          .withReadOnly(collector).build());
      mounts.add(new VolumeMountBuilder().withName("metadata").withMountPath(root + "/metadata")
          .withReadOnly(collector).build());
    }
    return mounts;
  }

  private static List<EnvVar> env(Run run, List<EnvVar> own) {
    List<EnvVar> env = new ArrayList<>(own);
    Map<String, String> values = new LinkedHashMap<>();
    values.put("WORKFLOW_ACTION", run.action());
    values.put("WORKFLOW_TYPE", run.workflowType());
    values.put("PROMISE_NAME", run.promise());
    values.put("PIPELINE_NAME", run.pipeline().name());
    values.forEach((k, v) -> {
      env.add(new EnvVarBuilder().withName("KRATIX_" + k).withValue(v).build());
      env.add(new EnvVarBuilder().withName("TARMAC_" + k).withValue(v).build());
    });
    env.add(new EnvVarBuilder().withName("TARMAC_OWNER_API_VERSION").withValue(run.ownerApiVersion()).build());
    env.add(new EnvVarBuilder().withName("TARMAC_OWNER_KIND").withValue(run.ownerKind()).build());
    env.add(new EnvVarBuilder().withName("TARMAC_OWNER_NAMESPACE")
        .withValue(run.ownerNamespace() == null ? "" : run.ownerNamespace()).build());
    env.add(new EnvVarBuilder().withName("TARMAC_OWNER_NAME").withValue(run.ownerName()).build());
    env.add(new EnvVarBuilder().withName("TARMAC_OWNER_UID").withValue(run.ownerUid()).build());
    env.add(new EnvVarBuilder().withName("TARMAC_SPEC_HASH").withValue(run.specHash()).build());
    env.add(new EnvVarBuilder().withName("TARMAC_WORK_NAMESPACE").withValue(run.namespace()).build());
    env.add(new EnvVarBuilder().withName("TARMAC_WORK_NAME").withValue(run.workName()).build());
    env.add(new EnvVarBuilder().withName("TARMAC_OUTPUT_CONFIGMAP")
        .withValue(PipelineOutput.configMapName(jobName(run))).build());
    return env;
  }
}
