#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSocket
import HostAuditCore
import SystemPackage

/// Lists TCP and UDP sockets with `NETLINK_SOCK_DIAG` (`SOCK_DIAG_BY_FAMILY`
/// dumps of `inet_diag_req_v2`), as `ss` does, without parsing
/// `/proc/net/tcp` (which a rootkit's `fopen` hook can filter).
///
/// The wire layouts are the kernel's UAPI (`linux/inet_diag.h`), fixed ABI:
/// `inet_diag_req_v2` is 56 bytes, `inet_diag_msg` 72.
struct SockDiag {
    struct Entry: Equatable {
        var protocolNumber: UInt8
        var family: UInt8
        var state: UInt8
        var localAddress: String
        var localPort: Int
        var remoteAddress: String
        var remotePort: Int
        var interface: UInt32
        var rqueue: UInt32
        var wqueue: UInt32
        var uid: UInt32
        var inode: UInt32
    }

    static let netlinkSockDiag: Int32 = 4  // NETLINK_SOCK_DIAG
    static let sockDiagByFamily: UInt16 = 20  // SOCK_DIAG_BY_FAMILY
    static let nlmFRequest: UInt16 = 0x1
    static let nlmFDump: UInt16 = 0x300
    static let nlmFDumpIntr: UInt16 = 0x10
    static let nlmsgError: UInt16 = 2
    static let nlmsgDone: UInt16 = 3

    /// Dumps every (family, protocol) pair; retries a dump the kernel marks interrupted.
    func dumpAll() throws(ProbeError) -> [Entry] {
        let fd = try syscall("socket(NETLINK_SOCK_DIAG)") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Self.netlinkSockDiag)
        }
        defer { close(fd) }
        var out: [Entry] = []
        var seq: UInt32 = 1
        for proto in [UInt8(IPPROTO_TCP), UInt8(IPPROTO_UDP)] {
            for family in [UInt8(AF_INET), UInt8(AF_INET6)] {
                var attempt = 0
                while true {
                    seq += 1
                    let r = try dump(fd: fd, family: family, protocolNumber: proto, seq: seq)
                    if !r.interrupted || attempt >= 3 {
                        out += r.entries
                        break
                    }
                    attempt += 1
                }
            }
        }
        return out
    }

    private func dump(fd: Int32, family: UInt8, protocolNumber: UInt8, seq: UInt32) throws(ProbeError)
        -> (entries: [Entry], interrupted: Bool)
    {
        var req = [UInt8](repeating: 0, count: 16 + 56)
        func put32(_ v: UInt32, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for i in 0..<4 { req[at + i] = $0[i] } } }
        func put16(_ v: UInt16, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for i in 0..<2 { req[at + i] = $0[i] } } }
        put32(UInt32(req.count), 0)
        put16(Self.sockDiagByFamily, 4)
        put16(Self.nlmFRequest | Self.nlmFDump, 6)
        put32(seq, 8)
        req[16] = family
        req[17] = protocolNumber
        put32(UInt32.max, 20)  // idiag_states: all
        let sent = req.withUnsafeBytes { r in valueOrErrno { send(fd, r.baseAddress, r.count, 0) } }
        if case .failure(let err) = sent { throw ProbeError.syscall(name: "send(SOCK_DIAG_BY_FAMILY)", path: nil, errno: err) }

        var entries: [Entry] = []
        var interrupted = false
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { buf.deallocate() }
        while true {
            let n = try syscall("recv(NETLINK_SOCK_DIAG)") { recv(fd, buf.baseAddress, buf.count, 0) }
            if n == 0 { return (entries, interrupted) }
            var off = 0
            while off + 16 <= n {
                let len = Int(buf.loadUnaligned(fromByteOffset: off, as: UInt32.self))
                let type = buf.loadUnaligned(fromByteOffset: off + 4, as: UInt16.self)
                let flags = buf.loadUnaligned(fromByteOffset: off + 6, as: UInt16.self)
                let mseq = buf.loadUnaligned(fromByteOffset: off + 8, as: UInt32.self)
                guard len >= 16, off + len <= n else { break }
                if mseq == seq {
                    if flags & Self.nlmFDumpIntr != 0 { interrupted = true }
                    switch type {
                    case Self.nlmsgDone:
                        return (entries, interrupted)
                    case Self.nlmsgError:
                        let code = buf.loadUnaligned(fromByteOffset: off + 16, as: Int32.self)
                        if code == 0 { return (entries, interrupted) }
                        // A kernel without UDP (or IPv6) diag support answers ENOENT: nothing to list.
                        let err = Errno(rawValue: -code)
                        if err == .noSuchFileOrDirectory || err == .addressFamilyNotSupported { return (entries, interrupted) }
                        throw ProbeError.syscall(name: "SOCK_DIAG_BY_FAMILY", path: nil, errno: err)
                    case Self.sockDiagByFamily where len >= 16 + 72:
                        entries.append(
                            Self.parse(UnsafeRawBufferPointer(rebasing: buf[(off + 16)..<(off + len)]), protocolNumber))
                    default:
                        break
                    }
                }
                off += (len + 3) & ~3
            }
        }
    }

    /// Parses one `inet_diag_msg`.
    static func parse(_ m: UnsafeRawBufferPointer, _ proto: UInt8) -> Entry {
        let family = m[0]
        func be16(_ at: Int) -> Int { Int(m[at]) << 8 | Int(m[at + 1]) }
        func u32(_ at: Int) -> UInt32 { m.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
        // Printed as `ss` and the old inet_ntop call print it: IPv4-mapped
        // and IPv4-compatible IPv6 addresses keep the dotted quad
        // (docs/addresses.md, "Text forms").
        func address(_ at: Int) -> String {
            let raw = Array(m[at..<(at + (family == UInt8(AF_INET6) ? 16 : 4))])
            return IPAddress(bytes: raw)?.inetNtopText ?? "?"
        }
        return Entry(
            protocolNumber: proto, family: family, state: m[1], localAddress: address(8), localPort: be16(4),
            remoteAddress: address(24), remotePort: be16(6), interface: u32(40), rqueue: u32(56), wqueue: u32(60),
            uid: u32(64), inode: u32(68))
    }
}

/// Collects the `sockets` section: sock_diag entries plus their owning
/// processes. Sockets are live-kernel facts: unavailable with `--root`.
public struct SocketCollector: Sendable {
    public let scope: CollectionScope
    public let procfs: Procfs

    public init(scope: CollectionScope = .live, procfs: Procfs = Procfs()) {
        self.scope = scope
        self.procfs = procfs
    }

    public func collect() -> SocketsFacts {
        guard scope.isLive else {
            return .unavailable("sockets are live-kernel facts; not read with --root")
        }
        let entries: [SockDiag.Entry]
        do { entries = try SockDiag().dumpAll() } catch { return .unavailable("\(error)") }
        let io = ProcfsIO()
        var errors: [String] = []
        var owners: [UInt64: [SocketFact.Owner]] = [:]
        do { owners = try socketOwners(io) } catch { errors.append("socket owners: \(error)") }
        let netns = (try? io.readLink(procfs.root + "/self/ns/net", at: AT_FDCWD)).map {
            String(decoding: $0, as: UTF8.self)
        }
        let list = entries.map { e in
            SocketFact(
                protocolName: e.protocolNumber == UInt8(IPPROTO_TCP) ? "tcp" : "udp",
                family: e.family == UInt8(AF_INET6) ? "ipv6" : "ipv4", state: SocketFact.stateName(e.state),
                localAddress: e.localAddress, localPort: e.localPort, remoteAddress: e.remoteAddress,
                remotePort: e.remotePort, interface: Int(e.interface), uid: e.uid, inode: UInt64(e.inode),
                receiveQueue: e.rqueue, sendQueue: e.wqueue, processes: owners[UInt64(e.inode)] ?? [])
        }
        return SocketsFacts(
            available: true, netns: netns, privileged: geteuid() == 0, list: list, errors: errors)
    }

    /// inode → processes holding it, from every `/proc/PID/fd`.
    func socketOwners(_ io: ProcfsIO) throws(ProbeError) -> [UInt64: [SocketFact.Owner]] {
        let procfd: Int32
        do throws(SysErr) { procfd = try io.openDirectory(procfs.root) } catch {
            throw ProbeError.from(error.call, path: procfs.root, errno: error.errno)
        }
        defer { close(procfd) }
        let pids = try procfs.listPids(io)
        var out: [UInt64: [SocketFact.Owner]] = [:]
        for pid in pids.sorted() {
            guard let dir = try? io.openDirectory(String(pid), at: procfd) else { continue }
            defer { close(dir) }
            guard let inodes = try? procfs.socketInodes(dirfd: dir, io: io).inodes, !inodes.isEmpty else { continue }
            var comm = ""
            var commB64: String?
            if let s = try? io.read("stat", at: dir, limit: 4096), let st = Procfs.parseStat(s.bytes) {
                (comm, commB64) = HostBytes.text(st.commBytes)
            }
            for i in inodes { out[i, default: []].append(SocketFact.Owner(pid: pid, comm: comm, commB64: commB64)) }
        }
        return out
    }
}
