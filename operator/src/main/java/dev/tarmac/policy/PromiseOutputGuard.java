package dev.tarmac.policy;

import dev.tarmac.api.OutputPolicy;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Work;
import dev.tarmac.pipeline.WorkflowRunner;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The output guard of Promise requests: checks the output of every {@code resource} workflow run against its
 * Promise's {@code spec.outputPolicy} (the defaults when absent). Promise-level workflows and
 * {@code spec.dependencies} are written by the platform team itself and are not checked.
 */
public final class PromiseOutputGuard implements OutputGuard {

  private final Function<String, Optional<Promise>> promises;
  private final KubernetesClient client;
  private final OutputPolicyChecker checker;

  /**
   * @param promises the Promise of a name (the runtime's cache)
   * @param client reads the previous Work when a rule needs {@code oldObject}
   * @param scopes decides which kinds are cluster-scoped
   */
  public PromiseOutputGuard(Function<String, Optional<Promise>> promises, KubernetesClient client, Scopes scopes) {
    this.promises = promises;
    this.client = client;
    this.checker = new OutputPolicyChecker(scopes);
  }

  @Override
  public void check(WorkflowRunner.Owner owner, String workName, Map<String, String> files) {
    if (!"resource".equals(owner.workflowType())) {
      return;
    }
    OutputPolicy policy = promises.apply(owner.promise()).map(p -> p.getSpec() == null ? null
        : p.getSpec().outputPolicy).orElse(null);
    String source = "Promise " + owner.promise();
    check(checker, policy, source, new OutputPolicyChecker.Owner(owner.apiVersion(), owner.kind(), owner.namespace(),
        owner.name(), owner.object()), files, () -> previous(owner.jobNamespace(), workName));
  }

  /**
   * Checks {@code files} and throws when anything is refused.
   *
   * @param source names the policy's object for the message ({@code Promise redis}, {@code Composition x})
   * @param previous reads the previous output; called only when a rule needs it
   * @throws OutputNotAllowedException naming each file, object and rule, or the policy's own problems
   */
  public static void check(OutputPolicyChecker checker, OutputPolicy policy, String source,
      OutputPolicyChecker.Owner owner, Map<String, String> files,
      java.util.function.Supplier<Map<String, String>> previous) {
    List<String> problems = OutputPolicyChecker.problems(policy);
    if (!problems.isEmpty()) {
      throw new OutputNotAllowedException("the outputPolicy of " + source + " cannot be used, so no output is"
          + " written: " + String.join("; ", problems) + " (the platform team must fix the policy)", List.of());
    }
    Map<String, String> old = OutputPolicyChecker.needsPrevious(policy) ? previous.get() : Map.of();
    List<OutputPolicyChecker.Violation> violations = checker.check(policy, owner, files, old);
    if (!violations.isEmpty()) {
      throw new OutputNotAllowedException("the outputPolicy of " + source + " refuses " + violations.size()
          + " object(s), so nothing of this run is written: " + OutputPolicyChecker.message(violations)
          + ". Change the request so its output fits, or ask the platform team to allow it", violations);
    }
  }

  private Map<String, String> previous(String namespace, String workName) {
    Work w = client.resources(Work.class).inNamespace(namespace).withName(workName).get();
    Map<String, String> files = new LinkedHashMap<>();
    if (w != null && w.getSpec() != null && w.getSpec().files != null) {
      w.getSpec().files.forEach(f -> files.put(f.path, f.content == null ? "" : f.content));
    }
    return files;
  }
}
