package dev.tarmac.portal;

import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.loader.ClasspathLoader;
import java.io.IOException;
import java.io.Writer;
import java.util.HashMap;
import java.util.Map;

/**
 * The portal's server-rendered pages: Pebble templates on the class path under {@code portal/} (e.g.
 * {@code portal/catalog.peb}), every page extending {@code portal/layout.peb}. Output is HTML-escaped by default
 * (Pebble's autoescaping), so a value a tenant wrote (an entity's title, a condition's message) is text, never markup.
 * Templates are compiled once and cached; rendering is thread-safe. The engine is built on a thread of its own
 * (Pebble's classes load and initialise there, off the operator's start-up path: start-up, issue 17); the first
 * render waits for it.
 */
public final class PortalTemplates {

  private final java.util.concurrent.CompletableFuture<PebbleEngine> engine;

  /** The engine over {@code portal/*.peb} on the class path, being built (see the class comment). */
  public PortalTemplates() {
    engine = new java.util.concurrent.CompletableFuture<>();
    Thread build = new Thread(() -> {
      try {
        ClasspathLoader loader = new ClasspathLoader(PortalTemplates.class.getClassLoader());
        loader.setPrefix("portal");
        loader.setSuffix(".peb");
        engine.complete(new PebbleEngine.Builder().loader(loader).autoEscaping(true)
            .defaultEscapingStrategy("html").strictVariables(false).cacheActive(true).build());
      } catch (RuntimeException | Error e) {
        engine.completeExceptionally(e);
      }
    }, "portal-templates");
    build.setDaemon(true);
    build.start();
  }

  /**
   * Renders page {@code name} (e.g. {@code "catalog"} for {@code portal/catalog.peb}) with {@code model}.
   * The layout reads {@code caller} (a display name) and {@code active} (the nav entry to highlight: {@code catalog},
   * {@code scorecards}, {@code requests}, {@code golden-paths}); pages add their own keys.
   *
   * @throws IOException when {@code out} cannot be written
   * @throws io.pebbletemplates.pebble.error.PebbleException when the template is missing or fails (a bug in Tarmac)
   * @throws java.util.concurrent.CompletionException when the engine could not be built (a bug in Tarmac)
   */
  public void render(String name, Map<String, Object> model, Writer out) throws IOException {
    engine.join().getTemplate(name).evaluate(out, new HashMap<>(model));
  }
}
