#!/usr/bin/env bash
# The process scan against `ps`, in the same hyperfine run:
#   hostaudit facts processes --format json --cpu-interval 0 --no-hidden-sweep
#     (getdents64 listing; per process stat, status, cmdline, exe, cwd, environ,
#     maps, fd links; JSON document) — no YARA, no CPU sample, no sweep;
#     as it runs (on large process tables the pids are read on up to 4
#     threads) and sequential (HOSTAUDIT_SCAN_WORKERS=1)
#   ps auxww
#   ps -eo pid,ppid,user,stat,etime,comm,args
# at 0 extra processes and at N extra sleeping processes (default 5000 and
# 10000; the sleepers are killed on exit, also on failure), then the YARA pass
# over the executables of the host plus YARA_EXES (default 200) processes
# with distinct executables from /usr/bin (`facts processes` with the shipped
# signatures against without). Prints the machine (nproc, CPU, load) and a
# markdown table; hyperfine --warmup 1 --runs 5 (override: RUNS=N). Each size
# is measured once the host has settled (see settle below); stderr says how
# busy other tasks kept the CPUs during each block.
# Needs root (environ/maps/fds of every process), hyperfine, python3 and
# patchelf (Debian: apt-get install hyperfine patchelf).
#   [BIN=.build-static/release/hostaudit] [RUNS=5] [PAIRS=20] [YARA_EXES=200] [SLEEPERS=private|shared]
#     Benchmarks/process-scan.sh [N...]
#
# SLEEPERS (see "The sleepers" below): private (default) runs /usr/bin/sleep
# from a copy that maps its own copies of libc, ld.so and the locale files;
# shared runs /usr/bin/sleep itself.
set -euo pipefail
cd "$(dirname "$0")/.."
# The binary as deployed (Scripts/build-release.sh): the Swift runtime
# linked statically, which also starts faster (no dynamic loading of the
# Swift libraries). BIN=path uses an already built binary (no build).
if [ -n "${BIN:-}" ]; then
  bin=$BIN
else
  swift build -c release --static-swift-stdlib --disable-local-rpath --product hostaudit --scratch-path .build-static >/dev/null
  bin=.build-static/release/hostaudit
fi
runs=${RUNS:-5}
counts=("$@"); [ ${#counts[@]} -eq 0 ] && counts=(5000 10000)
tmp=$(mktemp -d)
pids=()
sleeperdir=""
cleanup() {
  if [ ${#pids[@]} -gt 0 ]; then kill -9 "${pids[@]}" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$tmp"
  if [ -n "$sleeperdir" ]; then rm -rf "$sleeperdir"; fi
}
trap cleanup EXIT

# The sleepers. A page that all N sleepers map is mapped N times, and on a
# host that runs DAMON in physical-address mode (kdamond), every sample
# DAMON takes of such a page walks all N mappings. The pages of libc, ld.so
# and the locale files are also the ones every measured command (the scan,
# `ps`, hyperfine) keeps touching, so DAMON samples them often: with 10,000
# sleepers of /usr/bin/sleep, kdamond takes 0.3-0.55 CPU within minutes and
# keeps it (docs/processes.md, "Speed"). That load takes CPU from the
# parallel scan and not from the single-threaded `ps`, so it measures the
# host's memory monitor rather than either command. SLEEPERS=private (the
# default) runs each sleeper from a copy of sleep whose interpreter and
# libraries are copies too (patchelf), with its own locale files (LOCPATH):
# the same files mapped (one anonymous region fewer), the same fds, the
# same work for the scan and for `ps`, but pages that no measured command
# touches. The copy lives below /usr/lib (a system library directory, as
# the originals are, so the scan flags nothing it would not flag for
# /usr/bin/sleep) and is removed on exit.
# SLEEPERS=shared runs /usr/bin/sleep itself, to see the host's own load.
sleeper=(sleep)
if [ "${SLEEPERS:-private}" = private ]; then
  command -v patchelf >/dev/null || { echo "process-scan.sh: needs patchelf (or SLEEPERS=shared)" >&2; exit 1; }
  sleeperdir=$(mktemp -d /usr/lib/hostaudit-bench.XXXXXX)
  chmod 755 "$sleeperdir"
  cp /usr/bin/sleep "$sleeperdir/sleep"
  interp=$(patchelf --print-interpreter /usr/bin/sleep)
  cp "$interp" "$sleeperdir/"
  for lib in $(ldd /usr/bin/sleep | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do cp "$lib" "$sleeperdir/"; done
  patchelf --set-interpreter "$sleeperdir/$(basename "$interp")" --set-rpath "$sleeperdir" "$sleeperdir/sleep"
  if [ -d /usr/lib/locale ]; then cp -r /usr/lib/locale "$sleeperdir/locale"; fi
  sleeper=(env LOCPATH="$sleeperdir/locale" "$sleeperdir/sleep")
  if ! "${sleeper[@]}" 0; then echo "process-scan.sh: the private sleeper does not run" >&2; exit 1; fi
elif [ "${SLEEPERS}" != shared ]; then
  echo "process-scan.sh: SLEEPERS is private or shared" >&2; exit 1
fi

listed() { local n=0 e; for e in /proc/[0-9]*; do n=$((n + 1)); done; echo "$n"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
peak_rss() {  # peak RSS in MiB of one run
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024:.1f}")
PY
}
# After thousands of processes are started the host stays busy for a while:
# their exec, and on a host that runs DAMON in physical-address mode
# (kdamond), its sampling, which walks every mapping of a page that all of
# them share. Measured in that stretch, the parallel scan loses the CPU it
# would use and the single-threaded `ps` does not. So each size waits, up to
# SETTLE_MAX seconds (default 180), until everything else keeps less than
# 0.15 CPU busy over 3 s, and says how long that took.
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
settle() {
  local hz b0 b1 busy waited=0 max=${SETTLE_MAX:-180}
  hz=$(getconf CLK_TCK)
  while :; do
    b0=$(busy_ticks); sleep 3; b1=$(busy_ticks); waited=$((waited + 3))
    busy=$(( (b1 - b0) * 100 / (3 * hz) ))  # hundredths of a CPU
    if [ "$busy" -lt 15 ]; then echo "settled after ${waited} s (others busy: ${busy}/100 CPU)" >&2; return; fi
    if [ "$waited" -ge "$max" ]; then echo "not settled after ${waited} s (others busy: ${busy}/100 CPU); measuring anyway" >&2; return; fi
  done
}
# CPUs kept busy by other tasks during a hyperfine block: the host's busy
# time less the commands' own (hyperfine's mean user + system per run, for
# the runs and the warmup), over the block's wall time.
others_during() {  # others_during EXPORT.json BUSY_TICKS_BEFORE BUSY_TICKS_AFTER SECONDS RUNS_EACH
  python3 - "$@" "$(getconf CLK_TCK)" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
busy = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[6])
own = sum((r["user"] + r["system"]) * (int(sys.argv[5]) + 1) for r in data["results"])
print(f"{max(0.0, busy - own) / float(sys.argv[4]):.2f}")
PY
}
# One markdown row per command of a hyperfine JSON export.
rows() {  # rows EXPORT.json EXTRA LISTED
  python3 - "$@" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
for r in data["results"]:
    name = r["command"].replace(sys.argv[4], "hostaudit").replace(" --format json --cpu-interval 0 --no-hidden-sweep", " …")
    print(f"| {sys.argv[2]} | {sys.argv[3]} | `{name}` | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms "
          f"| {r['min']*1000:.0f}–{r['max']*1000:.0f} ms | {r['user']*1000:.0f} / {r['system']*1000:.0f} ms |")
PY
}

# hyperfine runs all of one command's runs, then the next command's; on a
# host whose speed drifts (a shared VM) that favours whichever ran in the
# faster minute. So each size is also measured interleaved: PAIRS (default
# 20) pairs of one scan and one `ps auxww`, the order swapped every pair.
interleaved() {  # interleaved EXTRA LISTED PAIRS CMD... -- CMD...
  python3 - "$@" <<'PY'
import os, resource, statistics, subprocess, sys, time
extra, listed, pairs = sys.argv[1], sys.argv[2], int(sys.argv[3])
rest = sys.argv[4:]
cut = rest.index("--")
a, b = rest[:cut], rest[cut + 1:]
hz = os.sysconf("SC_CLK_TCK")
def busy():  # CPU seconds the whole host has been busy (user nice system irq softirq steal)
    f = open("/proc/stat").readline().split()
    return sum(int(f[i]) for i in (1, 2, 3, 6, 7, 8)) / hz
def once(cmd, others):
    r0, b0 = resource.getrusage(resource.RUSAGE_CHILDREN), busy()
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    r1, b1 = resource.getrusage(resource.RUSAGE_CHILDREN), busy()
    own = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    others.append(max(0.0, (b1 - b0) - own) / wall)  # CPUs kept busy by everything else
    return wall
ta, tb, oa, ob = [], [], [], []
for i in range(pairs):
    if i % 2 == 0:
        ta.append(once(a, oa)); tb.append(once(b, ob))
    else:
        tb.append(once(b, ob)); ta.append(once(a, oa))
ma, mb = statistics.median(ta), statistics.median(tb)
wins = sum(1 for x, y in zip(ta, tb) if x <= y)
print(f"| {extra} | {listed} | {ma*1000:.0f} ms | {mb*1000:.0f} ms | {ma/mb:.2f}× | {wins} of {pairs} "
      f"| {statistics.median(oa):.2f} / {statistics.median(ob):.2f} |")
PY
}

scan=("$bin" facts processes --format json --cpu-interval 0 --no-hidden-sweep)
echo "sleepers: ${SLEEPERS:-private}${sleeperdir:+ (sleep, libc, ld.so and locale files copied to $sleeperdir)}"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(uname -r), pid_max $(cat /proc/sys/kernel/pid_max)"
echo "| extra sleepers | listed | command | wall (mean ± σ, $runs runs) | range | user / sys |"
echo "|---|---|---|---|---|---|"
have=0
for n in 0 "${counts[@]}"; do
  if [ $(($(listed) + n - have + 200)) -ge "$(cat /proc/sys/kernel/pid_max)" ]; then
    echo "skipping +$n: kernel.pid_max is too small (not changed by this script)" >&2; continue
  fi
  # disown: bash would report each killed sleeper ("Killed") on its stderr
  while [ "$have" -lt "$n" ]; do "${sleeper[@]}" 900 & pids+=($!); disown "$!"; have=$((have + 1)); done
  settle
  total=$(listed)
  echo "load before +$n: $(load)" >&2
  b0=$(busy_ticks); t0=$(date +%s.%N)
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$tmp/$n.json" \
    "${scan[*]}" "env HOSTAUDIT_SCAN_WORKERS=1 ${scan[*]}" "ps auxww" "ps -eo pid,ppid,user,stat,etime,comm,args" >/dev/null
  b1=$(busy_ticks); t1=$(date +%s.%N)
  echo "other tasks during the hyperfine block at +$n: $(others_during "$tmp/$n.json" "$b0" "$b1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$runs") CPUs" >&2
  rows "$tmp/$n.json" "$n" "$total" "$bin"
  interleaved "$n" "$total" "${PAIRS:-20}" "${scan[@]}" -- ps auxww >>"$tmp/interleaved.md"
  echo "load after +$n: $(load); hostaudit peak RSS $(peak_rss "${scan[@]}") MiB, JSON $("${scan[@]}" | wc -c) bytes" >&2
done
echo
echo "Interleaved, ${PAIRS:-20} pairs (scan and \`ps auxww\` alternating, order swapped each pair):"
echo "| extra sleepers | listed | scan (median) | \`ps auxww\` (median) | scan / ps | pairs the scan was faster | other tasks' CPUs busy during the scan / ps runs (median) |"
echo "|---|---|---|---|---|---|---|"
cat "$tmp/interleaved.md"
# Back to the host as it is for the YARA pass, plus YARA_EXES (default 200)
# processes with distinct executables: ELF files of /usr/bin, each stopped by
# ptrace at its first instruction (Benchmarks/exec-holders.py; no program
# code runs, and they are killed when the holder exits).
# The sleepers are disowned, so `wait` does not wait for them: until each
# is reaped (bash reaps its children as they exit) it is still listed.
if [ ${#pids[@]} -gt 0 ]; then
  kill -9 "${pids[@]}" 2>/dev/null || true
  for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
  pids=()
fi
yara_exes=${YARA_EXES:-200}
python3 Benchmarks/exec-holders.py "$yara_exes" >"$tmp/holders.txt" &
holder=$!
pids+=("$holder")
for _ in $(seq 100); do [ -s "$tmp/holders.txt" ] && break; sleep 0.2; done
sleep 1
echo
echo "YARA pass on this host ($(listed) processes; $(cat "$tmp/holders.txt")), same hyperfine run:"
echo "executables only (memory budget 0), and executables plus the memory of candidate processes (default budgets):"
echo "| extra sleepers | listed | command | wall (mean ± σ, $runs runs) | range | user / sys |"
echo "|---|---|---|---|---|---|"
echo "load before YARA: $(load)" >&2
hyperfine -N --warmup 1 --runs "$runs" --export-json "$tmp/yara.json" \
  "${scan[*]} --no-signatures" \
  "env HOSTAUDIT_SIG_TOTAL_BUDGET=0 ${scan[*]} --signatures Policies/signatures" \
  "${scan[*]} --signatures Policies/signatures" >/dev/null
rows "$tmp/yara.json" 0 "$(listed)" "$bin"
for budget in 0 $((1 << 30)); do  # executables only; the default total memory budget
  env HOSTAUDIT_SIG_TOTAL_BUDGET=$budget "${scan[@]}" --signatures Policies/signatures | python3 -c '
import json, sys
s = json.load(sys.stdin)["processes"]["signatures"]
n, f, k, m, b, t = len(s["rules"]), s["files_scanned"], s["files_skipped"], s["processes_memory_scanned"], s["memory_bytes"], s["duration_ms"]
print(f"signatures (memory budget '"$budget"'): {n} rules, {f} distinct executables scanned, {k} skipped, {m} processes memory-scanned ({b} bytes), {t:.0f} ms")' >&2
done
echo "load after YARA: $(load)" >&2
