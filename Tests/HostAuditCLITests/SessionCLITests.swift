import Foundation
import HostAuditTestSupport
import Testing

/// The thin executable's own surface: diagnostics on standard error only,
/// options known to the parser, one audit evaluation without probes.
@Suite struct SessionCLITests {
    static let kernelFacts = ["facts", "kernel", "--format", "json"]

    @Test func verboseDiagnosticsGoToStandardErrorAndLeaveStandardOutputAlone() throws {
        let root = Fixtures.root("persist-clean")
        let quiet = try HostAuditCLI.run(Self.kernelFacts + ["--root", root])
        let verbose = try HostAuditCLI.run(Self.kernelFacts + ["--root", root, "--verbose"])
        #expect(quiet.status == 0 && verbose.status == 0, "\(quiet) \(verbose)")
        #expect(quiet.stdout == verbose.stdout)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
        #expect(verbose.stderr.contains("collector kernel:"), "\(verbose.stderr)")
        #expect(verbose.stderr.contains("collector kernel: live-kernel facts, not read below --root"), "\(verbose.stderr)")
    }

    @Test func logLevelFromTheEnvironment() throws {
        let root = Fixtures.root("persist-clean")
        let r = try HostAuditCLI.run(Self.kernelFacts + ["--root", root], environment: ["HOSTAUDIT_LOG_LEVEL": "debug"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("collector kernel:"), "\(r.stderr)")
        let off = try HostAuditCLI.run(Self.kernelFacts + ["--root", root], environment: ["HOSTAUDIT_LOG_LEVEL": "info"])
        #expect(off.stderr.isEmpty, "\(off.stderr)")
        #expect(off.stdout == r.stdout)
    }

    @Test func aTargetWithALeadingDashIsNamed() throws {
        let r = try HostAuditCLI.run(["egress", "-1.2.3.4:80"])
        #expect(r.status == 64, "\(r)")
        #expect(r.stderr.contains("'-1.2.3.4:80' starts with '-'"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    /// The known options come from the parser: one declared in an option group
    /// (`--verbose`) and the `=` spelling pass the leading-dash check.
    @Test func everyDeclaredOptionPassesTheLeadingDashCheck() throws {
        let r = try HostAuditCLI.run([
            "egress", "--verbose", "--timeout=2", "--from-package-sources", "--root", Fixtures.root("pkgsrc-empty"),
        ])
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("no targets"), "\(r.stderr)")
    }

    @Test func withoutProbesEgressRulesAreSkippedOnceSayingWhy() throws {
        let r = try HostAuditCLI.run([
            "audit", "--no-probes", "--no-signatures", "--root", Fixtures.root("persist-clean"), "--format", "json",
        ])
        #expect(r.status == 0 || r.status == 1, "\(r)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let findings = doc?["findings"] as? [[String: Any]] ?? []
        let keys = findings.map { "\($0["policy"] ?? "")/\($0["rule"] ?? "")/\($0["status"] ?? "")" }
        #expect(Set(keys).count == keys.count, "a finding appears twice")
        let reachable = findings.first { ($0["rule"] as? String) == "package-sources-reachable" }
        #expect(reachable?["status"] as? String == "skip")
        #expect(reachable?["detail"] as? String == "egress was not probed (--no-probes)")
    }
}
