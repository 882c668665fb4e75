import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A process connected to a mining-pool port (the miners policy's `pool-ports`
/// list) is a memory-scan candidate, `pool-port`, even when nothing else about
/// it is odd.
@Suite("Pool-port connections make memory-scan candidates")
struct PoolPortCandidateTests {
    @Test("The shipped miners policy gives the pool ports")
    func shippedPoolPorts() {
        let lib = PolicyLibrary.load(paths: [Fixtures.packageRoot + "/Policies"])
        let ports = SignatureCandidate.poolPorts(lib.policies)
        #expect(ports.contains(3333) && ports.contains(14444), "\(ports.sorted())")
        #expect(!ports.contains(443) && !ports.contains(0))
    }

    @Test("pool-port is a reason only with a pool connection")
    func reasonOnlyWithConnection() throws {
        let p = ProcessFact(
            pid: 4242, ppid: 1, state: "S", comm: "sleep", commB64: nil,
            cmdline: .parse(prefix: Array("sleep\u{0}".utf8), totalLength: 6, totalNULs: 1, endsWithNUL: true),
            exe: ProcessPath.classify(Array("/usr/bin/sleep".utf8)), cwd: nil,
            uids: .init(real: 0, effective: 0, saved: 0, fs: 0), gids: .init(real: 0, effective: 0, saved: 0, fs: 0),
            threads: 1, flags: 0, startTimeMs: nil, startTicks: 1, cpu: .init(userTicks: 0, systemTicks: 0, ticksPerSecond: 100),
            environ: nil, maps: nil, socketInodes: [7], fdCount: 1, unreadable: [])
        #expect(SignatureCandidate.reasons(p).isEmpty)
        #expect(SignatureCandidate.reasons(p, poolConnection: true) == ["pool-port"])
    }

    /// A listener on 127.0.0.1 (an ephemeral port, named a pool port for this
    /// scan) and a `sleep` that holds a connection to it: the sleep becomes a
    /// candidate by `pool-port` alone and its memory is scanned; without the
    /// port in the list it is no candidate.
    @Test("A process connected to a pool port is a memory-scan candidate", .privileged)
    func connectedProcessIsCandidate() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(listener, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: addr.sin_port))

        let procs = try TestProcesses("poolport")
        defer { procs.stopAll() }
        // bash opens the connection on fd 3, then execs sleep, which keeps it.
        let pid = try procs.start("/bin/bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port) && exec sleep 60"])
        try procs.waitFor(pid) { $0.starts(with: Array("sleep".utf8)) }

        func scan(_ ports: Set<Int>) throws -> ProcessSignatures? {
            var facts = LiveScan.processes()
            facts.list = facts.list.filter { $0.pid == pid }
            try #require(facts.list.first?.socketInodes?.isEmpty == false, "the sleep holds the socket")
            let dir = Fixtures.packageRoot + "/Policies/signatures"
            var options = SignatureScanOptions(rulesDirectory: dir)
            options.poolPorts = ports
            SignatureScanner(rules: try YaraRules(directory: dir), options: options).scan(&facts)
            return facts.list.first?.signatures
        }
        let with = try #require(try scan([port, 3333]))
        #expect(with.candidateReasons == ["pool-port"])
        #expect(with.memoryScanned && with.memoryBytes > 0)
        let without = try #require(try scan([3333]))
        #expect(without.candidateReasons.isEmpty && !without.memoryScanned)
    }
}
