#!/usr/bin/env bash
# Benchmarks `hostaudit firewall verdict` (snapshot + route + evaluation) against
# `nft list ruleset` on a generated ruleset with RULES rules (default 100,000),
# inside a throw-away namespace. Needs root, nft, hyperfine.
#   Benchmarks/verdict.sh [RULES]
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-100000}
swift build -c release --product hostaudit >/dev/null
bin=$(swift build -c release --show-bin-path)/hostaudit
ns=ha-bench-verdict-$$
trap 'ip netns delete "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 10.77.0.1/32 dev lo
# 10 chains jumped to from the output chain, RULES/10 rules each
# (`ip saddr A tcp dport P counter accept`), none matching the probe until the end.
python3 - "$rules" >/tmp/ha-bench-$$.nft <<'PY'
import sys
n = int(sys.argv[1]); per = n // 10
print("table ip bench {")
for c in range(10):
    print(f"  chain c{c} {{")
    for i in range(per):
        print(f"    ip saddr 192.0.{(i >> 8) & 255}.{i & 255} tcp dport {1 + (i % 60000)} counter accept")
    print("  }")
print("  chain output { type filter hook output priority 0; policy accept;")
for c in range(10):
    print(f"    jump c{c}")
print("    tcp dport 8001 drop\n  }\n}")
PY
ip netns exec "$ns" nft -f /tmp/ha-bench-$$.nft
rm -f /tmp/ha-bench-$$.nft
hyperfine --warmup 1 --runs 5 \
  "ip netns exec $ns nft list ruleset >/dev/null" \
  "ip netns exec $ns $bin firewall verdict --dst 10.77.0.1 --dport 8001 --sport 40000 --format json >/dev/null || true"
