import Foundation

extension NetNamespace {
    /// Starts `python3 -c script arguments…` in this namespace and waits (up
    /// to 15 s) until the script creates `ready`. Its standard error goes to
    /// `ready.err` and is quoted when it does not start; a server that does
    /// not start is killed before the error is thrown, so none is left behind.
    /// The caller keeps the returned process and kills it when done.
    package func startPython(_ script: String, arguments: [String], ready: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["ip", "netns", "exec", name, "/usr/bin/python3", "-c", script] + arguments
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        let errPath = ready + ".err"
        guard FileManager.default.createFile(atPath: errPath, contents: nil) else {
            throw CommandError(command: p.arguments ?? [], result: nil, reason: "cannot create \(errPath)")
        }
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try p.run()
        let deadline = Date().addingTimeInterval(15)
        while !FileManager.default.fileExists(atPath: ready) {
            if !p.isRunning || Date() > deadline {
                if p.isRunning {
                    kill(p.processIdentifier, SIGKILL)
                    p.waitUntilExit()
                }
                let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
                throw CommandError(command: p.arguments ?? [], result: nil, reason: "server did not start: \(err)")
            }
            usleep(20_000)
        }
        return p
    }
}
