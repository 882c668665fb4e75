#!/usr/bin/env bash
# A full `hostaudit facts processes` scan (getdents64 listing, per-pid stat,
# status, cmdline, exe, cwd, environ, maps, fds; hidden-pid sweep; no CPU
# sample) with N extra sleeping processes (default 5000 and 10000): wall time
# (hyperfine) and peak RSS (/usr/bin/time or getrusage via python3).
# Needs root (environ/maps/fds of every process), hyperfine, python3.
#   Benchmarks/process-scan.sh [N...]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product hostaudit >/dev/null
bin=$(swift build -c release --show-bin-path)/hostaudit
counts=("$@"); [ ${#counts[@]} -eq 0 ] && counts=(5000 10000)
pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
peak_rss() {  # peak RSS in MiB of one run
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024:.1f}")
PY
}
base=$(ls /proc | grep -c '^[0-9]')
echo "baseline: $base processes; $(uname -r); $(nproc) CPUs"
hyperfine --warmup 1 --runs 5 "$bin facts processes --format json --cpu-interval 0 >/dev/null" | grep -E 'Time|Range'
echo "peak RSS: $(peak_rss "$bin" facts processes --format json --cpu-interval 0) MiB"
have=0
for n in "${counts[@]}"; do
  while [ "$have" -lt "$n" ]; do sleep 600 & pids+=($!); have=$((have + 1)); done
  sleep 1
  total=$(ls /proc | grep -c '^[0-9]')
  echo "--- +$n extra processes ($total listed)"
  hyperfine --warmup 1 --runs 5 "$bin facts processes --format json --cpu-interval 0 >/dev/null" | grep -E 'Time|Range'
  echo "peak RSS: $(peak_rss "$bin" facts processes --format json --cpu-interval 0) MiB"
  echo "JSON size: $("$bin" facts processes --format json --cpu-interval 0 | wc -c) bytes"
done
