package dev.tarmac.policy;

import dev.tarmac.pipeline.WorkflowRunner;
import java.util.Map;

/** Checks a run's output before it becomes a Work; {@link #NONE} checks nothing. */
@FunctionalInterface
public interface OutputGuard {

  /**
   * @param owner the object the run is for
   * @param workName the Work the output would become (its current content is the previous output)
   * @param files the output, path → content
   * @throws OutputNotAllowedException when the output may not be written
   */
  void check(WorkflowRunner.Owner owner, String workName, Map<String, String> files);

  /** No check. */
  OutputGuard NONE = (owner, workName, files) -> { };
}
