#!/usr/bin/env bash
# Proves the release binary runs without Swift: checks it has no RPATH or
# RUNPATH, lists its dynamic dependencies (no libswift*/libFoundation*), then
# runs it in a minimal chroot holding only the binary and the C libraries it
# links (no /opt/swift, no /usr/lib/swift), with a bogus libselinux.so.1
# planted beside it that it must not load.
# Usage: Scripts/check-static.sh [BINARY]   (default: builds .build-static release)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
    swift build -c release --static-swift-stdlib --disable-local-rpath --product hostaudit --scratch-path .build-static >/dev/null
    bin=.build-static/release/hostaudit
fi
# No library search path of its own: with $ORIGIN (SwiftPM's default) a
# binary copied to /tmp and run as root would load a libselinux.so.1 that
# anyone had planted in /tmp.
if readelf -d "$bin" | grep -Eq '\((RPATH|RUNPATH)\)'; then
    echo "check-static: the binary has a library search path: $(readelf -d "$bin" | grep -E 'RPATH|RUNPATH')" >&2
    exit 1
fi
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "NEEDED: $(echo $needed)"
if echo "$needed" | grep -Eiq 'swift|Foundation|dispatch|BlocksRuntime'; then
    echo "check-static: the binary links the Swift runtime dynamically" >&2
    exit 1
fi
root=$(mktemp -d)
trap 'umount "$root/proc" 2>/dev/null; mountpoint -q "$root/proc" || rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/proc" "$root/tmp"
cp "$bin" "$root/bin/hostaudit"
printf 'planted, not a library\n' >"$root/bin/libselinux.so.1"
# The C libraries and the dynamic loader, copied at their real paths.
for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
echo 'nameserver 192.0.2.53' >"$root/etc/resolv.conf"
if ls "$root" | grep -q opt || find "$root" -name 'libswift*' | grep -q .; then
    echo "check-static: Swift files in the chroot" >&2
    exit 1
fi
# The statically linked Swift runtime reads argv from /proc/self/cmdline, as
# every real host provides; the chroot gets its own /proc.
mount -t proc proc "$root/proc"
version=$(chroot "$root" /bin/hostaudit --version)
echo "version in the chroot: $version"
[ "$version" = "$("$bin" --version)" ] || { echo "check-static: --version failed in the chroot" >&2; exit 1; }
out=$(chroot "$root" /bin/hostaudit facts resolver --format json)
echo "$out" | grep -q '"address": "192.0.2.53"' || { echo "check-static: facts failed in the chroot" >&2; exit 1; }
echo "check-static: runs in a chroot without Swift ($(du -h "$bin" | cut -f1))"
