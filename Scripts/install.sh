#!/usr/bin/env bash
# Installs a release built by Scripts/build-release.sh (run from its folder),
# or this checkout's release build (run from the repository).
#   install.sh [--prefix /usr/local] [--destdir DIR] [--timer | --cron]
# --timer enables the systemd timer (hourly cron-profile scan feeding
# node_exporter's textfile collector); --cron installs /etc/cron.d/hostaudit instead.
set -euo pipefail
prefix=/usr/local destdir="" schedule=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --destdir) destdir=$2; shift 2 ;;
        --timer) schedule=timer; shift ;;
        --cron) schedule=cron; shift ;;
        *) echo "usage: install.sh [--prefix DIR] [--destdir DIR] [--timer | --cron]" >&2; exit 64 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
if [ -x "$here/bin/hostaudit" ]; then
    src=$here                       # an unpacked release
else
    src=$(cd "$here/.." && bash Scripts/build-release.sh | sed 's/\.tar\.gz$//')   # the repository
    src=$(cd "$here/.." && pwd)/$src
fi
root="$destdir"
install -d "$root$prefix/bin" "$root$prefix/share/hostaudit" "$root$prefix/share/man/man1" \
    "$root/etc/systemd/system" "$root/var/lib/hostaudit" "$root/var/lib/node_exporter/textfile_collector"
install -m 0755 "$src/bin/hostaudit" "$root$prefix/bin/hostaudit"
rm -rf "$root$prefix/share/hostaudit/policies"
[ -d "$src/share/hostaudit/policies" ] && cp -R "$src/share/hostaudit/policies" "$root$prefix/share/hostaudit/policies"
install -m 0644 "$src"/share/man/man1/*.1 "$root$prefix/share/man/man1/"
for d in bash-completion/completions zsh/site-functions fish/vendor_completions.d; do
    install -d "$root$prefix/share/$d"
    cp "$src/share/$d"/* "$root$prefix/share/$d/"
done
sed "s|/usr/local/bin/hostaudit|$prefix/bin/hostaudit|" "$src/systemd/hostaudit.service" >"$root/etc/systemd/system/hostaudit.service"
install -m 0644 "$src/systemd/hostaudit.timer" "$root/etc/systemd/system/hostaudit.timer"
case "$schedule" in
    timer)
        if [ -z "$destdir" ] && command -v systemctl >/dev/null; then
            systemctl daemon-reload && systemctl enable --now hostaudit.timer
        fi ;;
    cron)
        install -d "$root/etc/cron.d"
        sed "s|/usr/local/bin/hostaudit|$prefix/bin/hostaudit|" "$src/cron.d/hostaudit" >"$root/etc/cron.d/hostaudit"
        chmod 0644 "$root/etc/cron.d/hostaudit" ;;
esac
echo "installed hostaudit into ${root}${prefix}"
