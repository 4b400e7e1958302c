#!/usr/bin/env bash
# conformance-image.sh — build the conformance suite's container image (bin/keptn-conformance, the
# static binary, FROM scratch: fixtures/kind/conformance.Dockerfile) and print its reference as the
# LAST line of stdout (everything else goes to stderr):   IMAGE=$(scripts/conformance-image.sh)
#
# The tag is the content hash of the binary and the Dockerfile: an unchanged suite reuses its image.
# Environment:
#   CONFORMANCE_IMAGE  if set, printed as is and nothing is built (an image you made yourself)
# Needs Go and a running Docker (scripts/docker-setup.sh). No registry is contacted: FROM scratch.
set -euo pipefail
exec 3>&1 1>&2

if [[ -n "${CONFORMANCE_IMAGE:-}" ]]; then
  echo "using CONFORMANCE_IMAGE=$CONFORMANCE_IMAGE"
  echo "$CONFORMANCE_IMAGE" >&3
  exit 0
fi

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

make -s -C "$REPO_ROOT" keptn-conformance
cp "$REPO_ROOT/bin/keptn-conformance" "$context/keptn-conformance"
cp "$REPO_ROOT/fixtures/kind/conformance.Dockerfile" "$context/Dockerfile"
# The machine's CA bundle, so that the image trusts what the machine trusts (an empty one if none).
bundle=/etc/ssl/certs/ca-certificates.crt
if [[ -f "$bundle" ]]; then cp "$bundle" "$context/ca-certificates.crt"; else : >"$context/ca-certificates.crt"; fi

tag=$(cat "$context/keptn-conformance" "$context/Dockerfile" "$context/ca-certificates.crt" | sha256sum | cut -c1-12)
image="keptn-conformance/keptn-conformance:$tag"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "reusing $image"
else
  DOCKER_BUILDKIT=0 docker build --quiet -t "$image" "$context" >/dev/null
  echo "built $image ($(du -h "$context/keptn-conformance" | cut -f1) binary)"
fi
# Older builds of the suite's image are of no further use.
docker images --format '{{.Repository}}:{{.Tag}}' keptn-conformance/keptn-conformance | grep -vx "$image" | xargs -r docker rmi >/dev/null 2>&1 || true
echo "$image" >&3
