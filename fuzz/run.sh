#!/usr/bin/env bash
# Builds weft's libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time
# against a temporary copy of its seed corpus (fuzz/corpus/<target>/). Exits non-zero if any
# fuzzer finds a crash, leak, timeout or failed invariant; the reproducer is kept under
# $BUILD/artifacts/ and the command to replay it is printed.
#
#   fuzz/run.sh              # 20 s per target
#   fuzz/run.sh 60           # 60 s per target
#   TARGETS="url response" fuzz/run.sh 10
#   CLANGXX=clang++-19 BUILD=build/fuzz JOBS=2 fuzz/run.sh
#
# Needs clang++ (19 preferred) and libFuzzer's runtime: Debian packages clang-19 and
# libclang-rt-19-dev.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_EACH="${1:-20}"
BUILD="${BUILD:-$ROOT/build/fuzz}"
JOBS="${JOBS:-2}"
read -r -a TARGET_LIST <<< "${TARGETS:-url response chunked request request_head}"

if [[ ! "$SECONDS_EACH" =~ ^[0-9]+$ ]] || (( SECONDS_EACH == 0 )); then
    echo "fuzz/run.sh: seconds must be a positive integer, got '$SECONDS_EACH'" >&2
    exit 2
fi

CLANGXX="${CLANGXX:-}"
if [[ -z "$CLANGXX" ]]; then
    for c in clang++-19 clang++-20 clang++-18 clang++; do
        if command -v "$c" >/dev/null 2>&1; then CLANGXX="$c"; break; fi
    done
fi
if [[ -z "$CLANGXX" ]]; then
    echo "fuzz/run.sh: no clang++ found (apt-get install clang-19 libclang-rt-19-dev)" >&2
    exit 2
fi

log() { printf '==> [fuzz] %s\n' "$*"; }

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
log "configure $BUILD with $CLANGXX"
cmake -S "$ROOT/fuzz" -B "$BUILD" "${generator[@]}" -DCMAKE_CXX_COMPILER="$CLANGXX" \
    -DWEFT_BUILD_FUZZERS=ON >/dev/null
log "build (-j$JOBS)"
cmake --build "$BUILD" --parallel "$JOBS"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/weft-fuzz.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ARTIFACTS="$BUILD/artifacts"
mkdir -p "$ARTIFACTS"

dict_for() {
    case "$1" in
        url) echo "$ROOT/fuzz/url.dict" ;;
        response|chunked|request_head) echo "$ROOT/fuzz/http.dict" ;;
        *) echo "" ;;
    esac
}

failed=()
for t in "${TARGET_LIST[@]}"; do
    exe="$BUILD/weft_${t}_fuzz"
    if [[ ! -x "$exe" ]]; then
        echo "fuzz/run.sh: unknown target '$t' (no $exe)" >&2
        exit 2
    fi
    corpus="$WORK/$t"
    mkdir -p "$corpus"
    cp "$ROOT/fuzz/corpus/$t/"* "$corpus/"
    args=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$ARTIFACTS/$t-")
    dict="$(dict_for "$t")"
    [[ -n "$dict" ]] && args+=(-dict="$dict")
    log "run $t for ${SECONDS_EACH}s"
    set +e
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
        "$exe" "${args[@]}" "$corpus" >"$WORK/$t.log" 2>&1
    rc=$?
    set -e
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE' "$WORK/$t.log" | sed "s/^/    $t: /" || true
    if (( rc != 0 )); then
        tail -n 40 "$WORK/$t.log" >&2
        cp "$WORK/$t.log" "$ARTIFACTS/$t.log"
        log "$t FAILED (exit $rc); log: $ARTIFACTS/$t.log; replay: $exe $ARTIFACTS/$t-<crash file>"
        failed+=("$t")
    else
        log "$t ok ($(ls "$corpus" | wc -l) corpus entries)"
    fi
done

if (( ${#failed[@]} > 0 )); then
    log "FAILED: ${failed[*]}"
    exit 1
fi
log "all fuzzers ran ${SECONDS_EACH}s each without findings: ${TARGET_LIST[*]}"
