import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// `audit --format`: one reporter per format (HostAuditCore's Output/Reporters).
extension AuditReportFormat: ExpressibleByArgument {}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Collect every fact, run the policies, probe egress and report.",
        discussion: """
            Profiles: post-compromise (every compromise indicator, the egress story first), \
            pre-deploy (baseline and egress expectations; JUnit for CI), cron (with --quiet and \
            --state: only what changed since the last run). Without --policy the shipped policies \
            are used: $HOSTAUDIT_POLICIES, else ../share/hostaudit/policies next to the binary, \
            else Policies/ of the checkout the binary was built in.

            --output and --state are written atomically; --state is locked (STATE.lock) so two \
            runs never interleave: the second waits up to 10 s, then exits 3.

            Exit status: 0 nothing at or above --fail-on failed; 1 something did; 2 a policy \
            does not load; 3 could not run (unwritable output, a held lock); 64 misuse.
            """
    )

    @Option(help: "Which rules to run: post-compromise, pre-deploy or cron (default: every rule).")
    var profile: ProfileOption?

    @Option(name: .customLong("policy"), help: ArgumentHelp("A policy file or folder (repeatable).", valueName: "PATH"))
    var policies: [String] = []

    @Flag(name: .customLong("no-probes"), help: "Send no traffic: rules that need a probe are skipped.")
    var noProbes = false

    @Option(name: .customLong("probe"), help: ArgumentHelp("Also probe this target (repeatable).", valueName: "TARGET"))
    var probes: [String] = []

    @OptionGroup var rootOption: RootOption

    @Option(help: "Report format.")
    var format: AuditReportFormat = .text

    @Option(help: ArgumentHelp("Write the report to FILE (atomically) instead of standard output.", valueName: "FILE"))
    var output: String?

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding at or above this severity fails.")
    var failOn: SeverityOption = .high

    @Option(help: ArgumentHelp("The previous run's findings; the report adds new and resolved ones.", valueName: "FILE"))
    var state: String?

    @Flag(help: "Print only the changes since the last run (with --state); no progress.")
    var quiet = false

    @Option(name: .customLong("timeout"), help: ArgumentHelp("Seconds to wait for each probe.", valueName: "SECONDS"))
    var timeout: Double = 3.5

    @OptionGroup var signatureOption: SignatureOption

    @OptionGroup var evidenceOption: EvidenceOption

    @OptionGroup var diagnostics: DiagnosticsOption

    func validate() throws {
        try ProbeValidation.targets(probes)
        if noProbes && !probes.isEmpty { throw ValidationError("--probe and --no-probes contradict each other.") }
        try ProbeValidation.timeout(timeout)
    }

    func run() async throws {
        var o = AuditSession.Options(scope: try Facts.scope(for: rootOption.root))
        o.profile = profile?.profile
        o.policies = policies
        o.probing = !noProbes
        o.extraTargets = probes.compactMap { try? EgressTargetParser.parse($0) }
        o.format = format
        o.output = output
        o.failOn = failOn.severity
        o.state = state
        o.quiet = quiet
        o.timeout = timeout
        o.signatures = signatureOption.request
        o.evidenceDirectory = evidenceOption.directory
        let report: AuditReport
        do { report = try await AuditSession(o).run(console: TerminalConsole()) } catch { throw error.exitStatus }
        if report.failed { throw ExitStatus.failed }
    }
}
