package dev.tarmac.trace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Api;
import dev.tarmac.api.Crds;
import dev.tarmac.api.Serialization;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds the trace of one object: its conditions, pipeline runs (Jobs, phase, attempts, next retry, the failing
 * step's termination message), composed resources, Works, placements per Destination and the Git commits that hold
 * them. Reads only; works for every kind Tarmac reconciles, every Promise request kind, and the claim and XR kinds
 * of every Crossplane XRD ({@link CrossplaneTrace}: claim → XR → composed resources → connection Secret).
 */
public final class Tracer {

  /** Label on pipeline Jobs naming the UID of the object they run for. */
  public static final String OWNER_UID_LABEL = dev.tarmac.api.Labels.OWNER_UID;

  private final KubernetesClient client;

  /** @param client the client to read with */
  public Tracer(KubernetesClient client) {
    this.client = client;
  }

  /**
   * The trace of {@code kind/name}.
   *
   * @param kind a Tarmac kind, a Promise request kind, or a claim or XR kind of an XRD
   *     ({@code compositeresourcedefinitions.apiextensions.crossplane.io}, when served): kind, plural, singular or
   *     short name, any case
   * @param namespace the namespace for namespaced kinds (ignored for cluster-scoped ones)
   * @param name the object's name
   * @throws IllegalArgumentException when the kind is unknown or the object does not exist, saying which
   */
  public TraceNode trace(String kind, String namespace, String name) {
    ResolvedKind resolved = resolve(kind);
    var op = client.genericKubernetesResources(resolved.apiVersion(), resolved.kind());
    GenericKubernetesResource object = resolved.namespaced()
        ? op.inNamespace(namespace).withName(name).get() : op.withName(name).get();
    if (object == null) {
      throw new IllegalArgumentException(resolved.kind() + " " + (resolved.namespaced() ? namespace + "/" : "")
          + name + " not found");
    }
    if (resolved.xrd() != null) {
      JsonNode json = Serialization.JSON.valueToTree(object);
      return resolved.xrd().claim() ? CrossplaneTrace.claim(json, resolved.xrd().kinds().namespaced(), this::get)
          : CrossplaneTrace.composite(json, this::get);
    }
    return build(object);
  }

  /**
   * Reads one object for {@link CrossplaneTrace}: null when absent or not served; a Secret with its values blanked
   * before it leaves this method (a trace shows keys, never values).
   */
  JsonNode get(String apiVersion, String kind, String namespace, String name) {
    try {
      if ("v1".equals(apiVersion) && "Secret".equals(kind)) {
        var secret = client.secrets().inNamespace(namespace).withName(name).get();
        if (secret == null) {
          return null;
        }
        var out = Serialization.JSON.createObjectNode();
        out.put("apiVersion", "v1").put("kind", "Secret");
        out.set("metadata", Serialization.JSON.valueToTree(secret.getMetadata()));
        var data = out.putObject("data");
        if (secret.getData() != null) {
          secret.getData().keySet().forEach(k -> data.put(k, ""));
        }
        if (secret.getStringData() != null) {
          secret.getStringData().keySet().forEach(k -> data.put(k, ""));
        }
        return out;
      }
      var op = client.genericKubernetesResources(apiVersion, kind);
      GenericKubernetesResource o = namespace == null ? op.withName(name).get()
          : op.inNamespace(namespace).withName(name).get();
      return o == null ? null : Serialization.JSON.valueToTree(o);
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      // The kind is not served (a composed resource that went to Git) or may not be read: nothing to show.
      return null;
    }
  }

  private TraceNode build(GenericKubernetesResource object) {
    JsonNode json = Serialization.JSON.valueToTree(object);
    JsonNode status = json.path("status");
    TraceNode root = objectNode(object.getKind(), object.getMetadata().getNamespace(),
        object.getMetadata().getName(), status);
    for (JsonNode c : status.path("conditions")) {
      TraceNode cn = root.add(TraceNode.of("Condition", null, c.path("type").asText()));
      cn.status = c.path("status").asText(null);
      cn.reason = c.path("reason").asText(null);
      cn.message = c.path("message").asText(null);
    }
    String uid = object.getMetadata().getUid();
    List<Job> jobs = client.batch().v1().jobs().inAnyNamespace().withLabel(OWNER_UID_LABEL, uid).list().getItems();
    for (JsonNode p : status.path("pipelines")) {
      TraceNode pn = root.add(TraceNode.of("Pipeline", null, p.path("name").asText()));
      pn.status = p.path("phase").asText(null);
      pn.message = p.path("message").asText(null);
      List<String> detail = new ArrayList<>();
      if (p.has("attempts")) {
        detail.add("attempts=" + p.path("attempts").asInt());
      }
      if (p.hasNonNull("nextAttemptTime")) {
        detail.add("next attempt " + p.path("nextAttemptTime").asText());
      }
      if (p.hasNonNull("lastRunTime")) {
        detail.add("last run " + p.path("lastRunTime").asText());
      }
      pn.detail = detail.isEmpty() ? null : String.join(", ", detail);
      String jobName = p.path("jobName").asText(null);
      jobs.stream().filter(j -> j.getMetadata().getName().equals(jobName)).findFirst()
          .ifPresent(j -> pn.add(jobNode(j)));
    }
    for (JsonNode r : status.path("resources")) {
      TraceNode rn = root.add(TraceNode.of(r.path("kind").asText(), r.path("namespace").asText(null),
          r.path("resourceName").asText(r.path("name").asText())));
      rn.status = r.has("ready") ? (r.path("ready").asBoolean() ? "True" : "False") : null;
      rn.reason = r.has("ready") ? (r.path("ready").asBoolean() ? "Ready" : "NotReady") : null;
      rn.message = r.path("message").asText(null);
      rn.detail = "composed resource " + r.path("name").asText();
    }
    for (GenericKubernetesResource work : worksOf(uid)) {
      JsonNode w = Serialization.JSON.valueToTree(work);
      TraceNode wn = root.add(CrossplaneTrace.work(w, this::get));
      // The plain tree shows Ready's status and reason only (SYNCED is a column of the table).
      TraceNode plain = objectNode("Work", null, null, w.path("status"));
      wn.synced = null;
      wn.message = null;
      wn.status = plain.status;
      wn.reason = plain.reason;
    }
    return root;
  }

  private static TraceNode objectNode(String kind, String namespace, String name, JsonNode status) {
    TraceNode n = TraceNode.of(kind, namespace, name);
    for (JsonNode c : status.path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        n.status = c.path("status").asText(null);
        n.reason = c.path("reason").asText(null);
      }
    }
    return n;
  }

  private TraceNode jobNode(Job job) {
    TraceNode jn = TraceNode.of("Job", job.getMetadata().getNamespace(), job.getMetadata().getName());
    var s = job.getStatus();
    if (s == null) {
      jn.status = "Pending";
      return jn;
    }
    boolean failed = s.getConditions() != null && s.getConditions().stream()
        .anyMatch(c -> "Failed".equals(c.getType()) && "True".equals(c.getStatus()));
    boolean complete = s.getConditions() != null && s.getConditions().stream()
        .anyMatch(c -> "Complete".equals(c.getType()) && "True".equals(c.getStatus()));
    jn.status = failed ? "Failed" : complete ? "Succeeded" : (s.getActive() != null && s.getActive() > 0)
        ? "Running" : "Pending";
    if (failed || !complete) {
      jn.message = dev.tarmac.pipeline.Jobs.failingStep(client, job).orElse(null);
      if (jn.message == null) {
        for (Pod pod : client.pods().inNamespace(job.getMetadata().getNamespace())
            .withLabel("job-name", job.getMetadata().getName()).list().getItems()) {
          if (pod.getStatus() != null && "Pending".equals(pod.getStatus().getPhase())) {
            jn.message = "pod " + pod.getMetadata().getName() + " is Pending (waiting for a node)";
          }
        }
      }
    }
    return jn;
  }

  private List<GenericKubernetesResource> worksOf(String uid) {
    // The label narrows the list on the API server (a page listed every Work, ~0.6 s with 1,100 of them); the
    // owner in the spec is still checked, as before, since labels are not where the owner is recorded.
    return client.genericKubernetesResources(Api.API_VERSION, "Work").inAnyNamespace()
        .withLabel(OWNER_UID_LABEL, uid).list().getItems().stream()
        .filter(w -> {
          JsonNode owner = Serialization.JSON.valueToTree(w.getAdditionalProperties().get("spec")).path("owner");
          return uid.equals(owner.path("uid").asText(null));
        }).toList();
  }

  /** A kind resolved to what the API needs; {@code xrd} is set for claim and XR kinds. */
  record ResolvedKind(String apiVersion, String kind, boolean namespaced, XrdNames.Match xrd) {
    ResolvedKind(String apiVersion, String kind, boolean namespaced) {
      this(apiVersion, kind, namespaced, null);
    }
  }

  ResolvedKind resolve(String kind) {
    String k = kind.toLowerCase(Locale.ROOT);
    for (Class<? extends io.fabric8.kubernetes.client.CustomResource<?, ?>> c : Crds.KINDS) {
      String plural = HasMetadata.getPlural(c);
      String simple = HasMetadata.getKind(c).toLowerCase(Locale.ROOT);
      var shortNames = c.getAnnotation(io.fabric8.kubernetes.model.annotation.ShortNames.class);
      boolean shortMatch = shortNames != null && List.of(shortNames.value()).contains(k);
      if (k.equals(simple) || k.equals(plural) || shortMatch) {
        return new ResolvedKind(Api.API_VERSION, HasMetadata.getKind(c),
            io.fabric8.kubernetes.api.model.Namespaced.class.isAssignableFrom(c));
      }
    }
    List<GenericKubernetesResource> promises = new java.util.ArrayList<>(
        client.genericKubernetesResources(Api.API_VERSION, "Promise").list().getItems());
    try {
      // Kratix's Promises serve request kinds too.
      promises.addAll(client.genericKubernetesResources("platform.kratix.io/v1alpha1", "Promise").list().getItems());
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      // platform.kratix.io is not installed: only Tarmac's Promises count
    }
    for (var promise : promises) {
      JsonNode json = Serialization.JSON.valueToTree(promise);
      String requestKind = json.path("status").path("kind").asText(null);
      JsonNode names = json.path("spec").path("api").path("spec").path("names");
      if (requestKind != null && (k.equals(requestKind.toLowerCase(Locale.ROOT))
          || k.equals(names.path("plural").asText()) || k.equals(names.path("singular").asText()))) {
        boolean namespaced = !"Cluster".equals(json.path("spec").path("api").path("spec").path("scope").asText());
        return new ResolvedKind(json.path("status").path("apiVersion").asText(), requestKind, namespaced);
      }
    }
    // Claim and XR kinds of the XRDs present (served only where Tarmac's Crossplane support or Crossplane runs).
    for (JsonNode xrd : XrdNames.list(client)) {
      var match = XrdNames.match(kind, xrd);
      if (match.isPresent()) {
        return new ResolvedKind(match.get().kinds().apiVersion(), match.get().kind(), match.get().namespaced(),
            match.get());
      }
    }
    throw new IllegalArgumentException("unknown kind " + kind + ": use a Tarmac kind (Database, Component, Promise,"
        + " Work, ...), the request kind of an Available Promise, or a claim or XR kind of a"
        + " CompositeResourceDefinition");
  }
}
