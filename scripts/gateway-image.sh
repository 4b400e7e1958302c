#!/usr/bin/env bash
# gateway-image.sh — build the reference gateway's container image (a static binary FROM scratch,
# fixtures/kind/Dockerfile) and print its reference as the LAST line of stdout (everything else
# goes to stderr), so that a Makefile can do   IMAGE=$(scripts/gateway-image.sh)
#
# The tag is the binary's content hash: an unchanged gateway reuses its image.
# Environment:
#   GATEWAY_IMAGE   if set, printed as is and nothing is built (an image you made yourself)
# Needs Go and a running Docker (scripts/docker-setup.sh). No registry is contacted: FROM scratch.
set -euo pipefail
exec 3>&1 1>&2

if [[ -n "${GATEWAY_IMAGE:-}" ]]; then
  echo "using GATEWAY_IMAGE=$GATEWAY_IMAGE"
  echo "$GATEWAY_IMAGE" >&3
  exit 0
fi

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

version=$(git -C "$REPO_ROOT" describe --always --dirty 2>/dev/null || echo dev)
(cd "$REPO_ROOT" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/keptn-conformance/keptn-conformance/gateway.Version=$version" \
  -o "$context/keptn-gateway" ./cmd/keptn-gateway)
cp "$REPO_ROOT/fixtures/kind/Dockerfile" "$context/Dockerfile"

tag=$(cat "$context/keptn-gateway" "$context/Dockerfile" | sha256sum | cut -c1-12)
image="keptn-conformance/keptn-gateway:$tag"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "reusing $image"
else
  DOCKER_BUILDKIT=0 docker build --quiet -t "$image" "$context" >/dev/null
  echo "built $image ($(du -h "$context/keptn-gateway" | cut -f1) binary, version $version)"
fi
# Older builds of the gateway's image are of no further use.
docker images --format '{{.Repository}}:{{.Tag}}' keptn-conformance/keptn-gateway | grep -vx "$image" | xargs -r docker rmi >/dev/null 2>&1 || true
echo "$image" >&3
