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
    Map<String, String> wanted;
    String what;
    if (spec.compositionSelector != null && spec.compositionSelector.matchLabels != null) {
      wanted = spec.compositionSelector.matchLabels;
      what = "spec.compositionSelector " + wanted;
    } else {
      String engine = spec.engine == null ? "" : spec.engine.name().toLowerCase(java.util.Locale.ROOT);
      wanted = Map.of(DEFAULT_FOR_ENGINE, engine);
      what = "the default for engine " + engine + " (label " + DEFAULT_FOR_ENGINE + "=" + engine + ")";
    }
    List<Composition> matching = all.stream().filter(c -> {
      Map<String, String> labels = c.getMetadata().getLabels() == null ? Map.of() : c.getMetadata().getLabels();
      return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }).toList();
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
}
