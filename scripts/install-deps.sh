#!/usr/bin/env bash
# Installs the Debian packages weft needs to build and test. Idempotent: packages that are
# already installed are skipped, and `apt-get update` runs only when something is missing.
#
#   scripts/install-deps.sh            # compiler, CMake, Ninja, GoogleTest, OpenSSL, CLI11
#   scripts/install-deps.sh --clang    # also clang-19 (for the clang-release preset)
#   scripts/install-deps.sh --fuzz     # also clang-19 and libFuzzer's runtime (fuzz/run.sh)
#
# Runs as root directly, otherwise through sudo.
set -euo pipefail

want_clang=0
want_fuzz=0
for arg in "$@"; do
    case "$arg" in
        --clang) want_clang=1 ;;
        --fuzz) want_clang=1; want_fuzz=1 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "install-deps: unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

log() { printf '==> [install-deps] %s\n' "$*"; }

packages=(build-essential g++ cmake ninja-build pkg-config libgtest-dev libssl-dev openssl libcli11-dev)
if (( want_clang )); then
    packages+=(clang-19)
fi
if (( want_fuzz )); then
    packages+=(libclang-rt-19-dev)
fi
# libgmock-dev is a separate package on Debian 11+; older releases ship gmock in libgtest-dev,
# so it is installed only where the archive has it.
optional=(libgmock-dev)

is_installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}
is_known() {
    apt-cache show "$1" >/dev/null 2>&1
}

missing=()
for p in "${packages[@]}"; do
    if is_installed "$p"; then
        log "already installed: $p"
    else
        missing+=("$p")
    fi
done
optional_missing=()
for p in "${optional[@]}"; do
    if is_installed "$p"; then
        log "already installed: $p"
    elif (( ${#missing[@]} > 0 )) || is_known "$p"; then
        optional_missing+=("$p")   # decided again after apt-get update
    else
        log "not in the package archive, skipped: $p"
    fi
done

if (( ${#missing[@]} + ${#optional_missing[@]} == 0 )); then
    log "all dependencies present"
    exit 0
fi

if (( EUID == 0 )); then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-deps: missing ${missing[*]} ${optional_missing[*]}; run as root or install sudo" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log "missing: ${missing[*]} ${optional_missing[*]}"
log "running: apt-get update"
"${SUDO[@]}" apt-get update
for p in "${optional_missing[@]}"; do
    if is_known "$p"; then
        missing+=("$p")
    else
        log "not in the package archive, skipped: $p"
    fi
done
log "running: apt-get install -y --no-install-recommends ${missing[*]}"
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
log "done"
