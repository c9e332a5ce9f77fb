package dev.tarmac;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.Map;

/**
 * Logback converter {@code %object}: "{@code Kind namespace/name }" of the object a log line is about, from the MDC
 * keys JOSDK sets while reconciling ({@code resource.kind}, {@code resource.namespace}, {@code resource.name}) or
 * that Tarmac code sets with {@link LogContext}; empty when the line is about no object.
 */
public final class ObjectConverter extends ClassicConverter {

  @Override
  public String convert(ILoggingEvent event) {
    Map<String, String> mdc = event.getMDCPropertyMap();
    String name = mdc.get("resource.name");
    if (name == null) {
      return "";
    }
    String kind = mdc.getOrDefault("resource.kind", "");
    String namespace = mdc.get("resource.namespace");
    return kind + " " + (namespace == null || namespace.isEmpty() ? "" : namespace + "/") + name + " ";
  }
}
