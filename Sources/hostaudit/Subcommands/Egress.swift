import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

struct Egress: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egress",
        abstract: "Probe outbound TCP and UDP ports and explain why a blocked one is blocked.",
        discussion: """
            TARGET is HOST:PORT, [IPv6]:PORT or a URL (http:// means port 80, https:// 443); \
            udp://HOST:PORT or HOST:PORT/udp probes UDP (a DNS query to 53, an NTP request to \
            123, a QUIC version probe to 443, else an empty datagram; silence is open|filtered, as nmap reports it). \
            A name is resolved through each configured name server separately, and every \
            address it resolves to is probed, IPv6 too. Each probe reports state and nmap's \
            reason word (syn-ack, reset, no-response, admin-prohibited, ...), ICMP echo \
            reachability, and a cause with an explanation.

            Exit status: 0 every target is open; 1 at least one is not; 3 nothing could run; \
            64 command-line misuse.
            """
    )

    @Argument(help: ArgumentHelp("HOST:PORT, [IPv6]:PORT, a URL, or udp://HOST:PORT (HOST:PORT/udp).", valueName: "TARGET"))
    var targets: [String] = []

    @Flag(help: "Also probe the repositories in /etc/yum.repos.d and apt's sources lists (below --root).")
    var fromPackageSources = false

    @OptionGroup var rootOption: RootOption

    @Option(help: ArgumentHelp("Seconds to wait for each probe and DNS query.", valueName: "SECONDS"))
    var timeout: Double = 3.5

    @Flag(
        help: "Ask the kernel which rule decides each flow: trace one real packet per probe through a temporary table (changes the ruleset for a moment)."
    )
    var trace = false

    @Flag(help: "Do not locate where on the path a blocked flow stops (TTL-limited probes; adds at most one --timeout window).")
    var noLocate = false

    @Option(help: "Output format.")
    var format: EgressReportFormat = .text

    @OptionGroup var diagnostics: DiagnosticsOption

    func validate() throws {
        // A target written with a leading '-' is read as an option; say so
        // instead of dropping it. The options are the parser's own.
        let known = Self.declaredOptionNames
        let args = CommandLine.arguments
        let end = args.firstIndex(of: "--") ?? args.endIndex
        for a in args[..<end] where a.hasPrefix("-") && !known.contains(where: { a == $0 || a.hasPrefix($0 + "=") }) {
            throw ValidationError(
                "'\(a)' starts with '-', so it is read as an option; put targets after '--' (hostaudit egress -- \(a)).")
        }
        if targets.isEmpty && !fromPackageSources {
            throw ValidationError("Give at least one TARGET, or --from-package-sources.")
        }
        try ProbeValidation.timeout(timeout)
        try ProbeValidation.targets(targets)
    }

    func run() async throws {
        let session = EgressSession(
            targets: try targets.map { try EgressTargetParser.parse($0) }, fromPackageSources: fromPackageSources,
            scope: try Facts.scope(for: rootOption.root), timeout: timeout, trace: trace, locate: !noLocate)
        let progress = Progress.forStandardError()
        let run: (document: EgressDocument, outcome: EgressSession.Outcome)
        do { run = try await session.run { progress?.show($0) } } catch {
            Output.error("hostaudit: no targets: the package sources below \(TerminalText.escape(error.root)) name no network repository")
            for p in error.problems {
                Output.error("  \(TerminalText.escape(p.path))\(p.line.map { ":\($0)" } ?? ""): \(TerminalText.escape(p.problem))")
            }
            throw ExitStatus.couldNotRun
        }
        progress?.clear()
        Output.write(format.reporter { HostIdentity.read(scope: .live).hostname }.render(run.document))
        switch run.outcome {
        case .couldNotProbe: throw ExitStatus.couldNotRun
        case .notAllOpen: throw ExitStatus.failed
        case .allOpen: break
        }
    }
}

/// `egress --format`: text, json, or one self-contained HTML file (Output/Reporters).
extension EgressReportFormat: ExpressibleByArgument {}
