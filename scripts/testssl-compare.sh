#!/usr/bin/env bash
# testssl-compare.sh — cross-check the conformance suite's TLS verdicts against testssl.sh.
#
# Run by hand (not in CI), from anywhere inside the repository:
#
#     scripts/testssl-compare.sh [--keep]
#
# It:
#   1. installs testssl.sh and jq with apt-get when they are missing (Debian packages
#      `testssl.sh` and `jq`; the command is `testssl` or `testssl.sh`);
#   2. builds the reference gateway into a temporary directory and starts it on loopback
#      (ports chosen by the kernel: --http/--https 127.0.0.1:0, read back from its start-up
#      lines), waits for /nginx-health over HTTPS, and stops it on exit;
#   3. runs the suite's TLS profiles (Profile:TLS || Profile:TLSExtended) against it as an
#      external target, keeping conformance-report.json and ginkgo-report.json;
#   4. runs testssl.sh against it: protocols (-p), cipher suites per protocol (-E), server
#      defaults (-S) and headers (-h), with --nodns none, --ip 127.0.0.1 and NXCONNECT=127.0.0.1:0
#      so that it makes no DNS lookup and contacts 127.0.0.1 only (the URI is localhost:PORT, so
#      it sends the same SNI, localhost, as the suite does), and the gateway's certificate as an
#      extra CA (--add-ca);
#   5. prints a table (aspect | suite verdict | testssl.sh finding | agree?), then the testssl.sh
#      findings it did not compare.
#
# Options:
#   --keep       keep the temporary directory (gateway, its data and log, both reports)
#   -h, --help   print this header
#
# Environment (all optional):
#   TARGET_HTTPS    host:port of another gateway's HTTPS listener to compare instead; nothing
#                   is built or started, and then:
#     TOKEN           its API token (required with TARGET_HTTPS)
#     TARGET_ENDPOINT its base URL for the suite's --endpoint (default https://TARGET_HTTPS)
#     CA_FILE         PEM file of its CA (default: none, the suite runs with --insecure=true
#                     and does not verify the chain)
#     SERVER_NAME     TLS server name to ask for (default: TARGET_HTTPS's host); testssl.sh then
#                     connects to the host with --ip when the host is an IPv4 address, and
#                     resolves the host itself (--nodns min) otherwise
#   GO              the go command (default go)
#
# Output: progress on stderr; the comparison on stdout, with where the testssl.sh JSON, the
# suite's reports and the logs are (removed at exit unless --keep).
# Exit status: 0 when every compared aspect agrees, 1 when one does not (or could not be
# decided), 2 when the comparison could not be run.
set -euo pipefail

KEEP=false
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=true ;;
    -h | --help)
      sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
      exit 0
      ;;
    *)
      echo "testssl-compare: unknown argument: $arg (see --help)" >&2
      exit 2
      ;;
  esac
done

GO=${GO:-go}
say() { echo "testssl-compare: $*" >&2; }
die() {
  echo "testssl-compare: ERROR: $*" >&2
  exit 2
}
now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T_START=$(now)
declare -A TIMING=()
TIMING_ORDER=()
timed() { TIMING[$1]=$2 && TIMING_ORDER+=("$1"); }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
grep -q '^module github.com/keptn-conformance/keptn-conformance$' "$ROOT/go.mod" 2>/dev/null ||
  die "$ROOT is not the keptn-conformance repository"
command -v "$GO" >/dev/null || die "no go command ($GO)"

# --- 1. tools -------------------------------------------------------------------------------
apt_install() {
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "$* missing, and not root to install it with apt-get"
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null || die "$* missing, and no apt-get to install it with"
  say "installing $* with apt-get"
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@" >&2
}
find_testssl() {
  local c
  for c in testssl testssl.sh; do
    if command -v "$c" >/dev/null; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}
missing=()
find_testssl >/dev/null || missing+=(testssl.sh)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  t=$(now)
  apt_install "${missing[@]}"
  timed "apt-get install ${missing[*]}" "$(since "$t")"
fi
TESTSSL=$(find_testssl) || die "testssl.sh is still missing after apt-get install"
TESTSSL_VERSION=$( (cd / && { COLOR=0 "$TESTSSL" --version 2>/dev/null || true; }) |
  sed -n 's/^ *testssl\(\.sh\)\{0,1\} \{1,\}\([0-9][^ ]*\).*/\2/p' | head -1)
if command -v dpkg-query >/dev/null && pkg=$(dpkg-query -W -f='${Version}' testssl.sh 2>/dev/null); then
  TESTSSL_VERSION="${TESTSSL_VERSION:-?} (Debian package $pkg)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/testssl-compare.XXXXXX")
GW_PID=""
cleanup() {
  local rc=$? i
  if [[ -n "$GW_PID" ]] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$GW_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
  fi
  if "$KEEP"; then
    say "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 2. the gateway -------------------------------------------------------------------------
is_ipv4() { [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; }
if [[ -n "${TARGET_HTTPS:-}" ]]; then
  [[ $TARGET_HTTPS == *:* ]] || die "TARGET_HTTPS must be host:port, not $TARGET_HTTPS"
  [[ -n "${TOKEN:-}" ]] || die "TARGET_HTTPS needs TOKEN (the gateway's API token) for the suite"
  HTTPS_HOST=${TARGET_HTTPS%:*}
  HTTPS_PORT=${TARGET_HTTPS##*:}
  HTTPS_URL="https://$TARGET_HTTPS"
  ENDPOINT=${TARGET_ENDPOINT:-$HTTPS_URL}
  DOMAIN=${SERVER_NAME:-$HTTPS_HOST}
  CA=${CA_FILE:-}
  [[ -z "$CA" || -r "$CA" ]] || die "CA_FILE $CA cannot be read"
  API_TOKEN=$TOKEN
  IMPLEMENTATION="gateway at $TARGET_HTTPS"
  say "comparing against $HTTPS_URL (TARGET_HTTPS; nothing built or started)"
else
  t=$(now)
  say "building the reference gateway"
  (cd "$ROOT" && "$GO" build -o "$WORK/keptn-gateway" ./cmd/keptn-gateway) || die "go build failed"
  timed "build the gateway" "$(since "$t")"
  t=$(now)
  # A pristine gateway: none of the caller's KEPTN_GATEWAY_* or KEPTN_API_TOKEN settings.
  unset_env=()
  while IFS= read -r name; do
    [[ $name == KEPTN_GATEWAY_* || $name == KEPTN_API_TOKEN ]] && unset_env+=(-u "$name")
  done < <(compgen -e)
  env "${unset_env[@]}" "$WORK/keptn-gateway" serve --http 127.0.0.1:0 --https 127.0.0.1:0 \
    --data-dir "$WORK/data" --domain localhost >"$WORK/gateway.log" 2>&1 &
  GW_PID=$!
  HTTPS_URL=""
  for ((i = 0; i < 300; i++)); do
    kill -0 "$GW_PID" 2>/dev/null || die "the gateway stopped: $(cat "$WORK/gateway.log")"
    HTTPS_URL=$(sed -n 's/^ *HTTPS: *\(https:[^ ]*\).*/\1/p' "$WORK/gateway.log" | head -1)
    ENDPOINT=$(sed -n 's/^ *HTTP: *\(http:[^ ]*\).*/\1/p' "$WORK/gateway.log" | head -1)
    [[ -n "$HTTPS_URL" && -n "$ENDPOINT" ]] && break
    sleep 0.1
  done
  [[ -n "$HTTPS_URL" ]] || die "the gateway did not say where it listens: $(cat "$WORK/gateway.log")"
  HTTPS_PORT=${HTTPS_URL##*:}
  HTTPS_HOST=127.0.0.1
  HTTPS_URL="https://127.0.0.1:$HTTPS_PORT"
  ENDPOINT="http://127.0.0.1:${ENDPOINT##*:}"
  ok=""
  for ((i = 0; i < 300; i++)); do
    ok=$(curl -sk --max-time 2 "$HTTPS_URL/nginx-health" || true)
    [[ "$ok" == OK ]] && break
    sleep 0.1
  done
  [[ "$ok" == OK ]] || die "$HTTPS_URL/nginx-health did not answer OK: $(cat "$WORK/gateway.log")"
  DOMAIN=localhost
  CA="$WORK/data/tls/tls.crt"
  API_TOKEN=$(cat "$WORK/data/keptn-api-token")
  IMPLEMENTATION="keptn-gateway (reference implementation, built by scripts/testssl-compare.sh)"
  timed "start the gateway" "$(since "$t")"
  say "gateway: $ENDPOINT and $HTTPS_URL (pid $GW_PID)"
fi

# --- 3. the suite's TLS profiles ------------------------------------------------------------
ARTIFACTS="$WORK/artifacts"
SUITE_LOG="$WORK/suite.log"
suite_args=(--target=external "--endpoint=$ENDPOINT" "--https-endpoint=$HTTPS_URL"
  "--server-name=$DOMAIN" "--artifacts=$ARTIFACTS" "--implementation=$IMPLEMENTATION")
if [[ -n "$CA" ]]; then suite_args+=("--ca-file=$CA"); else suite_args+=(--insecure=true); fi
t=$(now)
say "running the suite's TLS profiles (log: $SUITE_LOG)"
suite_rc=0
# The token through the environment (as `make certify` does), not on a command line.
(cd "$ROOT" && KEPTN_CONFORMANCE_TOKEN="$API_TOKEN" "$GO" run github.com/onsi/ginkgo/v2/ginkgo \
  --no-color --label-filter='Profile:TLS || Profile:TLSExtended' ./suites/conformance -- "${suite_args[@]}") \
  >"$SUITE_LOG" 2>&1 || suite_rc=$?
timed "suite (TLS profiles)" "$(since "$t")"
REPORT="$ARTIFACTS/conformance-report.json"
GINKGO_JSON="$ARTIFACTS/ginkgo-report.json"
[[ -s "$REPORT" && -s "$GINKGO_JSON" ]] || die "the suite wrote no report (exit $suite_rc): $(tail -40 "$SUITE_LOG")"
run_failure=$(jq -r '.run.failure // empty' "$REPORT")
[[ -z "$run_failure" ]] || die "the suite's run failed (exit $suite_rc): $run_failure"

# --- 4. testssl.sh --------------------------------------------------------------------------
TS_JSON="$WORK/testssl.json"
TS_LOG="$WORK/testssl.log"
ts_args=(--warnings batch --color 0 --quiet --jsonfile "$TS_JSON" -p -E -S -h)
if [[ -z "${TARGET_HTTPS:-}" ]]; then
  ts_args+=(--nodns none --ip 127.0.0.1)
  TS_URI="localhost:$HTTPS_PORT"
elif is_ipv4 "$HTTPS_HOST"; then
  ts_args+=(--nodns none)
  if [[ "$DOMAIN" != "$HTTPS_HOST" ]] && ! is_ipv4 "$DOMAIN"; then ts_args+=(--ip "$HTTPS_HOST"); fi
  TS_URI="$DOMAIN:$HTTPS_PORT"
else
  ts_args+=(--nodns min)
  TS_URI="$TARGET_HTTPS"
fi
if [[ -n "$CA" ]]; then ts_args+=(--add-ca "$CA"); fi
mkdir -p "$WORK/tmp"
t=$(now)
say "running testssl.sh $TESTSSL_VERSION against $TS_URI (log: $TS_LOG)"
ts_rc=0
# NXCONNECT: testssl.sh probes its openssl's options with `s_client -connect invalid.`, a DNS
# lookup each; 127.0.0.1:0 makes those probes fail locally instead.
(cd "$WORK" && TMPDIR="$WORK/tmp" NXCONNECT=127.0.0.1:0 "$TESTSSL" "${ts_args[@]}" "$TS_URI") >"$TS_LOG" 2>&1 || ts_rc=$?
timed "testssl.sh (-p -E -S -h)" "$(since "$t")"
jq -e 'type == "array" and length > 0' "$TS_JSON" >/dev/null 2>&1 ||
  die "testssl.sh wrote no JSON findings (exit $ts_rc): $(tail -40 "$TS_LOG")"

# --- 5. comparison --------------------------------------------------------------------------
mkdir -p "$WORK/gosuites"
cat >"$WORK/gosuites/main.go" <<'EOF'
// The TLS 1.2 cipher suites Go's crypto/tls can offer: those the suite's checks can probe.
package main

import (
	"crypto/tls"
	"fmt"
	"slices"
)

func main() {
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if slices.Contains(s.SupportedVersions, tls.VersionTLS12) {
			fmt.Println(s.Name)
		}
	}
}
EOF
GO_SUITES=$(cd "$WORK/gosuites" && GOFLAGS='' "$GO" run main.go) || die "listing Go's cipher suites failed"

# ts ID: the finding of testssl.sh's first entry with that id (or "ID <hostCert#n>").
ts() {
  jq -r --arg id "$1" '[.[] | select(.id == $id or (.id | startswith($id + " ")))][0].finding // empty' "$TS_JSON"
}
ts_protocol() { # offered | not offered | unknown (finding)
  local f
  f=$(ts "$1")
  case "$f" in
    "not offered"*) echo "not offered" ;;
    *offered*) echo "offered" ;;
    *) echo "unknown (${f:-no finding})" ;;
  esac
}
# The TLS 1.2 suites testssl.sh found (IANA names; the OpenSSL name when it gives none).
TS_TLS12=$(jq -r '.[] | select(.id | startswith("cipher-tls1_2_")) | .finding | split(" ") | map(select(. != ""))
  | if (last | startswith("TLS_")) then last else .[3] end' "$TS_JSON")
mapfile -t TS_TLS12_LIST <<<"$TS_TLS12"
mapfile -t TS_TLS13 < <(jq -r '.[] | select(.id | startswith("cipher-tls1_3_")) | .finding | split(" ") | map(select(. != "")) | last' "$TS_JSON")
fs_aead() { # the suite's rule (forward secret: ECDHE/DHE; AEAD: GCM, ChaCha20-Poly1305), plus CCM
  [[ $1 =~ ^TLS_(ECDHE|DHE)_ || $1 =~ ^(ECDHE|DHE|EDH)- ]] && [[ $1 =~ GCM|CCM|CHACHA20 ]]
}
join() {
  local IFS=,
  if (($# == 0)); then echo none; else
    local s="$*"
    echo "${s//,/, }"
  fi
}
sorted_join() {
  local items=()
  mapfile -t items < <(printf '%s\n' "$@" | sed '/^$/d' | sort -u)
  join "${items[@]}"
}
go_offers() { grep -qxF "$1" <<<"$GO_SUITES"; }
DETAILS=()
listcell() { # listcell VAR LABEL "a, b, c": VAR = the list, or its length when long (then under Details)
  local n
  n=$(awk -F', ' '{ print NF }' <<<"$3")
  if [[ $3 == none || $3 == unknown* ]] || ((n <= 4)); then
    printf -v "$1" '%s' "$3"
  else
    DETAILS+=("$2 ($n): $3")
    printf -v "$1" '%s' "$n suites (see Details)"
  fi
}

# spec PATTERN: the state of the suite's spec whose text contains PATTERN, and its failure.
spec() {
  SPEC_STATE=$(jq -r --arg p "$1" '[.[].SpecReports[]? | select(.LeafNodeType == "It" and (.LeafNodeText | contains($p)))][0].State // "missing"' "$GINKGO_JSON")
  SPEC_MSG=$(jq -r --arg p "$1" '[.[].SpecReports[]? | select(.LeafNodeType == "It" and (.LeafNodeText | contains($p)))][0].Failure.Message // ""' "$GINKGO_JSON")
  SPEC_PROBLEMS=$(grep -E '^ *\[tls-[a-z-]+\] ' <<<"$SPEC_MSG" | sed 's/^ *//' || true)
  SPEC_WHY=$(head -1 <<<"$SPEC_MSG")
}
# verdict CHECK REGEX IF_MATCH IF_NOT: the suite's verdict on one aspect of the last spec():
# IF_MATCH when a problem of CHECK matches REGEX, IF_NOT when it passed or failed otherwise.
verdict() {
  case "$SPEC_STATE" in
    passed) echo "$4" ;;
    failed)
      if [[ -z "$SPEC_PROBLEMS" ]]; then
        echo "unknown (failed: ${SPEC_WHY:0:60})"
      elif grep -q '^\[tls-listeners\] ' <<<"$SPEC_PROBLEMS"; then
        # The check could not look (no handshake, no answer): no verdict on the aspect.
        echo "unknown ($(grep -m1 '^\[tls-listeners\] ' <<<"$SPEC_PROBLEMS"))"
      elif [[ -n $(problem_text "$1" "$2") ]]; then
        echo "$3"
      else
        echo "$4"
      fi
      ;;
    skipped | pending) echo "skipped (${SPEC_WHY:0:60})" ;;
    missing) echo "unknown (spec not found)" ;;
    *) echo "unknown ($SPEC_STATE)" ;;
  esac
}
problem_text() { # the message (without its [check]) of the first problem of CHECK matching REGEX
  { grep -E "^\[$1\] " <<<"$SPEC_PROBLEMS" || true; } | sed 's/^\[[a-z-]*\] //' | { grep -E "$2" || true; } | head -1
}

ROWS=()
NOTES=()
DISAGREE=0
row() { # row ASPECT SUITE TESTSSL AGREE
  ROWS+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4")
  [[ $4 == yes* || $4 == n/a* ]] || DISAGREE=$((DISAGREE + 1))
}
# agree SUITE TESTSSL: yes when equal, n/a when the suite skipped the check, NO otherwise.
agree() {
  if [[ $1 == skipped* ]]; then echo "n/a"; elif [[ $1 == unknown* || $2 == unknown* ]]; then echo "NO"; elif [[ $1 == "$2" ]]; then echo yes; else echo NO; fi
}
tag() { echo "[$1: $SPEC_STATE]"; }

# Protocols.
for p in SSLv2 SSLv3; do
  t=$(ts_protocol "$p")
  case "$t" in
    "not offered") a="n/a (not probed)" ;;
    offered)
      a="NO"
      NOTES+=("$p: testssl.sh finds it offered, but the suite cannot see it: Go's crypto/tls has no $p client, so tls-protocols passes regardless.")
      ;;
    *) a="NO" ;;
  esac
  row "$p offered" "not probed (Go has no $p client)" "$t" "$a"
done
spec "refuse TLS 1.0 and TLS 1.1"
for v in "TLS 1.0:TLS1" "TLS 1.1:TLS1_1"; do
  name=${v%%:*}
  s=$(verdict tls-protocols "^$name is accepted" "offered" "not offered")
  t=$(ts_protocol "${v#*:}")
  row "$name offered" "$s $(tag tls-protocols)" "$t" "$(agree "$s" "$t")"
done
s13=$(verdict tls-protocols "^TLS 1.3 is refused" "not offered" "offered")
tag13=$(tag tls-protocols)
spec "offer for TLS 1.2 only forward-secret AEAD"
s=$(verdict tls-cipher-suites "accepts none of the suites Go offers" "not offered" "offered")
t=$(ts_protocol TLS1_2)
a=$(agree "$s" "$t")
row "TLS 1.2 offered" "$s $(tag tls-cipher-suites)" "$t" "$a"
if [[ $a == NO && $s == "not offered" && $t == offered ]]; then
  NOTES+=("TLS 1.2: testssl.sh finds it offered, but with none of the suites Go can offer (the suite's probe is Go's client): $(sorted_join "${TS_TLS12_LIST[@]}").")
fi
t=$(ts_protocol TLS1_3)
row "TLS 1.3 offered" "$s13 $tag13" "$t" "$(agree "$s13" "$t")"

# TLS 1.2 suites that are not forward-secret AEAD: those Go can offer (the suite probes each),
# and those it cannot (the suite is blind to them).
case "$SPEC_STATE" in
  passed) s=none ;;
  failed)
    if [[ -n "$SPEC_PROBLEMS" ]]; then
      mapfile -t bad < <(sed -n 's/^\[tls-cipher-suites\] TLS 1.2 accepts \([A-Z0-9_]*\), which is not.*/\1/p' <<<"$SPEC_PROBLEMS")
      s=$(sorted_join "${bad[@]}")
    else s="unknown (failed: ${SPEC_WHY:0:60})"; fi
    ;;
  *) s=$(verdict tls-cipher-suites x x x) ;;
esac
ts_bad=()
ts_bad_blind=()
while IFS= read -r c; do
  [[ -n "$c" ]] || continue
  fs_aead "$c" && continue
  if go_offers "$c"; then ts_bad+=("$c"); else ts_bad_blind+=("$c"); fi
done <<<"$TS_TLS12"
t=$(sorted_join "${ts_bad[@]}")
a=$(agree "$s" "$t")
s_cell="" t_cell=""
listcell s_cell "suite: TLS 1.2 suites not FS AEAD" "$s"
listcell t_cell "testssl.sh: TLS 1.2 suites not FS AEAD that Go can offer" "$t"
row "TLS 1.2 suites not FS AEAD (Go can offer)" "$s_cell $(tag tls-cipher-suites)" "$t_cell" "$a"
if [[ $a == NO ]]; then
  NOTES+=("TLS 1.2 suites Go can offer: the suite and testssl.sh disagree on suites the suite does probe: a real difference to investigate.")
fi
t=$(sorted_join "${ts_bad_blind[@]}")
if ((${#ts_bad_blind[@]})); then
  a=NO
  NOTES+=("TLS 1.2 suites Go cannot offer: testssl.sh finds ${#ts_bad_blind[@]} suites that are not forward-secret AEAD which the suite cannot see: Go's crypto/tls has no DHE, CCM, CAMELLIA, ARIA, CBC-SHA384 or anonymous suites, and tls-cipher-suites probes with Go's client only.")
else
  a="n/a (not probed)"
fi
listcell t_cell "testssl.sh: TLS 1.2 suites not FS AEAD that Go cannot offer" "$t"
row "TLS 1.2 suites not FS AEAD (Go cannot offer)" "not probed (Go's client cannot offer them)" "$t_cell" "$a"

# HSTS.
spec "send Strict-Transport-Security"
s_present=$(verdict tls-hsts "^no Strict-Transport-Security" "no" "yes")
s_age=$(verdict tls-hsts "^no Strict-Transport-Security" "none" ">= 15552000 s (180 d)")
if [[ $SPEC_STATE == failed && -n $(problem_text tls-hsts 'max-age=[0-9]+ is less') ]]; then
  s_age="$(problem_text tls-hsts 'max-age=[0-9]+ is less' | sed 's/.*max-age=\([0-9]*\).*/\1/') s"
fi
hsts_time=$(ts HSTS_time)
if [[ -n "$hsts_time" ]]; then
  t_age=$(sed -n 's/.*(=\([0-9]*\) seconds).*/\1/p' <<<"$hsts_time")
  [[ $hsts_time == "0. HSTS is disabled"* ]] && t_age=0
  if [[ -n "$t_age" ]]; then t_present=yes; else t_present=no; fi
else
  t_age=""
  t_present=no
fi
t_present_cell="$t_present${hsts_time:+ ($(ts HSTS_subdomains))}"
[[ -z "$hsts_time" ]] && t_present_cell="no ($(ts HSTS))"
row "HSTS present (with max-age)" "$s_present $(tag tls-hsts)" "$t_present_cell" "$(agree "$s_present" "$t_present")"
case "$s_age" in
  ">= 15552000"*) if [[ -n "$t_age" ]] && ((t_age >= 15552000)); then a=yes; else a=NO; fi ;;
  none) if [[ -z "$t_age" ]]; then a=yes; else a=NO; fi ;;
  skipped*) a="n/a" ;;
  unknown*) a=NO ;;
  *) if [[ "$s_age" == "$t_age s" ]]; then a=yes; else a=NO; fi ;;
esac
if [[ -n "$t_age" ]]; then t_age_cell="$t_age s"; else t_age_cell=none; fi
row "HSTS max-age" "$s_age $(tag tls-hsts)" "$t_age_cell" "$a"
NOTES+=("HSTS: the suite reads the header of POST /api/v1/auth, testssl.sh that of GET / ($(ts HTTP_status_code)).")

# The certificate.
spec "serve by default a certificate"
CERT_TAG=$(tag tls-default-cert)
cert_row() { # cert_row ASPECT SUITE_REGEX SUITE_OK TESTSSL_OK(yes/no) TESTSSL_CELL
  local s a
  s=$(verdict tls-default-cert "$2" "bad" "ok")
  if [[ $s == bad ]]; then s="bad: $(problem_text tls-default-cert "$2")"; else [[ $s == ok ]] && s="ok: $3"; fi
  if [[ $s == skipped* ]]; then a="n/a"; elif [[ $s == unknown* ]]; then a=NO
  elif [[ ($s == ok:* && $4 == yes) || ($s == bad:* && $4 == no) ]]; then a=yes; else a=NO; fi
  row "$1" "$s $CERT_TAG" "$5" "$a"
}
key=$(ts cert_keySize)
key_ok=no
if [[ $key =~ ^EC\ (256|384)\ bits ]]; then key_ok=yes; fi
if [[ $key =~ ^RSA\ ([0-9]+)\ bits ]] && ((BASH_REMATCH[1] >= 2048)); then key_ok=yes; fi
cert_row "cert key type/size" "key of|key on|key, want" "RSA >= 2048 or ECDSA P-256/P-384" "$key_ok" "${key:-no finding}"

nb=$(ts cert_notBefore)
na=$(ts cert_notAfter)
days=""
if [[ -n "$nb" && -n "$na" ]]; then
  days=$((($(date -u -d "$na UTC" +%s) - $(date -u -d "$nb UTC" +%s)) / 86400))
fi
if [[ -n "$days" ]] && ((days <= 398)); then v_ok=yes; else v_ok=no; fi
cert_row "cert validity period" "is valid for [0-9]+ days" "<= 398 days" "$v_ok" "${days:-?} days ($nb -> $na UTC)"

exp=$(ts cert_expirationStatus)
if [[ $exp == *expired* ]]; then e_ok=no; else e_ok=yes; fi
cert_row "cert not expired" "not valid now" "valid now" "$e_ok" "${exp:-no finding}"

cn=$(ts cert_commonName)
san=$(ts cert_subjectAltName)
trust=$(ts cert_trust)
subj_ok=no
if [[ $trust == Ok* ]] && [[ -z "$cn" || $cn == "$DOMAIN" || $cn == "no CN"* ]]; then subj_ok=yes; fi
cert_row "cert subject/SAN for $DOMAIN" "not for the gateway's domain|subject is" "CN and SAN for $DOMAIN" "$subj_ok" "CN=$cn, SAN=$san; $trust"

eku=$(ts cert_extKeyUsage)
if [[ $eku == *"TLS Web Server Authentication"* || $eku == *"Any Extended Key Usage"* ]]; then eku_ok=yes; else eku_ok=no; fi
cert_row "cert server-auth EKU" "server authentication|extended key usage" "server authentication" "$eku_ok" "${eku:-none}"

chain=$(ts cert_chain_of_trust)
HOSTNAME_ERR="valid for|cannot validate certificate for|not valid for any names"
if [[ -n "$CA" && $SPEC_STATE == failed && -n $(problem_text tls-default-cert "does not verify against") &&
  -n $(problem_text tls-default-cert "does not verify against.*($HOSTNAME_ERR)") ]]; then
  # Go's Verify checks the name before it builds a chain: the suite saw no chain.
  row "cert verifies against the CA file" "not decided: the name failed first $CERT_TAG" "${chain:-no finding} (--add-ca)" "n/a"
elif [[ -n "$CA" ]]; then
  if [[ $chain == passed* ]]; then c_ok=yes; else c_ok=no; fi
  cert_row "cert verifies against the CA file" "does not verify against" "verifies against --ca-file" "$c_ok" "${chain:-no finding} (--add-ca)"
else
  row "cert verifies against a CA" "not checked (no CA_FILE: --insecure)" "${chain:-no finding}" "n/a"
fi

# A handshake without SNI.
spec "answer a handshake for an unknown server name"
s=$(verdict tls-sni "for server name \"\"" "no certificate" "certificate")
nosni=$(ts cert_commonName_wo_SNI)
if [[ $nosni == *"didn't succeed"* ]]; then t="no certificate"; else t="certificate"; fi
row "handshake without SNI" "$s $(tag tls-sni)" "$t (CN ${nosni:-?})" "$(agree "$s" "$t")"

# --- print ------------------------------------------------------------------------------------
CAP=(34 60 60 18) # column widths: longer cells wrap
w=(0 0 0 0)
header=$'aspect\tsuite verdict\ttestssl.sh finding\tagree?'
for r in "$header" "${ROWS[@]}"; do
  IFS=$'\t' read -r -a f <<<"$r"
  for i in 0 1 2 3; do
    if ((${#f[i]} > w[i])); then w[i]=${#f[i]}; fi
    if ((w[i] > CAP[i])); then w[i]=${CAP[i]}; fi
  done
done
line() { printf '| %-*s | %-*s | %-*s | %-*s |\n' "${w[0]}" "$1" "${w[1]}" "$2" "${w[2]}" "$3" "${w[3]}" "$4"; }
rule() { line "$(printf '%*s' "${w[0]}" '' | tr ' ' -)" "$(printf '%*s' "${w[1]}" '' | tr ' ' -)" \
  "$(printf '%*s' "${w[2]}" '' | tr ' ' -)" "$(printf '%*s' "${w[3]}" '' | tr ' ' -)"; }
print_row() { # a row of tab-separated cells, each wrapped to its column
  local f c0 c1 c2 c3 n j
  IFS=$'\t' read -r -a f <<<"$1"
  mapfile -t c0 < <(fold -s -w "${w[0]}" <<<"${f[0]}" | sed 's/ *$//')
  mapfile -t c1 < <(fold -s -w "${w[1]}" <<<"${f[1]}" | sed 's/ *$//')
  mapfile -t c2 < <(fold -s -w "${w[2]}" <<<"${f[2]}" | sed 's/ *$//')
  mapfile -t c3 < <(fold -s -w "${w[3]}" <<<"${f[3]}" | sed 's/ *$//')
  n=${#c0[@]}
  for j in ${#c1[@]} ${#c2[@]} ${#c3[@]}; do if ((j > n)); then n=$j; fi; done
  for ((j = 0; j < n; j++)); do line "${c0[j]:-}" "${c1[j]:-}" "${c2[j]:-}" "${c3[j]:-}"; done
}

echo
echo "testssl.sh $TESTSSL_VERSION vs the conformance suite (Profile:TLS, Profile:TLSExtended)"
echo "target: $HTTPS_URL (server name $DOMAIN${CA:+, CA $CA})"
jq -r '.profiles[]? | "suite: \(.name) (\(.level)) \(.result): \(.passed) passed, \(.failed) failed, \(.skipped) skipped"
  + (if (.failedChecks // {}) != {} then ", failed checks " + (.failedChecks | to_entries | map("\(.key) x\(.value)") | join(", ")) else "" end)' "$REPORT"
echo "suite exit status $suite_rc; testssl.sh exit status $ts_rc"
echo
print_row "$header"
rule
for r in "${ROWS[@]}"; do print_row "$r"; done
echo
echo "Not compared:"
tls12_go=()
tls12_nogo=()
while IFS= read -r c; do
  [[ -n "$c" ]] || continue
  if go_offers "$c"; then tls12_go+=("$c"); else tls12_nogo+=("$c"); fi
done <<<"$TS_TLS12"
wrap() { fold -s -w 110 | sed 's/ *$//; 2,$s/^/      /'; }
echo "  - TLS 1.2 suites testssl.sh found that Go can offer (${#tls12_go[@]}): $(join "${tls12_go[@]}")" | wrap
echo "  - TLS 1.2 suites testssl.sh found that Go cannot offer (${#tls12_nogo[@]}): $(join "${tls12_nogo[@]}")" | wrap
echo "  - TLS 1.3 suites testssl.sh found: $(join "${TS_TLS13[@]}") (the suite does not probe them: Go's client cannot choose TLS 1.3 suites)" | wrap
echo "  - ALPN (testssl.sh): $(jq -r '[.[] | select(.id == "ALPN_HTTP2" or .id == "ALPN") | .finding] | join(", ")' "$TS_JSON")"
jq -r '.[] | select(.severity | test("^(LOW|MEDIUM|HIGH|CRITICAL)$"))
  | select(.id | test("^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3|HSTS|HSTS_time|cert_keySize|cert_expirationStatus|cert_notAfter|cert_chain_of_trust)( |$)") | not)
  | "  - testssl.sh \(.severity): \(.id): \(.finding)"' "$TS_JSON"
if ((${#DETAILS[@]})); then
  echo
  echo "Details:"
  for d in "${DETAILS[@]}"; do echo "  - $d" | wrap; done
fi
if ((${#NOTES[@]})); then
  echo
  echo "Notes:"
  for n in "${NOTES[@]}"; do echo "  - $n" | wrap; done
fi
echo
echo "Timings:"
for k in "${TIMING_ORDER[@]}"; do printf '  %-32s %6s s\n' "$k" "${TIMING[$k]}"; done
printf '  %-32s %6s s\n' "total" "$(since "$T_START")"
echo
if "$KEEP"; then where="kept"; else where="removed at exit; --keep keeps them"; fi
echo "Files ($where):"
echo "  testssl.sh JSON:     $TS_JSON (log $TS_LOG)"
echo "  suite report:        $REPORT"
echo "  suite ginkgo report: $GINKGO_JSON (log $SUITE_LOG)"
[[ -z "$GW_PID" ]] || echo "  gateway log:         $WORK/gateway.log"
echo
if ((DISAGREE)); then
  echo "RESULT: $DISAGREE of ${#ROWS[@]} aspects disagree"
  exit 1
fi
echo "RESULT: all ${#ROWS[@]} aspects agree (n/a: not probed by the suite, nothing to disagree with)"
