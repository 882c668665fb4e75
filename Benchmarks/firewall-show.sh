#!/usr/bin/env bash
# Issue 3 benchmark: reading and printing a large ruleset.
#   hostaudit firewall show                vs  nft list ruleset
#   hostaudit firewall show --format json  vs  nft -j list ruleset   (when --format json exists)
#   hostaudit firewall show                vs  a plain C libnftnl dump (Benchmarks/nft-dump.c -c)
# plus peak memory (GNU time). Runs in a network namespace it creates and deletes.
# Usage: Benchmarks/firewall-show.sh [RULES...]   (default: 10000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
swift build -c release --product hostaudit >/dev/null
bin=$(swift build -c release --show-bin-path)/hostaudit
work=$(mktemp -d)
ns=ha-bench-$$
cleanup() { ip netns delete "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
cc -O2 -o "$work/nftdump" Benchmarks/nft-dump.c $(pkg-config --cflags --libs libnftnl libmnl)
has_json=0
"$bin" firewall show --help | grep -q -- '--format' && has_json=1
for n in "${sizes[@]}"; do
    python3 Benchmarks/gen_ruleset.py "$n" >"$work/r.nft"
    ip netns exec "$ns" nft -f "$work/r.nft"
    rules=$(ip netns exec "$ns" "$bin" facts firewall --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["firewall"]["summary"]["rules"])')
    echo "== $rules rules ($(uname -r), $(nproc) CPUs)"
    cmds=("ip netns exec $ns $bin firewall show" "ip netns exec $ns nft list ruleset")
    [ -x "$work/nftdump" ] && cmds+=("ip netns exec $ns $work/nftdump -c")
    if [ $has_json = 1 ]; then
        cmds+=("ip netns exec $ns $bin firewall show --format json" "ip netns exec $ns nft -j list ruleset")
    fi
    hyperfine -N -w 1 -r 5 --export-markdown "$work/t.md" "${cmds[@]}" >/dev/null
    cat "$work/t.md"
    echo
    # Peak RSS does not depend on the machine's load; user and system CPU
    # time are steadier than wall time on a shared machine.
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "| command | peak RSS (MiB) | user CPU (s) | system CPU (s) |"
    echo "|:---|---:|---:|---:|"
    for c in "${cmds[@]}"; do
        read -r kb user sys < <( { /usr/bin/time -f '%M %U %S' $c >/dev/null; } 2>&1 | tail -1)
        echo "| \`${c#ip netns exec $ns }\` | $((kb / 1024)) | $user | $sys |"
    done
    echo
done
