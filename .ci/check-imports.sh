#!/usr/bin/env bash
# Every C module a Swift file imports is a declared dependency of the file's
# target (test targets too). A module reached only through another target
# builds or not depending on build order, so a clean build (what CI does)
# can fail where an incremental one passed. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package dump-package | python3 -c '
import json, os, re, sys
pkg = json.load(sys.stdin)
targets = {t["name"]: t for t in pkg["targets"]}
def folder(t):
    if t.get("path"): return t["path"]
    return ("Tests/" if t["type"] == "test" else "Sources/") + t["name"]
def has_swift(t):
    return any(f.endswith(".swift") for _, _, fs in os.walk(folder(t)) for f in fs)
c_modules = {n for n, t in targets.items() if not has_swift(t)}
def deps(t):
    out = set()
    for d in t.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in d: out.add(d[kind][0])
    return out
bad = 0
for name, t in targets.items():
    if name in c_modules: continue
    declared = deps(t)
    for root, _, files in os.walk(folder(t)):
        for f in sorted(files):
            if not f.endswith(".swift"): continue
            path = os.path.join(root, f)
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                m = re.match(r"\s*(?:@_implementationOnly\s+|(?:public|package|internal|private|fileprivate)\s+)?import\s+(\w+)", line)
                if m and m.group(1) in c_modules and m.group(1) not in declared:
                    print(f"{path}:{n}: imports {m.group(1)}, which target {name} does not declare", file=sys.stderr)
                    bad += 1
sys.exit(1 if bad else 0)
'
echo "imports: every C module a file imports is declared by its target"
