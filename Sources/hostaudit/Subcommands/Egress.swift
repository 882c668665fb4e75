import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

struct Egress: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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
    var format: EgressFormat = .text

    func validate() throws {
        // A target written with a leading '-' is read as an option; say so
        // instead of dropping it.
        let known = ["--from-package-sources", "--root", "--timeout", "--trace", "--no-locate", "--format", "--help", "-h"]
        let args = CommandLine.arguments
        let end = args.firstIndex(of: "--") ?? args.endIndex
        for a in args[..<end] where a.hasPrefix("-") && !known.contains(where: { a == $0 || a.hasPrefix($0 + "=") }) {
            throw ValidationError(
                "'\(a)' starts with '-', so it is read as an option; put targets after '--' (hostaudit egress -- \(a)).")
        }
        if targets.isEmpty && !fromPackageSources {
            throw ValidationError("Give at least one TARGET, or --from-package-sources.")
        }
        guard timeout.isFinite, timeout > 0, timeout <= 600 else {
            throw ValidationError("--timeout must be more than 0 and at most 600 seconds.")
        }
        for t in targets {
            do {
                _ = try EgressTargetParser.parse(t)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    func run() async throws {
        let scope = try Facts.scope(for: rootOption.root)
        var list: [EgressTarget] = []
        for t in targets { list.append(try EgressTargetParser.parse(t)) }
        var problems: [FileProblem] = []
        if fromPackageSources {
            let sources = PackageSourceReader(scope: scope).read()
            let (found, unusable) = sources.targets()
            problems = sources.problems + unusable
            for t in found where !list.contains(where: { $0.scheme == t.scheme && $0.host == t.host && $0.port == t.port }) {
                list.append(t)
            }
        }
        guard !list.isEmpty else {
            Output.error("hostaudit: no targets: the package sources below \(TerminalText.escape(scope.root)) name no network repository")
            for p in problems {
                Output.error("  \(TerminalText.escape(p.path))\(p.line.map { ":\($0)" } ?? ""): \(TerminalText.escape(p.problem))")
            }
            throw ExitStatus.couldNotRun
        }

        // Local evidence for the explanation: the ruleset before probing (its
        // counters are compared with a second read afterwards) and SELinux.
        var verdicts: SnapshotVerdicts?
        do {
            verdicts = SnapshotVerdicts(before: try NetfilterReader().snapshot(), trace: trace)
        } catch {
            problems.append(
                FileProblem(
                    path: "(firewall)", line: nil, text: nil,
                    problem: "local firewall rules not checked: \(error)"))
        }
        let selinux = SELinuxCollector(scope: .live).collect().kernel.runtimeMode
        let progress = Progress.forStandardError()
        var runner = EgressRunner(
            scope: scope, timeout: timeout, verdicts: verdicts,
            selinuxEnforcing: selinux.map { $0 == .enforcing })
        runner.locate = !noLocate
        var document = await runner.run(list) { progress?.show($0) }
        progress?.clear()
        document.problems = problems + document.problems

        switch format {
        case .json: Output.write(JSONWriter().string(document.json()) + "\n")
        case .text: Output.write(EgressTextRenderer().render(document))
        case .html: Output.write(HTMLReportRenderer.render(egress: document.json(), hostname: Audit.host(scope: .live).0))
        }
        let couldNotProbe = document.probes.allSatisfy { $0.state == .error && $0.reason == "error" }
        if couldNotProbe { throw ExitStatus.couldNotRun }
        if !document.allOpen { throw ExitStatus.failed }
    }
}

/// `egress --format`: text, json, or one self-contained HTML file.
enum EgressFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, html
}

/// One rewritten status line on standard error, only when it is a terminal.
final class Progress: Sendable {
    static func forStandardError() -> Progress? {
        Output.isTerminal(STDERR_FILENO) ? Progress() : nil
    }

    func show(_ message: String) {
        FileHandle.standardError.write(Data("\r\u{1b}[K\(message)".utf8))
    }

    func clear() {
        FileHandle.standardError.write(Data("\r\u{1b}[K".utf8))
    }
}
