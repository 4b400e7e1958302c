#!/usr/bin/env bash
# bench-conformance.sh — time full embedded conformance runs of bin/keptn-conformance (make bench
# builds it): RUNS runs (default 3) with PROCS parallel processes (default 6, as make conformance). Per run it prints the
# checks, the suite time (the report's duration: set-up, specs, teardown), the wall time (start to
# exit), the overhead (start to the first check: process starts, spec tree, target set-up), the
# CPU time (user + system of every process of the run, the embedded gateway's included: on a
# shared machine the figure least bent by others' load) and the checks per second of suite time;
# then best, median and spread of each, and the load average. LABELS
# restricts the runs to a Ginkgo label filter (e.g. LABELS='Profile:Core'). Reports of the last
# run stay in _artifacts/bench.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-3}
PROCS=${PROCS:-6}
BIN=${KEPTN_CONFORMANCE:-bin/keptn-conformance}
out="$ROOT/_artifacts/bench"
mkdir -p "$out"
[[ -x $BIN ]] || { echo "no $BIN: run make keptn-conformance (make bench does)"; exit 1; }

echo "$RUNS runs of $BIN with $PROCS processes on $(nproc) cores${LABELS:+, labels $LABELS}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$out/run-$i.time" \
    "$BIN" --procs="$PROCS" --randomize-all ${LABELS:+--label-filter="$LABELS"} --target=embedded --artifacts="$out" >"$out/run-$i.log" 2>&1 \
    || { echo "run $i failed: see $out/run-$i.log"; exit 1; }
  end=$(date +%s.%N)
  row=$(python3 - "$out" "$start" "$end" "$out/run-$i.time" <<'EOF'
import datetime, json, sys
out, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
cpu = sum(map(float, open(sys.argv[4]).read().split()[-2:]))
rep = json.load(open(out + "/conformance-report.json"))
def ts(s):  # RFC 3339 with nanoseconds, as Ginkgo writes it
    date, _, frac = s.rstrip("Z").partition(".")
    frac, zone = (frac[:frac.find("+")], frac[frac.find("+"):]) if "+" in frac else (frac, "+00:00")
    return datetime.datetime.fromisoformat(date + zone).timestamp() + float("0." + (frac or "0"))
specs = json.load(open(out + "/ginkgo-report.json"))[0]["SpecReports"]
first = min(ts(s["StartTime"]) for s in specs if s["LeafNodeType"] == "It" and s["State"] != "skipped")
checks, suite = rep["checks"]["total"], rep["durationSeconds"]
print(checks, rep["checks"]["failed"], f"{suite:.2f}", f"{end - start:.2f}", f"{first - start:.2f}", f"{cpu:.2f}", f"{checks / suite:.0f}")
EOF
)
  read -r checks failed suite wall overhead cpu rate <<<"$row"
  printf 'run %d: %d checks (%d failed), suite %.2fs, wall %.2fs, overhead %.2fs, CPU %.2fs, %d checks/s\n' "$i" "$checks" "$failed" "$suite" "$wall" "$overhead" "$cpu" "$rate"
  rows+=("$suite $wall $overhead $cpu $rate")
done
printf '%s\n' "${rows[@]}" | python3 -c '
import statistics, sys
cols = list(zip(*[map(float, l.split()) for l in sys.stdin if l.strip()]))
for name, unit, vals, best in (("suite", "s", cols[0], min), ("wall", "s", cols[1], min), ("overhead", "s", cols[2], min), ("CPU", "s", cols[3], min), ("checks/s", "", cols[4], max)):
    print(f"{name}: best {best(vals):.2f}{unit}, median {statistics.median(vals):.2f}{unit}, spread {min(vals):.2f}-{max(vals):.2f}{unit}")
'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
