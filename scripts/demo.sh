#!/usr/bin/env bash
# README command 1: installs dependencies, builds the release preset and runs the main job,
# `weft-fetch demo`: it starts the bundled HTTP server on 127.0.0.1, fetches a mix of 10,000
# requests from it (some slow, some missing, a few refused or timing out) and prints the summary.
# Extra arguments are passed to `weft-fetch demo` (e.g. -n 100000 -c 200).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
BIN="build/release/tools/weft-fetch/weft-fetch"

log() { printf '==> [demo] %s\n' "$*"; }

log "installing dependencies"
scripts/install-deps.sh

log "configuring (release preset)"
cmake --preset release

log "building weft-fetch (-j$JOBS)"
cmake --build --preset release --parallel "$JOBS" --target weft-fetch

log "running $BIN demo $*"
exec "$BIN" demo "$@"
