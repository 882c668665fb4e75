/// UDP egress: what one probe saw, how it is classified, and why.
///
/// UDP has no handshake, so the classification follows nmap's UDP scan: any
/// UDP answer from the destination is `open`, an ICMP port-unreachable from
/// the destination itself is `closed`, another ICMP unreachable is
/// `filtered` (the sender and code say who rejects), and silence is
/// `open|filtered`: a filter and a service that ignores the probe look the
/// same. See docs/path-location.md ("UDP").

/// The application payload a UDP probe carries.
package enum UDPPayload {
    package enum Kind: String, Sendable, Equatable {
        /// A DNS query (port 53).
        case dns = "dns-query"
        /// An NTP client request, mode 3 (port 123).
        case ntp = "ntp-request"
        /// A QUIC long-header packet with a version no server speaks (port
        /// 443): a QUIC server answers it with Version Negotiation (RFC 9000 §6).
        case quic = "quic-version-probe"
        /// An empty datagram (no known application).
        case empty
    }

    package static func kind(forPort port: Int) -> Kind {
        switch port {
        case 53: return .dns
        case 123: return .ntp
        case 443: return .quic
        default: return .empty
        }
    }

    /// The datagram for `kind`. `id` is the DNS query id or the NTP
    /// transmit timestamp's low bits (a nonce; the reply is not matched on it).
    package static func bytes(_ kind: Kind, id: UInt16) -> [UInt8] {
        switch kind {
        case .dns: return dnsQuery(id: id)
        case .ntp: return ntpRequest(nonce: id)
        case .quic: return quicVersionProbe(nonce: id)
        case .empty: return []
        }
    }

    /// A minimal DNS query: the root zone's NS records, class IN, recursion
    /// desired. Any server answers it with something (an answer, a referral,
    /// REFUSED), which is all an egress probe needs.
    package static func dnsQuery(id: UInt16) -> [UInt8] {
        [
            UInt8(id >> 8), UInt8(id & 0xFF),  // id
            0x01, 0x00,  // flags: RD
            0x00, 0x01,  // QDCOUNT 1
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // AN, NS, AR counts
            0x00,  // QNAME: the root
            0x00, 0x02,  // QTYPE NS
            0x00, 0x01,  // QCLASS IN
        ]
    }

    /// A QUIC long-header packet (RFC 9000 §17.2) with the reserved version
    /// 0x1a2a3a4a, 8-byte connection ids and padding to 1200 bytes, the size
    /// a server needs before it answers with Version Negotiation.
    package static func quicVersionProbe(nonce: UInt16) -> [UInt8] {
        var b: [UInt8] = [0xC0, 0x1A, 0x2A, 0x3A, 0x4A, 8]
        b += [0x68, 0x61, 0x75, 0x64, 0x69, 0x74, UInt8(nonce >> 8), UInt8(nonce & 0xFF)]  // DCID "haudit" + nonce
        b += [8, 0x71, 0x75, 0x69, 0x63, 0x70, 0x72, 0x62, 0x65]  // SCID
        b += [UInt8](repeating: 0, count: 1200 - b.count)
        return b
    }

    /// An NTP client request (RFC 5905): 48 bytes, LI 0, version 4, mode 3,
    /// with a non-zero transmit timestamp (servers ignore a zero one).
    package static func ntpRequest(nonce: UInt16) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 48)
        b[0] = 0x23  // LI 0, VN 4, mode 3 (client)
        b[46] = UInt8(nonce >> 8) | 0x01
        b[47] = UInt8(nonce & 0xFF)
        return b
    }
}

/// What the socket said about one UDP probe (a connected UDP socket with
/// `IP_RECVERR`/`IPV6_RECVERR`). Pure data.
package struct UDPProbeEvidence: Sendable, Equatable {
    /// Where the probe ended: `send` (sending failed on this host), `reply`
    /// (a datagram came back), `icmp` (an ICMP error was queued) or
    /// `deadline` (nothing within the window).
    package enum Phase: String, Sendable, Equatable {
        case send, reply, icmp, deadline
    }

    package var address: String
    package var port: Int
    package var family: String
    package var phase: Phase
    /// The error of connect(2)/send(2) or `SO_ERROR`.
    package var error: SocketError?
    package var icmp: ICMPError?
    /// The size of the first datagram that came back.
    package var replyBytes: Int?
    package var payload: UDPPayload.Kind
    /// Datagrams sent: 1, or 2 when the first drew nothing within half the window.
    package var datagramsSent: Int
    package var elapsedMs: Double
    package var localAddress: String?
    package var localPort: Int?

    package init(
        address: String, port: Int, family: String, phase: Phase, error: SocketError? = nil, icmp: ICMPError? = nil,
        replyBytes: Int? = nil, payload: UDPPayload.Kind, datagramsSent: Int, elapsedMs: Double,
        localAddress: String? = nil, localPort: Int? = nil
    ) {
        self.address = address
        self.port = port
        self.family = family
        self.phase = phase
        self.error = error
        self.icmp = icmp
        self.replyBytes = replyBytes
        self.payload = payload
        self.datagramsSent = datagramsSent
        self.elapsedMs = elapsedMs
        self.localAddress = localAddress
        self.localPort = localPort
    }
}

package enum UDPClassifier {
    /// nmap's UDP states, with one refinement: a port-unreachable that does
    /// not come from the destination (a router's or this host's reject rule)
    /// is `filtered`, not `closed`.
    package static func classify(_ e: UDPProbeEvidence) -> (state: PortState, reason: ProbeReason) {
        if e.replyBytes != nil { return (.open, .udpResponse) }
        if let icmp = e.icmp {
            let reason = icmp.reason
            if reason == .portUnreach { return icmp.offender == e.address ? (.closed, reason) : (.filtered, reason) }
            return (EgressClassifier.state(ofICMP: reason), reason)
        }
        if let err = e.error {
            switch err.code {
            case .connectionRefused: return (.closed, .portUnreach)
            case .notPermitted, .permissionDenied: return (.filtered, .localDenied)
            case .noRouteToHost, .hostIsDown: return (.unreachable, .hostUnreach)
            case .networkUnreachable: return (.unreachable, .netUnreach)
            case .invalidArgument: return e.phase == .send ? (.unreachable, .noRoute) : (.error, .error)
            case .timedOut, .protocolNotAvailable, .other: return (.error, .error)
            }
        }
        if e.phase == .deadline { return (.openFiltered, .noResponse) }
        return (.error, .error)
    }
}

/// Everything known about one UDP probe when its cause is decided.
package struct UDPFacts: Sendable {
    package var evidence: UDPProbeEvidence
    package var icmpEcho: ICMPEchoResult
    package var local: LocalEvidence
    package var route: RouteEvidence?
    /// Other probes of the same address drew an answer from the destination itself.
    package var siblingsAnswered: Bool
    /// Where the flow stops on the path, when it was located.
    package var location: PathLocation?

    package init(
        evidence: UDPProbeEvidence, icmpEcho: ICMPEchoResult, local: LocalEvidence? = nil, route: RouteEvidence? = nil,
        siblingsAnswered: Bool = false, location: PathLocation? = nil
    ) {
        self.evidence = evidence
        self.icmpEcho = icmpEcho
        self.local = local ?? LocalEvidence()
        self.route = route
        self.siblingsAnswered = siblingsAnswered
        self.location = location
    }
}

/// Decides the cause of a UDP probe's result. Silence alone never proves an
/// upstream filter: it stays `open|filtered` with candidates unless the
/// host's own verdict or the path location decides.
package enum UDPExplainer {
    package static func diagnose(_ f: UDPFacts) -> (state: PortState, reason: ProbeReason, diagnosis: Diagnosis) {
        let (state, reason) = UDPClassifier.classify(f.evidence)
        var (s, d) = decide(f, state: state, reason: reason)
        d.evidence = probeItems(f, reason: reason) + EgressExplainer.localItems(f.local) + d.evidence
        if s == .openFiltered, d.cause == .localFirewall || d.cause == .upstreamFilter, d.confidence != .unknown { s = .filtered }
        return (s, reason, d)
    }

    static func what(_ e: UDPProbeEvidence) -> String {
        switch e.payload {
        case .dns: return "a DNS query"
        case .ntp: return "an NTP client request"
        case .quic: return "a QUIC packet of an unknown version"
        case .empty: return "an empty datagram"
        }
    }

    static func sentText(_ e: UDPProbeEvidence) -> String {
        "\(what(e)) sent \(e.datagramsSent == 1 ? "once" : "\(e.datagramsSent) times")"
    }

    static func probeItems(_ f: UDPFacts, reason: ProbeReason) -> [EvidenceItem] {
        let e = f.evidence
        var sock = JSONObject([
            ("phase", .string(e.phase.rawValue)), ("elapsed_ms", .double((e.elapsedMs * 10).rounded() / 10)),
            ("datagrams_sent", .int(Int64(e.datagramsSent))), ("payload", .string(e.payload.rawValue)),
        ])
        if let err = e.error { sock["errno"] = .string(err.name) }
        if let n = e.replyBytes { sock["reply_bytes"] = .int(Int64(n)) }
        var items = [
            EvidenceItem(
                .socket, "\(sentText(e)); the socket ended with \(e.error?.name ?? reason.rawValue) after \(EgressExplainer.formatMs(e.elapsedMs)) (\(e.phase.rawValue))",
                data: sock)
        ]
        items += EgressExplainer.answerItems(
            icmp: e.icmp, echo: f.icmpEcho, address: e.address, siblingsAnswered: f.siblingsAnswered)
        if let r = f.route {
            items.append(EvidenceItem(.route, "routing: \(r.label)", data: JSONObject([("route", r.json())])))
        }
        return items
    }

    static func decide(_ f: UDPFacts, state: PortState, reason: ProbeReason) -> (PortState, Diagnosis) {
        let e = f.evidence
        let subject = "UDP/\(e.port) to \(e.address)"
        let ms = EgressExplainer.formatMs(e.elapsedMs)
        let out = EgressExplainer.outbound(f.local)
        let outSure = EgressExplainer.outboundConfidence(f.local, out)
        let hostUp = f.icmpEcho.reachable == true || f.siblingsAnswered

        switch reason {
        case .udpResponse:
            return (state, Diagnosis(
                cause: .none, confidence: .proven,
                explanation: "\(subject): \(what(e)) drew a UDP answer (\(e.replyBytes ?? 0) bytes) in \(ms); nothing blocks it."))

        case .localDenied:
            let errName = e.error?.name ?? "EPERM"
            if let r = f.route, r.refuses {
                return (state, EgressExplainer.routeDiagnosis(r, subject: subject, how: "this host refused to send it (\(errName))"))
            }
            if case .blocks(let v) = out {
                return (state, Diagnosis(
                    cause: .localFirewall, confidence: outSure,
                    explanation: "\(subject): this host refused to send it (\(errName)); \(v.label) \(v.verdict == .drop ? "drops" : "rejects") it. Change that rule."))
            }
            return (state, Diagnosis(
                cause: .localFirewall, confidence: .likely,
                explanation: "\(subject): this host refused to send it (\(errName)): a local output rule drops it, most likely; a cgroup BPF hook or a security module refuse the same way.",
                candidates: [
                    CauseCandidate(.localFirewall, why: "sending a UDP datagram fails with EPERM when a netfilter output rule drops it", tellApart: "hostaudit firewall verdict for this flow; bpftool cgroup tree")
                ]))

        case .noRoute, .netUnreach, .hostUnreach:
            if let icmp = e.icmp, let from = icmp.offender, !icmp.offenderIsLocal {
                if hostUp {
                    return (state, Diagnosis(
                        cause: .upstreamReject, confidence: .proven,
                        explanation: "\(subject): router \(from) answers \(reason) (\(icmp.label), \(ms)), but the host is up (it answers other probes): a filter at \(from) rejects this flow. Ask the operator of \(from) to allow it."))
                }
                return (state, Diagnosis(
                    cause: .unknown, confidence: .unknown,
                    explanation: "\(subject): router \(from) answers \(reason) (\(icmp.label), \(ms)): no route beyond it, the host is down, or a filter there rejects with \(reason).",
                    candidates: [
                        CauseCandidate(.noRoute, why: "\(from) has no route to \(e.address)", tellApart: "traceroute to \(e.address)"),
                        CauseCandidate(.hostDown, why: "\(e.address) may be absent on that router's network", tellApart: "check the host from its own network"),
                        CauseCandidate(.upstreamReject, why: "a filter at \(from) rejecting with \(reason)", tellApart: "probe another port of \(e.address)"),
                    ]))
            }
            if let r = f.route, r.refuses {
                return (state, EgressExplainer.routeDiagnosis(r, subject: subject, how: "this host has no usable route (\(e.error?.name ?? reason.rawValue))"))
            }
            if e.icmp?.offenderIsLocal == true, case .blocks(let v) = out {
                return (state, Diagnosis(
                    cause: .localFirewall, confidence: outSure,
                    explanation: "\(subject): rejected by this host's own firewall (\(v.label)) with \(reason). Change the local output rule."))
            }
            return (state, Diagnosis(
                cause: .noRoute, confidence: e.icmp == nil ? .proven : .likely,
                explanation: "\(subject): this host could not send it (\(e.error?.name ?? reason.rawValue)): no usable route to \(e.address). Check ip route and ip rule."))

        case .synAck, .reset, .noResponse, .dnsFailure, .error, .portUnreach, .protoUnreach, .netProhibited,
            .hostProhibited, .adminProhibited, .fragNeeded, .packetTooBig, .timeExceeded, .paramProblem, .redirect,
            .otherICMP:
            // Decided below: by the ICMP error's sender, or as silence.
            break
        }

        if let icmp = e.icmp, reason != .timeExceeded {
            // The destination's own port-unreachable (also when the destination is this host).
            if reason == .portUnreach && icmp.offender == e.address {
                let closed = CauseCandidate(
                    .closedPort, why: "nothing listens on UDP port \(e.port) at \(e.address)",
                    tellApart: "check on \(e.address) that the service listens (ss -lun)")
                let fw = CauseCandidate(
                    .upstreamReject, why: "the destination's own firewall can reject with port-unreachable (iptables' REJECT default)",
                    tellApart: "check the destination's input rules")
                return (state, Diagnosis(
                    cause: .closedPort, confidence: .likely,
                    explanation: "\(subject): \(e.address) answered ICMP port-unreachable (\(icmp.label), \(ms)): nothing listens on UDP port \(e.port) there, most likely. Left open: a reject rule on the destination answers the same way. Check that the service runs on \(e.address).",
                    candidates: [closed, fw]))
            }
            if icmp.offenderIsLocal {
                if case .blocks(let v) = out {
                    return (state, Diagnosis(
                        cause: .localFirewall, confidence: outSure,
                        explanation: "\(subject): rejected by this host's own firewall (\(v.label)) with \(reason) (\(icmp.label), \(ms)); nothing left the host. Change the local output rule."))
                }
                return (state, Diagnosis(
                    cause: .localFirewall, confidence: .likely,
                    explanation: "\(subject): rejected by this host itself with \(reason) (\(icmp.label) from \(icmp.offender ?? "a local address"), \(ms)): a local reject rule; the verdict did not name it.",
                    candidates: [CauseCandidate(.localFirewall, why: "the ICMP error came from this host's own address", tellApart: "hostaudit egress --trace")]))
            }
            let from = icmp.offender ?? "a router"
            if icmp.offender == e.address {
                // The destination answers for itself: its own firewall, not a router on the way.
                return (state, Diagnosis(
                    cause: .upstreamReject, confidence: .proven,
                    explanation: "\(subject): rejected by the destination itself with \(reason) (\(icmp.label) from \(from), \(ms)): its own firewall refuses the port; the path to it is open. Ask the destination's operator to allow it."))
            }
            return (state, Diagnosis(
                cause: .upstreamReject, confidence: .proven,
                explanation: "\(subject): rejected by \(from) with \(reason) (\(icmp.label), \(ms)): a filter at that router blocks the port. Ask the operator of \(from) to allow it."))
        }

        guard reason == .noResponse else {
            let detail = e.error.map { " (\($0.name): \($0.message))" } ?? ""
            return (state, Diagnosis(cause: .unknown, confidence: .unknown, explanation: "\(subject): the probe ended with \(reason)\(detail); the cause is unknown."))
        }
        return silence(f, state: state, subject: subject, ms: ms, out: out, outSure: outSure, hostUp: hostUp)
    }

    /// No answer: open|filtered unless the host's verdict or the path decides.
    static func silence(
        _ f: UDPFacts, state: PortState, subject: String, ms: String, out: EgressExplainer.Outbound, outSure: Confidence,
        hostUp: Bool
    ) -> (PortState, Diagnosis) {
        let e = f.evidence
        let sent = sentText(e)
        if case .blocks(let v) = out {
            return (state, Diagnosis(
                cause: .localFirewall, confidence: outSure,
                explanation: "\(subject): \(sent), no answer within \(ms); this host's \(v.label) \(v.verdict == .drop ? "drops" : "rejects") it before it leaves. Change that rule."))
        }
        if let b = f.location?.blockedAt, b.confidence != .unknown, b.address != e.address,
            let before = b.beforeHop, f.location?.hops.first(where: { $0.ttl == before })?.isDestination == false
        {
            // A router beyond the last one that saw the flow answered for the other
            // port: the flow provably stops on the path, not at a silent service.
            return (state, Diagnosis(
                cause: .upstreamFilter, confidence: b.confidence,
                explanation: "\(subject): \(sent), no answer within \(ms); the hop-limited probes show the datagram stops on the path before hop \(before), which the other port's probes reach: a filter in the network drops it. Ask that network's operator to allow UDP/\(e.port)."))
        }
        let upstream = CauseCandidate(
            .upstreamFilter, why: "a filter on the path or the destination's own firewall drops the datagram",
            tellApart: "traceroute -U -p \(e.port) \(e.address), or ask the network's operator")
        let silentService = CauseCandidate(
            .none, why: "UDP has no handshake: a service that listens on port \(e.port) but ignores \(what(e)) sends nothing back",
            tellApart: "ask the service with its own client (dig, ntpdate -q, …) or check on \(e.address) that it listens (ss -lun)")
        var open: [String] = []
        var cands = [upstream, silentService]
        switch out {
        case .open(let question, let tell, let mayBlock):
            open.append("not ruled out on this host: \(question)")
            let c = CauseCandidate(.localFirewall, why: question, tellApart: tell)
            if mayBlock { cands.insert(c, at: 0) } else { cands.append(c) }
        case .accepts(let w):
            open.append(w)
        case .blocks:
            break
        }
        if f.icmpEcho.reachable == false && !hostUp {
            cands.append(CauseCandidate(.hostDown, why: "\(e.address) answers neither ICMP echo nor this port", tellApart: "check the host from its own network"))
        }
        return (state, Diagnosis(
            cause: .unknown, confidence: .unknown,
            explanation: "\(subject): \(sent), no answer within \(ms) (open|filtered): a filter and a service that ignores the probe look the same for UDP\(hostUp ? ", and the host is up" : "").\(open.isEmpty ? "" : " " + EgressExplainer.capitalized(open.joined(separator: "; ")) + ".")",
            candidates: cands))
    }
}
