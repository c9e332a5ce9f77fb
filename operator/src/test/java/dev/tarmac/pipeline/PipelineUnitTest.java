package dev.tarmac.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import dev.tarmac.statestore.StateStoreLayout;
import dev.tarmac.testing.RepoPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineUnitTest {

  @TempDir
  Path tmp;

  static JsonNode yaml(String s) throws Exception {
    return Serialization.YAML.readTree(s);
  }

  @Test
  void parsesKratixPipelinesFromTheCorpusAsTheyAre() throws Exception {
    JsonNode promise = Serialization.YAML.readTree(RepoPaths.corpus().resolve("kratix/redis-promise.yaml").toFile());
    Pipeline p = Pipeline.parse(promise.path("spec").path("workflows").path("resource").path("configure").get(0),
        "redis");
    assertThat(p.name()).isEqualTo("instance-configure");
    assertThat(p.steps()).singleElement().satisfies(s -> {
      assertThat(s.image()).isEqualTo("ghcr.io/syntasso/kratix-marketplace/redis-configure-pipeline:v0.1.0");
      assertThat(s.builtIn()).isFalse();
    });
    assertThat(p.builtInOnly()).isFalse();
  }

  @Test
  void refusesWhatIsNotAPipelineWithAMessage() throws Exception {
    assertThatThrownBy(() -> Pipeline.parse(yaml("{apiVersion: v1, kind: Pod}"), "workflows[0]"))
        .isInstanceOf(PipelineException.class).hasMessageContaining("must be kind Pipeline");
    assertThatThrownBy(() -> Pipeline.parse(yaml(
        "{apiVersion: platform.kratix.io/v1alpha1, kind: Pipeline, metadata: {name: x}, spec: {}}"), "w"))
        .hasMessageContaining("has no spec.containers");
  }

  @Test
  void jobNamesAreDnsLabelsAndRetriesGetTheirOwn() throws Exception {
    Pipeline p = Pipeline.parse(yaml("{apiVersion: platform.tarmac.dev/v1alpha1, kind: Pipeline, metadata: {name: "
        + "instance-configure}, spec: {containers: [{name: a, image: x}]}}"), "p");
    var run = new PipelineJobBuilder.Run(p, "redis", "resource", "configure", "v1", "Redis", "ns",
        "a-very-long-request-name-that-goes-on-and-on-and-on", "uid", "0123456789abcdef", "ns", "sa", "cm", "w");
    String name = PipelineJobBuilder.jobName(run);
    assertThat(name).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").endsWith("-01234567");
    var retry = new PipelineJobBuilder.Run(p, "redis", "resource", "configure", "v1", "Redis", "ns", "r", "uid",
        "0123456789abcdef-2", "ns", "sa", "cm", "w");
    assertThat(PipelineJobBuilder.jobName(retry)).isEqualTo("r-redis-instance-configure-01234567-2");
  }

  @Test
  void requestsOfTwoPromisesWithOneNameAndPipelineGetWorksAndJobsOfTheirOwn() throws Exception {
    // The shipped postgresql and postgresqlinstance Promises both run a pipeline named compose.
    assertThat(WorkflowRunner.workName("payments-db", "PostgreSQL", "compose", "configure"))
        .isEqualTo("payments-db-postgresql-compose")
        .isNotEqualTo(WorkflowRunner.workName("payments-db", "PostgreSQLInstance", "compose", "configure"));
    Pipeline p = Pipeline.parse(yaml("{apiVersion: platform.tarmac.dev/v1alpha1, kind: Pipeline, metadata: {name: "
        + "compose}, spec: {containers: [{name: a, image: x}]}}"), "p");
    var a = new PipelineJobBuilder.Run(p, "postgresql", "resource", "configure", "v1", "PostgreSQL", "ns", "db",
        "uid-a", "0123456789abcdef", "ns", "sa", "cm", "w");
    var b = new PipelineJobBuilder.Run(p, "postgresqlinstance", "resource", "configure", "v1", "PostgreSQLInstance",
        "ns", "db", "uid-b", "0123456789abcdef", "ns", "sa", "cm", "w");
    assertThat(PipelineJobBuilder.jobName(a)).isNotEqualTo(PipelineJobBuilder.jobName(b));
  }

  @Test
  void aKratixPipelineBecomesAJobWithWhatItsAuthorWroteUnderTheRestrictedProfile() throws Exception {
    Pipeline p = Pipeline.parse(yaml("""
        apiVersion: platform.kratix.io/v1alpha1
        kind: Pipeline
        metadata: {name: instance-configure}
        spec:
          imagePullSecrets: [{name: registry}]
          volumes: [{name: templates, configMap: {name: redis-templates}}]
          containers:
            - name: render
              image: ghcr.io/example/redis-configure:v1
              imagePullPolicy: Always
              envFrom: [{secretRef: {name: cloud-credentials}}]
              env:
                - {name: REGION, value: eu-west-1}
                - name: TOKEN
                  valueFrom: {secretKeyRef: {name: api, key: token}}
              volumeMounts: [{name: templates, mountPath: /templates}]
              resources: {limits: {memory: 1Gi}}
              securityContext: {privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: true}
        """), "p");
    var run = new PipelineJobBuilder.Run(p, "redis", "resource", "configure", "marketplace.kratix.io/v1alpha1",
        "redis", "ns", "example", "uid-1", "0123456789abcdef", "ns", "tarmac-pipeline-redis", "example-input",
        "example-redis-instance-configure");
    var job = new PipelineJobBuilder(new PipelineJobBuilder.Settings("ghcr.io/tarmac-dev/tarmac:test", 600)).build(run);
    var pod = job.getSpec().getTemplate().getSpec();
    var c = pod.getInitContainers().get(0);
    assertThat(c.getImagePullPolicy()).isEqualTo("Always");
    assertThat(c.getEnvFrom().get(0).getSecretRef().getName()).isEqualTo("cloud-credentials");
    assertThat(c.getEnv()).filteredOn(e -> e.getValueFrom() != null).singleElement()
        .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token"));
    assertThat(c.getEnv()).extracting(e -> e.getName()).contains("REGION", "KRATIX_PROMISE_NAME");
    assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/templates", "/kratix/input",
        "/kratix/output", "/kratix/metadata", "/tarmac/output");
    assertThat(c.getResources().getLimits().get("memory").toString()).isEqualTo("1Gi");
    assertThat(c.getSecurityContext().getPrivileged()).isNull();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getVolumes()).extracting(v -> v.getName()).containsExactly("input", "output", "metadata",
        "templates");
    assertThat(pod.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("registry");
    assertThat(pod.getServiceAccountName()).isEqualTo("tarmac-pipeline-redis");
    assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(600);
    assertThat(job.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getUid()).isEqualTo("uid-1");
      assertThat(o.getKind()).isEqualTo("redis");
      assertThat(o.getBlockOwnerDeletion()).isFalse();
    });
    assertThat(pod.getContainers()).singleElement().satisfies(x -> assertThat(x.getArgs())
        .containsExactly("pipeline", "collect"));
  }

  @Test
  void specHashIgnoresKeyOrderButNotValues() throws Exception {
    assertThat(SpecHash.of(yaml("{a: 1, b: {c: 2, d: 3}}"))).isEqualTo(SpecHash.of(yaml("{b: {d: 3, c: 2}, a: 1}")));
    assertThat(SpecHash.of(yaml("{a: 1}"))).isNotEqualTo(SpecHash.of(yaml("{a: 2}")));
    assertThat(SpecHash.of(yaml("{a: 1}"))).hasSize(16);
  }

  @Test
  void backoffDoublesAndIsCapped() {
    assertThat(Backoff.after(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(Backoff.after(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(Backoff.after(50)).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void statusMergeMergesMapsAndConditionsByTypeAndProtectsOperatorFields() throws Exception {
    ObjectNode status = (ObjectNode) yaml("""
        observedGeneration: 3
        endpoint: {host: a, port: 1}
        conditions:
          - {type: Ready, status: "True", reason: Ready}
          - {type: DatabaseReady, status: "False", reason: Creating, lastTransitionTime: "2026-01-01T00:00:00Z"}
        """);
    StatusMerge.merge(status, yaml("""
        observedGeneration: 99
        endpoint: {port: 5432}
        message: done
        conditions:
          - {type: Ready, status: "False", reason: Hijack}
          - {type: DatabaseReady, status: "True", reason: Created}
          - {type: BackupsReady, status: "True", reason: Scheduled}
        """));
    assertThat(status.path("observedGeneration").asInt()).isEqualTo(3);
    assertThat(status.path("endpoint").toString()).isEqualTo("{\"host\":\"a\",\"port\":5432}");
    assertThat(status.path("message").asText()).isEqualTo("done");
    assertThat(status.path("conditions").findValuesAsText("type")).containsExactly("Ready", "DatabaseReady",
        "BackupsReady");
    assertThat(status.path("conditions").get(0).path("reason").asText()).isEqualTo("Ready");
    assertThat(status.path("conditions").get(1).path("reason").asText()).isEqualTo("Created");
  }

  @Test
  void templateStepRendersWithTheRequestAndRefusesMethodCalls() throws Exception {
    JsonNode request = yaml("{metadata: {name: r1, namespace: team}, spec: {size: large}}");
    StepOutput out = new TemplateStep(1024).run(request, yaml("""
        files:
          "{{ name }}/cm.yaml": "kind: ConfigMap\\nmetadata: {name: {{ name }}-cm}\\ndata: {size: {{ spec.size }}}\\n"
        """));
    assertThat(out.files()).containsOnlyKeys("r1/cm.yaml");
    assertThat(out.files().get("r1/cm.yaml")).contains("name: r1-cm").contains("size: large");
    assertThatThrownBy(() -> new TemplateStep(1024).run(request, yaml(
        "files: {x.yaml: \"{{ name.getClass().forName('java.lang.Runtime') }}\"}")))
        .isInstanceOf(PipelineException.class).hasMessageContaining("x.yaml does not render");
    assertThatThrownBy(() -> new TemplateStep(100).run(request, yaml(
        "files: {big.yaml: \"{% for i in range(1, 1000) %}xxxxxxxxxx{% endfor %}\"}")))
        .hasMessageContaining("file big.yaml: the rendered text is over 100 characters");
    assertThatThrownBy(() -> new TemplateStep(1024).run(request, yaml("{}")))
        .hasMessageContaining("needs with.files");
  }

  @Test
  void collectorKeepsSubFoldersAndRefusesEscapesSizesAndBadYaml() throws Exception {
    Path root = tmp.resolve("tarmac");
    Files.createDirectories(root.resolve("output/sub"));
    Files.createDirectories(root.resolve("metadata"));
    Files.writeString(root.resolve("output/sub/a.yaml"), "kind: ConfigMap\n");
    Files.writeString(root.resolve("metadata/destination-selectors.yaml"), "- matchLabels: {environment: prod}\n");
    Files.writeString(root.resolve("metadata/status.yaml"), "url: https://x\n");
    StepOutput out = OutputCollector.collect(root, StateStoreLayout.Limits.DEFAULT);
    assertThat(out.files()).containsOnlyKeys("sub/a.yaml");
    assertThat(out.selectors()).singleElement().satisfies(s -> assertThat(s.matchLabels)
        .containsEntry("environment", "prod"));
    assertThat(out.status().path("url").asText()).isEqualTo("https://x");

    Files.createSymbolicLink(root.resolve("output/escape.yaml"), Path.of("/etc/hostname"));
    assertThatThrownBy(() -> OutputCollector.collect(root, StateStoreLayout.Limits.DEFAULT))
        .hasMessageContaining("escape.yaml is a symlink");
    Files.delete(root.resolve("output/escape.yaml"));
    assertThatThrownBy(() -> OutputCollector.collect(root, new StateStoreLayout.Limits(5, 100)))
        .hasMessageContaining("sub/a.yaml is 16 bytes, over the limit of 5 bytes per file");
    Files.writeString(root.resolve("metadata/status.yaml"), "a: [broken\n");
    assertThatThrownBy(() -> OutputCollector.collect(root, StateStoreLayout.Limits.DEFAULT))
        .hasMessageContaining("metadata/status.yaml is not valid YAML");
  }
}
