package dev.tarmac;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on the objects Tarmac reconciles ({@code events.k8s.io/v1}, reportingController
 * {@code platform.tarmac.dev/tarmac}), so {@code kubectl describe} shows what happened. An Event that cannot be
 * written is logged, never thrown: Events are best effort in Kubernetes too.
 */
public final class Events {

  /** The controller name Events report. */
  public static final String CONTROLLER = "platform.tarmac.dev/tarmac";
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);

  private final KubernetesClient client;
  private final String instance;

  /**
   * @param client the client to write Events with
   * @param instance this operator instance's identity (pod name or host name), reported as reportingInstance
   */
  public Events(KubernetesClient client, String instance) {
    this.client = client;
    this.instance = instance;
  }

  /** A Normal event: {@code reason} CamelCase, {@code message} for a person. */
  public void normal(HasMetadata object, String reason, String message) {
    emit(object, "Normal", reason, message);
  }

  /** A Warning event: {@code reason} CamelCase (the condition's reason), {@code message} says what to change. */
  public void warning(HasMetadata object, String reason, String message) {
    emit(object, "Warning", reason, message);
  }

  private void emit(HasMetadata object, String type, String reason, String message) {
    String namespace = object.getMetadata().getNamespace() != null ? object.getMetadata().getNamespace() : "default";
    String now = Instant.now().truncatedTo(ChronoUnit.MICROS).toString();
    var event = new EventBuilder()
        .withNewMetadata()
        .withGenerateName(object.getMetadata().getName() + ".")
        .withNamespace(namespace)
        .endMetadata()
        .withType(type)
        .withReason(reason)
        .withNote(truncate(message, 1024))
        .withAction(reason)
        .withEventTime(new io.fabric8.kubernetes.api.model.MicroTime(now))
        .withReportingController(CONTROLLER)
        .withReportingInstance(instance)
        .withRegarding(new ObjectReferenceBuilder()
            .withApiVersion(object.getApiVersion())
            .withKind(object.getKind())
            .withNamespace(object.getMetadata().getNamespace())
            .withName(object.getMetadata().getName())
            .withUid(object.getMetadata().getUid())
            .withResourceVersion(object.getMetadata().getResourceVersion())
            .build())
        .build();
    try {
      client.events().v1().events().inNamespace(namespace).resource(event).create();
    } catch (KubernetesClientException e) {
      LOG.warn("could not record {} event {} on {} {}/{}: {}", type.toLowerCase(Locale.ROOT), reason,
          object.getKind(), namespace, object.getMetadata().getName(), e.getMessage());
    }
  }

  private static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
