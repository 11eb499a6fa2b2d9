#!/usr/bin/env bash
# Builds the etcd, kube-apiserver and kube-controller-manager binaries used by
# internal/testcluster from the nested modules in internal/testcluster/build/,
# into a cache directory keyed by their versions:
#
#   ${RAMPART_TESTCLUSTER_CACHE:-$HOME/.cache/rampart-testcluster}/<version>/
#
# A binary already in that directory is not rebuilt. Progress goes to stderr;
# the directory alone is printed on stdout, so that callers can do
#
#   RAMPART_TESTCLUSTER_BIN="$(scripts/testcluster-binaries.sh)"
#
# A cold build takes 10-15 minutes on 2 cores (kube-apiserver is the long one)
# and needs about 1 GB of Go modules, a few GB of build cache and 250 MB of binaries.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/internal/testcluster/build"

# modver DIR MODULE prints the version of MODULE required by DIR/go.mod.
modver() {
  awk -v m="$2" '{ sub(/\/\/.*/, "") } $1 == m || ($1 == "require" && $2 == m) { print ($1 == m ? $2 : $3); exit }' "$build/$1/go.mod"
}

kube_version=$(modver kube-apiserver k8s.io/kubernetes)
etcd_version=$(modver etcd go.etcd.io/etcd/server/v3)
if [ -z "$kube_version" ] || [ -z "$etcd_version" ]; then
  echo "testcluster-binaries: cannot read versions from $build/*/go.mod" >&2
  exit 2
fi
platform="$(go env GOOS)-$(go env GOARCH)"
# Keep this key in step with versionKey in internal/testcluster/binaries.go.
key="kubernetes-${kube_version}_etcd-${etcd_version}_${platform}"
cache="${RAMPART_TESTCLUSTER_CACHE:-$HOME/.cache/rampart-testcluster}"
dir="$cache/$key"
mkdir -p "$dir"

# Serialise concurrent runs on the same cache directory.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dir/.lock"
  flock 9
fi

kube_minor=${kube_version#v1.}
kube_minor=${kube_minor%%.*}
version_pkg=k8s.io/component-base/version

# build NAME MODULE_DIR [LDFLAGS...] builds one binary unless it is there.
build() {
  local name=$1 moddir=$2
  shift 2
  local out="$dir/$name"
  if [ -x "$out" ]; then
    echo "testcluster-binaries: $name is cached: $out" >&2
    return
  fi
  echo "testcluster-binaries: building $name into $out (takes minutes)" >&2
  local start=$SECONDS tmp="$out.tmp.$$"
  (
    cd "$build/$moddir"
    GOWORK=off CGO_ENABLED=0 go build -trimpath -buildvcs=false -mod=readonly \
      -ldflags "-s -w $*" -o "$tmp" .
  ) || { rm -f "$tmp"; echo "testcluster-binaries: building $name failed" >&2; exit 1; }
  mv -f "$tmp" "$out"
  echo "testcluster-binaries: built $name in $((SECONDS - start))s ($(du -m "$out" | cut -f1) MB)" >&2
}

# What /version reports, as in an upstream release build.
kube_ldflags=(
  "-X $version_pkg.gitVersion=$kube_version"
  "-X $version_pkg.gitMajor=1"
  "-X $version_pkg.gitMinor=$kube_minor"
  "-X $version_pkg.gitTreeState=clean"
)
build etcd etcd
build kube-apiserver kube-apiserver "${kube_ldflags[@]}"
# Optional for tests (testcluster.Options.ControllerManager); a few minutes more
# on a cold cache, as it shares most packages with kube-apiserver.
build kube-controller-manager kube-controller-manager "${kube_ldflags[@]}"

echo "$dir"
