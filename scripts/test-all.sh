#!/usr/bin/env bash
# The whole suite (README command 2): installs dependencies, then for each of the release, asan
# (AddressSanitizer + UBSan) and tsan (ThreadSanitizer) presets configures with -Werror, builds
# and runs ctest; finally installs the release build and builds/runs the downstream consumer in
# tests/install/, and runs each libFuzzer target for a bounded time (FUZZ_SECONDS, default 15;
# 0 skips it). Exits non-zero on the first failure.
#
#   scripts/test-all.sh                      # release asan tsan + install consumer
#   PRESETS="release" scripts/test-all.sh    # a subset
#   JOBS=4 scripts/test-all.sh               # build/test parallelism (default: nproc)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
read -r -a PRESET_LIST <<< "${PRESETS:-release asan tsan}"

step=""
start=$SECONDS
on_exit() {
    local rc=$?
    if (( rc != 0 )); then
        printf '\n==> test-all: FAILED during: %s (exit %d, %ds)\n' "$step" "$rc" $((SECONDS - start))
    fi
}
trap on_exit EXIT

log() { printf '\n==> [test-all] %s\n' "$*"; }

step="install dependencies"
log "$step"
FUZZ_SECONDS="${FUZZ_SECONDS:-15}"
if (( FUZZ_SECONDS > 0 )); then
    scripts/install-deps.sh --fuzz
else
    scripts/install-deps.sh
fi

for preset in "${PRESET_LIST[@]}"; do
    step="configure $preset"
    log "$step"
    cmake --preset "$preset" -DWEFT_WERROR=ON -DWEFT_BUILD_TESTS=ON -DWEFT_BUILD_EXAMPLES=ON

    step="build $preset"
    log "$step (-j$JOBS)"
    cmake --build --preset "$preset" --parallel "$JOBS"

    step="test $preset"
    log "$step"
    ctest --preset "$preset" --parallel "$JOBS"
done

step="install consumer"
log "$step"
scripts/test-install.sh build/release

if (( FUZZ_SECONDS > 0 )); then
    step="fuzz (${FUZZ_SECONDS}s per target)"
    log "$step"
    JOBS="$JOBS" fuzz/run.sh "$FUZZ_SECONDS"
fi

step="done"
printf '\n==> test-all: ALL PASSED (%s + install consumer + fuzz) in %ds\n' "${PRESET_LIST[*]}" $((SECONDS - start))
