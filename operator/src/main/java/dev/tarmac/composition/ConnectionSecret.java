package dev.tarmac.composition;

import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The data of a claim's connection Secret: the connection details the Composition gives, generated passwords kept
 * from the existing Secret (so they are stable across reconciles) or created once, and a {@code uri} built from
 * host, port, username, password and database when the Composition gives none. Pure apart from randomness.
 */
public final class ConnectionSecret {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

  private ConnectionSecret() {
  }

  /**
   * @param details connection details from the engine
   * @param generated names of details that are generated passwords
   * @param existing the current Secret's data (decoded), empty when there is none
   * @param scheme URI scheme, e.g. {@code postgresql} or {@code mysql}
   * @return the Secret's data, keys sorted
   */
  public static Map<String, String> data(Map<String, String> details, Iterable<String> generated,
      Map<String, String> existing, String scheme) {
    Map<String, String> data = new java.util.TreeMap<>(details);
    for (String name : generated) {
      data.put(name, existing.containsKey(name) && !existing.get(name).isEmpty() ? existing.get(name) : password());
    }
    if (!data.containsKey("uri") && data.containsKey("host") && data.containsKey("username")
        && data.containsKey("password")) {
      data.put("uri", scheme + "://" + data.get("username") + ":" + data.get("password") + "@" + data.get("host")
          + (data.containsKey("port") ? ":" + data.get("port") : "")
          + (data.containsKey("database") ? "/" + data.get("database") : ""));
    }
    return new LinkedHashMap<>(data);
  }

  /** A random password: 24 characters, letters and digits without look-alikes. */
  public static String password() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 24; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }
}
