import Foundation
import Synchronization

/// A uniquely named network namespace for one test, with loopback up.
///
/// Use `NetNamespace.with { ns in … }`: the namespace is deleted when the body
/// returns or throws. Names carry the creating pid, so namespaces left behind
/// by a killed test run are swept the next time one is created.
package final class NetNamespace: Sendable {
    package let name: String
    private let deleted = Atomic(false)
    private static let counter = Counter()
    static let prefix = "ha-t"

    private init(name: String) { self.name = name }

    package static func create(tag: String = "ns") throws -> NetNamespace {
        try Privileged.check()
        sweepStale()
        let clean = tag.filter { $0.isLetter || $0.isNumber }.prefix(12)
        let name = "\(prefix)\(getpid())-\(counter.next())-\(clean)"
        try CommandRunner.check(["ip", "netns", "add", name])
        let ns = NetNamespace(name: name)
        do {
            try ns.check(["ip", "link", "set", "lo", "up"])
        } catch {
            ns.delete()
            throw error
        }
        return ns
    }

    /// Runs `body` with a fresh namespace and always deletes it.
    package static func with<T>(tag: String = "ns", _ body: (NetNamespace) async throws -> T) async throws -> T {
        let ns = try create(tag: tag)
        defer { ns.delete() }
        return try await body(ns)
    }

    package static func with<T>(tag: String = "ns", _ body: (NetNamespace) throws -> T) throws -> T {
        let ns = try create(tag: tag)
        defer { ns.delete() }
        return try body(ns)
    }

    /// Runs a command inside the namespace (`ip netns exec NAME …`).
    @discardableResult
    package func run(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 120) throws -> CommandResult {
        try CommandRunner.run(["ip", "netns", "exec", name] + arguments, stdin: stdin, timeout: timeout)
    }

    /// Like `run`, but throws unless the command exits 0.
    @discardableResult
    package func check(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 120) throws -> CommandResult {
        let r = try run(arguments, stdin: stdin, timeout: timeout)
        guard r.status == 0 else { throw CommandError(command: arguments, result: r, reason: "exit \(r.status) in \(name)") }
        return r
    }

    package func delete() {
        guard !deleted.exchange(true, ordering: .relaxed) else { return }
        _ = try? CommandRunner.run(["ip", "netns", "delete", name], timeout: 30)
    }

    deinit { delete() }

    /// Deletes `ha-t<pid>-…` namespaces whose creating process is gone.
    static func sweepStale() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/run/netns") else { return }
        for n in names where n.hasPrefix(prefix) {
            let pidPart = n.dropFirst(prefix.count).prefix(while: { $0.isNumber })
            guard let pid = Int32(pidPart), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                _ = try? CommandRunner.run(["ip", "netns", "delete", n], timeout: 30)
            }
        }
    }

    /// All namespaces currently present (for leak checks in tests).
    package static func existing() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
