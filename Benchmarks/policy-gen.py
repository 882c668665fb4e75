#!/usr/bin/env python3
"""Synthetic inputs for Benchmarks/policy.sh: a facts document with 5,000
processes and 10,000 firewall rules (base: Policies/tests/base/good-host.json),
and a policy of 500 generated rules over it. Usage: policy-gen.py OUTDIR"""
import copy, json, os, random, sys

out = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
base = json.load(open(os.path.join(root, "Policies/tests/base/good-host.json")))
rng = random.Random(42)
doc = copy.deepcopy(base)

fw = doc["firewall"]
template = fw["rules"][0]
rules = []
for i in range(10_000):
    r = copy.deepcopy(template)
    r.update({"chain": rng.choice(["input", "output", "forward"]), "handle": 100 + i, "index": i,
              "comment": rng.choice([None, f"rule {i}", f"allow svc-{i % 97}", "block smtp"]),
              "verdict": rng.choice(["accept", "drop", "reject", "jump", None]),
              "catch_all": False, "has_counter": True, "packets": rng.randrange(0, 10**6),
              "bytes": rng.randrange(0, 10**9), "sets_referenced": [], "xt": []})
    rules.append(r)
fw["rules"] = rules
fw["summary"]["rules"] = len(rules)

# Processes are not a fact category yet (issue 7); the section is here as the
# document size the benchmark asks for (the loader only reads what rules name).
doc["processes"] = [{"pid": 1000 + i, "ppid": 1, "uid": rng.choice([0, 33, 1000]),
                     "comm": rng.choice(["nginx", "sshd", "bash", "python3", "kworker/0:1", "xmrig"]),
                     "cmdline": ["/usr/sbin/nginx", "-g", f"daemon off; worker {i}"],
                     "exe": "/usr/sbin/nginx", "exe_deleted": False, "cwd": "/", "state": "S", "threads": 1,
                     "kernel_thread": False, "cpu_ms": rng.randrange(0, 10**7)} for i in range(5_000)]
json.dump(doc, open(os.path.join(out, "facts.json"), "w"))

lines = ["name: generated", "version: 1", "lists:", "  bad-ports: [25, 465, 587, 3333, 4444, 5555, 7777, 14444]",
         "  public-resolvers: [8.8.8.8, 1.1.1.1, 9.9.9.9]", "rules:"]
kinds = ["none-eq", "all-in", "count-gt", "any-match", "scalar", "none-starts", "count-where-lt", "any-regex-comment",
         "resolver", "not-all"]
for i in range(500):
    k = kinds[i % len(kinds)]
    head = f"  - id: gen-{i}\n    title: Generated {i} ({k})\n    severity: {rng.choice(['info','low','medium','high'])}\n    check:\n"
    if k == "none-eq":
        body = f"      none: {{path: firewall.rules, where: {{path: handle, equals: {rng.randrange(0, 20000)}}}}}"
    elif k == "all-in":
        body = "      all: {path: firewall.rules, where: {path: verdict, in: [accept, drop, reject, jump]}}"
    elif k == "count-gt":
        body = f"      count: {{path: firewall.rules, where: {{path: packets, greater-than: {rng.randrange(0, 10**6)}}}, less-than: 9000}}"
    elif k == "any-match":
        body = f"      any: {{path: firewall.rules, where: {{path: chain, equals: {rng.choice(['input','output','forward'])}}}}}"
    elif k == "scalar":
        body = "      all: [{path: firewall.summary.input_default_deny, equals: true}, {path: selinux.kernel.runtime_mode, equals: enforcing}]"
    elif k == "none-starts":
        body = f"      none: {{path: firewall.rules, where: {{path: comment, starts-with: 'deny svc-{i}'}}}}"
    elif k == "count-where-lt":
        body = "      count: {path: firewall.rules, where: {all: [{path: verdict, equals: drop}, {path: chain, equals: output}]}, greater-than: 0}"
    elif k == "any-regex-comment":
        body = f"      none: {{path: firewall.rules, where: {{path: comment, matches: '^allow svc-{i % 97}$'}}}}"
    elif k == "resolver":
        body = "      none: {path: resolver.effective_nameservers, where: {path: address, in: {list: public-resolvers}}}"
    else:
        body = "      not: {all: {path: firewall.hooks.*, where: {path: policy, equals: accept}}}"
    lines.append(head + body)
open(os.path.join(out, "generated.yaml"), "w").write("\n".join(lines) + "\n")
