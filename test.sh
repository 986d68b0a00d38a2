#!/usr/bin/env bash
# Installs what the tests need from Debian (nats-server, python3-msgpack and python3-cryptography for the wire tests,
# python3-jsonschema for the $SRV replies, chromium for the dashboard,
# Go and nats.go for the e2e smoke test, clang, lld and zlib1g-dev for the NativeAOT publish), builds, runs every test
# project and
# prints one closing line "N passed, M failed". Exits non-zero when anything failed or no test ran.
set -uo pipefail
cd "$(dirname "$0")"

need=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
/usr/bin/python3 -c 'import msgpack' >/dev/null 2>&1 || need+=(python3-msgpack)
# The e2e benchmark's smoke test builds its nats.go peer with Debian's Go and nats.go (benchmarks/peers/natsgo).
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d /usr/share/gocode/src/github.com/nats-io/nats.go ] || need+=(golang-github-nats-io-go-nats-dev)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v ld.lld >/dev/null 2>&1 || need+=(lld)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need+=(zlib1g-dev)
/usr/bin/python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' >/dev/null 2>&1 || need+=(python3-cryptography)
# The NATS service API tests validate $SRV replies with python3-jsonschema; the dashboard test drives Debian's chromium.
/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 || need+=(python3-jsonschema)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]} from Debian's packages..."
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null \
    || { echo "could not install ${need[*]}"; echo "0 passed, 1 failed"; exit 1; }
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

if ! dotnet build Macula.Framework.sln -c Release -nologo -v q 2>&1 | tee "$results/build.log" | grep -E "error|warn" ; then :; fi
if ! grep -q "Build succeeded" "$results/build.log" && grep -qE " error " "$results/build.log"; then
  echo "Build failed."
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
dotnet test Macula.Framework.sln -c Release --no-build -nologo \
  --logger "trx" --results-directory "$results/trx" -- RunConfiguration.TreatNoTestsAsError=false 2>&1 | tee "$results/test.log" || status=$?

passed=0; failed=0
for f in "$results"/trx/*.trx; do
  [ -f "$f" ] || continue
  c=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  p=$(echo "$c" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p'); p=${p:-0}
  fl=$(echo "$c" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p'); fl=${fl:-0}
  passed=$((passed + p)); failed=$((failed + fl))
done

echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ] || [ "$status" -ne 0 ]; then
  exit 1
fi
