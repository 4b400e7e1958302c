#!/usr/bin/env bash
# bench-conformance.sh — time full embedded conformance runs: compile the suite once, run it RUNS
# times (default 3) with PROCS parallel processes (default 4), and print per run the number of
# checks and the wall time, then the best and the median. LABELS restricts the runs to a Ginkgo
# label filter (e.g. LABELS='!Profile:TokenRotation'). Reports of the last run stay in
# _artifacts/bench.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-3}
PROCS=${PROCS:-4}
out="$ROOT/_artifacts/bench"
mkdir -p "$out"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

go run github.com/onsi/ginkgo/v2/ginkgo build -o "$bin" ./suites/conformance >/dev/null
suite=$(find "$bin" -name '*.test' | head -n 1)
echo "suite compiled; $RUNS runs with $PROCS processes on $(nproc) cores"
walls=()
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s.%N)
  go run github.com/onsi/ginkgo/v2/ginkgo --procs="$PROCS" ${LABELS:+--label-filter="$LABELS"} "$suite" -- --target=embedded --artifacts="$out" >"$out/run-$i.log" 2>&1 \
    || { echo "run $i failed: see $out/run-$i.log"; exit 1; }
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  walls+=("$wall")
  read -r checks failed suite_s < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["checks"]["total"], r["checks"]["failed"], round(r["durationSeconds"],2))' "$out/conformance-report.json")
  printf 'run %d: %d checks (%d failed), wall %.2fs (suite %.2fs)\n' "$i" "$checks" "$failed" "$wall" "$suite_s"
done
printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {printf "best %.2fs, median %.2fs over %d runs\n", a[1], a[int((NR+1)/2)], NR}'
