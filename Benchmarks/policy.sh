#!/usr/bin/env bash
# Evaluates the shipped packs plus 500 generated rules over a synthetic facts
# document (5,000 processes, 10,000 firewall rules) with `hostaudit policy
# check` (release build), under hyperfine. Goal: < 200 ms. Appends to RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product hostaudit >/dev/null
bin=$(swift build -c release --show-bin-path)/hostaudit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 Benchmarks/policy-gen.py "$work"
"$bin" policy lint Policies "$work/generated.yaml"
size=$(du -k "$work/facts.json" | cut -f1)
cmd="$bin policy check Policies $work/generated.yaml --facts $work/facts.json --format json --fail-on critical"
$cmd >/dev/null || true
load=$(cut -d" " -f1-3 /proc/loadavg)
hyperfine --warmup 3 --runs "${RUNS:-20}" -N --export-markdown "$work/result.md" --export-json "$work/result.json" "$cmd"
cpu=$(jq -r '.results[0] | "user \(.user*1000|floor) ms, system \(.system*1000|floor) ms"' "$work/result.json")
{
  echo
  echo "## policy check: shipped packs + 500 generated rules ($(date -u +%Y-%m-%d))"
  echo
  echo "Machine: $(nproc) vCPUs, Linux $(uname -r). Facts: 5,000 processes, 10,000 firewall rules (${size} KiB JSON)."
  echo "Rules: 12 shipped + 500 generated (quantifiers over the 10,000 rules, regexes, scalar matchers). Goal: < 200 ms."
  echo "CPU per run (mean): ${cpu}. Load average before the run: ${load} (shared machine)."
  echo
  sed "s|$work|\$WORK|g; s|$bin|hostaudit|g" "$work/result.md"
} >> Benchmarks/RESULTS.md
tail -8 Benchmarks/RESULTS.md
