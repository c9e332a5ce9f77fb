package dev.tarmac.api;

/**
 * Labels and annotations Tarmac puts on the objects it creates, and the annotations users set. Every owned object
 * (Job, Work, composed resource) names its owner so events map back to it.
 */
public final class Labels {
  /** Kind of the owning object. */
  public static final String OWNER_KIND = Api.GROUP + "/owner-kind";
  /** Namespace of the owning object (absent for cluster-scoped owners). */
  public static final String OWNER_NAMESPACE = Api.GROUP + "/owner-namespace";
  /** Name of the owning object. */
  public static final String OWNER_NAME = Api.GROUP + "/owner-name";
  /** UID of the owning object. */
  public static final String OWNER_UID = Api.GROUP + "/owner-uid";
  /** The Promise a request, Job or Work belongs to. */
  public static final String PROMISE = Api.GROUP + "/promise";
  /** The Pipeline a Job runs. */
  public static final String PIPELINE = Api.GROUP + "/pipeline";
  /** The spec hash a Job or Work was made for. */
  public static final String SPEC_HASH = Api.GROUP + "/spec-hash";
  /**
   * The shard that reconciles an object ({@link Shard}): {@code tarmac run --shard NAME} reconciles only objects with
   * this label set to {@code NAME}; objects without it belong to the default shard. A Work inherits it from the
   * request that produced it.
   */
  public static final String SHARD = Api.GROUP + "/shard";
  /** Marks objects managed by Tarmac. */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

  /** Annotation: change its value to run a request's pipelines again. */
  public static final String RERUN = Api.GROUP + "/rerun";
  /** Annotation: "true" suspends reconciliation of the object. */
  public static final String PAUSED = Api.GROUP + "/paused";
  /** Annotation on a Promise or request: "true" skips failing delete pipelines so deletion can finish. */
  public static final String SKIP_DELETE_PIPELINES = Api.GROUP + "/skip-delete-pipelines";

  /** Annotation on a request: a lifetime such as {@code 24h}, {@code 30m} or {@code 7d}; the request is deleted then. */
  public static final String TTL = Api.GROUP + "/ttl";

  /** Finalizer the Work reconciler uses to remove a Work's files. */
  public static final String WORK_FINALIZER = Api.GROUP + "/work-files";
  /** Finalizer on requests whose Promise has delete pipelines. */
  public static final String REQUEST_FINALIZER = Api.GROUP + "/delete-pipelines";

  private Labels() {
  }
}
