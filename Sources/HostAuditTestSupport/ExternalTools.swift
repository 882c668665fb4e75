import Foundation
import Testing

/// Gating for end-to-end tests that run other programs (Debian's
/// `prometheus`, `prometheus-node-exporter`, `chromium`, `ansible-core`).
///
/// Without the tool a developer sees the test skipped; with
/// `HOSTAUDIT_REQUIRE_PRIVILEGED=1` (CI, which installs them from `.ci/run`)
/// the test runs and a missing tool fails it.
package enum ExternalTools {
    /// The tool's path on `PATH` (or an absolute path that is executable).
    package static func find(_ name: String) -> String? {
        let fm = FileManager.default
        if name.hasPrefix("/") { return fm.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for dir in dirs {
            let p = "\(dir)/\(name)"
            if fm.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// The tool's path, or an error naming the Debian package to install.
    package static func require(_ name: String, package: String) throws -> String {
        guard let p = find(name) else {
            throw CommandError(command: [name], result: nil, reason: "\(name) not found: apt-get install \(package)")
        }
        return p
    }

    /// A free TCP port on 127.0.0.1 (bound once, released; the caller binds it right away).
    package static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CommandError(command: [], result: nil, reason: "socket: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sp in
                bind(fd, sp, len) == 0 && getsockname(fd, sp, &len) == 0
            }
        }
        guard ok else { throw CommandError(command: [], result: nil, reason: "bind: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when every tool is on `PATH`, or when
    /// `HOSTAUDIT_REQUIRE_PRIVILEGED=1` (then a missing tool fails the test).
    package static func requiresTools(_ names: String...) -> Self {
        .enabled(
            if: names.allSatisfy { ExternalTools.find($0) != nil } || Privileged.required,
            "needs \(names.joined(separator: ", ")) (installed by .ci/run; set HOSTAUDIT_REQUIRE_PRIVILEGED=1 to fail instead of skip)")
    }
}
