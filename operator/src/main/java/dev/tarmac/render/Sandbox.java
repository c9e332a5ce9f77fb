package dev.tarmac.render;

import io.pebbletemplates.pebble.error.ParserException;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.AbstractNodeVisitor;
import io.pebbletemplates.pebble.extension.Extension;
import io.pebbletemplates.pebble.extension.ExtensionCustomizer;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.extension.Function;
import io.pebbletemplates.pebble.extension.NodeVisitor;
import io.pebbletemplates.pebble.extension.NodeVisitorFactory;
import io.pebbletemplates.pebble.lexer.Token;
import io.pebbletemplates.pebble.node.AbstractRenderableNode;
import io.pebbletemplates.pebble.node.BodyNode;
import io.pebbletemplates.pebble.node.PrintNode;
import io.pebbletemplates.pebble.node.RenderableNode;
import io.pebbletemplates.pebble.node.SetNode;
import io.pebbletemplates.pebble.node.expression.BinaryExpression;
import io.pebbletemplates.pebble.node.expression.Expression;
import io.pebbletemplates.pebble.node.expression.RenderableNodeExpression;
import io.pebbletemplates.pebble.node.expression.UnaryExpression;
import io.pebbletemplates.pebble.operator.Associativity;
import io.pebbletemplates.pebble.operator.BinaryOperator;
import io.pebbletemplates.pebble.operator.BinaryOperatorImpl;
import io.pebbletemplates.pebble.operator.BinaryOperatorType;
import io.pebbletemplates.pebble.parser.Parser;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.EvaluationContextImpl;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import io.pebbletemplates.pebble.template.PebbleTemplateImpl;
import io.pebbletemplates.pebble.tokenParser.TokenParser;
import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.RandomAccess;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Pebble pieces that bound a render (see {@link RenderLimits}): a lazy, capped {@code range} (also behind
 * {@code a..b}); a concatenation ({@code ~}) that checks its operands first; every filter wrapped to check the
 * deadline, its input and its output ({@code join}, {@code replace}, {@code format} are checked before they build
 * their result, {@code split}'s regular expression checks the deadline as it reads); every rendered body (loop iteration, condition, macro call) counted for depth and the deadline; every
 * printed value and every {@code set} value checked for size. Tags that load or run other templates ({@code include},
 * {@code import}, {@code from}, {@code extends}, {@code embed}, {@code block}, {@code parallel}, {@code cache}) and
 * the {@code i18n} function (reads resource bundles from the operator's class path) are refused.
 */
final class Sandbox {

  static final Set<String> REFUSED_TAGS = Set.of("include", "import", "from", "extends", "embed", "block", "parallel",
      "cache");

  private Sandbox() {
  }

  /** The extension added to every sandboxed engine (operators override Pebble's own). */
  static Extension extension() {
    return new AbstractExtension() {
      @Override
      public Map<String, Function> getFunctions() {
        return Map.of("range", new BoundedRangeFunction());
      }

      @Override
      public List<BinaryOperator> getBinaryOperators() {
        return List.of(new BinaryOperatorImpl("~", 110, BoundedConcatenate::new, BinaryOperatorType.NORMAL,
            Associativity.LEFT));
      }

      @Override
      public List<TokenParser> getTokenParsers() {
        List<TokenParser> parsers = new ArrayList<>();
        REFUSED_TAGS.forEach(tag -> parsers.add(new RefusedTag(tag)));
        return parsers;
      }

      @Override
      public List<NodeVisitorFactory> getNodeVisitors() {
        return List.of(template -> new Guarding((PebbleTemplateImpl) template));
      }
    };
  }

  /** Applied to Pebble's own extensions: every filter bounded, {@code i18n} gone. */
  static ExtensionCustomizer customize(Extension extension) {
    return new ExtensionCustomizer(extension) {
      @Override
      public Map<String, Filter> getFilters() {
        return bounded(super.getFilters());
      }

      @Override
      public Map<String, Function> getFunctions() {
        Map<String, Function> functions = super.getFunctions();
        if (functions == null) {
          return null;
        }
        Map<String, Function> kept = new HashMap<>(functions);
        kept.remove("i18n");
        return kept;
      }
    };
  }

  /** Wraps filters so each checks the deadline, its input and its output. */
  static Map<String, Filter> bounded(Map<String, Filter> filters) {
    if (filters == null) {
      return null;
    }
    Map<String, Filter> out = new LinkedHashMap<>();
    filters.forEach((name, filter) -> out.put(name, new BoundedFilter(name, filter)));
    return out;
  }

  /** A tag that only says it is not available. */
  static final class RefusedTag implements TokenParser {
    private final String tag;

    RefusedTag(String tag) {
      this.tag = tag;
    }

    @Override
    public String getTag() {
      return tag;
    }

    @Override
    public RenderableNode parse(Token token, Parser parser) {
      throw new ParserException(null, "the " + tag + " tag is not available in Tarmac templates: a template cannot"
          + " load or run other templates", token.getLineNumber(), parser.getStream().getFilename());
    }
  }

  /** {@code range(start, end[, increment])}: Pebble's semantics (end included; numbers or single characters), lazy. */
  static final class BoundedRangeFunction implements Function {
    @Override
    public List<String> getArgumentNames() {
      return List.of("start", "end", "increment");
    }

    @Override
    public Object execute(Map<String, Object> args, PebbleTemplate self, EvaluationContext context, int line) {
      RenderState state = RenderState.current();
      state.tick();
      Object start = args.get("start");
      Object end = args.get("end");
      Object increment = args.get("increment") == null ? 1L : args.get("increment");
      if (!(increment instanceof Number step)) {
        throw new PebbleException(null, "the increment of range must be a number", line, self.getName());
      }
      if (step.longValue() == 0) {
        throw new PebbleException(null, "the increment of range must not be 0", line, self.getName());
      }
      long from;
      long to;
      boolean chars;
      if (start instanceof Number s && end instanceof Number e) {
        from = s.longValue();
        to = e.longValue();
        chars = false;
      } else if (start instanceof String s && end instanceof String e && s.length() == 1 && e.length() == 1) {
        from = s.charAt(0);
        to = e.charAt(0);
        chars = true;
      } else {
        throw new PebbleException(null, "range takes numbers or strings of one character", line, self.getName());
      }
      BigInteger span = BigInteger.valueOf(to).subtract(BigInteger.valueOf(from));
      BigInteger inc = BigInteger.valueOf(step.longValue());
      BigInteger count = span.signum() != 0 && span.signum() != inc.signum() ? BigInteger.ZERO
          : span.divide(inc).add(BigInteger.ONE);
      if (count.compareTo(BigInteger.valueOf(state.limits.maxRange())) > 0) {
        throw new TemplateLimitException("range(" + start + ", " + end + (args.get("increment") == null ? ""
            : ", " + increment) + ") has " + count + " items, over the limit of " + state.limits.maxRange()
            + " per range: iterate over fewer items");
      }
      return new BoundedRange(from, step.longValue(), count.intValue(), chars);
    }
  }

  /** The items of a range, computed when read; iterating checks the deadline on every item. */
  static final class BoundedRange extends AbstractList<Object> implements RandomAccess {
    private final long start;
    private final long step;
    private final int size;
    private final boolean chars;

    BoundedRange(long start, long step, int size, boolean chars) {
      this.start = start;
      this.step = step;
      this.size = size;
      this.chars = chars;
    }

    @Override
    public Object get(int index) {
      if (index < 0 || index >= size) {
        throw new IndexOutOfBoundsException(index);
      }
      long value = start + index * step;
      return chars ? (Object) (char) value : (Object) value;
    }

    @Override
    public int size() {
      return size;
    }

    @Override
    public Iterator<Object> iterator() {
      return new Iterator<>() {
        private int next;

        @Override
        public boolean hasNext() {
          return next < size;
        }

        @Override
        public Object next() {
          if (next >= size) {
            throw new NoSuchElementException();
          }
          RenderState.current().tick();
          return get(next++);
        }
      };
    }
  }

  /** {@code a ~ b}: Pebble's concatenation, refused before it builds text over the value limit. */
  static final class BoundedConcatenate extends BinaryExpression<Object> {
    @Override
    public Object evaluate(PebbleTemplateImpl self, EvaluationContextImpl context) {
      Object left = getLeftExpression().evaluate(self, context);
      Object right = getRightExpression().evaluate(self, context);
      RenderState state = RenderState.current();
      state.tick();
      if (state.weight(left) + state.weight(right) > state.limits.maxChars()) {
        throw new TemplateLimitException("a concatenation (~) on line " + getLineNumber() + " is over "
            + state.limits.maxChars() + " characters, the limit of one value: build smaller values");
      }
      StringBuilder result = new StringBuilder();
      if (left != null) {
        result.append(left);
      }
      if (right != null) {
        result.append(right);
      }
      return result.toString();
    }
  }

  private static final Pattern FORMAT_SPEC = Pattern.compile("%(?:\\d+\\$)?[-#+ 0,(<]*(\\d+)?(?:\\.(\\d+))?");

  /** A filter that checks the deadline, its input and arguments before and its output after. */
  static final class BoundedFilter implements Filter {
    private final String name;
    private final Filter delegate;

    BoundedFilter(String name, Filter delegate) {
      this.name = name;
      this.delegate = delegate;
    }

    @Override
    public List<String> getArgumentNames() {
      return delegate.getArgumentNames();
    }

    @Override
    public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext context,
        int line) throws PebbleException {
      RenderState state = RenderState.current();
      state.tick();
      String where = "filter " + name + " on line " + line;
      state.checkValue(input, "the input of " + where);
      for (Object arg : args.values()) {
        state.checkValue(arg, "an argument of " + where);
      }
      long max = state.limits.maxChars();
      switch (name) {
        case "join" -> {
          long separator = args.get("separator") == null ? 0 : String.valueOf(args.get("separator")).length();
          long items = input instanceof Collection<?> c ? c.size()
              : input != null && input.getClass().isArray() ? java.lang.reflect.Array.getLength(input) : 0;
          if (state.weight(input) + items * separator > max) {
            throw new TemplateLimitException("the output of " + where + " would be over " + max
                + " characters, the limit of one value: join fewer items");
          }
        }
        case "replace" -> {
          if (input != null && args.get("replace_pairs") instanceof Map<?, ?> pairs) {
            return replace(input.toString(), pairs, max, where);
          }
        }
        case "split" -> {
          if (input instanceof String text && args.get("delimiter") instanceof String delimiter) {
            // A regular expression can backtrack for minutes on a short input; the input checks the deadline as the
            // matcher reads it. Same result as String.split.
            Object limit = args.get("limit");
            Object out = Pattern.compile(delimiter).split(new DeadlineChars(text, state),
                limit instanceof Number n ? n.intValue() : 0);
            state.checkValue(out, "the output of " + where);
            return out;
          }
        }
        case "format" -> {
          Matcher m = FORMAT_SPEC.matcher(input == null ? "" : input.toString());
          while (m.find()) {
            for (int g = 1; g <= 2; g++) {
              if (m.group(g) != null && (m.group(g).length() > 6 || Integer.parseInt(m.group(g)) > 10_000)) {
                throw new TemplateLimitException("a width or precision in " + where + " is over 10000, the limit");
              }
            }
          }
        }
        default -> {
        }
      }
      Object out = delegate.apply(input, args, self, context, line);
      state.checkValue(out, "the output of " + where);
      return out;
    }

    /** Pebble's replace (pairs applied in order), counting the result's length before building it. */
    private static String replace(String data, Map<?, ?> pairs, long max, String where) {
      for (Map.Entry<?, ?> pair : pairs.entrySet()) {
        String target = String.valueOf(pair.getKey());
        String replacement = String.valueOf(pair.getValue());
        if (!target.isEmpty() && replacement.length() > target.length()) {
          long hits = 0;
          for (int i = data.indexOf(target); i >= 0; i = data.indexOf(target, i + target.length())) {
            hits++;
          }
          if (data.length() + hits * (replacement.length() - target.length()) > max) {
            throw new TemplateLimitException("the output of " + where + " would be over " + max
                + " characters, the limit of one value: replace less");
          }
        } else if (target.isEmpty() && (long) (data.length() + 1) * replacement.length() + data.length() > max) {
          throw new TemplateLimitException("the output of " + where + " would be over " + max
              + " characters, the limit of one value: replace less");
        }
        data = data.replace(target, replacement);
      }
      return data;
    }
  }

  /** Text that checks the render's deadline every 4,096 characters read, so a backtracking regex stops in time. */
  static final class DeadlineChars implements CharSequence {
    private final String text;
    private final RenderState state;
    private int reads;

    DeadlineChars(String text, RenderState state) {
      this.text = text;
      this.state = state;
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public char charAt(int index) {
      if ((++reads & 4095) == 0) {
        state.tick();
      }
      return text.charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return text.substring(start, end);
    }

    @Override
    public String toString() {
      return text;
    }
  }

  /**
   * Rewrites a parsed template: each body's children run inside a {@link Guard}, each {@code set} is checked, each
   * printed expression is checked. Pebble's own visitors (macro registration) run before this one.
   */
  static final class Guarding extends AbstractNodeVisitor {
    Guarding(PebbleTemplateImpl template) {
      super(template);
    }

    @Override
    public void visit(BodyNode node) {
      super.visit(node);
      List<RenderableNode> children = node.getChildren();
      if (children.size() == 1 && children.get(0) instanceof Guard) {
        return;
      }
      List<RenderableNode> kept = new ArrayList<>(children.size());
      for (RenderableNode child : children) {
        kept.add(child instanceof SetNode set ? new CheckedSet(set) : child);
      }
      children.clear();
      children.add(new Guard(node.getLineNumber(), kept));
    }

    @Override
    public void visit(PrintNode node) {
      super.visit(node);
      descend(node.getExpression());
      node.setExpression(new CheckedValue(node.getExpression()));
    }

    /** Pebble's visitor stops at expressions; a {@code {% filter %}} tag's body hides in one, so is reached here. */
    private void descend(Expression<?> expression) {
      if (expression instanceof RenderableNodeExpression r) {
        r.getNode().accept(this);
      } else if (expression instanceof BinaryExpression<?> b) {
        descend(b.getLeftExpression());
        descend(b.getRightExpression());
      } else if (expression instanceof UnaryExpression u) {
        descend(u.getChildExpression());
      }
    }
  }

  /** Renders a body one level deeper, checking depth and deadline. */
  static final class Guard extends AbstractRenderableNode {
    private final List<RenderableNode> children;

    Guard(int line, List<RenderableNode> children) {
      super(line);
      this.children = children;
    }

    @Override
    public void render(PebbleTemplateImpl self, Writer writer, EvaluationContextImpl context) throws IOException {
      RenderState state = RenderState.current();
      state.enter();
      try {
        for (RenderableNode child : children) {
          child.render(self, writer, context);
        }
      } finally {
        state.exit();
      }
    }

    @Override
    public void accept(NodeVisitor visitor) {
      visitor.visit(this);
    }
  }

  /** {@code set}, then the value's size checked. */
  static final class CheckedSet extends AbstractRenderableNode {
    private final SetNode set;

    CheckedSet(SetNode set) {
      super(set.getLineNumber());
      this.set = set;
    }

    @Override
    public void render(PebbleTemplateImpl self, Writer writer, EvaluationContextImpl context) throws IOException {
      set.render(self, writer, context);
      RenderState.current().checkValue(context.getScopeChain().get(set.getName()), "variable " + set.getName()
          + " (set on line " + getLineNumber() + ")");
    }

    @Override
    public void accept(NodeVisitor visitor) {
      set.accept(visitor);
    }
  }

  /** A printed expression whose value's size is checked before it becomes text. */
  static final class CheckedValue implements Expression<Object> {
    private final Expression<?> inner;

    CheckedValue(Expression<?> inner) {
      this.inner = inner;
    }

    @Override
    public Object evaluate(PebbleTemplateImpl self, EvaluationContextImpl context) {
      Object value = inner.evaluate(self, context);
      RenderState.current().checkValue(value, "the value printed on line " + getLineNumber());
      return value;
    }

    @Override
    public int getLineNumber() {
      return inner.getLineNumber();
    }

    @Override
    public void accept(NodeVisitor visitor) {
      inner.accept(visitor);
    }
  }
}
