#!/usr/bin/env bash
# nginx-image.sh — build the nginx gateway's container image offline from Debian packages and
# print its reference as the LAST line of stdout (everything else goes to stderr), so that a
# script can do   IMAGE=$(scripts/nginx-image.sh | tail -n 1)
# The reference is keptn-conformance/nginx-gateway:local, the name fixtures/kind/nginx/ deploys;
# the build itself is tagged by its content, so an unchanged recipe reuses it.
#
# Two layers, each cached by a content key:
#   keptn-conformance/nginx-base:<key>     debootstrap --variant=minbase of Debian $SUITE with
#                                          nginx and gettext-base (envsubst), from the mirror this
#                                          machine's apt uses (read at run time);
#   keptn-conformance/nginx-gateway:<key>  that, plus fixtures/nginx/ in /etc/keptn-nginx, run by
#                                          keptn-nginx.sh as uid 65532 (STOPSIGNAL SIGQUIT: nginx
#                                          then finishes what it serves before it exits).
# Environment:
#   NGINX_IMAGE          if set, printed as is and nothing is built (an image you made yourself)
#   NGINX_DEBIAN_SUITE   Debian release (default bookworm)
#   NGINX_DEBIAN_MIRROR  Debian mirror URL (default: the one apt uses for that release here)
# Needs root (debootstrap) and a running Docker (scripts/docker-setup.sh). No registry is contacted.
set -euo pipefail
exec 3>&1 1>&2

if [[ -n "${NGINX_IMAGE:-}" ]]; then
  echo "using NGINX_IMAGE=$NGINX_IMAGE"
  echo "$NGINX_IMAGE" >&3
  exit 0
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITE=${NGINX_DEBIAN_SUITE:-bookworm}
PACKAGES=nginx,gettext-base
log() { echo "nginx-image: $*"; }

base_key=$(printf '%s\n' "$SUITE" "$PACKAGES" | sha256sum | cut -c1-12)
base=keptn-conformance/nginx-base:$SUITE-$base_key
if docker image inspect "$base" >/dev/null 2>&1; then
  log "reusing $base"
else
  [[ $(id -u) -eq 0 ]] || { log "building the nginx base image needs root (debootstrap)"; exit 1; }
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  mirror=${NGINX_DEBIAN_MIRROR:-$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' |
    awk -v s="$SUITE" '$2 == s { print $1; exit }')}
  [[ -n $mirror ]] || { log "apt here has no source for Debian $SUITE: set NGINX_DEBIAN_MIRROR"; exit 1; }
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap --variant=minbase --include=$PACKAGES $SUITE from the machine's apt mirror"
  t0=$SECONDS
  if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
    tail -n 30 "$rootfs.log"
    exit 1
  fi
  rm -f "$rootfs.log"
  # Nothing of Debian's own site configuration is used; nor are apt's caches and documentation.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/etc/nginx/sites-enabled/*
  tar -C "$rootfs" --numeric-owner -c . | docker import - "$base" >/dev/null
  log "built $base in $((SECONDS - t0))s ($(chroot "$rootfs" nginx -v 2>&1))"
fi

context=$(mktemp -d)
trap 'rm -rf "$context" "${rootfs:-}"' EXIT
cp "$ROOT"/fixtures/nginx/* "$context/"
cat >"$context/Dockerfile" <<DOCKERFILE
FROM $base
COPY . /etc/keptn-nginx/
RUN rm /etc/keptn-nginx/Dockerfile && chmod 0755 /etc/keptn-nginx/keptn-nginx.sh
ENV KEPTN_NGINX_CONF_DIR=/etc/keptn-nginx KEPTN_NGINX_PREFIX=/tmp/keptn-nginx
USER 65532:65532
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/etc/keptn-nginx/keptn-nginx.sh"]
DOCKERFILE
tag=$( (echo "$base"; cd "$context" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-12)
image=keptn-conformance/nginx-gateway:$tag
if docker image inspect "$image" >/dev/null 2>&1; then
  log "reusing $image"
else
  DOCKER_BUILDKIT=0 docker build --quiet -t "$image" "$context" >/dev/null
  log "built $image"
fi
local_ref=keptn-conformance/nginx-gateway:local
docker tag "$image" "$local_ref"
# Older builds of the gateway layer are of no further use.
docker images --format '{{.Repository}}:{{.Tag}}' keptn-conformance/nginx-gateway | grep -vx -e "$image" -e "$local_ref" |
  xargs -r docker rmi >/dev/null 2>&1 || true
echo "$local_ref" >&3
