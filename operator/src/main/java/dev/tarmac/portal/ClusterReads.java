package dev.tarmac.portal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.api.GitStateStore;
import dev.tarmac.api.Serialization;
import dev.tarmac.trace.TraceNode;
import dev.tarmac.trace.Tracer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link PortalServlet.Cluster} over the operator's client: one GET for the object, one filtered list of Events
 * ({@code involvedObject.uid}), the {@link Tracer}, and the GitStateStores for commit links. Only entity pages call
 * it; what the caller may see of the answers is the servlet's decision.
 */
public final class ClusterReads implements PortalServlet.Cluster {

  private final KubernetesClient client;
  private final Supplier<String> embeddedGitBaseUrl;

  /**
   * @param client the operator's client
   * @param embeddedGitBaseUrl the base URL of the embedded Git server ({@code http://host:port/git})
   */
  public ClusterReads(KubernetesClient client, Supplier<String> embeddedGitBaseUrl) {
    this.client = client;
    this.embeddedGitBaseUrl = embeddedGitBaseUrl;
  }

  @Override
  public JsonNode object(String apiVersion, String kind, String namespace, String name) {
    var op = client.genericKubernetesResources(apiVersion, kind);
    GenericKubernetesResource o = namespace == null ? op.withName(name).get()
        : op.inNamespace(namespace).withName(name).get();
    return o == null ? null : Serialization.JSON.valueToTree(o);
  }

  @Override
  public List<JsonNode> events(String namespace, String uid, int limit) {
    List<JsonNode> out = new ArrayList<>();
    client.v1().events().inNamespace(namespace).withField("involvedObject.uid", uid).list().getItems()
        .forEach(e -> out.add(Serialization.JSON.valueToTree(e)));
    out.sort(Comparator.comparing((JsonNode e) -> e.path("lastTimestamp").asText(e.path("eventTime").asText(
        e.path("metadata").path("creationTimestamp").asText(""))), Comparator.reverseOrder()));
    return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
  }

  @Override
  public TraceNode trace(String kind, String namespace, String name) {
    return new Tracer(client).trace(kind, namespace, name);
  }

  @Override
  public Map<String, String> repositories() {
    Map<String, String> out = new HashMap<>();
    for (GitStateStore s : client.resources(GitStateStore.class).list().getItems()) {
      String url = s.getSpec() == null ? null : s.getSpec().url;
      String name = s.getMetadata().getName();
      out.put(name, url == null || url.isBlank() ? embeddedGitBaseUrl.get() + "/" + name + ".git" : url);
    }
    return out;
  }
}
