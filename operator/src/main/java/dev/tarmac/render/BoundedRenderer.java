package dev.tarmac.render;

import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.lexer.Syntax;
import io.pebbletemplates.pebble.loader.StringLoader;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.Writer;
import java.util.Map;

/**
 * Renders template text with Pebble inside {@link RenderLimits}. The only way Tarmac renders a template: templates
 * come from the caller's text (string loader, no files or URLs), method calls on Java objects are refused, and
 * {@link Sandbox} bounds time, output, value sizes, ranges and nesting. Thread-safe; each render's state lives on the
 * calling thread, and a {@link RenderBudget} open on that thread adds a total for a set of renders.
 */
public final class BoundedRenderer {

  private static final String PEBBLE_SIZE = "Tried to write more than";

  private final PebbleEngine engine;
  private final RenderLimits limits;

  /**
   * @param limits the bounds of each render
   * @param syntax the delimiters, null for Pebble's ({@code {{ }}}, {@code {% %}})
   * @param strictVariables whether an unknown variable is an error (true) or empty (false)
   * @param filters extra filters by name (bounded like Pebble's own)
   */
  public BoundedRenderer(RenderLimits limits, Syntax syntax, boolean strictVariables, Map<String, Filter> filters) {
    this(limits, syntax, strictVariables, filters, java.util.List.of());
  }

  /**
   * @param limits the bounds of each render
   * @param syntax the delimiters, null for Pebble's ({@code {{ }}}, {@code {% %}})
   * @param strictVariables whether an unknown variable is an error (true) or empty (false)
   * @param filters extra filters by name (bounded like Pebble's own); a name of Pebble's replaces Pebble's filter
   * @param operators extra binary operators; a symbol of Pebble's replaces Pebble's operator (e.g.
   *     {@link Nunjucks#operators()})
   */
  public BoundedRenderer(RenderLimits limits, Syntax syntax, boolean strictVariables, Map<String, Filter> filters,
      java.util.List<io.pebbletemplates.pebble.operator.BinaryOperator> operators) {
    this.limits = limits;
    PebbleEngine.Builder builder = new PebbleEngine.Builder()
        .loader(new StringLoader())
        .autoEscaping(false)
        .newLineTrimming(false)
        .strictVariables(strictVariables)
        .methodAccessValidator((object, method) -> false)
        .cacheActive(false)
        // Pebble's own cap counts every write, macro and filter-tag buffers included: output plus what was built
        // and thrown away. Output alone is capped by Output below.
        .maxRenderedSize((int) Math.min(Integer.MAX_VALUE, 4L * limits.maxChars()))
        .allowOverrideCoreOperators(true)
        .registerExtensionCustomizer(Sandbox::customize)
        .extension(Sandbox.extension());
    if (!filters.isEmpty() || !operators.isEmpty()) {
      Map<String, Filter> bounded = Sandbox.bounded(filters);
      builder.extension(new AbstractExtension() {
        @Override
        public Map<String, Filter> getFilters() {
          return bounded;
        }

        @Override
        public java.util.List<io.pebbletemplates.pebble.operator.BinaryOperator> getBinaryOperators() {
          return operators;
        }
      });
    }
    if (syntax != null) {
      builder.syntax(syntax);
    }
    this.engine = builder.build();
  }

  /** The bounds of each render. */
  public RenderLimits limits() {
    return limits;
  }

  /**
   * Renders {@code template} with {@code context}.
   *
   * @param what names the template in a limit's message, e.g. {@code skeleton file README.md}
   * @return the rendered text
   * @throws TemplateLimitException when the render breaks a limit (or the open {@link RenderBudget}'s); the message
   *     starts with {@code what}
   * @throws PebbleException when the template does not parse or evaluate (unknown variable in strict mode, a method
   *     call, a refused tag)
   */
  public String render(String template, Map<String, Object> context, String what) {
    RenderBudget budget = RenderBudget.current();
    RenderState previous = RenderState.CURRENT.get();
    RenderState state = new RenderState(limits, budget);
    RenderState.CURRENT.set(state);
    long started = System.nanoTime();
    try {
      state.tick();
      PebbleTemplate compiled = engine.getLiteralTemplate(template);
      Output out = new Output(limits.maxChars(), state);
      compiled.evaluate(out, context);
      if (budget != null) {
        budget.add(out.length());
      }
      return out.toString();
    } catch (StackOverflowError e) {
      throw new TemplateLimitException(what + ": the template is nested too deeply to render (expressions or"
          + " macro calls): simplify it");
    } catch (IOException | RuntimeException e) {
      TemplateLimitException limit = limitIn(e);
      if (limit != null) {
        throw new TemplateLimitException(what + ": " + limit.getMessage());
      }
      if (e instanceof PebbleException p && p.getPebbleMessage() != null && p.getPebbleMessage().startsWith(
          PEBBLE_SIZE)) {
        throw new TemplateLimitException(what + ": rendering wrote over " + 4L * limits.maxChars() + " characters"
            + " including macro output, the limit per render: render less");
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new PebbleException(e, e.getMessage());
    } finally {
      if (budget != null) {
        budget.spent(System.nanoTime() - started);
      }
      if (previous == null) {
        RenderState.CURRENT.remove();
      } else {
        RenderState.CURRENT.set(previous);
      }
    }
  }

  private static TemplateLimitException limitIn(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof TemplateLimitException limit) {
        return limit;
      }
    }
    return null;
  }

  /** The render's output: refuses text past the per-render cap and checks the deadline on every write. */
  private static final class Output extends Writer {
    private final StringBuilder text = new StringBuilder();
    private final int max;
    private final RenderState state;

    Output(int max, RenderState state) {
      this.max = max;
      this.state = state;
    }

    @Override
    public void write(char[] cbuf, int off, int len) {
      check(len);
      text.append(cbuf, off, len);
    }

    @Override
    public void write(String str, int off, int len) {
      check(len);
      text.append(str, off, off + len);
    }

    private void check(int len) {
      state.tick();
      if ((long) text.length() + len > max) {
        throw new TemplateLimitException("the rendered text is over " + max + " characters, the limit per render:"
            + " render less");
      }
    }

    int length() {
      return text.length();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }
}
