package dev.tarmac.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.crossplane.XrdKinds;
import dev.tarmac.trace.XrdNames;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Read-only informers on the XR and claim kinds of every Crossplane XRD, for the catalog alone (the sibling of
 * {@link RequestKindInformers}; both are {@link KindInformers}). Started and stopped as the catalog's XRD informer sees
 * XRDs ({@link #xrd}): the XR kind's informer once the XRD is not {@code Established=False}, the claim kind's once it
 * offers a claim and is not {@code Offered=False} (Crossplane's XRD conditions); a start that fails because the CRD
 * is not there yet is tried again at the XRD's next change or resync.
 */
public final class XrdKindInformers implements AutoCloseable {

  /** Told about every claim and XR added, changed or deleted. */
  @FunctionalInterface
  public interface Observer {
    /**
     * @param kinds the kinds of the object's XRD
     * @param claim true for a claim, false for an XR
     * @param object the object
     * @param deleted true when it was deleted (or its XRD was)
     */
    void observe(XrdKinds kinds, boolean claim, GenericKubernetesResource object, boolean deleted);
  }

  /**
   * One kind to watch for an XRD.
   *
   * @param source the informer's key ({@code <xrd>/xr} or {@code <xrd>/claim})
   * @param kinds the XRD's kinds
   * @param claim true for the claim kind
   * @param kind the kind to watch; empty while its CRD is not ready ({@code Established} or {@code Offered} False)
   *     or, for the claim, when the XRD offers no claim
   */
  public record Wanted(String source, XrdKinds kinds, boolean claim, Optional<ResourceDefinitionContext> kind) {
  }

  private record Role(XrdKinds kinds, boolean claim) {
  }

  private final KindInformers informers;
  private final Map<String, Role> roles = new ConcurrentHashMap<>();

  /**
   * @param client the client (needs list and watch on XR and claim kinds, which the Crossplane controllers' RBAC
   *     grants)
   * @param observer where claims and XRs go
   */
  public XrdKindInformers(KubernetesClient client, Observer observer) {
    this.informers = new KindInformers(client, "claims and XRs", (source, object, deleted) -> {
      Role role = roles.get(source);
      if (role != null) {
        observer.observe(role.kinds(), role.claim(), object, deleted);
      }
    });
  }

  /** The XR kind and the claim kind to watch for an XRD (empty list when the XRD is not valid yet). */
  public static List<Wanted> wanted(JsonNode xrd) {
    Optional<XrdKinds> parsed = XrdNames.kinds(xrd);
    if (parsed.isEmpty()) {
      return List.of();
    }
    XrdKinds k = parsed.get();
    List<Wanted> out = new ArrayList<>();
    out.add(new Wanted(k.xrdName() + "/xr", k, false, notFalse(xrd, "Established")
        ? Optional.of(context(k.group(), k.version(), k.xrKind(), k.xrPlural(), k.namespaced())) : Optional.empty()));
    out.add(new Wanted(k.xrdName() + "/claim", k, true, k.offersClaim() && k.claimPlural() != null
        && notFalse(xrd, "Offered")
        ? Optional.of(context(k.group(), k.version(), k.claimKind(), k.claimPlural(), true)) : Optional.empty()));
    return out;
  }

  private static boolean notFalse(JsonNode xrd, String condition) {
    for (JsonNode c : xrd.path("status").path("conditions")) {
      if (condition.equals(c.path("type").asText())) {
        return !"False".equals(c.path("status").asText());
      }
    }
    return true;
  }

  private static ResourceDefinitionContext context(String group, String version, String kind, String plural,
      boolean namespaced) {
    return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(kind)
        .withPlural(plural).withNamespaced(namespaced).build();
  }

  /**
   * An XRD was added, changed or ({@code deleted}) deleted: starts, keeps, or stops the informers on its kinds; a
   * stopped informer's objects leave the catalog. A claim kind the XRD no longer offers is stopped.
   */
  public synchronized void xrd(JsonNode xrd, boolean deleted) {
    String name = xrd.path("metadata").path("name").asText();
    List<Wanted> wanted = wanted(xrd);
    if (wanted.isEmpty() || deleted) {
      for (String source : List.of(name + "/xr", name + "/claim")) {
        informers.want(source, Optional.empty(), true);
        roles.remove(source);
      }
      return;
    }
    for (Wanted w : wanted) {
      boolean stop = w.claim() && !w.kinds().offersClaim();
      // Stopping tells the observer the old kind's objects are gone, so the old role must still be known then.
      roles.putIfAbsent(w.source(), new Role(w.kinds(), w.claim()));
      informers.want(w.source(), w.kind(), stop);
      if (stop) {
        roles.remove(w.source());
      } else {
        roles.put(w.source(), new Role(w.kinds(), w.claim()));
      }
    }
  }

  /** True when every informer has listed its kind once. */
  public boolean synced() {
    return informers.synced();
  }

  /** The informers running, as {@code <xrd>/xr} and {@code <xrd>/claim}. */
  public java.util.Set<String> watched() {
    return informers.sources();
  }

  @Override
  public void close() {
    informers.close();
  }
}
