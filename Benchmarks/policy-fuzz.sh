#!/usr/bin/env bash
# A longer run of the policy-loader fuzz test (the CI run does 3,000 files).
# ITERATIONS (default 200000) mutated files per seed; SEEDS (default "1 2 3 4 5").
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --build-tests >/dev/null
for seed in ${SEEDS:-1 2 3 4 5}; do
  start=$(date +%s)
  HOSTAUDIT_FUZZ_SEED=$seed HOSTAUDIT_FUZZ_ITERATIONS=${ITERATIONS:-200000} \
    swift test -c release --skip-build --filter PolicyFuzzTests 2>&1 | grep -E "Test run|badly|iteration" | tail -3
  echo "seed $seed: ${ITERATIONS:-200000} files in $(( $(date +%s) - start )) s"
done
