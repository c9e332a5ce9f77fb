package dev.tarmac.promise;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Lifetimes written as a number and a unit: {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}. */
public final class Ttl {

  private static final Pattern FORMAT = Pattern.compile("^(\\d+)([smhd])$");

  private Ttl() {
  }

  /**
   * Parses {@code ttl}.
   *
   * @throws IllegalArgumentException with the accepted forms when it does not parse
   */
  public static Duration parse(String ttl) {
    Matcher m = FORMAT.matcher(ttl == null ? "" : ttl.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("annotation platform.tarmac.dev/ttl '" + ttl + "' is not a lifetime: write"
          + " a number and s, m, h or d, e.g. 24h");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }
}
