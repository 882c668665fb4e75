#!/usr/bin/env bash
# Path location cost: `hostaudit egress` on N blocked targets (default 100,
# ports 20000.. dropped at the middle router) plus port 443 (open) behind three
# routers, with and without --no-locate (hyperfine). Goal: locating adds at
# most one --timeout window, whatever N. Everything runs in namespaces this
# script creates (bl-*) and deletes on exit. Needs root, ip, nft, python3,
# hyperfine, jq. BIN=path/to/hostaudit skips the release build. PROTO=udp
# drops and probes UDP ports instead (HOST:PORT/udp targets).
# Appends to RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
TIMEOUT=${TIMEOUT:-2}
PROTO=${PROTO:-tcp}
case "$PROTO" in tcp) suffix="" ;; udp) suffix="/udp" ;; *) echo "PROTO must be tcp or udp" >&2; exit 64 ;; esac
if [ -z "${BIN:-}" ]; then
  swift build -c release --product hostaudit --scratch-path "${SCRATCH:-.build}" >/dev/null
  BIN=$(swift build -c release --scratch-path "${SCRATCH:-.build}" --show-bin-path)/hostaudit
fi
BIN=$(readlink -f "$BIN")
p=bl$$
ns=("$p-c" "$p-r1" "$p-r2" "$p-r3" "$p-s")
work=$(mktemp -d)
cleanup() {
  for n in "${ns[@]}"; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns delete "$n" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
for n in "${ns[@]}"; do ip netns add "$n"; ip -n "$n" link set lo up; done
x() { ip netns exec "$1" "${@:2}"; }
for i in 1 2 3 4; do
  ip -n "${ns[$((i-1))]}" link add "l$i" type veth peer name "p$i" netns "${ns[$i]}"
done
# segment i: left side .1 (the client is .2 on segment 1), right side .2
x "${ns[0]}" ip addr add 10.68.1.2/24 dev l1; x "${ns[1]}" ip addr add 10.68.1.1/24 dev p1
for i in 2 3 4; do
  x "${ns[$((i-1))]}" ip addr add "10.68.$i.1/24" dev "l$i"; x "${ns[$i]}" ip addr add "10.68.$i.2/24" dev "p$i"
done
for i in 0 1 2 3 4; do for d in $(ip -n "${ns[$i]}" -o link show | awk -F': ' '/: [lp][0-9]/{print $2}' | cut -d@ -f1); do
  ip -n "${ns[$i]}" link set "$d" up; done; done
x "${ns[0]}" ip route add 10.68.0.0/16 via 10.68.1.1
x "${ns[1]}" ip route add 10.68.0.0/16 via 10.68.2.2
x "${ns[2]}" ip route add 10.68.1.0/24 via 10.68.2.1; x "${ns[2]}" ip route add 10.68.4.0/24 via 10.68.3.2
x "${ns[3]}" ip route add 10.68.0.0/16 via 10.68.3.1
x "${ns[4]}" ip route add 10.68.0.0/16 via 10.68.4.1
for i in 1 2 3; do x "${ns[$i]}" sysctl -qw net.ipv4.ip_forward=1; done
printf 'table inet bench {\n chain c {\n  type filter hook forward priority 0; policy accept;\n  %s dport 20000-29999 drop\n }\n}\n' "$PROTO" | x "${ns[2]}" nft -f -
x "${ns[4]}" python3 -c 'import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.68.4.2", 443)); s.listen(4096)
while True:
    c,_=s.accept(); c.close()' &
srv=$!
for _ in $(seq 50); do x "${ns[0]}" python3 -c 'import socket; socket.create_connection(("10.68.4.2",443),0.3)' 2>/dev/null && break; sleep 0.1; done
targets="10.68.4.2:443"
for i in $(seq 0 $((N-1))); do targets="$targets 10.68.4.2:$((20000+i))$suffix"; done
base="ip netns exec ${ns[0]} $BIN egress $targets --timeout $TIMEOUT --format json"
$base >"$work/located.json" || true
located=$(jq '[.probes[] | select(.blocked_at != null and .blocked_at.hop == 2)] | length' "$work/located.json")
proven=$(jq '[.probes[] | select(.blocked_at.confidence == "proven")] | length' "$work/located.json")
unknown=$(jq '[.probes[] | select(.port != 443 and (.blocked_at == null or .blocked_at.confidence == "unknown"))] | length' "$work/located.json")
wrong=$(jq '[.probes[] | select(.blocked_at != null and .blocked_at.confidence != "unknown" and .blocked_at.hop != 2)] | length' "$work/located.json")
load=$(cut -d" " -f1-3 /proc/loadavg)
hyperfine --time-unit millisecond -N -i --warmup 1 --runs "${RUNS:-5}" --export-markdown "$work/result.md" \
  --command-name "egress, $N blocked ($PROTO) + 1 open, --no-locate" "$base --no-locate" \
  --command-name "egress, $N blocked ($PROTO) + 1 open, locating" "$base" >&2
{
  echo
  echo "## locate: egress with and without path location ($(date -u +%Y-%m-%d))"
  echo
  echo "\`PROTO=$PROTO Benchmarks/locate.sh $N\`: $N $PROTO targets dropped at the second of three routers plus port 443 open,"
  echo "--timeout $TIMEOUT (so locating may add at most $TIMEOUT s). $(nproc) vCPUs, Linux $(uname -r), load before: $load."
  echo "Binary: ${BIN/#$PWD\//}. Located after hop 2: $located of $N ($proven proven); unknown or not located: $unknown; another hop claimed: $wrong."
  echo "The routers keep Linux's default ICMP rate limit (6 in a burst, then 1/s per peer), so most of the $N flows' hops go unanswered and stay unknown."
  echo
  sed "s|$BIN|hostaudit|g; s|ip netns exec $p-c ||g; s|$targets|TARGETS|g" "$work/result.md"
} >> Benchmarks/RESULTS.md
tail -8 Benchmarks/RESULTS.md
