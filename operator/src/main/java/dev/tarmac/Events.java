package dev.tarmac;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on the objects Tarmac reconciles ({@code core/v1}, source and reportingComponent
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
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    // core/v1 Events: kubectl describe shows them, and they accept cluster-scoped objects in "default".
    var event = new EventBuilder()
        .withNewMetadata()
        .withGenerateName(object.getMetadata().getName() + "-")
        .withNamespace(namespace)
        .endMetadata()
        .withType(type)
        .withReason(reason)
        .withMessage(truncate(message, 1024))
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withCount(1)
        .withNewSource().withComponent(CONTROLLER).withHost(instance).endSource()
        .withReportingComponent(CONTROLLER)
        .withReportingInstance(instance)
        .withInvolvedObject(new ObjectReferenceBuilder()
            .withApiVersion(object.getApiVersion())
            .withKind(object.getKind())
            .withNamespace(object.getMetadata().getNamespace())
            .withName(object.getMetadata().getName())
            .withUid(object.getMetadata().getUid())
            .withResourceVersion(object.getMetadata().getResourceVersion())
            .build())
        .build();
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
    } catch (KubernetesClientException e) {
      LOG.warn("could not record {} event {} on {} {}/{}: {}", type.toLowerCase(Locale.ROOT), reason,
          object.getKind(), namespace, object.getMetadata().getName(), e.getMessage());
    }
  }

  private static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
