package dev.tarmac.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads YAML that someone other than the platform team wrote (pipeline output, status.yaml) with explicit bounds,
 * so a document cannot exhaust the operator or the GitOps tool that later applies it.
 *
 * <p>Why these bounds: Jackson's YAML parser works on SnakeYAML's event stream, not its Composer, so SnakeYAML's own
 * {@code nestingDepthLimit} and {@code maxAliasesForCollections} (both 50 by default) do not apply, and Jackson's
 * {@code StreamReadConstraints} nesting check does not reach YAML either (a 600-deep flow sequence parses). Jackson
 * does not expand an alias (it reads {@code *a} as the string {@code a}), but Argo CD and Flux parse the same file
 * with go-yaml, which does: a "billion laughs" file would blow up there. So nesting depth and the number of aliases
 * are counted here while the tree is built, with SnakeYAML's default figures, and SnakeYAML's {@code codePointLimit}
 * bounds a document's size.
 */
public final class BoundedYaml {

  /** Deepest nesting of maps and lists allowed (SnakeYAML's default {@code nestingDepthLimit}). */
  public static final int MAX_DEPTH = 50;
  /** Most aliases ({@code *name}) allowed in one file (SnakeYAML's default {@code maxAliasesForCollections}). */
  public static final int MAX_ALIASES = 50;
  /** Largest input, code points. */
  public static final int MAX_CODE_POINTS = 8 * 1024 * 1024;

  private static final ObjectMapper MAPPER;

  static {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(MAX_CODE_POINTS);
    options.setNestingDepthLimit(MAX_DEPTH);
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setAllowRecursiveKeys(false);
    MAPPER = new ObjectMapper(YAMLFactory.builder().loaderOptions(options).build());
  }

  private BoundedYaml() {
  }

  /**
   * Every document of {@code content}, in order (an empty document is a null entry).
   *
   * @throws IOException when the YAML does not parse, nests deeper than {@link #MAX_DEPTH}, uses more than
   *     {@link #MAX_ALIASES} aliases, or is longer than {@link #MAX_CODE_POINTS}; the message says which
   */
  public static List<JsonNode> readAll(String content) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (JsonParser parser = new Bounded(MAPPER.getFactory().createParser(content));
        MappingIterator<JsonNode> it = MAPPER.readerFor(JsonNode.class).readValues(parser)) {
      while (it.hasNextValue()) {
        docs.add(it.nextValue());
      }
    } catch (RuntimeException e) {
      // MappingIterator wraps parse errors in RuntimeJsonMappingException.
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw e;
    }
    return docs;
  }

  /**
   * The first document of {@code content}, or null when there is none; the same bounds as {@link #readAll}.
   *
   * @throws IOException as {@link #readAll}
   */
  public static JsonNode read(String content) throws IOException {
    List<JsonNode> docs = readAll(content);
    return docs.isEmpty() ? null : docs.get(0);
  }

  /** Counts depth and aliases as tokens go by. */
  private static final class Bounded extends JsonParserDelegate {
    private int aliases;

    Bounded(JsonParser parser) {
      super(parser);
    }

    @Override
    public JsonToken nextToken() throws IOException {
      JsonToken t = super.nextToken();
      check(t);
      return t;
    }

    @Override
    public JsonToken nextValue() throws IOException {
      JsonToken t = super.nextValue();
      check(t);
      return t;
    }

    @Override
    public String nextFieldName() throws IOException {
      String name = super.nextFieldName();
      check(currentToken());
      return name;
    }

    private void check(JsonToken t) throws StreamConstraintsException {
      if ((t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY)
          && getParsingContext().getNestingDepth() > MAX_DEPTH) {
        throw new StreamConstraintsException("nested deeper than " + MAX_DEPTH + " levels (line "
            + getCurrentLocation().getLineNr() + "): flatten the document");
      }
      if (delegate instanceof YAMLParser y && y.isCurrentAlias() && ++aliases > MAX_ALIASES) {
        throw new StreamConstraintsException("uses more than " + MAX_ALIASES + " aliases (*name, line "
            + getCurrentLocation().getLineNr() + "), as a YAML bomb does: write the values out instead");
      }
    }
  }
}
