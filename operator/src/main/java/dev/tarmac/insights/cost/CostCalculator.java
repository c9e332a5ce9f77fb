package dev.tarmac.insights.cost;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tarmac.catalog.EntityRef;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Monthly cost of what each object, Component and team owns, from cluster objects and a {@link Prices}. Pure: objects
 * as JSON in (the Kubernetes shape), costs out; no cluster, no clock. The rules (docs/insights-cost.md):
 *
 * <ul>
 *   <li><b>Priced items.</b> A Pod that has not ended (phase not Succeeded or Failed): its effective request (the
 *       larger of the sum of its containers and sidecars and its largest init container, plus {@code spec.overhead},
 *       as the Kubernetes scheduler counts it) × {@link #HOURS_PER_MONTH} × the hourly prices. A PersistentVolumeClaim:
 *       its capacity ({@code status.capacity.storage}, else {@code spec.resources.requests.storage}) in GiB ×
 *       the GiB-month price. Any object a flat rule matches (kind, group): the rule's price for its size. A Work's
 *       document that no cluster object matches is priced the same way, as desired state in another cluster.</li>
 *   <li><b>Ownership.</b> An object's owner is, in this order: its controller owner reference (else its first owner
 *       reference); for an object without one (or whose owner is of a kind not watched), the claim its {@code spec.claimRef} names (Crossplane's XR → claim);
 *       for a PersistentVolumeClaim, the StatefulSet whose volumeClaimTemplate made it
 *       ({@code <template>-<statefulset>-<ordinal>}); the owner of the Work that lists it; the Component of its
 *       namespace that its {@code platform.tarmac.dev/component}, {@code app.kubernetes.io/part-of} or
 *       {@code backstage.io/kubernetes-id} label names. An item's cost counts for itself and every owner up the
 *       chain (cycles and chains deeper than 32 stop).</li>
 *   <li><b>Team.</b> The first object up the chain (from the item) that names an owner ({@code spec.owner},
 *       annotation or label {@code platform.tarmac.dev/owner}, as the catalog reads it), else the team label of the
 *       chain's top object's namespace, else of the item's namespace (EntityMapper.TEAM_LABELS).</li>
 *   <li><b>Attribution accuracy</b> = cost of items with a team ÷ cost of all items (1 when nothing is priced).</li>
 * </ul>
 */
public final class CostCalculator {

  /** Hours in a month: 365 × 24 / 12, the figure cloud providers' monthly prices use. */
  public static final double HOURS_PER_MONTH = 730;
  /** Bytes in a GiB. */
  static final double GIB = 1024d * 1024 * 1024;
  /** Longest owner chain followed. */
  static final int MAX_DEPTH = 32;
  /** Labels that name the Component a workload belongs to, checked in this order. */
  public static final List<String> COMPONENT_LABELS = List.of("platform.tarmac.dev/component",
      "app.kubernetes.io/part-of", "backstage.io/kubernetes-id");

  private CostCalculator() {
  }

  /**
   * An object, by what identifies it.
   *
   * @param uid Kubernetes UID (for a Work's document not in the cluster: the Work's UID + '/' + its identity)
   * @param apiVersion group/version
   * @param kind the kind
   * @param namespace namespace, "" for cluster-scoped objects
   * @param name the name
   */
  public record Ref(String uid, String apiVersion, String kind, String namespace, String name) {
    static Ref of(JsonNode o) {
      JsonNode m = o.path("metadata");
      return new Ref(m.path("uid").asText(""), o.path("apiVersion").asText(""), o.path("kind").asText(""),
          m.path("namespace").asText(""), m.path("name").asText(""));
    }

    /** {@code kind/namespace/name} (no namespace part for cluster-scoped objects). */
    @Override
    public String toString() {
      return kind + "/" + (namespace.isEmpty() ? "" : namespace + "/") + name;
    }
  }

  /**
   * The documents of one Work.
   *
   * @param workUid the Work's UID
   * @param namespace the Work's namespace (documents without a namespace are taken to be in it)
   * @param owner the object the Work was produced for ({@code spec.owner}); null when it names none
   * @param documents the YAML documents of its files, parsed
   */
  public record WorkDocuments(String workUid, String namespace, Ref owner, List<JsonNode> documents) {
  }

  /**
   * What the calculator reads.
   *
   * @param objects cluster objects as JSON, every kind mixed (Pods, PVCs, workloads, Tarmac kinds, requests, composed
   *     resources)
   * @param teamOfNamespace namespace → team, from Namespace labels
   * @param works the Works' documents
   */
  public record Inventory(Collection<JsonNode> objects, Map<String, String> teamOfNamespace,
      List<WorkDocuments> works) {
  }

  /**
   * One priced item.
   *
   * @param object what was priced
   * @param monthly monthly cost
   * @param basis how, e.g. {@code cpu 0.5 cores, memory 1 GiB} or {@code flat spec.resources[0] db.t3.micro}
   * @param team the team it is attributed to, or null
   * @param chain the item and its owners, item first
   */
  public record Line(Ref object, double monthly, String basis, String team, List<Ref> chain) {
  }

  /**
   * The monthly cost of one object: its own price plus that of everything it owns.
   *
   * @param object the object
   * @param monthly the total
   * @param team the team of the object (the first owner named up its chain, else its namespace's team), or null
   */
  public record Cost(Ref object, double monthly, String team) {
  }

  /**
   * The costs.
   *
   * @param currency the prices' currency
   * @param total monthly cost of every priced item
   * @param attributed the part of {@code total} with a team
   * @param teams monthly cost per team, sorted by team
   * @param byUid per object UID that owns or is a priced item: its cost
   * @param lines every priced item
   * @param unpriced objects a flat rule matched but could not price, as {@code kind/namespace/name: reason}
   */
  public record Result(String currency, double total, double attributed, Map<String, Double> teams,
      Map<String, Cost> byUid, List<Line> lines, List<String> unpriced) {

    /** Attribution accuracy: {@code attributed / total}, 1 when nothing is priced. */
    public double attributionRatio() {
      return total <= 0 ? 1.0 : Math.min(1.0, attributed / total);
    }
  }

  /** Computes the costs of {@code inventory} with {@code prices}. */
  public static Result compute(Prices prices, Inventory inventory) {
    Graph graph = new Graph(inventory);
    List<Line> lines = new ArrayList<>();
    List<String> unpriced = new ArrayList<>();
    for (JsonNode o : inventory.objects()) {
      price(prices, o, Ref.of(o), unpriced).ifPresent(p -> lines.add(line(graph, Ref.of(o), p)));
    }
    for (WorkDocuments w : inventory.works()) {
      for (JsonNode d : w.documents()) {
        Ref ref = documentRef(w, d);
        if (graph.resolve(ref) != null) {
          continue;
        }
        Ref synthetic = new Ref(w.workUid() + "/" + ref, ref.apiVersion(), ref.kind(), ref.namespace(), ref.name());
        price(prices, d, synthetic, unpriced).ifPresent(p -> {
          graph.remote(synthetic, w.owner());
          lines.add(line(graph, synthetic, p));
        });
      }
    }
    Map<String, Cost> byUid = new HashMap<>();
    Map<String, Double> teams = new TreeMap<>();
    double total = 0;
    double attributed = 0;
    for (Line l : lines) {
      total += l.monthly();
      if (l.team() != null) {
        attributed += l.monthly();
        teams.merge(l.team(), l.monthly(), Double::sum);
      }
      for (Ref r : l.chain()) {
        Cost c = byUid.get(r.uid());
        byUid.put(r.uid(), new Cost(r, (c == null ? 0 : c.monthly()) + l.monthly(),
            c != null ? c.team() : graph.teamOf(r)));
      }
    }
    return new Result(prices.currency(), total, attributed, teams, byUid, List.copyOf(lines), List.copyOf(unpriced));
  }

  private record Priced(double monthly, String basis) {
  }

  private static Line line(Graph graph, Ref item, Priced p) {
    List<Ref> chain = graph.chain(item);
    return new Line(item, p.monthly(), p.basis(), graph.team(chain), chain);
  }

  private static Ref documentRef(WorkDocuments w, JsonNode d) {
    JsonNode m = d.path("metadata");
    return new Ref("", d.path("apiVersion").asText(""), d.path("kind").asText(""),
        m.path("namespace").asText(w.namespace() == null ? "" : w.namespace()), m.path("name").asText(""));
  }

  /**
   * Whether {@link #price} may price an object of {@code apiVersion}/{@code kind} with {@code prices} (a rule names
   * it, or it is a v1 Pod or PersistentVolumeClaim); an object of any other kind is read for its identity only.
   */
  static boolean priced(Prices prices, String apiVersion, String kind) {
    return prices.ruleFor(apiVersion, kind) != null
        || "v1".equals(apiVersion) && ("Pod".equals(kind) || "PersistentVolumeClaim".equals(kind));
  }

  /** The direct price of one object, if it is priced at all. */
  static java.util.Optional<Priced> price(Prices prices, JsonNode o, Ref ref, List<String> unpriced) {
    String apiVersion = ref.apiVersion();
    String kind = ref.kind();
    Prices.Rule rule = prices.ruleFor(apiVersion, kind);
    if (rule != null) {
      Double p = rule.priceOf(o);
      if (p == null) {
        JsonNode size = rule.sizeField() == null ? null : rule.sizeField().get(o);
        unpriced.add(ref + ": " + rule.source() + " lists no price for size '"
            + (size == null || size.isNull() ? "" : size.asText()) + "' and has no default price");
        return java.util.Optional.empty();
      }
      JsonNode size = rule.sizeField() == null ? null : rule.sizeField().get(o);
      return java.util.Optional.of(new Priced(p, "flat " + rule.source()
          + (size != null && size.isValueNode() ? " " + size.asText() : "")));
    }
    if ("v1".equals(apiVersion) && "Pod".equals(kind)) {
      String phase = o.path("status").path("phase").asText("");
      if (phase.equals("Succeeded") || phase.equals("Failed")) {
        return java.util.Optional.empty();
      }
      double[] request = podRequest(o.path("spec"));
      double cpu = request[0];
      double gib = request[1] / GIB;
      double monthly = HOURS_PER_MONTH * (cpu * prices.cpuCoreHour() + gib * prices.memoryGiBHour());
      return java.util.Optional.of(new Priced(monthly, String.format(Locale.ROOT, "cpu %.3f cores, memory %.3f GiB",
          cpu, gib)));
    }
    if ("v1".equals(apiVersion) && "PersistentVolumeClaim".equals(kind)) {
      JsonNode capacity = o.path("status").path("capacity").path("storage");
      if (capacity.isMissingNode() || capacity.isNull()) {
        capacity = o.path("spec").path("resources").path("requests").path("storage");
      }
      double gib = quantity(capacity) / GIB;
      return java.util.Optional.of(new Priced(gib * prices.storageGiBMonth(), String.format(Locale.ROOT,
          "storage %.3f GiB", gib)));
    }
    return java.util.Optional.empty();
  }

  /**
   * A Pod's effective request as the scheduler counts it: max(sum of containers and sidecar init containers, each
   * plain init container plus the sidecars started before it) + {@code spec.overhead}
   * (kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers).
   *
   * @return {cpu cores, memory bytes}
   */
  static double[] podRequest(JsonNode spec) {
    double cpu = 0;
    double memory = 0;
    double sidecarCpu = 0;
    double sidecarMemory = 0;
    double initCpu = 0;
    double initMemory = 0;
    for (JsonNode c : spec.path("initContainers")) {
      double cc = quantity(c.path("resources").path("requests").path("cpu"));
      double cm = quantity(c.path("resources").path("requests").path("memory"));
      if ("Always".equals(c.path("restartPolicy").asText())) {
        sidecarCpu += cc;
        sidecarMemory += cm;
      } else {
        initCpu = Math.max(initCpu, cc + sidecarCpu);
        initMemory = Math.max(initMemory, cm + sidecarMemory);
      }
    }
    for (JsonNode c : spec.path("containers")) {
      cpu += quantity(c.path("resources").path("requests").path("cpu"));
      memory += quantity(c.path("resources").path("requests").path("memory"));
    }
    cpu = Math.max(cpu + sidecarCpu, initCpu) + quantity(spec.path("overhead").path("cpu"));
    memory = Math.max(memory + sidecarMemory, initMemory) + quantity(spec.path("overhead").path("memory"));
    return new double[] {cpu, memory};
  }

  /** A Kubernetes quantity ("500m", "1Gi", 2) as a plain number; 0 when absent or not a quantity. */
  static double quantity(JsonNode q) {
    if (q == null || q.isMissingNode() || q.isNull()) {
      return 0;
    }
    try {
      BigDecimal v = new Quantity(q.asText()).getNumericalAmount();
      return Math.max(0, v.doubleValue());
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** The team an owner field names: the Group's name for a Group reference, the full reference otherwise. */
  static String team(String owner) {
    if (owner == null || owner.isBlank()) {
      return null;
    }
    try {
      EntityRef ref = EntityRef.parse(owner, "Group");
      return ref.kind().equalsIgnoreCase("group") ? ref.name() : ref.toString();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The owner an object names itself, as the catalog reads it (EntityMapper.ownerOf), or null. */
  static String ownerNamed(JsonNode o) {
    JsonNode spec = o.path("spec").path("owner");
    if (spec.isTextual() && !spec.asText().isBlank()) {
      return spec.asText();
    }
    JsonNode a = o.path("metadata").path("annotations").path("platform.tarmac.dev/owner");
    if (a.isTextual() && !a.asText().isBlank()) {
      return a.asText();
    }
    JsonNode l = o.path("metadata").path("labels").path("platform.tarmac.dev/owner");
    return l.isTextual() && !l.asText().isBlank() ? l.asText() : null;
  }

  /** Who owns whom. */
  private static final class Graph {
    private final Map<String, JsonNode> byUid = new HashMap<>();
    private final Map<String, Ref> refOfUid = new HashMap<>();
    /** group/kind/namespace/name (lower-case kind) → uid. */
    private final Map<String, String> byIdentity = new HashMap<>();
    /** uid → its owner, found once. */
    private final Map<String, Ref> parents = new HashMap<>();
    /** identity of a Work's document → the Work's owner. */
    private final Map<String, Ref> placedBy = new HashMap<>();
    private final Map<String, String> teamOfNamespace;

    Graph(Inventory inventory) {
      this.teamOfNamespace = inventory.teamOfNamespace();
      for (JsonNode o : inventory.objects()) {
        Ref r = Ref.of(o);
        if (r.uid().isEmpty()) {
          continue;
        }
        byUid.put(r.uid(), o);
        refOfUid.put(r.uid(), r);
        byIdentity.put(identity(r), r.uid());
      }
      for (WorkDocuments w : inventory.works()) {
        if (w.owner() == null) {
          continue;
        }
        for (JsonNode d : w.documents()) {
          placedBy.putIfAbsent(identity(documentRef(w, d)), w.owner());
        }
      }
      for (JsonNode o : inventory.objects()) {
        Ref r = Ref.of(o);
        if (!r.uid().isEmpty()) {
          Ref p = findParent(o, r);
          if (p != null && !p.uid().equals(r.uid())) {
            parents.put(r.uid(), p);
          }
        }
      }
    }

    static String identity(Ref r) {
      String group = r.apiVersion().contains("/") ? r.apiVersion().substring(0, r.apiVersion().indexOf('/')) : "";
      return group + "/" + r.kind().toLowerCase(Locale.ROOT) + "/" + r.namespace() + "/" + r.name();
    }

    /** The uid of the cluster object {@code r} names, or null. */
    String resolve(Ref r) {
      return byIdentity.get(identity(r));
    }

    void remote(Ref synthetic, Ref owner) {
      if (owner != null) {
        parents.put(synthetic.uid(), owner);
      }
      refOfUid.put(synthetic.uid(), synthetic);
    }

    private Ref findParent(JsonNode o, Ref r) {
      JsonNode owners = o.path("metadata").path("ownerReferences");
      JsonNode chosen = null;
      for (JsonNode ref : owners) {
        if (ref.path("controller").asBoolean(false)) {
          chosen = ref;
          break;
        }
        chosen = chosen == null ? ref : chosen;
      }
      if (chosen != null) {
        String uid = chosen.path("uid").asText("");
        Ref known = refOfUid.get(uid);
        if (known != null) {
          return known;
        }
        // An owner not in the inventory (a kind not watched): the rules below where one applies (a Pod's labels
        // name its Component although its ReplicaSet is not visible), else the owner known by its reference only;
        // owner references name only namespaced owners in the same namespace or cluster-scoped ones.
        Ref other = otherParent(o, r);
        return other != null ? other : new Ref(uid, chosen.path("apiVersion").asText(""),
            chosen.path("kind").asText(""), r.namespace(), chosen.path("name").asText(""));
      }
      return otherParent(o, r);
    }

    /** The owner of an object by the rules after owner references (claimRef, StatefulSet claims, Works, labels). */
    private Ref otherParent(JsonNode o, Ref r) {
      JsonNode claimRef = o.path("spec").path("claimRef");
      if (claimRef.isObject()) {
        String uid = resolve(new Ref("", claimRef.path("apiVersion").asText(""), claimRef.path("kind").asText(""),
            claimRef.path("namespace").asText(""), claimRef.path("name").asText("")));
        if (uid != null) {
          return refOfUid.get(uid);
        }
      }
      if (r.kind().equals("PersistentVolumeClaim") && r.apiVersion().equals("v1")) {
        Ref sts = statefulSetOf(r);
        if (sts != null) {
          return sts;
        }
      }
      Ref placer = placedBy.get(identity(r));
      if (placer != null) {
        String uid = placer.uid() == null || placer.uid().isEmpty() ? resolve(placer) : placer.uid();
        return uid != null && refOfUid.containsKey(uid) ? refOfUid.get(uid) : placer;
      }
      if (!r.kind().equals("Component")) {
        JsonNode labels = o.path("metadata").path("labels");
        for (String l : COMPONENT_LABELS) {
          String component = labels.path(l).asText("");
          if (!component.isEmpty()) {
            String uid = resolve(new Ref("", "platform.tarmac.dev/v1alpha1", "Component", r.namespace(), component));
            if (uid != null) {
              return refOfUid.get(uid);
            }
          }
        }
      }
      return null;
    }

    /** The StatefulSet that made PVC {@code pvc} from a volumeClaimTemplate: name {@code <template>-<sts>-<n>}. */
    private Ref statefulSetOf(Ref pvc) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(.+)-(\\d+)$").matcher(pvc.name());
      if (!m.matches()) {
        return null;
      }
      String prefix = m.group(1);
      for (int dash = prefix.indexOf('-'); dash > 0; dash = prefix.indexOf('-', dash + 1)) {
        String template = prefix.substring(0, dash);
        String sts = prefix.substring(dash + 1);
        String uid = byIdentity.get("apps/statefulset/" + pvc.namespace() + "/" + sts);
        if (uid == null) {
          continue;
        }
        for (JsonNode t : byUid.get(uid).path("spec").path("volumeClaimTemplates")) {
          if (template.equals(t.path("metadata").path("name").asText())) {
            return refOfUid.get(uid);
          }
        }
      }
      return null;
    }

    /** {@code item} and its owners, item first. */
    List<Ref> chain(Ref item) {
      List<Ref> out = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      Ref at = item;
      while (at != null && out.size() < MAX_DEPTH && seen.add(at.uid())) {
        out.add(at);
        at = parents.get(at.uid());
      }
      return out;
    }

    /** The team of a chain: the first owner named from the item up, else the namespace's team. */
    String team(List<Ref> chain) {
      for (Ref r : chain) {
        JsonNode o = byUid.get(r.uid());
        if (o != null) {
          String t = team(ownerNamed(o));
          if (t != null) {
            return t;
          }
        }
      }
      for (int i = chain.size() - 1; i >= 0; i--) {
        String t = teamOfNamespace.get(chain.get(i).namespace());
        if (t != null) {
          return t;
        }
      }
      return null;
    }

    String teamOf(Ref r) {
      return team(chain(r));
    }

    private static String team(String owner) {
      return CostCalculator.team(owner);
    }
  }

  /** Rounds {@code amount} to cents (half up), for status and metrics. */
  public static double cents(double amount) {
    return BigDecimal.valueOf(amount).setScale(2, java.math.RoundingMode.HALF_UP).doubleValue();
  }

  /** For tests and docs: the lines as {@code kind/ns/name → monthly}, in order. */
  static Map<String, Double> lineTotals(Result r) {
    Map<String, Double> out = new LinkedHashMap<>();
    r.lines().forEach(l -> out.merge(l.object().toString(), l.monthly(), Double::sum));
    return out;
  }
}
