#!/usr/bin/env bash
# `make cds`: an AppCDS archive of the classes the operator loads until /readyz (docs/benchmarks.md, "Start-up").
#
# 1. A training run: a local API server (hack/cluster.sh), `tarmac run` with every CRD option until /readyz answers
#    200 and the catalog, metrics and portal have been asked once, with -XX:DumpLoadedClassList.
# 2. A static archive from that list (java -Xshare:dump). Not a dynamic one (-XX:ArchiveClassesAtExit): on this JDK
#    (17.0.15) both a dynamic dump at exit and a static dump of a list with lambda proxies crash the JVM in
#    SystemDictionaryShared::adjust_lambda_proxy_class_dictionary, so the list's @lambda-proxy lines are dropped
#    (lambdas are then spun at run time, as without an archive).
#
# The archive holds the jars' absolute paths, sizes and times: it serves only this checkout's
# operator/target/tarmac.jar as built, with this `java`. With another build the JVM ignores it (-Xshare:auto) and
# starts as without it; bin/tarmac and the benchmark pass it only when it is newer than the jar.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
jar="$repo/operator/target/tarmac.jar"
out=${1:-$repo/operator/target/tarmac.jsa}
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  "$here/cluster.sh" stop "$work/cluster" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -f "$jar" ] || { echo "cds: $jar is missing; run make build first" >&2; exit 1; }
export KUBECONFIG=$("$here/cluster.sh" start "$work/cluster")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# The same JVM options as the benchmark's operator: the archive is made for SerialGC (its default heap layout).
java -XX:+UseSerialGC -Xmx1g -XX:DumpLoadedClassList="$work/classes.lst" -jar "$jar" run --install-crds \
  --backstage-crds --crossplane-crds --no-leader-election --http-host 127.0.0.1 --anonymous-read \
  --http-port "$port" --namespace default --data-dir "$work/data" >"$work/operator.log" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && break
  kill -0 "$pid" 2>/dev/null || { echo "cds: the training run exited:" >&2; tail -20 "$work/operator.log" >&2; exit 1; }
  sleep 0.1
done
for path in /metrics /api/catalog/entities /catalog; do
  curl -s -o /dev/null "http://127.0.0.1:$port$path" || true
done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
grep -v '^@lambda-proxy' "$work/classes.lst" > "$work/classes-no-lambda.lst"
rm -f "$out"
java -XX:+UseSerialGC -Xshare:dump -XX:SharedClassListFile="$work/classes-no-lambda.lst" \
  -XX:SharedArchiveFile="$out" -cp "$jar" -Xlog:cds=error >"$work/dump.log" 2>&1 \
  || { echo "cds: java -Xshare:dump failed:" >&2; tail -20 "$work/dump.log" >&2; exit 1; }
# Check that this JVM maps it for this jar (fails when it would be ignored).
java -XX:+UseSerialGC -Xshare:on -XX:SharedArchiveFile="$out" -jar "$jar" --version >/dev/null
echo "cds: $(grep -vc '^@' "$work/classes-no-lambda.lst") classes archived in ${out#$repo/} ($(du -m "$out" | cut -f1) MiB)"
