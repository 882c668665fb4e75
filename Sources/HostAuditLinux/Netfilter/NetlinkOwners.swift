#if canImport(Glibc)
import Glibc
#endif

/// Netlink port id → owning process name, the way nft 1.0.6 finds the
/// `progname` of an owner table (`src/owner.c`): the `NETLINK_NETFILTER`
/// socket with that port id in `/proc/net/netlink` gives its inode; the
/// process holding `socket:[inode]` is looked for first under the pid equal to
/// the port id, then in every process; its name is the `comm` of `/proc/<pid>/stat`.
/// `/proc` is read through the one procfs reader (`ProcfsIO`: raw
/// `getdents64` listings, `openat` below a `/proc/PID` directory fd), not
/// libc's `readdir`, which an LD_PRELOAD rootkit can hook.
package enum NetlinkOwners {
    /// Names for `portids` in the current network namespace; unresolved ones are absent.
    package static func names(for portids: Set<UInt32>, proc: String = "/proc") -> [UInt32: String] {
        let procfs = Procfs(root: proc)
        let io = ProcfsIO()
        guard !portids.isEmpty, let text = try? procfs.readText("net/netlink", io, limit: 64 << 20) else { return [:] }
        var inodes: [UInt32: UInt64] = [:]
        // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 10, Int(f[1]) == 12, let pid = UInt32(f[2]), portids.contains(pid),
                let inode = UInt64(f[9])
            else { continue }
            inodes[pid] = inode
        }
        guard !inodes.isEmpty, let procfd = try? io.openDirectory(procfs.root) else { return [:] }
        defer { close(procfd) }
        var out: [UInt32: String] = [:]
        var pids: [Int32]?
        for (portid, inode) in inodes {
            if portid <= UInt32(Int32.max), let n = name(pid: Int32(portid), holding: inode, procfd: procfd, procfs, io) {
                out[portid] = n
                continue
            }
            if pids == nil { pids = (try? io.pids(of: procfd)) ?? [] }
            for pid in pids ?? [] where pid > 1 && Int64(pid) != Int64(portid) {
                if let n = name(pid: pid, holding: inode, procfd: procfd, procfs, io) {
                    out[portid] = n
                    break
                }
            }
        }
        return out
    }

    /// The comm of `pid` when one of its fds is `socket:[inode]`.
    static func name(pid: Int32, holding inode: UInt64, procfd: Int32, _ procfs: Procfs, _ io: ProcfsIO) -> String? {
        guard let dir = try? io.openProcess(pid, at: procfd) else { return nil }
        defer { close(dir) }
        guard let held = try? procfs.socketInodes(dirfd: dir, io: io).inodes, held.contains(inode) else { return nil }
        return (try? io.withContents("stat", at: dir, limit: 4096) { comm(stat: $0) }) ?? nil
    }

    /// `fscanf("%*u (%m[^)]")`: the name from the first `(` up to the first `)`.
    static func comm(stat: UnsafeBufferPointer<UInt8>) -> String? {
        guard let open = stat.firstIndex(of: UInt8(ascii: "(")) else { return nil }
        var end = open + 1
        while end < stat.endIndex && stat[end] != UInt8(ascii: ")") { end += 1 }
        guard end > open + 1 else { return nil }
        return String(decoding: stat[(open + 1)..<end], as: UTF8.self)
    }
}
