#!/usr/bin/env bash
# README command 1: installs dependencies, builds the release preset and runs the main example,
# examples/many_requests, which starts its own local HTTP server and prints a summary.
# Extra arguments are passed to the example.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
BIN="build/release/examples/many_requests"

log() { printf '==> [demo] %s\n' "$*"; }

log "installing dependencies"
scripts/install-deps.sh

log "configuring (release preset)"
cmake --preset release -DWEFT_BUILD_EXAMPLES=ON

log "building many_requests (-j$JOBS)"
if ! cmake --build --preset release --parallel "$JOBS" --target many_requests; then
    if [[ ! -f examples/many_requests.cpp ]]; then
        echo "demo: examples/many_requests.cpp does not exist yet" >&2
    fi
    exit 1
fi

log "running $BIN $*"
exec "$BIN" "$@"
