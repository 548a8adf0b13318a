#!/usr/bin/env bash
# Device run: weft vs Tokio vs Asio at 1..16 workers, scale 1 then scale 10, each under a deadline.
set -u
cd "$(dirname "$0")/.."
D=$PWD/.devbench
export WEFT_BUILD_DIR=$D/weft RUST_TARGET_DIR=$D/tokio ASIO_BUILD_DIR=$D/asio
{ date -u; echo "weft: $(cat $D/REV)"; nproc; lscpu | grep -E 'Model name|MHz|L3|Socket|NUMA node\(s\)'; free -g | head -2; uptime; } >"$OUT/machine-info.txt" 2>&1
bench/compare --no-build --threads 1,2,4,8,16 --reps 3 --quiet-wait 1 --deadline ${D1:-240} --out "$OUT/scale1" >"$OUT/scale1.log" 2>&1
bench/compare --no-build --threads 1,2,4,8,16 --reps 3 --quiet-wait 1 --scale 10 --deadline ${D2:-200} --out "$OUT/scale10" >"$OUT/scale10.log" 2>&1
tail -40 "$OUT/scale1.log"; tail -40 "$OUT/scale10.log"
