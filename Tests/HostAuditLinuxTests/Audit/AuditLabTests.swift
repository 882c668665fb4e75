import Foundation
import HostAuditTestSupport
import Testing

/// `hostaudit audit --profile post-compromise` end to end in the namespace lab:
/// a miner-like process, a port the provider (router) drops, one a local rule
/// drops, and a dead name server. The report must tell the whole story.
@Suite(.privileged) struct AuditLabTests {
    static let policy = Fixtures.path("policies/audit-lab/miners.yaml")

    /// The miner fixture reads processes.list[].cmdline.args; the generated fact
    /// schema (owned by the policy packs work) may not list process items yet.
    static let minerRuleLoads: Bool = {
        (try? HostAuditCLI.run(["policy", "lint", policy]))?.status == 0
    }()

    @Test func postCompromiseTellsTheStory() throws {
        try EgressLab.with { lab in try lab.withAuditStory {
            let args = EgressLab.auditStoryArguments
            let r = try lab.hostaudit(args + ["--format", "json"])
            #expect(r.status == 1, "\(r)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
            let findings = doc["findings"] as? [[String: Any]] ?? []
            let minerFinding = findings.first { $0["rule"] as? String == "miner-process" }
            // The miner rule must load (the fact schema covers process items), so the link is always asserted.
            try #require(Self.minerRuleLoads, "the lab's miner policy must load")
            let linked = true
            if linked {
                #expect(minerFinding?["status"] as? String == "fail", "\(r.stdout)")
                #expect("\(minerFinding?["evidence"] ?? "")".contains("stratum+tcp://10.66.2.2:3333"))
            }
            // The client's only name server is dead: liveness is measured (probes allowed) and fails.
            let answering = findings.first { $0["rule"] as? String == "resolver-nameserver-answering" }
            #expect(answering?["status"] as? String == "fail", "\(answering ?? [:])")
            #expect("\(answering?["evidence"] ?? "")".contains("answering"))
            let egress = doc["egress"] as? [[String: Any]] ?? []
            func probe(_ target: String) -> [String: Any]? { egress.first { $0["target"] as? String == target } }

            let upstream = probe("10.66.2.2:80")
            #expect(upstream?["cause"] as? String == "upstream-filter", "\(egress)")
            if linked {
                #expect(upstream?["related_findings"] as? [String] == ["miner-process"])
                #expect((upstream?["explanation"] as? String)?.contains("because of mining is the likeliest story") == true)
            }

            let local = probe("10.66.2.2:87")
            #expect(local?["cause"] as? String == "local-firewall", "\(egress)")
            #expect((local?["explanation"] as? String)?.contains("likeliest story") == false)
            if linked { #expect(local?["related_findings"] as? [String] == ["miner-process"]) }

            let dns = probe("mirror.lab.example:80")
            #expect(dns?["cause"] as? String == "dns-failure", "\(egress)")

            let t = try lab.hostaudit(args + ["--format", "text"])
            #expect(t.status == 1)
            let why = try #require(t.stdout.range(of: "Why egress is blocked"), "\(t)")
            let firstGroup = ["\nCritical\n", "\nHigh\n", "\nMedium\n", "\nLow\n"].compactMap { t.stdout.range(of: $0) }
                .map(\.lowerBound).min()
            #expect(firstGroup.map { why.lowerBound < $0 } ?? true, "\(t)")
            #expect(t.stdout.contains("VERDICT: FAIL"))
            #expect(t.stdout.contains("cause: upstream-filter"))
            #expect(t.stdout.contains("cause: local-firewall"))
            #expect(t.stdout.contains("cause: dns-failure"))
            if linked {
                #expect(t.stdout.contains("likeliest story"))
                #expect(t.stdout.contains("related findings: miner-process"))
                #expect(t.stdout.contains("FAIL  miners/miner-process"))
            }
        } }
    }
}
