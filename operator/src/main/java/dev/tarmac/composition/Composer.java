package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.ApiResources;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Labels;
import dev.tarmac.api.OutputPolicy;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.pipeline.StepOutput;
import dev.tarmac.pipeline.WorkflowRunner;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cluster side of composition, shared by every composite Tarmac reconciles (Database claims and Crossplane
 * composite resources): observes composed resources at the version the cluster serves, server-side applies them with
 * an owner reference, deletes the ones no longer composed, carries composed resources of kinds the cluster does not
 * serve to Git in a Work (and reads readiness from its {@code Published} condition), checks a Composition's
 * {@code outputPolicy}, and reads and writes connection Secrets. The reconcilers decide what to compose, name and
 * label ({@link CompositionEngine} is the pure part); this class only talks to the API server.
 *
 * <p>Errors: every method lets {@link KubernetesClientException} through (the caller tells bad input, 400/422, from
 * passing failures); {@link #writeWork} throws {@link CompositionException} {@code OutputNotAllowed} when the
 * output policy refuses the files.
 */
public final class Composer {

  /** Field manager of every server-side apply. */
  public static final String FIELD_MANAGER = "tarmac";

  private final KubernetesClient client;
  private final ApiResources apiResources;
  private final dev.tarmac.policy.OutputPolicyChecker outputPolicy;
  private final Map<String, String> servedVersions = new ConcurrentHashMap<>();

  /**
   * @param client the client
   * @param apiResources discovery (kind scopes for the output guardrails, served kinds)
   */
  public Composer(KubernetesClient client, ApiResources apiResources) {
    this.client = client;
    this.apiResources = apiResources;
    this.outputPolicy = new dev.tarmac.policy.OutputPolicyChecker(new dev.tarmac.policy.Scopes(
        new dev.tarmac.policy.DiscoveryScopes(apiResources)));
  }

  /** The client. */
  public KubernetesClient client() {
    return client;
  }

  /**
   * The apiVersion to use for {@code kind}: the one written when the cluster serves it there, else another served
   * version of the same group that has the kind (e.g. CronJob at batch/v1beta1 before Kubernetes 1.21), else the one
   * written (an apply then fails with the API server's own message). Cached once found served; a kind not served is
   * asked again on the next call, so a CRD installed later is picked up.
   */
  public String resolveVersion(String apiVersion, String kind) {
    String key = apiVersion + "|" + kind;
    String known = servedVersions.get(key);
    if (known != null) {
      return known;
    }
    if (served(apiVersion, kind)) {
      servedVersions.put(key, apiVersion);
      return apiVersion;
    }
    String other = servedVersion(apiVersion, kind);
    if (other != null) {
      servedVersions.put(key, other);
      return other;
    }
    return apiVersion;
  }

  /**
   * Whether the cluster serves {@code kind} at {@code apiVersion} or at another version of its group, and whether it
   * is namespaced: empty when not served (the composed resource then goes to Git), else {@code true} for a
   * namespaced kind. Uses {@link ApiResources}' cache (a missing kind is asked again after
   * {@link ApiResources#REFRESH}).
   */
  public Optional<Boolean> servedNamespaced(String apiVersion, String kind) {
    var found = apiResources.resource(apiVersion, kind);
    if (found.isEmpty()) {
      String other = servedVersion(apiVersion, kind);
      found = other == null ? Optional.empty() : apiResources.resource(other, kind);
    }
    return found.map(r -> Boolean.TRUE.equals(r.getNamespaced()));
  }

  /** True when the cluster serves {@code kind} at {@code apiVersion}: one discovery call, not cached. */
  public boolean served(String apiVersion, String kind) {
    try {
      var resources = client.getApiResources(apiVersion);
      return resources != null && resources.getResources().stream().anyMatch(x -> kind.equals(x.getKind()));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  /** Another served apiVersion of {@code kind}'s group that has {@code kind}, or null. */
  private String servedVersion(String apiVersion, String kind) {
    int slash = apiVersion.indexOf('/');
    if (slash < 0) {
      return null;
    }
    var group = client.getApiGroup(apiVersion.substring(0, slash));
    if (group == null) {
      return null;
    }
    for (var v : group.getVersions()) {
      if (v.getGroupVersion().equals(apiVersion)) {
        continue;
      }
      var resources = client.getApiResources(v.getGroupVersion());
      if (resources != null && resources.getResources().stream().anyMatch(x -> kind.equals(x.getKind()))) {
        return v.getGroupVersion();
      }
    }
    return null;
  }

  /**
   * A composed resource as it is in the cluster, at the version the cluster serves for its kind; empty when it does
   * not exist or cannot be read.
   *
   * @param namespace its namespace, null for a cluster-scoped kind
   * @param resource the desired object (apiVersion, kind, metadata.name)
   */
  public Optional<JsonNode> observe(String namespace, JsonNode resource) {
    String kind = resource.path("kind").asText();
    String apiVersion = resolveVersion(resource.path("apiVersion").asText(), kind);
    try {
      var op = client.genericKubernetesResources(apiVersion, kind);
      String name = resource.path("metadata").path("name").asText();
      GenericKubernetesResource live = namespace == null ? op.withName(name).get()
          : op.inNamespace(namespace).withName(name).get();
      return Optional.ofNullable(live).map(Serialization.JSON::valueToTree);
    } catch (KubernetesClientException e) {
      return Optional.empty();
    }
  }

  /**
   * The data of Secret {@code namespace/name}, decoded; empty when it does not exist or has no data. The caller has
   * made sure the operator may read Secrets there ({@link dev.tarmac.secrets.ConnectionSecretAccess}).
   */
  public Optional<Map<String, String>> secretData(String namespace, String name) {
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null || secret.getData() == null) {
      return Optional.empty();
    }
    return Optional.of(decode(secret));
  }

  private static Map<String, String> decode(Secret secret) {
    Map<String, String> data = new HashMap<>();
    if (secret.getData() != null) {
      secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v),
          StandardCharsets.UTF_8)));
    }
    return data;
  }

  /**
   * The connection secret a composed resource writes ({@code spec.writeConnectionSecretToRef}, as Crossplane managed
   * resources do), decoded; empty when it names none or it does not exist yet. Its keys feed the Composition's
   * {@code FromConnectionSecretKey} connection details.
   *
   * @param defaultNamespace the namespace when the ref names none
   */
  public Optional<Map<String, String>> composedConnectionSecret(String defaultNamespace, JsonNode resource) {
    JsonNode ref = resource.path("spec").path("writeConnectionSecretToRef");
    String name = ref.path("name").asText("");
    if (name.isEmpty()) {
      return Optional.empty();
    }
    return secretData(ref.path("namespace").asText(defaultNamespace), name);
  }

  /** A controller owner reference to {@code owner} that blocks its deletion until the dependent is gone. */
  public static OwnerReference controllerRef(String apiVersion, String kind, String name, String uid) {
    return new OwnerReferenceBuilder().withApiVersion(apiVersion).withKind(kind).withName(name).withUid(uid)
        .withController(true).withBlockOwnerDeletion(true).build();
  }

  /**
   * Server-side applies a composed resource at the version the cluster serves; writes that version back into
   * {@code resource}.
   *
   * @param resource the desired object
   * @param namespace its namespace, null for a cluster-scoped kind
   * @param owner its controller owner reference, or null (none allowed, e.g. a namespaced owner of a cluster-scoped
   *     object)
   * @throws KubernetesClientException as the API server answers (400/422: the object is invalid)
   */
  public void apply(ObjectNode resource, String namespace, OwnerReference owner) {
    GenericKubernetesResource r = Serialization.JSON.convertValue(resource, GenericKubernetesResource.class);
    r.getMetadata().setNamespace(namespace);
    r.getMetadata().setOwnerReferences(owner == null ? null : List.of(owner));
    String served = resolveVersion(r.getApiVersion(), r.getKind());
    r.setApiVersion(served);
    resource.put("apiVersion", served);
    client.resource(r).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
  }

  /** Deletes one composed resource (background propagation); one already gone is fine. */
  public void delete(String apiVersion, String kind, String namespace, String name) {
    var op = client.genericKubernetesResources(apiVersion, kind);
    (namespace == null ? op.withName(name) : op.inNamespace(namespace).withName(name)).delete();
  }

  /**
   * True when a composed resource is still there: used while deleting a composite, which waits for its cluster
   * composed resources to be gone. A kind the cluster no longer serves has nothing left.
   */
  public boolean exists(String apiVersion, String kind, String namespace, String name) {
    if (!served(apiVersion, kind)) {
      return false;
    }
    var op = client.genericKubernetesResources(apiVersion, kind);
    return (namespace == null ? op.withName(name) : op.inNamespace(namespace).withName(name)).get() != null;
  }

  /**
   * Builds, checks and applies the Work that carries composed resources to Git, one file {@code <template>.yaml}
   * per resource.
   *
   * @param owner the composite as a Work owner (namespace of the Work: {@code owner.jobNamespace()})
   * @param workName the Work's name
   * @param resources the composed resources
   * @param policy the Composition's output policy; checked only when {@code policySource} is not null
   * @param policySource names the policy in messages ("Composition x"), or null to skip the check (Crossplane
   *     Compositions, which have no outputPolicy: see docs/crossplane.md)
   * @param policyOwner the composite as the policy's rules see it
   * @return the Work as the API server has it (status included)
   * @throws CompositionException {@code OutputNotAllowed}, naming file, object and rule
   */
  public Work writeWork(WorkflowRunner.Owner owner, String workName, List<CompositionEngine.Composed> resources,
      OutputPolicy policy, String policySource, dev.tarmac.policy.OutputPolicyChecker.Owner policyOwner) {
    return writeWork(owner, workName, resources, policy, policySource, policyOwner, null);
  }

  /**
   * As {@link #writeWork(WorkflowRunner.Owner, String, List, OutputPolicy, String,
   * dev.tarmac.policy.OutputPolicyChecker.Owner)}, and a Terraform object with a {@code module} also gets
   * {@code <template>/main.tf.json} ({@link TerraformModule#files}); its outputs go to {@code connectionSecret}.
   *
   * @param connectionSecret the composite's connection Secret name, or null when it asks for none
   * @throws CompositionException also {@code CompositionInvalid} for a malformed {@code module}
   */
  public Work writeWork(WorkflowRunner.Owner owner, String workName, List<CompositionEngine.Composed> resources,
      OutputPolicy policy, String policySource, dev.tarmac.policy.OutputPolicyChecker.Owner policyOwner,
      String connectionSecret) {
    StepOutput out = new StepOutput();
    String ownerDir = "resources/" + (owner.namespace() == null ? dev.tarmac.statestore.StateStoreLayout
        .CLUSTER_NAMESPACE : owner.namespace()) + "/" + owner.kind() + "/" + owner.name();
    for (var c : resources) {
      TerraformModule.files(c.name(), c.resource(), ownerDir, connectionSecret).forEach(out::file);
    }
    Work w = WorkflowRunner.work(owner, "compose", workName, dev.tarmac.pipeline.SpecHash.ofValue(out.files()), out);
    if (policySource != null) {
      try {
        dev.tarmac.policy.PromiseOutputGuard.check(outputPolicy, policy, policySource, policyOwner, out.files(),
            () -> previousFiles(owner.jobNamespace(), workName));
      } catch (dev.tarmac.policy.OutputNotAllowedException e) {
        throw new CompositionException(dev.tarmac.policy.OutputNotAllowedException.REASON, e.getMessage());
      }
    }
    return client.resource(w).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
  }

  private Map<String, String> previousFiles(String namespace, String workName) {
    Work previous = client.resources(Work.class).inNamespace(namespace).withName(workName).get();
    Map<String, String> files = new LinkedHashMap<>();
    if (previous != null && previous.getSpec() != null && previous.getSpec().files != null) {
      previous.getSpec().files.forEach(f -> files.put(f.path, f.content == null ? "" : f.content));
    }
    return files;
  }

  /** Deletes a Work (its finalizer then takes its files out of Git); one already gone is fine. */
  public void deleteWork(String namespace, String workName) {
    client.resources(Work.class).inNamespace(namespace).withName(workName).delete();
  }

  /**
   * The readiness of composed resources carried by a Work: {@code Published} when the Work's {@code Published}
   * condition is True for its current generation; the Work's own reason and message when it is False for another
   * reason than {@code Writing}; else {@code Writing}.
   *
   * @param ready true only when published
   * @param reason the condition reason
   * @param message what a person reads; names the Work
   */
  public record Publication(boolean ready, String reason, String message) {
  }

  /**
   * Reads {@link Publication} from a Work as the API server or an informer has it.
   *
   * @param work the Work (null: not written yet)
   * @param what what was written, for the message ("composed resources")
   */
  public static Publication publication(Work work, String what) {
    if (work == null) {
      return new Publication(false, "Writing", "writing " + what + " to Git");
    }
    String name = work.getMetadata().getName();
    var published = Conditions.forGeneration(work.getStatus() == null ? null : work.getStatus().conditions,
        Conditions.PUBLISHED, work.getMetadata().getGeneration());
    if (published.isPresent() && "True".equals(published.get().getStatus())) {
      return new Publication(true, "Published", what + " are written to Git for another controller to apply (Work "
          + name + ")");
    }
    if (published.isPresent() && !"Writing".equals(published.get().getReason())) {
      return new Publication(false, published.get().getReason(), "Work " + name + ": "
          + published.get().getMessage());
    }
    return new Publication(false, "Writing", "writing Work " + name + " to its Destinations");
  }

  /**
   * Writes a connection Secret when its data differs from the existing Secret's (server-side apply, owned by
   * {@code owner}); no data and no Secret is no change, so nothing is written.
   *
   * @param namespace the Secret's namespace (the caller made sure the operator may write there)
   * @param name the Secret's name
   * @param data the decoded data
   * @param labels labels to put on it
   * @param owner its controller owner reference, or null
   * @param type the Secret type
   * @return true when it was written
   */
  public boolean writeSecret(String namespace, String name, Map<String, String> data, Map<String, String> labels,
      OwnerReference owner, String type) {
    Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
    if (data.equals(existing == null ? Map.of() : decode(existing))) {
      return false;
    }
    Map<String, String> encoded = new LinkedHashMap<>();
    data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    Map<String, String> allLabels = new LinkedHashMap<>(labels);
    allLabels.put(Labels.MANAGED_BY, "tarmac");
    var meta = new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).withLabels(allLabels);
    if (owner != null) {
      meta = meta.withOwnerReferences(owner);
    }
    client.resource(meta.endMetadata().withType(type).withData(encoded).build())
        .fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    return true;
  }
}
