package dev.tarmac.trace;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * One node of a trace: an object (or a Git commit) with its state and the nodes below it.
 *
 * <p>Shape, as {@code tarmac trace -o json} prints it: {@code {kind, name, namespace, synced, status, reason, message,
 * detail, children: [...]}}; {@code status} is {@code True}/{@code False}/{@code Unknown} for objects with a Ready
 * condition (the READY column), or a phase (Running, Succeeded, Failed) for Jobs and pipelines; {@code synced} is
 * the Synced condition's status (the SYNCED column; {@code -} for objects that have none, such as a Secret), set in
 * traces of Crossplane claims and XRs.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public final class TraceNode {
  public String kind;
  public String name;
  public String namespace;
  public String synced;
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

  /** True when this node or one below it failed (status or synced False, or status Failed). */
  public boolean failing() {
    return "False".equals(status) || "Failed".equals(status) || "False".equals(synced)
        || children.stream().anyMatch(TraceNode::failing);
  }
}
