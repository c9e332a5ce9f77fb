#!/usr/bin/env bash
# `make demo-down`: stops the demo's operator and control plane and leaves nothing running.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${1:-${TARMAC_DEMO_DIR:-$(cd "$here/.." && pwd)/.demo}}
if [ -f "$state/operator.pid" ]; then
  pid=$(cat "$state/operator.pid")
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$state/operator.pid"
fi
[ -d "$state/cluster" ] && "$here/cluster.sh" stop "$state/cluster"
echo "demo: stopped"
