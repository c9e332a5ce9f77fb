package dev.tarmac.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Write counts from the API server's own {@code apiserver_request_total} counter, by resource (and subresource),
 * counting the verbs that change state: POST, PUT, PATCH, DELETE (the API server reports them as CREATE, UPDATE,
 * PATCH, APPLY, DELETE in newer versions; both spellings are counted).
 */
final class ApiServerMetrics {

  private static final Pattern LINE = Pattern.compile("^apiserver_request_total\\{([^}]*)} ([0-9.e+]+)$");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private ApiServerMetrics() {
  }

  /** Writes so far, keyed by {@code resource} or {@code resource/subresource}. */
  static Map<String, Double> writes(KubernetesClient client) {
    return count(client, "POST|PUT|PATCH|DELETE|CREATE|UPDATE|APPLY");
  }

  /**
   * Reads so far (verbs GET and LIST; fabric8 7.5 reads one object by name as a LIST with a field selector), keyed
   * as {@link #writes}: a reconciler that reads what its informer already holds shows here. Watches are not counted.
   */
  static Map<String, Double> reads(KubernetesClient client) {
    return count(client, "GET|LIST");
  }

  /** Requests so far whose verb matches {@code verbs} (a regular expression), keyed as {@link #writes}. */
  private static Map<String, Double> count(KubernetesClient client, String verbs) {
    String text = client.raw("/metrics");
    Map<String, Double> result = new HashMap<>();
    for (String line : text.split("\n")) {
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      Map<String, String> labels = new HashMap<>();
      Matcher l = LABEL.matcher(m.group(1));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
      String verb = labels.getOrDefault("verb", "");
      if (!verb.matches(verbs)) {
        continue;
      }
      String key = labels.getOrDefault("resource", "?")
          + (labels.getOrDefault("subresource", "").isEmpty() ? "" : "/" + labels.get("subresource"));
      result.merge(key, Double.parseDouble(m.group(2)), Double::sum);
    }
    return result;
  }

  /**
   * Waits until the API server has counted no writes for {@code quietSeconds} seconds in a row, or {@code timeout}
   * has passed (the operator has settled); returns the write counts at the end.
   */
  static Map<String, Double> awaitQuiet(KubernetesClient client, java.time.Duration timeout, int quietSeconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int quiet = 0;
    Map<String, Double> last = writes(client);
    while (quiet < quietSeconds && System.nanoTime() < deadline) {
      Thread.sleep(1000);
      Map<String, Double> now = writes(client);
      quiet = delta(last, now).isEmpty() ? quiet + 1 : 0;
      last = now;
    }
    return last;
  }

  /** {@code after - before}, per key, keeping only non-zero differences. */
  static Map<String, Double> delta(Map<String, Double> before, Map<String, Double> after) {
    Map<String, Double> d = new HashMap<>();
    after.forEach((k, v) -> {
      double diff = v - before.getOrDefault(k, 0.0);
      if (diff != 0) {
        d.put(k, diff);
      }
    });
    return d;
  }
}
