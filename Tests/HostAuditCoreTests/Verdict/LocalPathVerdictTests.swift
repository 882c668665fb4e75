import HostAuditCore
import Testing

/// The whole local path on hand-built models: legacy x_tables at their hooks,
/// the answer's way back in, counter witnesses, and the explainer's use of them.
@Suite struct LocalPathVerdictTests {
    static let r1 = Register(1)

    static func flow(sport: UInt16? = 40000, oif: String? = "eth0") -> VerdictFlow {
        VerdictFlow(
            destination: IPAddress("192.0.2.10")!, destinationPort: 80, source: IPAddress("10.0.0.9"),
            sourcePort: sport, outputInterface: oif, outputInterfaceIndex: 2, uid: 0, gid: 0, mark: 0)
    }

    static func legacy(_ chains: [IptablesChain]) -> RulesetSnapshot {
        RulesetSnapshot(
            generation: 1, legacyTables: [.ip: ["filter"]], legacy: [IptablesTable(family: .ip, name: "filter", chains: chains)])
    }

    /// `-p tcp -m tcp --sport 1024:65535 --dport 80` as the kernel stores it.
    static func sportRule(_ target: IptablesRule.Target) -> IptablesRule {
        var r = IptablesRule()
        r.proto = 6
        // struct xt_tcp: spts[2], dpts[2], option, flg_mask, flg_cmp, invflags.
        let info: [UInt8] = [0x00, 0x04, 0xff, 0xff, 80, 0, 80, 0, 0, 0, 0, 0]
        r.matches = [XTMatch.decode(name: "tcp", revision: 0, info: info, family: .ip)]
        r.raw.matches = [Expression.XT(name: "tcp", revision: 0, info: info)]
        r.target = target
        return r
    }

    @Test func legacyOutputRuleIsDecidedWithTheSourcePort() throws {
        let s = Self.legacy([
            IptablesChain(name: "INPUT", policy: "ACCEPT"), IptablesChain(name: "OUTPUT", policy: "ACCEPT", rules: [Self.sportRule(.drop)]),
        ])
        let ev = VerdictEvaluator(snapshot: s)
        let r = ev.evaluate(Self.flow())
        #expect(r.verdict == .drop)
        let d = try #require(r.decidedBy)
        #expect(d.isLegacy && d.table == "filter" && d.chain == "OUTPUT" && d.handle == 1)
        #expect(d.rule.contains("--sport 1024:65535"))
        // Without the port the rule may or may not match: unknown, never a guess.
        #expect(ev.evaluate(Self.flow(sport: nil)).verdict == .unknown)
        #expect(ev.evaluate(Self.flow(sport: 1000)).verdict == .accept)
    }

    @Test func legacyPolicyAndInterfaceMaskAreByteExact() {
        var r = IptablesRule()
        r.outInterface = "eth+"
        r.raw.outName = Array("eth".utf8) + [UInt8](repeating: 0, count: 13)
        r.raw.outMask = [0xff, 0xff, 0xff] + [UInt8](repeating: 0, count: 13)
        r.target = .accept
        let s = Self.legacy([IptablesChain(name: "OUTPUT", policy: "DROP", rules: [r])])
        let ev = VerdictEvaluator(snapshot: s)
        #expect(ev.evaluate(Self.flow(oif: "eth0")).verdict == .accept)
        let other = ev.evaluate(Self.flow(oif: "wlan0"))
        #expect(other.verdict == .drop)
        #expect(other.decidedBy?.rule == "-P OUTPUT DROP")
    }

    @Test func answersRunPreroutingAndInputAsEstablished() throws {
        // inet filter input: tcp sport 80 drop (handle 5); policy accept.
        let sport80Drop: [Expression] = [
            .meta(.init(key: 16, dreg: Self.r1)), .cmp(.init(sreg: Self.r1, op: .eq, data: [6])),
            .payload(.init(base: 2, offset: 0, length: 2, dreg: Self.r1)), .cmp(.init(sreg: Self.r1, op: .eq, data: [0, 80])),
            .immediate(.init(dreg: .verdict, verdict: .drop)),
        ]
        let input = Chain(
            family: .inet, table: "f", name: "input", handle: 1,
            base: BaseChain(hook: .input, priority: 0, policy: .accept, type: "filter"),
            rules: [Rule(family: .inet, table: "f", chain: "input", handle: 5, expressions: sport80Drop)])
        let s = RulesetSnapshot(generation: 1, tables: [Table(family: .inet, name: "f", handle: 1, chains: [input])])
        let ev = VerdictEvaluator(snapshot: s)
        #expect(ev.evaluate(Self.flow()).verdict == .accept)
        let synAck = ev.evaluateReply(Self.flow(), kind: .synAck)
        #expect(synAck.verdict == .drop)
        #expect(synAck.decidedBy?.handle == 5 && synAck.decidedBy?.chain == "input")
        #expect(synAck.path.last?.hook == .input)
        // An ICMP error is not TCP: the rule does not take it.
        #expect(ev.evaluateReply(Self.flow(), kind: .icmpError).verdict == .accept)
    }

    @Test func inputPolicyDropWithEstablishedAcceptLetsAnswersIn() {
        // ct state established,related accept; policy drop.
        let ctAccept: [Expression] = [
            .ct(.init(key: 0, dreg: Self.r1)),
            .bitwise(.init(sreg: Self.r1, dreg: Self.r1, length: 4, mask: [6, 0, 0, 0], xor: [0, 0, 0, 0])),
            .cmp(.init(sreg: Self.r1, op: .neq, data: [0, 0, 0, 0])), .immediate(.init(dreg: .verdict, verdict: .accept)),
        ]
        func snapshot(_ rules: [[Expression]]) -> RulesetSnapshot {
            let input = Chain(
                family: .ip, table: "f", name: "input", handle: 1,
                base: BaseChain(hook: .input, priority: 0, policy: .drop, type: "filter"),
                rules: rules.enumerated().map { Rule(family: .ip, table: "f", chain: "input", handle: UInt64(2 + $0.offset), expressions: $0.element) })
            return RulesetSnapshot(generation: 1, tables: [Table(family: .ip, name: "f", handle: 1, chains: [input])])
        }
        let open = VerdictEvaluator(snapshot: snapshot([ctAccept]))
        for kind in ReplyKind.allCases { #expect(open.evaluateReply(Self.flow(), kind: kind).verdict == .accept) }
        let closed = VerdictEvaluator(snapshot: snapshot([]))
        let r = closed.evaluateReply(Self.flow(), kind: .synAck)
        #expect(r.verdict == .drop && r.decidedBy?.handle == nil && r.decidedBy?.rule == "policy drop")
    }

    @Test func legacyInputDropOfTheAnswer() {
        var r = IptablesRule()
        r.proto = 6
        // struct xt_tcp with --sport 80 (the answer's source port).
        let info: [UInt8] = [80, 0, 80, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]
        r.matches = [XTMatch.decode(name: "tcp", revision: 0, info: info, family: .ip)]
        r.raw.matches = [Expression.XT(name: "tcp", revision: 0, info: info)]
        r.target = .drop
        let s = Self.legacy([IptablesChain(name: "INPUT", policy: "ACCEPT", rules: [r]), IptablesChain(name: "OUTPUT", policy: "ACCEPT")])
        let ev = VerdictEvaluator(snapshot: s)
        #expect(ev.evaluate(Self.flow()).verdict == .accept)
        let reply = ev.evaluateReply(Self.flow(), kind: .synAck)
        #expect(reply.verdict == .drop && reply.decidedBy?.isLegacy == true && reply.decidedBy?.chain == "INPUT")
    }

    @Test func counterWitnessStrength() {
        #expect(CounterWitness.strength(delta: 0, mine: 3, batch: 3) == .absent)
        #expect(CounterWitness.strength(delta: 3, mine: 3, batch: 3) == .exact)
        #expect(CounterWitness.strength(delta: 5, mine: 3, batch: 9) == .consistent)
        #expect(CounterWitness.strength(delta: 10, mine: 3, batch: 9) == .noisy)
        #expect(CounterWitness.strength(delta: 2, mine: nil, batch: nil) == .consistent)
    }

    @Test func explainerBlamesTheInputRuleThatDropsTheSynAck() {
        let e = TCPProbeEvidence(
            address: "192.0.2.10", port: 80, family: "ipv4", phase: .deadline,
            tcpInfo: TCPInfoSnapshot(state: .synSent, retransmits: 2, totalRetrans: 2, rtoMs: 1000), elapsedMs: 2000)
        let target = EgressTarget(text: "192.0.2.10:80", host: "192.0.2.10", hostKind: .ipv4, port: 80)
        var v = LocalVerdict(verdict: .accept, hook: "postrouting", decidedBy: RuleLocation(family: .inet, table: "f", chain: "output", handle: nil, rule: "policy accept"))
        let echo = ICMPEchoResult(reachable: true, method: "raw", rttMs: 0.1)
        // Only the ICMP error dropped: no blame, the silence is upstream's.
        v.replies = [
            ReplyVerdict(kind: .icmpError, verdict: LocalVerdict(verdict: .drop, hook: "input", decidedBy: RuleLocation(family: .inet, table: "f", chain: "input", handle: 9, rule: "meta l4proto icmp drop")))
        ]
        #expect(EgressProbeResult.from(target: target, evidence: e, icmpEcho: echo, localVerdict: v).cause == .upstreamFilter)
        v.replies.append(
            ReplyVerdict(kind: .synAck, verdict: LocalVerdict(verdict: .drop, hook: "input", decidedBy: RuleLocation(family: .inet, table: "f", chain: "input", handle: 5, rule: "tcp sport 80 drop"))))
        let r = EgressProbeResult.from(target: target, evidence: e, icmpEcho: echo, localVerdict: v)
        #expect(r.cause == .localFirewall)
        #expect(r.explanation.contains("tcp sport 80 drop") && r.explanation.contains("handle 5"))
    }

    // MARK: - fib on the answer's way in

    /// `fib saddr . iif oif missing drop` (reverse-path filter) in prerouting,
    /// as nft encodes it without (`cmp eq 0` on the 4-byte oif) or with the
    /// `present` flag (one byte).
    static func rpfilter(present: Bool) -> RulesetSnapshot {
        let fib: [Expression] = [
            .fib(.init(dreg: Self.r1, result: 1, flags: 1 | 8 | (present ? 32 : 0))),
            .cmp(.init(sreg: Self.r1, op: .eq, data: present ? [0] : [0, 0, 0, 0])), .immediate(.init(dreg: .verdict, verdict: .drop)),
        ]
        let pre = Chain(
            family: .inet, table: "f", name: "pre", handle: 1,
            base: BaseChain(hook: .prerouting, priority: -150, policy: .accept, type: "filter"),
            rules: [Rule(family: .inet, table: "f", chain: "pre", handle: 7, expressions: fib)])
        return RulesetSnapshot(generation: 1, tables: [Table(family: .inet, name: "f", handle: 1, chains: [pre])])
    }

    static func withRoute(type: String, index: UInt32, name: String) -> LocalKnowledge {
        var k = LocalKnowledge(localAddresses: [IPAddress("10.0.0.9")!], isComplete: true)
        k.peerRoute = .init(peer: IPAddress("192.0.2.10")!, type: type, outputInterfaceIndex: index, outputInterface: name)
        return k
    }

    @Test(arguments: [false, true])
    func reversePathFilterOnTheAnswer(present: Bool) {
        let ev = VerdictEvaluator(snapshot: Self.rpfilter(present: present))
        // The SYN leaves: fib on the answer's hooks does not touch it.
        #expect(ev.evaluate(Self.flow()).verdict == .accept)
        // Without the route back to the peer the lookup's result is unknown.
        #expect(ev.evaluateReply(Self.flow(), kind: .synAck).verdict == .unknown)
        // The route back leaves through eth0 (index 2), where the answer arrives: it passes.
        let ok = ev.evaluateReply(Self.flow(), kind: .synAck, local: Self.withRoute(type: "unicast", index: 2, name: "eth0"))
        #expect(ok.verdict == .accept)
        // No route back (unreachable): the lookup finds nothing and the rule drops the answer.
        let dropped = ev.evaluateReply(Self.flow(), kind: .synAck, local: Self.withRoute(type: "unreachable", index: 0, name: ""))
        #expect(dropped.verdict == .drop && dropped.decidedBy?.handle == 7 && dropped.decidedBy?.chain == "pre")
        // The route names another device: a multipath route may still include eth0, so unknown, not drop.
        let other = ev.evaluateReply(Self.flow(), kind: .synAck, local: Self.withRoute(type: "unicast", index: 3, name: "eth1"))
        #expect(other.verdict == .unknown)
        // A route to another peer says nothing about this one.
        var elsewhere = Self.withRoute(type: "unicast", index: 2, name: "eth0")
        elsewhere.peerRoute?.peer = IPAddress("192.0.2.99")!
        #expect(ev.evaluateReply(Self.flow(), kind: .synAck, local: elsewhere).verdict == .unknown)
    }

    @Test func fibDaddrTypeLocalOnTheAnswer() {
        // input: fib daddr type local accept; policy drop.
        let fib: [Expression] = [
            .fib(.init(dreg: Self.r1, result: 3, flags: 2)),
            .cmp(.init(sreg: Self.r1, op: .eq, data: [2, 0, 0, 0])), .immediate(.init(dreg: .verdict, verdict: .accept)),
        ]
        let input = Chain(
            family: .ip, table: "f", name: "input", handle: 1, base: BaseChain(hook: .input, priority: 0, policy: .drop, type: "filter"),
            rules: [Rule(family: .ip, table: "f", chain: "input", handle: 3, expressions: fib)])
        let ev = VerdictEvaluator(snapshot: RulesetSnapshot(generation: 1, tables: [Table(family: .ip, name: "f", handle: 1, chains: [input])]))
        // The answer is addressed to 10.0.0.9, one of the host's addresses: local, accepted.
        let known = LocalKnowledge(localAddresses: [IPAddress("10.0.0.9")!], isComplete: true)
        let r = ev.evaluateReply(Self.flow(), kind: .synAck, local: known)
        #expect(r.verdict == .accept && r.decidedBy?.handle == 3)
        // Without the host's addresses: unknown.
        #expect(ev.evaluateReply(Self.flow(), kind: .synAck).verdict == .unknown)
    }
}
