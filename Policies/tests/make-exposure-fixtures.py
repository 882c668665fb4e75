#!/usr/bin/env python3
"""Writes the recorded fixtures of the baseline pack's exposure rules:
Policies/tests/baseline/exposure-*/*.json.

The base is base/good-host.json with the `exposure` section of
base/exposure-lab.json: a real `hostaudit facts exposure` capture, taken in
the server namespace of Tests/HostAuditLinuxTests/Verdict/ExposureLabTests
(veth ha0 192.168.77.1/24; python listeners on 0.0.0.0:6379,
127.0.0.1:5432, 0.0.0.0:22, 0.0.0.0:9200, 0.0.0.0:8443; the `inet lab`
ruleset restricting 22 to 10.0.0.0/8 and 8443 to the set @allowed; an
iptables-legacy DROP for 9200):

  exposed 6379 (policy accept), loopback-only 5432, restricted 22,
  blocked 9200, restricted 8443.

Each fixture changes that capture in the one place its case is about.
Re-run after changing the base: python3 Policies/tests/make-exposure-fixtures.py
"""
import os

import fixturelib

base = fixturelib.base()
base["exposure"] = fixturelib.base("exposure-lab.json")["exposure"]

# The traffic checks (`exposure.traffic`) for the same lab: the `inet lab`
# input chain accepts by default and names neither lo nor loopback sources,
# so loopback, outbound and replies are accepted by the chain policies and a
# spoofed 127.0.0.1 on ha0 is accepted too. Written by hand in the shape
# `hostaudit facts exposure` prints (ExposureLabTests checks that shape on the
# real kernel).
POLICY_IN = {"family": "inet", "table": "lab", "chain": "input", "handle": None, "rule": "policy accept", "legacy": False}


def case(family, interface, flow, verdict, decided_by=POLICY_IN):
    return {"family": family, "interface": interface, "flow": flow, "verdict": verdict,
            "decided_by": decided_by if verdict != "unknown" else None}


def check(expected, cases):
    ok = (lambda v: v == "accept") if expected == "accept" else (lambda v: v in ("drop", "reject"))
    if any(c["verdict"] != "unknown" and not ok(c["verdict"]) for c in cases):
        met = False
    elif not cases or any(c["verdict"] == "unknown" for c in cases):
        met = None
    else:
        met = True
    return {"expected": expected, "met": met, "cases": cases}


def traffic(loopback="accept", spoof="accept", outbound="accept", replies="accept"):
    return {
        "loopback_accepted": check("accept", [case("ipv4", "lo", "tcp 127.0.0.1 -> 127.0.0.1:50000", loopback)]),
        "loopback_spoof_dropped": check("drop", [case("ipv4", "ha0", "tcp 127.0.0.1 -> 192.168.77.1:50000", spoof)]),
        "outbound_accepted": check("accept", [case("ipv4", "ha0", "tcp 192.168.77.1:46383 -> 203.0.113.10:443", outbound, None)]),
        "replies_accepted": check("accept", [case("ipv4", "ha0", "tcp 192.168.77.1:46383 -> 203.0.113.10:443", replies)]),
    }


base["exposure"]["traffic"] = traffic()


def doc(*changes):
    return fixturelib.changed(base, *changes)


def write(rule, name, expect, description, facts, parameters=None):
    fixturelib.write(os.path.join("baseline", rule), name, expect, description, facts, parameters)


def entry(d, port):
    return next(e for e in d["exposure"]["list"] if e["protocol"] == "tcp" and e["local_port"] == port)


def loopback(port):
    """The service bound to 127.0.0.1 instead."""
    def change(d):
        e = entry(d, port)
        e.update({"local_address": "127.0.0.1", "exposure": "loopback-only",
                  "reason": "bound to the loopback address 127.0.0.1", "outside_address": None,
                  "decided_by": None, "accepted_on": [], "sources": [], "sources_complete": True,
                  "covered_by_rule": False, "notes": []})
    return change


def exposed_by_rule(port):
    """Accepted from anywhere by an explicit rule."""
    def change(d):
        e = entry(d, port)
        e.update({"exposure": "exposed", "accepted_on": ["ha0"], "sources": [], "covered_by_rule": True,
                  "reason": "a new tcp connection from 203.0.113.10 (IPv4, standing for any outside address) is accepted on ha0",
                  "decided_by": {"family": "inet", "table": "lab", "chain": "input", "handle": 9,
                                 "rule": "tcp dport %d accept" % port, "legacy": False}})
    return change


def with_traffic(**verdicts):
    def change(d):
        d["exposure"]["traffic"] = traffic(**verdicts)
    return change


def unavailable(d):
    d["exposure"] = {"available": False,
                     "unavailable_reason": "exposure needs the live sockets and ruleset; not read with --root",
                     "netns": None, "outside_ipv4": None, "outside_ipv6": None, "interfaces": [],
                     "count": 0, "list": [], "traffic": None, "errors": []}


r = "exposure-no-sensitive-port-exposed"
write(r, "fail", "fail", "Redis on 0.0.0.0:6379 accepted from anywhere (input policy accept)", doc())
write(r, "pass", "pass", "Redis bound to 127.0.0.1; PostgreSQL loopback-only, Elasticsearch blocked", doc(loopback(6379)))
write(r, "pass-not-listed", "pass", "6379 taken off the sensitive-ports parameter", doc(),
      parameters={"sensitive-ports": [5432, 9200]})
write(r, "skip-unavailable", "skip", "--root: no live sockets or ruleset", doc(unavailable))

r = "exposure-listening-covered-by-rule"
write(r, "fail", "fail", "6379 reachable only through the input chain's policy accept", doc())
write(r, "pass", "pass", "6379 on loopback; every other socket decided by a rule", doc(loopback(6379)))
write(r, "pass-explicit-accept", "pass", "6379 accepted from anywhere by an explicit rule", doc(exposed_by_rule(6379)))
write(r, "skip-unavailable", "skip", "--root: no live sockets or ruleset", doc(unavailable))

r = "exposure-ssh-reported"
write(r, "pass", "pass", "SSH restricted to 10.0.0.0/8", doc())
write(r, "fail", "fail", "SSH on 0.0.0.0:22 accepted from anywhere", doc(exposed_by_rule(22)))
write(r, "skip-unavailable", "skip", "--root: no live sockets or ruleset", doc(unavailable))

r = "firewall-loopback-accepted"
write(r, "pass", "pass", "a new connection on lo is accepted", doc())
write(r, "fail", "fail", "the input chain drops it: no iif lo accept before the deny", doc(with_traffic(loopback="drop")))
write(r, "error-unknown", "error", "the evaluator cannot decide (branches disagree)", doc(with_traffic(loopback="unknown")))
write(r, "skip-unavailable", "skip", "--root: no live ruleset", doc(unavailable))

r = "firewall-loopback-spoof-dropped"
write(r, "fail", "fail", "127.0.0.1 arriving on ha0 is accepted by the input policy", doc())
write(r, "pass", "pass", "a rule drops loopback sources on other interfaces", doc(with_traffic(spoof="drop")))
write(r, "pass-reject", "pass", "rejected counts as dropped", doc(with_traffic(spoof="reject")))
write(r, "skip-unavailable", "skip", "--root: no live ruleset", doc(unavailable))

r = "firewall-outbound-and-replies-accepted"
write(r, "pass", "pass", "outbound new connections and their replies are accepted", doc())
write(r, "fail", "fail", "input policy drop with no ct state established accept: the SYN-ACK is dropped",
      doc(with_traffic(replies="drop")))
write(r, "fail-outbound", "fail", "the output chain rejects new outbound connections", doc(with_traffic(outbound="reject")))
write(r, "skip-unavailable", "skip", "--root: no live ruleset", doc(unavailable))
