package dev.tarmac;

import io.fabric8.kubernetes.api.model.HasMetadata;
import org.slf4j.MDC;

/**
 * Names the object that the current thread works on in the logging MDC, with the same keys JOSDK uses, so log lines
 * written outside a JOSDK reconcile (Git writer threads, built-in steps) also read "{@code Kind namespace/name}".
 * Use with try-with-resources.
 */
public final class LogContext implements AutoCloseable {

  private LogContext() {
  }

  /** Puts {@code object}'s kind, namespace and name in the MDC until {@link #close()}. */
  public static LogContext of(HasMetadata object) {
    return of(object.getKind(), object.getMetadata().getNamespace(), object.getMetadata().getName());
  }

  /** Puts the given kind, namespace (may be null) and name in the MDC until {@link #close()}. */
  public static LogContext of(String kind, String namespace, String name) {
    MDC.put("resource.kind", kind);
    if (namespace != null) {
      MDC.put("resource.namespace", namespace);
    }
    MDC.put("resource.name", name);
    return new LogContext();
  }

  @Override
  public void close() {
    MDC.remove("resource.kind");
    MDC.remove("resource.namespace");
    MDC.remove("resource.name");
  }
}
