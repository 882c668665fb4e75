#if canImport(Glibc)
import Glibc
#endif
// socket types (SOCK_*, sa_family_t) are imported through the C module that includes <sys/socket.h>.
import CSocket
import HostAuditCore
import SystemPackage

/// Sends ICMP / ICMPv6 echo requests to each address and waits for a reply.
///
/// Uses an unprivileged ping socket (`SOCK_DGRAM`, `IPPROTO_ICMP`) when
/// `net.ipv4.ping_group_range` admits this process's group (a new namespace's
/// default `1 0` refuses even root), else a raw socket (CAP_NET_RAW). When
/// neither is allowed the result is "not tested" (`reachable: null`), never
/// "failed". Up to three requests are sent, spread over the time-out.
struct ICMPEchoProber: Sendable {
    var timeout: Double

    init(timeout: Double) { self.timeout = timeout }

    private struct Pinger {
        var address: String
        var fd: Int32
        var raw: Bool
        var family: Int32
        var ident: UInt16
        var sent = 0
        var firstSentMs = 0.0
        var lastSentMs = 0.0
        var result: ICMPEchoResult? = nil
    }

    func ping(_ addresses: [String]) -> [String: ICMPEchoResult] {
        var out: [String: ICMPEchoResult] = [:]
        var pingers: [Pinger] = []
        let local = LocalAddresses.current()
        let baseIdent = UInt16(truncatingIfNeeded: getpid() &* 7919)
        for (n, addr) in Set(addresses).sorted().enumerated() {
            guard let sa = SocketAddress(addr, port: 0) else {
                out[addr] = .notTested("not an IP address")
                continue
            }
            switch open(sa) {
            case .failure(let why):
                out[addr] = .notTested(why.why)
            case .success(let (fd, raw)):
                if case .failure(let err) = sa.connect(fd) {
                    close(fd)
                    out[addr] = ICMPEchoResult(reachable: false, method: raw ? "raw" : "datagram", detail: sendFailure(err))
                    continue
                }
                pingers.append(Pinger(address: sa.text, fd: fd, raw: raw, family: sa.family, ident: baseIdent &+ UInt16(n)))
            }
        }
        defer { for p in pingers { close(p.fd) } }

        let timeoutMs = timeout * 1000
        let interval = max(200, min(1000, timeoutMs / 3))
        let start = Clock.nowMs()
        while pingers.contains(where: { $0.result == nil }) {
            let now = Clock.nowMs()
            if now - start >= timeoutMs { break }
            for i in pingers.indices where pingers[i].result == nil && pingers[i].sent < 3
                && (pingers[i].sent == 0 || now - pingers[i].lastSentMs >= interval)
            {
                send(&pingers[i], seq: UInt16(pingers[i].sent + 1), now: now)
            }
            let waiting = pingers.indices.filter { pingers[$0].result == nil }
            guard let nextSend = waiting.map({ pingers[$0].sent < 3 ? pingers[$0].lastSentMs + interval : start + timeoutMs }).min()
            else { break }
            var fds = waiting.map { pollfd(fd: pingers[$0].fd, events: Int16(POLLIN), revents: 0) }
            let wait = Int32(max(1, min(start + timeoutMs, nextSend) - Clock.nowMs()).rounded(.up))
            // Interrupted (or failed): nothing ready; the loop recomputes the wait and its time-out ends it.
            guard case .success(let n) = SocketIO.poll(&fds, timeoutMs: wait), n > 0 else { continue }
            for (k, i) in waiting.enumerated() where fds[k].revents != 0 {
                receive(&pingers[i], local: local)
            }
        }
        for p in pingers {
            out[p.address] =
                p.result
                ?? ICMPEchoResult(
                    reachable: false, method: p.raw ? "raw" : "datagram",
                    detail: "no echo reply to \(p.sent) request\(p.sent == 1 ? "" : "s") within \(Int(timeoutMs)) ms")
        }
        return out
    }

    private func open(_ sa: SocketAddress) -> Result<(Int32, Bool), NotTested> {
        let proto = sa.family == AF_INET6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)
        let dgramErr: Errno
        switch sa.openProbeSocket(SOCK_DGRAM, protocol: proto) {
        case .success(let fd): return .success((fd, false))
        case .failure(let err): dgramErr = err
        }
        let rawErr: Errno
        switch sa.openProbeSocket(SOCK_RAW, protocol: proto) {
        case .success(let fd): return .success((fd, true))
        case .failure(let err): rawErr = err
        }
        let sysctl = sa.family == AF_INET6 ? "net.ipv4.ping_group_range (it governs ICMPv6 too)" : "net.ipv4.ping_group_range"
        return .failure(NotTested(
            "no ping socket (\(ErrnoName.error(dgramErr).name): group \(getegid()) outside \(sysctl)) and no raw socket (\(ErrnoName.error(rawErr).name): needs CAP_NET_RAW)"))
    }

    struct NotTested: Error {
        var why: String
        init(_ why: String) { self.why = why }
    }

    private func send(_ p: inout Pinger, seq: UInt16, now: Double) {
        var packet: [UInt8] = [p.family == AF_INET6 ? 128 : 8, 0, 0, 0]
        packet += [UInt8(p.ident >> 8), UInt8(p.ident & 0xFF), UInt8(seq >> 8), UInt8(seq & 0xFF)]
        packet += Array("hostaudit egress".utf8)
        if p.family == AF_INET {
            // The kernel fills the checksum for ping sockets and for raw ICMPv6, not for raw ICMPv4.
            let sum = Self.checksum(packet)
            packet[2] = UInt8(sum >> 8)
            packet[3] = UInt8(sum & 0xFF)
        }
        let sent = SocketIO.send(p.fd, packet)
        if p.sent == 0 { p.firstSentMs = now }
        p.sent += 1
        p.lastSentMs = now
        if case .failure(let err) = sent {
            if err.rawValue == EAGAIN || err.rawValue == ENOBUFS { return }
            p.result = ICMPEchoResult(reachable: false, method: p.raw ? "raw" : "datagram", detail: sendFailure(err))
        }
    }

    private func receive(_ p: inout Pinger, local: Set<IPAddress>) {
        if let icmp = drainErrorQueue(p.fd, local: local) {
            p.result = ICMPEchoResult(
                reachable: false, method: p.raw ? "raw" : "datagram",
                detail: icmp.summary)
            return
        }
        var buf = [UInt8](repeating: 0, count: 1500)
        while true {
            let n: Int
            switch SocketIO.receive(p.fd, into: &buf) {
            case .success(let got): n = got
            case .failure(let err) where err.rawValue == EAGAIN: return
            case .failure(let err):
                p.result = ICMPEchoResult(reachable: false, method: p.raw ? "raw" : "datagram", detail: sendFailure(err))
                return
            }
            var icmp = buf[0..<n]
            if p.raw && p.family == AF_INET {
                guard n >= 20 else { continue }
                let ihl = Int(buf[0] & 0x0F) * 4
                guard n >= ihl + 8 else { continue }
                icmp = buf[ihl..<n]
            }
            guard icmp.count >= 8 else { continue }
            let type = icmp[icmp.startIndex]
            let replyType: UInt8 = p.family == AF_INET6 ? 129 : 0
            guard type == replyType else { continue }
            // Ping sockets rewrite the identifier to their own port; raw sockets must match ours.
            let ident = UInt16(icmp[icmp.startIndex + 4]) << 8 | UInt16(icmp[icmp.startIndex + 5])
            if p.raw && ident != p.ident { continue }
            p.result = ICMPEchoResult(
                reachable: true, method: p.raw ? "raw" : "datagram", rttMs: Clock.nowMs() - p.lastSentMs)
            return
        }
    }

    private func sendFailure(_ error: Errno) -> String {
        let err = error.rawValue
        let e = ErrnoName.error(err)
        switch err {
        case EPERM, EACCES: return "this host refused to send ICMP echo (\(e.name)): a local firewall rule"
        case ENETUNREACH: return "no route (\(e.name))"
        case EHOSTUNREACH: return "host unreachable (\(e.name))"
        default: return e.description
        }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
