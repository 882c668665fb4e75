import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// The sessions' console: standard output and standard error, every host
/// string passing `Output` (escaped), a status line only on a terminal.
struct TerminalConsole: SessionConsole {
    let progress = Progress.forStandardError()

    var showsStatus: Bool { progress != nil }

    var stdoutTakesColour: Bool {
        let env = ProcessInfo.processInfo.environment
        return Output.isTerminal(STDOUT_FILENO) && env["NO_COLOR"] == nil && env["TERM"] != "dumb"
    }

    func status(_ message: String) { progress?.show(message) }
    func clearStatus() { progress?.clear() }
    func note(_ message: String) { Output.error("hostaudit: note: " + TerminalText.escape(message)) }
    func write(_ text: String, allowingColour: Bool) { Output.write(text, allowingColour: allowingColour) }
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

extension AuditSessionError {
    /// Prints what went wrong and gives the exit status (3 could not run, 2 a policy does not load).
    var exitStatus: ExitCode {
        switch self {
        case .couldNotRun(let message):
            Output.error("hostaudit: " + TerminalText.escape(message))
            return ExitStatus.couldNotRun
        case .invalidPolicy(let failure):
            return failure.exitStatus
        }
    }
}

extension PolicyLoadFailure {
    /// Prints every problem; exit 2.
    var exitStatus: ExitCode {
        for line in lines { Output.error(TerminalText.escape(line)) }
        return ExitStatus.invalidPolicy
    }
}
