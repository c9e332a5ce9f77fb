package dev.tarmac.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Counting pipeline runs and Jobs from the API server's audit events. */
class AuditLogTest {

  static String work(String verb, String name, String hash, int code, String subresource) {
    return "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Request\",\"stage\":\"ResponseComplete\","
        + "\"verb\":\"" + verb + "\",\"objectRef\":{\"resource\":\"works\",\"namespace\":\"chaos\",\"name\":\"" + name
        + "\",\"apiGroup\":\"platform.tarmac.dev\"" + (subresource == null ? "" : ",\"subresource\":\"" + subresource
        + "\"") + "},\"responseStatus\":{\"metadata\":{},\"code\":" + code + "},\"requestObject\":{\"apiVersion\":"
        + "\"platform.tarmac.dev/v1alpha1\",\"kind\":\"Work\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{"
        + "\"platform.tarmac.dev/spec-hash\":\"" + hash + "\"}},\"spec\":{\"files\":[]}}}";
  }

  static String job(String uid, String hash) {
    return "{\"kind\":\"Event\",\"verb\":\"create\",\"objectRef\":{\"resource\":\"jobs\",\"namespace\":\"chaos-system\","
        + "\"name\":\"j\",\"apiGroup\":\"batch\"},\"responseStatus\":{\"code\":201},\"requestObject\":{\"metadata\":"
        + "{\"labels\":{\"platform.tarmac.dev/owner-uid\":\"" + uid + "\",\"platform.tarmac.dev/pipeline\":\"render\","
        + "\"platform.tarmac.dev/spec-hash\":\"" + hash + "\"}}}}";
  }

  @Test
  void aWorkWrittenTwiceForOneSpecHashIsOneRepeatedRun() {
    String log = String.join("\n",
        work("patch", "c1-cache-render", "h1", 201, null),
        work("patch", "c1-cache-render", "h2", 200, null),
        work("patch", "c2-cache-render", "h1", 201, null),
        work("patch", "c2-cache-render", "h1", 200, null),
        // Not runs: a status write, a refused write, a truncated last line.
        work("patch", "c1-cache-render", "h2", 200, "status"),
        work("patch", "c1-cache-render", "h2", 409, null),
        "{\"kind\":\"Event\",\"verb\":\"pa");
    AuditLog.Counts c = AuditLog.count(log);
    assertThat(c.runs()).isEqualTo(3);
    assertThat(c.duplicateRuns()).isEqualTo(1);
    assertThat(c.examples(5)).isEqualTo("[chaos/c2-cache-render h1 x2]");
    assertThat(c.jobs()).isZero();
  }

  @Test
  void twoJobsForOneOwnerPipelineAndHashAreADuplicate() {
    AuditLog.Counts c = AuditLog.count(String.join("\n", job("u1", "h1"), job("u1", "h1"), job("u1", "h2"),
        job("u2", "h1")));
    assertThat(c.jobs()).isEqualTo(4);
    assertThat(c.duplicateJobs()).isEqualTo(1);
  }
}
