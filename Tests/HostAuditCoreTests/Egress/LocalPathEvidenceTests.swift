import HostAuditCore
import Testing

/// What a ruleset snapshot alone says about a probe's local path.
@Suite struct LocalPathEvidenceTests {
    func legacyTable(_ family: Family, chain: String, policy: String = "ACCEPT", drop: Bool) -> IptablesTable {
        var r = IptablesRule()
        r.proto = 6
        r.target = drop ? .drop : .accept
        return IptablesTable(
            family: family, name: "filter",
            chains: [IptablesChain(name: "INPUT", policy: "ACCEPT"), IptablesChain(name: chain, policy: policy, rules: [r])])
    }

    @Test func replyPathWithoutRules() {
        let empty = RulesetSnapshot(generation: 1)
        #expect(empty.replyPathWithoutRules(ipv6: false) == .noRules)
        // An output-only table leaves the reply path untouched.
        let outOnly = Table(
            family: .inet, name: "f", handle: 1,
            chains: [Chain(family: .inet, table: "f", name: "out", handle: 1, base: BaseChain(hook: .output, priority: 0, policy: .drop, type: "filter"))])
        #expect(RulesetSnapshot(generation: 1, tables: [outOnly]).replyPathWithoutRules(ipv6: true) == .noRules)
        // An input chain with a drop policy needs evaluating.
        let input = Table(
            family: .ip, name: "f", handle: 1,
            chains: [Chain(family: .ip, table: "f", name: "in", handle: 1, base: BaseChain(hook: .input, priority: 0, policy: .drop, type: "filter"))])
        let s = RulesetSnapshot(generation: 1, tables: [input])
        #expect(s.replyPathWithoutRules(ipv6: false) == nil)
        // … but only for its family.
        #expect(s.replyPathWithoutRules(ipv6: true) == .noRules)
        // A legacy INPUT rule too.
        let legacy = RulesetSnapshot(generation: 1, legacy: [legacyTable(.ip, chain: "INPUT", drop: false)])
        #expect(legacy.replyPathWithoutRules(ipv6: false) == nil)
    }

    @Test func legacyBlindSpotsNameTheDrop() {
        let s = RulesetSnapshot(generation: 1, legacy: [legacyTable(.ip, chain: "OUTPUT", drop: true)])
        let spots = s.legacyBlindSpots(ipv6: false)
        #expect(spots.count == 1)
        #expect(spots.first?.mayBlock == true && spots.first?.kind == .legacyTables)
        #expect(spots.first?.detail.contains("-j DROP") == true, "\(spots)")
        #expect(spots.first?.tellApart.contains("iptables-legacy-save") == true)
        #expect(s.legacyBlindSpots(ipv6: true).isEmpty)
        // Accept-only rules are a blind spot that cannot block; a DROP policy can.
        let accepts = RulesetSnapshot(generation: 1, legacy: [legacyTable(.ip6, chain: "OUTPUT", drop: false)])
        #expect(accepts.legacyBlindSpots(ipv6: true).map(\.mayBlock) == [false])
        let policy = RulesetSnapshot(generation: 1, legacy: [legacyTable(.ip6, chain: "OUTPUT", policy: "DROP", drop: false)])
        #expect(policy.legacyBlindSpots(ipv6: true).map(\.mayBlock) == [true])
    }
}
