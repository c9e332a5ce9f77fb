package dev.tarmac.portal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An entity's relations laid out for a small server-rendered SVG: the entity in the middle, what it points at
 * (its owner, system, dependencies, the APIs it consumes) in the left column, what points at it or that it holds
 * (what it owns, its parts, its dependents, the APIs it provides) in the right column, one edge per relation
 * labelled with its type. Pure: coordinates in SVG user units; the template draws them.
 *
 * @param width the drawing's width
 * @param height the drawing's height
 * @param center the entity itself
 * @param nodes the related entities
 * @param edges one per node
 */
public record RelationGraph(int width, int height, Node center, List<Node> nodes, List<Edge> edges) {

  /** Relation types drawn on the left (the entity's outgoing references). */
  static final Set<String> LEFT = Set.of("ownedBy", "partOf", "dependsOn", "consumesApi", "childOf", "memberOf",
      "apiProvidedBy");
  /** Nodes per column at most; the rest is one "+N more" node (the lists below the graph have them all). */
  static final int MAX_PER_SIDE = 8;
  static final int NODE_W = 200;
  static final int NODE_H = 34;
  static final int ROW = 46;
  static final int WIDTH = 880;

  /** A box: top-left corner, size, text, a secondary line (the kind), and the page it links to (null: none). */
  public record Node(int x, int y, int w, int h, String label, String kind, String href) {
    /** The x of the text's centre. */
    public int textX() {
      return x + w / 2;
    }
  }

  /** A line from the entity to a node, with its label's position. */
  public record Edge(int x1, int y1, int x2, int y2, String label, int labelX, int labelY) {
  }

  /** One relation: its type, the target's display name, kind, and page. */
  public record Relation(String type, String name, String kind, String href) {
  }

  /** Lays out {@code relations} around the entity {@code name} of {@code kind}. */
  public static RelationGraph of(String name, String kind, List<Relation> relations) {
    List<Relation> left = new ArrayList<>();
    List<Relation> right = new ArrayList<>();
    for (Relation r : relations) {
      (LEFT.contains(r.type()) ? left : right).add(r);
    }
    int rows = Math.max(1, Math.max(Math.min(left.size(), MAX_PER_SIDE + 1), Math.min(right.size(),
        MAX_PER_SIDE + 1)));
    int height = rows * ROW + 20;
    Node center = new Node((WIDTH - NODE_W) / 2, height / 2 - NODE_H / 2 - 4, NODE_W, NODE_H + 8, name, kind, null);
    List<Node> nodes = new ArrayList<>();
    List<Edge> edges = new ArrayList<>();
    column(left, 0, center, height, nodes, edges, true);
    column(right, WIDTH - NODE_W, center, height, nodes, edges, false);
    return new RelationGraph(WIDTH, height, center, nodes, edges);
  }

  private static void column(List<Relation> rs, int x, Node center, int height, List<Node> nodes, List<Edge> edges,
      boolean left) {
    int shown = rs.size() > MAX_PER_SIDE + 1 ? MAX_PER_SIDE : rs.size();
    int count = shown + (rs.size() > shown ? 1 : 0);
    int top = (height - count * ROW) / 2 + (ROW - NODE_H) / 2;
    int cy = center.y() + center.h() / 2;
    int cx = left ? center.x() : center.x() + center.w();
    for (int i = 0; i < count; i++) {
      int y = top + i * ROW;
      boolean more = i == shown;
      Relation r = more ? null : rs.get(i);
      Node n = more ? new Node(x, y, NODE_W, NODE_H, "+" + (rs.size() - shown) + " more", "see the lists below", null)
          : new Node(x, y, NODE_W, NODE_H, r.name(), r.kind(), r.href());
      nodes.add(n);
      int nx = left ? x + NODE_W : x;
      int ny = y + NODE_H / 2;
      edges.add(new Edge(nx, ny, cx, cy, more ? "" : r.type(), (nx + cx) / 2, (ny + cy) / 2 - 4));
    }
  }
}
