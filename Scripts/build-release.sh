#!/usr/bin/env bash
# Builds a deployable release: the Swift runtime linked statically
# (--static-swift-stdlib), so audited hosts need only the C libraries from
# Debian/Ubuntu packages (libselinux1, libnftnl11, libmnl0, libyara9, libc6, libstdc++6).
# --disable-local-rpath: no $ORIGIN search path, so the binary never loads a
# library from the directory it was copied to (/tmp, say, with a planted
# libselinux.so.1 waiting for root).
# Output: out/hostaudit-VERSION-linux-ARCH/ and a .tar.gz of it, laid out for
# Scripts/install.sh (bin/, share/hostaudit/policies, share/man, completions, systemd/, cron.d/).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-static
swift build -c release --static-swift-stdlib --disable-local-rpath --product hostaudit --scratch-path "$scratch" >/dev/null
bin="$scratch/release/hostaudit"
version=$("$bin" --version)
dest="out/hostaudit-$version-linux-$(uname -m)"
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/share/hostaudit" "$dest/systemd" "$dest/cron.d"
install -m 0755 "$bin" "$dest/bin/hostaudit"
strip "$dest/bin/hostaudit" 2>/dev/null || true
[ -d Policies ] && cp -R Policies "$dest/share/hostaudit/policies"
Scripts/generate-docs.sh "$dest/share" >/dev/null
install -m 0644 Scripts/systemd/hostaudit.service Scripts/systemd/hostaudit.timer "$dest/systemd/"
install -m 0644 Scripts/systemd/hostaudit.cron "$dest/cron.d/hostaudit"
install -m 0755 Scripts/install.sh "$dest/install.sh"
tar -C out -czf "$dest.tar.gz" "$(basename "$dest")"
echo "$dest.tar.gz"
