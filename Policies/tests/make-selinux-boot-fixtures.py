#!/usr/bin/env python3
"""Writes the fixtures of baseline/selinux-not-disabled-at-boot.

The base is base/good-host.json with a `selinux.boot` section as the
collector writes it for a host whose kernel command line and GRUB defaults
carry no SELinux parameter; each fixture adds the one parameter its case is
about. Re-run: python3 Policies/tests/make-selinux-boot-fixtures.py
"""
import fixturelib

base = fixturelib.base()
grub_line = {"path": "/etc/default/grub", "line": 6, "setting": "GRUB_CMDLINE_LINUX",
             "parameters": {"selinux": None, "enforcing": None, "security": None, "lsm": None}}
base["selinux"]["boot"] = {
    "checked": True, "cmdline_available": True, "cmdline_unavailable_reason": None,
    "cmdline": {"selinux": None, "enforcing": None, "security": None, "lsm": None},
    "bootloader": [grub_line], "disabling": [], "errors": []}


def write(name, expect, description, change=None):
    facts = fixturelib.changed(base, change)
    fixturelib.write("baseline/selinux-not-disabled-at-boot", name, expect, description, facts)


def cmdline(d):
    b = d["selinux"]["boot"]
    b["cmdline"]["selinux"] = "0"
    b["disabling"] = [{"source": "kernel-cmdline", "path": "/proc/cmdline", "line": None,
                       "parameter": "selinux=0", "effect": "disabled"}]


def grub(d):
    b = d["selinux"]["boot"]
    b["bootloader"][0]["parameters"]["enforcing"] = "0"
    b["disabling"] = [{"source": "bootloader", "path": "/etc/default/grub", "line": 6,
                       "parameter": "enforcing=0", "effect": "permissive"}]


def no_config(d):
    d["selinux"]["config"]["present"] = False
    d["selinux"]["config"]["mode"] = None
    d["selinux"]["config"]["policy_type"] = None
    cmdline(d)


write("pass", "pass", "no SELinux parameter on the running command line or in GRUB's defaults")
write("fail", "fail", "the running kernel was booted with selinux=0", cmdline)
write("fail-bootloader", "fail", "GRUB_CMDLINE_LINUX carries enforcing=0: the next boot is permissive", grub)
write("skip-no-selinux-config", "skip", "no /etc/selinux/config: the host does not use SELinux", no_config)
