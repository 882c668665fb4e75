import Foundation

/// What a finished command printed and how it exited.
package struct CommandResult: Sendable, CustomStringConvertible {
    package var status: Int32
    package var stdout: String
    package var stderr: String
    package var stdoutBytes: [UInt8]

    package var description: String {
        "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
    }
}

package struct CommandError: Error, CustomStringConvertible {
    package var command: [String]
    package var result: CommandResult?
    package var reason: String
    package var description: String {
        "\(command.joined(separator: " ")): \(reason)" + (result.map { "\n\($0)" } ?? "")
    }
}

/// Runs programs for tests (fixtures are built with `ip`, `nft`, `iptables`;
/// the product itself never runs outside programs).
package enum CommandRunner {
    /// Runs `arguments[0]` (looked up in PATH) with the rest as arguments.
    /// Output goes through temporary files, so a chatty child never blocks on
    /// a full pipe. A command still running after `timeout` seconds is killed.
    @discardableResult
    package static func run(
        _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
        timeout: TimeInterval = 120
    ) throws -> CommandResult {
        precondition(!arguments.isEmpty)
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("ha-cmd-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out")
        let errURL = dir.appendingPathComponent("err")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        if let environment { p.environment = environment }
        p.standardOutput = out
        p.standardError = err
        var inPipe: Pipe?
        if stdin != nil {
            inPipe = Pipe()
            p.standardInput = inPipe
        } else {
            p.standardInput = FileHandle.nullDevice
        }
        try p.run()
        if let stdin, let inPipe {
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning {
            if Date() > deadline {
                p.terminate()
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                try? out.close()
                try? err.close()
                throw CommandError(command: arguments, result: nil, reason: "timed out after \(timeout) s")
            }
            usleep(2_000)
        }
        p.waitUntilExit()
        try? out.close()
        try? err.close()
        let outData = (try? Data(contentsOf: outURL)) ?? Data()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        return CommandResult(
            status: status, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self), stdoutBytes: [UInt8](outData))
    }

    /// Like `run`, but throws unless the command exits 0.
    @discardableResult
    package static func check(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 120) throws
        -> CommandResult
    {
        let r = try run(arguments, stdin: stdin, timeout: timeout)
        guard r.status == 0 else { throw CommandError(command: arguments, result: r, reason: "exit \(r.status)") }
        return r
    }
}
