package dev.tarmac.trace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.Api;
import dev.tarmac.crossplane.CrossplaneFields;
import java.util.ArrayList;
import java.util.List;

/**
 * The trace of a Crossplane claim or composite resource (XR), as {@code crossplane beta trace} shows one: claim → XR
 * ({@code spec.resourceRef}) → composed resources, each with where it went — {@code Cluster} (the live object, its
 * Synced and Ready conditions) or Git (the Work that carries it, the Work's Destinations, path and commit) — → the
 * connection Secret (exists or not, its keys; never its values). Pure: every object comes through a {@link Lookup},
 * so the tree is a function of the objects it is given (unit-tested with JSON fixtures).
 *
 * <p>Composed resources come from the XR's {@code status.tarmac.resources} ({@link CrossplaneFields}); an XR without
 * it (written by Crossplane itself, or not yet composed by Tarmac) is traced through {@code spec.resourceRefs} (v1
 * fields) or {@code spec.crossplane.resourceRefs} (v2), each looked up in the cluster.
 *
 * <p>Each node carries {@link TraceNode#synced} and {@link TraceNode#status} (READY) from the object's {@code Synced}
 * and {@code Ready} conditions, and the reason and message of the first of them that is not {@code True} (else
 * Ready's reason).
 */
public final class CrossplaneTrace {

  /** Fetches one object as JSON; null when it does not exist. */
  @FunctionalInterface
  public interface Lookup {
    /**
     * @param apiVersion {@code group/version}, or {@code v1} for core kinds
     * @param kind the kind
     * @param namespace the namespace, null for cluster-scoped kinds
     * @param name the name
     * @return the object as JSON, or null when absent. A Secret must come with its {@code data} values blanked
     *     (only the keys are read)
     */
    JsonNode get(String apiVersion, String kind, String namespace, String name);
  }

  private CrossplaneTrace() {
  }

  /**
   * The trace of a claim: the claim, its XR (and everything below it), and the claim's connection Secret.
   *
   * @param claim the claim as JSON
   * @param xrNamespaced true when the claim's XR kind is namespaced (Crossplane v2 {@code scope: Namespaced}, which
   *     offers no claims, so in practice false)
   * @param lookup where the XR, composed resources, Works, Destinations and Secret are read
   */
  public static TraceNode claim(JsonNode claim, boolean xrNamespaced, Lookup lookup) {
    String ns = claim.path("metadata").path("namespace").asText(null);
    TraceNode root = crossplaneObject(claim);
    JsonNode ref = claim.path("spec").path("resourceRef");
    if (ref.hasNonNull("name")) {
      String xrNs = xrNamespaced ? ref.path("namespace").asText(ns) : null;
      JsonNode xr = lookup.get(ref.path("apiVersion").asText(), ref.path("kind").asText(), xrNs,
          ref.path("name").asText());
      if (xr == null) {
        TraceNode missing = root.add(TraceNode.of(ref.path("kind").asText(), xrNs, ref.path("name").asText()));
        notFound(missing, "the claim's spec.resourceRef names this XR, which does not exist");
      } else {
        root.add(composite(xr, lookup));
      }
    } else {
      TraceNode pending = root.add(TraceNode.of("XR", null, "(none yet)"));
      pending.status = "False";
      pending.reason = "Waiting";
      pending.message = "the claim has no spec.resourceRef yet: its XR has not been created";
    }
    String secret = claim.path("spec").path("writeConnectionSecretToRef").path("name").asText(null);
    if (secret != null) {
      root.add(secret(ns, secret, lookup));
    }
    return root;
  }

  /**
   * The trace of an XR: the XR, its composed resources and its connection Secret.
   *
   * @param xr the XR as JSON
   * @param lookup where composed resources, Works, Destinations and the Secret are read
   */
  public static TraceNode composite(JsonNode xr, Lookup lookup) {
    TraceNode root = crossplaneObject(xr);
    JsonNode spec = xr.path("spec");
    String composition = xr.path("status").path(CrossplaneFields.STATUS_TARMAC).path("composition").asText(null);
    if (composition == null) {
      composition = spec.path("compositionRef").path("name")
          .asText(spec.path("crossplane").path("compositionRef").path("name").asText(null));
    }
    if (composition != null) {
      root.detail = "Composition " + composition;
    }
    String xrNs = xr.path("metadata").path("namespace").asText(null);
    JsonNode resources = xr.path("status").path(CrossplaneFields.STATUS_TARMAC).path("resources");
    if (resources.isArray()) {
      for (JsonNode r : resources) {
        root.add(composed(r, lookup));
      }
    } else {
      JsonNode refs = spec.has("resourceRefs") ? spec.path("resourceRefs")
          : spec.path("crossplane").path("resourceRefs");
      for (JsonNode ref : refs) {
        root.add(referenced(ref, xrNs, lookup));
      }
    }
    JsonNode to = spec.has("writeConnectionSecretToRef") ? spec.path("writeConnectionSecretToRef")
        : spec.path("crossplane").path("writeConnectionSecretToRef");
    if (to.hasNonNull("name")) {
      root.add(secret(to.path("namespace").asText(xrNs), to.path("name").asText(), lookup));
    }
    return root;
  }

  /** One entry of {@code status.tarmac.resources}. */
  private static TraceNode composed(JsonNode r, Lookup lookup) {
    String apiVersion = r.path("apiVersion").asText();
    String kind = r.path("kind").asText();
    String ns = r.path("namespace").asText(null);
    String name = r.path("resourceName").asText(r.path("name").asText());
    boolean ready = r.path("ready").asBoolean(false);
    String composedName = r.path("name").asText();
    if ("Destinations".equals(r.path("target").asText())) {
      TraceNode n = TraceNode.of(kind, ns, name);
      n.synced = "-";
      n.status = ready ? "True" : "False";
      n.reason = ready ? "Published" : "NotPublished";
      n.message = r.path("message").asText(null);
      String work = r.path("work").asText(null);
      n.detail = "Git" + (work == null ? "" : " (Work " + work + ")") + ", resource " + composedName;
      if (work != null) {
        String workNs = r.path("workNamespace").asText(ns);
        JsonNode w = lookup.get(Api.API_VERSION, "Work", workNs, work);
        if (w == null) {
          notFound(n.add(TraceNode.of("Work", workNs, work)), "the Work that should carry this resource to Git"
              + " does not exist (yet)");
        } else {
          n.add(work(w, lookup));
        }
      }
      return n;
    }
    JsonNode live = lookup.get(apiVersion, kind, ns, name);
    TraceNode n;
    if (live == null) {
      n = TraceNode.of(kind, ns, name);
      notFound(n, r.path("message").asText("not found in the cluster"));
    } else {
      n = object(live);
      if (n.status == null) {
        // Kinds without a Ready condition (a ConfigMap): ready as the XR's readiness checks found it.
        n.status = ready ? "True" : "False";
        n.reason = ready ? "Available" : "NotReady";
        if (!ready) {
          n.message = r.path("message").asText(null);
        }
      }
    }
    n.detail = "Cluster, resource " + composedName;
    return n;
  }

  /** One of {@code resourceRefs}, when the XR has no {@code status.tarmac}. */
  private static TraceNode referenced(JsonNode ref, String xrNs, Lookup lookup) {
    String ns = ref.path("namespace").asText(xrNs);
    JsonNode live = lookup.get(ref.path("apiVersion").asText(), ref.path("kind").asText(), ns,
        ref.path("name").asText());
    if (live == null) {
      // Without status.tarmac nothing says whether the resource went to Git: "not in the cluster" is all we know.
      TraceNode n = TraceNode.of(ref.path("kind").asText(), ns, ref.path("name").asText());
      notFound(n, "named in the XR's resourceRefs but not in the cluster");
      return n;
    }
    TraceNode n = object(live);
    n.detail = "Cluster";
    return n;
  }

  private static TraceNode secret(String namespace, String name, Lookup lookup) {
    TraceNode n = TraceNode.of("Secret", namespace, name);
    n.synced = "-";
    JsonNode s = lookup.get("v1", "Secret", namespace, name);
    if (s == null) {
      n.status = "False";
      n.reason = "NotFound";
      n.message = "connection Secret not written yet";
      return n;
    }
    List<String> keys = new ArrayList<>();
    s.path("data").fieldNames().forEachRemaining(keys::add);
    n.status = "True";
    n.reason = "Exists";
    n.detail = "connection Secret, keys: " + (keys.isEmpty() ? "(none)" : String.join(", ", keys));
    return n;
  }

  /**
   * A Work with its placements: one Destination node per {@code status.placements[]} (state, path) and under it the
   * commit that holds the files, with the Git state store the Destination writes to.
   */
  static TraceNode work(JsonNode w, Lookup lookup) {
    TraceNode wn = object(w);
    wn.detail = w.path("spec").path("files").size() + " files";
    for (JsonNode placement : w.path("status").path("placements")) {
      String destination = placement.path("destination").asText();
      TraceNode dn = wn.add(TraceNode.of("Destination", null, destination));
      dn.status = placement.path("state").asText(null);
      dn.detail = "path " + placement.path("path").asText();
      if (placement.hasNonNull("commit")) {
        TraceNode commit = dn.add(TraceNode.of("Commit", null, placement.path("commit").asText()));
        JsonNode d = lookup.get(Api.API_VERSION, "Destination", null, destination);
        String store = d == null ? null : d.path("spec").path("stateStoreRef").path("name").asText(null);
        commit.detail = store == null ? null : "in GitStateStore " + store;
      }
    }
    return wn;
  }

  /**
   * A node for an object with SYNCED and READY from its {@code Synced} and {@code Ready} conditions (null when it
   * has none), and the reason and message of the first that is not {@code True}, else Ready's.
   */
  static TraceNode object(JsonNode o) {
    TraceNode n = TraceNode.of(o.path("kind").asText(), o.path("metadata").path("namespace").asText(null),
        o.path("metadata").path("name").asText());
    JsonNode synced = null;
    JsonNode ready = null;
    for (JsonNode c : o.path("status").path("conditions")) {
      if ("Synced".equals(c.path("type").asText())) {
        synced = c;
      } else if ("Ready".equals(c.path("type").asText())) {
        ready = c;
      }
    }
    n.synced = synced == null ? null : synced.path("status").asText(null);
    n.status = ready == null ? null : ready.path("status").asText(null);
    JsonNode shown = synced != null && !"True".equals(n.synced) ? synced : ready != null ? ready : synced;
    if (shown != null) {
      n.reason = shown.path("reason").asText(null);
      n.message = shown.path("message").asText(null);
    }
    return n;
  }

  /** {@link #object}, with {@code -} for SYNCED when a claim or XR has no Synced condition yet. */
  private static TraceNode crossplaneObject(JsonNode o) {
    TraceNode n = object(o);
    if (n.synced == null) {
      n.synced = "-";
    }
    return n;
  }

  private static void notFound(TraceNode n, String message) {
    n.synced = "-";
    n.status = "False";
    n.reason = "NotFound";
    n.message = message;
  }
}
