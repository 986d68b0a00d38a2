#!/usr/bin/env bash
# Builds natsgo-bench from Debian's packages (the Go toolchain and the nats.go client sources), offline: GOPATH mode
# against /usr/share/gocode, no Go modules. Installs them when missing (needs root).
# Usage: build.sh OUTPUT (the binary's path; keep it out of the repository).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTPUT}
need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d /usr/share/gocode/src/github.com/nats-io/nats.go ] || need+=(golang-github-nats-io-go-nats-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
cd "$here"
GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=${GOCACHE:-${TMPDIR:-/tmp}/natsgo-bench-gocache} go build -o "$out" main.go
echo "$out"
