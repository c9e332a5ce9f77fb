package dev.tarmac.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A Promise written for Kratix ({@code apiVersion: platform.kratix.io/v1alpha1}), applied as it is: Tarmac serves
 * Kratix's group too, with the same spec and status, and reconciles it exactly like {@link Promise}. Install only
 * where Kratix itself is not installed (the CRD names collide).
 */
@Group(Api.KRATIX_GROUP)
@Version(Api.VERSION)
@Kind("Promise")
@Plural("promises")
@Singular("promise")
@Categories(Api.CATEGORY)
@AdditionalPrinterColumn(name = "STATUS", jsonPath = ".status.status", type = Type.STRING)
@AdditionalPrinterColumn(name = "KIND", jsonPath = ".status.kind", type = Type.STRING)
@AdditionalPrinterColumn(name = "API VERSION", jsonPath = ".status.apiVersion", type = Type.STRING)
@AdditionalPrinterColumn(name = "VERSION", jsonPath = ".status.version", type = Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = PrinterColumns.READY, type = Type.STRING)
@AdditionalPrinterColumn(name = "REASON", jsonPath = PrinterColumns.REASON, type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = PrinterColumns.AGE, type = Type.DATE)
public class KratixPromise extends Promise {
}
