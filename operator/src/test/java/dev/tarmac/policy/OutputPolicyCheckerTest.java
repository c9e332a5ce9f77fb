package dev.tarmac.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.OutputPolicy;
import dev.tarmac.api.Serialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutputPolicyCheckerTest {

  private static final OutputPolicyChecker CHECKER = new OutputPolicyChecker(new Scopes(Scopes.Resolver.NONE));
  private static final OutputPolicyChecker.Owner OWNER = owner("team-a", "web");

  static OutputPolicyChecker.Owner owner(String ns, String name) {
    JsonNode object = yaml("apiVersion: marketplace.tarmac.dev/v1alpha1\nkind: App\nmetadata: {name: " + name
        + ", namespace: " + ns + "}\nspec: {replicas: 2, team: blue}\n");
    return new OutputPolicyChecker.Owner("marketplace.tarmac.dev/v1alpha1", "App", ns, name, object);
  }

  static JsonNode yaml(String s) {
    try {
      return Serialization.YAML.readTree(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static OutputPolicy policy(String yaml) {
    return Serialization.JSON.convertValue(yaml(yaml), OutputPolicy.class);
  }

  static List<OutputPolicyChecker.Violation> check(OutputPolicy p, String... pathThenContent) {
    Map<String, String> files = new LinkedHashMap<>();
    for (int i = 0; i < pathThenContent.length; i += 2) {
      files.put(pathThenContent[i], pathThenContent[i + 1]);
    }
    return CHECKER.check(p, OWNER, files, Map.of());
  }

  static final String DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-a}\n"
      + "spec: {replicas: 2}\n";

  @Test
  void defaultPolicyAllowsNamespacedObjectsInTheRequestsNamespaceOrWithoutNamespace() {
    assertThat(check(null, "d.yaml", DEPLOYMENT, "s.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"))
        .isEmpty();
  }

  @Test
  void defaultPolicyRefusesClusterScopedKindsNamingFileObjectAndRule() {
    var v = check(null, "rbac/crb.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        + "metadata: {name: admin}\nroleRef: {kind: ClusterRole, name: cluster-admin}\n");
    assertThat(v).singleElement().satisfies(x -> {
      assertThat(x.file()).isEqualTo("rbac/crb.yaml");
      assertThat(x.kind()).isEqualTo("ClusterRoleBinding");
      assertThat(x.name()).isEqualTo("admin");
      assertThat(x.rule()).isEqualTo("allowClusterScoped");
      assertThat(x.describe()).contains("rbac/crb.yaml", "document 0", "ClusterRoleBinding admin",
          "allowClusterScoped");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1|Namespace", "v1|PersistentVolume", "v1|Node", "rbac.authorization.k8s.io/v1|ClusterRole",
      "apiextensions.k8s.io/v1|CustomResourceDefinition", "storage.k8s.io/v1|StorageClass",
      "scheduling.k8s.io/v1|PriorityClass", "admissionregistration.k8s.io/v1|ValidatingWebhookConfiguration",
      "admissionregistration.k8s.io/v1|MutatingWebhookConfiguration", "apiregistration.k8s.io/v1|APIService",
      "storage.k8s.io/v1|CSIDriver", "networking.k8s.io/v1|IngressClass", "node.k8s.io/v1|RuntimeClass",
      "cert-manager.io/v1|ClusterIssuer", "example.com/v1|ClusterThing"})
  void builtInClusterScopedKindsAreRefusedByDefaultEvenWithANamespace(String gvk) {
    String[] p = gvk.split("\\|");
    var v = check(null, "x.yaml", "apiVersion: " + p[0] + "\nkind: " + p[1] + "\nmetadata: {name: x, namespace:"
        + " team-a}\n");
    assertThat(v).extracting(OutputPolicyChecker.Violation::rule).containsExactly("allowClusterScoped");
  }

  @Test
  void clusterScopedAllowedWhenThePolicySaysSo() {
    assertThat(check(policy("allowClusterScoped: true"), "ns.yaml", "apiVersion: v1\nkind: Namespace\n"
        + "metadata: {name: team-a-dev}\n")).isEmpty();
  }

  @Test
  void resolverOverridesTheBuiltInList() {
    var checker = new OutputPolicyChecker(new Scopes((g, v, k) -> k.equals("Widget") ? Optional.of(true)
        : Optional.empty()));
    var v = checker.check(null, OWNER, Map.of("w.yaml", "apiVersion: example.com/v1\nkind: Widget\n"
        + "metadata: {name: w}\n"), Map.of());
    assertThat(v).extracting(OutputPolicyChecker.Violation::rule).containsExactly("allowClusterScoped");
    // A resolver that fails is ignored: the built-in list still decides.
    var failing = new OutputPolicyChecker(new Scopes((g, ver, k) -> {
      throw new IllegalStateException("discovery down");
    }));
    assertThat(failing.check(null, OWNER, Map.of("n.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n"),
        Map.of())).hasSize(1);
  }

  @Test
  void unknownKindWithoutNamespaceIsTakenAsNamespaced() {
    assertThat(check(null, "r.yaml", "apiVersion: databases.spotahome.com/v1\nkind: RedisFailover\n"
        + "metadata: {name: example}\n")).isEmpty();
    assertThat(check(null, "r.yaml", "apiVersion: databases.spotahome.com/v1\nkind: RedisFailover\n"
        + "metadata: {name: example, namespace: team-b}\n")).extracting(OutputPolicyChecker.Violation::rule)
        .containsExactly("allowedNamespaces");
  }

  @Test
  void namespaceOfAnotherTenantIsRefused() {
    var v = check(null, "d.yaml", DEPLOYMENT.replace("team-a", "team-b"));
    assertThat(v).singleElement().satisfies(x -> {
      assertThat(x.rule()).isEqualTo("allowedNamespaces");
      assertThat(x.namespace()).isEqualTo("team-b");
      assertThat(x.message()).contains("team-b", "team-a");
    });
  }

  @Test
  void allowedNamespacesListsOthersAndStarAllowsAny() {
    String other = DEPLOYMENT.replace("team-a", "shared");
    assertThat(check(policy("allowedNamespaces: [shared]"), "d.yaml", other)).isEmpty();
    // Listing namespaces replaces the default: the request's own must then be listed too.
    assertThat(check(policy("allowedNamespaces: [shared]"), "d.yaml", DEPLOYMENT)).hasSize(1);
    assertThat(check(policy("allowedNamespaces: ['*']"), "d.yaml", DEPLOYMENT.replace("team-a", "anything")))
        .isEmpty();
  }

  @Test
  void allowedKindsByGroupAndKindWithWildcards() {
    OutputPolicy p = policy("allowedKinds: [{apiGroups: [apps], kinds: [Deployment]}, {apiGroups: [''],"
        + " kinds: [Service, ConfigMap]}]");
    assertThat(check(p, "d.yaml", DEPLOYMENT)).isEmpty();
    assertThat(check(p, "s.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")).isEmpty();
    assertThat(check(p, "j.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n"))
        .extracting(OutputPolicyChecker.Violation::rule).containsExactly("allowedKinds");
    // Same kind name in another group is another kind.
    assertThat(check(p, "d.yaml", DEPLOYMENT.replace("apps/v1", "evil.example.com/v1"))).hasSize(1);
    assertThat(check(policy("allowedKinds: [{apiGroups: ['*'], kinds: [ConfigMap]}]"), "c.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")).isEmpty();
    assertThat(check(policy("allowedKinds: [{apiGroups: [apps], kinds: ['*']}]"), "d.yaml", DEPLOYMENT)).isEmpty();
    // No apiGroups: the core group only.
    OutputPolicy core = policy("allowedKinds: [{kinds: [ConfigMap]}]");
    assertThat(check(core, "c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")).isEmpty();
    assertThat(check(core, "c.yaml", "apiVersion: example.com/v1\nkind: ConfigMap\nmetadata: {name: c}\n"))
        .hasSize(1);
  }

  @Test
  void allowedKindsDoesNotLiftTheClusterScopeRule() {
    OutputPolicy p = policy("allowedKinds: [{apiGroups: [rbac.authorization.k8s.io], kinds: [ClusterRole]}]");
    assertThat(check(p, "c.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: c}\n"))
        .extracting(OutputPolicyChecker.Violation::rule).containsExactly("allowClusterScoped");
  }

  @Test
  void kustomizationsAreRefusedUnlessTheirGroupIsNamed() {
    String k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [https://evil/x]\n";
    assertThat(check(null, "sub/kustomization.yaml", k)).extracting(OutputPolicyChecker.Violation::rule)
        .containsExactly("allowedKinds");
    assertThat(check(policy("allowedKinds: [{apiGroups: ['*'], kinds: ['*']}]"), "k.yaml", k)).hasSize(1);
    assertThat(check(policy("allowedKinds: [{apiGroups: [kustomize.config.k8s.io], kinds: [Kustomization]}]"),
        "k.yaml", k)).isEmpty();
    // Without apiVersion and kind, as kustomize allows: not a Kubernetes object.
    assertThat(check(null, "sub/kustomization.yaml", "resources: [x.yaml]\n"))
        .extracting(OutputPolicyChecker.Violation::rule).containsExactly("object");
  }

  @Test
  void listItemsAreCheckedOneByOne() {
    String list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: ok}\n"
        + "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: smuggled}\n";
    var v = check(null, "list.yaml", list);
    assertThat(v).singleElement().satisfies(x -> {
      assertThat(x.document()).isEqualTo("document 0, items[1]");
      assertThat(x.name()).isEqualTo("smuggled");
    });
    // Any kind ending in List, nested Lists too.
    String nested = "apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n"
        + "  - {apiVersion: v1, kind: Namespace, metadata: {name: n}}\n";
    assertThat(check(null, "n.yaml", nested)).singleElement().extracting(OutputPolicyChecker.Violation::document)
        .isEqualTo("document 0, items[0], items[0]");
    assertThat(check(null, "bad.yaml", "apiVersion: v1\nkind: List\nitems: {a: b}\n")).hasSize(1);
  }

  @Test
  void listsNestedTooDeepAreRefused() {
    StringBuilder sb = new StringBuilder("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}");
    for (int i = 0; i < 6; i++) {
      sb.insert(0, "{apiVersion: v1, kind: List, items: [").append("]}");
    }
    assertThat(check(null, "deep.yaml", sb.toString())).singleElement().satisfies(x ->
        assertThat(x.message()).contains("nested"));
  }

  @Test
  void everyDocumentOfAMultiDocumentFileIsChecked() {
    String file = DEPLOYMENT + "---\n---\n" + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
        + "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: hidden}\n";
    assertThat(check(null, "all.yaml", file)).singleElement().satisfies(x -> {
      assertThat(x.document()).isEqualTo("document 3");
      assertThat(x.name()).isEqualTo("hidden");
    });
  }

  @Test
  void jsonFilesAreCheckedAndOtherFilesIgnoredButJsonnetRefused() {
    assertThat(check(null, "n.json", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"x\"}}"))
        .hasSize(1);
    assertThat(check(null, "README.md", "kind: Namespace\n")).isEmpty();
    assertThat(check(null, "x.YML", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")).hasSize(1);
    assertThat(check(null, "app.jsonnet", "{}")).extracting(OutputPolicyChecker.Violation::rule)
        .containsExactly("object");
  }

  @Test
  void notAnObjectOrInvalidYamlIsRefused() {
    // A top-level sequence: each element is read as a document, and neither is an object.
    assertThat(check(null, "a.yaml", "- a\n- b\n")).extracting(OutputPolicyChecker.Violation::rule)
        .containsExactly("object", "object");
    assertThat(check(null, "a.yaml", "just a string\n")).hasSize(1);
    assertThat(check(null, "a.yaml", "kind: [\n")).singleElement().satisfies(x ->
        assertThat(x.message()).contains("not valid YAML"));
    assertThat(check(null, "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: {a: b}}\n"))
        .hasSize(1);
    assertThat(check(null, "a.yaml", "apiVersion: v1\nkind: 7\nmetadata: {name: c}\n")).hasSize(1);
  }

  @Test
  void yamlThatGoReadsDifferentlyIsRefused() {
    // An alias: Jackson keeps "*m" unexpanded, Go's YAML expands it into metadata.namespace: team-b.
    assertThat(check(null, "alias.yaml", "x: &m {name: c, namespace: team-b}\napiVersion: v1\nkind: ConfigMap\n"
        + "metadata: *m\n")).singleElement().satisfies(x -> assertThat(x.message()).contains("alias"));
    // A merge key: Go's YAML merges the namespace in.
    assertThat(check(null, "merge.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  <<: {namespace: team-b}\n"
        + "  name: c\n")).singleElement().satisfies(x -> assertThat(x.message()).contains("merge key"));
    // Duplicate keys: which one wins depends on the parser.
    assertThat(check(null, "dup.yaml", "apiVersion: v1\nkind: ConfigMap\nkind: Namespace\nmetadata: {name: c}\n"))
        .singleElement().satisfies(x -> assertThat(x.message()).contains("Duplicate"));
    // A billion-laughs file is refused before it is expanded.
    assertThat(check(null, "bomb.yaml", "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n")).hasSize(1);
  }

  @Test
  void celRulesSeeObjectRequestAndParams() {
    OutputPolicy p = policy("validations:\n"
        + "- expression: \"object.kind != 'Deployment' || object.spec.replicas <= params.spec.replicas\"\n"
        + "  message: no more replicas than asked for\n"
        + "- expression: \"request.kind.group == 'apps' && request.kind.version == 'v1' && request.name == 'web'"
        + " && request.namespace == 'team-a' && request.operation == 'CREATE' && oldObject == null\"\n");
    assertThat(check(p, "d.yaml", DEPLOYMENT)).isEmpty();
    var v = check(p, "d.yaml", DEPLOYMENT.replace("replicas: 2", "replicas: 50"));
    assertThat(v).singleElement().satisfies(x -> {
      assertThat(x.rule()).isEqualTo("validations[0]");
      assertThat(x.message()).isEqualTo("no more replicas than asked for");
    });
  }

  @Test
  void celRuleFalseWithoutMessageNamesTheExpressionAndReason() {
    var v = check(policy("validations: [{expression: \"object.metadata.name.startsWith('team-')\", reason: Invalid}]"),
        "d.yaml", DEPLOYMENT);
    assertThat(v).singleElement().satisfies(x -> {
      assertThat(x.rule()).isEqualTo("validations[0] (Invalid)");
      assertThat(x.message()).contains("object.metadata.name.startsWith('team-')");
    });
  }

  @Test
  void messageExpressionIsUsedAndFallsBackToMessage() {
    var v = check(policy("validations: [{expression: 'false', message: plain,"
        + " messageExpression: \"'kind ' + object.kind + ' refused'\"}]"), "d.yaml", DEPLOYMENT);
    assertThat(v).singleElement().extracting(OutputPolicyChecker.Violation::message)
        .isEqualTo("kind Deployment refused");
    var fallback = check(policy("validations: [{expression: 'false', message: plain,"
        + " messageExpression: 'object.missing.field'}]"), "d.yaml", DEPLOYMENT);
    assertThat(fallback).singleElement().extracting(OutputPolicyChecker.Violation::message).isEqualTo("plain");
  }

  @Test
  void celRuleThatThrowsIsAViolation() {
    var v = check(policy("validations: [{expression: 'object.spec.template.spec.hostNetwork == false'}]"), "d.yaml",
        DEPLOYMENT);
    assertThat(v).singleElement().satisfies(x -> assertThat(x.message()).contains("the expression failed",
        "template"));
    // has() guards it, as in Kubernetes.
    assertThat(check(policy("validations: [{expression: '!has(object.spec.template) ||"
        + " !has(object.spec.template.spec.hostNetwork) || object.spec.template.spec.hostNetwork == false'}]"),
        "d.yaml", DEPLOYMENT)).isEmpty();
    assertThat(check(policy("validations: [{expression: 'object.spec.replicas / 0 == 1'}]"), "d.yaml", DEPLOYMENT))
        .hasSize(1);
  }

  @Test
  void celRuleThatIsNotABoolIsAViolation() {
    assertThat(check(policy("validations: [{expression: 'object.spec.replicas'}]"), "d.yaml", DEPLOYMENT))
        .singleElement().satisfies(x -> assertThat(x.message()).contains("not a bool"));
    assertThat(check(policy("validations: [{expression: 'object.metadata'}]"), "d.yaml", DEPLOYMENT)).hasSize(1);
  }

  @Test
  void jsonNullIsCelNull() {
    assertThat(check(policy("validations: [{expression: 'object.metadata.labels == null'}]"), "d.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: null}\n")).isEmpty();
  }

  @Test
  void celThatDoesNotCompileIsAPolicyProblemAndRefusesEveryObject() {
    OutputPolicy p = policy("validations: [{expression: 'object.kind =='}, {expression: 'true',"
        + " messageExpression: '1 +'}]");
    assertThat(OutputPolicyChecker.problems(p)).hasSize(2).first().asString()
        .contains("validations[0].expression does not compile");
    assertThat(check(p, "d.yaml", DEPLOYMENT)).singleElement().satisfies(x ->
        assertThat(x.message()).contains("does not compile"));
    assertThat(OutputPolicyChecker.problems(policy("validations: [{expression: ''}]"))).hasSize(1);
    assertThat(OutputPolicyChecker.problems(policy("allowedKinds: [{apiGroups: [apps]}]"))).hasSize(1);
    assertThat(OutputPolicyChecker.problems(null)).isEmpty();
    assertThat(OutputPolicyChecker.problems(policy("validations: [{expression: 'true'}]"))).isEmpty();
  }

  @Test
  void aCompositionWithAPolicyThatDoesNotCompileIsInvalid() {
    var c = Serialization.JSON.convertValue(yaml("""
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Composition
        metadata: {name: c}
        spec:
          compositeTypeRef: {apiVersion: platform.tarmac.dev/v1alpha1, kind: Database}
          target: Destinations
          resources: [{name: r, base: {apiVersion: v1, kind: ConfigMap}}]
          outputPolicy: {validations: [{expression: "object.kind == "}]}
        """), dev.tarmac.api.Composition.class);
    assertThat(dev.tarmac.Validation.composition(c)).singleElement().asString()
        .startsWith("spec.outputPolicy.validations[0].expression does not compile");
    c.getSpec().outputPolicy = null;
    assertThat(dev.tarmac.Validation.composition(c)).isEmpty();
  }

  @Test
  void tooLongExpressionDoesNotCompile() {
    String expr = "true" + " && true".repeat(1000);
    assertThat(OutputPolicyChecker.problems(policy("validations: [{expression: '" + expr + "'}]"))).hasSize(1);
  }

  @Test
  void expensiveCelIsBoundedAndFailsClosed() {
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      items.append(i == 0 ? "" : ", ").append(i);
    }
    String obj = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nspec: {l: [" + items + "]}\n";
    long start = System.nanoTime();
    var v = check(policy("validations: [{expression: 'object.spec.l.all(a, object.spec.l.all(b,"
        + " object.spec.l.all(c, a + b + c >= 0)))'}]"), "c.yaml", obj);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(v).singleElement().satisfies(x -> assertThat(x.message()).contains("budget"));
    assertThat(millis).isLessThan(5_000);
    // A single comprehension over more than its iteration limit is stopped too.
    assertThat(CelRules.MAX_ITERATIONS).isLessThan(CelRules.MAX_STEPS);
  }

  @Test
  void oldObjectAndOperationComeFromThePreviousOutput() {
    OutputPolicy p = policy("validations: [{expression: \"request.operation == 'CREATE' ||"
        + " object.spec.replicas >= oldObject.spec.replicas\", message: replicas may not shrink}]");
    assertThat(OutputPolicyChecker.needsPrevious(p)).isTrue();
    assertThat(OutputPolicyChecker.needsPrevious(policy("validations: [{expression: 'true'}]"))).isFalse();
    Map<String, String> previous = Map.of("old-name.yaml", "apiVersion: v1\nkind: List\nitems:\n- "
        + DEPLOYMENT.replace("\n", "\n  ").replace("replicas: 2", "replicas: 3"));
    var v = CHECKER.check(p, OWNER, Map.of("d.yaml", DEPLOYMENT), previous);
    assertThat(v).singleElement().extracting(OutputPolicyChecker.Violation::message)
        .isEqualTo("replicas may not shrink");
    assertThat(CHECKER.check(p, OWNER, Map.of("d.yaml", DEPLOYMENT), Map.of())).isEmpty();
    assertThat(CHECKER.check(p, OWNER, Map.of("d.yaml", DEPLOYMENT.replace("replicas: 2", "replicas: 4")), previous))
        .isEmpty();
  }

  @Test
  void oneObjectMayBreakSeveralRulesAndTheMessageIsCapped() {
    OutputPolicy p = policy("validations: [{expression: 'false', message: one}, {expression: 'false', message: two}]");
    var v = check(p, "d.yaml", DEPLOYMENT);
    assertThat(v).extracting(OutputPolicyChecker.Violation::message).containsExactly("one", "two");
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      many.append("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n").append(i).append("}\n");
    }
    var all = check(null, "many.yaml", many.toString());
    assertThat(all).hasSize(8);
    assertThat(OutputPolicyChecker.message(all)).contains("n0", "n4", "and 3 more").doesNotContain("n5");
  }

  @Test
  void compiledRulesAreCachedByContent() {
    OutputPolicy a = policy("validations: [{expression: 'true'}]");
    OutputPolicy b = policy("validations: [{expression: 'true'}]");
    assertThat(check(a, "d.yaml", DEPLOYMENT)).isEmpty();
    assertThat(check(b, "d.yaml", DEPLOYMENT)).isEmpty();
  }

  @Test
  void clusterScopedOwnerHasNoNamespaceOfItsOwn() {
    var owner = new OutputPolicyChecker.Owner("x/v1", "Thing", null, "t", yaml("{metadata: {name: t}}"));
    assertThat(CHECKER.check(null, owner, Map.of("d.yaml", DEPLOYMENT), Map.of()))
        .extracting(OutputPolicyChecker.Violation::rule).containsExactly("allowedNamespaces");
    assertThat(CHECKER.check(null, owner, Map.of("d.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        Map.of())).isEmpty();
  }

  @Test
  void terraformJsonIsNotAManifestButOtherJsonStillIs() {
    assertThat(check(null, "rds/main.tf.json", "{\"module\": {\"rds\": {\"source\": \"m\"}}}")).isEmpty();
    assertThat(check(null, "rds/other.json", "{\"module\": {\"rds\": {\"source\": \"m\"}}}")).hasSize(1);
  }
}
