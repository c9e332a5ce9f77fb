package dev.tarmac.trace;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TraceRendererTest {

  @Test
  void rendersATreeWithStatusReasonAndMessage() {
    TraceNode root = TraceNode.of("Database", "payments", "payments-db");
    root.status = "False";
    root.reason = "PipelineFailed";
    TraceNode pipeline = root.add(TraceNode.of("Pipeline", null, "instance"));
    pipeline.status = "Failed";
    pipeline.detail = "attempts=2";
    TraceNode job = pipeline.add(TraceNode.of("Job", "tarmac-system", "payments-db-instance-1a2b"));
    job.status = "Failed";
    job.message = "step render exited 2: template not found";
    TraceNode work = root.add(TraceNode.of("Work", "payments", "payments-db-instance"));
    work.add(TraceNode.of("Destination", null, "dev")).add(TraceNode.of("Commit", null, "abc123"));

    assertThat(TraceRenderer.text(root)).isEqualTo("""
        Database payments/payments-db  [False: PipelineFailed]
        ├─ Pipeline instance  [Failed]  attempts=2
        │  └─ Job tarmac-system/payments-db-instance-1a2b  [Failed]  — step render exited 2: template not found
        └─ Work payments/payments-db-instance
           └─ Destination dev
              └─ Commit abc123
        """);
    assertThat(root.failing()).isTrue();
    assertThat(work.failing()).isFalse();
  }
}
