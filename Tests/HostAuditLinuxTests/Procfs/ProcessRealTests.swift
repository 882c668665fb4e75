import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

@testable import HostAuditLinux

/// Real processes on the live host, scanned by the collector (root: environ,
/// maps and fds of every process are readable). Each test kills what it starts.
@Suite(.privileged, .serialized) struct ProcessRealTests {
    @Test func renamedDeletedMinerFromTempDir() throws {
        let t2 = try TestProcesses("miner")
        defer { t2.stopAll() }
        // GNU sleep rejects unknown options, so the renamed binary is a copy of dash,
        // which keeps its argv exactly: kdevtmpfsi -c 'loop' ARGV0 ARGS…
        let exe2 = t2.dir + "/kdevtmpfsi"
        try Fixtures.copyExecutable("/bin/dash", to: exe2)
        let minerArgs = ["--donate-level", "1", "-o", "stratum+tcp://pool.example:3333", "-u", "WALLET"]
        let p = try t2.start(exe2, ["-c", "while :; do sleep 1; done", "kdevtmpfsi"] + minerArgs, cwd: t2.dir)
        try t2.waitFor(p) { $0.count > 10 }
        try FileManager.default.removeItem(atPath: exe2)

        let f = LiveScan.processes()
        let m = try #require(f.list.first { $0.pid == p })
        let e = try #require(m.exe)
        #expect(e.deleted && e.inTempDir && e.path == exe2)
        #expect(m.cwd?.path == t2.dir && m.cwd?.inTempDir == true)
        #expect(m.cmdline.args == [exe2, "-c", "while :; do sleep 1; done", "kdevtmpfsi"] + minerArgs)
        #expect(m.cmdline.joined.contains("stratum+tcp://pool.example:3333"))
        #expect(m.comm == "kdevtmpfsi")
        #expect(m.fakeKernelThread, "kdevtmpfs* is a kernel-thread name")
        #expect(m.maps?.deletedExecutable.contains { $0.path.path == exe2 } == true)
    }

    @Test func argv0PosingAsKernelThread() throws {
        let t = try TestProcesses("kthread")
        defer { t.stopAll() }
        let pid = try t.start("/bin/bash", ["-c", "exec -a '[kworker/0:2]' sleep 60"])
        try t.waitFor(pid) { $0.starts(with: Array("[kworker".utf8)) }
        let f = LiveScan.processes()
        let p = try #require(f.list.first { $0.pid == pid })
        #expect(p.cmdline.args.first == "[kworker/0:2]")
        #expect(p.kernelThreadName && p.fakeKernelThread && !p.kernelThread)
        #expect(p.fakeKernelThreadReasons.contains("has-exe") && p.fakeKernelThreadReasons.contains("no-kthread-flag"))
        // Real kernel threads on this host are not flagged.
        let real = f.list.filter(\.kernelThread)
        #expect(!real.isEmpty)
        #expect(real.allSatisfy { !$0.fakeKernelThread }, "\(real.filter(\.fakeKernelThread).map(\.comm))")
    }

    @Test func ldPreloadInEnvironment() throws {
        let t = try TestProcesses("preload")
        defer { t.stopAll() }
        let pid = try t.start("/bin/sleep", ["60"], environment: ["LD_PRELOAD": "/tmp/x.so", "PATH": "/usr/bin:/bin"])
        try t.waitFor(pid) { $0.starts(with: Array("/bin/sleep".utf8)) }
        let p = try #require(LiveScan.processes().list.first { $0.pid == pid })
        #expect(p.environ?.variables.contains { $0.name == "LD_PRELOAD" && $0.value == "/tmp/x.so" } == true)
        #expect(p.environ?.variables.contains { $0.name == "PATH" } == false, "only selected variables are reported")
    }

    /// `environ` is parsed in the scan's 64 KiB read buffer when it fits and
    /// read on into an array when it does not (exactly the buffer, past it,
    /// past the 1 MiB limit): the facts equal a parse of the file read here.
    @Test(arguments: [1_000, ProcfsIO.bufferSize, ProcfsIO.bufferSize + 4_000, 1_200_000])
    func environAroundTheReadBuffer(_ size: Int) throws {
        let t = try TestProcesses("environ")
        defer { t.stopAll() }
        func spawn(pad: Int) throws -> (pid: Int32, bytes: [UInt8]) {
            var env = ["LD_PRELOAD": "/tmp/x.so"]
            var left = pad, k = 0
            while left > 0 {  // Linux caps one variable at 128 KiB
                let n = min(left, 100_000)
                env["PAD\(k)"] = String(repeating: "x", count: n)
                left -= n
                k += 1
            }
            let pid = try t.start("/bin/sleep", ["60"], environment: env)
            try t.waitFor(pid) { $0.starts(with: Array("/bin/sleep".utf8)) }
            return (pid, [UInt8](try #require(FileManager.default.contents(atPath: "/proc/\(pid)/environ"))))
        }
        var (pid, bytes) = try spawn(pad: size)
        if size == ProcfsIO.bufferSize {
            (pid, bytes) = try spawn(pad: size - (bytes.count - size))
            try #require(bytes.count == size, "environ exactly the read buffer")
        }
        let p = try #require(LiveScan.processes().list.first { $0.pid == pid })
        let limit = 1 << 20
        let want = ProcessEnviron.parse(Array(bytes.prefix(limit)), truncated: bytes.count > limit)
        #expect(p.environ == want)
        #expect(p.environ?.truncated == (size > limit))
        if size < limit {
            #expect(p.environ?.variables.contains { $0.name == "LD_PRELOAD" && $0.value == "/tmp/x.so" } == true)
            #expect(p.environ?.count == bytes.split(separator: 0).count)
        }
    }

    @Test func benignControlSetHasNoFindings() throws {
        let t = try TestProcesses("benign")
        defer { t.stopAll() }
        let sleepPid = try t.start("/bin/sleep", ["60"])
        let shPid = try t.start("/bin/sh", ["-c", "while :; do sleep 1; done"])
        let pyPid = try t.start("/usr/bin/python3", ["-c", "while True: pass"])
        for pid in [sleepPid, shPid, pyPid] { try t.waitFor(pid) { !$0.isEmpty } }
        usleep(200_000)
        let f = LiveScan.processes(cpuInterval: 0.5, sweep: true)
        for pid in [sleepPid, shPid, pyPid] {
            let p = try #require(f.list.first { $0.pid == pid })
            #expect(!p.fakeKernelThread && !p.kernelThreadName, "\(p.comm)")
            #expect(p.exe?.deleted == false && p.exe?.inTempDir == false && p.exe?.memfd == false)
            #expect(p.maps?.suspiciousLibraries.isEmpty == true, "\(p.maps?.suspiciousLibraries ?? [])")
            #expect(p.parentListed && p.unreadable.isEmpty)
        }
        let sweep = try #require(f.hiddenSweep)
        #expect(sweep.hidden.isEmpty, "\(sweep.hidden)")
        let py = try #require(f.list.first { $0.pid == pyPid })
        #expect((py.cpu.percent ?? 0) > 10, "a busy loop shows CPU use: \(py.cpu)")
        let cpu = try #require(f.cpu)
        #expect(cpu.processTicks > 0 && cpu.processesSampled > 0)
    }

    @Test func churnOfShortLivedProcessesDuringScans() throws {
        let t = try TestProcesses("churn")
        defer { t.stopAll() }
        let done = t.dir + "/done", stop = t.dir + "/stop", rounds = t.dir + "/rounds"
        // Short-lived processes in rounds of 20 until the test says stop (so the
        // churn lasts as long as the scans do, however loaded the machine is);
        // each finished round is counted in a file.
        let loop = """
            n=0; while [ ! -e \(stop) ]; do for i in $(seq 20); do /bin/sleep 0.0$((i % 5)) & done; wait; \
            n=$((n + 1)); echo $n > \(rounds).tmp; mv \(rounds).tmp \(rounds); done; echo x > \(done)
            """
        let shell = try t.start("/bin/bash", ["-c", loop])
        func roundsDone() -> Int { Int((try? String(contentsOfFile: rounds, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0 }
        _ = try t.waitForFile(rounds)
        let before = roundsDone()
        // At least three scans, and on until the churn has moved on (bounded).
        var scans = 0
        while scans < 3 || (roundsDone() == before && scans < 50) {
            scans += 1
            let f = ProcessCollector(options: .init(cpuInterval: 0.05, hiddenSweep: true)).collect()
            #expect(f.available && f.errors.isEmpty, "\(f.errors)")
            let vanishedNoted = f.list.flatMap(\.unreadable).filter { $0.contains("No such") }
            #expect(vanishedNoted.isEmpty, "\(vanishedNoted)")
            #expect(f.hiddenSweep?.hidden.isEmpty == true, "\(f.hiddenSweep?.hidden ?? [])")
        }
        let after = roundsDone()
        FileManager.default.createFile(atPath: stop, contents: nil)
        _ = try t.waitForFile(done, timeout: 60)
        #expect(after > before, "processes came and went while the scans ran (rounds \(before) → \(after))")
        _ = shell
    }

    @Test func megabyteCommandLineIsBoundedWithTrueLength() throws {
        let t = try TestProcesses("bigargs")
        defer { t.stopAll() }
        let big = (0..<16).map { String(repeating: "B", count: 100_000) + String($0) }
        let args = ["-c", "while :; do sleep 1; done", "sh"] + big
        let pid = try t.start("/bin/sh", args)
        try t.waitFor(pid) { $0.count > 1000 }
        let p = try #require(LiveScan.processes().list.first { $0.pid == pid })
        let full = ["/bin/sh"] + args
        #expect(p.cmdline.length == full.reduce(0) { $0 + $1.utf8.count + 1 })
        #expect(p.cmdline.argc == full.count)
        #expect(p.cmdline.truncated && p.cmdline.keptBytes == 64 * 1024)
        #expect(Array(p.cmdline.args.prefix(4)) == Array(full.prefix(4)))
    }
}
