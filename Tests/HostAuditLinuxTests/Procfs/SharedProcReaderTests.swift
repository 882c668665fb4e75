import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

@testable import HostAuditLinux

/// Every `/proc` walk (the process scan, the socket owners, the agent check's
/// process table, nft's owner names, the evidence fd listing) goes through
/// `ProcfsIO`: raw getdents64 listings and reads below a `/proc/PID` fd.
/// A real process whose name holds a newline, parentheses and a byte that
/// is not UTF-8, holding a netlink socket, is seen by each of them.
@Suite(.serialized) struct SharedProcReaderTests {
    /// comm bytes: `a)b` newline `(c` 0xff — a `)` before the last one, a newline inside.
    static let commBytes: [UInt8] = Array("a)b\n(c".utf8) + [0xff]

    struct Child {
        var pid: Int32
        var socketInode: UInt64
        var portids: [UInt32]
    }

    /// dash, copied under the hostile name and exec'd with two NETLINK_NETFILTER
    /// sockets left open: the first bound to the pid (the port id nft tries
    /// first), the second to a kernel-chosen port id (found only by walking
    /// every process).
    static func start(_ t: TestProcesses) throws -> Child {
        let launcher = """
            import os, shutil, socket, sys
            d = sys.argv[1].encode()
            path = d + b"/a)b\\n(c\\xff"
            shutil.copy("/bin/dash", path)
            os.chmod(path, 0o755)
            s1 = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
            s1.bind((0, 0))
            s2 = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
            s2.bind((0, 0))
            for s in (s1, s2):
                os.set_inheritable(s.fileno(), True)
            info = "%d %d %d %d" % (os.getpid(), os.fstat(s2.fileno()).st_ino, s1.getsockname()[0], s2.getsockname()[0])
            open(sys.argv[1] + "/info.tmp", "w").write(info)
            os.rename(sys.argv[1] + "/info.tmp", sys.argv[1] + "/info")
            os.execv(path, [b"sh", b"-c", b"while :; do sleep 1; done"])
            """
        try t.start("/usr/bin/python3", ["-c", launcher, t.dir])
        let f = try t.waitForFile(t.dir + "/info").split(separator: " ")
        let pid = try #require(Int32(f[0]))
        try t.waitFor(pid) { $0.starts(with: Array("sh\0".utf8)) }
        return Child(
            pid: pid, socketInode: try #require(UInt64(f[1])),
            portids: [try #require(UInt32(f[2])), try #require(UInt32(f[3]))])
    }

    @Test func everyProcReaderSeesAHostileNamedProcess() throws {
        let t = try TestProcesses("procreader")
        defer { t.stopAll() }
        let child = try Self.start(t)

        // The listing.
        #expect(try Procfs().listPids().contains(child.pid))

        // The process scan: the comm between the first `(` and the last `)`, exact bytes.
        let io = ProcfsIO()
        let procfd = try io.openDirectory("/proc")
        defer { close(procfd) }
        let dir = try io.openProcess(child.pid, at: procfd)
        defer { close(dir) }
        let st = try #require(try io.withContents("stat", at: dir, limit: 4096) { Procfs.parseStat($0) })
        #expect(st.commBytes == Self.commBytes)

        // The shared fd walk: both sockets, the second one's inode among them.
        let fds = try Procfs().socketInodes(dirfd: dir, io: io)
        #expect(fds.inodes.contains(child.socketInode))
        #expect(fds.inodes.count >= 2 && fds.count >= 2)
        var targets: [Int32: [UInt8]] = [:]
        try io.forEachFdLink(ofProcessDir: dir) { fd, target in targets[fd] = target.map(Array.init) }
        #expect(targets.values.contains(Array("socket:[\(child.socketInode)]".utf8)))

        // The agent check's table: comm from /proc/PID/comm, only its final newline dropped.
        let table = try ProcessTable.read().get()
        let row = try #require(table.processes.first { $0.pid == Int(child.pid) })
        #expect(row.comm == String(decoding: Self.commBytes, as: UTF8.self))
        #expect(row.exe.map { Array($0.utf8) } == Array((t.dir + "/").utf8) + Array("a)b\n(c\u{fffd}".utf8))

        // nft's owner names: up to the first `)`, as nft's fscanf reads it; the
        // port id equal to the pid, and one found only by walking every process.
        let names = NetlinkOwners.names(for: Set(child.portids))
        #expect(names[child.portids[0]] == "a")
        #expect(names[child.portids[1]] == "a")
    }

    /// The fd walk skips getdents64's confirming empty pass only when a pass
    /// was short. Processes whose fd listings end below, near and past half
    /// the read buffer, and span several passes, are listed whole: the same
    /// fds as a plain directory listing.
    @Test func fdListingsOfEverySizeAreWhole() throws {
        let t = try TestProcesses("fdlisting")
        defer { t.stopAll() }
        // 24-byte entries for 4-digit fds: 1,365 of them fill half the 64 KiB
        // buffer; 4,000 take several passes.
        for count in [0, 1_300, 1_365, 1_400, 4_000] {
            let launcher = """
                import os, resource, signal, sys
                hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
                resource.setrlimit(resource.RLIMIT_NOFILE, (8192 if hard == resource.RLIM_INFINITY else min(8192, hard), hard))
                fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(\(count))]
                open(sys.argv[1] + "/ready.tmp", "w").write(str(os.getpid()))
                os.rename(sys.argv[1] + "/ready.tmp", sys.argv[1] + "/ready-\(count)")
                signal.pause()
                """
            try t.start("/usr/bin/python3", ["-c", launcher, t.dir])
            let pid = try #require(Int32(try t.waitForFile(t.dir + "/ready-\(count)")))
            let expected = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int32($0) }
            let io = ProcfsIO()
            let procfd = try io.openDirectory("/proc")
            defer { close(procfd) }
            let dir = try io.openProcess(pid, at: procfd)
            defer { close(dir) }
            var seen: [Int32] = []
            var nullTargets = 0
            let listed = try io.forEachFdLink(ofProcessDir: dir) { fd, target in
                seen.append(fd)
                if let target, Array(target) == Array("/dev/null".utf8) { nullTargets += 1 }
            }
            #expect(expected.count >= count + 3)
            #expect(Set(seen) == Set(expected), "fd listing of a process with \(count) extra fds")
            #expect(seen.count == expected.count && listed == expected.count)
            #expect(nullTargets >= count)
        }
    }
}
