package dev.tarmac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tarmac.api.Component;
import dev.tarmac.api.Conditions;
import dev.tarmac.api.Promise;
import dev.tarmac.api.Serialization;
import dev.tarmac.api.Template;
import dev.tarmac.testing.TestCluster;
import dev.tarmac.testing.TestPromises;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures only a change can fix are not retried on a timer (no {@code nextRetryTime}, no fixed reschedule) and
 * clear themselves when the object they wait for appears, because it is watched: a Component naming a Template that
 * does not exist yet, and a Promise whose required Promise is not Available yet. Neither object is touched by the
 * test after it is created.
 */
@Tag("apiserver")
class WaitForChangeApiServerTest {

  @TempDir
  Path tmp;

  @Test
  void aMissingTemplateAndARequiredPromiseAreWaitedForByWatchNotByTimer() throws Exception {
    KubernetesClient client = TestCluster.get().client();
    String ns = TestCluster.get().newNamespace("waits");
    try (TarmacOperator operator = new TarmacOperator(client, new TarmacOperator.Settings("127.0.0.1", 0, false, ns,
        "test", tmp.resolve("data"), false, 4, false, "tarmac:test", true)).start()) {
      // A Component whose Template comes later.
      Component c = Serialization.YAML.readValue("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Component
          metadata: {name: svc, namespace: %s}
          spec:
            type: service
            lifecycle: production
            owner: group:default/platform-team
            template: {name: %s-later, values: {name: %s-svc}}
          """.formatted(ns, ns, ns), Component.class);
      client.resource(c).create();
      Component waiting = await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Component.class)
          .inNamespace(ns).withName("svc").get(), x -> "TemplateNotFound".equals(Conditions.reason(x.getStatus(),
          Conditions.READY)));
      assertThat(waiting.getStatus().nextRetryTime).as("bad input is not retried on a timer").isNull();
      assertThat(Conditions.find(waiting.getStatus().conditions, Conditions.READY).orElseThrow().getMessage())
          .contains("does not exist").contains("apply it");
      // A Promise that requires another, which comes later.
      String group = ns + ".example.dev";
      String dependent = TestPromises.templatePromise("dep-" + ns, group, "Cache", "suite", ns)
          .replace("spec:\n  destinationSelectors:", "spec:\n  requiredPromises: [{name: base-" + ns + "}]\n"
              + "  destinationSelectors:");
      assertThat(dependent).contains("requiredPromises");
      client.resource(Serialization.YAML.readValue(dependent, Promise.class)).create();
      Promise held = await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Promise.class)
          .withName("dep-" + ns).get(), p -> p.getStatus() != null
          && "RequiredPromisesUnavailable".equals(Conditions.reason(p.getStatus(), Conditions.AVAILABLE)));
      assertThat(held.getStatus().nextRetryTime).isNull();

      // Nothing happens to either on its own: once the Component has settled (the catalog writes its Scorecard
      // results once, shortly after the reconciler's status), 12 s later both still wait, with no new status write.
      String componentVersion = settled(client, ns);
      String promiseVersion = held.getMetadata().getResourceVersion();
      Thread.sleep(12_000);
      assertThat(client.resources(Component.class).inNamespace(ns).withName("svc").get().getMetadata()
          .getResourceVersion()).isEqualTo(componentVersion);
      assertThat(client.resources(Promise.class).withName("dep-" + ns).get().getMetadata().getResourceVersion())
          .as("no 10 s poll of required Promises any more").isEqualTo(promiseVersion);

      // What they wait for appears: both proceed without being touched.
      long applied = System.nanoTime();
      client.resource(Serialization.YAML.readValue("""
          apiVersion: platform.tarmac.dev/v1alpha1
          kind: Template
          metadata: {name: %s-later}
          spec:
            owner: group:default/platform-team
            type: service
            parameters:
            - required: [name]
              properties:
                name: {type: string}
            steps:
            - id: fetch
              action: fetch:template
              input:
                values: {name: "${{ parameters.name }}"}
            - id: publish
              action: publish:git
              input:
                repoUrl: tarmac.local?repo=${{ parameters.name }}
            skeleton:
              files:
                README.md: "# ${{ values.name }}"
          """.formatted(ns), Template.class)).create();
      Component scaffolded = await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Component.class)
          .inNamespace(ns).withName("svc").get(), x -> Conditions.isTrue(x.getStatus(), Conditions.READY));
      double templateSeconds = (System.nanoTime() - applied) / 1e9;
      assertThat(scaffolded.getStatus().nextRetryTime).isNull();
      assertThat(Conditions.reason(scaffolded.getStatus(), Conditions.SYNCED)).isEqualTo("ReconcileSuccess");

      applied = System.nanoTime();
      client.resource(Serialization.YAML.readValue(TestPromises.templatePromise("base-" + ns, "base." + group,
          "Base", "suite", ns), Promise.class)).create();
      await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Promise.class).withName("dep-" + ns)
          .get(), p -> Conditions.isTrue(p.getStatus(), Conditions.AVAILABLE));
      double promiseSeconds = (System.nanoTime() - applied) / 1e9;
      System.out.printf("wait for a change: Component scaffolded %.1f s after its Template was applied, Promise"
          + " Available %.1f s after its required Promise was created (no timer: both waited 12 s untouched)%n",
          templateSeconds, promiseSeconds);
      assertThat(Map.of("template", templateSeconds, "promise", promiseSeconds)).allSatisfy((k, v) ->
          assertThat(v).as(k).isLessThan(10.0));
    }
  }

  /** The Component's resourceVersion once it has not changed for 3 s (at most 30 s). */
  private static String settled(KubernetesClient client, String ns) throws InterruptedException {
    String last = null;
    long stableSince = System.nanoTime();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      String now = client.resources(Component.class).inNamespace(ns).withName("svc").get().getMetadata()
          .getResourceVersion();
      if (!now.equals(last)) {
        last = now;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > Duration.ofSeconds(3).toNanos()) {
        return now;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the Component kept changing for 30 s: " + last);
  }
}
