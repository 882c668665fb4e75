import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

@testable import HostAuditLinux

/// The executable mappings come from PROCMAP_QUERY where the kernel has it
/// and from the maps text elsewhere; both must give the same facts, also for
/// hostile names (a newline, which maps escapes and the query does not).
@Suite(.privileged, .serialized) struct MapsQueryTests {
    static let mapper = """
        import mmap, os, sys, time
        lib = open(sys.argv[1], 'rb')
        m1 = mmap.mmap(lib.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
        ro = open(sys.argv[2], 'rb')
        m2 = mmap.mmap(ro.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
        m3 = mmap.mmap(-1, 65536, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        fd = os.memfd_create('payload')
        os.write(fd, b'\\0' * 4096)
        m4 = mmap.mmap(fd, 4096, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
        os.unlink(sys.argv[1])
        open(sys.argv[3], 'w').write('ready')
        time.sleep(120)
        """

    static func bothReaders(_ pid: Int32) throws -> (query: ProcessMaps, viaQuery: Bool, text: ProcessMaps) {
        let io = ProcfsIO()
        let dirfd = try io.openDirectory("/proc/\(pid)")
        defer { close(dirfd) }
        let q = try io.executableMappings(at: dirfd)
        // The whole text, read to its end (a seq file hands it over a page or so per read).
        let fd = try io.openFile("maps", at: dirfd)
        defer { close(fd) }
        let text = ProcessMaps.parse(try io.read(fd: fd, limit: 16 << 20).bytes)
        return (q.maps, q.viaQuery, text)
    }

    @Test func queryEqualsMapsTextOnHostileMappings() throws {
        let t = try TestProcesses("mapsq")
        defer { t.stopAll() }
        let lib = t.dir + "/lib\nevil x.so"
        let readOnly = t.dir + "/readonly.so"
        for path in [lib, readOnly] { try FileManager.default.copyItem(atPath: "/bin/true", toPath: path) }
        let ready = t.dir + "/ready"
        let pid = try t.start("/usr/bin/python3", ["-c", Self.mapper, lib, readOnly, ready])
        _ = try t.waitForFile(ready)
        let sleeper = try t.start("/bin/sleep", ["60"])
        try t.waitFor(sleeper) { $0.starts(with: Array("/bin/sleep".utf8)) }

        // PROCMAP_QUERY is in Linux 6.11 and later.
        let release = try #require(KernelName.current()).release
        let version = release.split(separator: ".").prefix(2).compactMap { Int($0.prefix { $0.isNumber }) }
        let kernelHasQuery = version.count == 2 && (version[0] > 6 || (version[0] == 6 && version[1] >= 11))
        for p in [pid, sleeper] {
            let r = try Self.bothReaders(p)
            #expect(r.query == r.text, "pid \(p): query \(r.query) text \(r.text)")
            if kernelHasQuery { #expect(r.viaQuery, "kernel \(release) has PROCMAP_QUERY") }
        }
        let r = try Self.bothReaders(pid)
        let evil = try #require(r.query.suspiciousLibraries.first { $0.path.path.hasSuffix("x.so") })
        #expect(evil.path.path == t.dir + "/lib\\012evil x.so", "the newline escaped as maps escapes it")
        #expect(evil.reasons.contains("deleted") && evil.reasons.contains("temp-dir"))
        #expect(!r.query.suspiciousLibraries.contains { $0.path.path == readOnly }, "mapped without exec: data")
        #expect(r.query.anonymousExecutableCount >= 1)
        #expect(r.query.deletedExecutable.contains { $0.path.path == "/memfd:payload" && $0.reasons == ["deleted", "memfd"] })
    }

    @Test func kernelThreadHasEmptyMaps() throws {
        // kthreadd (pid 2 in the initial pid namespace) has no memory: no mappings, not an error.
        guard let comm = FileManager.default.contents(atPath: "/proc/2/comm"),
            String(decoding: comm, as: UTF8.self) == "kthreadd\n"
        else { return }
        let r = try Self.bothReaders(2)
        #expect(r.query == r.text && r.query.sharedObjects == 0 && r.query.anonymousExecutableCount == 0)
    }
}
