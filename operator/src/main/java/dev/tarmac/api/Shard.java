package dev.tarmac.api;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which objects one operator process reconciles when a platform is split into shards (docs/scaling.md), after Flux's
 * {@code --watch-label-selector} with {@code sharding.fluxcd.io/key}. Pure.
 *
 * <p>A <em>named</em> shard ({@code tarmac run --shard NAME}) reconciles only objects labelled
 * {@value Labels#SHARD}{@code =NAME}. The <em>default</em> shard (no {@code --shard}) reconciles the objects without
 * the label; unlike Flux's main instance it ignores labelled objects unless told otherwise
 * ({@code --no-ignore-sharded}, {@link #ALL}), so a named shard and the default shard never both write an object's
 * status. Cluster-scoped kinds without a state of their own in Git (Promise, Composition, Template, Scorecard) are
 * written by the default shard only ({@link #writesClusterKinds}); named shards read them.
 *
 * @param name the shard's name, or null for the default shard
 * @param ignoreSharded for the default shard: leave objects that carry the label to their shards
 */
public record Shard(String name, boolean ignoreSharded) {

  /** The default shard, leaving labelled objects to their shards (the default of {@code tarmac run}). */
  public static final Shard DEFAULT = new Shard(null, true);
  /** The default shard reconciling every object, labelled or not: only where no named shard runs. */
  public static final Shard ALL = new Shard(null, false);

  /** The name the default shard has in messages and metrics. */
  public static final String DEFAULT_NAME = "default";

  /**
   * A shard name: an RFC 1123 label (lower-case letters, digits, '-'), at most 56 characters so that the Lease name
   * {@code tarmac-NAME} and Kubernetes object names derived from it stay within 63.
   */
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,54}[a-z0-9])?");

  /**
   * @throws IllegalArgumentException when {@code name} is not a valid shard name (see {@link #named}) or is
   *     {@value #DEFAULT_NAME}, which the default shard answers to
   */
  public Shard {
    if (name != null) {
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("shard name '" + name + "' is not valid: use at most 56 lower-case letters,"
            + " digits and '-', starting and ending with a letter or digit (it is a label value and part of the"
            + " Lease name tarmac-NAME)");
      }
      if (DEFAULT_NAME.equals(name)) {
        throw new IllegalArgumentException("shard name 'default' is reserved for the operator run without --shard,"
            + " which reconciles the objects without the label " + Labels.SHARD);
      }
      ignoreSharded = true;
    }
  }

  /**
   * The shard {@code tarmac run} runs as.
   *
   * @param name {@code --shard}, or null or blank for the default shard
   * @param ignoreSharded {@code --ignore-sharded} (only meaningful for the default shard)
   * @throws IllegalArgumentException as the constructor
   */
  public static Shard of(String name, boolean ignoreSharded) {
    return name == null || name.isBlank() ? new Shard(null, ignoreSharded) : new Shard(name, true);
  }

  /** True for the shard run without {@code --shard}. */
  public boolean isDefault() {
    return name == null;
  }

  /** The name in messages, metrics and Events: the shard's name, or {@value #DEFAULT_NAME}. */
  public String displayName() {
    return name == null ? DEFAULT_NAME : name;
  }

  /**
   * The label selector of the informers behind this shard's controllers: {@code platform.tarmac.dev/shard=NAME}
   * for a named shard, {@code !platform.tarmac.dev/shard} for the default shard that ignores labelled objects, null
   * (everything) for {@link #ALL}. The API server filters, so a shard does not even cache the others' objects.
   */
  public String labelSelector() {
    if (name != null) {
      return Labels.SHARD + "=" + name;
    }
    return ignoreSharded ? "!" + Labels.SHARD : null;
  }

  /**
   * True when an object with {@code labels} (null: none) is this shard's: the same rule as {@link #labelSelector},
   * for objects read from an unfiltered cache (Destinations seen by the Work scheduler). As with Kubernetes'
   * {@code !key} selector, a label with an empty value is not the default shard's either: such an object is
   * reconciled by no shard (docs/scaling.md says so).
   */
  public boolean owns(Map<String, String> labels) {
    String value = labels == null ? null : labels.get(Labels.SHARD);
    if (name != null) {
      return name.equals(value);
    }
    return !ignoreSharded || value == null;
  }

  /**
   * The shard an object with {@code labels} belongs to, for messages: its label's value, or {@value #DEFAULT_NAME}.
   */
  public static String of(Map<String, String> labels) {
    String value = labels == null ? null : labels.get(Labels.SHARD);
    return value == null ? DEFAULT_NAME : value.isEmpty() ? "'' (no shard)" : value;
  }

  /**
   * The leader-election Lease of this shard in the operator's namespace: {@code tarmac} for the default shard (as
   * before shards existed, so an upgrade keeps its Lease), {@code tarmac-NAME} for a named one. Each shard elects its
   * own leader among its replicas.
   */
  public String leaseName() {
    return name == null ? "tarmac" : "tarmac-" + name;
  }

  /**
   * True when this shard reconciles the cluster-scoped kinds that belong to no shard — Promise (its request CRD,
   * dependencies and promise workflows), Composition, Template, Scorecard — and writes their status and Scorecard
   * results: the default shard only, so no two shards write the same status. A named shard reads Promises to serve
   * their request kinds.
   */
  public boolean writesClusterKinds() {
    return name == null;
  }
}
