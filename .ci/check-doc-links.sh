#!/usr/bin/env bash
# Every .md file that a comment or a doc of this repository names exists in
# the repository, so someone who clones it can follow every reference. A name
# is looked up relative to the naming file's folder, the repository root and
# docs/. A name that leaves the repository (../shared/...) fails even when the
# file happens to exist beside this checkout. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
status=0
while IFS= read -r file; do
    dir=$(dirname "$file")
    while IFS=: read -r line name; do
        found=0
        for base in "$dir" . docs; do
            full=$(realpath -m "$base/$name")
            if [[ $full == "$root"/* && -f $full ]]; then found=1; break; fi
        done
        if [[ $found -eq 0 ]]; then
            echo "$file:$line: names $name, which is not in the repository" >&2
            status=1
        fi
    done < <(grep -noP '(?<![\w$./{}:-])[\w./-]*[\w-]\.md\b' "$file" || true)
done < <(git ls-files --cached --others --exclude-standard -- Sources Tests Policies Scripts Benchmarks docs README.md Package.swift .ci \
    | grep -E '\.(swift|c|h|modulemap|sh|ya?ml|md|py)$' | grep -v '^Tests/Fixtures/')
if [[ $status -eq 0 ]]; then echo "doc links: every .md file named in the repository exists"; fi
exit $status
