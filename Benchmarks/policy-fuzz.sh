#!/usr/bin/env bash
# A longer run of the policy-loader fuzz test (the CI run does 3,000 files).
# ITERATIONS (default 100000) mutated files per seed; SEEDS (default "1 2 3 4 5").
# Debug build: the point is correctness (no crash, every message located), and
# the test target uses @testable imports that a release build does not allow.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests 2>&1 | grep -E "error:" && exit 1
for seed in ${SEEDS:-1 2 3 4 5}; do
  start=$(date +%s)
  out=$(HOSTAUDIT_FUZZ_SEED=$seed HOSTAUDIT_FUZZ_ITERATIONS=${ITERATIONS:-100000} \
    swift test --skip-build --filter PolicyFuzzTests 2>&1 || true)
  echo "$out" | grep -E "Test run|badly|iteration" | tail -3
  echo "seed $seed: ${ITERATIONS:-100000} mutated files in $(( $(date +%s) - start )) s"
done
