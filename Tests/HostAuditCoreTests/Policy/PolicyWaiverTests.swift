import Foundation
import HostAuditCore
import Testing

@Suite struct PolicyWaiverTests {
    static let policyText = """
        name: t
        rules:
          - id: public-dns
            title: No public DNS
            severity: high
            check:
              none:
                path: resolver.resolv_conf.nameservers
                where: {path: address, in: [8.8.8.8, 1.1.1.1]}
          - id: drop
            title: Drop
            severity: high
            check: {path: resolver.resolv_conf.manager, equals: networkmanager}
        """

    static func policy() throws -> Policy {
        switch PolicyLoader().loadPolicy(text: policyText, file: "t.yaml") {
        case .success(let p): return p
        case .failure(let e): throw e
        }
    }

    static func waivers(_ text: String, policies: [Policy]) -> Result<[Waiver], PolicyErrors> {
        PolicyLoader().loadWaivers(bytes: Array(text.utf8), file: "waivers.yaml", policies: policies)
    }

    static let day: TimeInterval = 86_400
    /// 2026-06-15 12:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_781_524_800)

    func findings(_ waiverText: String, now: Date = now) throws -> [Finding] {
        let p = try Self.policy()
        let w = try Self.waivers(waiverText, policies: [p]).get()
        return try PolicyEngine(policies: [p], waivers: w).evaluate(facts: PolicyEval.facts, now: now)
    }

    @Test func wholeFindingWaivedUntilExpiry() throws {
        let text = "waivers:\n  - {rule: drop, reason: migrating to NetworkManager, expires: 2026-06-15}\n"
        let f = try findings(text)
        let drop = f.first { $0.rule == "drop" }!
        #expect(drop.status == .skip)
        #expect(drop.waiver?["reason"] == "migrating to NetworkManager")
        #expect(drop.detail?.hasPrefix("waived") == true)
        #expect(!f.contains { $0.rule == "waiver-expired" })
        // The day after: the waiver no longer waives and is itself reported.
        let later = try findings(text, now: Self.now.addingTimeInterval(Self.day))
        #expect(later.first { $0.rule == "drop" }!.status == .fail)
        let expired = try #require(later.first { $0.rule == "waiver-expired" })
        #expect(expired.status == .fail)
        #expect(expired.evidence.first?["rule"] == "drop")
        #expect(expired.evidence.first?["location"]?.stringValue?.hasPrefix("waivers.yaml:2:") == true)
    }

    @Test func scopedWaiverCoversOnlyMatchingEvidence() throws {
        let one = "waivers:\n  - {rule: public-dns, scope: {path: address, equals: 8.8.8.8}, reason: legacy, expires: 2030-01-01}\n"
        let f = try findings(one).first { $0.rule == "public-dns" }!
        #expect(f.status == .fail)
        #expect(f.evidence.compactMap { $0["value"]?["address"]?.stringValue } == ["1.1.1.1"])
        #expect(f.waiver?["waived_evidence"]?.arrayValue?.count == 1)
        let both = "waivers:\n  - {rule: public-dns, scope: {path: address, in: [8.8.8.8, 1.1.1.1]}, reason: legacy, expires: 2030-01-01}\n"
        let g = try findings(both).first { $0.rule == "public-dns" }!
        #expect(g.status == .skip)
        #expect(g.evidence.isEmpty)
    }

    @Test func waiverOnAPassingRuleChangesNothing() throws {
        let text = "waivers:\n  - {rule: public-dns, scope: {path: address, equals: 9.9.9.9}, reason: x, expires: 2030-01-01}\n"
        #expect(try findings(text).first { $0.rule == "public-dns" }!.status == .fail)
    }

    @Test(arguments: [
        ("waivers:\n  - {rule: drpo, reason: x, expires: 2030-01-01}\n", "2:12", PolicyError.Kind.unknownRule, "did you mean 'drop'"),
        ("waivers:\n  - {rule: drop, reason: x, expires: 2030-02-30}\n", "2:38", .invalidDate, "YYYY-MM-DD"),
        ("waivers:\n  - {rule: drop, reason: x, expires: tomorrow}\n", "2:38", .invalidDate, "YYYY-MM-DD"),
        ("waivers:\n  - {rule: drop, reason: x}\n", "2:5", .missingKey, "'expires'"),
        ("waivers:\n  - {rule: drop, reason: x, expires: 2030-01-01, until: 2031-01-01}\n", "2:50", .unknownKey, "'until'"),
        (
            "waivers:\n  - {rule: public-dns, scope: {path: adress, equals: 8.8.8.8}, reason: x, expires: 2030-01-01}\n", "2:38",
            .unknownFactPath, "did you mean 'address'"
        ),
    ])
    func invalidWaivers(_ text: String, _ at: String, _ kind: PolicyError.Kind, _ fragment: String) throws {
        let p = try Self.policy()
        guard case .failure(let e) = Self.waivers(text, policies: [p]) else {
            Issue.record("loaded: \(text)")
            return
        }
        let first = try #require(e.errors.first)
        #expect("\(first.line):\(first.column)" == at, "\(e)")
        #expect(first.kind == kind)
        #expect(first.message.contains(fragment), "\(first.message)")
    }

    @Test func parameterOverridesAreStrict() throws {
        let text = """
            name: t
            parameters:
              servers: {type: list, default: []}
              strict: {default: false}
            rules: []
            """
        guard case .success(let p) = PolicyLoader().loadPolicy(text: text, file: "t.yaml") else { throw PolicyErrors([]) }
        let ok = PolicyLoader().loadParameters(
            bytes: Array("parameters:\n  servers: [10.0.0.2]\n  strict: true\n".utf8), file: "params.yaml", policies: [p])
        #expect(try ok.get().values["servers"]?.value == ["10.0.0.2"])
        guard
            case .failure(let e) = PolicyLoader().loadParameters(
                bytes: Array("parameters:\n  strict: maybe\n  sever: []\n".utf8), file: "params.yaml", policies: [p])
        else {
            Issue.record("loaded")
            return
        }
        #expect(e.errors.map { "\($0.line):\($0.column) \($0.kind)" } == ["2:11 wrongType", "3:3 unknownParameter"])
        #expect(e.errors[1].message.contains("did you mean 'servers'"))
    }
}
