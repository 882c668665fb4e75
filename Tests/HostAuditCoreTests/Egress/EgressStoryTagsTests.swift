import HostAuditCore
import HostAuditTestSupport
import Testing

/// The audit's egress story is keyed on the tags rules declare, not on pack names.
@Suite struct EgressStoryTagsTests {
    static func blocked() throws -> EgressProbeResult {
        EgressProbeResult(
            target: try EgressTargetParser.parse("10.66.2.2:3333"), address: "10.66.2.2", state: .filtered,
            reason: .noResponse, elapsedMs: 3000, synRetransmits: 2, icmpEcho: ICMPEchoResult(reachable: true, method: "icmp"),
            localVerdict: nil, cause: .upstreamFilter, explanation: "No answer.", evidence: nil, confidence: .proven)
    }

    static func failing(_ rule: String, policy: String, tags: [String]) -> Finding {
        var f = Finding(rule: rule, policy: policy, title: rule, severity: .high, status: .fail)
        f.tags = tags
        return f
    }

    @Test func shippedCompromiseAndMinerRulesDeclareTheirTags() {
        let lib = PolicyLibrary.load(paths: [Fixtures.packageRoot + "/Policies/miners.yaml", Fixtures.packageRoot + "/Policies/compromise.yaml"])
        #expect(lib.errors.isEmpty, "\(lib.errors)")
        #expect(lib.policies.count == 2)
        for p in lib.policies {
            let want = p.name == "miners" ? [EgressStory.compromiseTag, EgressStory.minerTag] : [EgressStory.compromiseTag]
            for r in p.rules { #expect(r.tags == want, "\(p.name)/\(r.id)") }
        }
    }

    @Test func tagsNotPackNamesDecide() throws {
        let untagged = Self.failing("miner-lookalike", policy: "miners", tags: [])
        let tagged = Self.failing("odd-binary", policy: "site-local", tags: ["miner"])
        let compromise = Self.failing("odd-cron", policy: "site-local", tags: ["compromise"])
        let linked = EgressStory.link([try Self.blocked()], findings: [untagged, tagged, compromise])[0]
        #expect(linked.relatedFindings == ["odd-binary", "odd-cron"])
        #expect(linked.explanation.contains("odd-binary") && !linked.explanation.contains("odd-cron"))
        #expect(linked.explanation.contains("likeliest story"))
        let noMiner = EgressStory.link([try Self.blocked()], findings: [untagged, compromise])[0]
        #expect(noMiner.relatedFindings == ["odd-cron"])
        #expect(!noMiner.explanation.contains("likeliest story"))
    }
}
