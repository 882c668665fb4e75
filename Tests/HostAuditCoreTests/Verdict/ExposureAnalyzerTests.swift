import Testing

@testable import HostAuditCore

/// The exposure classification on a ruleset built in memory (the namespace
/// lab, ExposureLabTests, checks it against the real kernel).
@Suite struct ExposureAnalyzerTests {
    static let r1 = Register(1)
    static func saddr() -> Expression { .payload(.init(base: 1, offset: 12, length: 4, dreg: r1)) }
    static func dport(_ p: UInt16) -> [Expression] {
        [.payload(.init(base: 2, offset: 2, length: 2, dreg: r1)), .cmp(.init(sreg: r1, op: .eq, data: [UInt8(p >> 8), UInt8(p & 0xff)]))]
    }
    static let accept = Expression.immediate(.init(dreg: Register(0), verdict: .accept))
    static let drop = Expression.immediate(.init(dreg: Register(0), verdict: .drop))

    /// input policy drop: 22 from 10.0.0.0/8, 8443 from @allowed (one address, one interval),
    /// 6379 from anywhere, 53/udp from anywhere; `iif lo accept` first.
    static func analyzer(policy: ChainPolicy = .drop) -> ExposureAnalyzer {
        let lo: [Expression] = [
            .meta(.init(key: 6, dreg: r1)), .cmp(.init(sreg: r1, op: .eq, data: Array("lo".utf8) + [UInt8](repeating: 0, count: 14))), accept,
        ]
        let ssh: [Expression] =
            [saddr(), .bitwise(.init(sreg: r1, dreg: r1, length: 4, mask: [255, 0, 0, 0], xor: [0, 0, 0, 0])),
             .cmp(.init(sreg: r1, op: .eq, data: [10, 0, 0, 0]))] + dport(22) + [accept]
        let set: [Expression] = [saddr(), .lookup(.init(set: "allowed", sreg: r1))] + dport(8443) + [accept]
        let redis: [Expression] = dport(6379) + [accept]
        let rules = [lo, ssh, set, redis].enumerated().map { i, e in
            Rule(family: .inet, table: "t", chain: "input", handle: UInt64(i + 2), expressions: e)
        }
        let allowed = NFTSet(
            family: .inet, table: "t", name: "allowed", handle: 20, flags: [.interval], keyLength: 4,
            elements: [
                SetElement(key: [0, 0, 0, 0], flags: 1),
                SetElement(key: [172, 16, 5, 5]), SetElement(key: [172, 16, 5, 6], flags: 1),
                SetElement(key: [198, 51, 100, 0]), SetElement(key: [198, 51, 101, 0], flags: 1),
            ])
        let table = Table(
            family: .inet, name: "t", handle: 1,
            chains: [
                Chain(
                    family: .inet, table: "t", name: "input", handle: 1,
                    base: BaseChain(hook: .input, priority: 0, policy: policy, type: "filter"), rules: rules)
            ],
            sets: [allowed])
        let eth0 = ExposureAnalyzer.HostInterface(
            name: "eth0", index: 2, isLoopback: false, addresses: [.init(IPAddress("192.168.1.5")!, 24)])
        let lo0 = ExposureAnalyzer.HostInterface(name: "lo", index: 1, isLoopback: true, addresses: [.init(IPAddress("127.0.0.1")!, 8)])
        return ExposureAnalyzer(
            evaluator: VerdictEvaluator(snapshot: RulesetSnapshot(generation: 1, tables: [table])), interfaces: [lo0, eth0],
            local: LocalKnowledge(localAddresses: [IPAddress("192.168.1.5")!, IPAddress("127.0.0.1")!], isComplete: true))
    }

    @Test func classifiesEachCase() {
        let a = Self.analyzer()
        // 198.51.100.10 is inside a set member: the outside address is the first pool address nobody names.
        #expect(a.outsideIPv4 == IPAddress("203.0.113.10"))
        let any = IPAddress("0.0.0.0")!
        let redis = a.classify(proto: .tcp, address: any, port: 6379)
        #expect(redis.exposure == .exposed)
        #expect(redis.decidedBy?.handle == 5 && redis.coveredByRule)
        #expect(redis.acceptedOn == ["eth0"])

        let ssh = a.classify(proto: .tcp, address: any, port: 22)
        #expect(ssh.exposure == .restricted)
        #expect(ssh.sources.map(\.source) == ["10.0.0.0/8"])
        #expect(ssh.sources.first?.testedAddress == "10.0.0.1")
        #expect(ssh.sources.first?.via?.handle == 3)
        #expect(ssh.sourcesComplete && ssh.coveredByRule)

        let web = a.classify(proto: .tcp, address: IPAddress("192.168.1.5")!, port: 8443)
        #expect(web.exposure == .restricted)
        #expect(web.sources.map(\.source) == ["172.16.5.5", "198.51.100.0/24"])
        #expect(web.sources.allSatisfy { $0.kind == "set" && $0.set == "inet t @allowed" })

        let other = a.classify(proto: .tcp, address: any, port: 8080)
        #expect(other.exposure == .blocked)
        #expect(other.decidedBy?.handle == nil)
        #expect(!other.coveredByRule, "only the chain's policy drops it")

        #expect(a.classify(proto: .tcp, address: IPAddress("127.0.0.1")!, port: 5432).exposure == .loopbackOnly)
        #expect(a.classify(proto: .udp, address: IPAddress("::1")!, port: 53).exposure == .loopbackOnly)
    }

    @Test func policyAcceptExposesWithoutARule() {
        let a = Self.analyzer(policy: .accept)
        let v = a.classify(proto: .tcp, address: IPAddress("0.0.0.0")!, port: 8080)
        #expect(v.exposure == .exposed)
        #expect(v.decidedBy?.handle == nil && !v.coveredByRule)
    }

    @Test func localNetworkIsASource() {
        // A rule accepting the local network: the neighbour address is accepted.
        var a = Self.analyzer()
        let rule = Rule(
            family: .inet, table: "t", chain: "input", handle: 9,
            expressions: [
                Self.saddr(), .bitwise(.init(sreg: Self.r1, dreg: Self.r1, length: 4, mask: [255, 255, 255, 0], xor: [0, 0, 0, 0])),
                .cmp(.init(sreg: Self.r1, op: .eq, data: [192, 168, 1, 0])),
            ] + Self.dport(9100) + [Self.accept])
        var t = a.evaluator.snapshot.tables[0]
        t.chains[0].rules.append(rule)
        a = ExposureAnalyzer(
            evaluator: VerdictEvaluator(snapshot: RulesetSnapshot(generation: 1, tables: [t])), interfaces: a.interfaces, local: a.local)
        let v = a.classify(proto: .tcp, address: IPAddress("0.0.0.0")!, port: 9100)
        #expect(v.exposure == .restricted)
        #expect(Set(v.sources.map(\.kind)) == ["rule", "local-network"])
        #expect(v.sources.allSatisfy { $0.source == "192.168.1.0/24" })
    }

    @Test func rangesAndPrefixes() {
        #expect(ExposureAnalyzer.rangeLabel(IPAddress("10.0.0.0")!, IPAddress("10.255.255.255")!) == "10.0.0.0/8")
        #expect(ExposureAnalyzer.rangeLabel(IPAddress("10.0.0.1")!, IPAddress("10.0.0.9")!) == "10.0.0.1-10.0.0.9")
        #expect(ExposureAnalyzer.prefixLength([255, 255, 0, 0]) == 16)
        #expect(ExposureAnalyzer.prefixLength([255, 0, 255, 0]) == nil)
        #expect(ExposureAnalyzer.representative(IPAddress("10.0.0.0")!, IPAddress("10.255.255.255")!) == IPAddress("10.0.0.1"))
        #expect(ExposureAnalyzer.representative(IPAddress("10.0.0.7")!, IPAddress("10.0.0.7")!) == IPAddress("10.0.0.7"))
    }

    /// The traffic checks on the in-memory ruleset: `iif lo accept` then policy
    /// drop, no established rule; and `met` for each combination of verdicts.
    @Test func trafficChecks() {
        // Routed as the kernel would: out of eth0 from its address. Without a route the
        // reply's input interface is unknown and `iif lo accept` makes it unknown.
        #expect(Self.analyzer().trafficControls(ephemeralPort: 46383).repliesAccepted.met == nil)
        let t = Self.analyzer().trafficControls(ephemeralPort: 46383) {
            $0.source = IPAddress("192.168.1.5")
            $0.outputInterface = "eth0"
            $0.outputInterfaceIndex = 2
        }
        #expect(t.loopbackAccepted.met == true)
        #expect(t.loopbackAccepted.cases.map(\.interface) == ["lo"])
        #expect(t.loopbackSpoofDropped.met == true)
        #expect(t.loopbackSpoofDropped.cases.first?.flow == "tcp 127.0.0.1 -> 192.168.1.5:50000")
        // No output chain: outbound accepted; the SYN-ACK meets policy drop.
        #expect(t.outboundAccepted.met == true)
        #expect(t.repliesAccepted.met == false)
        #expect(t.repliesAccepted.cases.first?.decidedBy?.rule == "policy drop")
        #expect(t.repliesAccepted.cases.first?.flow == "tcp 192.168.1.5:46383 -> 203.0.113.10:443")
        #expect(t.repliesAccepted.cases.first?.interface == "eth0")
        // Policy accept: the spoofed source is accepted.
        #expect(Self.analyzer(policy: .accept).trafficControls().loopbackSpoofDropped.met == false)

        func c(_ v: String) -> TrafficControlFacts.Case { .init(family: "ipv4", interface: nil, flow: "f", verdict: v, decidedBy: nil) }
        #expect(TrafficControlFacts.Check(expected: .drop, cases: [c("reject"), c("drop")]).met == true)
        #expect(TrafficControlFacts.Check(expected: .drop, cases: [c("unknown"), c("drop")]).met == nil)
        #expect(TrafficControlFacts.Check(expected: .drop, cases: [c("unknown"), c("accept")]).met == false)
        #expect(TrafficControlFacts.Check(expected: .accept, cases: []).met == nil)
        #expect(TrafficControlFacts.Check(expected: .accept, cases: [c("reject")]).met == false)
    }
}
