import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// `hostaudit policy lint|test|check`.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Validate, test and run declarative YAML policies.",
        discussion: """
            Policies are YAML files of rules over the facts `hostaudit facts --format json` prints. \
            See Policies/README.md for the format. Loading is strict: every problem is printed as \
            file:line:column: error: message, and a policy that does not load exits 2.
            """,
        subcommands: [Lint.self, Test.self, Check.self]
    )

    /// Loads PATHs; prints every problem and exits 2 when any file does not load.
    static func loadOrExit(_ paths: [String]) throws -> PolicyLibrary {
        do { return try PolicySet.library(paths: paths) } catch { throw error.exitStatus }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint",
            abstract: "Load and validate policy, waiver and parameter files; print every problem.",
            discussion: """
                PATH is a file or a folder (searched recursively for *.yaml and *.yml, skipping tests/). \
                Problems are printed as file:line:column: error: message; regular expressions with nested \
                quantifiers (which can backtrack for minutes on hostile input) as file:line:column: warning: message. \
                Exit 0 when every file loads, 2 otherwise.
                """)

        @Argument(help: ArgumentHelp("Policy files or folders.", valueName: "PATH"))
        var paths: [String]

        @Option(
            name: .customLong("signatures"),
            help: ArgumentHelp(
                "YARA rule folder the policies' signature rule names must exist in; default: signatures/ of each PATH folder, else the shipped one.",
                valueName: "DIR"))
        var signatures: String?

        func run() throws {
            let lib = try PolicyCommand.loadOrExit(paths)
            for w in lib.warnings { Output.error(TerminalText.escape(w)) }
            try checkSignatureNames(lib)
            let rules = lib.policies.reduce(0) { $0 + $1.rules.count }
            var parts = ["\(lib.policies.count) polic\(lib.policies.count == 1 ? "y" : "ies")", "\(rules) rule\(rules == 1 ? "" : "s")"]
            if !lib.waiverFiles.isEmpty { parts.append("\(lib.waiverFiles.count) waiver file(s)") }
            if !lib.parameterFiles.isEmpty { parts.append("\(lib.parameterFiles.count) parameter file(s)") }
            Output.write("ok: \(parts.joined(separator: ", "))\n")
        }

        /// Every YARA rule name a policy matches on (`signatures.matches[].rule`) must exist in the signatures.
        func checkSignatureNames(_ lib: PolicyLibrary) throws {
            let problems = SignatureNameCheck.problems(lib, paths: paths, signatures: signatures)
            guard !problems.isEmpty else { return }
            for p in problems { Output.error(TerminalText.escape(p)) }
            throw ExitStatus.invalidPolicy
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Run every rule against its recorded fixtures and compare with the expected outcome.",
            discussion: """
                Fixtures live next to the policy: tests/<policy name>/<rule id>/*.json, each a JSON object \
                with "expect" (pass, fail, skip or error), "facts" (a facts document), and optionally \
                "parameters" and recorded "egress" outcomes. Every rule needs a pass and a fail fixture. \
                Exit 0 when all match, 1 on any mismatch or missing fixture, 2 when a policy does not load.
                """)

        @Argument(help: ArgumentHelp("Policy files or folders.", valueName: "PATH"))
        var paths: [String]

        @Flag(name: .shortAndLong, help: "Print every fixture, not only mismatches.")
        var verbose = false

        func run() throws {
            let lib = try PolicyCommand.loadOrExit(paths)
            let summary = PolicyFixtureRunner().run(lib.policies)
            for r in summary.results {
                let where_ = TerminalText.escape(r.file)
                switch r.kind {
                case .matched:
                    if verbose { Output.write("ok    \(r.policy)/\(r.rule)  \(where_)\n") }
                case .mismatch(let expected, let actual, let detail):
                    Output.write(
                        "FAIL  \(r.policy)/\(r.rule)  \(where_): expected \(expected.rawValue), got \(actual.rawValue)"
                            + (detail.map { " (\(TerminalText.escape($0)))" } ?? "") + "\n")
                case .invalid(let m):
                    Output.write("FAIL  \(r.policy)/\(r.rule)  \(where_): invalid fixture: \(TerminalText.escape(m))\n")
                case .missing(let m):
                    Output.write("FAIL  \(r.policy)/\(r.rule)  \(where_): \(m)\n")
                }
            }
            let bad = summary.failures.count
            Output.write(
                "policy test: \(summary.rules) rules, \(summary.fixtures) fixtures, "
                    + (bad == 0 ? "all as expected\n" : "\(bad) problem\(bad == 1 ? "" : "s")\n"))
            if bad > 0 { throw ExitStatus.failed }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Evaluate policies against a recorded facts document (offline; no probes).",
            discussion: """
                FILE is the output of `hostaudit facts all --format json`. Egress rules are skipped unless \
                --egress gives recorded outcomes. Parameters: --params FILE, else /etc/hostaudit/params.yaml \
                when present; waiver and parameter files among the PATHs are used too. \
                Exit 0 when nothing at or above --fail-on failed, 1 otherwise, 2 when a policy does not load, \
                3 when the facts cannot be read.
                """)

        @Argument(help: ArgumentHelp("Policy files or folders.", valueName: "PATH"))
        var paths: [String]

        @Option(help: ArgumentHelp("A facts document (JSON).", valueName: "FILE"))
        var facts: String

        @Option(help: ArgumentHelp("Recorded egress outcomes ({\"probes\": …, \"verdicts\": …}).", valueName: "FILE"))
        var egress: String?

        @Option(help: ArgumentHelp("Local parameter overrides.", valueName: "FILE"))
        var params: String?

        @Option(help: ArgumentHelp("A waivers file.", valueName: "FILE"))
        var waivers: [String] = []

        @Option(help: "Only rules of this profile (post-compromise, pre-deploy, cron).")
        var profile: ProfileOption?

        @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding at or above this severity fails.")
        var failOn: SeverityOption = .high

        @Option(help: "Output format.")
        var format: FactsFormat = .text

        func run() throws {
            let policies: PolicySet
            do {
                policies = try PolicySet.load(
                    paths: paths + waivers + (params.map { [$0] } ?? []), hostParametersBelow: params == nil ? .live : nil)
            } catch { throw error.exitStatus }
            let factsValue = try Self.readJSON(facts, what: "facts")
            guard factsValue["schema"]?.stringValue == FactsDocument.schema else {
                Output.error(
                    "hostaudit: --facts \(TerminalText.escape(facts)): not a \(FactsDocument.schema) document "
                        + "(write one with `hostaudit facts all --format json`)")
                throw ExitStatus.couldNotRun
            }
            var observations: EgressObservations?
            if let egress {
                do { observations = try EgressObservations(json: try Self.readJSON(egress, what: "egress")) } catch let e as FixtureError {
                    Output.error("hostaudit: --egress \(TerminalText.escape(egress)): \(e.message)")
                    throw ExitStatus.couldNotRun
                }
            }
            let findings = policies.engine.evaluate(facts: factsValue, egress: observations, profile: profile?.profile)
            let check = PolicyCheckReport(findings: findings, profile: profile?.profile)
            Output.write(format == .json ? check.json() : check.text())
            if check.summary.failed(atOrAbove: failOn.severity) { throw ExitStatus.failed }
        }

        static func readJSON(_ path: String, what: String) throws -> JSONValue {
            guard let data = FileManager.default.contents(atPath: path) else {
                Output.error("hostaudit: --\(what) \(TerminalText.escape(path)): cannot read")
                throw ExitStatus.couldNotRun
            }
            do { return try JSONValue(parsing: [UInt8](data)) } catch {
                Output.error("hostaudit: --\(what) \(TerminalText.escape(path)): \(error)")
                throw ExitStatus.couldNotRun
            }
        }
    }
}

enum ProfileOption: String, ExpressibleByArgument, CaseIterable {
    case postCompromise = "post-compromise"
    case preDeploy = "pre-deploy"
    case cron
    var profile: Profile { Profile(rawValue: rawValue)! }
}

enum SeverityOption: String, ExpressibleByArgument, CaseIterable {
    case info, low, medium, high, critical
    var severity: Severity { Severity(rawValue: rawValue)! }
}
