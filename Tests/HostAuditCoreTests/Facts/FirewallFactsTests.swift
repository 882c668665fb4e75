import HostAuditCore
import HostAuditTestSupport
import Testing

@Suite struct FirewallFactsTests {
    static let drop = RulesetSamples.drop
    static let accept = RulesetSamples.accept
    static let counter = RulesetSamples.counter
    static let tcpDport80: [Expression] = [
        .meta(.init(key: 16, dreg: Register(1))), .cmp(.init(sreg: Register(1), op: .eq, data: [6])),
        .payload(.init(base: 2, offset: 2, length: 2, dreg: Register(1))),
        .cmp(.init(sreg: Register(1), op: .eq, data: [0, 80])),
    ]

    static let snapshot = RulesetSamples.snapshot(
        output: [tcpDport80 + [counter, drop], [.lookup(.init(set: "gone", sreg: Register(1))), accept]],
        allowed: NFTSet(family: .inet, table: "filter", name: "allowed", handle: 9),
        legacy: [
            IptablesTable(
                family: .ip, name: "filter",
                chains: [IptablesChain(name: "OUTPUT", policy: "ACCEPT", rules: [IptablesRule()])])
        ])

    @Test func backendsAndConflict() {
        let f = FirewallFacts(snapshot: Self.snapshot)
        #expect(f.available)
        #expect(f.generation == 7)
        #expect(f.backends?.nftables == true)
        #expect(f.backends?.iptablesNft == true)
        #expect(f.backends?.iptablesLegacy == true)
        #expect(f.backends?.legacyTables == ["ip filter"])
        #expect(f.backends?.legacyRules == 1)
        #expect(f.backends?.conflict == true)
        #expect(f.tables.map(\.managedBy) == ["nftables", "iptables-nft", "iptables-legacy"])
    }

    @Test func hooksAreInPriorityOrder() {
        let f = FirewallFacts(snapshot: Self.snapshot)
        // The legacy filter table's OUTPUT sits at the kernel's priority for it (0).
        #expect(f.hooks["output"]?.map(\.table) == ["filter", "filter", "filter"])
        #expect(f.hooks["output"]?.map(\.priority) == [-5, 0, 10])
        #expect(f.hooks["output"]?.map(\.family) == ["ip", "ip", "inet"])
        #expect(f.hooks["output"]?.map(\.legacy) == [false, true, false])
        #expect(f.hooks["input"]?.first?.policy == "drop")
        // The ip OUTPUT chain ends with a bare drop: a catch-all deny.
        #expect(f.hooks["output"]?.first?.endsWithCatchAllDeny == true)
        #expect(f.hooks["output"]?.last?.endsWithCatchAllDeny == false)
    }

    @Test func summaryAndRules() {
        let f = FirewallFacts(snapshot: Self.snapshot)
        #expect(f.summary?.inputDefaultDeny == true)
        #expect(f.summary?.outputDefaultDeny == true)
        #expect(f.summary?.outputWideOpen == false)
        #expect(f.summary?.forwardDefaultDeny == false)
        #expect(f.summary?.rules == 6)
        let r = f.rules.first { $0.handle == 4 && $0.table == "filter" && $0.family == "inet" }
        #expect(r?.verdict == "drop")
        #expect(r?.catchAll == false)
        #expect(r?.packets == 3)
        #expect(r?.bytes == 180)
        #expect(f.rules.first { $0.family == "ip" && $0.handle == 2 }?.xt == ["conntrack"])
    }

    @Test func missingSetIsReported() {
        let f = FirewallFacts(snapshot: Self.snapshot)
        #expect(f.missingSetReferences.map(\.set) == ["gone"])
        #expect(f.sets.first?.name == "allowed")
        #expect(f.sets.first?.referencedBy == 0)
    }

    @Test func jsonHasEveryHookAndNullsWhenUnavailable() throws {
        let v = try JSONValueEncoder().encode(FirewallFacts.unavailable("no CAP_NET_ADMIN"))
        #expect(v["available"] == .bool(false))
        #expect(v["generation"] == .null)
        #expect(v["hooks"]?["input"] == .array([]))
        #expect(v["hooks"]?.objectValue?.keys.first == "ingress")
        let full = try JSONValueEncoder().encode(FirewallFacts(snapshot: Self.snapshot))
        #expect(full.value(atPath: "hooks.output.0.priority") == .int(-5))
        #expect(full.value(atPath: "backends.conflict") == .bool(true))
    }

    @Test func emptyRulesetIsWideOpen() {
        let f = FirewallFacts(snapshot: RulesetSnapshot(generation: 1))
        #expect(f.summary?.outputWideOpen == true)
        #expect(f.summary?.inputDefaultDeny == false)
        #expect(f.backends?.conflict == false)
        #expect(f.backends?.legacyRules == 0)
    }

    @Test func legacyInputDropPolicyIsDefaultDeny() throws {
        var rule = IptablesRule()
        rule.proto = 6
        rule.matches = [.comment("ssh")]
        rule.target = .accept
        let s = RulesetSnapshot(
            generation: 1, legacyTables: [.ip: ["filter"]],
            legacy: [
                IptablesTable(
                    family: .ip, name: "filter",
                    chains: [
                        IptablesChain(name: "INPUT", policy: "DROP", rules: [rule]),
                        IptablesChain(name: "OUTPUT", policy: "ACCEPT"),
                    ])
            ])
        let f = FirewallFacts(snapshot: s)
        #expect(f.summary?.inputDefaultDeny == true)
        #expect(f.hooks["input"]?.map(\.policy) == ["drop"])
        #expect(f.hooks["input"]?.first?.legacy == true)
        #expect(f.tables.map(\.managedBy) == ["iptables-legacy"])
        let r = try #require(f.rules.first)
        #expect(r.legacy && r.handle == 1 && r.chain == "INPUT" && r.verdict == "accept")
        #expect(r.iptables == "-A INPUT -p tcp -m comment --comment ssh -j ACCEPT")
        let json = try JSONValueEncoder().encode(f)
        #expect(json.value(atPath: "hooks.input.0.policy") == .string("drop"))
    }

    @Test func legacyTablesWithoutRulesAreNoConflict() {
        var s = Self.snapshot
        s.legacy = [IptablesTable(family: .ip, name: "filter", chains: [IptablesChain(name: "OUTPUT", policy: "ACCEPT")])]
        let f = FirewallFacts(snapshot: s)
        #expect(f.backends?.iptablesLegacy == true)
        #expect(f.backends?.conflict == false)
    }
}
