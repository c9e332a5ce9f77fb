package dev.tarmac.crossplane;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controllers of the kinds an XRD defines: the composite resource (XR) controller and, when the XRD offers a
 * claim, the claim controller. The XRD controller ({@link XrdReconciler}) calls {@link #serve} once the XR CRD (and
 * the claim CRD) are Established, and {@link #stop} when the XRD is deleted, after every XR and claim is gone.
 *
 * <p>Implementations must be thread-safe and idempotent: {@link #serve} is called again on every reconcile of the XRD
 * (at least every minute) with the same kinds, which must leave running controllers as they are; kinds that differ
 * from the running ones for the same {@link XrdKinds#xrdName()} (another referenceable version, a claim kind added)
 * mean: restart with the new ones.
 */
public interface CompositeControllers {

  /**
   * Runs (or keeps running) the controllers of {@code kinds}: XRs of {@link XrdKinds#apiVersion()} /
   * {@link XrdKinds#xrKind()}, and claims of {@link XrdKinds#claimKind()} when {@link XrdKinds#offersClaim()}.
   *
   * @throws RuntimeException when a controller cannot start; the XRD controller retries with backoff and reports it
   *     in the XRD's {@code Synced} condition
   */
  void serve(XrdKinds kinds);

  /** Stops the controllers started for XRD {@code xrdName}; nothing when none run. */
  void stop(String xrdName);

  /**
   * Controllers that only log what they would serve: for tests of the XRD controller alone; the operator runs
   * {@link XrControllers}.
   */
  static CompositeControllers logging() {
    Logger log = LoggerFactory.getLogger(CompositeControllers.class);
    java.util.Map<String, XrdKinds> served = new java.util.concurrent.ConcurrentHashMap<>();
    return new CompositeControllers() {
      @Override
      public void serve(XrdKinds kinds) {
        if (!kinds.equals(served.put(kinds.xrdName(), kinds))) {
          log.info("XRD {}: {} {} defined{}; no XR or claim controller runs in this build", kinds.xrdName(),
              kinds.apiVersion(), kinds.xrKind(), kinds.offersClaim() ? ", claim " + kinds.claimKind() : "");
        }
      }

      @Override
      public void stop(String xrdName) {
        if (served.remove(xrdName) != null) {
          log.info("XRD {}: stopped", xrdName);
        }
      }
    };
  }

  /** The XR kind of an XRD, for the client. */
  static ResourceDefinitionContext xrContext(XrdKinds kinds) {
    return new ResourceDefinitionContext.Builder().withGroup(kinds.group()).withVersion(kinds.version())
        .withKind(kinds.xrKind()).withPlural(kinds.xrPlural()).withNamespaced(kinds.namespaced()).build();
  }

  /** The claim kind of an XRD (namespaced), for the client; null when it offers none. */
  static ResourceDefinitionContext claimContext(XrdKinds kinds) {
    return kinds.offersClaim() ? new ResourceDefinitionContext.Builder().withGroup(kinds.group())
        .withVersion(kinds.version()).withKind(kinds.claimKind()).withPlural(kinds.claimPlural()).withNamespaced(true)
        .build() : null;
  }
}
