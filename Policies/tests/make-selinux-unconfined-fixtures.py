#!/usr/bin/env python3
"""Writes the fixtures of baseline/selinux-no-unconfined-daemons.

The base is base/good-host.json (SELinux enabled and enforcing) with the
`selinux.unconfined_daemons` list as the collector writes it on a live host;
each fixture sets the one thing its case is about.
Re-run: python3 Policies/tests/make-selinux-unconfined-fixtures.py
"""
import copy, json, os

here = os.path.dirname(os.path.abspath(__file__))
base = json.load(open(os.path.join(here, "base", "good-host.json")))
base["selinux"]["unconfined_daemons"] = []


def write(name, expect, description, change=None):
    d = copy.deepcopy(base)
    if change:
        change(d)
    folder = os.path.join(here, "baseline", "selinux-no-unconfined-daemons")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name + ".json"), "w") as f:
        json.dump({"expect": expect, "description": description, "facts": d}, f, indent=2)
        f.write("\n")


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
