package dev.tarmac;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.function.Supplier;

/**
 * Where a JSON merge patch (RFC 7386) goes, so that it is sent as one PATCH and nothing else.
 *
 * <p>fabric8 7.5's {@code patch(PatchContext, String)} on an operation made with {@code withName(..)} first GETs the
 * object from the API server ({@code HasMetadataOperation.patch} → {@code getItemOrRequireFromServer}) only to learn
 * its name and namespace for the URL; on an operation made with {@code resource(item)} it uses the item instead (a
 * copy of it). A reconciler already holds the object in its informer, so that GET doubled the API requests of every
 * status write (issue 17: one GET per request's {@code Ready}). The target built here is a stub that carries the
 * object's identity only ({@code apiVersion}, {@code kind}, name, namespace): nothing of the cached object is sent,
 * the body is sent as given, and no {@code resourceVersion} precondition is added unless the body carries one.
 *
 * <p>Only for {@code patch}: {@code edit} and {@code update} would read the stub as the object's content. A patch of
 * an object that is gone fails with 404, as before.
 */
public final class PatchTarget {

  private PatchTarget() {
  }

  /**
   * The operation to patch {@code object} through: {@code op.resource(stub)}.
   *
   * @param op the kind's operation (e.g. {@code client.genericKubernetesResources(context)})
   * @param object the object as the informer holds it (only its identity is used)
   * @return an operation whose {@code patch} and {@code subresource("status").patch} send one PATCH
   */
  public static Resource<GenericKubernetesResource> of(
      MixedOperation<GenericKubernetesResource, ?, Resource<GenericKubernetesResource>> op, HasMetadata object) {
    return op.resource(identity(object, new GenericKubernetesResource()));
  }

  /**
   * As {@link #of(MixedOperation, HasMetadata)}, for an object known by its kind and name only (not held in hand):
   * {@code get()} through it still reads the object from the API server.
   *
   * @param op the kind's operation ({@code client.genericKubernetesResources(kind)})
   * @param kind the kind (group, version, kind)
   * @param namespace its namespace; null or empty for a cluster-scoped object
   * @param name its name
   * @return an operation whose {@code patch} and {@code subresource("status").patch} send one PATCH
   */
  public static Resource<GenericKubernetesResource> of(
      MixedOperation<GenericKubernetesResource, ?, Resource<GenericKubernetesResource>> op,
      io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext kind, String namespace, String name) {
    GenericKubernetesResource stub = new GenericKubernetesResource();
    stub.setApiVersion(kind.getGroup() == null || kind.getGroup().isEmpty() ? kind.getVersion()
        : kind.getGroup() + "/" + kind.getVersion());
    stub.setKind(kind.getKind());
    stub.setMetadata(new ObjectMetaBuilder().withName(name)
        .withNamespace(namespace == null || namespace.isEmpty() ? null : namespace).build());
    return op.resource(stub);
  }

  /**
   * The typed form of {@link #of(MixedOperation, HasMetadata)}.
   *
   * @param op the kind's typed operation (e.g. {@code client.resources(Component.class)})
   * @param object the object as the informer holds it (only its identity is used)
   * @param empty makes an empty object of the kind (e.g. {@code Component::new})
   * @param <T> the kind's class
   * @return an operation whose {@code patch} and {@code subresource("status").patch} send one PATCH
   */
  public static <T extends HasMetadata> Resource<T> of(MixedOperation<T, ?, Resource<T>> op, HasMetadata object,
      Supplier<T> empty) {
    return op.resource(identity(object, empty.get()));
  }

  /**
   * {@code stub} with {@code object}'s name and namespace and nothing else of it; its apiVersion where it has one,
   * and its kind for a generic stub (a typed stub has its class's kind).
   */
  static <T extends HasMetadata> T identity(HasMetadata object, T stub) {
    if (object.getApiVersion() != null) {
      stub.setApiVersion(object.getApiVersion());
    }
    if (object.getKind() != null && stub instanceof GenericKubernetesResource generic) {
      generic.setKind(object.getKind());
    }
    stub.setMetadata(new ObjectMetaBuilder().withName(object.getMetadata().getName())
        .withNamespace(object.getMetadata().getNamespace()).build());
    return stub;
  }
}
