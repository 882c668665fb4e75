/// One entry of `probes` in `hostaudit.egress/v1`.
public struct EgressProbeResult: Sendable, Equatable {
    public var target: EgressTarget
    /// Null when the name did not resolve.
    public var address: String?
    public var state: PortState
    public var reason: ProbeReason
    public var elapsedMs: Double?
    package var synRetransmits: Int?
    package var icmpEcho: ICMPEchoResult
    package var localVerdict: LocalVerdict?
    public var cause: EgressCause
    /// How sure `cause` is; `evidence` and `candidates` say why.
    public var confidence: Confidence
    /// The contract's `evidence[]` (named so it does not clash with the socket evidence).
    public var evidenceItems: [EvidenceItem]
    public var candidates: [CauseCandidate]
    /// The route examined for this probe, when routing was looked at.
    package var route: RouteEvidence?
    public var explanation: String
    public var relatedFindings: [String]
    /// The socket evidence (null for a DNS failure).
    package var evidence: TCPProbeEvidence?
    /// Where on the path the flow stops (`hops`, `blocked_at`), when it was located.
    package var location: PathLocation?
    /// The socket evidence of a UDP probe (null for TCP).
    package var udp: UDPProbeEvidence?

    package init(
        target: EgressTarget, address: String?, state: PortState, reason: ProbeReason, elapsedMs: Double?,
        synRetransmits: Int?, icmpEcho: ICMPEchoResult, localVerdict: LocalVerdict?, cause: EgressCause,
        explanation: String, relatedFindings: [String] = [], evidence: TCPProbeEvidence?,
        confidence: Confidence = .unknown, evidenceItems: [EvidenceItem] = [], candidates: [CauseCandidate] = [],
        route: RouteEvidence? = nil
    ) {
        self.confidence = confidence
        self.evidenceItems = evidenceItems
        self.candidates = candidates
        self.route = route
        self.target = target
        self.address = address
        self.state = state
        self.reason = reason
        self.elapsedMs = elapsedMs
        self.synRetransmits = synRetransmits
        self.icmpEcho = icmpEcho
        self.localVerdict = localVerdict
        self.cause = cause
        self.explanation = explanation
        self.relatedFindings = relatedFindings
        self.evidence = evidence
    }

    /// Classifies socket evidence and explains it.
    package static func from(
        target: EgressTarget, evidence: TCPProbeEvidence, icmpEcho: ICMPEchoResult, localVerdict: LocalVerdict? = nil,
        siblingsAnswered: Bool = false, siblingsRejected: Bool = false, selinuxEnforcing: Bool? = nil,
        local: LocalEvidence? = nil, route: RouteEvidence? = nil
    ) -> EgressProbeResult {
        let (state, reason) = EgressClassifier.classify(evidence)
        let facts = EgressFacts(
            evidence: evidence, state: state, reason: reason, icmpEcho: icmpEcho, localVerdict: localVerdict,
            siblingsAnswered: siblingsAnswered, siblingsRejected: siblingsRejected, selinuxEnforcing: selinuxEnforcing,
            local: local, route: route)
        let d = EgressExplainer.diagnose(facts)
        return EgressProbeResult(
            target: target, address: evidence.address, state: state, reason: reason, elapsedMs: evidence.elapsedMs,
            synRetransmits: EgressClassifier.synRetransmits(evidence), icmpEcho: icmpEcho, localVerdict: facts.localVerdict,
            cause: d.cause, explanation: d.explanation, evidence: evidence, confidence: d.confidence,
            evidenceItems: d.evidence, candidates: d.candidates, route: route)
    }

    /// Classifies a UDP probe and explains it, with its path location when it was located.
    package static func fromUDP(
        target: EgressTarget, evidence: UDPProbeEvidence, icmpEcho: ICMPEchoResult, local: LocalEvidence? = nil,
        siblingsAnswered: Bool = false, route: RouteEvidence? = nil, location: PathLocation? = nil
    ) -> EgressProbeResult {
        let facts = UDPFacts(
            evidence: evidence, icmpEcho: icmpEcho, local: local, route: route, siblingsAnswered: siblingsAnswered,
            location: location)
        let (state, reason, d) = UDPExplainer.diagnose(facts)
        var r = EgressProbeResult(
            target: target, address: evidence.address, state: state, reason: reason, elapsedMs: evidence.elapsedMs,
            synRetransmits: nil, icmpEcho: icmpEcho, localVerdict: facts.local.outbound, cause: d.cause,
            explanation: d.explanation, evidence: nil, confidence: d.confidence, evidenceItems: d.evidence,
            candidates: d.candidates, route: route)
        r.udp = evidence
        r.location = location
        if let location { r.explanation += " " + location.sentence }
        return r
    }

    /// The row for a name that resolved to no address.
    package static func dnsFailure(target: EgressTarget, resolution: NameResolution) -> EgressProbeResult {
        // Resolution failed the way every program on the host would see it
        // (the servers glibc asks, in its order): DNS is the cause.
        let items = resolution.servers.map { s in
            EvidenceItem(
                .dns, "\(s.server): \(s.status.rawValue) in \(Int(s.elapsedMs.rounded())) ms",
                data: JSONObject([("server", .string(s.server)), ("status", .string(s.status.rawValue))]))
        } + (resolution.note.map { [EvidenceItem(.dns, $0)] } ?? [])
        return EgressProbeResult(
            target: target, address: nil, state: .error, reason: .dnsFailure,
            elapsedMs: resolution.servers.map(\.elapsedMs).max(), synRetransmits: nil,
            icmpEcho: .notTested("the name has no address"), localVerdict: nil, cause: .dnsFailure,
            explanation: EgressExplainer.dnsFailure(target: target, resolution: resolution), evidence: nil,
            confidence: .proven, evidenceItems: items)
    }

    var isOpen: Bool { state == .open }

    /// The contract's fields in order, then additions (`errno`, `icmp_error`,
    /// `tcp_info`, `icmp_echo`, `reprobed`, `sources`).
    package func json() -> JSONValue {
        var o = JSONObject()
        o["target"] = .string(target.text)
        o["host"] = .string(target.host)
        o["address"] = address.map(JSONValue.string) ?? .null
        o["port"] = .int(Int64(target.port))
        o["protocol"] = .string(target.proto.rawValue)
        o["state"] = .string(state.rawValue)
        o["reason"] = .string(reason.rawValue)
        o["elapsed_ms"] = elapsedMs.map { .int(Int64($0.rounded())) } ?? .null
        o["syn_retransmits"] = synRetransmits.map { .int(Int64($0)) } ?? .null
        o["icmp_reachable"] = icmpEcho.reachable.map(JSONValue.bool) ?? .null
        o["local_verdict"] = localVerdict?.json() ?? .null
        o["cause"] = .string(cause.rawValue)
        o["confidence"] = .string(confidence.rawValue)
        o["evidence"] = .array(evidenceItems.map { $0.json() })
        o["candidates"] = .array(candidates.map { $0.json() })
        o["blocked_at"] = location?.blockedAt?.json() ?? .null
        o["hops"] = .array(location?.hops.map { $0.json() } ?? [])
        o["explanation"] = .string(explanation)
        o["related_findings"] = .array(relatedFindings.map(JSONValue.string))
        // Additions.
        o["errno"] = (evidence?.error ?? udp?.error).map { .string($0.name) } ?? .null
        if let icmp = evidence?.icmp ?? udp?.icmp {
            o["icmp_error"] = .object(
                JSONObject([
                    ("origin", .string(icmp.origin.rawValue)), ("type", .int(Int64(icmp.type))), ("code", .int(Int64(icmp.code))),
                    ("offender", icmp.offender.map(JSONValue.string) ?? .null), ("offender_is_local", .bool(icmp.offenderIsLocal)),
                ]))
        } else {
            o["icmp_error"] = .null
        }
        if let ti = evidence?.tcpInfo {
            o["tcp_info"] = .object(
                JSONObject([
                    ("state", .string(ti.state.name)), ("retransmits", .int(Int64(ti.retransmits))),
                    ("total_retrans", .int(Int64(ti.totalRetrans))), ("rto_ms", .int(Int64(ti.rtoMs))),
                ]))
        } else {
            o["tcp_info"] = .null
        }
        o["icmp_echo"] = .object(
            JSONObject([
                ("method", icmpEcho.method.map(JSONValue.string) ?? .null),
                ("rtt_ms", icmpEcho.rttMs.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
                ("detail", icmpEcho.detail.map(JSONValue.string) ?? .null),
            ]))
        o["reprobed"] = .bool(evidence?.reprobed ?? false)
        o["route"] = route?.json() ?? .null
        o["sources"] = .array(target.origins.map { .string($0.description) })
        if let u = udp {
            o["udp"] = .object(
                JSONObject([
                    ("payload", .string(u.payload.rawValue)), ("datagrams_sent", .int(Int64(u.datagramsSent))),
                    ("reply_bytes", u.replyBytes.map { .int(Int64($0)) } ?? .null),
                    ("local_port", u.localPort.map { .int(Int64($0)) } ?? .null),
                ]))
        }
        o["path"] = location.map { l in
            .object(
                JSONObject([
                    ("summary", .string(l.summary)), ("contrast_port", l.contrastPort.map { .int(Int64($0)) } ?? .null),
                ]))
        } ?? .null
        return .object(o)
    }
}

/// A complete `hostaudit.egress/v1` document.
public struct EgressDocument: Sendable, Equatable {
    public static let schema = "hostaudit.egress/v1"

    public var probes: [EgressProbeResult]
    /// How each target name resolved, per name server (an addition to the contract).
    public var resolutions: [NameResolution]
    /// Lines of package-source files that gave no target (an addition).
    public var problems: [FileProblem]
    /// The name servers the lookups asked, each probed as 53/udp (an addition;
    /// not counted in the exit status).
    public var nameServers: [EgressProbeResult] = []

    public init(probes: [EgressProbeResult], resolutions: [NameResolution] = [], problems: [FileProblem] = []) {
        self.probes = probes
        self.resolutions = resolutions
        self.problems = problems
    }

    /// Every target open.
    public var allOpen: Bool { !probes.isEmpty && probes.allSatisfy(\.isOpen) }

    public func json() -> JSONValue {
        .object(
            JSONObject([
                ("schema", .string(Self.schema)),
                ("probes", .array(probes.map { $0.json() })),
                ("dns", .array(resolutions.map { $0.json() })),
                ("problems", .array(problems.map { JSONValueEncoder().encodeValue($0) })),
                ("name_servers", .array(nameServers.map { $0.json() })),
            ]))
    }
}
