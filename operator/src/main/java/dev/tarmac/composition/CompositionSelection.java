package dev.tarmac.composition;

import dev.tarmac.api.Composition;
import dev.tarmac.api.Database;
import java.util.List;
import java.util.Map;

/**
 * Which Composition a claim uses (Crossplane's rules, plus engine defaults): {@code compositionRef} by name; else
 * {@code compositionSelector} by labels, which must match exactly one; else the Composition labelled
 * {@code platform.tarmac.dev/default-for-engine: <engine>}. Pure.
 */
public final class CompositionSelection {

  /** Label naming the engine a Composition is the default for. */
  public static final String DEFAULT_FOR_ENGINE = "platform.tarmac.dev/default-for-engine";

  private CompositionSelection() {
  }

  /**
   * Selects the Composition for {@code db} from {@code all}.
   *
   * @throws CompositionException (CompositionNotFound, CompositionAmbiguous) saying what to change
   */
  public static Composition select(Database db, List<Composition> all) {
    var spec = db.getSpec();
    if (spec.compositionRef != null && spec.compositionRef.name != null) {
      return all.stream().filter(c -> c.getMetadata().getName().equals(spec.compositionRef.name)).findFirst()
          .orElseThrow(() -> new CompositionException("CompositionNotFound", "Composition "
              + spec.compositionRef.name + " named by spec.compositionRef does not exist; list them with"
              + " `kubectl get compositions`"));
    }
    Map<String, String> wanted = wantedLabels(spec);
    String what;
    if (spec.compositionSelector != null && spec.compositionSelector.matchLabels != null) {
      what = "spec.compositionSelector " + wanted;
    } else {
      String engine = wanted.get(DEFAULT_FOR_ENGINE);
      what = "the default for engine " + engine + " (label " + DEFAULT_FOR_ENGINE + "=" + engine + ")";
    }
    List<Composition> matching = all.stream().filter(c -> hasLabels(c, wanted)).toList();
    if (matching.isEmpty()) {
      throw new CompositionException("CompositionNotFound", "no Composition matches " + what
          + ": set spec.compositionRef or label a Composition");
    }
    if (matching.size() > 1) {
      throw new CompositionException("CompositionAmbiguous", matching.size() + " Compositions match " + what + " ("
          + String.join(", ", matching.stream().map(c -> c.getMetadata().getName()).toList())
          + "): narrow the selector or set spec.compositionRef");
    }
    return matching.get(0);
  }

  /**
   * Whether a change of {@code composition} (an edit, a label change, its deletion) can change what {@code db}
   * composes: the claim's status records it as the Composition applied, or {@link #select} would consider it
   * ({@code spec.compositionRef} names it; without a ref, its labels match the claim's selector or engine default).
   */
  public static boolean affects(Composition composition, Database db) {
    String name = composition.getMetadata().getName();
    if (db.getStatus() != null && name.equals(db.getStatus().compositionName)) {
      return true;
    }
    var spec = db.getSpec();
    if (spec == null) {
      return false;
    }
    if (spec.compositionRef != null && spec.compositionRef.name != null) {
      return name.equals(spec.compositionRef.name);
    }
    return hasLabels(composition, wantedLabels(spec));
  }

  /** The labels a Composition needs to be chosen without a ref: the selector's, else the engine default's. */
  private static Map<String, String> wantedLabels(Database.Spec spec) {
    if (spec.compositionSelector != null && spec.compositionSelector.matchLabels != null) {
      return spec.compositionSelector.matchLabels;
    }
    String engine = spec.engine == null ? "" : spec.engine.name().toLowerCase(java.util.Locale.ROOT);
    return Map.of(DEFAULT_FOR_ENGINE, engine);
  }

  private static boolean hasLabels(Composition c, Map<String, String> wanted) {
    Map<String, String> labels = c.getMetadata().getLabels() == null ? Map.of() : c.getMetadata().getLabels();
    return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }
}
