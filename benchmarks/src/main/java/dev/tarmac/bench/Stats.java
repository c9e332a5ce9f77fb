package dev.tarmac.bench;

import java.util.Arrays;
import java.util.List;

/** Percentiles over samples (nearest-rank). */
final class Stats {

  private final double[] sorted;

  Stats(List<Double> samples) {
    this.sorted = samples.stream().mapToDouble(Double::doubleValue).sorted().toArray();
  }

  Stats(double[] samples) {
    this.sorted = samples.clone();
    Arrays.sort(this.sorted);
  }

  double percentile(double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  double max() {
    return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
  }

  int count() {
    return sorted.length;
  }
}
