import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// `hostaudit report`: work on recorded reports.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise, compare or render recorded audit reports.",
        subcommands: [Merge.self, Diff.self, Render.self]
    )

    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract: "Sum up many hosts' JSON reports: hosts × failing rules.",
            discussion: """
                Reads every *.json hostaudit.report/v1 document in DIR (and its sub-folders; \
                symbolic links are not followed), e.g. the folder the Ansible collect playbook fills. \
                Exit 0 when no host failed at or above its report's fail_on, 1 when one did, \
                3 when no report could be read.
                """)

        @Argument(help: ArgumentHelp("Folders (or files) holding JSON reports.", valueName: "DIR"))
        var dirs: [String]

        @Option(help: "Summary format.")
        var format: MergeFormat = .text

        @Option(help: ArgumentHelp("Write the summary to FILE instead of standard output.", valueName: "FILE"))
        var output: String?

        func run() async throws {
            let merge = RecordedReports.merge(dirs)
            let rendered: String
            switch format {
            case .text: rendered = merge.text()
            case .json: rendered = JSONWriter().string(merge.json()) + "\n"
            case .html: rendered = merge.html()
            }
            try Output.write(rendered, toFile: output)
            if merge.hosts.isEmpty {
                Output.error("hostaudit: no hostaudit.report/v1 document found in \(dirs.map(TerminalText.escape).joined(separator: " "))")
                throw ExitStatus.couldNotRun
            }
            if merge.anyFailed { throw ExitStatus.failed }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Say whether two reports of one host differ in substance (findings' outcomes, probes' ends), not in times.",
            discussion: """
                Compares the host name, profile and fail_on, each finding's severity and status (by policy/rule) \
                and each egress probe's state and cause (by target, address, port and protocol), byte for byte. \
                Times, run ids, changes and evidence (pids, counters) are not compared. \
                Exit 0 when the reports are the same in substance, 1 when they differ, \
                3 when one cannot be read or they are not both hostaudit.report/v1 (or both hostaudit.egress/v1) documents.
                """)

        @Argument(help: ArgumentHelp("The earlier report.", valueName: "OLD"))
        var old: String

        @Argument(help: ArgumentHelp("The later report.", valueName: "NEW"))
        var new: String

        @Flag(name: [.customShort("N"), .customLong("new-file")], help: "An OLD that does not exist counts as an empty report (as diff -N).")
        var newFile = false

        @Option(help: "Output format.")
        var format: MergeFormat.DiffFormat = .text

        @Flag(help: "Print nothing; only the exit status says whether they differ.")
        var quiet = false

        static func load(_ path: String) throws -> JSONValue {
            guard let bytes = RecordedReports.read(path), let doc = try? JSONValue(parsing: bytes) else {
                Output.error("hostaudit: \(TerminalText.escape(path)): cannot be read as JSON (or larger than 64 MiB)")
                throw ExitStatus.couldNotRun
            }
            guard let schema = doc["schema"]?.stringValue, schema == AuditReport.schema || schema == EgressDocument.schema else {
                Output.error("hostaudit: \(TerminalText.escape(path)): not a hostaudit.report/v1 or hostaudit.egress/v1 document")
                throw ExitStatus.couldNotRun
            }
            return doc
        }

        func run() async throws {
            var oldDoc: JSONValue?
            var st = stat()
            if newFile, lstat(old, &st) != 0, errno == ENOENT {
                oldDoc = nil
            } else {
                oldDoc = try Self.load(old)
            }
            let newDoc = try Self.load(new)
            if let oldDoc, Array((oldDoc["schema"]?.stringValue ?? "").utf8) != Array((newDoc["schema"]?.stringValue ?? "").utf8) {
                Output.error("hostaudit: \(TerminalText.escape(old)) and \(TerminalText.escape(new)) are different kinds of document")
                throw ExitStatus.couldNotRun
            }
            let diff = ReportDiff(old: oldDoc, new: newDoc)
            if !quiet {
                switch format {
                case .text: Output.write(diff.text())
                case .json: Output.write(JSONWriter().string(diff.json()) + "\n")
                }
            }
            if !diff.same { throw ExitStatus.failed }
        }
    }

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render",
            abstract: "Render a recorded JSON report (audit or egress) as one HTML file.",
            discussion: "Exit 0 when rendered, 3 when FILE is not a hostaudit.report/v1 or hostaudit.egress/v1 document.")

        @Argument(help: ArgumentHelp("A report written by audit --format json or egress --format json.", valueName: "FILE"))
        var file: String

        @Option(help: "Output format.")
        var format: RenderFormat = .html

        @Option(help: ArgumentHelp("Write to FILE instead of standard output.", valueName: "FILE"))
        var output: String?

        func run() async throws {
            guard let bytes = RecordedReports.read(file), let doc = try? JSONValue(parsing: bytes) else {
                Output.error("hostaudit: \(TerminalText.escape(file)): cannot be read as JSON")
                throw ExitStatus.couldNotRun
            }
            let rendered: String
            switch doc["schema"]?.stringValue {
            case AuditReport.schema?: rendered = HTMLReportRenderer.render(report: doc)
            case EgressDocument.schema?: rendered = HTMLReportRenderer.render(egress: doc)
            default:
                Output.error("hostaudit: \(TerminalText.escape(file)): not a hostaudit.report/v1 or hostaudit.egress/v1 document")
                throw ExitStatus.couldNotRun
            }
            try Output.write(rendered, toFile: output)
        }
    }
}

enum MergeFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, html

    enum DiffFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }
}

enum RenderFormat: String, ExpressibleByArgument, CaseIterable {
    case html
}
