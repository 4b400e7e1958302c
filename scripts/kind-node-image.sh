#!/usr/bin/env bash
# kind-node-image.sh — build (or reuse) a kind node image without any container
# registry, and print its image reference as the LAST line of stdout
# (everything else goes to stderr), so that a Makefile can do
#     IMAGE=$(scripts/kind-node-image.sh)
#
# The image is assembled from Debian packages (debootstrap, mirror taken from
# this machine's apt sources at run time), Kubernetes built from the Go module
# proxy, kind's base files from the sigs.k8s.io/kind module cache, and small Go
# programs kept in scripts/kind-node-image/ (etcd, CoreDNS, pause, crictl).
# See shared/reference/offline-kind.md for why each step is done this way.
#
# The result is cached in the local Docker under
#     keptn-conformance/kind-node:<k8s version>-<first 12 hex of the content key>
# where the key is sha256 over the Kubernetes, etcd, CoreDNS, Debian suite and
# kind module versions plus the contents of this script and every file under
# scripts/kind-node-image/. If that tag exists the script prints it at once.
# Intermediate results (the debootstrap tarball, Kubernetes binaries per
# version, the tool binaries) stay in the cache directory, so a recipe change
# rebuilds in well under a minute; delete that directory to start from nothing.
#
# Environment:
#   KIND_NODE_IMAGE       if set, printed as is and nothing else is done (user override)
#   KIND_PULL_DEFAULT=1   first try `docker pull` of kind's default node image
#                         (read from the kind module); print it if the pull works
#   KIND_K8S_VERSION      Kubernetes version (default v1.33.13)
#   KIND_ETCD_VERSION     etcd server version (default v3.5.21)
#   KIND_COREDNS_VERSION  CoreDNS version (default v1.14.3)
#   KIND_DEBIAN_SUITE     Debian suite of the node rootfs (default bookworm)
#   KIND_DEBIAN_MIRROR    Debian mirror URL (default: read from /etc/apt/sources.list{,.d/*})
#   KIND_NODE_CACHE_DIR   build cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/keptn-conformance/kind-node)
#   KIND_NODE_KEEP_WORK=1 keep the per-build work directory (for debugging)
#
# Output: stdout's last line is the image reference; progress, one timing line
# per phase ("timing: <phase> <seconds>s") and logs go to stderr.
# Needs root (debootstrap, chroot) and a working Docker (scripts/docker-setup.sh).
set -euo pipefail

# Everything this script and its commands print goes to stderr; the image
# reference alone is written to the original stdout (fd 3) at the end.
exec 3>&1 1>&2

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
RECIPE_DIR=$SCRIPT_DIR/kind-node-image

K8S_VERSION=${KIND_K8S_VERSION:-v1.33.13}
ETCD_VERSION=${KIND_ETCD_VERSION:-v3.5.21}
COREDNS_VERSION=${KIND_COREDNS_VERSION:-v1.14.3}
DEBIAN_SUITE=${KIND_DEBIAN_SUITE:-bookworm}
CACHE_DIR=${KIND_NODE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/keptn-conformance/kind-node}
IMAGE_REPO=keptn-conformance/kind-node

# Packages of the node rootfs (facts §4) plus netbase (/etc/protocols, /etc/services).
ROOTFS_PACKAGES=(
  systemd systemd-sysv dbus
  conntrack iptables nftables iproute2 ethtool util-linux mount kmod
  libseccomp2 pigz bash ca-certificates curl jq procps
  containerd runc containernetworking-plugins socat ebtables netbase
)
K8S_COMMANDS=(kubelet kubeadm kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)

log() { echo "kind-node-image: $*" >&2; }
die() {
  echo "kind-node-image: ERROR: $*" >&2
  exit 1
}
emit() { # the one line on the real stdout
  echo "$1" >&3
  exit 0
}

# --- overrides -------------------------------------------------------------------
if [[ -n ${KIND_NODE_IMAGE:-} ]]; then
  emit "$KIND_NODE_IMAGE"
fi

command -v go >/dev/null 2>&1 || die "go is not in PATH"
command -v docker >/dev/null 2>&1 || die "docker is not in PATH (run scripts/docker-setup.sh)"

KIND_VERSION=$(cd "$REPO_ROOT" && go list -m -f '{{.Version}}' sigs.k8s.io/kind)
[[ -n $KIND_VERSION ]] || die "cannot read the sigs.k8s.io/kind version from $REPO_ROOT/go.mod"

kind_module_dir() {
  local dir
  dir=$(cd "$REPO_ROOT" && { go list -m -f '{{.Dir}}' sigs.k8s.io/kind 2>/dev/null || true; })
  if [[ -z $dir || ! -d $dir ]]; then
    dir=$(cd "$REPO_ROOT" && go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir)
  fi
  [[ -d $dir ]] || die "cannot find the sigs.k8s.io/kind@$KIND_VERSION module directory"
  echo "$dir"
}

if [[ ${KIND_PULL_DEFAULT:-0} == 1 ]]; then
  default_image=$(grep -o 'kindest/node:[^"]*' "$(kind_module_dir)/pkg/apis/config/defaults/image.go" | head -n1 || true)
  if [[ -n $default_image ]] && docker pull "$default_image"; then
    emit "$default_image"
  fi
  log "cannot pull kind's default image ${default_image:-?}; building the offline image"
fi

# --- content key and cache hit -------------------------------------------------------
recipe_sums=$(cd "$SCRIPT_DIR" &&
  find kind-node-image.sh kind-node-image -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
KEY=$(printf '%s\n' "k8s=$K8S_VERSION" "kind=$KIND_VERSION" "etcd=$ETCD_VERSION" \
  "coredns=$COREDNS_VERSION" "debian=$DEBIAN_SUITE" "$recipe_sums" | sha256sum | cut -c1-64)
KEY12=${KEY:0:12}
TAG=$IMAGE_REPO:$K8S_VERSION-$KEY12

if docker image inspect "$TAG" >/dev/null 2>&1; then
  log "reusing cached image $TAG"
  emit "$TAG"
fi

# --- build --------------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "building the node image needs root (debootstrap, chroot)"
docker info >/dev/null 2>&1 || die "docker does not answer (run scripts/docker-setup.sh)"

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/build.lock"
log "waiting for the build lock $CACHE_DIR/build.lock"
flock 9
if docker image inspect "$TAG" >/dev/null 2>&1; then # built by a concurrent run
  emit "$TAG"
fi

log "building $TAG (kind $KIND_VERSION, Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, CoreDNS $COREDNS_VERSION, Debian $DEBIAN_SUITE)"
BUILD_T0=$SECONDS

host_tools=()
command -v debootstrap >/dev/null 2>&1 || host_tools+=(debootstrap)
command -v jq >/dev/null 2>&1 || host_tools+=(jq)
command -v setcap >/dev/null 2>&1 || host_tools+=(libcap2-bin)
if ((${#host_tools[@]} > 0)); then
  log "installing ${host_tools[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${host_tools[@]}" >/dev/null
fi

export GOWORK=off GOFLAGS=-buildvcs=false
GO_VERSION=$(go env GOVERSION)
LOG_DIR=$CACHE_DIR/logs
WORK=$CACHE_DIR/work/$KEY12
BUILD_CTR=kc-kind-node-build-$KEY12-$$
mkdir -p "$LOG_DIR"
rm -rf "$WORK"
mkdir -p "$WORK"

COMPONENT_REFS=() # private docker tags of the component images (intermediates)
BASE_REF=keptn-conformance/kind-node-base:$KEY12
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$?
  docker rm -f "$BUILD_CTR" >/dev/null 2>&1 || true
  # intermediate images; the node image keeps the layers it needs
  docker rmi "$BASE_REF" "${COMPONENT_REFS[@]}" >/dev/null 2>&1 || true
  rm -rf "$CACHE_DIR/rootfs/tmp.$$"
  if [[ ${KIND_NODE_KEEP_WORK:-0} == 1 ]]; then
    log "kept work directory $WORK"
  else
    rm -rf "$WORK"
  fi
  if ((rc != 0)); then
    log "build failed (exit $rc); logs are in $LOG_DIR"
  fi
}
trap cleanup EXIT

PHASE=
PHASE_T0=0
phase() {
  PHASE=$1
  PHASE_T0=$SECONDS
  log "phase $PHASE ..."
}
phase_done() {
  log "timing: $PHASE $((SECONDS - PHASE_T0))s"
}

# run_logged NAME CMD... — run a command with its output in $LOG_DIR/NAME.log;
# on failure show the end of that log.
run_logged() {
  local name=$1
  shift
  if ! "$@" >"$LOG_DIR/$name.log" 2>&1; then
    tail -n 40 "$LOG_DIR/$name.log"
    die "$name failed (full log: $LOG_DIR/$name.log)"
  fi
}

# debian_mirror SUITE — the first apt source of this machine that serves Debian
# (deb822 .sources or one-line .list); prefers one listing SUITE itself.
debian_mirror() {
  local suite=$1 files=() f
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && files+=("$f")
  done
  ((${#files[@]} > 0)) || return 0
  awk -v want="$suite" '
    function consider(uri, suites,   n, i, s) {
      n = split(suites, s, /[ \t]+/)
      for (i = 1; i <= n; i++) {
        if (s[i] == want && exact == "") exact = uri
        if (s[i] ~ /^[a-z]+$/ && plain == "") plain = uri
      }
    }
    function flush() {
      if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*no/ && uris != "") {
        split(uris, u, /[ \t]+/); consider(u[1], suites)
      }
      types = ""; uris = ""; suites = ""; enabled = ""
    }
    FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
    deb822 {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^[ \t]*#/) next
      if (tolower($0) ~ /^types:/)   { types = $0;  sub(/^[^:]*:[ \t]*/, "", types) }
      if (tolower($0) ~ /^uris:/)    { uris = $0;   sub(/^[^:]*:[ \t]*/, "", uris) }
      if (tolower($0) ~ /^suites:/)  { suites = $0; sub(/^[^:]*:[ \t]*/, "", suites) }
      if (tolower($0) ~ /^enabled:/) { enabled = $0; sub(/^[^:]*:[ \t]*/, "", enabled) }
      next
    }
    /^[ \t]*deb[ \t]/ {
      line = $0
      sub(/^[ \t]*deb[ \t]+/, "", line)
      sub(/^\[[^]]*\][ \t]*/, "", line)
      split(line, p, /[ \t]+/)
      consider(p[1], p[2])
    }
    END { flush(); if (exact != "") print exact; else if (plain != "") print plain }
  ' "${files[@]}"
}

# ldd_paths ROOT FILE... — absolute paths of the shared libraries FILEs need,
# resolved inside the chroot ROOT.
ldd_paths() {
  local root=$1 f
  shift
  for f in "$@"; do
    chroot "$root" /usr/bin/ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
  done | LC_ALL=C sort -u
}

# docker_import_dir DIR REF CHANGE... — a one-layer image from DIR, xattrs
# (file capabilities) preserved, owned by root.
docker_import_dir() {
  local dir=$1 ref=$2 changes=() c
  shift 2
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$dir" --xattrs --xattrs-include='*' --numeric-owner -c . |
    docker import "${changes[@]}" - "$ref" >/dev/null
}

# ========================= phase: rootfs ==========================================
phase rootfs
ROOTFS_KEY=$(printf '%s\n' "$DEBIAN_SUITE" "${ROOTFS_PACKAGES[@]}" | sha256sum | cut -c1-16)
ROOTFS_TAR=$CACHE_DIR/rootfs/$DEBIAN_SUITE-$ROOTFS_KEY.tar
if [[ -f $ROOTFS_TAR ]]; then
  log "reusing debootstrap rootfs $ROOTFS_TAR"
else
  MIRROR=${KIND_DEBIAN_MIRROR:-$(debian_mirror "$DEBIAN_SUITE")}
  [[ -n $MIRROR ]] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*}; set KIND_DEBIAN_MIRROR"
  log "debootstrap --variant=minbase $DEBIAN_SUITE from the machine's apt mirror"
  mkdir -p "$CACHE_DIR/rootfs"
  boot=$CACHE_DIR/rootfs/tmp.$$
  rm -rf "$boot"
  include=$(
    IFS=,
    echo "${ROOTFS_PACKAGES[*]}"
  )
  run_logged debootstrap debootstrap --variant=minbase --include="$include" \
    "$DEBIAN_SUITE" "$boot" "$MIRROR"
  rm -rf "$boot"/var/cache/apt/archives/*.deb "$boot"/var/lib/apt/lists/* "$boot"/var/log/*.log
  tar -C "$boot" --xattrs --xattrs-include='*' --numeric-owner -cf "$ROOTFS_TAR.part" .
  mv -f "$ROOTFS_TAR.part" "$ROOTFS_TAR"
  rm -rf "$boot"
fi
ROOT=$WORK/rootfs
mkdir -p "$ROOT"
tar -C "$ROOT" --xattrs --xattrs-include='*' --numeric-owner -xf "$ROOTFS_TAR"
phase_done

# ========================= phase: k8s-binaries ====================================
phase k8s-binaries
K8S_DIR=$CACHE_DIR/k8s/$K8S_VERSION
K8S_BIN=$K8S_DIR/bin
if [[ -f $K8S_BIN/.complete ]]; then
  log "reusing Kubernetes binaries in $K8S_BIN"
else
  [[ $K8S_VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "KIND_K8S_VERSION must look like v1.Y.Z, not $K8S_VERSION"
  K8S_MINOR=${BASH_REMATCH[1]}
  STAGING_VERSION=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
  src=$K8S_DIR/src
  rm -rf "$src" "$K8S_BIN" "$K8S_BIN.tmp"
  mkdir -p "$src"
  if ! kjson=$(cd "$src" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION"); then
    rm -rf "$K8S_DIR"
    die "k8s.io/kubernetes@$K8S_VERSION is not on the Go module proxy"
  fi
  kdir=$(jq -r .Dir <<<"$kjson")
  git_commit=$(jq -r '.Origin.Hash // ""' <<<"$kjson")
  build_date=$(jq -r .Time "$(jq -r .Info <<<"$kjson")")
  # Every staging module at v0.Y.Z, without replaces; some (the samples) are not
  # on the proxy, and nothing built here needs them.
  mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$kdir/go.mod")
  ((${#staging[@]} > 0)) || die "no staging modules found in $kdir/go.mod"
  mapfile -t available < <(
    cd "$src" && { go mod download -json "${staging[@]/%/@$STAGING_VERSION}" 2>/dev/null || true; } |
      jq -r 'select(.Error | not) | .Path'
  )
  log "k8s.io/kubernetes $K8S_VERSION with ${#available[@]} of ${#staging[@]} staging modules at $STAGING_VERSION"
  {
    echo "// Generated by scripts/kind-node-image.sh: builds Kubernetes $K8S_VERSION."
    echo "module keptn-conformance.local/kind-node/kubernetes"
    echo
    grep -m1 '^go ' "$kdir/go.mod"
    grep '^godebug ' "$kdir/go.mod" || true
    echo
    echo "require ("
    echo "	k8s.io/kubernetes $K8S_VERSION"
    for m in "${available[@]}"; do echo "	$m $STAGING_VERSION"; done
    echo ")"
  } >"$src/go.mod"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$K8S_MINOR"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=$git_commit -X $pkg.buildDate=$build_date"
  done
  pkgs=()
  for c in "${K8S_COMMANDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  log "go build ${K8S_COMMANDS[*]} (a cold build takes about 8 minutes on 2 cores)"
  mkdir -p "$K8S_BIN.tmp"
  run_logged k8s-build env -C "$src" CGO_ENABLED=0 go build -mod=mod -trimpath \
    -ldflags "$ldflags" -o "$K8S_BIN.tmp/" "${pkgs[@]}"
  got=$("$K8S_BIN.tmp/kubeadm" version -o short)
  [[ $got == "$K8S_VERSION" ]] || die "built kubeadm reports version $got, want $K8S_VERSION"
  touch "$K8S_BIN.tmp/.complete"
  mv "$K8S_BIN.tmp" "$K8S_BIN"
fi
phase_done

# kubeadm decides the image names and tags; take them from it rather than
# writing any registry name here.
mapfile -t KUBEADM_IMAGES < <("$K8S_BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null)
((${#KUBEADM_IMAGES[@]} >= 7)) || die "kubeadm config images list gave: ${KUBEADM_IMAGES[*]}"
image_for() { # image_for NAME — kubeadm's reference for the component NAME
  local ref
  for ref in "${KUBEADM_IMAGES[@]}"; do
    if [[ ${ref##*/} == "$1":* ]]; then
      echo "$ref"
      return 0
    fi
  done
  die "kubeadm lists no $1 image"
}
PAUSE_IMAGE=$(image_for pause)

# ========================= phase: tools ===========================================
phase tools
# build_tool NAME MODULE@VERSION... — build scripts/kind-node-image/NAME/main.go
# in a scratch module requiring the given modules; prints the binary's path.
build_tool() {
  local name=$1 key dir bin
  shift
  key=$(printf '%s\n' "$GO_VERSION" "$@" | cat - "$RECIPE_DIR/$name/main.go" | sha256sum | cut -c1-16)
  dir=$CACHE_DIR/tools/$name-$key
  bin=$dir/bin/$name
  if [[ ! -x $bin ]]; then
    log "building $name ${*:-(standard library only)}"
    rm -rf "$dir"
    mkdir -p "$dir/src"
    # The source carries `//go:build ignore` so that the repository's own
    # module skips it; drop that line in the scratch copy.
    sed '/^\/\/go:build ignore$/d' "$RECIPE_DIR/$name/main.go" >"$dir/src/main.go"
    # shellcheck disable=SC2016 # expanded by the inner bash
    run_logged "tool-$name" bash -c '
      set -euo pipefail
      cd "$1"
      name=$2
      shift 2
      go mod init "keptn-conformance.local/kind-node/$name"
      if (($# > 0)); then go get "$@"; fi
      CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" -o "../bin.tmp/$name" .
    ' build-tool "$dir/src" "$name" "$@"
    mv "$dir/bin.tmp" "$dir/bin"
  fi
  echo "$bin"
}
STAGING_VERSION=v0.${K8S_VERSION#v1.}
ETCD_BIN=$(build_tool etcd "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
COREDNS_BIN=$(build_tool coredns "github.com/coredns/coredns@$COREDNS_VERSION")
PAUSE_BIN=$(build_tool pause)
CRICTL_BIN=$(build_tool crictl "k8s.io/cri-api@$STAGING_VERSION")
phase_done

# ========================= phase: component-images ================================
phase component-images
# The images are first tagged under a private name in Docker, then renamed to
# kubeadm's names inside the node's containerd, so Docker's own tags of those
# names (on machines that have them) are never touched.
COMPONENT_NAMES=() # kubeadm's names, in the order of COMPONENT_REFS
PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
stage_new() { # stage_new NAME — an empty staging dir
  local d=$WORK/images/$1
  rm -rf "$d"
  mkdir -p "$d"
  echo "$d"
}
add_component() { # add_component NAME DIR CHANGE...
  local name=$1 dir=$2 kubeadm_ref private
  shift 2
  kubeadm_ref=$(image_for "$name")
  private=keptn-conformance/kind-component-$name:$KEY12
  docker_import_dir "$dir" "$private" "$PATH_ENV" "$@"
  COMPONENT_REFS+=("$private")
  COMPONENT_NAMES+=("$kubeadm_ref")
  log "image $kubeadm_ref"
}

for c in kube-apiserver kube-controller-manager kube-scheduler; do
  d=$(stage_new "$c")
  install -D -m 0755 "$K8S_BIN/$c" "$d/usr/local/bin/$c"
  add_component "$c" "$d" "ENTRYPOINT [\"/usr/local/bin/$c\"]"
done

d=$(stage_new etcd)
install -D -m 0755 "$ETCD_BIN" "$d/usr/local/bin/etcd"
mkdir -p "$d/var/lib/etcd" "$d/tmp"
chmod 1777 "$d/tmp"
add_component etcd "$d" 'ENTRYPOINT ["/usr/local/bin/etcd"]'

d=$(stage_new coredns)
install -D -m 0755 "$COREDNS_BIN" "$d/coredns"
setcap cap_net_bind_service=+ep "$d/coredns"
add_component coredns "$d" 'ENTRYPOINT ["/coredns"]' 'USER 65532:65532' 'EXPOSE 53 53/udp'

d=$(stage_new pause)
install -D -m 0755 "$PAUSE_BIN" "$d/pause"
add_component pause "$d" 'ENTRYPOINT ["/pause"]' 'USER 65535:65535'

# kube-proxy: the binary plus iptables (nft and legacy), nft, conntrack, the
# xtables extensions and every library they load, taken from the node rootfs.
d=$(stage_new kube-proxy)
for top in bin sbin lib lib32 lib64 libx32; do # merged-/usr links
  if [[ -L $ROOT/$top ]]; then
    cp -a "$ROOT/$top" "$d/$top"
    mkdir -p "$d/$(readlink "$ROOT/$top")" # e.g. lib64 -> usr/lib64
  fi
done
install -D -m 0755 "$K8S_BIN/kube-proxy" "$d/usr/local/bin/kube-proxy"
mkdir -p "$d/usr/sbin" "$d/etc/alternatives" "$d/run" "$d/tmp" "$d/var/run"
chmod 1777 "$d/tmp"
(
  cd "$ROOT"
  shopt -s nullglob
  cp -a --parents usr/sbin/xtables-* usr/sbin/iptables* usr/sbin/ip6tables* \
    usr/sbin/nft usr/sbin/conntrack etc/alternatives/iptables* etc/alternatives/ip6tables* \
    usr/lib/*/xtables "$d/"
  for f in etc/protocols etc/services etc/ethertypes etc/nsswitch.conf; do
    [[ -e $f ]] && cp -a --parents "$f" "$d/"
  done
)
mapfile -t kp_elves < <(cd "$ROOT" && printf '/%s\n' usr/sbin/xtables-*-multi usr/sbin/nft usr/sbin/conntrack usr/lib/*/xtables/*.so)
while read -r lib; do
  [[ -n $lib ]] || continue
  mkdir -p "$d$(dirname "$lib")"
  cp -L "$ROOT$lib" "$d$lib"
done < <(ldd_paths "$ROOT" "${kp_elves[@]}")
chroot "$d" /usr/sbin/iptables --version >/dev/null || die "iptables does not run in the kube-proxy image"
chroot "$d" /usr/sbin/iptables-legacy --version >/dev/null || die "iptables-legacy does not run in the kube-proxy image"
chroot "$d" /usr/sbin/conntrack --version >/dev/null || die "conntrack does not run in the kube-proxy image"
add_component kube-proxy "$d" 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]'
phase_done

# ========================= phase: node-image ======================================
phase node-image
KIND_DIR=$(kind_module_dir)
BASE_FILES=$KIND_DIR/images/base/files
[[ -f $BASE_FILES/usr/local/bin/entrypoint ]] || die "kind's base files are missing under $BASE_FILES"

# kind's base files, with the modes kind's base Dockerfile gives them; our own
# containerd config replaces kind's (containerd 1.6 from Debian, no fuse-overlayfs).
install -D -m 0755 -t "$ROOT/usr/local/bin" "$BASE_FILES"/usr/local/bin/*
mkdir -p "$ROOT/kind/bin" "$ROOT/LICENSES" "$ROOT/etc/systemd/system/kubelet.service.d"
find "$BASE_FILES/kind" -maxdepth 1 -type f -exec install -m 0644 -t "$ROOT/kind" {} +
install -m 0755 -t "$ROOT/kind/bin" "$BASE_FILES"/kind/bin/*
install -m 0644 -t "$ROOT/LICENSES" "$BASE_FILES"/LICENSES/*
install -m 0644 "$BASE_FILES/etc/crictl.yaml" "$ROOT/etc/crictl.yaml"
install -D -m 0644 -t "$ROOT/etc/default" "$BASE_FILES"/etc/default/*
install -D -m 0644 -t "$ROOT/etc/sysctl.d" "$BASE_FILES"/etc/sysctl.d/*
find "$BASE_FILES/etc/systemd/system" -maxdepth 1 -type f -exec install -m 0644 -t "$ROOT/etc/systemd/system" {} +
install -m 0644 -t "$ROOT/etc/systemd/system/kubelet.service.d" "$BASE_FILES"/etc/systemd/system/kubelet.service.d/*
chmod 0755 "$ROOT/kind" "$ROOT/kind/bin"

# Systemd in a container, as kind's base image does it.
rm -f "$ROOT"/lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service \
  "$ROOT"/lib/systemd/system/multi-user.target.wants/* \
  "$ROOT"/etc/systemd/system/*.wants/* \
  "$ROOT"/lib/systemd/system/local-fs.target.wants/* \
  "$ROOT"/lib/systemd/system/sockets.target.wants/*udev* \
  "$ROOT"/lib/systemd/system/sockets.target.wants/*initctl* \
  "$ROOT"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$ROOT/etc/systemd/journald.conf"
ln -sfn /usr/lib/systemd/systemd "$ROOT/sbin/init"
systemctl --root="$ROOT" --quiet enable kubelet.service containerd.service undo-mount-hacks.service
systemctl --root="$ROOT" --quiet mask systemd-binfmt.service

# kind's units expect containerd in /usr/local/bin; Debian ships it in /usr/bin.
ln -sfn /usr/bin/containerd "$ROOT/usr/local/bin/containerd"

# Kubernetes, crictl, version.
install -m 0755 -t "$ROOT/usr/bin" "$K8S_BIN/kubeadm" "$K8S_BIN/kubelet" "$K8S_BIN/kubectl"
install -m 0755 "$CRICTL_BIN" "$ROOT/usr/local/bin/crictl"
echo "$K8S_VERSION" >"$ROOT/kind/version"
mkdir -p "$ROOT/etc/kubernetes/manifests" "$ROOT/kind/manifests"

# containerd: CRI with systemd cgroups, kubeadm's pause image, the OOM score
# clamped (no CAP_SYS_RESOURCE here), kind's base runtime spec with its
# createContainer hook and without rlimits, Debian's CNI plugins.
chroot "$ROOT" /usr/bin/ctr oci spec |
  jq '.hooks.createContainer += [{"path": "/kind/bin/mount-product-files.sh"}] | del(.process.rlimits)' \
    >"$ROOT/etc/containerd/cri-base.json"
cat >"$ROOT/etc/containerd/config.toml" <<EOF
# Written by keptn-conformance scripts/kind-node-image.sh (containerd 1.6, config schema 2).
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  tolerate_missing_hugepages_controller = true
  # this machine's bounding set lacks CAP_SYS_RESOURCE: clamp oom_score_adj
  restrict_oom_score_adj = true

[plugins."io.containerd.grpc.v1.cri".containerd]
  discard_unpacked_layers = true
  # kind's entrypoint may sed this line to another snapshotter
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  base_runtime_spec = "/etc/containerd/cri-base.json"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.test-handler]
  runtime_type = "io.containerd.runc.v2"
  base_runtime_spec = "/etc/containerd/cri-base.json"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.test-handler.options]
    SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/opt/cni/bin"
  conf_dir = "/etc/cni/net.d"
EOF

# Pod network for a single node: a static ptp conflist (kindnetd's image is not
# available offline) and a harmless placeholder as kind's default CNI manifest.
mkdir -p "$ROOT/opt/cni" "$ROOT/etc/cni/net.d"
ln -sfn /usr/lib/cni "$ROOT/opt/cni/bin"
cat >"$ROOT/etc/cni/net.d/10-kind-static.conflist" <<'EOF'
{
  "cniVersion": "0.4.0",
  "name": "kind-static",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": true,
      "mtu": 1500,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "10.244.0.0/24" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
cat >"$ROOT/kind/manifests/default-cni.yaml" <<'EOF'
# The offline node image wires pods with a static CNI config in
# /etc/cni/net.d (single node only); kind applies this file in place of kindnetd.
apiVersion: v1
kind: ConfigMap
metadata:
  name: kind-static-cni
  namespace: kube-system
data:
  note: "pod network: static ptp + host-local (10.244.0.0/24) from /etc/cni/net.d"
EOF

# No machine identity or host resolver in the image.
: >"$ROOT/etc/machine-id"
: >"$ROOT/etc/resolv.conf"
rm -f "$ROOT/var/lib/dbus/machine-id"

docker_import_dir "$ROOT" "$BASE_REF" "$PATH_ENV" 'ENV container=docker' \
  'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'
rm -rf "$ROOT"
log "imported the node base image"

# Import the component images into the node's containerd, then commit.
# (docker import/commit cannot set STOPSIGNAL; commit keeps the container's.)
docker rm -f "$BUILD_CTR" >/dev/null 2>&1 || true
docker run -d --privileged --init --name "$BUILD_CTR" --stop-signal SIGRTMIN+3 \
  --entrypoint /usr/bin/sleep "$BASE_REF" infinity >/dev/null
docker exec "$BUILD_CTR" bash -c \
  'containerd >/var/log/containerd-import.log 2>&1 & echo $! >/run/containerd-import.pid'
for _ in $(seq 1 60); do
  docker exec "$BUILD_CTR" ctr version >/dev/null 2>&1 && break
  sleep 1
done
docker exec "$BUILD_CTR" ctr version >/dev/null 2>&1 ||
  die "containerd did not start in the build container: $(docker exec "$BUILD_CTR" tail -n 20 /var/log/containerd-import.log)"
docker save "${COMPONENT_REFS[@]}" |
  docker exec -i "$BUILD_CTR" ctr -n k8s.io images import --all-platforms --no-unpack - >/dev/null
imported=$(docker exec "$BUILD_CTR" ctr -n k8s.io images ls -q)
for i in "${!COMPONENT_REFS[@]}"; do
  private=${COMPONENT_REFS[i]}
  # containerd spells the name fully qualified: match it by its suffix.
  src=$(awk -v want="$private" 'substr($0, length($0) - length(want)) == "/" want' <<<"$imported" | head -n1)
  [[ -n $src ]] || die "image $private was not imported into the node's containerd"
  docker exec "$BUILD_CTR" ctr -n k8s.io images tag --force "$src" "${COMPONENT_NAMES[i]}" >/dev/null
  docker exec "$BUILD_CTR" ctr -n k8s.io images rm "$src" >/dev/null
done
have=$(docker exec "$BUILD_CTR" ctr -n k8s.io images ls -q)
for ref in "${KUBEADM_IMAGES[@]}"; do
  grep -qxF "$ref" <<<"$have" || die "image $ref is missing in the node's containerd"
done
docker exec "$BUILD_CTR" bash -c '
  pid=$(cat /run/containerd-import.pid)
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$pid" 2>/dev/null
  rm -rf /run/containerd-import.pid /run/containerd /var/log/containerd-import.log /tmp/*'
docker commit \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
  --change 'CMD []' \
  --change "LABEL io.keptn-conformance.kind-node.key=$KEY" \
  "$BUILD_CTR" "$TAG" >/dev/null
docker rm -f "$BUILD_CTR" >/dev/null
phase_done

size=$(docker image inspect -f '{{.Size}}' "$TAG")
log "built $TAG ($((size / 1000000)) MB) in $((SECONDS - BUILD_T0))s"
emit "$TAG"
