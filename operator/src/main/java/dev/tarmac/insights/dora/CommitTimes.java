package dev.tarmac.insights.dora;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The commit time of the change a workload runs, from the conventions CI systems and GitOps tools use. Looked up
 * first on the pod template's annotations (they change with each rollout), then on the workload's:
 * <ol>
 *   <li>{@value #COMMIT_TIME}: the commit time itself (RFC 3339, or seconds since the epoch), as a CI sets it;</li>
 *   <li>{@value #COMMIT} or {@value #OCI_REVISION}: a commit SHA, resolved to its committer time in Git where Tarmac
 *       can (a Component's repository on the embedded Git server). Argo CD sets neither, but renders one with its
 *       build environment: a Kustomize {@code commonAnnotations} entry {@code platform.tarmac.dev/commit:
 *       ${ARGOCD_APP_REVISION}} (with {@code commonAnnotationsEnvsubst: true}), or a Helm value;</li>
 *   <li>{@value #OCI_CREATED}: the image's build time, an upper bound of the commit time (so lead time is
 *       underestimated by the build's duration), when an image label is copied to an annotation.</li>
 * </ol>
 */
public final class CommitTimes {

  /** A CI's annotation with the commit time. */
  public static final String COMMIT_TIME = "platform.tarmac.dev/commit-time";
  /** A commit SHA. */
  public static final String COMMIT = "platform.tarmac.dev/commit";
  /** The OCI image annotation/label with the source revision (a commit SHA). */
  public static final String OCI_REVISION = "org.opencontainers.image.revision";
  /** The OCI image annotation/label with the image's creation time. */
  public static final String OCI_CREATED = "org.opencontainers.image.created";

  private static final Pattern SHA = Pattern.compile("[0-9a-fA-F]{7,64}");

  /**
   * A commit time and the convention it came from ({@code annotation}, {@code git}, {@code image}).
   *
   * @param at the time
   * @param source the convention
   */
  public record CommitTime(Instant at, String source) {
  }

  private CommitTimes() {
  }

  /**
   * The commit time from {@code templateAnnotations}, else {@code workloadAnnotations}; empty when no convention
   * applies or a value does not parse (an unparseable time is not guessed at).
   *
   * @param resolveSha a commit SHA → its commit time, empty when unknown
   */
  public static Optional<CommitTime> of(Map<String, String> templateAnnotations,
      Map<String, String> workloadAnnotations, Function<String, Optional<Instant>> resolveSha) {
    for (Map<String, String> a : new Map[] {templateAnnotations, workloadAnnotations}) {
      if (a == null) {
        continue;
      }
      Optional<Instant> t = time(a.get(COMMIT_TIME));
      if (t.isPresent()) {
        return Optional.of(new CommitTime(t.get(), "annotation"));
      }
      for (String key : new String[] {COMMIT, OCI_REVISION}) {
        String sha = a.get(key);
        if (sha != null && SHA.matcher(sha.trim()).matches()) {
          Optional<Instant> resolved = resolveSha.apply(sha.trim().toLowerCase(java.util.Locale.ROOT));
          if (resolved.isPresent()) {
            return Optional.of(new CommitTime(resolved.get(), "git"));
          }
        }
      }
      t = time(a.get(OCI_CREATED));
      if (t.isPresent()) {
        return Optional.of(new CommitTime(t.get(), "image"));
      }
    }
    return Optional.empty();
  }

  /** An RFC 3339 time or seconds since the epoch; empty for null or anything else. */
  static Optional<Instant> time(String value) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    String v = value.trim();
    try {
      if (v.matches("\\d{9,11}")) {
        return Optional.of(Instant.ofEpochSecond(Long.parseLong(v)));
      }
      return Optional.of(OffsetDateTime.parse(v).toInstant());
    } catch (DateTimeParseException | NumberFormatException e) {
      return Optional.empty();
    }
  }
}
