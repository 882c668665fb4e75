/// The local verdict for the answer to a probe (SYN-ACK, reset or ICMP error)
/// on its way back in through prerouting and input.
package struct ReplyVerdict: Sendable, Equatable {
    /// The answer: `syn-ack`, `reset` or `icmp-error`.
    package var kind: ReplyKind
    /// The verdict and the deciding rule, as for the outbound flow.
    package var verdict: LocalVerdict

    package init(kind: ReplyKind, verdict: LocalVerdict) {
        self.kind = kind
        self.verdict = verdict
    }

    package func json() -> JSONValue {
        guard case .object(var o) = verdict.json() else { return .null }
        o["kind"] = .string(kind.rawValue)
        return .object(o)
    }
}

/// A rule's packet counter read before and after the probe batch: what the
/// kernel itself counted for a rule the static evaluation says decides a
/// probe's packets (`out`) or its SYN-ACK (`reply`). Its `strength` maps onto
/// the confidence model (`confidence`): exact is proof the rule saw the
/// probe, consistent makes it likely, noisy and absent prove nothing (absent
/// contradicts a static verdict that the rule decides).
package struct CounterWitness: Sendable, Equatable {
    /// How much the rise says about this probe.
    package enum Strength: String, Sendable, Equatable {
        /// The counter rose by exactly the packets this probe sent, and no
        /// other probe of the batch goes through the rule: the rule saw them.
        case exact
        /// It rose, by no more than the packets of the probes this rule
        /// decides: consistent with the rule having seen this probe.
        case consistent
        /// It rose by more than the probes sent: other traffic matched too,
        /// so the rise proves nothing about this probe.
        case noisy
        /// It did not rise: the rule did not see this probe's packets.
        case absent
    }

    /// Which packets a rule's counter counted.
    package enum Direction: String, Sendable, Hashable {
        /// The probe's own packets.
        case out
        /// The answers.
        case reply
    }

    package var direction: Direction
    /// `ip filter`, `inet filter`, …
    package var table: String
    package var chain: String
    package var handle: Int
    /// True for a legacy x_tables rule.
    package var legacy: Bool
    package var deltaPackets: UInt64
    /// Packets this probe sent through the rule (SYN plus retransmissions);
    /// nil for answers, whose number the remote side decides.
    package var probePackets: UInt64?
    /// Packets all probes of the batch that this rule decides sent (nil as above).
    package var batchPackets: UInt64?
    package var strength: Strength
    /// What the counted rule does, when known.
    package var verdict: VerdictKind?
    /// The rule as printed (nft or iptables-save syntax), when known.
    package var rule: String?

    package init(
        direction: Direction, table: String, chain: String, handle: Int, legacy: Bool, deltaPackets: UInt64,
        probePackets: UInt64?, batchPackets: UInt64?, strength: Strength, verdict: VerdictKind? = nil, rule: String? = nil
    ) {
        self.verdict = verdict
        self.rule = rule
        self.direction = direction
        self.table = table
        self.chain = chain
        self.handle = handle
        self.legacy = legacy
        self.deltaPackets = deltaPackets
        self.probePackets = probePackets
        self.batchPackets = batchPackets
        self.strength = strength
    }

    /// The strength of a rise of `delta` when this probe sent `mine` packets
    /// through the rule and all probes deciding at it sent `batch` (nil: not
    /// known, as for answers, where any rise is only consistent).
    package static func strength(delta: UInt64, mine: UInt64?, batch: UInt64?) -> Strength {
        if delta == 0 { return .absent }
        guard let mine, let batch else { return .consistent }
        if delta > batch { return .noisy }
        if delta == mine && batch == mine { return .exact }
        return .consistent
    }

    /// The strength on the confidence model's scale.
    package var confidence: Confidence {
        switch strength {
        case .exact: return .proven
        case .consistent: return .likely
        case .noisy, .absent: return .unknown
        }
    }

    /// The rule drops or rejects what it counted.
    package var blocks: Bool { verdict == .drop || verdict == .reject }

    /// `legacy ip filter OUTPUT, handle 2` / `inet filter output, handle 7`.
    package var location: String { "\(legacy ? "legacy " : "")\(table) \(chain), handle \(handle)" }

    /// `rose by 3 packets (this probe sent 3, the batch 3): exact`.
    package var summary: String {
        var s = deltaPackets == 0 ? "did not rise" : "rose by \(deltaPackets) packet\(deltaPackets == 1 ? "" : "s")"
        if let probePackets {
            s += " (this probe sent \(probePackets)\(batchPackets.map { ", the probes decided there \($0)" } ?? ""))"
        }
        return s + ": \(strength.rawValue)"
    }

    package func json() -> JSONValue {
        .object(
            JSONObject([
                ("kind", .string("counter")), ("verdict", verdict.map { .string($0.rawValue) } ?? .null), ("direction", .string(direction.rawValue)), ("table", .string(table)),
                ("chain", .string(chain)), ("handle", .int(Int64(handle))), ("legacy", .bool(legacy)),
                ("delta_packets", .int(Int64(clamping: deltaPackets))),
                ("probe_packets", probePackets.map { .int(Int64(clamping: $0)) } ?? .null),
                ("batch_packets", batchPackets.map { .int(Int64(clamping: $0)) } ?? .null),
                ("strength", .string(strength.rawValue)), ("confidence", .string(confidence.rawValue)),
            ]))
    }
}

/// One probe's flow as the kernel saw it, for the verdict layer: the
/// destination, and the local end `getsockname()` gave after `connect()`
/// (nil when connect failed before binding one).
package struct ProbeFlow: Sendable, Hashable {
    package var address: String
    package var port: Int
    package var proto: EgressProtocol
    package var localAddress: String?
    package var localPort: Int?
    /// Packets the probe sent (its SYN plus retransmissions), when known.
    package var packetsSent: UInt64?

    package init(address: String, port: Int, proto: EgressProtocol = .tcp, localAddress: String? = nil, localPort: Int? = nil, packetsSent: UInt64? = nil) {
        self.address = address
        self.port = port
        self.proto = proto
        self.localAddress = localAddress
        self.localPort = localPort
        self.packetsSent = packetsSent
    }

    package init(_ e: TCPProbeEvidence) {
        let retrans = EgressClassifier.synRetransmits(e)
        self.init(
            address: e.address, port: e.port, proto: .tcp, localAddress: e.localAddress, localPort: e.localPort,
            packetsSent: retrans.map { UInt64(1 + max(0, $0)) })
    }
}
