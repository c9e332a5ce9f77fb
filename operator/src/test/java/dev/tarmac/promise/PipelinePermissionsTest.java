package dev.tarmac.promise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tarmac.api.Serialization;
import dev.tarmac.pipeline.Pipeline;
import dev.tarmac.pipeline.PipelineException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code rbac.permissions} become the Roles, ClusterRoles and bindings Kratix makes, owned by the Promise. */
class PipelinePermissionsTest {

  private static final PipelinePermissions.Owner OWNER = new PipelinePermissions.Owner("app-stack",
      "platform.kratix.io/v1alpha1", "Promise", "uid-1");

  private static Pipeline pipeline(String yaml) throws Exception {
    return Pipeline.parse(Serialization.YAML.readTree(yaml), "test");
  }

  /** The marketplace app-stack Promise's wait-for-dependencies Pipeline, plus a rule for one named namespace. */
  private static final String WAIT = """
      apiVersion: platform.kratix.io/v1alpha1
      kind: Pipeline
      metadata: {name: wait-for-dependencies}
      spec:
        containers: [{image: ghcr.io/syntasso/kratix-marketplace/app-stack-wait-for-dependencies:v0.1.0, name: w}]
        rbac:
          permissions:
          - apiGroups: [marketplace.kratix.io]
            resources: [postgresqls]
            verbs: [get, list]
          - apiGroups: [""]
            resourceNamespace: '*'
            resources: [secrets]
            verbs: [get]
          - apiGroups: [""]
            resourceNamespace: shared
            resources: [configmaps]
            resourceNames: [domains]
            verbs: [get]
      """;

  @Test
  void eachKindOfPermissionBecomesWhatKratixMakes() throws Exception {
    List<HasMetadata> objects = PipelinePermissions.objects(OWNER, "resource", "configure", pipeline(WAIT),
        "tarmac-pipeline-app-stack", "team-a");
    String base = "tarmac-app-stack-resource-configure-wait-for-dependencies";
    assertThat(objects).extracting(o -> o.getClass().getSimpleName() + " " + o.getMetadata().getNamespace() + "/"
        + o.getMetadata().getName()).containsExactly(
            "Role team-a/" + base,
            "RoleBinding team-a/" + base,
            "ClusterRole null/" + base + "-all-namespaces",
            "ClusterRoleBinding null/" + base + "-all-namespaces-team-a",
            "ClusterRole null/" + base + "-shared",
            "RoleBinding shared/" + base + "-team-a");
    Role role = (Role) objects.get(0);
    assertThat(role.getRules()).singleElement().satisfies(r -> {
      assertThat(r.getApiGroups()).containsExactly("marketplace.kratix.io");
      assertThat(r.getResources()).containsExactly("postgresqls");
      assertThat(r.getVerbs()).containsExactly("get", "list");
    });
    ClusterRole all = (ClusterRole) objects.get(2);
    assertThat(all.getRules()).singleElement().satisfies(r -> {
      assertThat(r.getResources()).containsExactly("secrets");
      assertThat(r.getVerbs()).containsExactly("get");
    });
    ClusterRoleBinding everywhere = (ClusterRoleBinding) objects.get(3);
    assertThat(everywhere.getRoleRef().getName()).isEqualTo(base + "-all-namespaces");
    assertThat(everywhere.getSubjects()).singleElement().satisfies(s -> {
      assertThat(s.getName()).isEqualTo("tarmac-pipeline-app-stack");
      assertThat(s.getNamespace()).isEqualTo("team-a");
    });
    RoleBinding inShared = (RoleBinding) objects.get(5);
    assertThat(inShared.getRoleRef().getKind()).isEqualTo("ClusterRole");
    assertThat(((ClusterRole) objects.get(4)).getRules().get(0).getResourceNames()).containsExactly("domains");
    for (HasMetadata o : objects) {
      assertThat(o.getMetadata().getOwnerReferences()).singleElement().satisfies(r -> {
        assertThat(r.getUid()).isEqualTo("uid-1");
        assertThat(r.getKind()).isEqualTo("Promise");
      });
      assertThat(o.getMetadata().getLabels()).containsEntry(PipelinePermissions.LABEL, "true")
          .containsEntry("platform.tarmac.dev/promise", "app-stack");
    }
  }

  @Test
  void aPipelineWithoutPermissionsGetsNothing() throws Exception {
    assertThat(PipelinePermissions.objects(OWNER, "resource", "configure", pipeline("""
        apiVersion: platform.kratix.io/v1alpha1
        kind: Pipeline
        metadata: {name: p}
        spec: {containers: [{image: x, name: x}], rbac: {}}
        """), "sa", "ns")).isEmpty();
  }

  @Test
  void aPermissionThatIsNotARuleIsRefusedWithWhatToChange() throws Exception {
    assertThatThrownBy(() -> PipelinePermissions.parse(pipeline("""
        apiVersion: platform.kratix.io/v1alpha1
        kind: Pipeline
        metadata: {name: p}
        spec:
          containers: [{image: x, name: x}]
          rbac: {permissions: [{apiGroups: [""], resources: [pods]}]}
        """))).isInstanceOf(PipelineException.class).hasMessageContaining("needs verbs and resources");
    assertThatThrownBy(() -> PipelinePermissions.parse(pipeline("""
        apiVersion: platform.kratix.io/v1alpha1
        kind: Pipeline
        metadata: {name: p}
        spec:
          containers: [{image: x, name: x}]
          rbac: {permissions: [{apiGroups: [""], resources: [pods], verbs: [get], resourceNamespace: "a/b"}]}
        """))).hasMessageContaining("resourceNamespace 'a/b'");
    assertThatThrownBy(() -> PipelinePermissions.parse(pipeline("""
        apiVersion: platform.kratix.io/v1alpha1
        kind: Pipeline
        metadata: {name: p}
        spec:
          containers: [{image: x, name: x}]
          rbac: {permissions: [{nonResourceURLs: [/metrics], verbs: [get], resources: [x]}]}
        """))).hasMessageContaining("nonResourceURLs");
  }
}
