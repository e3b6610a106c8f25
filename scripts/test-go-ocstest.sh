#!/usr/bin/env bash
# The Go helper package go/ocstest (ocstest.Start(t): a server in testing mode for Go tests with
# the official Go SDK) and its own tests, each of which starts a real server from this checkout.
# Needs Go (1.21 or later) and the built server (npm ci, or npm run build: packages/*/dist).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v go >/dev/null; then
  echo "test-go-ocstest: go is not on PATH" >&2
  exit 1
fi
for dist in packages/cli/dist packages/server/dist packages/protocol/dist; do
  if [ ! -d "$dist" ]; then
    echo "test-go-ocstest: $dist is missing: run npm ci (or npm run build) first" >&2
    exit 1
  fi
done

cd go/ocstest
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "test-go-ocstest: not gofmt'ed: $unformatted" >&2
  exit 1
fi
go vet ./...
# This checkout's server, whatever OCS_BIN the caller has.
OCS_BIN="$root/packages/cli/bin/ocs.js" go test -count=1 -timeout 10m "$@" ./...
