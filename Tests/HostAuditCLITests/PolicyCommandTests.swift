import Foundation
import HostAuditTestSupport
import Testing

/// `hostaudit policy lint|test|check` on the built binary, and the shipped packs.
@Suite struct PolicyCommandTests {
    static let policies = Fixtures.packageRoot + "/Policies"

    @Test func shippedPacksLint() throws {
        let r = try HostAuditCLI.run(["policy", "lint", Self.policies])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("ok: 5 policies"))
    }

    @Test func shippedPacksPassTheirFixtures() throws {
        let r = try HostAuditCLI.run(["policy", "test", Self.policies])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("all as expected"))
    }

    @Test func lintPrintsEveryProblemLocatedAndExits2() throws {
        let r = try HostAuditCLI.run(["policy", "lint", Fixtures.path("policies/invalid")])
        #expect(r.status == 2, "\(r)")
        let lines = r.stderr.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(lines.count >= 24)
        for l in lines {
            #expect(l.range(of: #"^/.+\.yaml:\d+:\d+: error: "#, options: .regularExpression) != nil, "\(l)")
        }
        #expect(r.stderr.contains("unknown-path.yaml:8:28: error: unknown fact path 'selinux.kernel.runtime_mod'"))
    }

    @Test func lintMissingFileExits2() throws {
        let r = try HostAuditCLI.run(["policy", "lint", "/nonexistent/policy.yaml"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/policy.yaml:1:1: error:"))
    }

    @Test func testReportsMismatchesAndMissingFixtures() throws {
        let dir = try Fixtures.temporaryDirectory("ha-policy-test")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let policy = """
            name: demo
            rules:
              - id: input-deny
                title: Input denied
                severity: high
                check: {path: firewall.summary.input_default_deny, equals: true}
              - id: untested
                title: Untested
                severity: low
                check: {path: firewall.available, equals: true}
            """
        try policy.write(toFile: dir + "/demo.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/tests/demo/input-deny", withIntermediateDirectories: true)
        let good = try String(contentsOfFile: Self.policies + "/tests/base/good-host.json", encoding: .utf8)
        try "{\"expect\": \"pass\", \"facts\": \(good)}".write(
            toFile: dir + "/tests/demo/input-deny/pass.json", atomically: true, encoding: .utf8)
        // Wrong on purpose: the good host passes.
        try "{\"expect\": \"fail\", \"facts\": \(good)}".write(
            toFile: dir + "/tests/demo/input-deny/fail.json", atomically: true, encoding: .utf8)
        let r = try HostAuditCLI.run(["policy", "test", dir])
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("demo/input-deny"))
        #expect(r.stdout.contains("expected fail, got pass"))
        #expect(r.stdout.contains("demo/untested"))
        #expect(r.stdout.contains("no pass or fail fixture"))
        #expect(r.stdout.contains("2 rules, 2 fixtures, 2 problems"))
    }

    @Test func testOnABrokenPolicyExits2() throws {
        let r = try HostAuditCLI.run(["policy", "test", Fixtures.path("policies/invalid/unknown-key.yaml")])
        #expect(r.status == 2)
    }

    @Test func checkEvaluatesARecordedFactsDocument() throws {
        let dir = try Fixtures.temporaryDirectory("ha-policy-check")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fixture = try String(contentsOfFile: Self.policies + "/tests/baseline/firewall-single-backend/fail.json", encoding: .utf8)
        let facts = try #require(try JSONSerialization.jsonObject(with: Data(fixture.utf8)) as? [String: Any])["facts"]
        let data = try JSONSerialization.data(withJSONObject: facts as Any)
        try data.write(to: URL(fileURLWithPath: dir + "/facts.json"))

        let text = try HostAuditCLI.run(["policy", "check", Self.policies, "--facts", dir + "/facts.json"])
        #expect(text.status == 1, "\(text)")  // a high-severity failure
        #expect(text.stdout.contains("FAIL  high     baseline/firewall-single-backend"))
        #expect(text.stdout.contains("SKIP"))

        let json = try HostAuditCLI.run([
            "policy", "check", Self.policies, "--facts", dir + "/facts.json", "--format", "json", "--fail-on", "critical",
        ])
        #expect(json.status == 0, "\(json)")
        #expect(json.stdout.hasPrefix("{\n  \"schema\": \"hostaudit.policy-check/v1\""))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let findings = try #require(doc["findings"] as? [[String: Any]])
        let failed = findings.first { $0["rule"] as? String == "firewall-single-backend" }
        #expect(failed?["status"] as? String == "fail")
        #expect((failed?["evidence"] as? [[String: Any]])?.first?["path"] as? String == "firewall.backends.conflict")
        // firewall-single-backend, and firewall-forward-default-deny (the recorded host has no forward chain).
        #expect((doc["summary"] as? [String: Any])?["fail"] as? Int == 2)

        // Profiles filter; parameters from a file; waivers from a file.
        try "parameters:\n  require-egress-control: false\n".write(toFile: dir + "/params.yaml", atomically: true, encoding: .utf8)
        try "waivers:\n  - {rule: firewall-single-backend, reason: migration ticket 42, expires: 2999-12-31}\n".write(
            toFile: dir + "/waivers.yaml", atomically: true, encoding: .utf8)
        let waived = try HostAuditCLI.run([
            "policy", "check", Self.policies, "--facts", dir + "/facts.json", "--params", dir + "/params.yaml",
            "--waivers", dir + "/waivers.yaml", "--profile", "pre-deploy",
        ])
        #expect(waived.status == 0, "\(waived)")
        #expect(waived.stdout.contains("waived: migration ticket 42"))
    }

    @Test func checkFactsProblemsExit3() throws {
        let r = try HostAuditCLI.run(["policy", "check", Self.policies, "--facts", "/nonexistent.json"])
        #expect(r.status == 3)
        let notFacts = try HostAuditCLI.run([
            "policy", "check", Self.policies, "--facts", Self.policies + "/tests/baseline/selinux-enforcing/pass.json",
        ])
        #expect(notFacts.status == 3)
        #expect(notFacts.stderr.contains("not a hostaudit.facts/v1 document"))
    }

    @Test(arguments: [["policy", "--help"], ["policy", "lint", "--help"], ["policy", "test", "--help"], ["policy", "check", "--help"]])
    func help(_ args: [String]) throws {
        let r = try HostAuditCLI.run(args)
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE"))
    }

    @Test(arguments: [["policy", "lint"], ["policy", "check", "Policies"], ["policy", "check", "P", "--facts", "f", "--format", "xml"]])
    func misuseExits64(_ args: [String]) throws {
        #expect(try HostAuditCLI.run(args).status == 64)
    }
}
