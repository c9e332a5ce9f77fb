package dev.tarmac.component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.Events;
import dev.tarmac.StatusChange;
import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Database;
import dev.tarmac.api.Labels;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.render.RenderBudget;
import dev.tarmac.render.RenderLimits;
import dev.tarmac.render.TemplateLimitException;
import dev.tarmac.statestore.WorkRejectedException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reconciles a Component. Without {@code spec.template} it is a catalog entity only (Ready at once). With one it is
 * scaffolded once: its values are validated against the Template's parameter schema ({@code InvalidParameters},
 * errors by JSON pointer), every action is checked before anything runs ({@code InvalidTemplate}), then the steps run
 * in order and each result is recorded in {@code status.steps}. Steps with effects outside the operator
 * ({@code publish:git}, {@code tarmac:database}, {@code tarmac:request}) are never repeated once they succeeded; the
 * in-memory workspace steps ({@code fetch:template}) are recomputed on resume. A later change to the Template does
 * not rewrite the repository; a new value of annotation {@code platform.tarmac.dev/rescaffold} does, once: every step
 * runs again in order, the repository gets a new commit when the re-rendered files differ (none when they are the
 * same), and the value is recorded in {@code status.scaffoldToken} so the next reconcile does not run it again.
 *
 * <p>Failures: bad input (unknown action, parameters that break the schema, a Template over its limits) and a
 * Template that does not exist are conditions and Events, and the Component waits for a change — of itself, or of
 * the Template it names (watched). A step that failed for a passing reason (the API server, the embedded Git server)
 * is retried by the framework with {@link dev.tarmac.Retries}' backoff, {@code status.nextRetryTime} saying when.
 *
 * <p>Actions: {@code fetch:template} (render the skeleton with {@code input.values} as Backstage does, {@link Fetch};
 * the skeleton is {@code spec.skeleton}, a folder of it named by a relative {@code input.url}, or a Git URL),
 * {@code fetch:plain} (copy such files unrendered), {@code catalog:write} (an entity YAML into the workspace),
 * {@code publish:git} ({@code repoUrl} {@code tarmac.local?repo=<name>}: a new repository on the embedded Git server;
 * on a rescaffold, a commit on top; Backstage's {@code publish:github}, {@code publish:gitlab}... are this),
 * {@code catalog:register} ({@link BackstageRegistration}), {@code tarmac:database}
 * (a Database claim), {@code tarmac:request} (a request of any Promise), {@code debug:log}.
 */
// Generation-aware processing would drop the rescaffold annotation's change (metadata does not bump the
// generation), and JOSDK only ANDs a custom filter onto its own; so the filter below decides alone.
@ControllerConfiguration(name = "component", generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = ComponentReconciler.Changes.class))
public final class ComponentReconciler implements Reconciler<Component> {

  /** Annotation: a new value scaffolds again. */
  public static final String RESCAFFOLD = "platform.tarmac.dev/rescaffold";
  static final Set<String> ACTIONS = Set.of("fetch:template", "fetch:plain", "publish:git", "catalog:register",
      "catalog:write", "tarmac:database", "tarmac:request", "debug:log");
  /**
   * Backstage's publish actions, run as {@code publish:git} on the embedded Git server: the repository is
   * {@code repoUrl}'s {@code repo} (host and owner are not used; docs/templates.md).
   */
  static final Set<String> PUBLISH_ALIASES = Set.of("publish:github", "publish:gitlab", "publish:bitbucket",
      "publish:bitbucketCloud", "publish:bitbucketServer", "publish:azure", "publish:gitea", "publish:gerrit");

  /** The action Tarmac runs for {@code action}: a Backstage publish action is {@code publish:git}. */
  static String action(String action) {
    return PUBLISH_ALIASES.contains(action) ? "publish:git" : action;
  }

  /** The steps of a Template whose action Tarmac cannot run, as {@code step <id> uses action <action>}. Pure. */
  public static List<String> unsupported(List<JsonNode> steps) {
    List<String> out = new ArrayList<>();
    for (int i = 0; steps != null && i < steps.size(); i++) {
      String action = steps.get(i).path("action").asText();
      if (!action.isEmpty() && !ACTIONS.contains(action(action))) {
        out.add("step " + steps.get(i).path("id").asText(String.valueOf(i)) + " uses action '" + action
            + "', which Tarmac cannot run");
      }
    }
    return out;
  }

  private final KubernetesClient client;
  private final RepositoryPublisher publisher;
  private final Events events;
  private final java.util.function.Supplier<String> gitBaseUrl;
  private final Expressions expressions = new Expressions(RenderLimits.DEFAULT);
  /** How {@code catalog:register} writes objects: server-side apply; tests may record them instead. */
  BackstageRegistration.Applier applier = r -> client().resource(r).fieldManager("tarmac").forceConflicts()
      .serverSideApply();

  private KubernetesClient client() {
    return client;
  }

  /**
   * @param client the client
   * @param publisher writes repositories on the embedded Git server
   * @param events where Events go
   * @param gitBaseUrl how users reach the embedded Git server, e.g. {@code http://127.0.0.1:8080/git}
   */
  public ComponentReconciler(KubernetesClient client, RepositoryPublisher publisher, Events events,
      java.util.function.Supplier<String> gitBaseUrl) {
    this.client = client;
    this.publisher = publisher;
    this.events = events;
    this.gitBaseUrl = gitBaseUrl;
  }

  /**
   * Which updates of a Component reach the reconciler: a new generation (spec), the start of its deletion, or a
   * changed rescaffold annotation. Status writes (ours, the catalog's scorecards) and other metadata do not, so a
   * status patch does not wake the controller up again.
   */
  public static final class Changes implements OnUpdateFilter<Component> {
    @Override
    public boolean accept(Component now, Component old) {
      return !Objects.equals(now.getMetadata().getGeneration(), old.getMetadata().getGeneration())
          || now.isMarkedForDeletion() || !rescaffoldToken(now).equals(rescaffoldToken(old));
    }
  }

  /** The rescaffold annotation's value, {@code ""} when it is not set. */
  static String rescaffoldToken(Component component) {
    Map<String, String> annotations = component.getMetadata().getAnnotations();
    return annotations == null ? "" : annotations.getOrDefault(RESCAFFOLD, "");
  }

  /**
   * Templates wake the Components that name them: one applied (again) after a Component reported
   * {@code TemplateNotFound} or {@code RepositoryMissing} is used at once, with no polling. A Template's own status
   * (its validation) changes no generation and wakes nobody.
   */
  @Override
  public List<EventSource<?, Component>> prepareEventSources(EventSourceContext<Component> context) {
    var templates = InformerEventSourceConfiguration.from(Template.class, Component.class)
        .withItemStore(new dev.tarmac.LeanItemStore<>())
        .withOnUpdateFilter((now, old) -> !Objects.equals(now.getMetadata().getGeneration(),
            old.getMetadata().getGeneration()))
        .withSecondaryToPrimaryMapper(t -> context.getPrimaryCache().list(c -> c.getSpec() != null
                && c.getSpec().template != null && t.getMetadata().getName().equals(c.getSpec().template.name))
            .map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build();
    cache = dev.tarmac.SharedPrimaryCache.attach(context, Map.of());
    return List.of(new InformerEventSource<>(templates, context), cache.eventSource());
  }

  private volatile dev.tarmac.SharedPrimaryCache<Component> cache;

  /**
   * This controller's Component informer cache, for the catalog when both watch the same Components (one process,
   * no leader election, no shard): each Component is then held once (issue 17, figure 3).
   *
   * @throws IllegalStateException before the reconciler is registered
   */
  public dev.tarmac.SharedPrimaryCache<Component> cache() {
    return dev.tarmac.SharedPrimaryCache.registered(cache, "Component");
  }

  /** A reconcile that threw: condition, Event, {@code nextRetryTime} ({@link dev.tarmac.ErrorStatus}). */
  @Override
  public ErrorStatusUpdateControl<Component> updateErrorStatus(Component component, Context<Component> context,
      Exception e) {
    return dev.tarmac.ErrorStatus.update(component, context, e, events, java.time.Clock.systemUTC());
  }

  @Override
  public UpdateControl<Component> reconcile(Component component, Context<Component> context) {
    if (component.getStatus() == null) {
      component.setStatus(new Component.Status());
    }
    var before = StatusChange.snapshot(component);
    Component.Status status = component.getStatus();
    Long generation = component.getMetadata().getGeneration();
    status.observedGeneration = generation;
    // Set again by updateErrorStatus if this reconcile throws.
    status.nextRetryTime = null;
    Conditions.setTrue(status, Conditions.SYNCED, "ReconcileSuccess", "in the catalog", generation);
    if (component.getSpec().template == null) {
      Conditions.setTrue(status, Conditions.READY, "Registered", "a catalog entity", generation);
      return StatusChange.control(before, component);
    }
    String token = rescaffoldToken(component);
    // A new value asks for the scaffold again although Scaffolded is True: no step counts as done. The value is
    // recorded now, so a failed rescaffold resumes (Scaffolded is then False) instead of starting over each time.
    boolean rescaffold = !token.equals(status.scaffoldToken == null ? "" : status.scaffoldToken);
    if (rescaffold) {
      status.steps = new ArrayList<>();
      status.scaffoldToken = token;
    }
    String recreate = null;
    if (!rescaffold && Conditions.isTrue(status, "Scaffolded")) {
      String missing = missingRepository(status);
      if (missing == null) {
        Conditions.setTrue(status, Conditions.READY, "Scaffolded", "scaffolded into " + status.repositoryUrl,
            generation);
        return StatusChange.control(before, component);
      }
      // The repository is gone (a new or wiped data volume): render it again from the Template and the recorded
      // values, and publish it as a new repository; the steps with effects elsewhere stay done.
      String templateName = component.getSpec().template.name;
      if (client.resources(Template.class).withName(templateName).get() == null) {
        String message = "repository " + missing + " is missing from the embedded Git server (a new or wiped data"
            + " volume) and Template " + templateName + " no longer exists, so it cannot be re-created: apply"
            + " Template " + templateName + " again and it is re-created at once";
        Conditions.setFalse(status, Conditions.READY, "RepositoryMissing", message, generation);
        var control = StatusChange.control(before, component);
        if (control.isPatchStatus()) {
          events.warning(component, "RepositoryMissing", message);
        }
        // No retry: the Template watch (prepareEventSources) brings the Component back when it is applied.
        return control;
      }
      status.steps.removeIf(step -> "publish:git".equals(step.action));
      recreate = "Re-created from Template " + templateName + " and spec.template.values: repository " + missing
          + " was missing (a new or wiped data volume)";
    }
    // Every render of one scaffold shares a budget (total output and time, RenderLimits.DEFAULT); a template that
    // breaks it fails this Component (TemplateLimitExceeded), never the operator.
    try (RenderBudget budget = RenderBudget.open(RenderLimits.DEFAULT)) {
      scaffold(component, status, generation, recreate);
      if (recreate != null) {
        status.recreatedAt = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        Conditions.setTrue(status, "Scaffolded", "Recreated", recreate.replaceFirst("^Re-created", "re-created at "
            + status.recreatedAt) + "; its history before commit " + abbreviate(status.commit) + " is lost",
            generation);
      } else {
        Conditions.setTrue(status, "Scaffolded", "Scaffolded", "scaffolded from Template "
            + component.getSpec().template.name + "; later Template changes do not rewrite it until annotation "
            + RESCAFFOLD + " changes", generation);
      }
      Conditions.setTrue(status, Conditions.READY, "Scaffolded", "scaffolded into " + status.repositoryUrl,
          generation);
    } catch (ScaffoldException e) {
      Conditions.setFalse(status, "Scaffolded", e.reason, e.getMessage(), generation);
      if (e.retry) {
        // A passing failure: the framework retries with backoff; updateErrorStatus writes Synced, Ready,
        // nextRetryTime and the Event together with the step results recorded above.
        throw new dev.tarmac.ErrorStatus.RetryLater(e.reason, e.getMessage(), true);
      }
      Conditions.setFalse(status, Conditions.READY, e.reason, e.getMessage(), generation);
      var control = StatusChange.control(before, component);
      if (control.isPatchStatus()) {
        events.warning(component, e.reason, e.getMessage());
      }
      // Bad input: wait for a change of the Component or its Template.
      return control;
    }
    var control = StatusChange.control(before, component);
    if (control.isPatchStatus() && recreate != null) {
      events.warning(component, "RepositoryRecreated", recreate + "; published again at "
          + abbreviate(status.commit));
    } else if (control.isPatchStatus()) {
      events.normal(component, "Scaffolded", "scaffolded into " + status.repositoryUrl
          + (status.commit == null ? "" : " at " + status.commit) + (token.isEmpty() ? "" : " (" + RESCAFFOLD + "="
          + token + ")"));
    }
    return control;
  }

  private static String abbreviate(String commit) {
    return commit == null ? "(none)" : commit.substring(0, Math.min(7, commit.length()));
  }

  /**
   * The first repository a succeeded {@code publish:git} step wrote that the embedded Git server no longer has, as
   * its name; null when all are there.
   */
  private String missingRepository(Component.Status status) {
    for (Component.StepResult step : status.steps) {
      String url = step.output == null ? null : step.output.get("remoteUrl");
      if (!"publish:git".equals(step.action) || !"Succeeded".equals(step.phase) || url == null) {
        continue;
      }
      String repo = repositoryName(url);
      if (repo != null && !publisher.exists(repo)) {
        return repo;
      }
    }
    return null;
  }

  /** The repository name in a {@code publish:git} remote URL, {@code <base>/<name>.git}; null when it has none. */
  static String repositoryName(String remoteUrl) {
    int slash = remoteUrl.lastIndexOf('/');
    String last = remoteUrl.substring(slash + 1);
    String name = last.endsWith(".git") ? last.substring(0, last.length() - 4) : last;
    return name.isEmpty() ? null : name;
  }

  /** A scaffold that cannot finish now: reason, message, and whether a retry may help. */
  static final class ScaffoldException extends RuntimeException {
    final String reason;
    final boolean retry;

    ScaffoldException(String reason, String message, boolean retry) {
      super(message);
      this.reason = reason;
      this.retry = retry;
    }
  }

  private void scaffold(Component component, Component.Status status, Long generation, String recreate) {
    String templateName = component.getSpec().template.name;
    Template template = client.resources(Template.class).withName(templateName).get();
    if (template == null) {
      throw new ScaffoldException("TemplateNotFound", "Template " + templateName + " does not exist; list them with"
          + " `kubectl get templates`, or apply it: the Component is scaffolded as soon as it exists", false);
    }
    scaffold(component, status, template, recreate);
  }

  /**
   * Runs {@code template}'s steps for {@code component}, recording each in {@code status.steps}.
   *
   * @throws ScaffoldException when a step fails or the Template or the values are bad
   */
  void scaffold(Component component, Component.Status status, Template template, String recreate) {
    String templateName = template.getMetadata().getName();
    List<JsonNode> steps = template.getSpec().steps == null ? List.of() : template.getSpec().steps;
    for (int i = 0; i < steps.size(); i++) {
      String action = action(steps.get(i).path("action").asText());
      if (!ACTIONS.contains(action)) {
        throw new ScaffoldException("InvalidTemplate", "step " + steps.get(i).path("id").asText(String.valueOf(i))
            + " uses unknown action '" + action + "' (known: " + new java.util.TreeSet<>(ACTIONS) + ")", false);
      }
    }
    ObjectNode schema = ParameterSchema.merge(template.getSpec().parameters);
    ObjectNode values = ParameterSchema.withDefaults(schema, component.getSpec().template.values);
    List<String> problems = ParameterSchema.validate(schema, values);
    if (!problems.isEmpty()) {
      throw new ScaffoldException("InvalidParameters", String.join("; ", problems), false);
    }
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("parameters", Expressions.plain(values));
    Map<String, Object> stepOutputs = new LinkedHashMap<>();
    context.put("steps", stepOutputs);
    context.put("component", Expressions.plain(Serialization.JSON.valueToTree(component.getMetadata())));
    Map<String, RepositoryPublisher.File> workspace = new TreeMap<>();
    // A commit recorded by an earlier scaffold makes this a rescaffold: the Template's gitCommitMessage is meant for
    // the initial commit, so a commit on top says why it was made instead.
    String rescaffoldMessage = recreate != null ? recreate : status.commit == null ? null : "Rescaffolded from Template " + templateName + " ("
        + (status.scaffoldToken == null || status.scaffoldToken.isEmpty() ? "annotation " + RESCAFFOLD + " removed"
        : RESCAFFOLD + ": " + status.scaffoldToken) + ")";
    Map<String, Component.StepResult> previous = new LinkedHashMap<>();
    status.steps.forEach(s -> previous.put(s.id, s));
    List<Component.StepResult> results = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      JsonNode step = steps.get(i);
      String id = step.path("id").asText("step-" + i);
      String action = action(step.path("action").asText());
      Component.StepResult prev = previous.get(id);
      Component.StepResult result = new Component.StepResult();
      result.id = id;
      result.action = action;
      try {
        if (step.has("if") && !truthy(expressions.render(step.get("if"), context))) {
          result.phase = "Skipped";
          result.message = "its if: condition is false";
        } else if (prev != null && "Succeeded".equals(prev.phase) && !WORKSPACE_ACTIONS.contains(action)) {
          result = prev;
        } else {
          JsonNode input = expressions.render(step.path("input"), context);
          result.output = run(action, input, component, template, workspace, context, rescaffoldMessage);
          result.phase = "Succeeded";
        }
      } catch (TemplateLimitException | InvalidSkeletonException e) {
        result.phase = "Failed";
        result.message = e.getMessage();
        results.add(result);
        status.steps = results;
        String reason = e instanceof InvalidSkeletonException ? "InvalidSkeleton" : "TemplateLimitExceeded";
        throw new ScaffoldException(reason, "step " + id + " (" + action + ") failed: " + e.getMessage(), false);
      } catch (IllegalArgumentException | IllegalStateException | WorkRejectedException e) {
        result.phase = "Failed";
        result.message = e.getMessage();
        results.add(result);
        status.steps = results;
        throw new ScaffoldException("StepFailed", "step " + id + " (" + action + ") failed: " + e.getMessage(),
            e instanceof IllegalStateException);
      } catch (KubernetesClientException | java.io.IOException e) {
        result.phase = "Failed";
        result.message = e.getMessage();
        results.add(result);
        status.steps = results;
        throw new ScaffoldException("StepFailed", "step " + id + " (" + action + ") failed: " + e.getMessage(),
            true);
      }
      stepOutputs.put(id, Map.of("output", result.output == null ? Map.of() : result.output));
      results.add(result);
      if (result.output != null && result.output.containsKey("remoteUrl")) {
        status.repositoryUrl = result.output.get("remoteUrl");
        status.commit = result.output.get("commit");
      }
    }
    status.steps = results;
    status.links = new ArrayList<>();
    JsonNode output;
    try {
      output = template.getSpec().output == null ? null : expressions.render(template.getSpec().output, context);
    } catch (TemplateLimitException e) {
      throw new ScaffoldException("TemplateLimitExceeded", "output: " + e.getMessage(), false);
    } catch (IllegalArgumentException e) {
      throw new ScaffoldException("InvalidTemplate", "output: " + e.getMessage(), false);
    }
    if (output != null) {
      for (JsonNode l : output.path("links")) {
        Component.Link link = new Component.Link();
        link.title = l.path("title").asText(null);
        link.url = l.path("url").asText(null);
        status.links.add(link);
      }
    }
  }

  /** Steps that only build the in-memory workspace: run again on every resume, as the workspace is not kept. */
  private static final Set<String> WORKSPACE_ACTIONS = Set.of("fetch:template", "fetch:plain", "catalog:write");

  /**
   * The files a {@code fetch:*} step reads. Without {@code input.url}: the Template's skeleton ({@code skeleton.files}
   * or {@code skeleton.git}). A relative {@code url} ({@code ./skeleton}) is a folder next to the template, as in
   * Backstage: of {@code skeleton.git} (joined to its {@code path}), or the inline files under that folder. An absolute
   * {@code http(s)://}, {@code git://} or {@code ssh://} URL is a Git repository read with JGit
   * ({@link GitSkeleton#location}); {@code file:} URLs and paths are refused here (the Template's own
   * {@code skeleton.git.url}, written by whoever may write Templates, may be one).
   */
  private static Map<String, RepositoryPublisher.File> skeleton(JsonNode input, Template template) {
    JsonNode spec = template.getSpec().skeleton;
    JsonNode inline = spec == null ? null : spec.path("files");
    boolean hasInline = inline != null && inline.isObject() && !inline.isEmpty();
    boolean hasGit = spec != null && spec.has("git");
    String url = input.path("url").asText("");
    if (url.isEmpty()) {
      if (hasInline) {
        return Skeleton.inline(inline);
      }
      if (hasGit) {
        return GitSkeleton.read(spec.get("git"));
      }
      throw new IllegalArgumentException("the Template has no skeleton.files (or skeleton.git) to render");
    }
    if (!Fetch.isRelative(url)) {
      // A step's url is rendered with the Component's values: only remote Git URLs, never the operator's own disk
      // (file: or a path would read another Component's repository from the embedded Git server's data).
      if (!url.matches("(?i)^(https?|git|ssh)://.+")) {
        throw new IllegalArgumentException("url " + Skeleton.printable(url) + " is neither relative to the template"
            + " (./skeleton) nor an http(s)://, git:// or ssh:// Git URL; file: URLs and paths are refused");
      }
      GitSkeleton.Location at = GitSkeleton.location(url);
      return GitSkeleton.read(at.url(), at.ref(), at.path());
    }
    if (hasGit) {
      JsonNode git = spec.get("git");
      String base = git.path("path").asText(".").replaceAll("^(\\./)+|/+$", "");
      return GitSkeleton.read(git.path("url").asText(""), git.hasNonNull("ref") ? git.get("ref").asText() : null,
          Fetch.join(base.equals(".") ? "" : base, url));
    }
    if (hasInline) {
      String prefix = Fetch.join("", url);
      Map<String, RepositoryPublisher.File> all = Skeleton.inline(inline);
      if (prefix.isEmpty()) {
        return all;
      }
      Map<String, RepositoryPublisher.File> under = new LinkedHashMap<>();
      all.forEach((k, v) -> {
        if (k.startsWith(prefix + "/")) {
          under.put(k.substring(prefix.length() + 1), v);
        }
      });
      if (under.isEmpty()) {
        throw new IllegalArgumentException("url " + url + ": the Template's skeleton.files has no file under "
            + prefix + "/ (import the template with `tarmac import template DIR` to store its folders in Git)");
      }
      return under;
    }
    throw new IllegalArgumentException("url " + url + " is relative to the template, but the Template has no"
        + " skeleton.git holding its folder: import it with `tarmac import template DIR`");
  }

  private static boolean truthy(JsonNode v) {
    return v != null && !v.isNull() && !(v.isBoolean() && !v.asBoolean()) && !v.asText().isEmpty()
        && !v.asText().equals("false");
  }

  private Map<String, String> run(String action, JsonNode input, Component component, Template template,
      Map<String, RepositoryPublisher.File> workspace, Map<String, Object> context, String rescaffoldMessage)
      throws java.io.IOException {
    Map<String, String> out = new LinkedHashMap<>();
    switch (action) {
      case "fetch:template" -> {
        Map<String, Object> values = new LinkedHashMap<>(context);
        values.put("values", Expressions.plain(input.path("values")));
        Map<String, RepositoryPublisher.File> skeleton = skeleton(input, template);
        int n = Fetch.template(skeleton, input, (text, what) -> expressions.renderString(text, values, what),
            workspace);
        out.put("files", String.valueOf(n));
      }
      case "fetch:plain" -> out.put("files", String.valueOf(Fetch.plain(skeleton(input, template), input,
          workspace)));
      case "catalog:write" -> {
        String path = Skeleton.checkPath(input.path("filePath").asText("catalog-info.yaml")
            .replaceAll("^(\\./)+", ""), "catalog:write filePath");
        workspace.put(path, RepositoryPublisher.File.text(Serialization.YAML.writeValueAsString(input.path("entity"))
            .replaceFirst("^---\\n", "")));
        out.put("filePath", path);
      }
      case "publish:git" -> {
        String repoUrl = input.path("repoUrl").asText("");
        int q = repoUrl.indexOf("repo=");
        String repo = q < 0 ? "" : repoUrl.substring(q + 5).split("&")[0];
        if (repo.isEmpty()) {
          throw new IllegalArgumentException("input.repoUrl must name the repository, e.g. tarmac.local?repo=my-service");
        }
        String message = rescaffoldMessage != null ? rescaffoldMessage
            : input.path("gitCommitMessage").asText("Scaffolded from Template " + template.getMetadata().getName());
        var published = publisher.publish(repo, input.path("defaultBranch").asText("main"), workspace, message,
            component.getMetadata().getUid());
        out.put("remoteUrl", gitBaseUrl.get() + "/" + repo + ".git");
        out.put("repoContentsUrl", gitBaseUrl.get() + "/" + repo + ".git");
        out.put("commit", published.commit());
      }
      case "catalog:register" -> out.putAll(BackstageRegistration.register(applier, component, input, workspace));
      case "tarmac:database" -> {
        ObjectNode db = Serialization.JSON.createObjectNode();
        db.put("apiVersion", "platform.tarmac.dev/v1alpha1").put("kind", "Database");
        db.putObject("metadata").put("name", input.path("name").asText(component.getMetadata().getName() + "-db"))
            .put("namespace", component.getMetadata().getNamespace()).putObject("labels")
            .put(Labels.MANAGED_BY, "tarmac").put("platform.tarmac.dev/component", component.getMetadata().getName());
        ObjectNode spec = input.deepCopy();
        spec.remove("name");
        db.set("spec", spec);
        Database d = Serialization.JSON.treeToValue(db, Database.class);
        client.resource(d).fieldManager("tarmac").forceConflicts().serverSideApply();
        out.put("name", d.getMetadata().getName());
      }
      case "tarmac:request" -> {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(input.path("apiVersion").asText());
        r.setKind(input.path("kind").asText());
        r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(input.path("name").asText(component.getMetadata().getName()))
            .withNamespace(component.getMetadata().getNamespace()).build());
        r.setAdditionalProperty("spec", Serialization.JSON.convertValue(input.path("spec"), Map.class));
        client.resource(r).fieldManager("tarmac").forceConflicts().serverSideApply();
        out.put("name", r.getMetadata().getName());
      }
      case "debug:log" -> out.put("message", input.path("message").asText());
      default -> throw new IllegalArgumentException("unknown action " + action);
    }
    return out;
  }
}
