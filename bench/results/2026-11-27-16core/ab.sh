#!/usr/bin/env bash
# Ran from a bench/portable-bundle directory (here .devbench/) holding the four binaries:
# old = 3faa2bc, new1 = deb8573 (state word), new2 = deb8573 + spin-lock shards, tokio = rt-bench.
# Device A/B: weft 3faa2bc (old) vs state-word change (new1) vs new1 + spin-lock shards (new2)
# vs Tokio, scale 10, rotating order, stops launching runs after $BUDGET seconds.
set -u
cd "$(dirname "$0")"
B=$PWD
BUDGET=${BUDGET:-330}
out=$OUT/ab-raw.tsv
printf 'impl\trep\tbench\tflavor\tthreads\tops\tseconds\tops_per_sec\n' >"$out"
{ date -u; nproc; lscpu | grep -E 'Model name|MHz'; uptime; } >"$OUT/ab-machine.txt" 2>&1
impls=(old new1 new2 tokio)
start=$SECONDS
for rep in 1 2 3; do
  for bench in chained_spawn spawn_many_local spawn_many_remote ping_pong; do
    for cfg in "current 1" "multi 1" "multi 2" "multi 4" "multi 16"; do
      read -r flavor n <<<"$cfg"
      for k in 0 1 2 3; do
        impl=${impls[$(( (k + rep) % 4 ))]}
        (( SECONDS - start > BUDGET )) && { echo "budget reached at rep $rep $bench"; break 4; }
        case $impl in
          old) bin=$B/weft/bench/weft-rt-bench ;; new1) bin=$B/weft-new1 ;; new2) bin=$B/weft-new2 ;;
          tokio) bin=$B/tokio/release/rt-bench ;;
        esac
        timeout 30 "$bin" "$bench" --flavor "$flavor" --threads "$n" --scale 10 --repeat 1 2>/dev/null |
          awk -F'\t' -v i="$impl" -v r="$rep" 'NF == 6 && $1 != "bench" { print i "\t" r "\t" $0 }' >>"$out"
      done
    done
  done
done
echo "elapsed $((SECONDS - start)) s, $(($(wc -l <"$out") - 1)) lines"
python3 - "$out" <<'PY'
import csv, statistics, sys
from collections import defaultdict
d = defaultdict(list)
for r in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    d[(r["bench"], r["flavor"][:3], int(r["threads"]), r["impl"])].append(float(r["ops_per_sec"]) / 1e6)
keys = sorted({k[:3] for k in d}, key=lambda k: (k[0], k[1] != "cur", k[2]))
for k in keys:
    m = {i: statistics.median(d[k + (i,)]) for i in ("old", "new1", "new2", "tokio") if d.get(k + (i,))}
    if len(m) < 4: continue
    print(f"{k[0]:18} {k[1]} {k[2]:2}  old {m['old']:6.2f} new1 {m['new1']:6.2f} new2 {m['new2']:6.2f} tokio {m['tokio']:6.2f}"
          f"  n1/old {m['new1']/m['old']:.2f} n2/old {m['new2']/m['old']:.2f} n1/tok {m['new1']/m['tokio']:.2f} n2/tok {m['new2']/m['tokio']:.2f}")
PY
