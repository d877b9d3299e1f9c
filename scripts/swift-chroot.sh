#!/usr/bin/env bash
# Runs Swift in a Debian 13 "trixie" chroot, whose `swiftlang` package is Swift 6.0.3 with
# Foundation and XCTest (this machine kind is Debian 12: no Swift).
#
#   scripts/swift-chroot.sh probe              # exit 0 when the chroot exists or can be made,
#                                              # else print why on one line and exit 3
#   scripts/swift-chroot.sh setup              # make the chroot once (reused afterwards)
#   scripts/swift-chroot.sh version            # the chroot's `swift --version` line
#   scripts/swift-chroot.sh test <lib dir> [<log file>]
#       copy the package (the root Package.swift and bindings/swift) and the native libraries
#       libpoke_ffi.so and libpoke_testing.so in, then `swift build --build-tests` +
#       `swift test --skip-build` with our compiler flags (below); $POKE_SWIFT_FILTER, when set,
#       is passed to `swift test --filter`
#   scripts/swift-chroot.sh consumer <lib dir> <dir> [<log file>]
#       copy <dir> (holding `poke/`, the package, and `app/`, a package using it by path) in,
#       then build and test `app` the same way
#   scripts/swift-chroot.sh run <lib dir> <app dir> <product> [<args>...]
#       copy the package (as `poke/`) and <app dir> (a package using it by path, as `app/`)
#       in, build <product> in release with the same flags and run it with <args>; its output
#       is printed (benchmarks/langs.py's Swift row)
#   scripts/swift-chroot.sh docs <lib dir> <out dir>
#       DocC: the module Poke's symbol graph and its catalog converted into
#       <out dir>/Poke.doccarchive (scripts/docs.sh)
#
# Compiler flags (both commands): -swift-version 6 -strict-concurrency=complete
# -warnings-as-errors. Warnings are errors so that an incremental build, which recompiles
# only what changed and so repeats no old warning, can never hide one: a warning anywhere in
# our sources fails the build.
#
# The chroot lives in $POKE_SWIFT_CACHE (default /var/cache/poke-swift), outside every clone,
# so CI makes it once (~3 min, 2.8 GB) and later runs reuse it together with SwiftPM's scratch
# directories kept inside it (incremental builds: only files whose bytes changed are copied in).
# Needs root; debootstrap is installed with apt-get when missing; the Debian mirror is the
# first deb.debian.org-style URI in /etc/apt/sources.list* ($POKE_DEBIAN_MIRROR overrides).
# /proc is mounted only while SwiftPM runs (the swift binaries find libswiftCore.so through
# $ORIGIN, i.e. /proc/self/exe) and unmounted on every exit path. A lock serialises runs.
set -euo pipefail

cache="${POKE_SWIFT_CACHE:-/var/cache/poke-swift}"
root="$cache/trixie"
ready="$root/.poke-swift-ready"
suite=trixie
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

say() { printf '%s\n' "$*"; }
die() { printf 'swift-chroot: %s\n' "$*" >&2; exit 1; }

# The Debian mirror this machine's apt uses (deb822 `URIs:` or one-line `deb` entries).
mirror() {
  if [[ -n "${POKE_DEBIAN_MIRROR:-}" ]]; then printf '%s\n' "$POKE_DEBIAN_MIRROR"; return; fi
  local uri
  uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE '(https?)://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ')" || true
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

reachable() { # <url>
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 20 -o /dev/null "$1" 2>/dev/null
  else
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20).read(1)' "$1" 2>/dev/null
  fi
}

# Why the chroot cannot be made here (empty when it can).
blocker() {
  [[ "$(uname -s)" == Linux ]] || { echo "not Linux"; return; }
  case "$(uname -m)" in x86_64 | aarch64) ;; *) echo "no swiftlang for $(uname -m)"; return ;; esac
  [[ "$(id -u)" == 0 ]] || { echo "needs root for chroot and mount"; return; }
  [[ -f "$ready" ]] && return
  command -v debootstrap >/dev/null 2>&1 || command -v apt-get >/dev/null 2>&1 ||
    { echo "neither debootstrap nor apt-get"; return; }
  local m
  m="$(mirror)"
  reachable "${m%/}/dists/$suite/Release" || echo "Debian mirror $m unreachable"
}

with_lock() { # <command...>: one run at a time per cache (the chroot and its /proc are shared)
  mkdir -p "$cache"
  exec 9>"$cache/lock"
  flock 9
  "$@"
}

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null || true
  done
  mounted=()
}
# A signal stops the command running in the chroot (its own session, see in_chroot) before
# the EXIT trap unmounts: bash would otherwise run the trap only once that command finished.
child=
on_signal() {
  if [[ -n "$child" ]]; then
    kill -TERM -- "-$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  exit 130
}
trap unmount_all EXIT
trap on_signal INT TERM HUP

# Runs <command...> in <chroot> with output to <log>, in a session of its own so that
# on_signal can stop all of it; returns its status.
in_chroot() { # <chroot> <log> <command...>
  local dir=$1 out=$2 rc=0
  shift 2
  setsid chroot "$dir" "$@" >"$out" 2>&1 </dev/null &
  child=$!
  wait "$child" || rc=$?
  child=
  return "$rc"
}

mount_proc() { # <chroot>
  mountpoint -q "$1/proc" && return 0
  mount -t proc proc "$1/proc"
  mounted+=("$1/proc")
}

setup() {
  [[ -f "$ready" ]] && return 0
  local why m tmp
  why="$(blocker)"
  [[ -z "$why" ]] || die "$why"
  if ! command -v debootstrap >/dev/null 2>&1; then
    say "swift-chroot: apt-get install debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } ||
      die "could not install debootstrap"
  fi
  m="$(mirror)"
  # Built beside the final place and renamed at the end: a half-made chroot is never reused.
  tmp="$root.partial"
  [[ ! -d "$tmp" ]] || { umount "$tmp/proc" 2>/dev/null || true; rm -rf --one-file-system "$tmp"; }
  say "swift-chroot: debootstrap --variant=minbase $suite $root ($m)"
  debootstrap --variant=minbase "$suite" "$tmp" "$m" >"$cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  mount_proc "$tmp"
  say "swift-chroot: apt-get install swiftlang (in the chroot)"
  in_chroot "$tmp" "$cache/apt.log" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get install -y -qq swiftlang ca-certificates && apt-get clean' ||
    { tail -n 20 "$cache/apt.log" >&2; die "apt-get install swiftlang failed (log: $cache/apt.log)"; }
  chroot "$tmp" /usr/bin/env -i PATH=/usr/bin:/bin swift --version >"$tmp/.poke-swift-version" 2>&1 ||
    { cat "$tmp/.poke-swift-version" >&2; die "swift does not run in the chroot"; }
  unmount_all
  mv "$tmp" "$root"
  grep -m1 "Swift version" "$root/.poke-swift-version" >"$ready"
  say "swift-chroot: ready ($(head -n1 "$ready"))"
}

# Copies <src> to <dst> file by file, leaving files whose bytes did not change untouched (so
# SwiftPM, which compares inode and mtime, rebuilds only what changed), and removes the rest.
sync_tree() { # <src> <dst>
  local src=$1 dst=$2 rel
  mkdir -p "$dst"
  while IFS= read -r -d '' rel; do
    rel=${rel#./}
    if [[ -d "$src/$rel" ]]; then
      mkdir -p "$dst/$rel"
    elif ! cmp -s "$src/$rel" "$dst/$rel"; then
      cp "$src/$rel" "$dst/$rel"
    fi
  done < <(cd "$src" && find . -mindepth 1 \( -name .build -o -name .swiftpm \) -prune -o -print0)
  while IFS= read -r -d '' rel; do
    rel=${rel#./}
    [[ -e "$src/$rel" ]] || rm -rf "${dst:?}/$rel"
  done < <(cd "$dst" && find . -mindepth 1 -depth -print0)
}

# The files of the Swift package (the root manifest and bindings/swift) in <dst>, laid out as
# in the repository.
stage_package() { # <dst>
  mkdir -p "$1/bindings"
  cmp -s "$repo/Package.swift" "$1/Package.swift" || cp "$repo/Package.swift" "$1/Package.swift"
  sync_tree "$repo/bindings/swift" "$1/bindings/swift"
}

stage_libs() { # <lib dir>
  local lib
  mkdir -p "$root/build/lib" "$root/build/no-config"
  for lib in libpoke_ffi.so libpoke_testing.so; do
    [[ -f "$1/$lib" ]] || die "no $1/$lib (cargo build --release --no-default-features -p poke-ffi -p poke-ffi-testing)"
    cmp -s "$1/$lib" "$root/build/lib/$lib" || cp "$1/$lib" "$root/build/lib/$lib"
  done
}

# Builds and tests the package in <dir> (a path inside the chroot) with SwiftPM's scratch
# directory <scratch>; output to <log>.
swift_in_chroot() { # <dir> <scratch> <log>
  local dir=$1 scratch=$2 out=$3 rc=0
  local flags=(-Xlinker -L/build/lib -Xlinker -rpath -Xlinker /build/lib
    -Xswiftc -swift-version -Xswiftc 6 -Xswiftc -strict-concurrency=complete
    -Xswiftc -warnings-as-errors)
  mount_proc "$root"
  # Tests choose every key and URL themselves: no host credentials or config leak in.
  in_chroot "$root" "$out" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
    LD_LIBRARY_PATH=/build/lib XDG_CONFIG_HOME=/build/no-config FILTER="${POKE_SWIFT_FILTER:-}" \
    sh -c 'cd "$1" && scratch=$2 && shift 2 &&
      swift build --build-tests --scratch-path "$scratch" "$@" &&
      swift test --skip-build --scratch-path "$scratch" ${FILTER:+--filter "$FILTER"} "$@"' \
    swift "$dir" "$scratch" "${flags[@]}" || rc=$?
  unmount_all
  cat "$out"
  return "$rc"
}

run_tests() { # <lib dir> [<log file>]
  local log=${2:-$cache/swift-test.log}
  [[ -f "$ready" ]] || setup
  stage_libs "$1"
  stage_package "$root/build/poke"
  swift_in_chroot /build/poke /build/scratch-poke "$log"
}

run_consumer() { # <lib dir> <dir> [<log file>]
  local log=${3:-$cache/swift-consumer.log}
  [[ -f "$ready" ]] || setup
  [[ -d "$2/poke" && -d "$2/app" ]] || die "$2 must hold poke/ and app/"
  stage_libs "$1"
  sync_tree "$(cd "$2" && pwd)" "$root/build/consumer"
  swift_in_chroot /build/consumer/app /build/scratch-consumer "$log"
}

run_product() { # <lib dir> <app dir> <product> [<args>...]
  local libs=$1 app=$2 product=$3 log=$cache/swift-run.log rc=0
  shift 3
  [[ -f "$ready" ]] || setup
  stage_libs "$libs"
  stage_package "$root/build/run/poke"
  sync_tree "$(cd "$app" && pwd)" "$root/build/run/app"
  mount_proc "$root"
  in_chroot "$root" "$log" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
    LD_LIBRARY_PATH=/build/lib XDG_CONFIG_HOME=/build/no-config \
    sh -c 'cd /build/run/app && product=$1 && shift &&
      swift build -c release --product "$product" --scratch-path /build/scratch-run \
        -Xlinker -L/build/lib -Xlinker -rpath -Xlinker /build/lib \
        -Xswiftc -swift-version -Xswiftc 6 -Xswiftc -strict-concurrency=complete \
        -Xswiftc -warnings-as-errors >/build/run/build.log 2>&1 ||
        { cat /build/run/build.log; exit 1; }
      exec /build/scratch-run/release/"$product" "$@"' \
    swift "$product" "$@" || rc=$?
  unmount_all
  cat "$log"
  return "$rc"
}

# DocC for the module Poke: its symbol graph from a debug build, then `docc convert` of its
# catalog (bindings/swift/Sources/Poke/Poke.docc) into <out dir>/Poke.doccarchive.
run_docs() { # <lib dir> <out dir>
  local log=$cache/swift-docs.log rc=0
  [[ -f "$ready" ]] || setup
  stage_libs "$1"
  stage_package "$root/build/docs/poke"
  rm -rf "$root/build/docs/symbols" "$root/build/docs/Poke.doccarchive"
  mount_proc "$root"
  in_chroot "$root" "$log" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
    sh -c 'cd /build/docs/poke &&
      swift build --target Poke --scratch-path /build/scratch-docs \
        -Xlinker -L/build/lib -Xswiftc -swift-version -Xswiftc 6 \
        -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc /build/docs/all &&
      mkdir -p /build/docs/symbols && cp /build/docs/all/Poke.symbols.json /build/docs/symbols/ &&
      for f in /build/docs/all/Poke@*.symbols.json; do [ -e "$f" ] && cp "$f" /build/docs/symbols/; done;
      /usr/libexec/swift/bin/docc convert bindings/swift/Sources/Poke/Poke.docc \
        --additional-symbol-graph-dir /build/docs/symbols \
        --fallback-display-name Poke --fallback-bundle-identifier com.poke.Poke \
        --output-path /build/docs/Poke.doccarchive' || rc=$?
  unmount_all
  if [[ $rc -ne 0 ]]; then cat "$log"; return "$rc"; fi
  mkdir -p "$2"
  rm -rf "$2/Poke.doccarchive"
  cp -R "$root/build/docs/Poke.doccarchive" "$2/"
}

case "${1:-}" in
  probe)
    why="$(blocker)"
    if [[ -n "$why" ]]; then say "$why"; exit 3; fi ;;
  setup) with_lock setup ;;
  version) [[ -f "$ready" ]] && cat "$ready" ;;
  test)
    [[ $# -ge 2 ]] || die "usage: $0 test <lib dir> [<log file>]"
    with_lock run_tests "$2" "${3:-}" ;;
  consumer)
    [[ $# -ge 3 ]] || die "usage: $0 consumer <lib dir> <dir> [<log file>]"
    with_lock run_consumer "$2" "$3" "${4:-}" ;;
  run)
    [[ $# -ge 4 ]] || die "usage: $0 run <lib dir> <app dir> <product> [<args>...]"
    shift
    with_lock run_product "$@" ;;
  docs)
    [[ $# -ge 3 ]] || die "usage: $0 docs <lib dir> <out dir>"
    with_lock run_docs "$2" "$3" ;;
  -h | --help | '') sed -n '2,36p' "$0" ;;
  *) die "unknown command: $1" ;;
esac
