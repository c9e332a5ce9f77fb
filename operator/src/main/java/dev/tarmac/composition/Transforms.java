package dev.tarmac.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tarmac.api.Serialization;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.Adler32;

/**
 * Crossplane's patch-and-transform transforms, with Crossplane's field names: {@code map}, {@code match} (literal and
 * regexp patterns, {@code fallbackValue}, {@code fallbackTo: Input}), {@code string} (Format, Convert — ToUpper,
 * ToLower, ToBase64, FromBase64, ToJson, ToSha1, ToSha256, ToSha512, ToAdler32 —, TrimPrefix, TrimSuffix, Regexp, Join,
 * Replace; legacy {@code fmt} without a type), {@code math} (Multiply, ClampMin, ClampMax; legacy {@code multiply}
 * without a type) and {@code convert} (to string, int, int64, float64, bool, object, array; {@code format: quantity}
 * and {@code format: json}). Source: Crossplane's "Patch and Transform" documentation and the behaviour of
 * function-patch-and-transform (its transforms.go), e.g. ToJson and the hashes of objects serialise JSON as Go does
 * (keys sorted), an int converts to bool as {@code == 1}, a float64 converts to int64 by truncation.
 */
public final class Transforms {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private Transforms() {
  }

  /**
   * Applies one transform.
   *
   * @throws IllegalArgumentException when it cannot apply (an absent map key, a non-numeric math input, an unknown
   *     type); the message says which
   */
  public static JsonNode apply(JsonNode transform, JsonNode input) {
    String type = transform.path("type").asText("");
    return switch (type) {
      case "map" -> map(transform.path("map"), input);
      case "match" -> match(transform.path("match"), input);
      case "string" -> string(transform.path("string"), input);
      case "math" -> math(transform.path("math"), input);
      case "convert" -> convert(transform.path("convert"), input);
      default -> throw new IllegalArgumentException("unknown transform type '" + type
          + "' (use map, match, string, math or convert)");
    };
  }

  private static JsonNode map(JsonNode map, JsonNode input) {
    String key = input.asText();
    JsonNode pairs = map.has("pairs") ? map.get("pairs") : map;
    if (!pairs.has(key)) {
      throw new IllegalArgumentException("map transform has no key '" + key + "' (keys: " + fieldNames(pairs) + ")");
    }
    return pairs.get(key);
  }

  private static String fieldNames(JsonNode node) {
    StringBuilder sb = new StringBuilder();
    node.fieldNames().forEachRemaining(n -> sb.append(sb.length() == 0 ? "" : ", ").append(n));
    return sb.toString();
  }

  private static JsonNode match(JsonNode match, JsonNode input) {
    String value = input.asText();
    for (JsonNode p : match.path("patterns")) {
      String type = p.path("type").asText("literal");
      boolean hit = "regexp".equalsIgnoreCase(type) ? Pattern.compile(p.path("regexp").asText()).matcher(value).find()
          : value.equals(p.path("literal").asText());
      if (hit) {
        return p.path("result");
      }
    }
    if ("Input".equals(match.path("fallbackTo").asText()) && match.has("fallbackValue")) {
      throw new IllegalArgumentException("match transform: cannot set both fallbackValue and fallbackTo: Input");
    }
    if (match.has("fallbackValue")) {
      return match.get("fallbackValue");
    }
    if ("Input".equals(match.path("fallbackTo").asText())) {
      return input;
    }
    throw new IllegalArgumentException("match transform: no pattern matches '" + value + "' and there is no"
        + " fallbackValue");
  }

  private static JsonNode string(JsonNode s, JsonNode input) {
    String type = s.path("type").asText(s.has("fmt") ? "Format" : "");
    String value = input.isTextual() ? input.asText() : input.toString();
    switch (type) {
      case "Format":
        return F.textNode(format(s.path("fmt").asText(), input));
      case "Convert":
        return F.textNode(convertString(s.path("convert").asText(), input));
      case "TrimPrefix":
        return F.textNode(value.startsWith(s.path("trim").asText()) ? value.substring(s.path("trim").asText()
            .length()) : value);
      case "TrimSuffix":
        return F.textNode(value.endsWith(s.path("trim").asText()) ? value.substring(0, value.length()
            - s.path("trim").asText().length()) : value);
      case "Regexp":
        Matcher m = Pattern.compile(s.path("regexp").path("match").asText()).matcher(value);
        if (!m.find()) {
          throw new IllegalArgumentException("string Regexp transform: '" + value + "' does not match "
              + s.path("regexp").path("match").asText());
        }
        int group = s.path("regexp").path("group").asInt(0);
        if (group > m.groupCount()) {
          throw new IllegalArgumentException("string Regexp transform: regexp " + s.path("regexp").path("match")
              .asText() + " has no group " + group);
        }
        return F.textNode(m.group(group) == null ? "" : m.group(group));
      case "Join":
        if (!input.isArray()) {
          throw new IllegalArgumentException("string Join transform needs an array, got '" + value + "'");
        }
        StringBuilder joined = new StringBuilder();
        String separator = s.path("join").path("separator").asText("");
        for (int i = 0; i < input.size(); i++) {
          joined.append(i == 0 ? "" : separator).append(goValue(input.get(i)));
        }
        return F.textNode(joined.toString());
      case "Replace":
        return F.textNode(value.replace(s.path("replace").path("search").asText(),
            s.path("replace").path("replace").asText("")));
      default:
        throw new IllegalArgumentException("unknown string transform type '" + type
            + "' (use Format, Convert, TrimPrefix, TrimSuffix, Regexp, Join or Replace)");
    }
  }

  /** Go's fmt verbs as Crossplane uses them: %s, %d, %v, %f; other verbs go to Java's formatter. */
  static String format(String fmt, JsonNode... values) {
    Object[] args = new Object[values.length];
    String javaFmt = fmt.replace("%v", "%s");
    for (int i = 0; i < values.length; i++) {
      JsonNode v = values[i];
      args[i] = v == null ? null : v.isIntegralNumber() ? (Object) v.asLong() : v.isNumber() ? (Object) v.asDouble()
          : v.isTextual() ? v.asText() : v.toString();
    }
    try {
      return String.format(Locale.ROOT, javaFmt, args);
    } catch (java.util.IllegalFormatException e) {
      throw new IllegalArgumentException("format '" + fmt + "' does not fit its values: " + e.getMessage());
    }
  }

  private static String convertString(String how, JsonNode input) {
    String value = input.isTextual() ? input.asText() : input.toString();
    return switch (how) {
      case "ToUpper" -> value.toUpperCase(Locale.ROOT);
      case "ToLower" -> value.toLowerCase(Locale.ROOT);
      case "ToBase64" -> Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
      case "FromBase64" -> new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
      case "ToJson" -> goJson(input);
      case "ToSha1", "ToSha256", "ToSha512" -> hash(how.substring(2).replace("Sha", "SHA-"), hashInput(input));
      case "ToAdler32" -> {
        Adler32 adler = new Adler32();
        adler.update(hashInput(input));
        yield Long.toString(adler.getValue());
      }
      default -> throw new IllegalArgumentException("unknown string Convert '" + how
          + "' (use ToUpper, ToLower, ToBase64, FromBase64, ToJson, ToSha1, ToSha256, ToSha512 or ToAdler32)");
    };
  }

  /** What the hashes digest, as the function does: a string's bytes, anything else as its JSON. */
  private static byte[] hashInput(JsonNode input) {
    return (input.isTextual() ? input.asText() : goJson(input)).getBytes(StandardCharsets.UTF_8);
  }

  private static String hash(String algorithm, byte[] value) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(value));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /**
   * JSON as Go's {@code encoding/json} writes it: object keys sorted, no spaces, and {@code <}, {@code >}, {@code &}
   * escaped as Unicode escapes (backslash, u, 003c and so on).
   */
  static String goJson(JsonNode n) {
    StringBuilder sb = new StringBuilder();
    goJson(n, sb);
    return sb.toString().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
  }

  private static void goJson(JsonNode n, StringBuilder sb) {
    if (n.isObject()) {
      java.util.TreeMap<String, JsonNode> sorted = new java.util.TreeMap<>();
      n.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
      sb.append('{');
      boolean first = true;
      for (var e : sorted.entrySet()) {
        sb.append(first ? "" : ",").append(F.textNode(e.getKey()).toString()).append(':');
        goJson(e.getValue(), sb);
        first = false;
      }
      sb.append('}');
    } else if (n.isArray()) {
      sb.append('[');
      for (int i = 0; i < n.size(); i++) {
        sb.append(i == 0 ? "" : ",");
        goJson(n.get(i), sb);
      }
      sb.append(']');
    } else {
      sb.append(n.toString());
    }
  }

  /** A value as Go's {@code %v} prints it: strings without quotes, numbers and bools as written, others as JSON. */
  static String goValue(JsonNode v) {
    if (v.isTextual()) {
      return v.asText();
    }
    if (v.isFloatingPointNumber()) {
      return floatString(v.asDouble());
    }
    return v.isValueNode() ? v.asText() : goJson(v);
  }

  /** A float64 as Go's {@code strconv.FormatFloat(f, 'f', -1, 64)}: the shortest exact decimal, no exponent. */
  static String floatString(double d) {
    String s = new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
    return s;
  }

  private static JsonNode math(JsonNode m, JsonNode input) {
    if (!input.isNumber() && !(input.isTextual() && input.asText().matches("-?\\d+(\\.\\d+)?"))) {
      throw new IllegalArgumentException("math transform needs a number, got '" + input.asText() + "'");
    }
    BigDecimal value = new BigDecimal(input.asText());
    String type = m.path("type").asText(m.has("multiply") ? "Multiply" : "");
    BigDecimal result = switch (type) {
      case "Multiply" -> value.multiply(new BigDecimal(m.path("multiply").asText()));
      case "ClampMin" -> value.max(new BigDecimal(m.path("clampMin").asText()));
      case "ClampMax" -> value.min(new BigDecimal(m.path("clampMax").asText()));
      default -> throw new IllegalArgumentException("unknown math transform type '" + type
          + "' (use Multiply, ClampMin or ClampMax)");
    };
    return result.stripTrailingZeros().scale() <= 0 ? F.numberNode(result.longValueExact())
        : F.numberNode(result.doubleValue());
  }

  private static JsonNode convert(JsonNode c, JsonNode input) {
    String to = c.path("toType").asText();
    String format = c.path("format").asText("");
    String text = input.isTextual() ? input.asText() : input.toString();
    try {
      return switch (to) {
        case "string" -> F.textNode(input.isFloatingPointNumber() ? floatString(input.asDouble()) : text);
        case "int", "int64" -> {
          if (input.isBoolean()) {
            yield F.numberNode(input.asBoolean() ? 1L : 0L);
          }
          if (input.isFloatingPointNumber()) {
            yield F.numberNode((long) input.asDouble());
          }
          yield F.numberNode("quantity".equals(format) ? quantity(text).longValue()
              : new BigDecimal(text).longValueExact());
        }
        case "float64" -> {
          if (input.isBoolean()) {
            yield F.numberNode(input.asBoolean() ? 1.0 : 0.0);
          }
          yield F.numberNode("quantity".equals(format) ? quantity(text).doubleValue() : Double.parseDouble(text));
        }
        case "bool" -> {
          if (input.isBoolean()) {
            yield input;
          }
          if (input.isNumber()) {
            yield F.booleanNode(input.asDouble() == 1.0);
          }
          yield switch (text) {
            // Go's strconv.ParseBool.
            case "1", "t", "T", "TRUE", "true", "True" -> F.booleanNode(true);
            case "0", "f", "F", "FALSE", "false", "False" -> F.booleanNode(false);
            default -> throw new IllegalArgumentException("convert to bool: '" + text + "' is not a bool");
          };
        }
        case "object", "array" -> {
          JsonNode out = input.isTextual() ? Serialization.JSON.readTree(text) : input;
          if ("object".equals(to) ? !out.isObject() : !out.isArray()) {
            throw new IllegalArgumentException("convert to " + to + ": '" + text + "' is not a JSON " + to);
          }
          yield out;
        }
        default -> throw new IllegalArgumentException("unknown convert toType '" + to
            + "' (use string, int, int64, float64, bool, object or array)");
      };
    } catch (NumberFormatException | ArithmeticException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("convert to " + to + ": '" + text + "' cannot be converted");
    }
  }

  /** A Kubernetes quantity (e.g. {@code 100Gi}, {@code 500m}, {@code 2k}) as a number of base units. */
  static BigDecimal quantity(String q) {
    Matcher m = Pattern.compile("^([+-]?[0-9.]+)([a-zA-Z]*)$").matcher(q.trim());
    if (!m.matches()) {
      throw new NumberFormatException(q);
    }
    BigDecimal n = new BigDecimal(m.group(1));
    return switch (m.group(2)) {
      case "" -> n;
      case "m" -> n.movePointLeft(3);
      case "k" -> n.movePointRight(3);
      case "M" -> n.movePointRight(6);
      case "G" -> n.movePointRight(9);
      case "T" -> n.movePointRight(12);
      case "Ki" -> n.multiply(BigDecimal.valueOf(1L << 10));
      case "Mi" -> n.multiply(BigDecimal.valueOf(1L << 20));
      case "Gi" -> n.multiply(BigDecimal.valueOf(1L << 30));
      case "Ti" -> n.multiply(BigDecimal.valueOf(1L << 40));
      default -> throw new NumberFormatException(q);
    };
  }
}
