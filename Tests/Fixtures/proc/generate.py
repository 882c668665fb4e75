#!/usr/bin/env python3
"""Regenerates the procfs fixture trees (run from this folder).

Each scenario is a fake /proc mount for Procfs(root:): per-pid stat, status,
cmdline, environ, maps, exe/cwd symlinks and fd/N -> socket:[INODE] links.
Byte-exact hostile data (escapes, newlines, invalid UTF-8) is why this is a
script rather than hand-written files.
"""
import os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))

def stat_line(pid, comm: bytes, state, ppid, flags, utime, stime, threads, start):
    # fields 1..22 (+ padding up to 52 as the kernel prints)
    f = [str(pid).encode(), b"(" + comm + b")", state.encode(), str(ppid).encode(), str(pid).encode(),
         str(pid).encode(), b"0", b"-1", str(flags).encode(), b"0", b"0", b"0", b"0",
         str(utime).encode(), str(stime).encode(), b"0", b"0", b"20", b"0", str(threads).encode(), b"0",
         str(start).encode()] + [b"0"] * 30
    return b" ".join(f) + b"\n"

def status(name, pid, ppid, uid, gid, threads):
    return (f"Name:\t{name}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\n"
            f"PPid:\t{ppid}\nTracerPid:\t0\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{gid}\t{gid}\t{gid}\t{gid}\n"
            f"Threads:\t{threads}\n").encode()

def proc(root, pid, comm, ppid=1, flags=0x400100, state="S", utime=0, stime=0, threads=1, start=1000,
         uid=0, gid=0, cmdline=b"", environ=b"", maps=b"", exe=None, cwd=None, sockets=("/dev/null",), name=None):
    d = os.path.join(root, str(pid))
    os.makedirs(os.path.join(d, "fd"))
    open(os.path.join(d, "stat"), "wb").write(stat_line(pid, comm, state, ppid, flags, utime, stime, threads, start))
    open(os.path.join(d, "status"), "wb").write(status(name or comm.decode("utf-8", "replace"), pid, ppid, uid, gid, threads))
    open(os.path.join(d, "cmdline"), "wb").write(cmdline)
    open(os.path.join(d, "environ"), "wb").write(environ)
    open(os.path.join(d, "maps"), "wb").write(maps)
    if exe is not None: os.symlink(exe, os.path.join(d, "exe"))
    if cwd is not None: os.symlink(cwd, os.path.join(d, "cwd"))
    for n, s in enumerate(sockets):
        os.symlink(s, os.path.join(d, "fd", str(n)))

def base(root):
    os.makedirs(os.path.join(root, "sys", "kernel"))
    open(os.path.join(root, "stat"), "w").write(
        "cpu  100 0 50 1000 10 0 5 0 0 0\ncpu0 50 0 25 500 5 0 2 0 0 0\ncpu1 50 0 25 500 5 0 3 0 0 0\n"
        "intr 0\nctxt 0\nbtime 1700000000\nprocesses 100\n")
    open(os.path.join(root, "sys", "kernel", "pid_max"), "w").write("32768\n")
    open(os.path.join(root, "sys", "kernel", "tainted"), "w").write("0\n")

def miner():
    root = os.path.join(HERE, "miner")
    shutil.rmtree(root, ignore_errors=True)
    base(root)
    proc(root, 1, b"systemd", ppid=0, cmdline=b"/sbin/init\0splash\0", exe="/usr/lib/systemd/systemd", cwd="/",
         maps=b"55d0c0000000-55d0c0010000 r-xp 00000000 fd:01 123 /usr/lib/systemd/systemd\n"
              b"7f0000000000-7f0000100000 r-xp 00000000 fd:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6\n")
    # real kernel threads
    proc(root, 2, b"kthreadd", ppid=0, flags=0x208040)
    proc(root, 50, b"kworker/0:1-events", ppid=2, flags=0x4208060, state="I")
    # renamed miner: bracketed argv0, deleted exe in a dot dir below /tmp, preload, injected lib, rwx anon
    proc(root, 4242, b"kdevtmpfsi", ppid=1, utime=90000, stime=100, threads=4, start=5000, uid=33, gid=33,
         cmdline=b"[kworker/0:2]\0--donate-level\x001\0-o\0stratum+tcp://pool.example:3333\0-u\0WALLET\0",
         environ=b"PATH=/usr/bin\0LD_PRELOAD=/etc/libsystem.so\0SKL=1\0SECRET_TOKEN=hunter2\0",
         maps=b"00400000-00500000 r-xp 00000000 fd:01 777 /tmp/.x/kdevtmpfsi (deleted)\n"
              b"7f0000000000-7f0000100000 r-xp 00000000 fd:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
              b"7f0000200000-7f0000210000 r-xp 00000000 fd:01 999 /etc/libsystem.so\n"
              b"7f0000300000-7f0000310000 rwxp 00000000 00:00 0 \n"
              b"7f0000400000-7f0000410000 r-xp 00000000 00:01 1234 /memfd:payload (deleted)\n"
              b"7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0                          [vdso]\n",
         exe="/tmp/.x/kdevtmpfsi (deleted)", cwd="/tmp/.x", sockets=["socket:[31337]", "pipe:[1]", "/dev/null", "socket:[31338]"])
    # fileless
    proc(root, 4300, b"3", ppid=4242, exe="/memfd:  (deleted)", cwd="/", cmdline=b"x\0")
    # a process whose parent is not listed
    proc(root, 4400, b"orphanish", ppid=31000, exe="/usr/bin/sleep", cwd="/", cmdline=b"sleep\x0060\0")

def hostile():
    root = os.path.join(HERE, "hostile")
    shutil.rmtree(root, ignore_errors=True)
    base(root)
    # comm with ") " (confuses naive stat parsers), ESC, newline and invalid UTF-8
    proc(root, 7, b"a) R 1 (\x1b[2J\n\xff", ppid=1, name="x",
         cmdline=b"\x1b[2J\nfake\0arg with space\0\xff\xfe\0",
         exe="/usr/bin/\x1b]0;pwned\x07", cwd="/")
    # setproctitle-style command line without a trailing NUL
    proc(root, 8, b"postgres", ppid=1, cmdline=b"postgres: writer process   ", exe="/usr/lib/postgresql/bin/postgres", cwd="/")
    # 200 KiB command line
    big = b"\0".join([b"python3"] + [b"A" * 10000 + str(i).encode() for i in range(20)]) + b"\0"
    proc(root, 9, b"python3", ppid=1, cmdline=big, exe="/usr/bin/python3.11", cwd="/")
    # unparseable stat: skipped as vanished
    d = os.path.join(root, "10"); os.makedirs(d); open(os.path.join(d, "stat"), "wb").write(b"garbage")

def kernel():
    root = os.path.join(HERE, "kernel-rootkit")
    shutil.rmtree(root, ignore_errors=True)
    base(root)
    open(os.path.join(root, "sys", "kernel", "tainted"), "w").write("12289\n")
    open(os.path.join(root, "modules"), "w").write(
        "msr 16384 0 - Live 0xffffffffc0a00000\n"
        "nf_tables 372736 1 nft_chain_nat, Live 0xffffffffc0b00000\n"
        "vboxdrv 696320 2 vboxnetadp,vboxnetflt, Live 0xffffffffc0c00000 (OE)\n")
    sysm = os.path.join(HERE, "..", "sys", "kernel-rootkit", "module")
    shutil.rmtree(os.path.dirname(sysm), ignore_errors=True)
    for name, files in {
        "msr": {"initstate": "live\n"},
        "nf_tables": {"initstate": "live\n"},
        "vboxdrv": {"initstate": "live\n", "taint": "OE\n"},
        "diamorphine": {"initstate": "live\n", "taint": "OE\n", "sections/.text": "0xffffffffc0d00000\n",
                        "sections/.data": "0xffffffffc0d01000\n"},
        "kernel": {"parameters/x": "1\n"},   # built-in: no initstate
        "printk": {"parameters/time": "Y\n"},
    }.items():
        for rel, content in files.items():
            p = os.path.join(sysm, name, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "w").write(content)

if __name__ == "__main__":
    miner(); hostile(); kernel()
