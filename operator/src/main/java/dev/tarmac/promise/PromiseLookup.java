package dev.tarmac.promise;

import dev.tarmac.api.KratixPromise;
import dev.tarmac.api.Promise;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Promises of both groups ({@code platform.tarmac.dev} and {@code platform.kratix.io}) as a Promise reconciler
 * sees them, for compound Promises: informer caches to look a required Promise up by name, and the events that make
 * requirements event driven. A Promise that is added, deleted, relabelled (its version), changed in spec, or becomes
 * Available or stops being so in Kratix's sense ({@link KratixStatusFields#available}) queues the Promises that
 * require it (their {@code RequirementsFulfilled}) and the Promises it requires (their {@code status.requiredBy}).
 * This is Kratix's watch of Promises mapped through {@code status.requiredBy}, without the periodic re-check.
 */
final class PromiseLookup {

  private volatile InformerEventSource<Promise, ?> tarmac;
  private volatile InformerEventSource<KratixPromise, ?> kratix;

  /**
   * The event sources for a Promise reconciler of primary class {@code P}; call once, from prepareEventSources. Besides
   * the Promises of both groups, the promise workflows' Jobs in {@code jobNamespace}: a finished Job brings its Promise
   * back at once (Kratix's controller owns its Jobs the same way), instead of at the next periodic check.
   */
  <P extends Promise> List<EventSource<?, P>> eventSources(EventSourceContext<P> context, String jobNamespace) {
    InformerEventSource<Promise, P> t = new InformerEventSource<>(config(Promise.class, context, "tarmac"), context);
    InformerEventSource<KratixPromise, P> k = new InformerEventSource<>(config(KratixPromise.class, context,
        "kratix"), context);
    this.tarmac = t;
    this.kratix = k;
    var jobs = InformerEventSourceConfiguration.from(io.fabric8.kubernetes.api.model.batch.v1.Job.class,
            context.getPrimaryResourceClass())
        .withName("promise-workflow-jobs")
        .withNamespaces(Set.of(jobNamespace))
        .withLabelSelector(dev.tarmac.api.Labels.OWNER_KIND + "=Promise," + dev.tarmac.api.Labels.MANAGED_BY
            + "=tarmac")
        .withSecondaryToPrimaryMapper(j -> {
          var labels = j.getMetadata().getLabels();
          String owner = labels == null ? null : labels.get(dev.tarmac.api.Labels.OWNER_NAME);
          return owner == null ? Set.of() : Set.of(new ResourceID(owner));
        })
        .build();
    return List.of(t, k, new InformerEventSource<>(jobs, context));
  }

  private static <S extends Promise, P extends Promise> InformerEventSourceConfiguration<S> config(Class<S> kind,
      EventSourceContext<P> context, String name) {
    return InformerEventSourceConfiguration.from(kind, context.getPrimaryResourceClass())
        .withName("required-promises-" + name)
        .withOnUpdateFilter((now, old) -> !Objects.equals(now.getMetadata().getGeneration(),
            old.getMetadata().getGeneration())
            || !Objects.equals(now.getMetadata().getLabels(), old.getMetadata().getLabels())
            || KratixStatusFields.available(now) != KratixStatusFields.available(old))
        .withSecondaryToPrimaryMapper(changed -> related(changed, context.getPrimaryCache().list().toList()))
        .build();
  }

  /** The primaries among {@code candidates} to reconcile when {@code changed} changed. Pure. */
  static Set<ResourceID> related(Promise changed, List<? extends Promise> candidates) {
    String name = changed.getMetadata().getName();
    Set<String> requires = new HashSet<>();
    if (changed.getSpec() != null && changed.getSpec().requiredPromises != null) {
      changed.getSpec().requiredPromises.forEach(r -> requires.add(r.name));
    }
    return candidates.stream().filter(p -> requires.contains(p.getMetadata().getName()) || (p.getSpec() != null
        && p.getSpec().requiredPromises != null && p.getSpec().requiredPromises.stream()
            .anyMatch(r -> name.equals(r.name))))
        .map(p -> new ResourceID(p.getMetadata().getName()))
        .collect(Collectors.toSet());
  }

  /**
   * The Promise named {@code name}: of the Kratix group first when {@code kratixFirst}, else of Tarmac's; the other
   * group when the first has none; null when neither has one (or before the caches started).
   */
  Promise find(String name, boolean kratixFirst) {
    Promise ofTarmac = get(tarmac, name);
    Promise ofKratix = get(kratix, name);
    if (kratixFirst) {
      return ofKratix != null ? ofKratix : ofTarmac;
    }
    return ofTarmac != null ? ofTarmac : ofKratix;
  }

  /** Every Promise of both groups in the caches. */
  List<Promise> all() {
    List<Promise> out = new ArrayList<>();
    if (tarmac != null) {
      tarmac.list().forEach(out::add);
    }
    if (kratix != null) {
      kratix.list().forEach(out::add);
    }
    return out;
  }

  private static <S extends HasMetadata> S get(InformerEventSource<S, ?> source, String name) {
    return source == null ? null : source.get(new ResourceID(name)).orElse(null);
  }
}
