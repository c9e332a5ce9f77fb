package dev.tarmac.policy;

import dev.tarmac.api.ApiResources;
import java.util.Optional;

/**
 * Kind scopes from the API server's discovery ({@link ApiResources}, shared with the HTTP authorizer, so one
 * discovery call per group version serves both). The operator's own cluster stands for the Destinations' clusters
 * here: a kind installed only there is unknown, and {@link Scopes} decides it.
 */
public final class DiscoveryScopes implements Scopes.Resolver {

  private final ApiResources resources;

  /** @param resources the process's discovery cache */
  public DiscoveryScopes(ApiResources resources) {
    this.resources = resources;
  }

  @Override
  public Optional<Boolean> clusterScoped(String group, String version, String kind) {
    return resources.clusterScoped(group.isEmpty() ? version : group + "/" + version, kind);
  }
}
