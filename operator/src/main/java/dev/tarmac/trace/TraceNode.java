package dev.tarmac.trace;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * One node of a trace: an object (or a Git commit) with its state and the nodes below it.
 *
 * <p>Shape, as {@code tarmac trace -o json} prints it: {@code {kind, name, namespace, status, reason, message, detail,
 * children: [...]}}; {@code status} is {@code True}/{@code False}/{@code Unknown} for objects with a Ready condition,
 * or a phase (Running, Succeeded, Failed) for Jobs and pipelines.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public final class TraceNode {
  public String kind;
  public String name;
  public String namespace;
  public String status;
  public String reason;
  public String message;
  public String detail;
  public final List<TraceNode> children = new ArrayList<>();

  /** A node for {@code kind namespace/name}. */
  public static TraceNode of(String kind, String namespace, String name) {
    TraceNode n = new TraceNode();
    n.kind = kind;
    n.namespace = namespace;
    n.name = name;
    return n;
  }

  /** Adds {@code child} and returns it. */
  public TraceNode add(TraceNode child) {
    children.add(child);
    return child;
  }

  /** True when this node or one below it failed (status False or Failed). */
  public boolean failing() {
    return "False".equals(status) || "Failed".equals(status) || children.stream().anyMatch(TraceNode::failing);
  }
}
