#if canImport(Glibc)
import Glibc
#endif
// socket types (SOCK_*, sa_family_t) are imported through the C module that includes <sys/socket.h>.
import CHostAuditShims
import CSocket
import HostAuditCore
import SystemPackage

/// Probes many UDP ports at once: one connected, non-blocking UDP socket per
/// probe with `IP_RECVERR`/`IPV6_RECVERR`, an application payload where one
/// is known (`UDPPayload`), and poll(2) for a reply or a queued ICMP error.
///
/// A connected UDP socket receives only datagrams from the destination's
/// address and port, and the kernel matches ICMP errors (port-unreachable,
/// admin-prohibited, time-exceeded) to it by the quoted header, queueing
/// them with their sender. On an error event the prober reads `SO_ERROR`,
/// then the error queue. A probe still silent at half the window is sent
/// once more (nmap retransmits UDP probes too; a single datagram may be
/// lost or its ICMP error rate-limited). Hop-limited probes (`ttl` set) are
/// sent once. All probes of one call share one deadline.
struct UDPProber: Sendable {
    var timeout: Double

    init(timeout: Double) {
        self.timeout = timeout
    }

    /// Probes every request; the result has one evidence per request, in order.
    func probe(_ requests: [ProbeRequest]) -> [UDPProbeEvidence] {
        guard !requests.isEmpty else { return [] }
        let limit = FileLimit.raise()
        let open = FileLimit.openCount() ?? 16
        let cap = max(1, min(4096, limit - open - 32))
        let local = LocalAddresses.current()
        var out: [UDPProbeEvidence] = []
        var start = 0
        while start < requests.count {
            let end = min(requests.count, start + cap)
            out += run(Array(requests[start..<end]), local: local)
            start = end
        }
        return out
    }

    private struct Attempt {
        var index: Int
        var fd: Int32
        var startMs: Double
        var address: SocketAddress
        var payload: UDPPayload.Kind
        var bytes: [UInt8]
        var sent: Int
        var resend: Bool
        var local: (address: String, port: Int)?
    }

    func run(_ requests: [ProbeRequest], local: Set<IPAddress>) -> [UDPProbeEvidence] {
        var results = [UDPProbeEvidence?](repeating: nil, count: requests.count)
        var active: [Int32: Attempt] = [:]
        let startMs = Clock.nowMs()
        let deadline = startMs + timeout * 1000
        let resendAt = startMs + timeout * 500

        for (i, req) in requests.enumerated() {
            let kind = UDPPayload.kind(forPort: req.port)
            guard let sa = SocketAddress(req.address, port: req.port) else {
                results[i] = UDPProbeEvidence(
                    address: req.address, port: req.port, family: "unknown", phase: .send, error: ErrnoName.error(EINVAL),
                    payload: kind, datagramsSent: 0, elapsedMs: 0)
                continue
            }
            let t0 = Clock.nowMs()
            func failed(_ err: Errno, fd: Int32?, sent: Int, localEnd: (address: String, port: Int)?) -> UDPProbeEvidence {
                var e = UDPProbeEvidence(
                    address: sa.text, port: req.port, family: sa.familyName, phase: .send, error: ErrnoName.error(err),
                    payload: kind, datagramsSent: sent, elapsedMs: Clock.nowMs() - t0, localAddress: localEnd?.address,
                    localPort: localEnd?.port)
                if let fd {
                    e.icmp = drainErrorQueue(fd, local: local)
                    close(fd)
                }
                return e
            }
            let fd: Int32
            switch sa.openProbeSocket(SOCK_DGRAM, ttl: req.ttl) {
            case .success(let opened): fd = opened
            case .failure(let err):
                results[i] = failed(err, fd: nil, sent: 0, localEnd: nil)
                continue
            }
            if case .failure(let err) = sa.connect(fd) {
                results[i] = failed(err, fd: fd, sent: 0, localEnd: nil)
                continue
            }
            let localEnd = SocketAddress.local(of: fd)
            let bytes = UDPPayload.bytes(kind, id: UInt16.random(in: 1...UInt16.max))
            if case .failure(let err) = Self.send(fd, bytes) {
                // EPERM/EACCES: the datagram reached a netfilter (or BPF) hook that refused
                // it, so the deciding rule counted it; other errors come before any hook.
                let refused = err.rawValue == EPERM || err.rawValue == EACCES
                results[i] = failed(err, fd: fd, sent: refused ? 1 : 0, localEnd: localEnd)
                continue
            }
            active[fd] = Attempt(
                index: i, fd: fd, startMs: t0, address: sa, payload: kind, bytes: bytes, sent: 1, resend: req.ttl == nil,
                local: localEnd)
        }

        func evidence(_ a: Attempt, phase: UDPProbeEvidence.Phase) -> UDPProbeEvidence {
            UDPProbeEvidence(
                address: a.address.text, port: Int(a.address.port), family: a.address.familyName, phase: phase,
                payload: a.payload, datagramsSent: a.sent, elapsedMs: Clock.nowMs() - a.startMs,
                localAddress: a.local?.address, localPort: a.local?.port)
        }
        func finish(_ a: Attempt, _ e: UDPProbeEvidence) {
            close(a.fd)
            active[a.fd] = nil
            results[a.index] = e
        }

        var resent = false
        pollLoop: while !active.isEmpty {
            let now = Clock.nowMs()
            if now >= deadline { break }
            if !resent && now >= resendAt {
                resent = true
                for (fd, var a) in active where a.resend {
                    if case .success = Self.send(fd, a.bytes) {
                        a.sent += 1
                        active[fd] = a
                    }
                }
            }
            let next = resent ? deadline : min(deadline, resendAt)
            var fds = active.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let waitMs = Int32(max(0, min(1000, (next - now).rounded(.up))))
            let n: Int32
            switch SocketIO.poll(&fds, timeoutMs: waitMs) {
            case .success(let ready): n = ready
            case .failure(let err) where err.rawValue == EINTR: n = 0  // the loop recomputes the wait
            case .failure: break pollLoop
            }
            guard n > 0 else { continue }
            for p in fds where p.revents != 0 {
                guard let a = active[p.fd] else { continue }
                if Int32(p.revents) & Int32(POLLERR) != 0 {
                    let soErr = SockOpt.soError(a.fd)
                    let icmp = drainErrorQueue(a.fd, local: local)
                    var e = evidence(a, phase: icmp != nil ? .icmp : .reply)
                    e.icmp = icmp
                    if soErr != 0 { e.error = ErrnoName.error(soErr) }
                    if icmp != nil || soErr != 0 {
                        finish(a, e)
                        continue
                    }
                }
                if Int32(p.revents) & Int32(POLLIN) != 0 {
                    var buf = [UInt8](repeating: 0, count: 2048)
                    switch SocketIO.receive(a.fd, into: &buf, flags: CHostAuditShims_msg_dontwait()) {
                    case .success(let got):
                        var e = evidence(a, phase: .reply)
                        e.replyBytes = got
                        finish(a, e)
                    case .failure(let err) where err.rawValue == EAGAIN:
                        break  // nothing after all; wait on
                    case .failure(let err):
                        // A queued ICMP error shows up as recv's errno too.
                        var e = evidence(a, phase: .icmp)
                        e.icmp = drainErrorQueue(a.fd, local: local)
                        e.error = ErrnoName.error(err)
                        finish(a, e)
                    }
                }
            }
        }
        for a in active.values {
            var e = evidence(a, phase: .deadline)
            // An error that arrived in the last instant still counts.
            e.icmp = drainErrorQueue(a.fd, local: local)
            if e.icmp != nil { e.phase = .icmp }
            finish(a, e)
        }
        return results.enumerated().map { i, r in
            r ?? UDPProbeEvidence(
                address: requests[i].address, port: requests[i].port, family: "unknown", phase: .send,
                error: ErrnoName.error(EINVAL), payload: UDPPayload.kind(forPort: requests[i].port), datagramsSent: 0,
                elapsedMs: 0)
        }
    }

    /// Sends one datagram (an empty one is a valid UDP probe).
    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Result<Int, Errno> {
        SocketIO.send(fd, bytes, flags: Int32(MSG_NOSIGNAL))
    }
}
