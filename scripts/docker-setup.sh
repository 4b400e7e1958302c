#!/usr/bin/env bash
# docker-setup.sh — make a Docker engine usable for kind on this machine.
#
# Idempotent; safe to run again and again. It:
#   1. installs Debian's docker.io (and jq) with apt-get when dockerd (or jq) is missing;
#   2. starts dockerd in the background when `docker info` does not answer,
#      logging to $DOCKERD_LOG, and waits for it (at most $DOCKER_START_TIMEOUT s);
#   3. probes `docker run --rm --privileged` with a tiny image made locally with
#      `docker import` (no registry is needed);
#   4. only when that probe fails with runc's "unable to apply caps" (this VM's
#      bounding set lacks CAP_SYS_RESOURCE, and kind runs every node privileged),
#      installs a runc wrapper that strips CAP_SYS_RESOURCE from the OCI config
#      (create/run) and from the --process file (exec), registers it as Docker's
#      default runtime in /etc/docker/daemon.json (merged with jq, other keys
#      kept), reloads dockerd with SIGHUP and probes again.
# Machines where privileged containers already work are left untouched.
#
# Environment:
#   DOCKERD_LOG            dockerd's log file when this script starts it (default /var/log/dockerd.log)
#   DOCKER_START_TIMEOUT   seconds to wait for dockerd to answer (default 60)
#   DOCKER_PROBE_IMAGE     tag of the local probe image (default keptn-conformance/probe:true)
#
# Output: one line per action taken on stdout; errors on stderr; exit status 0
# when `docker run --privileged` works at the end.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKER_START_TIMEOUT=${DOCKER_START_TIMEOUT:-60}
PROBE_IMAGE=${DOCKER_PROBE_IMAGE:-keptn-conformance/probe:true}
WRAPPER_DIR=/usr/local/lib/keptn-conformance
WRAPPER=$WRAPPER_DIR/runc-nocap-sys-resource
RUNTIME_NAME=runc-nocap-sys-resource
DAEMON_JSON=/etc/docker/daemon.json

say() { echo "docker-setup: $*"; }
die() {
  echo "docker-setup: ERROR: $*" >&2
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  die "must run as root (installs packages, starts dockerd, edits $DAEMON_JSON)"
fi

# --- 1. packages -------------------------------------------------------------
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v jq >/dev/null 2>&1 || missing+=(jq)
if ((${#missing[@]} > 0)); then
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- 2. dockerd ----------------------------------------------------------------
docker_answers() { docker info >/dev/null 2>&1; }

wait_for_docker() {
  local deadline=$((SECONDS + DOCKER_START_TIMEOUT))
  until docker_answers; do
    if ((SECONDS >= deadline)); then
      echo "--- last lines of $DOCKERD_LOG:" >&2
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd did not answer \`docker info\` within ${DOCKER_START_TIMEOUT}s"
    fi
    sleep 1
  done
}

if ! docker_answers; then
  if pgrep -x dockerd >/dev/null 2>&1; then
    say "dockerd is running but not answering yet; waiting"
  else
    say "starting dockerd in the background (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    # setsid + nohup: the daemon outlives this script and its terminal.
    setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  wait_for_docker
  say "dockerd is answering"
fi

# --- 3. the privileged probe ---------------------------------------------------
# A tiny image without any registry: the host's /usr/bin/true plus the shared
# libraries it links, imported as a one-layer image.
ensure_probe_image() {
  docker image inspect "$PROBE_IMAGE" >/dev/null 2>&1 && return 0
  local dir lib
  dir=$(mktemp -d)
  mkdir -p "$dir/usr/bin"
  cp /usr/bin/true "$dir/usr/bin/true"
  while read -r lib; do
    [[ -n $lib ]] && cp -L --parents "$lib" "$dir/"
  done < <(ldd /usr/bin/true | grep -o '/[^ ]*')
  tar -C "$dir" -c . | docker import --change 'CMD ["/usr/bin/true"]' - "$PROBE_IMAGE" >/dev/null
  rm -rf "$dir"
  say "built local probe image $PROBE_IMAGE"
}

probe_out=
probe() {
  probe_out=$(docker run --rm --privileged --network none "$PROBE_IMAGE" /usr/bin/true 2>&1)
}

ensure_probe_image
if probe; then
  say "privileged containers work"
  exit 0
fi
if [[ $probe_out != *"unable to apply caps"* ]]; then
  die "docker run --privileged failed for an unexpected reason: $probe_out"
fi
say "privileged probe failed with 'unable to apply caps' (no CAP_SYS_RESOURCE in the bounding set)"

# --- 4. the runc wrapper -------------------------------------------------------
real_runc=$(command -v runc) || die "runc not found in PATH"
jq_bin=$(command -v jq)
mkdir -p "$WRAPPER_DIR"
new_wrapper=$(mktemp "$WRAPPER_DIR/.wrapper.XXXXXX")
cat >"$new_wrapper" <<EOF
#!/usr/bin/env bash
# Installed by keptn-conformance scripts/docker-setup.sh.
# A runc wrapper: removes CAP_SYS_RESOURCE, which this machine's capability
# bounding set lacks, from the bundle's config.json (create/run) and from the
# --process file (exec), then runs the real runc with the same arguments.
set -euo pipefail
REAL_RUNC='$real_runc'
JQ='$jq_bin'
EOF
cat >>"$new_wrapper" <<'EOF'
DROP='map_values(if type == "array" then map(select(. != "CAP_SYS_RESOURCE")) else . end)'

strip() { # strip FILE JQ_PATH
  local f=$1 path=$2 tmp
  [[ -f $f ]] || return 0
  tmp=$(mktemp "$f.nocap.XXXXXX") || return 0
  if "$JQ" "if ($path | type) == \"object\" then $path |= $DROP else . end" "$f" >"$tmp"; then
    chmod --reference="$f" "$tmp" && mv -f "$tmp" "$f"
  else
    rm -f "$tmp"
  fi
}

args=("$@")
n=${#args[@]}
i=0
cmd=
while ((i < n)); do
  case ${args[i]} in
  --root | --log | --log-format | --criu | --rootless) i=$((i + 2)) ;;
  -*) i=$((i + 1)) ;;
  *)
    cmd=${args[i]}
    break
    ;;
  esac
done

bundle=.
process=
for ((j = i + 1; j < n; j++)); do
  case ${args[j]} in
  --bundle | -b) bundle=${args[j + 1]:-.} ;;
  --bundle=*) bundle=${args[j]#--bundle=} ;;
  --process | -p) process=${args[j + 1]:-} ;;
  --process=*) process=${args[j]#--process=} ;;
  esac
done

case $cmd in
create | run) strip "$bundle/config.json" .process.capabilities ;;
exec) [[ -n $process ]] && strip "$process" .capabilities ;;
esac
exec "$REAL_RUNC" "$@"
EOF
chmod 0755 "$new_wrapper"
if cmp -s "$new_wrapper" "$WRAPPER"; then
  rm -f "$new_wrapper"
else
  mv -f "$new_wrapper" "$WRAPPER"
  say "installed runc wrapper $WRAPPER (delegates to $real_runc)"
fi

mkdir -p "$(dirname "$DAEMON_JSON")"
current='{}'
if [[ -s $DAEMON_JSON ]]; then
  current=$(cat "$DAEMON_JSON")
fi
merged=$(jq --arg name "$RUNTIME_NAME" --arg path "$WRAPPER" \
  '.runtimes[$name] = {path: $path} | .["default-runtime"] = $name' <<<"$current") ||
  die "$DAEMON_JSON is not valid JSON"
if [[ $(jq -S . <<<"$current") != "$(jq -S . <<<"$merged")" ]]; then
  tmp=$(mktemp "$DAEMON_JSON.XXXXXX")
  printf '%s\n' "$merged" >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$DAEMON_JSON"
  say "registered $RUNTIME_NAME as Docker's default runtime in $DAEMON_JSON"
fi

pids=$(pgrep -x dockerd) || die "dockerd is not running"
for pid in $pids; do
  kill -HUP "$pid"
done
say "sent SIGHUP to dockerd ($(echo "$pids" | tr '\n' ' ' | sed 's/ $//')) to reload $DAEMON_JSON"

for _ in 1 2 3 4 5 6 7 8 9 10; do
  sleep 1
  if probe; then
    say "privileged containers work (through $RUNTIME_NAME)"
    exit 0
  fi
done
die "docker run --privileged still fails after installing the runc wrapper: $probe_out"
