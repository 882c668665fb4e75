import ArgumentParser
import Foundation
import Logging
import HostAuditCore

/// `--verbose`: diagnostics on standard error (which collector ran, how long
/// it took, what it skipped), logged at `debug`. Off by default;
/// `HOSTAUDIT_LOG_LEVEL=debug` turns them on too. Standard output never changes.
struct DiagnosticsOption: ParsableArguments {
    @Flag(name: .customLong("verbose"), help: "Diagnostics on standard error: which collector ran, how long it took, what it skipped.")
    var verbose = false
}

/// A command with `--verbose`.
protocol HasDiagnostics {
    var diagnostics: DiagnosticsOption { get }
}

extension Audit: HasDiagnostics {}
extension Egress: HasDiagnostics {}
extension Facts: HasDiagnostics {}

enum LogLevelOption {
    /// `HOSTAUDIT_LOG_LEVEL=trace|debug|info|notice|warning|error|critical`; warnings by default.
    static var fromEnvironment: Logger.Level {
        guard let raw = ProcessInfo.processInfo.environment["HOSTAUDIT_LOG_LEVEL"],
            let level = Logger.Level(rawValue: raw.lowercased())
        else { return .warning }
        return level
    }

    /// The level for a parsed command: `--verbose` means `debug`, the level
    /// the diagnostics are logged at (so a process that never bootstraps
    /// swift-log, whose default handler prints `info` and above on standard
    /// output, prints none of them).
    static func level(for command: any ParsableCommand) -> Logger.Level {
        let env = fromEnvironment
        guard let c = command as? any HasDiagnostics, c.diagnostics.verbose else { return env }
        return min(env, .debug)
    }

    /// Diagnostics go to standard error only, at the command's level.
    static func bootstrap(for command: any ParsableCommand) {
        let level = level(for: command)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension ParsableArguments {
    /// Every option and flag name the parser declares for this command
    /// (`--name`, `-n`), from its own definition, plus `--help` and `-h`.
    static var declaredOptionNames: [String] {
        var names = ["--help", "-h"]
        guard let doc = try? JSONValue(parsing: Array(_dumpHelp().utf8)) else { return names }
        for argument in doc["command"]?["arguments"]?.arrayValue ?? [] {
            for n in argument["names"]?.arrayValue ?? [] {
                guard let name = n["name"]?.stringValue, let kind = n["kind"]?.stringValue else { continue }
                names.append(kind == "long" ? "--" + name : "-" + name)
            }
        }
        return names
    }
}
