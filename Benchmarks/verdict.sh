#!/usr/bin/env bash
# Issue 4 benchmark: `hostaudit firewall verdict` on a large ruleset, snapshot
# included, against the snapshot alone (`hostaudit facts firewall` needs the
# same dump) and `nft list ruleset`. The evaluation itself is the difference
# between `firewall verdict` and the bare dump (`ruleset-dump --quiet`).
# Runs in a network namespace it creates and deletes.
# Usage: Benchmarks/verdict.sh [RULES...]   (default: 10000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
swift build -c release --product hostaudit >/dev/null
swift build -c release --product ruleset-dump >/dev/null
dir=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
ns=ha-vbench-$$
cleanup() { ip netns delete "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
for n in "${sizes[@]}"; do
    python3 Benchmarks/gen_ruleset.py "$n" >"$work/r.nft"
    # The generated ruleset filters input; add an output chain the flow must cross.
    printf 'table inet out {\n\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n\t\ttcp dport 25 drop\n\t}\n}\n' >>"$work/r.nft"
    ip netns exec "$ns" nft -f "$work/r.nft"
    echo "== $n rules ($(uname -r), $(nproc) CPUs)"
    # -i: verdict exits 1 when the flow is not accepted (port 25 here).
    hyperfine -N -i -w 1 -r 5 --export-markdown "$work/t.md" \
        "ip netns exec $ns $dir/hostaudit firewall verdict --dst 127.0.0.1 --dport 80 --format json" \
        "ip netns exec $ns $dir/hostaudit firewall verdict --dst 127.0.0.1 --dport 25" \
        "ip netns exec $ns $dir/ruleset-dump --quiet" \
        "ip netns exec $ns nft list ruleset" >/dev/null
    cat "$work/t.md"
    echo
done
