package dev.tarmac.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.Comparator;

/**
 * The JSON and YAML mappers every part of Tarmac uses, configured once: unknown fields tolerated on read (objects
 * written by newer versions or by Kratix), map keys sorted on write so output is stable (Git diffs, hashes).
 */
public final class Serialization {

  /** JSON. Thread-safe; do not reconfigure. */
  public static final ObjectMapper JSON = configure(new ObjectMapper());

  /** YAML without the leading {@code ---}, minimal quotes. Thread-safe; do not reconfigure. */
  public static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)));

  // Numbers by value, everything else as Jackson compares it (containers recurse through this comparator).
  private static final Comparator<JsonNode> SAME_VALUE = (a, b) -> {
    if (a.equals(b)) {
      return 0;
    }
    return a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0 ? 0 : 1;
  };

  private Serialization() {
  }

  /**
   * True when {@code a} and {@code b} hold the same JSON, numbers compared by value: a status read from the API
   * server holds small integers as {@code IntNode}, one built in Java holds a {@code long} generation as
   * {@code LongNode}, and Jackson's {@code equals} calls those different. Null equals only null.
   */
  public static boolean sameJson(JsonNode a, JsonNode b) {
    return a == null ? b == null : b != null && a.equals(SAME_VALUE, b);
  }

  private static ObjectMapper configure(ObjectMapper mapper) {
    return mapper.registerModule(new JavaTimeModule())
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  }
}
