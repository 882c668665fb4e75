import Foundation

/// Runs the built `hostaudit` binary, as a user would.
public enum HostAuditCLI {
    /// The binary: `HOSTAUDIT_BIN` if set, else next to the test bundle, else
    /// `.build/debug/hostaudit` in the package.
    public static let binaryPath: String = {
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
    public static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 120)
        throws -> CommandResult
    {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        return try CommandRunner.run([binaryPath] + arguments, environment: env, timeout: timeout)
    }

    /// Runs `hostaudit ARGS` inside a network namespace.
    @discardableResult
    public static func run(in ns: NetNamespace, _ arguments: [String], timeout: TimeInterval = 120) throws
        -> CommandResult
    {
        try CommandRunner.run(
            ["ip", "netns", "exec", ns.name, "env", "NO_COLOR=1", binaryPath] + arguments, timeout: timeout)
    }
}
