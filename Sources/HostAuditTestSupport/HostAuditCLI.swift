import Foundation
import Synchronization

/// Runs the built `hostaudit` binary, as a user would.
package enum HostAuditCLI {
    /// The binary: `HOSTAUDIT_BIN` if set, else next to the test bundle, else
    /// `.build/debug/hostaudit` in the package.
    package static let binaryPath: String = {
        let fm = FileManager.default
        if let p = ProcessInfo.processInfo.environment["HOSTAUDIT_BIN"], fm.isExecutableFile(atPath: p) { return p }
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("hostaudit").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("hostaudit").path,
            Fixtures.packageRoot + "/.build/debug/hostaudit",
        ]
        for c in candidates where fm.isExecutableFile(atPath: c) { return c }
        fatalError("hostaudit binary not found; tried \(candidates). Run `swift build` first or set HOSTAUDIT_BIN.")
    }()

    /// Runs `hostaudit ARGS` and captures stdout, stderr and the exit status.
    /// `NO_COLOR` is set so output is plain unless the test overrides it.
    @discardableResult
    package static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 120)
        throws -> CommandResult
    {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        return try CommandRunner.run([binaryPath] + arguments, environment: env, timeout: timeout)
    }

    /// Runs `hostaudit ARGS` inside a network namespace.
    @discardableResult
    package static func run(in ns: NetNamespace, _ arguments: [String], timeout: TimeInterval = 120) throws
        -> CommandResult
    {
        try CommandRunner.run(
            ["ip", "netns", "exec", ns.name, "env", "NO_COLOR=1", binaryPath] + arguments, timeout: timeout)
    }
}

/// Copies of built binaries that an unprivileged user can execute, for tests
/// that drop privileges (the build folder may sit under a 0700 home directory).
package enum UnprivilegedCopy {
    /// Copies made so far, by original path; the lock is held while a copy is made.
    private static let copies = Mutex<[String: String]>([:])

    /// A world-executable copy of `path` in a world-readable temporary folder.
    package static func of(_ path: String) throws -> String {
        try copies.withLock { copies throws -> String in
            if let c = copies[path] { return c }
            let dir = "/tmp/ha-bin-\(getpid())"
            let fm = FileManager.default
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            if copies.isEmpty {
                atexit { try? FileManager.default.removeItem(atPath: "/tmp/ha-bin-\(getpid())") }
            }
            let dest = dir + "/" + (path as NSString).lastPathComponent
            if fm.fileExists(atPath: dest) { try fm.removeItem(atPath: dest) }
            try Fixtures.copyExecutable(path, to: dest)
            copies[path] = dest
            return dest
        }
    }
}
