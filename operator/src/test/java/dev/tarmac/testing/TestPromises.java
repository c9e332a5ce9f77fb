package dev.tarmac.testing;

/** Promises the apiserver-tier tests share. */
public final class TestPromises {

  private TestPromises() {
  }

  /**
   * A Promise whose request kind ({@code kind}, plural {@code kind}s in {@code group}, field {@code spec.size}) is
   * served by the built-in template step: each request renders one ConfigMap into a Work scheduled to Destinations
   * labelled {@code labelKey: labelValue}.
   */
  public static String templatePromise(String name, String group, String kind, String labelKey,
      String labelValue) {
    return """
        apiVersion: platform.tarmac.dev/v1alpha1
        kind: Promise
        metadata: {name: %1$s}
        spec:
          destinationSelectors:
            - matchLabels: {%4$s: %5$s}
          api:
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: %3$ss.%2$s}
            spec:
              group: %2$s
              names: {kind: %3$s, plural: %3$ss, singular: %3$s}
              scope: Namespaced
              versions:
                - name: v1
                  served: true
                  storage: true
                  schema:
                    openAPIV3Schema:
                      type: object
                      properties:
                        spec:
                          type: object
                          properties:
                            size: {type: string, pattern: "^(small|large)$", default: small}
          workflows:
            resource:
              configure:
                - apiVersion: platform.tarmac.dev/v1alpha1
                  kind: Pipeline
                  metadata: {name: render}
                  spec:
                    containers:
                      - name: render
                        image: tarmac/template
                        with:
                          files:
                            cache.yaml: |
                              apiVersion: v1
                              kind: ConfigMap
                              metadata: {name: "{{ name }}-cache", namespace: "{{ namespace }}"}
                              data: {size: "{{ spec.size }}"}
        """.formatted(name, group, kind.toLowerCase(), labelKey, labelValue).replace("names: {kind: " + kind.toLowerCase(),
        "names: {kind: " + kind);
  }

}
