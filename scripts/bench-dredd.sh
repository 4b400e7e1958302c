#!/usr/bin/env bash
# bench-dredd.sh — contract checks per second, keptn-conformance against Dredd 14.1.0, side by
# side on one reference gateway (by hand, not in CI; needs Go, Node.js and npm).
#
# It installs Dredd from npm into _artifacts/dredd (once), starts the reference gateway
# (`keptn-gateway serve`, built from ./cmd/keptn-gateway) on loopback with a known token, and runs
# on it, one after the other: Dredd over the bundled OpenAPI 3 documents (specs/; Dredd's OpenAPI
# 3 support is experimental: it needs an example for every parameter and takes one endpoint, so
# it gets them with each path under its server's base path and an example per parameter), then
# keptn-conformance's Core profile (--label-filter=Profile:Core, PROCS processes, default 4).
# It prints for each: checks (Dredd: transactions run; keptn-conformance: Core checks), the
# tool's own time (Dredd's "Tests took", the report's suite time), wall time and CPU time (user +
# system of the tool and its processes, not the gateway's: on a shared machine the figure least
# bent by others' load), checks per second of each, and the ratios. Dredd's verdicts are not the
# point (it sends one example request for every documented response, so most of its transactions
# fail); each transaction is one request validated against the document, its unit of checking.
# The gateway commits without fsync by default (GATEWAY_SYNC=1: with it): with fsync both tools
# measure the disk (bbolt writes one commit at a time, each waiting for it), not themselves.
# Output in _artifacts/bench-dredd.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DREDD_VERSION=14.1.0
PROCS=${PROCS:-4}
BIN=${KEPTN_CONFORMANCE:-bin/keptn-conformance}
out="$ROOT/_artifacts/bench-dredd"
dredd_dir="$ROOT/_artifacts/dredd"
dredd="$dredd_dir/node_modules/.bin/dredd"
rm -rf "$out" && mkdir -p "$out/docs"
[[ -x $BIN ]] || { echo "no $BIN: run make keptn-conformance"; exit 1; }

if ! "$dredd" --version 2>/dev/null | grep -q "v$DREDD_VERSION"; then
  echo "installing Dredd $DREDD_VERSION into $dredd_dir"
  npm install --prefix "$dredd_dir" --no-audit --no-fund --loglevel=error "dredd@$DREDD_VERSION" >/dev/null
fi

# The reference gateway on two free loopback ports, with a known token.
read -r http_port https_port < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
endpoint="http://127.0.0.1:$http_port"
token="bench-dredd-$(date +%s%N)"
# Built, then started (not `go run`: the gateway is then this script's child, stopped by its id).
go build -o "$out/keptn-gateway" ./cmd/keptn-gateway
no_sync=true
[[ ${GATEWAY_SYNC:-0} == 1 ]] && no_sync=false
KEPTN_API_TOKEN=$token "$out/keptn-gateway" serve --data-dir "$out/gateway-data" --no-sync="$no_sync" \
  --http "127.0.0.1:$http_port" --https "127.0.0.1:$https_port" >"$out/gateway.log" 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null; wait "$gateway" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null -X POST -H "x-token: $token" "$endpoint/api/v1/auth" 2>/dev/null && break
  kill -0 "$gateway" 2>/dev/null || { echo "the gateway did not start: see $out/gateway.log"; exit 1; }
  sleep 0.1
done

# Dredd's input: the bundled documents, each path under its server's base path, every path or
# required parameter with an example.
DREDD_DIR=$dredd_dir node - "$out/docs" specs/api-service.yaml specs/configuration-service.yaml specs/mongodb-datastore.yaml <<'EOF'
const fs = require('fs'), path = require('path');
const yaml = require(path.join(process.env.DREDD_DIR, 'node_modules', 'js-yaml'));
const [out, ...docs] = process.argv.slice(2);
const example = (p) => p.schema && p.schema.enum ? p.schema.enum[0]
  : p.schema && (p.schema.type === 'integer' || p.schema.type === 'number') ? (p.schema.minimum ?? 1)
  : p.schema && p.schema.type === 'boolean' ? false : 'kc-dredd-' + p.name.toLowerCase();
const give = (prm) => {
  if (prm && !prm.$ref && prm.example === undefined && (prm.in === 'path' || prm.required)) prm.example = example(prm);
};
for (const file of docs) {
  const doc = yaml.load(fs.readFileSync(file, 'utf8'));
  const base = ((doc.servers && doc.servers[0] && doc.servers[0].url) || '').replace(/\/$/, '');
  delete doc.servers;
  Object.values((doc.components && doc.components.parameters) || {}).forEach(give);
  const paths = {};
  for (const [p, item] of Object.entries(doc.paths || {})) {
    for (const op of [item, ...Object.values(item)]) ((op && op.parameters) || []).forEach(give);
    paths[base + p] = item;
  }
  doc.paths = paths;
  fs.writeFileSync(path.join(out, path.basename(file, '.yaml') + '.json'), JSON.stringify(doc, null, 1));
}
EOF

echo "one gateway at $endpoint (--no-sync=$no_sync); 2 cores shared, load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f '%e %U %S' -o "$out/dredd.time" \
  "$dredd" "$out"/docs/*.json "$endpoint" --header "x-token: $token" --reporter=none --loglevel=warning >"$out/dredd.log" 2>&1 || true
dredd_total=$(sed -n 's/.*complete.*: .* \([0-9][0-9]*\) total.*/\1/p' "$out/dredd.log" | tail -n 1)
dredd_ms=$(sed -n 's/.*Tests took \([0-9][0-9]*\)ms.*/\1/p' "$out/dredd.log" | tail -n 1)
[[ -n $dredd_total && -n $dredd_ms ]] || { echo "Dredd ran no test: see $out/dredd.log"; exit 1; }

/usr/bin/time -f '%e %U %S' -o "$out/keptn-conformance.time" \
  "$BIN" --procs="$PROCS" --randomize-all --label-filter=Profile:Core --target=external --endpoint="$endpoint" --token="$token" \
  --artifacts="$out/keptn-conformance" >"$out/keptn-conformance.log" 2>&1 || { echo "keptn-conformance failed: see $out/keptn-conformance.log"; exit 1; }
read -r kc_total kc_suite < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["checks"]["total"], r["durationSeconds"])' "$out/keptn-conformance/conformance-report.json")

python3 - "$dredd_total" "$dredd_ms" "$out/dredd.time" "$kc_total" "$kc_suite" "$out/keptn-conformance.time" "$PROCS" <<'EOF'
import sys
dt, dms, dtime, kt, ks, ktime, procs = sys.argv[1:]
def times(f):  # wall, CPU
    e, u, s = map(float, open(f).read().split()[-3:])
    return e, u + s
(dwall, dcpu), (kwall, kcpu) = times(dtime), times(ktime)
dt, ds, kt, ks = int(dt), int(dms) / 1000, int(kt), float(ks)
for name, n, own, wall, cpu, note in (("Dredd 14.1.0:     ", dt, ds, dwall, dcpu, ""), ("keptn-conformance:", kt, ks, kwall, kcpu, f", {procs} processes")):
    print(f"{name} {n:4d} checks in {own:6.2f}s (wall {wall:6.2f}s, CPU {cpu:6.2f}s): {n / own:7.1f} checks/s, {n / wall:6.1f} of wall, {n / cpu:6.1f} per CPU-second{note}")
print(f"ratio keptn-conformance / Dredd: {(kt / ks) / (dt / ds):.1f}x checks/s, {(kt / kwall) / (dt / dwall):.1f}x of wall, {(kt / kcpu) / (dt / dcpu):.1f}x per CPU-second")
EOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
