import Foundation

/// Paths into the repository for tests: fixture root trees and the package itself.
package enum Fixtures {
    /// The package root (the folder holding Package.swift).
    package static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.path
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `Tests/Fixtures/roots/<name>`: a fake filesystem root for `--root`.
    package static func root(_ name: String) -> String {
        packageRoot + "/Tests/Fixtures/roots/" + name
    }

    /// `Tests/Fixtures/<relative>`.
    package static func path(_ relative: String) -> String {
        packageRoot + "/Tests/Fixtures/" + relative
    }

    /// A fresh temporary directory, removed by the returned cleanup closure.
    package static func temporaryDirectory(_ prefix: String = "ha-test") throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Copies the executable `source` to `destination` (mode 0755) so that it
    /// can be executed at once. The copy is made by a child process
    /// (`install`): a write descriptor opened here could be inherited by a
    /// child another test thread starts meanwhile, and while that child lives,
    /// executing the copy fails with ETXTBSY ("Text file busy").
    package static func copyExecutable(_ source: String, to destination: String) throws {
        try CommandRunner.check(["install", "-m", "0755", source, destination])
    }

    /// Writes `contents` to `root + hostPath`, creating parent folders.
    package static func write(_ contents: String, to hostPath: String, under root: String) throws {
        let full = root + hostPath
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
    }
}
