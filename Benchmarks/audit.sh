#!/usr/bin/env bash
# `hostaudit audit --no-probes` with the shipped policies against
# `lynis audit system --quick` on the same machine, same run (hyperfine), plus
# peak memory (GNU time). Goal: under one second and at least 50x faster.
# Appends to RESULTS.md. BIN=path/to/hostaudit skips the release build.
# Needs root (both tools read root-only files); lynis from apt.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  swift build -c release --product hostaudit --scratch-path "${SCRATCH:-.build}" >/dev/null
  BIN=$(swift build -c release --scratch-path "${SCRATCH:-.build}" --show-bin-path)/hostaudit
fi
command -v lynis >/dev/null || { echo "lynis is not installed (apt-get install lynis)" >&2; exit 3; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profile=${PROFILE:-post-compromise}
ha="$BIN audit --no-probes --profile $profile --policy Policies --format json --output $work/report.json --fail-on critical"
ly="lynis audit system --quick --no-colors --logfile $work/lynis.log --report-file $work/lynis.dat"
$ha || true
load=$(cut -d" " -f1-3 /proc/loadavg)
hyperfine --time-unit millisecond --warmup 2 -N -i --runs "${RUNS:-10}" --export-markdown "$work/ha.md" --export-json "$work/ha.json" \
  --command-name "hostaudit audit --no-probes --profile $profile" "$ha" >&2
hyperfine --time-unit millisecond --warmup 0 -N -i --runs "${LYNIS_RUNS:-3}" --export-markdown "$work/ly.md" --export-json "$work/ly.json" \
  --command-name "lynis audit system --quick" "$ly" >&2
{ cat "$work/ha.md"; tail -n +3 "$work/ly.md"; } >"$work/result.md"
mem_ha=$(/usr/bin/time -f %M $ha 2>&1 >/dev/null | tail -1 || true)
mem_ly=$(/usr/bin/time -f %M $ly 2>&1 >/dev/null | tail -1 || true)
ratio=$(jq -rn --slurpfile a "$work/ha.json" --slurpfile b "$work/ly.json" '($b[0].results[0].mean / $a[0].results[0].mean) | . * 10 | floor / 10')
findings=$(jq -r '.summary | "\(.pass) pass, \(.fail) fail, \(.error) error, \(.skip) skip"' "$work/report.json")
{
  echo
  echo "## audit: hostaudit audit --no-probes vs lynis audit system --quick ($(date -u +%Y-%m-%d))"
  echo
  echo "Machine: $(nproc) vCPUs, Linux $(uname -r); $(ls /proc | grep -c '^[0-9]') processes. Binary: ${BIN/#$PWD\//}."
  echo "Policies: Policies/ (profile $profile; findings: $findings). Lynis $(lynis show version 2>/dev/null || echo '?')."
  echo "Load average before the run: ${load} (shared machine). hostaudit is ${ratio}x faster."
  echo "Peak memory (max RSS): hostaudit ${mem_ha} KiB, lynis ${mem_ly} KiB (the lynis shell itself; its child tools are not summed)."
  echo
  sed "s|$work|\$WORK|g; s|$BIN|hostaudit|g" "$work/result.md"
} >> Benchmarks/RESULTS.md
tail -10 Benchmarks/RESULTS.md
