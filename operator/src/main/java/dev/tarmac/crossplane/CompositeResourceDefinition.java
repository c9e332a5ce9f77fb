package dev.tarmac.crossplane;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.TarmacStatus;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Crossplane's {@code CompositeResourceDefinition} (XRD), cluster-scoped, as the XRD controller reads it: the spec as
 * written (a JSON tree, read by {@link XrdCrds}), the status typed. Its CRD is {@link CrossplaneKinds#xrdCrd()}, not
 * generated from this class (the build excludes this package from CRD generation).
 */
@Group(CrossplaneFields.GROUP)
@Version(CrossplaneKinds.XRD_VERSION)
@Kind(CrossplaneKinds.XRD_KIND)
@io.fabric8.kubernetes.model.annotation.Plural("compositeresourcedefinitions")
public class CompositeResourceDefinition extends CustomResource<JsonNode, CompositeResourceDefinition.Status> {

  /**
   * Crossplane's XRD status ({@code conditions}: {@code Established}, {@code Offered}; {@code controllers}) plus the
   * fields every Tarmac status has ({@code observedGeneration}, {@code nextRetryTime}; {@code Synced} on failures).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
    /** The kinds the controllers reconcile. */
    public Controllers controllers;
  }

  /** {@code status.controllers}: the XR and claim types being reconciled. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Controllers {
    /** The XR type: apiVersion (the referenceable version) and kind. */
    public TypeRef compositeResourceType;
    /** The claim type, when the XRD offers one. */
    public TypeRef compositeResourceClaimType;
  }

  /** An apiVersion and kind. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class TypeRef {
    /** {@code group/version}. */
    public String apiVersion;
    /** The kind. */
    public String kind;

    /** For Jackson. */
    public TypeRef() {
    }

    /** A type reference. */
    public TypeRef(String apiVersion, String kind) {
      this.apiVersion = apiVersion;
      this.kind = kind;
    }
  }
}
