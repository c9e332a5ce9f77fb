package dev.tarmac.insights.dora;

import dev.tarmac.api.Component;
import dev.tarmac.statestore.EmbeddedGitServer;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Resolves a commit SHA to its committer time in the Git repositories Tarmac holds: a Component's repository on the
 * embedded Git server ({@code status.repositoryUrl} ends in {@code /git/<name>.git}). Repositories elsewhere are not
 * fetched (no credentials, no network from the operator for this): their SHAs stay unresolved and the next convention
 * of {@link CommitTimes} applies.
 */
public interface CommitResolver {

  /** The committer time of {@code sha} (7 to 64 hex digits, lower case) in {@code component}'s repository. */
  Optional<Instant> commitTime(Component component, String sha);

  /** Resolves nothing. */
  CommitResolver NONE = (component, sha) -> Optional.empty();

  /** Resolves in the embedded Git server's repository of the Component; results cached (commits never change). */
  static CommitResolver embedded(EmbeddedGitServer server) {
    Map<String, Instant> cache = new ConcurrentHashMap<>();
    return (component, sha) -> {
      String url = component.getStatus() == null ? null : component.getStatus().repositoryUrl;
      if (url == null || !url.contains("/git/")) {
        return Optional.empty();
      }
      String name = url.substring(url.lastIndexOf('/') + 1).replaceFirst("\\.git$", "");
      if (!server.exists(name)) {
        return Optional.empty();
      }
      String key = name + "@" + sha;
      Instant cached = cache.get(key);
      if (cached != null) {
        return Optional.of(cached);
      }
      try (Repository r = new FileRepositoryBuilder().setGitDir(server.repository(name).toFile()).setMustExist(true)
          .build(); RevWalk walk = new RevWalk(r)) {
        ObjectId id = r.resolve(sha);
        if (id == null) {
          return Optional.empty();
        }
        Instant at = walk.parseCommit(id).getCommitterIdent().getWhenAsInstant();
        if (cache.size() < 10_000) {
          cache.put(key, at);
        }
        return Optional.of(at);
      } catch (IOException | RuntimeException e) {
        return Optional.empty();
      }
    };
  }
}
