#!/usr/bin/env python3
"""Writes the recorded fixtures of the `network` pack: Policies/tests/network/<rule>/*.json.

The base is base/good-host.json with the `kernel` section of
base/network-hardened.json: a real `hostaudit facts kernel` capture, taken
inside a network namespace whose kernel was set to the hardened values of
Tests/Fixtures/roots/sysctl-hardened (read with --sysctl-config-root), with
one veth interface `ha0`:

  ip netns add cap && ip netns exec cap sh -c '
    sysctl -qw $(grep -h "^net" Tests/Fixtures/roots/sysctl-hardened/etc/sysctl.d/*.conf | tr -d " ") &&
    ip link add ha0 type veth peer name ha1 && sysctl -qw net.ipv6.conf.ha0.accept_ra=0 net.ipv6.conf.ha1.accept_ra=0' &&
  ip netns exec cap .build/debug/hostaudit facts kernel --format json \
    --sysctl-config-root Tests/Fixtures/roots/sysctl-hardened > Policies/tests/base/network-hardened.json
  ip netns del cap

Each fixture changes that host in the one place its case is about.
Re-run after changing the base: python3 Policies/tests/make-network-fixtures.py
"""
import os

import fixturelib

base = fixturelib.base()
base["kernel"] = fixturelib.base("network-hardened.json")["kernel"]


def doc(*changes):
    return fixturelib.changed(base, *changes)


def write(rule, name, expect, description, facts, parameters=None):
    fixturelib.write(os.path.join("network", rule), name, expect, description, facts, parameters)


def setting(key, live=None, configured=None, path="/etc/sysctl.d/60-network-hardening.conf", line=30):
    """Sets a setting's live and/or configured value (a configured value gets its file:line)."""
    def change(d):
        s = next(s for s in d["kernel"]["sysctl"]["settings"] if s["key"] == key)
        if live is not None:
            s["live"] = live
        if configured is not None:
            s["configured"] = configured
            s["source"] = "explicit"
            s["configured_at"] = {"value": configured, "path": path, "line": line, "pattern": None}
        if s["live"] is not None and s["configured"] is not None:
            s["drift"] = s["live"] != s["configured"]
    return change


def effective(iface, family, name, value, own=None):
    def change(d):
        e = next(e for e in d["kernel"]["sysctl"]["effective"]
                 if e["interface"] == iface and e["family"] == family and e["name"] == name)
        e["effective"] = value
        if own is not None:
            e["own"] = own
    return change


def offline(d):
    d["root"] = "/mnt/image"
    d["live"] = False
    s = d["kernel"]["sysctl"]
    s["live_available"] = False
    s["live_unavailable_reason"] = "live kernel parameters are not read with --root (the image's kernel is not running); configured values only"
    s["effective"] = []
    s["drift"] = None
    for x in s["settings"]:
        x["live"] = None
        x["live_error"] = None
        x["drift"] = None


R = "network-ip-forwarding-disabled"
write(R, "pass", "pass", "forwarding off everywhere, configured off", doc())
write(R, "fail", "fail", "ip_forward switched on at runtime", doc(setting("net.ipv4.ip_forward", live="1")))
write(R, "fail-configured", "fail", "IPv6 forwarding on in the configuration (next boot)",
      doc(setting("net.ipv6.conf.all.forwarding", configured="1")))
write(R, "fail-interface", "fail", "forwarding on for one interface only (conf.ha0.forwarding)",
      doc(effective("ha0", "ipv4", "forwarding", "1", own="1")))
write(R, "skip-router", "skip", "declared a router", doc(setting("net.ipv4.ip_forward", live="1")), {"router": True})
write(R, "skip-offline", "skip", "--root: kernel values unknown", doc(offline))

R = "network-send-redirects-disabled"
write(R, "pass", "pass", "redirects never sent", doc())
write(R, "fail", "fail", "default still sends redirects", doc(setting("net.ipv4.conf.default.send_redirects", live="1")))
write(R, "fail-interface", "fail", "all = 0 but ha0 = 1: the kernel ORs them",
      doc(effective("ha0", "ipv4", "send_redirects", "1", own="1")))
write(R, "skip-offline", "skip", "--root", doc(offline))

R = "network-icmp-bogus-errors-ignored"
write(R, "pass", "pass", "ignored", doc())
write(R, "fail", "fail", "configured to log bogus errors",
      doc(setting("net.ipv4.icmp_ignore_bogus_error_responses", configured="0")))
write(R, "skip-offline", "skip", "--root", doc(offline))

R = "network-icmp-broadcast-echo-ignored"
write(R, "pass", "pass", "ignored", doc())
write(R, "fail", "fail", "answers broadcast pings", doc(setting("net.ipv4.icmp_echo_ignore_broadcasts", live="0")))
write(R, "skip-offline", "skip", "--root", doc(offline))

R = "network-accept-redirects-disabled"
write(R, "pass", "pass", "no redirects accepted", doc())
write(R, "fail", "fail", "IPv6 default accepts redirects", doc(setting("net.ipv6.conf.default.accept_redirects", live="1")))
write(R, "fail-interface", "fail", "all = 0 but ha0 = 1 with forwarding off: accepted (OR)",
      doc(effective("ha0", "ipv4", "accept_redirects", "1", own="1")))
write(R, "pass-loopback", "pass", "loopback's own value is not a finding",
      doc(effective("lo", "ipv6", "accept_redirects", "1", own="1")))
write(R, "skip-offline", "skip", "--root", doc(offline))

R = "network-secure-redirects-disabled"
write(R, "pass", "pass", "off", doc())
write(R, "fail", "fail", "secure redirects accepted", doc(setting("net.ipv4.conf.all.secure_redirects", live="1")))
write(R, "skip-offline", "skip", "--root", doc(offline))

R = "network-rp-filter-enabled"
write(R, "pass", "pass", "strict everywhere", doc())
write(R, "fail", "fail", "all = 0 at runtime", doc(setting("net.ipv4.conf.all.rp_filter", live="0")))
write(R, "fail-loose", "fail", "loose mode (2) where strict is asked", doc(effective("ha0", "ipv4", "rp_filter", "2", own="2")))
write(R, "pass-loose-allowed", "pass", "loose mode allowed by parameter",
      doc(effective("ha0", "ipv4", "rp_filter", "2", own="2")), {"rp-filter-values": ["1", "2"]})
write(R, "skip-offline", "skip", "--root", doc(offline))

R = "network-source-route-disabled"
write(R, "pass", "pass", "no source routing", doc())
write(R, "fail", "fail", "IPv6 all accepts source routes", doc(setting("net.ipv6.conf.all.accept_source_route", live="1")))
write(R, "fail-configured", "fail", "configured to accept at the next boot",
      doc(setting("net.ipv4.conf.default.accept_source_route", configured="1")))
write(R, "skip-offline", "skip", "--root", doc(offline))

R = "network-log-martians"
write(R, "pass", "pass", "martians logged", doc())
write(R, "fail", "fail", "not logged", doc(setting("net.ipv4.conf.all.log_martians", live="0")))
write(R, "skip-offline", "skip", "--root", doc(offline))

R = "network-tcp-syncookies"
write(R, "pass", "pass", "on", doc())
write(R, "pass-always", "pass", "2: cookies always sent", doc(setting("net.ipv4.tcp_syncookies", live="2", configured="2")))
write(R, "fail", "fail", "off", doc(setting("net.ipv4.tcp_syncookies", live="0")))
write(R, "skip-offline", "skip", "--root", doc(offline))

R = "network-ipv6-router-advertisements-ignored"
write(R, "pass", "pass", "RAs ignored", doc())
write(R, "fail", "fail", "default accepts RAs", doc(setting("net.ipv6.conf.default.accept_ra", live="1")))
write(R, "fail-interface", "fail", "all = 0 does not reach ha0, which still accepts RAs",
      doc(effective("ha0", "ipv6", "accept_ra", "1", own="1")))
write(R, "skip-slaac", "skip", "SLAAC host", doc(setting("net.ipv6.conf.default.accept_ra", live="1")),
      {"accept-router-advertisements": True})
write(R, "skip-offline", "skip", "--root", doc(offline))


def drifted(d):
    setting("net.ipv4.conf.all.rp_filter", live="0", configured="1", line=14)(d)
    d["kernel"]["sysctl"]["drift"] = [{
        "key": "net.ipv4.conf.all.rp_filter", "configured": "1", "live": "0",
        "path": "/etc/sysctl.d/60-network-hardening.conf", "line": 14,
        "message": "net.ipv4.conf.all.rp_filter is 0 in the running kernel but /etc/sysctl.d/60-network-hardening.conf:14 sets 1"}]


R = "network-sysctl-no-drift"
write(R, "pass", "pass", "live values as configured", doc())
write(R, "fail", "fail", "rp_filter switched off by hand", doc(drifted))
write(R, "skip-offline", "skip", "--root: drift unknown", doc(offline))


# --- baseline rules added with the benchmark mapping (their fixtures live with
# the other baseline fixtures; written here so make-fixtures.py stays as it is).
def write_baseline(rule, name, expect, description, facts):
    fixturelib.write(os.path.join("baseline", rule), name, expect, description, facts)


good = fixturelib.base()


def host(*changes):
    return fixturelib.changed(good, *changes)


def forward_drop(d):
    d["firewall"]["summary"]["forward_default_deny"] = True
    d["firewall"]["hooks"]["forward"] = [
        {"family": "inet", "table": "filter", "chain": "forward", "type": "filter", "priority": 0, "policy": "drop",
         "rules": 0, "devices": [], "ends_with_catch_all_deny": False}]


def forward_accept(d):
    d["firewall"]["hooks"]["forward"] = [
        {"family": "inet", "table": "filter", "chain": "forward", "type": "filter", "priority": 0, "policy": "accept",
         "rules": 0, "devices": [], "ends_with_catch_all_deny": False}]


def firewall_unavailable(d):
    d["firewall"]["available"] = False


def no_policy_type(d):
    d["selinux"]["config"]["policy_type"] = None


def no_selinux_config(d):
    d["selinux"]["config"].update({"present": False, "mode": None, "policy_type": None})


R = "firewall-forward-default-deny"
write_baseline(R, "pass", "pass", "forward chain with policy drop", host(forward_drop))
write_baseline(R, "fail", "fail", "no forward chain: forwarded packets pass", host())
write_baseline(R, "fail-accept", "fail", "forward chain with policy accept", host(forward_accept))
write_baseline(R, "skip-unavailable", "skip", "--root: no netfilter state", host(firewall_unavailable))
R = "selinux-policy-type-configured"
write_baseline(R, "pass", "pass", "SELINUXTYPE=targeted", host())
write_baseline(R, "fail", "fail", "config without SELINUXTYPE", host(no_policy_type))
write_baseline(R, "skip-no-config", "skip", "no /etc/selinux/config", host(no_selinux_config))
