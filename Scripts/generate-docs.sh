#!/usr/bin/env bash
# Generates the man pages and shell completions from the argument parser into
# OUT (default: ./out/share): man/man1/hostaudit*.1,
# bash-completion/completions/hostaudit, zsh/site-functions/_hostaudit,
# fish/vendor_completions.d/hostaudit.fish.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/share}
swift package generate-manual --multi-page >/dev/null
mkdir -p "$out/man/man1" "$out/bash-completion/completions" "$out/zsh/site-functions" "$out/fish/vendor_completions.d"
cp .build/plugins/GenerateManual/outputs/hostaudit/*.1 "$out/man/man1/"
bin=$(swift build -c release --show-bin-path)/hostaudit
"$bin" --generate-completion-script bash >"$out/bash-completion/completions/hostaudit"
"$bin" --generate-completion-script zsh >"$out/zsh/site-functions/_hostaudit"
"$bin" --generate-completion-script fish >"$out/fish/vendor_completions.d/hostaudit.fish"
echo "generated man pages and completions in $out"
