#if canImport(Glibc)
import Glibc
#endif

/// Netlink port id → owning process name, the way nft 1.0.6 finds the
/// `progname` of an owner table (`src/owner.c`): the `NETLINK_NETFILTER`
/// socket with that port id in `/proc/net/netlink` gives its inode; the
/// process holding `socket:[inode]` is looked for first under the pid equal to
/// the port id, then in every process; its name is the `comm` of `/proc/<pid>/stat`.
public enum NetlinkOwners {
    /// Names for `portids` in the current network namespace; unresolved ones are absent.
    public static func names(for portids: Set<UInt32>, proc: String = "/proc") -> [UInt32: String] {
        guard !portids.isEmpty, let text = readFile(proc + "/net/netlink") else { return [:] }
        var inodes: [UInt32: UInt64] = [:]
        // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 10, Int(f[1]) == 12, let pid = UInt32(f[2]), portids.contains(pid),
                let inode = UInt64(f[9])
            else { continue }
            inodes[pid] = inode
        }
        var out: [UInt32: String] = [:]
        var pids: [Int]?
        for (portid, inode) in inodes {
            if let n = name(pid: Int(portid), holding: inode, proc: proc) {
                out[portid] = n
                continue
            }
            if pids == nil { pids = listPids(proc) }
            for pid in pids ?? [] where pid > 1 && pid != Int(portid) {
                if let n = name(pid: pid, holding: inode, proc: proc) {
                    out[portid] = n
                    break
                }
            }
        }
        return out
    }

    static func name(pid: Int, holding inode: UInt64, proc: String) -> String? {
        let dir = "\(proc)/\(pid)/fd"
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        let wanted = "socket:[\(inode)]"
        var buf = [CChar](repeating: 0, count: 128)
        while let e = readdir(d) {
            let fd = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard fd != ".", fd != ".." else { continue }
            let n = readlink(dir + "/" + fd, &buf, buf.count - 1)
            guard n > 0 else { continue }
            let target = buf.prefix(n).withUnsafeBufferPointer { String(decoding: UnsafeRawBufferPointer($0), as: UTF8.self) }
            if target == wanted { return comm(pid: pid, proc: proc) }
        }
        return nil
    }

    /// `fscanf("%*u (%m[^)]")`: the name up to the first `)`.
    static func comm(pid: Int, proc: String) -> String? {
        guard let stat = readFile("\(proc)/\(pid)/stat"), let open = stat.firstIndex(of: "(") else { return nil }
        let rest = stat[stat.index(after: open)...]
        let name = rest.prefix { $0 != ")" }
        return name.isEmpty ? nil : String(name)
    }

    static func listPids(_ proc: String) -> [Int] {
        guard let d = opendir(proc) else { return [] }
        defer { closedir(d) }
        var out: [Int] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let pid = Int(name) { out.append(pid) }
        }
        return out
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            data += buf.prefix(n)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
