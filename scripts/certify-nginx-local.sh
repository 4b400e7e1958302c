#!/usr/bin/env bash
# certify-nginx-local.sh — certify the nginx gateway of fixtures/nginx on this machine, no
# cluster: the reference gateway's three backend roles (api-service, configuration-service,
# mongodb-datastore, each its own process) and Debian's nginx with our configuration
# (fixtures/nginx/keptn-nginx.sh) on loopback, then every profile of the suite against nginx
# (bin/keptn-conformance --target=external), with the token rotated through api-service's token
# file and the certificate swapped through nginx's certificate files (read at every handshake).
#
# Environment:
#   PROCS       parallel suite processes (default 4); LABELS a Ginkgo label filter
#   ARTIFACTS   report directory (default _artifacts/nginx-local)
#   SUITE_FLAGS more flags for the suite
#   ECHO_FOR    api-service, configuration-service or mongodb-datastore: that backend is the echo
#               role instead (keptn-gateway serve --role echo), and the run is the Upstream profile
#               through its route (LABELS default Profile:Upstream; the other profiles need the backend)
# Needs Go, nginx (installed with apt-get when missing), openssl and python3 (free ports).
# Prints "timing: <phase> <seconds>s" per phase and the suite's summary; exits with the suite's status.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ARTIFACTS=${ARTIFACTS:-$ROOT/_artifacts/nginx-local}
PROCS=${PROCS:-4}

now() { date +%s.%N; }
timing() { printf 'timing: %s %.1fs\n' "$1" "$(echo "$(now) - $2" | bc)"; }

if ! command -v nginx >/dev/null; then
  echo "installing Debian's nginx"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx gettext-base >/dev/null
  # Debian's package starts its own nginx on port 80 where it can; this script runs its own.
  systemctl disable --now nginx >/dev/null 2>&1 || true
fi
for tool in bc envsubst openssl python3; do
  command -v "$tool" >/dev/null || { echo "certify-nginx-local.sh needs $tool" >&2; exit 2; }
done

t=$(now)
make -s keptn-conformance
CGO_ENABLED=0 go build -trimpath -o bin/keptn-gateway ./cmd/keptn-gateway
timing build "$t"

rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
work=$(mktemp -d)
pids=()
cleanup() {
  local status=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  cp "$work"/*.log "$ARTIFACTS/" 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports, one per listener.
read -r p_api p_cs p_ds p_http p_https < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

t=$(now)
token=$(head -c 16 /dev/urandom | base64)
printf '%s' "$token" >"$work/api-token"
password=$(head -c 18 /dev/urandom | base64)
hash=$(printf '%s' "$password" | bin/keptn-gateway hash-password)
printf 'users:\n  - username: conformance\n    password_hash: "%s"\n    email: conformance@example.com\n' "$hash" >"$work/users.yaml"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext extendedKeyUsage=serverAuth \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
cp "$work/tls.crt" "$work/ca.pem"

echo_flags=()
case "${ECHO_FOR:-}" in
  "") ;;
  api-service) echo_flags=(--echo-prefix=/api/v1 --echo-upstream-prefix=/v1 --echo-websocket=/api/websocket) ;;
  configuration-service | mongodb-datastore) echo_flags=(--echo-prefix="/api/$ECHO_FOR") ;;
  *) echo "ECHO_FOR=$ECHO_FOR: want api-service, configuration-service or mongodb-datastore" >&2; exit 2 ;;
esac
[[ -n ${ECHO_FOR:-} ]] && LABELS=${LABELS:-Profile:Upstream}
role() { # role NAME PORT ARGS... (the echo role in ECHO_FOR's place)
  local name=$1 port=$2
  shift 2
  mkdir -p "$work/$name"
  [[ $name == "${ECHO_FOR:-}" ]] && set -- && name=echo
  bin/keptn-gateway serve --role="$name" --http="127.0.0.1:$port" --data-dir="$work/$name" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
}
role configuration-service "$p_cs"
role mongodb-datastore "$p_ds"
role api-service "$p_api" --token-file="$work/api-token" --users-file="$work/users.yaml" --session-ttl=10s \
  --configuration-service-url="http://127.0.0.1:$p_cs" --datastore-url="http://127.0.0.1:$p_ds"

KEPTN_NGINX_PREFIX="$work/nginx" KEPTN_NGINX_HTTP="127.0.0.1:$p_http" KEPTN_NGINX_HTTPS="127.0.0.1:$p_https" \
  KEPTN_NGINX_API_SERVICE="127.0.0.1:$p_api" KEPTN_NGINX_CONFIGURATION_SERVICE="127.0.0.1:$p_cs" \
  KEPTN_NGINX_DATASTORE="127.0.0.1:$p_ds" KEPTN_NGINX_TLS_CERT="$work/tls.crt" KEPTN_NGINX_TLS_KEY="$work/tls.key" \
  KEPTN_NGINX_DIRECTIVES="$([[ $(id -u) == 0 ]] && echo 'user root;')" fixtures/nginx/keptn-nginx.sh >"$work/nginx.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -fsS -o /dev/null -X POST -H "x-token: $token" "http://127.0.0.1:$p_http/api/v1/auth" 2>/dev/null && break
  sleep 0.1
done
timing start "$t"
echo "nginx $(nginx -v 2>&1 | sed 's|.*/||') on http://127.0.0.1:$p_http and https://127.0.0.1:$p_https"

t=$(now)
status=0
# shellcheck disable=SC2086 # SUITE_FLAGS are words
KEPTN_CONFORMANCE_TOKEN="$token" bin/keptn-conformance --procs="$PROCS" --randomize-all --poll-progress-after=60s \
  ${LABELS:+--label-filter="$LABELS"} --target=external --artifacts="$ARTIFACTS" \
  --implementation="nginx $(nginx -v 2>&1 | sed 's|.*/||') (fixtures/nginx) before the keptn-gateway roles" \
  --endpoint="http://127.0.0.1:$p_http" --https-endpoint="https://127.0.0.1:$p_https" --ca-file="$work/ca.pem" --server-name=localhost \
  --token-file="$work/api-token" --hot-reload \
  --tls-cert-file="$work/tls.crt" --tls-key-file="$work/tls.key" \
  --session-user=conformance --session-password="$password" "${echo_flags[@]}" ${SUITE_FLAGS:-} || status=$?
timing suites "$t"
exit "$status"
