#!/usr/bin/env bash
# `make demo`: the main job end to end on this machine, no Docker, no cloud account.
#   1. a local control plane (hack/cluster.sh: etcd, kube-apiserver, kube-controller-manager on 127.0.0.1);
#   2. the operator (embedded Git server on) with what the project ships: Compositions, Promises, golden-path
#      Templates, the default Scorecard;
#   3. what a developer applies with kubectl: the payments-service Component (Java golden path, with its payments-db
#      PostgreSQL), the article's PostgreSQLInstance claim, a Redis, and a preview environment with a TTL;
#   4. waits until each is Ready, then shows kubectl get tarmac -A, the connection Secret's keys, git log of the
#      embedded repository cloned over HTTP, the team's catalog entities with scorecards, the team's monthly cost
#      against its budget (a CostModel), and tarmac trace.
# Exits non-zero with the failing object's conditions when a step fails. Ctrl-C or `make demo-down` stops everything.
# DEMO_EXIT=1 stops everything and exits after printing (for scripts).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
state=${TARMAC_DEMO_DIR:-$repo/.demo}
port=${TARMAC_DEMO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
timeout=${DEMO_TIMEOUT:-120s}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
down() { "$here/demo-down.sh" "$state" >/dev/null 2>&1 || true; }
fail() {
  echo "demo: FAILED: $*" >&2
  echo "--- operator log (last 30 lines) ---" >&2
  tail -30 "$state/operator.log" >&2 || true
  down
  exit 1
}
wait_ready() { # kind name namespace
  local ns_args=()
  [ -n "${3:-}" ] && ns_args=(-n "$3")
  if ! kubectl wait --for=condition=Ready "$1/$2" "${ns_args[@]}" --timeout="$timeout" >/dev/null 2>&1; then
    echo "demo: $1/$2 did not become Ready within $timeout; its conditions:" >&2
    kubectl get "$1/$2" "${ns_args[@]}" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2 || true
    fail "$1/$2 not Ready"
  fi
  echo "  $1/$2 Ready"
}

down
# A demo starts from nothing: a fresh API server and an empty data folder. The operator keeps its repositories (the
# embedded store's, each scaffolded Component's) in $state/data, left in place after the demo and `make demo-down`.
rm -rf "$state"
mkdir -p "$state"
trap 'echo; echo "demo: stopping"; down; exit 130' INT TERM
# Any other way out that is not a success (a command failing under set -e) stops what the demo started, too.
trap 'rc=$?; if [ "$rc" != 0 ] && [ "$rc" != 130 ]; then echo "demo: FAILED (exit $rc); stopping" >&2; down; fi' EXIT

say "Building Tarmac"
(cd "$repo" && mvn -B -q -DskipTests package) || fail "the Maven build failed"

say "Starting a local control plane on 127.0.0.1"
kubeconfig=$("$here/cluster.sh" start "$state/cluster") || fail "the local control plane did not start"
# kubectl from the same cache as the API server when the machine has none of its own.
PATH="$PATH:$("$here/kube-binaries.sh")"
export KUBECONFIG=$kubeconfig
kubectl get namespace tarmac-system >/dev/null 2>&1 || kubectl create namespace tarmac-system >/dev/null

say "Starting the operator (HTTP on 127.0.0.1:$port: /readyz /metrics /api/catalog /git)"
"$repo/bin/tarmac" run --install-crds --no-leader-election --http-host 127.0.0.1 --anonymous-read --http-port "$port" \
  --namespace tarmac-system --data-dir "$state/data" >"$state/operator.log" 2>&1 &
echo $! > "$state/operator.pid"
echo "$port" > "$state/port"
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$(cat "$state/operator.pid")" 2>/dev/null || fail "the operator exited"
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || fail "the operator did not become ready"
echo "  ready: $(curl -s "http://127.0.0.1:$port/readyz")"

say "Platform team: Compositions, Promises, golden-path Templates, the default Scorecard"
kubectl apply -f "$repo/compositions/" -f "$repo/promises/" -f "$repo/examples/templates/" \
  -f "$repo/examples/scorecards/default.yaml" | sed 's/^/  /'
for p in redis postgresql environment postgresqlinstance; do wait_ready promises.platform.tarmac.dev "$p"; done
for t in java-service go-service python-service; do wait_ready templates.platform.tarmac.dev "$t"; done

say "Developers: a service from the Java golden path with its database, the article's claim, a Redis, a preview env"
kubectl apply -f "$repo/examples/components/payments-service.yaml" | sed 's/^/  /'
kubectl apply -f "$repo/examples/requests/postgresqlinstance.yaml" -f "$repo/examples/requests/redis.yaml" \
  -f "$repo/examples/requests/preview-environment.yaml" | sed 's/^/  /'
wait_ready components.platform.tarmac.dev payments-service payments
for _ in $(seq 1 120); do kubectl get pod payments-db-postgresql-0 -n payments >/dev/null 2>&1 && break; sleep 0.5; done
echo "  (no kubelet runs here: playing the kubelet, marking pod payments-db-postgresql-0 Running and Ready;"
echo "   the real StatefulSet controller then counts it ready)"
kubectl patch pod payments-db-postgresql-0 -n payments --subresource=status --type=merge -p '{"status":{
  "phase":"Running","conditions":[{"type":"Ready","status":"True"},{"type":"ContainersReady","status":"True"}],
  "containerStatuses":[{"name":"postgresql","ready":true,"started":true,"restartCount":0,"image":"postgres:16",
  "imageID":"","state":{"running":{}}}]}}' >/dev/null || fail "could not mark the pod ready"
wait_ready databases.platform.tarmac.dev payments-db payments
wait_ready postgresqlinstances.database.example.org payments-db payments-prod
wait_ready redis.marketplace.tarmac.dev payments-cache payments
wait_ready environments.platform.example.dev pr-1234 payments

say "kubectl get tarmac -A"
kubectl get tarmac -A

say "The connection Secret's keys (values stay in the cluster)"
kubectl get secret payments-db-credentials -n payments -o go-template='{{range $k, $v := .data}}  {{$k}}{{"\n"}}{{end}}'

say "git log --stat of the embedded repository, cloned over HTTP"
rm -rf "$state/clone"
git clone -q "http://127.0.0.1:$port/git/default.git" "$state/clone"
git -C "$state/clone" log --stat --format='%h %s' | head -40
echo "  scaffolded service: git clone http://127.0.0.1:$port/git/payments-service.git"

say "The catalog: team-payments' entities, relations and scorecard levels"
curl -s "http://127.0.0.1:$port/api/catalog/entities/by-query?filter=relations.ownedBy=group:default/team-payments&fields=kind,metadata.name,metadata.namespace,spec.type,relations,status.scorecards" \
  | python3 -c '
import json, sys
page = json.load(sys.stdin)
print("  %d entities owned by group:default/team-payments" % page["totalItems"])
for e in page["items"]:
    rels = ", ".join(sorted("%s %s" % (r["type"], r["targetRef"]) for r in e.get("relations", [])))
    cards = ", ".join("%s: %s" % (c["scorecard"], c["level"]) for c in e.get("status", {}).get("scorecards", []))
    print("  - %s %s/%s (%s)%s" % (e["kind"], e["metadata"]["namespace"], e["metadata"]["name"], e.get("spec", {}).get("type", ""),
          "  [" + cards + "]" if cards else ""))
    print("      " + rels)
'

say "Cost: the example CostModel (examples/costs), a 500 USD budget for team-payments, its monthly cost"
kubectl apply -f "$repo/examples/costs/default.yaml" | sed 's/^/  /'
kubectl annotate --overwrite namespace payments platform.tarmac.dev/monthly-budget=500 | sed 's/^/  /'
if kubectl wait --for=condition=Ready costmodels.platform.tarmac.dev/default --timeout="$timeout" >/dev/null 2>&1; then
  # Costs are recomputed within seconds of a change: give the figures a moment to include everything just applied.
  sleep 3
  kubectl get costmodels.platform.tarmac.dev default -o json | python3 -c '
import json, sys
s = json.load(sys.stdin)["status"]
for t in s.get("teams", []):
    if t["team"] == "team-payments":
        print("  team-payments: %.2f USD a month, budget %.2f (%.0f %%)" % (t["monthly"], t.get("budget") or 0,
              100 * (t.get("budgetRatio") or 0)))
print("  cluster: %.2f USD a month, %.0f %% attributed to a team" % (s.get("monthlyTotal") or 0,
      100 * (s.get("attributionRatio") or 0)))
' || echo "  (the CostModel has no figures yet)"
  curl -s "http://127.0.0.1:$port/metrics" | grep -E '^tarmac_cost_(monthly|budget_ratio|attribution_ratio)' \
    | grep -E 'team-payments|attribution' | sed 's/^/  /' || true
else
  echo "  (the CostModel did not become Ready; its conditions:)"
  kubectl get costmodels.platform.tarmac.dev default -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' || true
fi
say "DORA: a rollout of payments-service's web Deployment, and team-payments' tier (docs/insights.md)"
# Scaled to zero, so the real Deployment controller completes the rollout with no kubelet; the CI's commit-time
# annotation gives the lead time.
commit_time=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
kubectl apply -f - <<YAML | sed 's/^/  /'
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments-web, namespace: payments, labels: {app.kubernetes.io/part-of: payments-service}}
spec:
  replicas: 0
  selector: {matchLabels: {app: payments-web}}
  template:
    metadata:
      labels: {app: payments-web}
      annotations: {platform.tarmac.dev/commit-time: "$commit_time"}
    spec: {containers: [{name: web, image: "payments-web:1"}]}
YAML
dora=""
for _ in $(seq 1 60); do
  dora=$(curl -sf "http://127.0.0.1:$port/api/catalog/entities/by-name/group/default/team-payments" | python3 -c '
import json, sys
d = json.load(sys.stdin).get("status", {}).get("dora")
if d and d.get("deployments", 0) > 0:
    print("  team-payments: DORA tier %s (%s deployments/day, lead time %ss, change failure rate %s; per metric: %s)" % (
        d["tier"], d["deploymentsPerDay"], d.get("leadTimeSeconds", "-"), d.get("changeFailureRate", "-"),
        ", ".join("%s %s" % kv for kv in d["tiers"].items())))' 2>/dev/null || true)
  [ -n "$dora" ] && break
  sleep 0.5
done
echo "${dora:-  team-payments: no DORA figures yet (see the operator log)}"
curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^tarmac_dora_tier\{.*team="team-payments"' | sed 's/^/  /' || true

say "tarmac trace database/payments-db -n payments"
"$repo/bin/tarmac" trace database/payments-db -n payments || fail "tarmac trace database/payments-db failed"

say "The README's five-minute tour, command by command (kubectl get -w left out: it never returns)"
(
  cd "$repo"
  set -x
  kubectl get promises.platform.tarmac.dev
  kubectl apply -f examples/requests/postgresql.yaml
) 2>&1 | sed 's/^+ /  $ /; s/^/  /'
wait_ready postgresqls.marketplace.tarmac.dev reports-db payments
kubectl get postgresql -n payments | sed 's/^/  /'
"$repo/bin/tarmac" trace postgresql/reports-db -n payments | sed 's/^/  /' || fail "tarmac trace postgresql/reports-db failed"
curl -sf "http://127.0.0.1:$port/api/catalog/entities/by-query?filter=kind=component" \
  | python3 -c 'import json,sys; p=json.load(sys.stdin); print("  catalog: %d Components: %s" % (p["totalItems"], ", ".join(e["metadata"]["name"] for e in p["items"])))' \
  || fail "the catalog query of the tour failed"

say "A Kratix-style Promise with a container pipeline (examples/kratix), applied as Kratix users wrote it"
kubectl apply -f "$repo/examples/kratix/team-bucket-promise.yaml" | sed 's/^/  /'
wait_ready promises.platform.kratix.io team-bucket ""
kubectl apply -f "$repo/examples/kratix/team-bucket-request.yaml" | sed 's/^/  /'
job=""
for _ in $(seq 1 60); do
  job=$(kubectl get jobs -n payments -l platform.tarmac.dev/promise=team-bucket -o name 2>/dev/null | head -n1)
  [ -n "$job" ] && break
  sleep 0.5
done
[ -n "$job" ] || fail "no pipeline Job was created for teambucket/payments-archive"
echo "  $job created with restricted pod security; its Pod:"
kubectl get pods -n payments -l "job-name=${job#job.batch/}" 2>/dev/null | sed 's/^/    /'
echo "  No kubelet runs on this machine, so the container pipeline waits for a node; on a real cluster it runs,"
echo "  the collector writes its Work, and the request becomes Ready. What the request says meanwhile:"
"$repo/bin/tarmac" trace teambucket/payments-archive -n payments | sed 's/^/  /' || true

say "Done"
cat <<TXT
  KUBECONFIG=$kubeconfig
  portal:    http://127.0.0.1:$port/catalog  (catalog, scorecards, requests, golden paths; open it in a browser)
  operator:  http://127.0.0.1:$port  (log: $state/operator.log)
  catalog:   curl 'http://127.0.0.1:$port/api/catalog/entities/by-query?filter=kind=component'
  Git:       git clone http://127.0.0.1:$port/git/default.git
TXT
if [ "${DEMO_EXIT:-0}" = 1 ]; then
  down
  exit 0
fi
echo "  Press Ctrl-C to stop everything (or run 'make demo-down' from another shell)."
wait "$(cat "$state/operator.pid")" 2>/dev/null || true
down
