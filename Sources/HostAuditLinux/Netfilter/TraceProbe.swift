#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSocket
import HostAuditCore
import SystemPackage

/// What happened to the real packet the trace sent.
package enum ProbeOutcome: Sendable, Hashable {
    /// TCP: the handshake completed.
    case connected
    /// TCP: the connection failed at once with this errno (a reset or an ICMP error, e.g. from a reject).
    case failed(Errno)
    /// TCP: still connecting when the wait ended (e.g. the SYN was dropped).
    case pending
    /// UDP: the datagram left the socket.
    case sent
    /// UDP: sending failed with this errno (EPERM when netfilter dropped it).
    case sendFailed(Errno)
}

/// The kernel's own answer for one flow, from `NFT_MSG_TRACE` events.
package struct TraceReport: Sendable {
    package var result: VerdictResult
    package var events: [TraceEvent]
    package var sourcePort: UInt16
    package var probe: ProbeOutcome
}

/// Ground truth for a flow (docs/netlink.md §4): listen on `NFNLGRP_NFTRACE`, bind
/// the probe socket to learn its source port, install an owner-flagged table
/// that sets `meta nftrace` for exactly this tuple, send a real first packet,
/// collect the events, remove the table.
package struct FlowTracer: Sendable {
    /// Longest wait for trace events.
    package var windowMs: Int
    /// Once events arrived, how long without a new one ends the collection.
    package var idleMs: Int
    /// TCP: how long to wait for the handshake's outcome after the events.
    package var connectWaitMs: Int
    /// Table name; one per process unless the caller picks another.
    package var tableName: String

    package init(windowMs: Int = 400, idleMs: Int = 40, connectWaitMs: Int = 0, tableName: String? = nil) {
        self.windowMs = windowMs
        self.idleMs = idleMs
        self.connectWaitMs = connectWaitMs
        self.tableName = tableName ?? "hostaudit_trace_\(getpid())"
    }

    package static let note =
        "--trace changed the ruleset for a moment: a temporary owner-flagged table (inet hostaudit_trace_<pid>, output hook, priority -400) marked this probe's packets with meta nftrace, and a real first packet was sent"

    package func trace(_ flow: VerdictFlow, snapshot: RulesetSnapshot) throws(ProbeError) -> TraceReport {
        let listener = try TraceListener()
        let probe = try ProbeSocket(flow: flow)
        let table = try TraceTable(name: tableName)
        // A signal must not leave the table behind: exiting closes the owning socket,
        // and the kernel deletes an owner-flagged table with it.
        let oldInt = signal(SIGINT) { sig in _exit(128 + sig) }
        let oldTerm = signal(SIGTERM) { sig in _exit(128 + sig) }
        defer {
            signal(SIGINT, oldInt)
            signal(SIGTERM, oldTerm)
        }
        try table.install(destination: flow.destination, proto: flow.proto, sourcePort: probe.port)
        listener.drain()
        let sent = probe.send(flow)
        let events = listener.collect(timeoutMs: windowMs, idleMs: idleMs) { _ in true }
        var outcome = sent
        if flow.proto == .tcp, case .pending = sent { outcome = probe.waitForConnect(ms: connectWaitMs) }
        probe.close()
        try table.remove()

        var f = flow
        f.sourcePort = probe.port
        var result = Self.interpret(events, flow: f, snapshot: snapshot, traceTable: tableName)
        if listener.lostEvents {
            result.verdict = .unknown
            result.decidedBy = nil
            result.notes.append("trace events were lost (ENOBUFS)")
        }
        result.notes.append(Self.note)
        return TraceReport(result: result, events: events, sourcePort: probe.port, probe: outcome)
    }

    /// Turns the events of the first traced packet into a verdict, a deciding rule and a path.
    static func interpret(
        _ all: [TraceEvent], flow: VerdictFlow, snapshot: RulesetSnapshot, traceTable: String
    ) -> VerdictResult {
        var notes: [String] = []
        guard let id = all.first(where: { $0.table == traceTable })?.id ?? all.first?.id else {
            return VerdictResult(
                flow: flow, verdict: .unknown, decidedBy: nil, path: [],
                notes: ["no trace events arrived (the packet may not have been sent)"], branches: 1, traced: true)
        }
        struct Key: Hashable {
            var family: Family
            var table: String
        }
        var tables: [Key: Table] = [:]
        var texts: [Key: RuleText] = [:]
        for t in snapshot.tables { tables[Key(family: t.family, table: t.name)] = t }
        var path: [PathStep] = []
        var hook: Hook = .output
        var lastAccept: RuleLocation?
        for e in all where e.id == id && e.table != traceTable {
            guard let table = tables[Key(family: e.family, table: e.table)], let chain = table.chain(e.chain) else {
                notes.append("trace event for \(e.family.name) \(e.table) \(e.chain), which is not in the snapshot")
                continue
            }
            if let base = chain.base {
                // The mark stays on the packet after output: stop where local delivery begins.
                if base.hook != .output && base.hook != .postrouting { break }
                hook = base.hook
            }
            switch e.type {
            case 3:  // rule
                guard let handle = e.ruleHandle else { continue }  // end-of-chain marker on newer kernels
                guard let rule = chain.rules.first(where: { $0.handle == handle }) else {
                    notes.append("trace names rule handle \(handle) in \(e.table) \(e.chain), not in the snapshot")
                    continue
                }
                let key = Key(family: e.family, table: e.table)
                let ruleText = texts[key] ?? RuleText(table: table)
                texts[key] = ruleText
                let loc = RuleLocation(
                    family: table.family, table: table.name, chain: chain.name, handle: handle,
                    rule: ruleText.preferred(rule))
                path.append(PathStep(location: loc, matched: true, hook: hook))
                switch e.verdict {
                case .accept?:
                    lastAccept = loc
                case .drop?:
                    let rejects = rule.expressions.contains {
                        if case .reject = $0 { return true }
                        if case .target(let x) = $0, x.name == "REJECT" { return true }
                        return false
                    }
                    return VerdictResult(flow: flow, verdict: rejects ? .reject : .drop, decidedBy: loc, path: path, notes: notes, branches: 1, traced: true)
                case .queue?, .other?:
                    notes.append("the packet was queued to user space")
                    return VerdictResult(flow: flow, verdict: .unknown, decidedBy: loc, path: path, notes: notes, branches: 1, traced: true)
                default:
                    break
                }
            case 1:  // policy
                let loc = RuleLocation(
                    family: table.family, table: table.name, chain: chain.name, handle: nil,
                    rule: "policy \(e.policy == 0 ? "drop" : "accept")")
                path.append(PathStep(location: loc, matched: true, hook: hook))
                if e.policy == 0 {
                    return VerdictResult(flow: flow, verdict: .drop, decidedBy: loc, path: path, notes: notes, branches: 1, traced: true)
                }
                lastAccept = loc
            default:
                break
            }
        }
        if snapshot.legacyHasRules { notes.append(Self.legacyNote) }
        guard let lastAccept else {
            // No base chain of this family on the way out and no legacy rule:
            // nothing filters the packet, which is what the kernel does too.
            let family: Family = flow.isIPv6 ? .ip6 : .ip
            let pathChains = snapshot.tables.contains { t in
                t.name != traceTable && (t.family == family || t.family == .inet)
                    && t.chains.contains { c in c.base.map { $0.hook == .output || $0.hook == .postrouting } ?? false }
            }
            if !pathChains && !snapshot.legacyHasRules {
                notes.append("no nf_tables base chain on the output path and no legacy rule: nothing filters this packet")
                return VerdictResult(flow: flow, verdict: .accept, decidedBy: nil, path: path, notes: notes, branches: 1, traced: true)
            }
            // Chains exist, yet no rule or policy gave a verdict the trace could see: that is not an accept.
            notes.append(Self.noVerdictNote)
            return VerdictResult(flow: flow, verdict: .unknown, decidedBy: nil, path: path, notes: notes, branches: 1, traced: true)
        }
        return VerdictResult(flow: flow, verdict: .accept, decidedBy: lastAccept, path: path, notes: notes, branches: 1, traced: true)
    }

    /// Said whenever legacy x_tables hold rules: the trace cannot see them.
    static let legacyNote =
        "legacy x_tables (iptables-legacy) rules are loaded: the trace cannot see them, so their verdict is unknown"

    /// Said when the traced packet met no terminal verdict.
    static let noVerdictNote =
        "no verdict seen; legacy tables and anything before priority -400 are invisible to the trace"
}

/// The probe's socket: bound first, so the source port is known before the trace rule is written.
final class ProbeSocket {
    let fd: Int32
    let port: UInt16
    private var closed = false

    init(flow: VerdictFlow) throws(ProbeError) {
        let family = flow.isIPv6 ? AF_INET6 : AF_INET
        let type = (flow.proto == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue))
            | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try syscall("socket") { socket(family, type, 0) }
        func fail(_ name: String, _ path: String? = nil) -> ProbeError {
            let e = Errno.current
            Glibc.close(fd)
            return .from(name, path: path, errno: e)
        }
        if let mark = flow.mark {
            var m = mark
            if setsockopt(fd, SOL_SOCKET, SO_MARK, &m, 4) < 0 { throw fail("setsockopt(SO_MARK)") }
        }
        if let oif = flow.outputInterface {
            var name = Array(oif.utf8) + [0]
            if setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, &name, socklen_t(name.count)) < 0 {
                throw fail("setsockopt(SO_BINDTODEVICE)", oif)
            }
        }
        var storage = Self.address(flow.source, port: flow.sourcePort ?? 0, v6: flow.isIPv6)
        let len = socklen_t(flow.isIPv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let r = storage.withUnsafeMutableBytes { raw -> Int32 in
            let sa = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            if bind(fd, sa, len) < 0 { return -1 }
            var l = socklen_t(raw.count)
            if getsockname(fd, sa, &l) < 0 { return -2 }
            return 0
        }
        if r < 0 { throw fail(r == -1 ? "bind" : "getsockname") }
        self.fd = fd
        port = storage.withUnsafeBytes { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    }

    deinit { close() }

    func close() {
        if !closed { Glibc.close(fd) }
        closed = true
    }

    /// A sockaddr_in / sockaddr_in6 in a 28-byte buffer (port at offset 2 in both).
    static func address(_ ip: IPAddress?, port: UInt16, v6: Bool) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 28)
        let fam = UInt16(v6 ? AF_INET6 : AF_INET)
        withUnsafeBytes(of: fam) { b[0] = $0[0]; b[1] = $0[1] }
        b[2] = UInt8(port >> 8)
        b[3] = UInt8(port & 0xff)
        if let ip { for (i, x) in ip.bytes.enumerated() { b[(v6 ? 8 : 4) + i] = x } }
        return b
    }

    func send(_ flow: VerdictFlow) -> ProbeOutcome {
        var dst = Self.address(flow.destination, port: flow.destinationPort, v6: flow.isIPv6)
        let len = socklen_t(flow.isIPv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        return dst.withUnsafeMutableBytes { raw -> ProbeOutcome in
            let sa = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            if flow.proto == .tcp {
                // Not retried on EINTR: a connect in progress must be waited for, not restarted.
                switch valueOrErrno(retryOnInterrupt: false, { connect(fd, sa, len) }) {
                case .success: return .connected
                case .failure(let e): return e == .nowInProgress ? .pending : .failed(e)
                }
            }
            let payload: [UInt8] = Array("hostaudit verdict probe".utf8)
            switch payload.withUnsafeBytes({ p in valueOrErrno { sendto(fd, p.baseAddress, p.count, 0, sa, len) } }) {
            case .success: return .sent
            case .failure(let e): return .sendFailed(e)
            }
        }
    }

    func waitForConnect(ms: Int) -> ProbeOutcome {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&p, 1, Int32(ms))
        var err: Int32 = 0
        var l = socklen_t(4)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l)
        if err != 0 { return .failed(Errno(rawValue: err)) }
        return p.revents & Int16(POLLOUT) != 0 ? .connected : .pending
    }
}

