import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport

/// Processes started by a test; `stopAll` kills every one (SIGKILL, with
/// whatever it started) and reaps it. Tests call it in `defer`, so nothing
/// outlives a failing test; each process is a `LinkedChild`, so nothing
/// outlives a test run that is killed either (the loops some tests start
/// would otherwise run forever).
final class TestProcesses: @unchecked Sendable {
    private var processes: [LinkedChild] = []
    private var extraPids: [Int32] = []
    let dir: String

    init(_ tag: String) throws {
        dir = try Fixtures.temporaryDirectory("ha-\(tag)")
    }

    /// Starts `path args…` with an optional environment; returns its pid.
    @discardableResult
    func start(_ path: String, _ args: [String], environment: [String: String]? = nil, cwd: String? = nil) throws -> Int32 {
        let child = try LinkedChild([path] + args, environment: environment, cwd: cwd)
        processes.append(child)
        if cwd != nil {
            // A /bin/sh wrapper sets the working directory and then execs
            // `path`: wait for the exec, so a test that next deletes or
            // renames `path` cannot make the exec fail.
            try waitFor(child.pid) { $0.starts(with: Array(path.utf8) + [0]) }
        }
        return child.pid
    }

    /// A pid that some other process (e.g. `ip netns exec …`) started; killed in `stopAll`.
    func adopt(_ pid: Int32) { extraPids.append(pid) }

    /// Waits until `/proc/PID/cmdline` satisfies `ready` (the exec has happened).
    func waitFor(_ pid: Int32, timeout: Double = 10, _ ready: ([UInt8]) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), ready([UInt8](d)) { return }
            usleep(10_000)
        }
        throw TestProcessError(reason: "pid \(pid) never became ready")
    }

    /// Waits for a file a child writes (its pid, for instance) and returns its contents.
    func waitForFile(_ path: String, timeout: Double = 15) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: path, encoding: .utf8), !s.isEmpty { return s }
            usleep(20_000)
        }
        throw TestProcessError(reason: "\(path) never appeared")
    }

    func stopAll() {
        for pid in extraPids { kill(pid, SIGKILL) }
        for p in processes { p.stop() }
        processes.removeAll()
        extraPids.removeAll()
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stopAll() }
}

enum LiveScan {
    /// An in-process scan of the live /proc.
    static func processes(cpuInterval: Double = 0, sweep: Bool = false) -> ProcessesFacts {
        ProcessCollector(options: .init(cpuInterval: cpuInterval, hiddenSweep: sweep)).collect()
    }

    static func json(_ result: CommandResult) throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [String: Any] else {
            throw TestProcessError(reason: "not a JSON object: \(result)")
        }
        return o
    }

    static func list(_ doc: [String: Any]) -> [[String: Any]] {
        ((doc["processes"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
    }
}

struct TestProcessError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
