#!/usr/bin/env bash
# `make run`: a local control plane (hack/cluster.sh) and the operator in the foreground against it, with Tarmac's
# CRDs installed. Ctrl-C stops the operator and every process the script started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
state=${TARMAC_RUN_DIR:-$repo/.demo/run}
port=${TARMAC_HTTP_PORT:-8080}
# The repositories live in $state/data (embedded stores, scaffolded Components): a second `make run` finds them
# again, with the API server state in $state/cluster (docs/reliability.md, "Restarts and lost volumes").
mkdir -p "$state"
trap '"$here/cluster.sh" stop "$state/cluster"' EXIT
kubeconfig=$("$here/cluster.sh" start "$state/cluster")
export KUBECONFIG=$kubeconfig
kubectl get namespace tarmac-system >/dev/null 2>&1 || kubectl create namespace tarmac-system >/dev/null
echo "run: local API server ready; KUBECONFIG=$kubeconfig"
echo "run: operator on http://127.0.0.1:$port (/readyz, /metrics, /api/catalog/entities, /git/<store>.git)"
"$repo/bin/tarmac" run --install-crds --no-leader-election --http-host 127.0.0.1 --anonymous-read --http-port "$port" \
  --namespace tarmac-system --data-dir "$state/data"
