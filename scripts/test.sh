#!/usr/bin/env bash
# Runs Rampart's whole test suite on a fresh machine: installs the tools the
# checks need, then formatting, vet, staticcheck and every Go test.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$(go env GOPATH)/bin:$PATH"
STATICCHECK_VERSION=v0.8.2

if ! command -v staticcheck >/dev/null 2>&1 || ! staticcheck -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  echo "==> installing staticcheck $STATICCHECK_VERSION"
  GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

# Headless Chromium for the browser tests of the HTML report.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: install it (e.g. apt-get install chromium) for the browser tests" >&2
  fi
fi

echo "==> gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi

echo "==> go vet"
go vet ./...

echo "==> staticcheck"
staticcheck ./...

RAMPART_TESTCLUSTER_BIN="$(scripts/testcluster-binaries.sh)"; export RAMPART_TESTCLUSTER_BIN # etcd, kube-apiserver, kube-controller-manager for internal/testcluster, built once into a cache
echo "==> go test"
go test -count=1 ./... "$@"
