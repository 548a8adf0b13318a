#!/usr/bin/env bash
# Installs a weft build into a temporary prefix, then configures, builds and runs the downstream
# consumer in tests/install/ against it (find_package(weft) + weft::weft).
#
#   scripts/test-install.sh [BUILD_DIR]     # default: build/release
#
# If BUILD_DIR has not been configured yet it is configured with the release preset (tests and
# examples off). Only the library target is (re)built. Exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BUILD_DIR="${1:-build/release}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

log() { printf '==> [test-install] %s\n' "$*"; }

if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    if [[ "$BUILD_DIR" != "build/release" ]]; then
        echo "test-install: $BUILD_DIR is not a configured build directory" >&2
        exit 2
    fi
    log "configuring release preset (library only)"
    cmake --preset release -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF
fi

log "building the weft library in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target weft --parallel "$JOBS"

# Build the consumer with the compiler and flags the library was built with (a sanitizer build
# needs the same runtime in the consumer).
cache_get() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD_DIR/CMakeCache.txt" | head -n1; }
CXX_COMPILER="$(cache_get CMAKE_CXX_COMPILER)"
if [[ -z "$CXX_COMPILER" ]]; then
    # Set by a toolchain file (clang-release): CMake records it per compiler version.
    CXX_COMPILER="$(sed -n 's/^set(CMAKE_CXX_COMPILER "\(.*\)")$/\1/p' \
        "$BUILD_DIR"/CMakeFiles/*/CMakeCXXCompiler.cmake 2>/dev/null | head -n1 || true)"
fi
CXX_FLAGS="$(cache_get CMAKE_CXX_FLAGS)"
LINKER_FLAGS="$(cache_get CMAKE_EXE_LINKER_FLAGS)"
BUILD_TYPE="$(cache_get CMAKE_BUILD_TYPE)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/weft-install.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
PREFIX="$WORK/prefix"

log "installing $BUILD_DIR into $PREFIX"
cmake --install "$BUILD_DIR" --prefix "$PREFIX"

for f in weftConfig.cmake weftConfigVersion.cmake weftTargets.cmake; do
    if ! find "$PREFIX" -name "$f" | grep -q .; then
        echo "test-install: $f was not installed" >&2
        exit 1
    fi
done
[[ -f "$PREFIX/include/weft/weft.hpp" ]] || { echo "test-install: weft/weft.hpp not installed" >&2; exit 1; }

log "configuring the consumer (tests/install) against $PREFIX"
cmake -S tests/install -B "$WORK/consumer" -G Ninja \
    -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
    ${CXX_COMPILER:+-DCMAKE_CXX_COMPILER="$CXX_COMPILER"} \
    -DCMAKE_CXX_FLAGS="$CXX_FLAGS" \
    -DCMAKE_EXE_LINKER_FLAGS="$LINKER_FLAGS"

log "building the consumer"
cmake --build "$WORK/consumer" --parallel "$JOBS"

log "running the consumer"
if "$WORK/consumer/weft_consumer"; then
    log "PASS: find_package(weft) consumer built and returned 0 (block_on(answer()) == 42)"
else
    rc=$?
    log "FAIL: consumer exited with $rc"
    exit "$rc"
fi
