package dev.tarmac.api;

/** Constants of Tarmac's API group (shared/DESIGN.md, "API"). */
public final class Api {
  /** The API group of every Tarmac kind. */
  public static final String GROUP = "platform.tarmac.dev";
  /** The served and stored version. */
  public static final String VERSION = "v1alpha1";
  /** {@code group/version}. */
  public static final String API_VERSION = GROUP + "/" + VERSION;
  /** The kubectl category every Tarmac kind belongs to ({@code kubectl get tarmac}). */
  public static final String CATEGORY = "tarmac";
  /** Kratix's group; Pipelines and Promises written for Kratix are accepted as they are. */
  public static final String KRATIX_GROUP = "platform.kratix.io";

  private Api() {
  }
}
