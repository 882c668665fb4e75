#!/usr/bin/env bash
# The hidden-pid sweep (kill(pid,0) over every pid below pid_max, compared with
# the getdents64 listing) against `unhide proc` (apt package `unhide`) at the
# current kernel.pid_max, which is never changed (it is global). The sweep is
# also run with --sweep-pid-max 32768 and 4194304 (unhide reads pid_max itself,
# so it can only run at the current value). Needs root, unhide, hyperfine, python3.
#   Benchmarks/hidden-sweep.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product hostaudit >/dev/null
bin=$(swift build -c release --show-bin-path)/hostaudit
command -v unhide >/dev/null || { echo "install unhide (apt-get install unhide)" >&2; exit 3; }
pidmax=$(cat /proc/sys/kernel/pid_max)
echo "kernel.pid_max=$pidmax  $(uname -r)  $(nproc) CPUs"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Whole commands: unhide proc vs hostaudit facts processes (full scan + sweep, no CPU sample).
hyperfine --warmup 1 --runs 5 --export-json "$out/cmd.json" \
  "unhide proc >/dev/null" \
  "$bin facts processes --format json --cpu-interval 0 >/dev/null"
# The sweep alone, as measured inside hostaudit (hidden_sweep.duration_ms), median of 7.
for max in current 32768 4194304; do
  arg=(); [ "$max" != current ] && arg=(--sweep-pid-max "$max")
  for i in 1 2 3 4 5 6 7; do
    "$bin" facts processes --format json --cpu-interval 0 "${arg[@]}" |
      python3 -c 'import json,sys; s=json.load(sys.stdin)["processes"]["hidden_sweep"]; print(s["duration_ms"], s["pid_max"], s["alive"], len(s["hidden"]))'
  done | sort -n | sed -n 4p | awk -v m="$max" '{printf "sweep pid_max=%s (%s): median %.1f ms, %s alive, %s hidden\n", m, $2, $1, $3, $4}'
done
python3 - "$out/cmd.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
u, h = r[0]["median"], r[1]["median"]
print(f"unhide proc: median {u*1000:.0f} ms; hostaudit facts processes (scan + sweep): median {h*1000:.1f} ms; ratio {u/h:.0f}x")
PY
