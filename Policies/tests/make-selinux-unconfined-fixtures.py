#!/usr/bin/env python3
"""Writes the fixtures of baseline/selinux-no-unconfined-daemons.

The base is base/good-host.json (SELinux enabled and enforcing) with the
`selinux.unconfined_daemons` list as the collector writes it on a live host;
each fixture sets the one thing its case is about.
Re-run: python3 Policies/tests/make-selinux-unconfined-fixtures.py
"""
import fixturelib

base = fixturelib.base()
base["selinux"]["unconfined_daemons"] = []


def write(name, expect, description, change=None):
    facts = fixturelib.changed(base, change)
    fixturelib.write("baseline/selinux-no-unconfined-daemons", name, expect, description, facts)


def unconfined(d):
    d["selinux"]["unconfined_daemons"] = [
        {"pid": 812, "ppid": 1, "comm": "node_exporter", "context": "system_u:system_r:unconfined_service_t:s0"}]


def disabled(d):
    d["selinux"]["kernel"]["enabled"] = False
    d["selinux"]["unconfined_daemons"] = None


def root(d):
    # --root: no live processes, the list is not read.
    d["selinux"]["unconfined_daemons"] = None


write("pass", "pass", "every daemon runs in a confined domain")
write("fail", "fail", "node_exporter, started by systemd from /usr/local/bin, runs as unconfined_service_t", unconfined)
write("skip-disabled", "skip", "SELinux disabled: nothing is confined and the list is not read", disabled)
write("skip-not-live", "skip", "--root: the live processes are not read", root)
