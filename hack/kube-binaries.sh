#!/usr/bin/env bash
# Provides kube-apiserver, kube-controller-manager, etcd and kubectl for tests, the demo and benchmarks, cached
# outside the work tree in the layout fabric8 kube-api-test expects:
#   ${TARMAC_CACHE:-~/.cache/tarmac}/k8s/1.20.2-linux-amd64/{kube-apiserver,kube-controller-manager,etcd,kubectl}
# Order: (1) the cache; (2) the envtest download where the internet is reachable; (3) a build from Debian's
# `kubernetes` source package (shared/TESTING.md describes the recipe). A second run does nothing.
set -euo pipefail

VERSION=1.20.2
CACHE=${TARMAC_CACHE:-$HOME/.cache/tarmac}
DEST=$CACHE/k8s/$VERSION-linux-amd64
BINARIES=(kube-apiserver kube-controller-manager etcd kubectl)
start=$(date +%s)

log() { echo "kube-binaries: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

have_all() {
  for b in "${BINARIES[@]}"; do [ -x "$DEST/$b" ] || return 1; done
}

if have_all; then
  echo "$DEST"
  exit 0
fi
mkdir -p "$DEST"
# Several builds at once (parallel test runs, a demo and a test) would fight over apt and the build folder: the
# second waits for the first and then finds the binaries in the cache.
exec 9>"$CACHE/.kube-binaries.lock"
if ! flock -n 9; then
  log "another run is providing the binaries; waiting for it"
  flock 9
fi
if have_all; then
  echo "$DEST"
  exit 0
fi

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else fail "need root (or sudo) to run: $*"; fi
}

# (2) The envtest archive (kube-apiserver, etcd, kubectl) where the internet is reachable. kube-controller-manager is
# not in it; the source build below provides it when needed.
try_envtest() {
  local url="https://storage.googleapis.com/kubebuilder-tools/kubebuilder-tools-$VERSION-linux-amd64.tar.gz"
  command -v curl >/dev/null || return 1
  curl -sfI --connect-timeout 3 --max-time 5 "$url" >/dev/null 2>&1 || { log "no internet for envtest binaries; building from source"; return 1; }
  local tmp; tmp=$(mktemp -d)
  curl -sfL --max-time 300 "$url" | tar -xz -C "$tmp" || return 1
  for b in kube-apiserver etcd kubectl; do install -m 0755 "$tmp/kubebuilder/bin/$b" "$DEST/$b"; done
  rm -rf "$tmp"
  log "envtest binaries installed"
}

# (3) Build from Debian's source package.
build_from_debian_source() {
  export DEBIAN_FRONTEND=noninteractive
  local build=$CACHE/build
  local src_list=/etc/apt/sources.list.d/tarmac-deb-src.sources
  if [ ! -f "$src_list" ]; then
    # Derive the deb-src entry from the machine's own Debian source list, so no host is named here.
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | as_root tee "$src_list" >/dev/null
    elif [ -f /etc/apt/sources.list ]; then
      grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | as_root tee /etc/apt/sources.list.d/tarmac-deb-src.list >/dev/null
    else
      fail "no Debian source list found to derive a deb-src entry from"
    fi
  fi
  log "installing build dependencies (apt-get)"
  as_root apt-get update -q >/dev/null || fail "apt-get update"
  as_root apt-get install -y -q golang-1.19-go rsync make etcd-server golang-github-modern-go-reflect2-dev dpkg-dev >/dev/null \
    || fail "apt-get install of the build dependencies"
  rm -rf "$build" && mkdir -p "$build"
  log "fetching Debian's kubernetes source package"
  (cd "$build" && apt-get source -q kubernetes >/dev/null 2>&1) || fail "apt-get source kubernetes"
  local tree; tree=$(find "$build" -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
  [ -n "$tree" ] || fail "the kubernetes source tree was not unpacked"
  # The vendored reflect2 1.0.1 crashes on Go 1.18+ as soon as a custom resource is written; 1.0.2 does not.
  rm -rf "$tree/vendor/github.com/modern-go/reflect2"
  cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$tree/vendor/github.com/modern-go/reflect2"
  export PATH=/usr/lib/go-1.19/bin:$PATH GOPATH=$build/gopath GO111MODULE=off GOFLAGS= GOCACHE=$build/gocache
  mkdir -p "$GOPATH/src/k8s.io"
  ln -sfn "$tree" "$GOPATH/src/k8s.io/kubernetes"
  cd "$GOPATH/src/k8s.io/kubernetes"
  log "generating files (about a minute)"
  make generated_files >"$build/generated.log" 2>&1 || fail "make generated_files (see $build/generated.log)"
  for cmd in kube-apiserver kube-controller-manager; do
    if [ ! -x "$DEST/$cmd" ]; then
      log "building $cmd (a few minutes on 2 cores)"
      go build -o "$DEST/$cmd" "./cmd/$cmd" || fail "go build $cmd"
    fi
  done
  if [ ! -x "$DEST/kubectl" ] && ! command -v kubectl >/dev/null; then
    log "building kubectl"
    go build -o "$DEST/kubectl" ./cmd/kubectl || fail "go build kubectl"
  fi
  cd /
  rm -rf "$build"
}

if ! have_all; then
  try_envtest || true
fi
if [ ! -x "$DEST/kube-apiserver" ] || [ ! -x "$DEST/kube-controller-manager" ]; then
  build_from_debian_source
fi
if [ ! -x "$DEST/etcd" ]; then
  if [ ! -x /usr/bin/etcd ]; then
    as_root apt-get install -y -q etcd-server >/dev/null || fail "apt-get install etcd-server"
  fi
  ln -sfn /usr/bin/etcd "$DEST/etcd"
fi
if [ ! -x "$DEST/kubectl" ]; then
  ln -sfn "$(command -v kubectl)" "$DEST/kubectl"
fi
have_all || fail "some binaries are still missing in $DEST"
log "ready in $DEST after $(( $(date +%s) - start )) s"
echo "$DEST"
