import HostAuditCore
import Testing

/// UDP targets, payloads, nmap's UDP states, and the diagnosis's rule that
/// silence alone is never proof of a filter.
@Suite struct UDPEgressTests {
    @Test(arguments: [
        ("udp://10.0.0.1:53", "10.0.0.1", 53, EgressProtocol.udp),
        ("UDP://ntp.example:123/", "ntp.example", 123, .udp),
        ("10.0.0.1:123/udp", "10.0.0.1", 123, .udp),
        ("[fd66:2::2]:53/UDP", "fd66:2::2", 53, .udp),
        ("10.0.0.1:443/tcp", "10.0.0.1", 443, .tcp),
        ("tcp://10.0.0.1:22", "10.0.0.1", 22, .tcp),
        ("10.0.0.1:443", "10.0.0.1", 443, .tcp),
        ("http://mirror.example/", "mirror.example", 80, .tcp),
    ])
    func parsesTransport(input: String, host: String, port: Int, proto: EgressProtocol) throws {
        let t = try EgressTargetParser.parse(input)
        #expect(t.host == host)
        #expect(t.port == port)
        #expect(t.proto == proto)
    }

    @Test(arguments: [
        ("udp://10.0.0.1", "no default port"),
        ("udp://10.0.0.1:53/path", "without a path"),
        ("10.0.0.1:53/sctp", "not a transport"),
        ("10.0.0.1/udp", "missing port"),
        ("[::1]/udp", "missing port"),
    ])
    func rejectsBadTransport(input: String, reason: String) {
        #expect {
            _ = try EgressTargetParser.parse(input)
        } throws: { e in
            (e as? TargetError)?.reason.contains(reason) == true
        }
    }

    @Test func payloads() {
        let q = UDPPayload.dnsQuery(id: 0x1234)
        #expect(q.count == 17)
        #expect(Array(q[0..<6]) == [0x12, 0x34, 0x01, 0x00, 0x00, 0x01])
        #expect(Array(q[12...]) == [0x00, 0x00, 0x02, 0x00, 0x01])
        let n = UDPPayload.ntpRequest(nonce: 7)
        #expect(n.count == 48)
        #expect(n[0] & 0x07 == 3)  // mode 3, client
        #expect(n[0] >> 3 & 0x07 == 4)  // version 4
        #expect(n[40..<48].contains { $0 != 0 })  // transmit timestamp set
        #expect(UDPPayload.kind(forPort: 53) == .dns)
        #expect(UDPPayload.kind(forPort: 123) == .ntp)
        #expect(UDPPayload.bytes(.empty, id: 1).isEmpty)
        let quic = UDPPayload.quicVersionProbe(nonce: 9)
        #expect(quic.count == 1200)  // a server ignores a shorter Initial
        #expect(quic[0] & 0xC0 == 0xC0)  // long header, fixed bit
        #expect(Array(quic[1..<5]) == [0x1A, 0x2A, 0x3A, 0x4A])  // a reserved version: forces Version Negotiation
        #expect(quic[5] == 8 && quic[14] == 8)  // connection id lengths
        #expect(UDPPayload.kind(forPort: 443) == .quic)
    }

    static let dest = "10.0.4.2"

    static func evidence(
        phase: UDPProbeEvidence.Phase, reply: Int? = nil, icmp: ICMPError? = nil, error: SocketError? = nil
    ) -> UDPProbeEvidence {
        UDPProbeEvidence(
            address: dest, port: 5000, family: "ipv4", phase: phase, error: error, icmp: icmp, replyBytes: reply,
            payload: .empty, datagramsSent: phase == .deadline ? 2 : 1, elapsedMs: 12)
    }

    static func icmp(_ type: Int, _ code: Int, from: String, local: Bool = false) -> ICMPError {
        ICMPError(origin: .icmp, type: type, code: code, offender: from, offenderIsLocal: local)
    }

    static let accepts = LocalEvidence(verdict: LocalVerdict(verdict: .accept))

    @Test func classifiesLikeNmap() {
        #expect(UDPClassifier.classify(Self.evidence(phase: .reply, reply: 30)) == (.open, .udpResponse))
        #expect(UDPClassifier.classify(Self.evidence(phase: .icmp, icmp: Self.icmp(3, 3, from: Self.dest))) == (.closed, .portUnreach))
        // A port-unreachable from a router is its reject rule, not a closed port.
        #expect(UDPClassifier.classify(Self.evidence(phase: .icmp, icmp: Self.icmp(3, 3, from: "10.0.2.1"))) == (.filtered, .portUnreach))
        #expect(UDPClassifier.classify(Self.evidence(phase: .icmp, icmp: Self.icmp(3, 13, from: "10.0.2.1"))) == (.filtered, .adminProhibited))
        #expect(UDPClassifier.classify(Self.evidence(phase: .deadline)) == (.openFiltered, .noResponse))
        #expect(PortState.openFiltered.rawValue == "open|filtered")
    }

    @Test func silenceAloneIsNeverAFilter() {
        let (state, _, d) = UDPExplainer.diagnose(UDPFacts(evidence: Self.evidence(phase: .deadline), icmpEcho: .notTested("x"), local: Self.accepts, siblingsAnswered: true))
        #expect(state == .openFiltered)
        #expect(d.cause == .unknown)
        #expect(d.confidence == .unknown)
        #expect(d.candidates.map(\.cause).starts(with: [.upstreamFilter, .none]))
    }

    @Test func localDropDecidesSilence() {
        let drop = LocalEvidence(verdict: LocalVerdict(verdict: .drop, decidedBy: RuleLocation(family: .inet, table: "t", chain: "out", handle: 3, rule: "udp dport 5000 drop")))
        let (state, _, d) = UDPExplainer.diagnose(UDPFacts(evidence: Self.evidence(phase: .deadline), icmpEcho: .notTested("x"), local: drop))
        #expect(state == .filtered)
        #expect(d.cause == .localFirewall)
        #expect(d.confidence == .proven)
        let eperm = Self.evidence(phase: .send, error: SocketError(number: 1, name: "EPERM", message: "Operation not permitted"))
        let r = UDPExplainer.diagnose(UDPFacts(evidence: eperm, icmpEcho: .notTested("x"), local: drop))
        #expect(r.reason == .localDenied)
        #expect(r.diagnosis.cause == .localFirewall)
    }

    @Test func rejectsAndClosedPorts() {
        let closed = UDPExplainer.diagnose(UDPFacts(evidence: Self.evidence(phase: .icmp, icmp: Self.icmp(3, 3, from: Self.dest)), icmpEcho: .notTested("x"), local: Self.accepts))
        #expect(closed.state == .closed)
        #expect(closed.diagnosis.cause == .closedPort)
        #expect(closed.diagnosis.confidence == .likely)
        // The destination is this host: its port-unreachable is still a closed port, not a local reject.
        var here = Self.evidence(phase: .icmp, icmp: Self.icmp(3, 3, from: Self.dest, local: true))
        here.icmp?.offenderIsLocal = true
        let local = UDPExplainer.diagnose(UDPFacts(evidence: here, icmpEcho: .notTested("x"), local: Self.accepts))
        #expect(local.state == .closed)
        #expect(local.diagnosis.cause == .closedPort)
        let rejected = UDPExplainer.diagnose(UDPFacts(evidence: Self.evidence(phase: .icmp, icmp: Self.icmp(3, 13, from: "10.0.2.1")), icmpEcho: .notTested("x"), local: Self.accepts))
        #expect(rejected.diagnosis.cause == .upstreamReject)
        #expect(rejected.diagnosis.explanation.contains("10.0.2.1"))
    }

    static func hops(_ reached: Int, destination: Bool) -> [Int: HopAnswer] {
        let routers = ["10.0.1.1", "10.0.2.1", "10.0.3.1"]
        var out: [Int: HopAnswer] = [:]
        for t in 1...6 {
            if t <= 3 && t <= reached { out[t] = HopAnswer(.timeExceeded, address: routers[t - 1]) }
            else if t >= 4 && destination { out[t] = HopAnswer(.destination, address: dest) }
            else { out[t] = .silent }
        }
        return out
    }

    /// A UDP flow seen by the last router but not answered by the destination:
    /// a destination firewall and a silent service look the same, so no hop is claimed.
    @Test func udpSilenceAtTheDestinationIsNotLocated() {
        var s = PathProbeSet(
            destination: Self.dest, port: 5000, flow: Self.hops(3, destination: false), contrastPort: 53,
            contrast: Self.hops(3, destination: true), recheck: .init(ttl: 4, flow: .silent, contrast: HopAnswer(.destination, address: Self.dest)), maxTTL: 6)
        #expect(PathAnalysis.locate(s).blockedAt?.confidence == .proven)  // TCP: a SYN is always answered
        s.proto = "udp"
        let l = PathAnalysis.locate(s)
        #expect(l.blockedAt?.confidence == .unknown)
        #expect(l.whereWords == nil)
        let (state, _, d) = UDPExplainer.diagnose(UDPFacts(evidence: Self.evidence(phase: .deadline), icmpEcho: .notTested("x"), local: Self.accepts, location: l))
        #expect(state == .openFiltered)
        #expect(d.cause == .unknown)
    }

    /// Dropped at a middle router: the contrast reaches the next router, so the filter is upstream.
    @Test func udpDropInTheNetworkIsAnUpstreamFilter() {
        var s = PathProbeSet(
            destination: Self.dest, port: 5000, flow: Self.hops(2, destination: false), contrastPort: 53,
            contrast: Self.hops(3, destination: true),
            recheck: .init(ttl: 3, flow: .silent, contrast: HopAnswer(.timeExceeded, address: "10.0.3.1")), maxTTL: 6)
        s.proto = "udp"
        let l = PathAnalysis.locate(s)
        #expect(l.blockedAt?.hop == 2)
        #expect(l.blockedAt?.confidence == .proven)
        #expect(l.whereWords?.hasPrefix("dropped at a router in the network, after your gateway (hop 2, 10.0.2.1") == true, "\(l.whereWords ?? "nil")")
        let (state, _, d) = UDPExplainer.diagnose(UDPFacts(evidence: Self.evidence(phase: .deadline), icmpEcho: .notTested("x"), local: Self.accepts, location: l))
        #expect(state == .filtered)
        #expect(d.cause == .upstreamFilter)
        #expect(d.confidence == .proven)
    }

    /// The seed's words: a drop after the first hop and before the destination.
    @Test func seedCaseWords() {
        let routers = ["10.66.1.1"]
        var flow: [Int: HopAnswer] = [1: HopAnswer(.timeExceeded, address: routers[0])]
        var contrast: [Int: HopAnswer] = [1: HopAnswer(.timeExceeded, address: routers[0])]
        for t in 2...4 {
            flow[t] = .silent
            contrast[t] = HopAnswer(.destination, address: "10.66.2.2")
        }
        let l = PathAnalysis.locate(
            PathProbeSet(
                destination: "10.66.2.2", port: 80, flow: flow, contrastPort: 443, contrast: contrast,
                recheck: .init(ttl: 2, flow: .silent, contrast: HopAnswer(.destination, address: "10.66.2.2")), maxTTL: 4))
        #expect(l.whereWords?.hasPrefix("dropped at the provider's router, after your gateway (hop 1, 10.66.1.1") == true, "\(l.whereWords ?? "nil")")
    }

    @Test func jsonNamesTheProtocol() throws {
        let t = try EgressTargetParser.parse("udp://10.0.4.2:5000")
        let r = EgressProbeResult.fromUDP(target: t, evidence: Self.evidence(phase: .deadline), icmpEcho: .notTested("x"), local: Self.accepts)
        guard case .object(let o) = r.json() else { Issue.record("not an object"); return }
        #expect(o["protocol"] == .string("udp"))
        #expect(o["state"] == .string("open|filtered"))
        #expect(o["syn_retransmits"] == .null)
        guard case .object(let u)? = o["udp"] else { Issue.record("no udp object"); return }
        #expect(u["datagrams_sent"] == .int(2))
    }
}
