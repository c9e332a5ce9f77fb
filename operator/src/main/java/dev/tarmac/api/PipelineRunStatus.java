package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The state of one pipeline of an object's workflow, as shown in {@code status.pipelines[]}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PipelineRunStatus {
  @JsonPropertyDescription("Pipeline name (metadata.name of the Pipeline).")
  public String name;
  @JsonPropertyDescription("Pending, Running, Succeeded or Failed.")
  public String phase;
  @JsonPropertyDescription("Attempts made for the current spec hash.")
  public Integer attempts;
  @JsonPropertyDescription("Spec hash the last run was for.")
  public String specHash;
  @JsonPropertyDescription("When the last run started (RFC 3339).")
  public String lastRunTime;
  @JsonPropertyDescription("When the next attempt after a failure is due (RFC 3339).")
  public String nextAttemptTime;
  @JsonPropertyDescription("The Job of the last run; empty for built-in steps.")
  public String jobName;
  @JsonPropertyDescription("The Work the last run produced.")
  public String workName;
  @JsonPropertyDescription("Why the last run failed.")
  public String message;
  @JsonPropertyDescription("The reason of the last failure (PipelineFailed, InvalidOutput), kept while the next attempt"
      + " waits.")
  public String reason;
}
