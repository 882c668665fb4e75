#!/usr/bin/env bash
# Benchmark `hostaudit egress`: 1,000 silently dropped ports with a 2 s time-out,
# goal <= 2.4 s, compared with `nmap -sT -Pn` on the same ports and time-out.
# Measured twice: with `--no-locate`, and by default, where path location
# (TTL-limited probes to the same address, inside the lab) may add at most one
# more time-out window.
#
# Runs inside a private client/router/server namespace lab (10.66.x.0/24; the
# router drops TCP 20000-20999): no packet leaves the lab. Needs root, iproute2,
# nft, hyperfine; nmap is optional (apt-get install nmap).
#
# usage: Benchmarks/egress.sh [RUNS]     (HOSTAUDIT_BIN overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BIN=${HOSTAUDIT_BIN:-}
if [ -z "$BIN" ]; then
    if [ -x .build/release/hostaudit ]; then BIN=.build/release/hostaudit; else
        swift build --product hostaudit >/dev/null; BIN=.build/debug/hostaudit; fi
fi
BIN=$(realpath "$BIN")
C=ha-egb$$-c R=ha-egb$$-r S=ha-egb$$-s
cleanup() { for n in $C $R $S; do ip netns del "$n" 2>/dev/null || true; done; }
trap cleanup EXIT
for n in $C $R $S; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n $C link add c0 type veth peer name r0 netns $R
ip -n $R link add r1 type veth peer name s0 netns $S
ip -n $C addr add 10.66.1.2/24 dev c0; ip -n $C link set c0 up
ip -n $R addr add 10.66.1.1/24 dev r0; ip -n $R link set r0 up
ip -n $R addr add 10.66.2.1/24 dev r1; ip -n $R link set r1 up
ip -n $S addr add 10.66.2.2/24 dev s0; ip -n $S link set s0 up
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
ip -n $C route add 10.66.2.0/24 via 10.66.1.1
ip -n $S route add 10.66.1.0/24 via 10.66.2.1
ip netns exec $R nft -f - <<'NFT'
table ip bench {
  chain forward {
    type filter hook forward priority filter; policy accept;
    tcp dport 20000-20999 drop
  }
}
NFT
sleep 1
TARGETS=$(seq -f "10.66.2.2:%g" 20000 20999 | tr '\n' ' ')
echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r); binary: $BIN"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Sanity: every port reported filtered/no-response.
n=$(ip netns exec $C "$BIN" egress $TARGETS --timeout 2 --format json | grep -c '"reason": "no-response"' || true)
echo "no-response probes: $n of 1000"
cmds=("ip netns exec $C $BIN egress $TARGETS --timeout 2 --no-locate --format json"
      "ip netns exec $C $BIN egress $TARGETS --timeout 2 --format json")
names=("hostaudit egress, 1000 dropped ports, --timeout 2 --no-locate"
       "hostaudit egress, 1000 dropped ports, --timeout 2 (locating)")
if command -v nmap >/dev/null; then
    NMAP="nmap -sT -Pn -n -p20000-20999 --max-retries 0 --initial-rtt-timeout 2000ms --max-rtt-timeout 2000ms"
    # Without --min-parallelism nmap's congestion control keeps few probes in
    # flight: one run took over 200 s here, so it is left out of hyperfine.
    cmds+=("ip netns exec $C $NMAP --min-parallelism 1000 -oN /dev/null 10.66.2.2")
    names+=("nmap -sT -Pn, same, --min-parallelism 1000")
fi
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -i -N --warmup 1 --runs "$RUNS" --export-markdown "${BENCH_MD:-/dev/stdout}" "${args[@]}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
