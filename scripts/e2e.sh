#!/usr/bin/env bash
# e2e.sh — the kind path, end to end: set up Docker, build (or reuse) the node image, the
# gateway's image and the suite's, run every profile of the conformance suite against a kind
# cluster the suite creates and installs the reference gateway into, then run the suite again from
# inside the cluster (the in-cluster Job, `keptn-conformance in-cluster`) and check its results
# tarball, write the reports to _artifacts/e2e, and delete the cluster — also when interrupted —
# unless asked to keep it.
#
# Environment:
#   KEEP_CLUSTER=1   keep the cluster afterwards, and reuse a kept one (fast re-runs)
#   KIND_CLUSTER     cluster name (default keptn-conformance)
#   KIND_NODE_IMAGE  node image to use (default: built offline by scripts/kind-node-image.sh;
#                    KIND_PULL_DEFAULT=1 uses kind's default image where it can be pulled)
#   GATEWAY_IMAGE    gateway image to use (default: built by scripts/gateway-image.sh)
#   CONFORMANCE_IMAGE  the suite's image (default: built by scripts/conformance-image.sh)
#   IN_CLUSTER=0     skip the in-cluster run
#   PROCS            parallel suite processes (default 4); LABELS a Ginkgo label filter
#   ARTIFACTS        report directory (default _artifacts/e2e)
# Output: one "timing: <phase> <seconds>s" line per phase (image, cluster, install, suites,
# in-cluster, teardown), the suites' summaries, and the reports; the in-cluster run's tarball is
# _artifacts/e2e/in-cluster-results.tar.gz, unpacked in _artifacts/e2e/in-cluster/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ARTIFACTS=${ARTIFACTS:-$ROOT/_artifacts/e2e}
CLUSTER=${KIND_CLUSTER:-keptn-conformance}
KEEP=${KEEP_CLUSTER:-0}
PROCS=${PROCS:-4}
IN_CLUSTER=${IN_CLUSTER:-1}

now() { date +%s.%N; }
timing() { printf 'timing: %s %.1fs\n' "$1" "$(echo "$(now) - $2" | bc)" | tee -a "$ARTIFACTS/timing.log"; }

rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
for tool in bc jq; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done

t=$(now)
bash scripts/docker-setup.sh
timing docker "$t"

t=$(now)
NODE_IMAGE=$(bash scripts/kind-node-image.sh | tail -n 1)
GATEWAY=$(bash scripts/gateway-image.sh | tail -n 1)
SUITE_IMAGE=$(bash scripts/conformance-image.sh | tail -n 1)
timing image "$t"
echo "node image: $NODE_IMAGE; gateway image: $GATEWAY; suite image: $SUITE_IMAGE"
kind() { go run sigs.k8s.io/kind "$@"; }
if [[ "$KEEP" != 1 ]] && kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  echo "a kind cluster $CLUSTER exists already: delete it (go run sigs.k8s.io/kind delete cluster --name $CLUSTER) or reuse it with KEEP_CLUSTER=1" >&2
  exit 1
fi

cleanup() {
  local status=$?
  if [[ "$KEEP" != 1 ]] && kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    echo "deleting kind cluster $CLUSTER"
    local t; t=$(now)
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
    timing teardown "$t"
  fi
  if [[ -f "$ARTIFACTS/timing.log" ]]; then
    echo "--- timings ---"
    cat "$ARTIFACTS/timing.log"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The suite keeps the cluster for the in-cluster run; cleanup deletes it unless KEEP_CLUSTER=1.
t=$(now)
status=0
bin/keptn-conformance --procs="$PROCS" --timeout=45m --poll-progress-after=120s \
  ${LABELS:+--label-filter="$LABELS"} \
  --target=kind --kind-cluster="$CLUSTER" --kind-node-image="$NODE_IMAGE" --gateway-image="$GATEWAY" \
  --keep-cluster=true --artifacts="$ARTIFACTS" || status=$?
timing suites "$t"

# The reference installation promises a token rotation without a lost request: whatever grade the
# load check has for an arbitrary installation, this one is held to 0 (cases.MeasureLoadLost).
check_lost() { # report.json, what
  local lost
  [[ -f "$1" ]] || return 0
  lost=$(jq -r '[.measurements[] | select(.profile == "TokenRotation" and (.name | startswith("load during rotation: lost (")))][0].value // empty' "$1")
  if [[ -n "$lost" && "$lost" != 0 ]]; then
    echo "$2: the reference installation lost $lost requests during the token rotation; it promises none (the TokenRotation figures above say how they were lost)" >&2
    status=1
  fi
}
check_lost "$ARTIFACTS/conformance-report.json" "the suite on the host"

# The same certification from inside the cluster: the suite's image as a Job against the Service
# names, its results collected as one tarball, which must hold a green report.
if [[ "$IN_CLUSTER" == 1 && -f "$ARTIFACTS/kubeconfig" ]]; then
  t=$(now)
  kind load docker-image "$SUITE_IMAGE" --name "$CLUSTER" >/dev/null
  tarball="$ARTIFACTS/in-cluster-results.tar.gz"
  bin/keptn-conformance in-cluster --kubeconfig="$ARTIFACTS/kubeconfig" --image="$SUITE_IMAGE" --out="$tarball" -- \
    --procs="$PROCS" --timeout=45m --poll-progress-after=120s ${LABELS:+--label-filter="$LABELS"} \
    --echo-prefix=/api/echo --echo-websocket=/api/echo/websocket \
    --implementation='keptn-gateway (reference implementation) on kind, certified in-cluster' || status=$?
  timing in-cluster "$t"
  if [[ -f "$tarball" ]]; then
    mkdir -p "$ARTIFACTS/in-cluster"
    tar -xzf "$tarball" -C "$ARTIFACTS/in-cluster"
    report="$ARTIFACTS/in-cluster/reports/conformance-report.json"
    for f in reports/conformance-report.yaml reports/junit.xml reports/coverage.html logs/suite.log diagnostics/pods.txt; do
      [[ -s "$ARTIFACTS/in-cluster/$f" ]] || { echo "the in-cluster results tarball has no $f" >&2; status=1; }
    done
    if [[ "$(jq -r '.run.succeeded' "$report" 2>/dev/null)" != true ]] || jq -e '[.profiles[] | select(.level == "core" and .result != "success")] | length > 0' "$report" >/dev/null 2>&1; then
      echo "the in-cluster results tarball holds no green report (run.succeeded, every core profile success): see $ARTIFACTS/in-cluster" >&2
      status=1
    else
      echo "in-cluster: a green report in $tarball"
    fi
    check_lost "$report" "the suite in the cluster"
  else
    echo "the in-cluster run left no results tarball" >&2
    status=1
  fi
fi

# --- the nginx gateway --------------------------------------------------------------------------
# Then the same profiles against a second real gateway: Debian's nginx with fixtures/nginx
# (image: scripts/nginx-image.sh), installed as a user's installation would be (--install
# fixtures/kind/nginx --load-image ...) in front of the reference backends, on the same cluster
# when it is kept, else on a new one; its route to their echo backend (the Upstream profile) is
# named by --echo-prefix and --echo-websocket, as a user's would be. Reports in $ARTIFACTS/nginx.
# E2E_NGINX=0 skips it. Unlike the reference installation it is not held to 0 lost requests
# during the token rotation (a measured SHOULD: nginx answers 502 while the only api-service
# restarts, as upstream does).
if [[ "${E2E_NGINX:-1}" == 1 ]]; then
  t=$(now)
  NGINX=$(bash scripts/nginx-image.sh | tail -n 1)
  nginx_version=$(docker run --rm --entrypoint nginx "$NGINX" -v 2>&1 | sed 's|.*/||')
  timing nginx-image "$t"
  t=$(now)
  bin/keptn-conformance --procs="$PROCS" --timeout=45m --poll-progress-after=120s \
    ${LABELS:+--label-filter="$LABELS"} \
    --target=kind --kind-cluster="$CLUSTER" --kind-node-image="$NODE_IMAGE" \
    --gateway-image="$GATEWAY" --install=fixtures/kind/nginx --load-image="$NGINX" \
    --echo-prefix=/api/echo --echo-websocket=/api/echo/websocket \
    --implementation="nginx $nginx_version (Debian; fixtures/kind/nginx) before the reference backends" \
    --keep-cluster=true --artifacts="$ARTIFACTS/nginx" || status=$?
  timing nginx-suites "$t"
  [[ -f "$ARTIFACTS/nginx/timing.log" ]] && sed 's/^timing: /timing: nginx-/' "$ARTIFACTS/nginx/timing.log" >>"$ARTIFACTS/timing.log"
fi
exit "$status"
