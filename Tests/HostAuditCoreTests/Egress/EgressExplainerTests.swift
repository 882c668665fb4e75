import HostAuditCore
import Testing

/// Classification and explanation from evidence alone, and the refinement a
/// static local verdict brings (the verdict layer plugs in through `LocalVerdictSource`).
@Suite struct EgressExplainerTests {
    let target = EgressTarget(text: "mirror.example:80", host: "mirror.example", hostKind: .name, port: 80)

    func evidence(
        phase: TCPProbeEvidence.Phase = .poll, error: String? = nil, icmp: ICMPError? = nil, state: TCPState = .synSent,
        retrans: Int = 0, ms: Double = 0.2
    ) -> TCPProbeEvidence {
        TCPProbeEvidence(
            address: "192.0.2.10", port: 80, family: "ipv4", phase: phase,
            error: error.map { SocketError(number: 1, name: $0, message: $0) }, icmp: icmp,
            tcpInfo: TCPInfoSnapshot(state: state, retransmits: retrans, totalRetrans: retrans, rtoMs: 1000), elapsedMs: ms)
    }

    let echoYes = ICMPEchoResult(reachable: true, method: "raw", rttMs: 0.1)
    let echoNo = ICMPEchoResult(reachable: false, method: "raw", detail: "no echo reply")
    let echoUntested = ICMPEchoResult.notTested("no ping socket")

    func result(_ e: TCPProbeEvidence, echo: ICMPEchoResult? = nil, verdict: LocalVerdict? = nil, siblings: Bool = false)
        -> EgressProbeResult
    {
        .from(target: target, evidence: e, icmpEcho: echo ?? echoYes, localVerdict: verdict, siblingsAnswered: siblings)
    }

    @Test func open() {
        let r = result(evidence(state: .established))
        #expect((r.state, r.reason, r.cause) == (.open, .synAck, .none))
        let closeWait = result(evidence(state: .closeWait))
        #expect(closeWait.state == .open)
        // SO_ERROR set: never open, whatever the state says.
        #expect(result(evidence(error: "ECONNREFUSED", state: .established)).state == .closed)
    }

    @Test func resetIsClosedUntilAVerdictSaysLocal() {
        let e = evidence(error: "ECONNREFUSED", state: .close)
        let alone = result(e)
        // Rules not read: a closed port, a local reset rule and a forged reset are all open.
        #expect((alone.state, alone.reason, alone.cause, alone.confidence) == (.closed, .reset, .unknown, .unknown))
        #expect(alone.explanation.contains("reject with tcp reset"))
        #expect(alone.candidates.map(\.cause) == [.closedPort, .localFirewall, .upstreamReject])
        let accepted = result(e, verdict: LocalVerdict(verdict: .accept, hook: "output"))
        #expect((accepted.cause, accepted.confidence) == (.closedPort, .likely))
        #expect(accepted.explanation.contains("forged reset"))
        let v = LocalVerdict(verdict: .reject, hook: "output", decidedBy: RuleLocation(family: .inet, table: "filter", chain: "output", handle: 7, rule: "tcp dport 80 reject with tcp reset"))
        let local = result(e, verdict: v)
        #expect(local.cause == .localFirewall && local.confidence == .proven)
        #expect(local.explanation.contains("handle 7") && local.explanation.contains("not by a closed port"))
    }

    @Test func icmpPortUnreachableIsFilteredNotClosed() {
        let icmp = ICMPError(origin: .icmp, type: 3, code: 3, offender: "198.51.100.1", offenderIsLocal: false)
        let r = result(evidence(error: "ECONNREFUSED", icmp: icmp))
        #expect((r.state, r.reason, r.cause) == (.filtered, .portUnreach, .upstreamReject))
        #expect(r.explanation.contains("198.51.100.1"))
    }

    @Test func localOffenderMeansLocalFirewall() {
        let icmp = ICMPError(origin: .icmp, type: 3, code: 13, offender: "10.0.0.5", offenderIsLocal: true)
        let r = result(evidence(error: "EHOSTUNREACH", icmp: icmp))
        #expect((r.state, r.reason, r.cause) == (.filtered, .adminProhibited, .localFirewall))
    }

    @Test func silence() {
        let e = evidence(phase: .deadline, retrans: 2, ms: 2001)
        // Host up, local rules not read: never a confident upstream.
        let up = result(e)
        #expect((up.state, up.reason, up.cause, up.confidence) == (.filtered, .noResponse, .ambiguous, .unknown))
        #expect(up.explanation.contains("SYN retransmitted 2 times") && up.explanation.contains("not read"))
        #expect(Set(up.candidates.map(\.cause)) == [.upstreamFilter, .localFirewall])
        #expect(up.synRetransmits == 2)
        #expect(result(e, echo: echoNo).cause == .unknown)
        #expect(result(e, echo: echoUntested).explanation.contains("not tested"))
        #expect(result(e, echo: echoNo, siblings: true).cause == .ambiguous)
        let drop = LocalVerdict(verdict: .drop, hook: "output", decidedBy: RuleLocation(family: .ip, table: "labclient", chain: "output", handle: 2, rule: "tcp dport 80 drop"))
        let local = result(e, verdict: drop)
        #expect(local.cause == .localFirewall && local.explanation.contains("tcp dport 80 drop"))
        let accept = LocalVerdict(verdict: .accept, hook: "output", decidedBy: RuleLocation(family: .inet, table: "filter", chain: "output", handle: nil, rule: "policy accept"))
        let confirmed = result(e, verdict: accept)
        // Outbound accepted, the reply path not evaluated: likely, with the open question named.
        #expect(confirmed.cause == .upstreamFilter && confirmed.confidence == .likely)
        #expect(confirmed.explanation.contains("No local rule drops it") && confirmed.explanation.contains("Left open"))
        let both = EgressProbeResult.from(
            target: target, evidence: e, icmpEcho: echoYes, local: LocalEvidence(outbound: accept, reply: .noRules))
        #expect((both.cause, both.confidence) == (.upstreamFilter, .proven))
        // A legacy OUTPUT DROP the verdict cannot see: not upstream with confidence.
        let legacy = LocalBlindSpot(
            kind: .legacyTables, detail: "the legacy table filter has a DROP in OUTPUT", mayBlock: true, tellApart: "iptables-legacy-save -c")
        let blind = EgressProbeResult.from(
            target: target, evidence: e, icmpEcho: echoYes, local: LocalEvidence(outbound: accept, reply: .noRules, blindSpots: [legacy]))
        #expect(blind.confidence == .unknown && blind.cause != .upstreamFilter)
        #expect(blind.candidates.first?.cause == .localFirewall && blind.candidates.first?.tellApart.contains("iptables-legacy-save") == true)
        // A trace with no terminal verdict is no accept.
        let noVerdict = LocalVerdict(verdict: .unknown, traced: true, notes: ["no verdict seen; legacy tables and anything before priority -400 are invisible to the trace"])
        let traced = result(e, verdict: noVerdict)
        #expect(traced.confidence == .unknown && traced.cause != .upstreamFilter && traced.explanation.contains("no verdict seen"))
        // A reply-path drop names the input rule.
        let inputDrop = LocalVerdict(verdict: .drop, hook: "input", decidedBy: RuleLocation(family: .inet, table: "filter", chain: "input", handle: 4, rule: "tcp sport 80 drop"))
        let replyDrop = EgressProbeResult.from(
            target: target, evidence: e, icmpEcho: echoYes, local: LocalEvidence(outbound: accept, reply: .verdict(inputDrop)))
        // Without a counter that rose with the answer it is likely (the answer may not even arrive).
        #expect((replyDrop.cause, replyDrop.confidence) == (.localFirewall, .likely) && replyDrop.explanation.contains("handle 4"))
        #expect(replyDrop.candidates.map(\.cause) == [.localFirewall, .upstreamFilter])
        // With the rule's counter rising by the answers: proven.
        func witness(_ strength: CounterWitness.Strength, delta: UInt64) -> CounterWitness {
            CounterWitness(
                direction: .reply, table: "inet filter", chain: "input", handle: 4, legacy: false, deltaPackets: delta,
                probePackets: nil, batchPackets: nil, strength: strength, verdict: .drop, rule: "tcp sport 80 drop")
        }
        let counted = EgressProbeResult.from(
            target: target, evidence: e, icmpEcho: echoYes,
            local: LocalEvidence(outbound: accept, reply: .verdict(inputDrop), witnesses: [witness(.consistent, delta: 2)]))
        #expect((counted.cause, counted.confidence) == (.localFirewall, .proven) && counted.candidates.isEmpty)
        #expect(counted.explanation.contains("inet filter input, handle 4") && counted.explanation.contains("rose by 2 packets"))
        // A counter that did not rise: still the rule the answer meets, but only likely.
        let silent = EgressProbeResult.from(
            target: target, evidence: e, icmpEcho: echoYes,
            local: LocalEvidence(outbound: accept, reply: .verdict(inputDrop), witnesses: [witness(.absent, delta: 0)]))
        #expect((silent.cause, silent.confidence) == (.localFirewall, .likely) && silent.explanation.contains("did not rise"))
        // An outbound drop whose own counter did not rise is contradicted: likely, not proven.
        var outDrop = drop
        outDrop.witnesses = [
            CounterWitness(
                direction: .out, table: "ip labclient", chain: "output", handle: 2, legacy: false, deltaPackets: 0,
                probePackets: 3, batchPackets: 3, strength: .absent, verdict: .drop, rule: "tcp dport 80 drop")
        ]
        #expect(result(e, verdict: outDrop).confidence == .likely)
        outDrop.witnesses[0].deltaPackets = 3
        outDrop.witnesses[0].strength = .exact
        #expect(result(e, verdict: outDrop).confidence == .proven)
        // ETIMEDOUT from the kernel (TCP_USER_TIMEOUT) is the same silence.
        #expect(result(evidence(error: "ETIMEDOUT", retrans: 1)).reason == .noResponse)
    }

    @Test func localErrors() {
        let noRoute = result(evidence(phase: .connect, error: "ENETUNREACH"))
        #expect((noRoute.state, noRoute.reason, noRoute.cause) == (.unreachable, .netUnreach, .noRoute))
        let denied = result(evidence(phase: .connect, error: "EPERM"))
        #expect((denied.state, denied.reason, denied.cause) == (.filtered, .localDenied, .localFirewall))
        let eacces = result(evidence(phase: .connect, error: "EACCES"))
        #expect(eacces.cause == .localFirewall && eacces.confidence == .likely && eacces.candidates.contains { $0.cause == .noRoute })
        let prohibit = EgressProbeResult.from(
            target: target, evidence: evidence(phase: .connect, error: "EACCES"), icmpEcho: echoYes,
            route: RouteEvidence(kind: .prohibit, route: "prohibit 192.0.2.0/24 table main"))
        #expect((prohibit.cause, prohibit.confidence) == (.noRoute, .proven) && prohibit.explanation.contains("prohibit 192.0.2.0/24"))
        let blackhole = result(evidence(phase: .connect, error: "EINVAL"))
        #expect((blackhole.reason, blackhole.cause) == (.noRoute, .noRoute))
        let unreachableRoute = result(evidence(phase: .connect, error: "EHOSTUNREACH"))
        #expect((unreachableRoute.reason, unreachableRoute.cause) == (.hostUnreach, .noRoute))
    }

    @Test func routerErrors() {
        let net = ICMPError(origin: .icmp, type: 3, code: 0, offender: "198.51.100.1", offenderIsLocal: false)
        #expect(result(evidence(error: "ENETUNREACH", icmp: net), echo: echoNo).cause == .noRoute)
        // The host answers ping: a router's net-unreachable for this port is a filter.
        let netUp = result(evidence(error: "ENETUNREACH", icmp: net), echo: echoYes)
        #expect((netUp.cause, netUp.confidence) == (.upstreamReject, .proven) && netUp.explanation.contains("198.51.100.1"))
        let host = ICMPError(origin: .icmp, type: 3, code: 1, offender: "198.51.100.1", offenderIsLocal: false)
        let down = result(evidence(error: "EHOSTUNREACH", icmp: host, ms: 3060), echo: echoNo)
        #expect((down.state, down.reason, down.cause, down.confidence) == (.unreachable, .hostUnreach, .hostDown, .likely))
        let fast = result(evidence(error: "EHOSTUNREACH", icmp: host, ms: 2), echo: echoNo)
        #expect((fast.cause, fast.confidence) == (.upstreamReject, .likely))
        let pingable = result(evidence(error: "EHOSTUNREACH", icmp: host, ms: 3060), echo: echoYes)
        #expect((pingable.cause, pingable.confidence) == (.upstreamReject, .proven))
        let ttl = ICMPError(origin: .icmp, type: 11, code: 0, offender: "198.51.100.9", offenderIsLocal: false)
        #expect(result(evidence(error: "EHOSTUNREACH", icmp: ttl)).reason == .timeExceeded)
    }

    @Test(arguments: [
        ("icmp", 3, 0, "net-unreach"), ("icmp", 3, 1, "host-unreach"), ("icmp", 3, 2, "proto-unreach"),
        ("icmp", 3, 3, "port-unreach"), ("icmp", 3, 9, "net-prohibited"), ("icmp", 3, 10, "host-prohibited"),
        ("icmp", 3, 13, "admin-prohibited"), ("icmp", 11, 0, "time-exceeded"), ("icmp6", 1, 0, "net-unreach"),
        ("icmp6", 1, 1, "admin-prohibited"), ("icmp6", 1, 3, "host-unreach"), ("icmp6", 1, 4, "port-unreach"),
        ("icmp6", 3, 0, "time-exceeded"),
    ])
    func nmapReasonWords(origin: String, type: Int, code: Int, word: String) throws {
        let origin = try #require(ICMPError.Origin(rawValue: origin))
        #expect(ICMPError.reason(origin: origin, type: type, code: code).rawValue == word)
    }

    @Test func dnsFailureRowAndJSONShape() {
        let res = NameResolution(
            name: "mirror.example",
            servers: [
                DNSServerResult(server: "192.0.2.53", queries: [DNSQueryResult(type: "A", status: .timeout, elapsedMs: 1000)]),
                DNSServerResult(server: "192.0.2.54", queries: [DNSQueryResult(type: "A", status: .nxdomain, rcode: 3, elapsedMs: 1)]),
            ])
        let r = EgressProbeResult.dnsFailure(target: target, resolution: res)
        #expect((r.state, r.reason, r.cause) == (.error, .dnsFailure, .dnsFailure))
        #expect(r.explanation.contains("192.0.2.53 did not answer") && r.explanation.contains("NXDOMAIN"))
        let json = EgressDocument(probes: [r], resolutions: [res]).json()
        #expect(json.objectValue?.keys.first == "schema")
        let p = json["probes"]?[0]?.objectValue
        let contractKeys = [
            "target", "host", "address", "port", "protocol", "state", "reason", "elapsed_ms", "syn_retransmits",
            "icmp_reachable", "local_verdict", "cause", "confidence", "evidence", "candidates", "blocked_at", "hops",
            "explanation", "related_findings",
        ]
        #expect(Array(p?.keys.prefix(contractKeys.count) ?? []) == contractKeys)
        #expect(p?["address"] == .null && p?["local_verdict"] == .null && p?["icmp_reachable"] == .null)
        #expect(json["dns"]?[0]?["servers"]?[1]?["status"] == "nxdomain")
    }

    @Test func textIsEscaped() {
        var t = target
        t.text = "evil\u{1b}[2J.example:80"
        let r = EgressProbeResult.from(target: t, evidence: evidence(state: .established), icmpEcho: echoYes)
        let text = EgressTextRenderer().render(EgressDocument(probes: [r]))
        #expect(!text.contains("\u{1b}"))
        #expect(text.contains("1 of 1 target open"))
    }
}
