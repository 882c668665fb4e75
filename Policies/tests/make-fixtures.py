#!/usr/bin/env python3
"""Writes the recorded fixtures of the shipped packs: Policies/tests/<pack>/<rule>/*.json.

Each fixture is a complete facts document (base/good-host.json: a real
`hostaudit facts` capture — the firewall section read from a network namespace
loaded with base/good-host.nft, SELinux and resolver from fixture roots, the
SELinux kernel state as libselinux reports an enforcing kernel) changed in the
one place the case is about, plus recorded egress outcomes where the rule
needs them. Re-run after changing the base: python3 Policies/tests/make-fixtures.py
"""
import copy, json, os

here = os.path.dirname(os.path.abspath(__file__))
base = json.load(open(os.path.join(here, "base", "good-host.json")))


def doc(change=None):
    d = copy.deepcopy(base)
    if change:
        change(d)
    return d


def write(pack, rule, name, expect, description, facts, parameters=None, egress=None):
    folder = os.path.join(here, pack, rule)
    os.makedirs(folder, exist_ok=True)
    out = {"expect": expect, "description": description}
    if parameters:
        out["parameters"] = parameters
    if egress is not None:
        out["egress"] = egress
    out["facts"] = facts
    with open(os.path.join(folder, name + ".json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


# --- selinux
def permissive(d):
    d["selinux"]["kernel"]["runtime_mode"] = "permissive"
    d["selinux"]["drift"] = [{
        "kind": "runtime-mode-differs-from-config",
        "message": "SELinux is permissive at runtime but configured enforcing: nothing is denied, only logged.",
        "configured": "enforcing", "runtime": "permissive"}]


def no_selinux(d):
    k = d["selinux"]["kernel"]
    for key in list(k):
        k[key] = None
    k.update({"enabled": False, "runtime_mode": "disabled", "errors": [], "sys_fs_selinux_present": False,
              "libselinux_enabled": False})
    d["selinux"]["config"].update({"present": False, "mode": None, "policy_type": None})
    d["selinux"]["drift"] = None


def config_enabled_kernel_disabled(d):
    no_selinux(d)
    d["selinux"]["config"].update({"present": True, "mode": "enforcing", "policy_type": "targeted"})
    d["selinux"]["drift"] = [{
        "kind": "config-enabled-kernel-disabled",
        "message": "The configuration asks for SELinux enforcing, but SELinux is disabled in the running kernel.",
        "configured": "enforcing", "runtime": "disabled"}]


def offline(d):
    d["root"] = "/mnt/image"
    d["live"] = False
    k = d["selinux"]["kernel"]
    for key in list(k):
        k[key] = None
    k["errors"] = []
    d["selinux"]["runtime_available"] = False
    d["selinux"]["runtime_unavailable_reason"] = "the kernel is not read when auditing a root directory (--root)"
    d["selinux"]["drift"] = None


write("baseline", "selinux-enforcing", "pass", "pass", "enforcing kernel", doc())
write("baseline", "selinux-enforcing", "fail", "fail", "permissive after setenforce 0", doc(permissive))
write("baseline", "selinux-enforcing", "skip-no-selinux", "skip", "kernel without SELinux", doc(no_selinux))
write("baseline", "selinux-enforcing", "skip-offline", "skip", "--root: kernel state unknown", doc(offline))
write("baseline", "selinux-no-drift", "pass", "pass", "enforcing, configured enforcing", doc())
write("baseline", "selinux-no-drift", "skip-no-config", "skip", "no SELinux config: drift unknown", doc(no_selinux))


def disabled_everywhere(d):
    no_selinux(d)
    d["selinux"]["config"].update({"present": True, "mode": "disabled", "policy_type": "targeted"})
    d["selinux"]["drift"] = []


write("baseline", "selinux-no-drift", "pass-disabled", "pass", "disabled in config and kernel", doc(disabled_everywhere))
write("baseline", "selinux-no-drift", "fail", "fail", "permissive at runtime, enforcing configured", doc(permissive))
write("baseline", "selinux-no-drift", "fail-kernel-disabled", "fail", "configured enforcing, kernel without SELinux",
      doc(config_enabled_kernel_disabled))


# --- firewall
def empty_ruleset(d):
    fw = d["firewall"]
    fw["backends"].update({"nftables": False})
    fw["summary"].update({"tables": 0, "chains": 0, "base_chains": 0, "rules": 0, "sets": 0,
                          "input_default_deny": False, "output_default_deny": False, "output_wide_open": True})
    fw["tables"], fw["rules"], fw["sets"], fw["missing_set_references"] = [], [], [], []
    for h in fw["hooks"]:
        fw["hooks"][h] = []


def input_accept(d):
    d["firewall"]["summary"]["input_default_deny"] = False
    for c in d["firewall"]["hooks"]["input"]:
        c["policy"] = "accept"


def legacy_too(d):
    d["firewall"]["backends"].update({
        "iptables_legacy": True, "legacy_tables": ["ip filter"], "conflict": True,
        "note": "legacy x_tables and nf_tables rules are both loaded: each filters packets independently, "
                "and nft does not show the legacy rules"})


def missing_set(d):
    fw = d["firewall"]
    rule = next(r for r in fw["rules"] if r["sets_referenced"])
    fw["sets"] = []
    fw["summary"]["sets"] = 0
    fw["missing_set_references"] = [{"family": rule["family"], "table": rule["table"], "chain": rule["chain"],
                                     "handle": rule["handle"], "set": rule["sets_referenced"][0]}]


def output_open(d):
    fw = d["firewall"]
    fw["summary"]["output_wide_open"] = True
    fw["rules"] = [r for r in fw["rules"] if not (r["chain"] == "output" and r["verdict"] in ("drop", "reject"))]


def unavailable(d):
    d["firewall"] = {"available": False,
                     "error": "netfilter is kernel state: not read when auditing a root directory (--root)",
                     "generation": None, "backends": None, "summary": None, "tables": [],
                     "hooks": {h: [] for h in d["firewall"]["hooks"]}, "rules": [], "sets": [],
                     "missing_set_references": []}


write("baseline", "firewall-input-default-deny", "pass", "pass", "input policy drop", doc())
write("baseline", "firewall-input-default-deny", "fail", "fail", "input policy accept", doc(input_accept))
write("baseline", "firewall-input-default-deny", "fail-empty", "fail", "no ruleset at all", doc(empty_ruleset))
write("baseline", "firewall-input-default-deny", "skip-unavailable", "skip", "--root: no netfilter state", doc(unavailable))
write("baseline", "firewall-single-backend", "pass", "pass", "nftables only", doc())
write("baseline", "firewall-single-backend", "fail", "fail", "legacy x_tables loaded as well", doc(legacy_too))
write("baseline", "firewall-no-missing-set", "pass", "pass", "every referenced set exists", doc())
write("baseline", "firewall-no-missing-set", "fail", "fail", "rule names a deleted set", doc(missing_set))
write("baseline", "firewall-output-not-wide-open", "pass", "pass", "output rejects SMTP", doc())
write("baseline", "firewall-output-not-wide-open", "fail", "fail", "nothing filtered on output", doc(output_open))
write("baseline", "firewall-output-not-wide-open", "skip-parameter", "skip", "egress control not required here",
      doc(output_open), parameters={"require-egress-control": False})


# --- resolver
def ns(addresses, used=3):
    return [{"line": i + 1, "address": a, "family": "ipv6" if ":" in a else "ipv4", "scope": None, "used": i < used}
            for i, a in enumerate(addresses)]


def nameservers(addresses):
    def change(d):
        rc = d["resolver"]["resolv_conf"]
        rc["nameservers"] = ns(addresses)
        rc["ignored_nameservers"] = addresses[3:]
        d["resolver"]["effective_nameservers"] = [
            {"address": n["address"], "family": n["family"], "scope": None, "path": "/etc/resolv.conf", "line": n["line"]}
            for n in rc["nameservers"] if n["used"]]
    return change


def no_nameservers(d):
    nameservers([])(d)
    d["resolver"]["effective_nameservers"] = [
        {"address": "127.0.0.1", "family": "ipv4", "scope": None, "path": None, "line": None}]
    d["resolver"]["effective_nameservers_source"] = "glibc-default"
    d["resolver"]["effective_nameservers_note"] = "resolv.conf has no usable nameserver line: glibc falls back to 127.0.0.1"


def immutable(d):
    d["resolver"]["resolv_conf"]["immutable"] = True


def attributes_unknown(d):
    d["resolver"]["resolv_conf"]["immutable"] = None
    d["resolver"]["resolv_conf"]["append_only"] = None
    d["resolver"]["resolv_conf"]["attributes_error"] = "ioctl(FS_IOC_GETFLAGS): Operation not supported"


write("baseline", "resolver-nameserver-configured", "pass", "pass", "two name servers", doc())
write("baseline", "resolver-nameserver-configured", "fail", "fail", "resolv.conf without nameserver lines",
      doc(no_nameservers))
write("baseline", "resolver-at-most-three-nameservers", "pass", "pass", "two name servers", doc())
write("baseline", "resolver-at-most-three-nameservers", "fail", "fail", "five: the last two are never asked",
      doc(nameservers(["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"])))
write("baseline", "resolver-no-public-resolver", "pass", "pass", "private host, private servers", doc(),
      parameters={"private-resolvers": True})
write("baseline", "resolver-no-public-resolver", "fail", "fail", "private host, Google DNS configured",
      doc(nameservers(["10.0.0.2", "8.8.8.8"])), parameters={"private-resolvers": True})
write("baseline", "resolver-no-public-resolver", "skip-default", "skip", "host not declared private",
      doc(nameservers(["8.8.8.8"])))
write("baseline", "resolv-conf-not-immutable", "pass", "pass", "no attributes", doc())
write("baseline", "resolv-conf-not-immutable", "fail", "fail", "chattr +i", doc(immutable))
write("baseline", "resolv-conf-not-immutable", "error-unknown", "error", "attributes unreadable: unknown, not a guess",
      doc(attributes_unknown))

# --- egress
mirror_open = {"target": "http://deb.debian.org/debian", "host": "deb.debian.org", "address": "199.232.170.132",
               "port": 80, "protocol": "tcp", "state": "open", "reason": "syn-ack", "elapsed_ms": 12,
               "syn_retransmits": 0, "icmp_reachable": None, "local_verdict": None, "cause": "none",
               "explanation": "the port answered", "related_findings": []}
mirror_filtered = dict(mirror_open, state="filtered", reason="no-response", elapsed_ms=3001, syn_retransmits=2,
                       icmp_reachable=True,
                       local_verdict={"verdict": "accept", "hook": "output", "table": "inet filter", "chain": "output",
                                      "handle": None, "rule": None, "traced": False},
                       cause="upstream-filter",
                       explanation="The local ruleset accepts this flow and the host answers ping, but the SYN got no "
                                   "answer: something upstream (a provider or cloud security group) drops TCP 80.")
write("egress", "package-sources-reachable", "pass", "pass", "the mirror answers", doc(),
      egress={"probes": [{"target": "package-sources", "outcomes": [mirror_open]}]})
write("egress", "package-sources-reachable", "fail", "fail", "filtered upstream; explained", doc(),
      egress={"probes": [{"target": "package-sources", "outcomes": [mirror_filtered]}]})
write("egress", "package-sources-reachable", "pass-one-address-open", "pass",
      "first address filtered, the next open (apt falls back)", doc(),
      egress={"probes": [{"target": "package-sources", "outcomes": [mirror_filtered, dict(mirror_open, address="151.101.2.132")]}]})
write("egress", "package-sources-reachable", "error-no-sources", "error", "no package sources found", doc(),
      egress={"probes": [{"target": "package-sources", "outcomes": []}]})


def verdicts(v4, v6, rule="tcp dport 25 counter reject"):
    def one(dst, verdict):
        decided = {"table": "inet filter", "chain": "output", "handle": 5, "rule": rule} if verdict != "accept" else None
        return {"flow": {"dst": dst, "dport": 25, "proto": "tcp"}, "verdict": verdict, "decided_by": decided,
                "path": [], "traced": False, "notes": []}
    return {"verdicts": [one("192.0.2.25", v4), one("2001:db8::25", v6)]}


write("egress", "outbound-smtp-blocked", "pass", "pass", "rejected on output", doc(), egress=verdicts("reject", "reject"))
write("egress", "outbound-smtp-blocked", "fail", "fail", "IPv6 SMTP leaves (rule only for IPv4)", doc(),
      egress=verdicts("reject", "accept"))
write("egress", "outbound-smtp-blocked", "skip-mail-server", "skip", "a mail server may send SMTP", doc(),
      parameters={"allow-outbound-smtp": True}, egress=verdicts("accept", "accept"))
