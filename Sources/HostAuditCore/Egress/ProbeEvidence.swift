/// What the socket said about one TCP connection attempt, copied out of the
/// kernel by the Linux prober (`SO_ERROR`, `TCP_INFO`, the `IP_RECVERR` queue).
/// Pure data: classification and explanation work on it without a kernel.
package struct TCPProbeEvidence: Sendable, Equatable {
    /// Where the attempt ended: `connect` (connect(2) failed at once), `poll`
    /// (an event arrived) or `deadline` (the time-out passed without an answer).
    package enum Phase: String, Sendable, Equatable {
        case connect, poll, deadline
    }

    package var address: String
    package var port: Int
    /// `ipv4` or `ipv6`.
    package var family: String
    package var phase: Phase
    /// The error of connect(2) or `SO_ERROR`; null when there was none.
    package var error: SocketError?
    /// The ICMP error queued on the socket, with its sender.
    package var icmp: ICMPError?
    /// `TCP_INFO` when the attempt ended.
    package var tcpInfo: TCPInfoSnapshot?
    package var elapsedMs: Double
    /// True when this is the result of probing the port again, alone, because
    /// sibling ports on the same address got ICMP answers (ICMP rate limits).
    package var reprobed: Bool
    /// The local end of the connection, from `getsockname()` after
    /// `connect()`: the source address and port the kernel chose (nil when
    /// connect failed before one was bound).
    package var localAddress: String? = nil
    package var localPort: Int? = nil

    package init(
        address: String, port: Int, family: String, phase: Phase, error: SocketError? = nil, icmp: ICMPError? = nil,
        tcpInfo: TCPInfoSnapshot? = nil, elapsedMs: Double, reprobed: Bool = false
    ) {
        self.address = address
        self.port = port
        self.family = family
        self.phase = phase
        self.error = error
        self.icmp = icmp
        self.tcpInfo = tcpInfo
        self.elapsedMs = elapsedMs
        self.reprobed = reprobed
    }
}

/// An errno value with its symbolic name (`ECONNREFUSED`) and message.
package struct SocketError: Sendable, Equatable, CustomStringConvertible {
    package var number: Int32
    package var name: String
    package var message: String
    package init(number: Int32, name: String, message: String) {
        self.number = number
        self.name = name
        self.message = message
    }
    package var description: String { "\(name) (\(message))" }
}

/// A TCP socket's state (`tcpi_state`), by the kernel's numbers
/// (include/net/tcp_states.h); `name` is the kernel's name for it.
package enum TCPState: Sendable, Hashable, CustomStringConvertible {
    case established, synSent, synRecv, finWait1, finWait2, timeWait, close, closeWait, lastAck, listen, closing
    case newSynRecv
    /// A number this list does not know (`STATE_<n>`).
    case other(Int)

    private static let known: [TCPState] = [
        .established, .synSent, .synRecv, .finWait1, .finWait2, .timeWait, .close, .closeWait, .lastAck, .listen, .closing,
        .newSynRecv,
    ]

    /// The state numbered `n` (1 is ESTABLISHED).
    package init(number n: Int) {
        self = Self.known.indices.contains(n - 1) ? Self.known[n - 1] : .other(n)
    }

    /// `ESTABLISHED`, `SYN_SENT`, …, as the report names it.
    package var name: String {
        switch self {
        case .established: return "ESTABLISHED"
        case .synSent: return "SYN_SENT"
        case .synRecv: return "SYN_RECV"
        case .finWait1: return "FIN_WAIT1"
        case .finWait2: return "FIN_WAIT2"
        case .timeWait: return "TIME_WAIT"
        case .close: return "CLOSE"
        case .closeWait: return "CLOSE_WAIT"
        case .lastAck: return "LAST_ACK"
        case .listen: return "LISTEN"
        case .closing: return "CLOSING"
        case .newSynRecv: return "NEW_SYN_RECV"
        case .other(let n): return "STATE_\(n)"
        }
    }

    package var description: String { name }
}

/// The part of `struct tcp_info` a prober needs.
package struct TCPInfoSnapshot: Sendable, Equatable {
    package var state: TCPState
    /// `tcpi_retransmits`: consecutive retransmission timeouts (SYNs re-sent while connecting).
    package var retransmits: Int
    /// `tcpi_total_retrans`: segments actually retransmitted (0 while a SYN waits for ARP).
    package var totalRetrans: Int
    package var rtoMs: Int

    package init(state: TCPState, retransmits: Int, totalRetrans: Int, rtoMs: Int) {
        self.state = state
        self.retransmits = retransmits
        self.totalRetrans = totalRetrans
        self.rtoMs = rtoMs
    }

    /// The handshake completed: ESTABLISHED, or CLOSE_WAIT when the server
    /// accepted and already closed (a SYN-ACK came back either way).
    package var isConnected: Bool { state == .established || state == .closeWait }
}

/// An ICMP or ICMPv6 error read from the socket's error queue (`sock_extended_err`).
public struct ICMPError: Sendable, Equatable {
    /// Which protocol carried the error (`SO_EE_ORIGIN_ICMP` or `_ICMP6`).
    public enum Origin: String, Sendable, Hashable {
        case icmp, icmp6
    }

    public var origin: Origin
    public var type: Int
    public var code: Int
    /// The sender of the error (`SO_EE_OFFENDER`): a router, or this host.
    public var offender: String?
    /// True when the offender is one of this host's own addresses: a local
    /// reject (netfilter) or a neighbour (ARP/ND) failure on this host.
    public var offenderIsLocal: Bool

    public init(origin: Origin, type: Int, code: Int, offender: String?, offenderIsLocal: Bool) {
        self.origin = origin
        self.type = type
        self.code = code
        self.offender = offender
        self.offenderIsLocal = offenderIsLocal
    }

    /// nmap's `--reason` word for this type and code.
    public var reason: ProbeReason { Self.reason(origin: origin, type: type, code: code) }

    public static func reason(origin: Origin, type: Int, code: Int) -> ProbeReason {
        switch origin {
        case .icmp6:
            switch (type, code) {
            case (1, 0), (1, 2): return .netUnreach
            case (1, 1), (1, 5), (1, 6): return .adminProhibited
            case (1, 3): return .hostUnreach
            case (1, 4): return .portUnreach
            case (1, _): return .hostUnreach
            case (2, _): return .packetTooBig
            case (3, _): return .timeExceeded
            case (4, _): return .paramProblem
            default: return .otherICMP(origin, type: type, code: code)
            }
        case .icmp:
            switch (type, code) {
            case (3, 0), (3, 6), (3, 11): return .netUnreach
            case (3, 1), (3, 7), (3, 12): return .hostUnreach
            case (3, 2): return .protoUnreach
            case (3, 3): return .portUnreach
            case (3, 9): return .netProhibited
            case (3, 10): return .hostProhibited
            case (3, 13), (3, 14), (3, 15): return .adminProhibited
            case (3, 4): return .fragNeeded
            case (3, _): return .hostUnreach
            case (11, _): return .timeExceeded
            case (12, _): return .paramProblem
            case (5, _): return .redirect
            default: return .otherICMP(origin, type: type, code: code)
            }
        }
    }

    /// `ICMP 3/13` or `ICMPv6 1/1`.
    public var label: String { "\(origin == .icmp6 ? "ICMPv6" : "ICMP") \(type)/\(code)" }

    /// `ICMP 3/13 (admin-prohibited) from 192.0.2.1 (this host)`: the error as
    /// the evidence and the probers' details name it.
    public var summary: String {
        "\(label) (\(reason)) from \(offender ?? "?")\(offenderIsLocal ? " (this host)" : "")"
    }
}

/// The result of ICMP echo to one address. `reachable` is null when it could
/// not be tested (no ping socket allowed and no CAP_NET_RAW): never "failed".
package struct ICMPEchoResult: Sendable, Equatable {
    package var reachable: Bool?
    /// `datagram` (an unprivileged ping socket), `raw`, or null when not tested.
    package var method: String?
    package var rttMs: Double?
    /// Why it was not tested, or what error came back instead of a reply.
    package var detail: String?

    package init(reachable: Bool?, method: String?, rttMs: Double? = nil, detail: String? = nil) {
        self.reachable = reachable
        self.method = method
        self.rttMs = rttMs
        self.detail = detail
    }

    package static func notTested(_ why: String) -> ICMPEchoResult {
        ICMPEchoResult(reachable: nil, method: nil, detail: why)
    }
}

/// The local verdict for the probe's flow: the static evaluation of the
/// ruleset (or the kernel trace with `--trace`). Mirrors the contract's
/// `local_verdict` object, plus `notes` (why it is unknown, when it is) and
/// `counter_delta_packets` (how many packets the deciding rule's counter
/// gained while the probe ran).
package struct LocalVerdict: Sendable, Equatable {
    package var verdict: VerdictKind
    package var hook: String?
    /// The deciding rule, or the chain whose policy decided (`handle` nil);
    /// nil when nothing decided. The evaluator's own type, not a copy in strings.
    package var decidedBy: RuleLocation?
    package var traced: Bool
    package var notes: [String]
    package var counterDeltaPackets: UInt64?
    /// The answers' verdicts on the way back in (prerouting, input).
    package var replies: [ReplyVerdict] = []
    /// Counters of the deciding rules, read before and after the probe batch.
    package var witnesses: [CounterWitness] = []

    package init(
        verdict: VerdictKind, hook: String? = nil, decidedBy: RuleLocation? = nil, traced: Bool = false,
        notes: [String] = [], counterDeltaPackets: UInt64? = nil
    ) {
        self.verdict = verdict
        self.hook = hook
        self.decidedBy = decidedBy
        self.traced = traced
        self.notes = notes
        self.counterDeltaPackets = counterDeltaPackets
    }

    /// `inet filter`: the deciding table as nft names it.
    package var table: String? { decidedBy?.tableName }
    package var chain: String? { decidedBy?.chain }
    /// The rule's handle (a legacy rule's 1-based position); nil for a chain policy.
    package var handle: Int? { decidedBy?.handle.map { Int(clamping: $0) } }
    package var rule: String? { decidedBy?.rule }
    /// The deciding rule is in a legacy x_tables table.
    package var legacy: Bool { decidedBy?.isLegacy ?? false }
    /// `drop` or `reject`.
    package var blocks: Bool { verdict == .drop || verdict == .reject }

    package func json() -> JSONValue {
        .object(
            JSONObject([
                ("verdict", .string(verdict.rawValue)), ("hook", hook.map(JSONValue.string) ?? .null),
                ("table", table.map(JSONValue.string) ?? .null), ("chain", chain.map(JSONValue.string) ?? .null),
                ("handle", handle.map { .int(Int64($0)) } ?? .null), ("rule", rule.map(JSONValue.string) ?? .null),
                ("traced", .bool(traced)), ("notes", .array(notes.map(JSONValue.string))),
                ("counter_delta_packets", counterDeltaPackets.map { .int(Int64(clamping: $0)) } ?? .null),
            ] + extraJSON))
    }

    /// Fields beyond the contract's, present only when known.
    var extraJSON: [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        if legacy { out.append(("legacy", .bool(true))) }
        if !replies.isEmpty { out.append(("replies", .array(replies.map { $0.json() }))) }
        if !witnesses.isEmpty { out.append(("counters", .array(witnesses.map { $0.json() }))) }
        return out
    }

    /// `rule 'tcp dport 80 drop' (inet filter output, handle 7)`; a legacy
    /// rule reads `(legacy ip filter OUTPUT, handle 2)` (its position).
    package var label: String {
        var where_ = [table, chain].compactMap { $0 }.joined(separator: " ")
        if legacy { where_ = "legacy " + where_ }
        if let handle { where_ += where_.isEmpty ? "handle \(handle)" : ", handle \(handle)" }
        let r = rule.map { "rule '\(TerminalText.escape($0))'" } ?? "a rule"
        return where_.isEmpty ? r : "\(r) (\(TerminalText.escape(where_)))"
    }
}

/// Supplies what the host itself says about each probe's flow. The verdict
/// layer implements it (`SnapshotVerdicts`); `egress` without one has no
/// local evidence (`local_verdict` is null).
///
/// One batch entry point, asked once after probing with the flows as the
/// kernel saw them (source address and port from `getsockname()`), so the
/// rule counters are read once before and once after the whole batch.
package protocol LocalVerdictSource: Sendable {
    /// The local evidence per flow, in the order given: the outbound verdict,
    /// the SYN-ACK's verdict on its way back in, counter witnesses, and what
    /// the verdicts could not see.
    func verdicts(for flows: [ProbeFlow]) -> [LocalEvidence]
}
