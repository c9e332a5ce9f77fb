package dev.tarmac.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A Git repository the operator writes to (Kratix's GitStateStore). Credentials come from a Secret: keys
 * {@code username} and {@code password} (HTTPS basic or token), or {@code sshPrivateKey} and {@code knownHosts}.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("gss")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "URL", jsonPath = ".spec.url", type = Type.STRING)
@AdditionalPrinterColumn(name = "LAST COMMIT", jsonPath = ".status.lastCommit", type = Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
// Named, not derived: fabric8 derives the plural with regular expressions in every instance's constructor (issue 17).
@io.fabric8.kubernetes.model.annotation.Plural("gitstatestores")
public class GitStateStore extends CustomResource<GitStateStore.Spec, GitStateStore.Status> {

  /** The store. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    @JsonPropertyDescription("Clone URL (https://, http://, ssh://, git@host:path or file://). Empty means the"
        + " operator's embedded repository of this name.")
    public String url;

    @JsonPropertyDescription("Branch to write to; default main.")
    public String branch = "main";

    @JsonPropertyDescription("Folder inside the repository under which Destinations write; default the root.")
    public String path;

    @JsonPropertyDescription("Secret with credentials: username/password, or sshPrivateKey/knownHosts.")
    public SecretRef secretRef;

    @JsonPropertyDescription("Commit author.")
    public Author author;
  }

  /** A Secret by name and namespace. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SecretRef {
    @JsonPropertyDescription("Name of the Secret.")
    public String name;
    @JsonPropertyDescription("Namespace of the Secret; default the operator's namespace. Only the operator's"
        + " namespace and the namespaces the operator is told to read Secrets in (Helm rbac.secretNamespaces) are"
        + " accepted.")
    public String namespace;
  }

  /** Commit author. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Author {
    @JsonPropertyDescription("Author name; default Tarmac.")
    public String name;
    @JsonPropertyDescription("Author e-mail; default tarmac@tarmac.dev.")
    public String email;
  }

  /** What the operator observed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Status extends TarmacStatus {
    @JsonPropertyDescription("SHA of the last commit the operator pushed.")
    public String lastCommit;
    @JsonPropertyDescription("When the last commit was pushed (RFC 3339).")
    public String lastCommitTime;
    @JsonPropertyDescription("The last error talking to the remote, without credentials.")
    public String lastError;
    @JsonPropertyDescription("The credentials the writer uses now: the Secret and its resourceVersion (no secret"
        + " material). Changes within seconds of an edit of that Secret.")
    public CredentialsInUse credentials;
  }

  /** Which version of the store's Secret the writer was built from. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class CredentialsInUse {
    @JsonPropertyDescription("namespace/name of the Secret.")
    public String secret;
    @JsonPropertyDescription("The Secret's metadata.resourceVersion the writer's credentials were read from.")
    public String resourceVersion;
    @JsonPropertyDescription("basic (username/password or token) or ssh.")
    public String type;
  }
}
