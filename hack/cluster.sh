#!/usr/bin/env bash
# A local Kubernetes control plane for `make run`, `make demo` and manual tries: etcd, kube-apiserver and
# kube-controller-manager on 127.0.0.1, on free ports, with RBAC on and a throwaway service-account key.
# No kubelet runs: Pods stay Pending (the demo says so where it matters).
#
#   hack/cluster.sh start DIR    # writes DIR/kubeconfig, pid files and logs in DIR; prints the kubeconfig path
#   hack/cluster.sh stop DIR     # stops every process it started and leaves nothing running
#   hack/cluster.sh restart DIR  # stops, then starts again on the same data, ports, certificates and token: the
#                                # kubeconfig of the first start stays valid (the fault suite's API-server outage)
#
# TARMAC_AUDIT_POLICY=FILE: the API server also writes an audit log (JSON lines) to DIR/audit.log with that policy;
# a restart appends to it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|restart DIR" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

stop() {
  for name in kube-controller-manager kube-apiserver etcd; do
    local pidfile="$dir/$name.pid"
    if [ -f "$pidfile" ]; then
      local pid; pid=$(cat "$pidfile")
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -f "$pidfile"
    fi
  done
}

start() {
  local bin; bin=$("$here/kube-binaries.sh")
  mkdir -p "$dir/certs" "$dir/etcd"
  stop
  local etcd_port peer_port api_port
  if [ "${1:-}" = again ] && [ -f "$dir/ports" ]; then
    # shellcheck disable=SC1091
    . "$dir/ports"
  else
    etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)
    echo "etcd_port=$etcd_port peer_port=$peer_port api_port=$api_port" > "$dir/ports"
    openssl genrsa -out "$dir/certs/sa.key" 2048 2>/dev/null
    openssl rsa -in "$dir/certs/sa.key" -pubout -out "$dir/certs/sa.pub" 2>/dev/null
    echo "$(openssl rand -hex 16),admin,admin,system:masters" > "$dir/certs/tokens.csv"
    # A fresh start begins fresh logs; a restart appends to them.
    : > "$dir/etcd.log"; : > "$dir/kube-apiserver.log"; : > "$dir/kube-controller-manager.log"
  fi
  local token; token=$(cut -d, -f1 "$dir/certs/tokens.csv")
  local audit=()
  if [ -n "${TARMAC_AUDIT_POLICY:-}" ]; then
    audit=(--audit-policy-file "$TARMAC_AUDIT_POLICY" --audit-log-path "$dir/audit.log" --audit-log-format json
      --audit-log-maxsize 2000 --audit-log-maxbackup 1)
  fi

  "$bin/etcd" --name local --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "local=http://127.0.0.1:$peer_port" >>"$dir/etcd.log" 2>&1 &
  echo $! > "$dir/etcd.pid"

  "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$dir/certs" \
    --token-auth-file "$dir/certs/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/certs/sa.pub" --service-account-signing-key-file "$dir/certs/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 --allow-privileged=true "${audit[@]}" >>"$dir/kube-apiserver.log" 2>&1 &
  echo $! > "$dir/kube-apiserver.pid"

  cat > "$dir/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: https://127.0.0.1:$api_port
      insecure-skip-tls-verify: true
users:
  - name: admin
    user:
      token: $token
contexts:
  - name: local
    context: {cluster: local, user: admin, namespace: default}
current-context: local
KUBECONFIG

  for _ in $(seq 1 120); do
    if "$bin/kubectl" --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1; then break; fi
    kill -0 "$(cat "$dir/kube-apiserver.pid")" 2>/dev/null || { tail -20 "$dir/kube-apiserver.log" >&2; echo "kube-apiserver exited" >&2; exit 1; }
    sleep 0.5
  done
  "$bin/kubectl" --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null || { echo "kube-apiserver not ready" >&2; exit 1; }

  "$bin/kube-controller-manager" --kubeconfig "$dir/kubeconfig" --leader-elect=false \
    --service-account-private-key-file "$dir/certs/sa.key" --root-ca-file "$dir/certs/apiserver.crt" \
    --use-service-account-credentials=false --bind-address 127.0.0.1 --port 0 --secure-port 0 \
    >>"$dir/kube-controller-manager.log" 2>&1 &
  echo $! > "$dir/kube-controller-manager.pid"
  echo "$dir/kubeconfig"
}

case "$cmd" in
  start) start ;;
  restart) start again ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop|restart DIR" >&2; exit 2 ;;
esac
