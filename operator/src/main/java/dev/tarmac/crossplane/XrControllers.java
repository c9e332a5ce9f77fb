package dev.tarmac.crossplane;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.Events;
import dev.tarmac.api.ApiResources;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Work;
import dev.tarmac.composition.Composer;
import dev.tarmac.promise.RequestController;
import dev.tarmac.secrets.ConnectionSecretAccess;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controllers of the composite resource (XR) and claim kinds that Crossplane XRDs define, started and stopped at
 * run time by the XRD controller: per XRD, a {@link RequestController} for the XR kind ({@link CompositeReconciler})
 * and, when the XRD offers one, for the claim kind ({@link ClaimReconciler}). Shared informers bring XRs back when
 * something they depend on changes: Crossplane Compositions ({@code apiextensions.crossplane.io/v1}; a change
 * queues every XR it {@link CompositeRules#affects}) and Works (an XR's Work is published: it may become Ready). An
 * XR's every change, status included, queues its claim, whose status copies the XR's.
 *
 * <p>Thread safety: {@link #serve} and {@link #stop} are synchronized; reconciles run on each kind's queue.
 */
public final class XrControllers implements CompositeControllers, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(XrControllers.class);
  /** Concurrent reconciles per kind. */
  private static final int THREADS = 2;

  private record Served(XrdKinds kinds, RequestController xrs, RequestController claims) {
  }

  private final KubernetesClient client;
  private final Events events;
  private final ConnectionSecretAccess secrets;
  private final String operatorNamespace;
  private final Composer composer;
  private final Map<String, Served> served = new ConcurrentHashMap<>();
  private SharedIndexInformer<GenericKubernetesResource> compositions;
  private SharedIndexInformer<Work> works;

  /**
   * Starts nothing until the first {@link #serve}.
   *
   * @param client the operator's client
   * @param events where Events go
   * @param secrets connection Secret access (the same instance the Database reconciler uses)
   * @param apiResources discovery: which composed kinds the cluster serves, and their scope
   * @param operatorNamespace where Works and connection Secrets of standalone cluster-scoped XRs go
   */
  public XrControllers(KubernetesClient client, Events events, ConnectionSecretAccess secrets,
      ApiResources apiResources, String operatorNamespace) {
    this.client = client;
    this.events = events;
    this.secrets = secrets;
    this.operatorNamespace = operatorNamespace;
    this.composer = new Composer(client, apiResources);
  }

  /**
   * Serves the XR and claim kinds of one XRD: starts their controllers, or restarts them when {@code kinds} differ
   * from those served for the XRD; does nothing when they are the same. Call once the generated CRDs are
   * Established.
   *
   * @throws IllegalStateException when an informer does not sync within 60 s (the CRD is not served yet)
   */
  @Override
  public synchronized void serve(XrdKinds kinds) {
    Served s = served.get(kinds.xrdName());
    if (s != null && s.kinds().equals(kinds)) {
      return;
    }
    if (s != null) {
      close(s);
      served.remove(kinds.xrdName());
    }
    startShared();
    CompositeReconciler xr = new CompositeReconciler(composer, events, secrets, operatorNamespace, kinds,
        this::compositions);
    // A reconcile that throws is written to the object's status (Synced=False, nextRetryTime) with an Event.
    RequestController claims = kinds.offersClaim() ? new RequestController(client,
        CompositeControllers.claimContext(kinds), THREADS, new ClaimReconciler(composer, events, secrets, kinds),
        (o, deleted) -> { }, events::warning) : null;
    RequestController xrs;
    try {
      xrs = new RequestController(client, CompositeControllers.xrContext(kinds), THREADS, xr, (o, deleted) -> {
        if (claims != null) {
          claimKey(o).ifPresent(claims::trigger);
        }
      }, events::warning);
    } catch (RuntimeException e) {
      if (claims != null) {
        claims.close();
      }
      throw e;
    }
    served.put(kinds.xrdName(), new Served(kinds, xrs, claims));
    LOG.info("serving {} (XR){} for XRD {}", kinds.xrKind(), kinds.offersClaim() ? " and " + kinds.claimKind()
        + " (claim)" : "", kinds.xrdName());
  }

  /** Stops serving the kinds of XRD {@code xrdName}; XRs and claims stay as they are. */
  @Override
  public synchronized void stop(String xrdName) {
    Served s = served.remove(xrdName);
    if (s != null) {
      close(s);
      LOG.info("stopped serving {} for XRD {}", s.kinds().xrKind(), xrdName);
    }
  }

  /** True when the kinds of XRD {@code xrdName} are served. */
  public boolean serving(String xrdName) {
    return served.containsKey(xrdName);
  }

  /** The claim key of an XR: from {@code spec.claimRef}, else the claim labels. */
  private static java.util.Optional<String> claimKey(GenericKubernetesResource xr) {
    JsonNode ref = Serialization.JSON.valueToTree(xr).path("spec").path("claimRef");
    if (ref.path("name").isTextual()) {
      return java.util.Optional.of(RequestController.key(ref.path("namespace").asText(), ref.path("name").asText()));
    }
    return RequestController.keyFromLabels(xr.getMetadata().getLabels(), CrossplaneFields.CLAIM_NAMESPACE,
        CrossplaneFields.CLAIM_NAME);
  }

  /** Every Crossplane Composition: the informer's cache, or a list call while the informer is not running. */
  private List<JsonNode> compositions() {
    var informer = compositions;
    List<GenericKubernetesResource> all;
    if (informer != null && informer.hasSynced()) {
      all = informer.getStore().list();
    } else {
      try {
        all = client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", "Composition").list().getItems();
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 404) {
          throw e;
        }
        // The Composition CRD is not installed: no Composition exists, which the XR's condition says.
        all = List.of();
      }
    }
    return all.stream().map(c -> (JsonNode) Serialization.JSON.valueToTree(c)).toList();
  }

  private void startShared() {
    if (compositions == null) {
      try {
        var informer = client.genericKubernetesResources(CrossplaneFields.GROUP + "/v1", "Composition")
            .runnableInformer(0);
        informer.addEventHandler(handler(this::compositionChanged));
        informer.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
        compositions = informer;
      } catch (Exception e) {
        // The Composition CRD is not installed: XRs list Compositions themselves (and say none exists).
        LOG.warn("cannot watch Crossplane Compositions ({}); XRs are not re-composed when a Composition changes",
            e.getMessage());
      }
    }
    if (works == null) {
      works = client.resources(Work.class).inAnyNamespace().withLabel(Labels.PIPELINE, "compose")
          .inform(handler(this::workChanged), 0);
    }
  }

  private static <T> ResourceEventHandler<T> handler(java.util.function.Consumer<T> changed) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        changed.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        changed.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        changed.accept(obj);
      }
    };
  }

  private void compositionChanged(GenericKubernetesResource composition) {
    JsonNode c = Serialization.JSON.valueToTree(composition);
    for (Served s : served.values()) {
      for (GenericKubernetesResource xr : s.xrs().list()) {
        if (CompositeRules.affects(c, Serialization.JSON.valueToTree(xr), s.kinds())) {
          s.xrs().trigger(RequestController.key(xr.getMetadata().getNamespace(), xr.getMetadata().getName()));
        }
      }
    }
  }

  private void workChanged(Work work) {
    Map<String, String> labels = work.getMetadata().getLabels();
    if (labels == null || work.getSpec() == null || work.getSpec().owner == null) {
      return;
    }
    String apiVersion = work.getSpec().owner.apiVersion;
    for (Served s : served.values()) {
      if (s.kinds().xrKind().equals(labels.get(Labels.OWNER_KIND))
          && Objects.equals(s.kinds().apiVersion(), apiVersion)) {
        RequestController.keyFromLabels(labels, Labels.OWNER_NAMESPACE, Labels.OWNER_NAME)
            .ifPresent(s.xrs()::trigger);
      }
    }
  }

  private static void close(Served s) {
    s.xrs().close();
    if (s.claims() != null) {
      s.claims().close();
    }
  }

  @Override
  public synchronized void close() {
    served.values().forEach(XrControllers::close);
    served.clear();
    if (compositions != null) {
      compositions.close();
    }
    if (works != null) {
      works.close();
    }
  }
}
