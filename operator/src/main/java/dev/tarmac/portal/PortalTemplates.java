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
 * Templates are compiled once and cached; rendering is thread-safe.
 */
public final class PortalTemplates {

  private final PebbleEngine engine;

  /** The engine over {@code portal/*.peb} on the class path. */
  public PortalTemplates() {
    ClasspathLoader loader = new ClasspathLoader(PortalTemplates.class.getClassLoader());
    loader.setPrefix("portal");
    loader.setSuffix(".peb");
    this.engine = new PebbleEngine.Builder().loader(loader).autoEscaping(true).defaultEscapingStrategy("html")
        .strictVariables(false).cacheActive(true).build();
  }

  /**
   * Renders page {@code name} (e.g. {@code "catalog"} for {@code portal/catalog.peb}) with {@code model}.
   * The layout reads {@code caller} (a display name) and {@code active} (the nav entry to highlight: {@code catalog},
   * {@code scorecards}, {@code requests}, {@code golden-paths}); pages add their own keys.
   *
   * @throws IOException when {@code out} cannot be written
   * @throws io.pebbletemplates.pebble.error.PebbleException when the template is missing or fails (a bug in Tarmac)
   */
  public void render(String name, Map<String, Object> model, Writer out) throws IOException {
    engine.getTemplate(name).evaluate(out, new HashMap<>(model));
  }
}
