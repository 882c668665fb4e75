#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HostAuditCore

/// A procfs mount: `/proc` on the live host, or a fixture tree in tests
/// (prometheus/procfs `NewFS(mountPoint)`).
///
/// Listings use raw `getdents64` on an `openat` fd; per-process files are
/// opened with `openat` relative to the `/proc/PID` directory fd, so a
/// process that exits and whose pid is reused cannot mix two processes.
public struct Procfs: Sendable {
    public let root: String

    public init(root: String = "/proc") {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    /// Which root-only files (environ, maps, fds) to read.
    public enum PrivilegedReads: Sendable {
        /// As root every process; otherwise only processes of the same real uid.
        case auto
        case always
        case never
    }

    public struct Options: Sendable {
        public var privilegedReads: PrivilegedReads
        /// Bytes of each command line kept exactly.
        public var cmdlineLimit: Int

        public init(privilegedReads: PrivilegedReads = .auto, cmdlineLimit: Int = 64 * 1024) {
            self.privilegedReads = privilegedReads
            self.cmdlineLimit = cmdlineLimit
        }
    }

    /// The pids `/proc` lists (raw getdents64).
    package func listPids() throws(ProbeError) -> [Int32] {
        let io = ProcfsIO()
        return try listPids(io)
    }

    func listPids(_ io: ProcfsIO) throws(ProbeError) -> [Int32] {
        do throws(SysErr) {
            let fd = try io.openDirectory(root)
            defer { close(fd) }
            return try io.pids(of: fd)
        } catch {
            throw ProbeError.from(error.call, path: root, errno: error.errno)
        }
    }

    /// Boot time (`btime` of /proc/stat).
    func bootTime(_ io: ProcfsIO) -> Int64? {
        guard let text = try? readText("stat", io) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int64(line.dropFirst(6).trimmingCharacters(in: " "))
        }
        return nil
    }

    /// A file below the root as text (e.g. `sys/kernel/pid_max`).
    func readText(_ relative: String, _ io: ProcfsIO, limit: Int = 1 << 20) throws(SysErr) -> String {
        let out = try io.read(root + "/" + relative, at: AT_FDCWD, limit: limit)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// The raw stat values of one process needed by the scan and the CPU sample.
    struct Stat: Equatable {
        var commBytes: [UInt8]
        var state: String
        var ppid: Int32
        var flags: UInt32
        var utime: UInt64
        var stime: UInt64
        var threads: Int
        var startTicks: UInt64
        /// cutime + cstime (fields 16, 17): time of waited-for children that exited.
        var childTicks: UInt64 = 0
    }

    /// Parses `/proc/PID/stat`. The comm sits between the first `(` and the
    /// *last* `)`: it may itself contain parentheses, spaces and newlines.
    /// Byte-level, one pass over the fields after the comm (fields are
    /// separated by runs of spaces or newlines; a field that is not a number
    /// where one is needed makes the whole line unparseable).
    static func parseStat(_ bytes: [UInt8]) -> Stat? {
        bytes.withUnsafeBufferPointer { parseStat($0) }
    }

    static func parseStat(_ bytes: UnsafeBufferPointer<UInt8>) -> Stat? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
            let close = bytes.lastIndex(of: UInt8(ascii: ")")), close > open
        else { return nil }
        var state = ""
        var ppid: Int64?, flags: UInt64?, ut: UInt64?, st: UInt64?, th: Int64?, start: UInt64?
        var cut: Int64?, cst: Int64?
        // rest[0] is field 3 (state).
        var k = 0
        var i = close + 1
        let end = bytes.endIndex
        while i < end && k < 20 {
            while i < end && (bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\n")) { i += 1 }
            if i == end { break }
            let s0 = i
            while i < end && bytes[i] != UInt8(ascii: " ") && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            let field = UnsafeBufferPointer(rebasing: bytes[s0..<i])
            switch k {
            case 0: state = String(decoding: field, as: UTF8.self)
            case 1: ppid = ProcText.int64(field)
            case 6: flags = ProcText.uint64(field)
            case 11: ut = ProcText.uint64(field)
            case 12: st = ProcText.uint64(field)
            case 13: cut = ProcText.int64(field)
            case 14: cst = ProcText.int64(field)
            case 17: th = ProcText.int64(field)
            case 19: start = ProcText.uint64(field)
            default: break
            }
            k += 1
        }
        guard k >= 20, let ppid, let flags, let ut, let st, let th, let start else { return nil }
        return Stat(
            commBytes: Array(bytes[(open + 1)..<close]), state: state, ppid: Int32(truncatingIfNeeded: ppid),
            flags: UInt32(truncatingIfNeeded: flags), utime: ut, stime: st, threads: Int(th), startTicks: start,
            childTicks: UInt64(max(0, cut ?? 0)) + UInt64(max(0, cst ?? 0)))
    }

    struct Status: Equatable {
        var tgid: Int32?
        var uids: ProcessFact.IDs?
        var gids: ProcessFact.IDs?
    }

    /// The `Tgid`, `Uid` and `Gid` lines of `/proc/PID/status` (the first
    /// well-formed one of each wins; values that are not numbers are
    /// skipped), byte-level.
    static func parseStatus(_ bytes: [UInt8]) -> Status {
        bytes.withUnsafeBufferPointer { parseStatus($0) }
    }

    static func parseStatus(_ bytes: UnsafeBufferPointer<UInt8>) -> Status {
        var out = Status()
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let lineStart = i
            while i < end && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            let lineEnd = i
            i += 1
            // Only lines starting with T, U or G can be one of the three keys.
            let first = bytes[lineStart]
            guard lineEnd > lineStart, first == UInt8(ascii: "T") || first == UInt8(ascii: "U") || first == UInt8(ascii: "G")
            else { continue }
            var colon = lineStart
            while colon < lineEnd && bytes[colon] != UInt8(ascii: ":") { colon += 1 }
            guard colon < lineEnd else { continue }
            let key = UnsafeBufferPointer(rebasing: bytes[lineStart..<colon])
            let isTgid = key.elementsEqual("Tgid".utf8)
            let isUid = key.elementsEqual("Uid".utf8)
            let isGid = key.elementsEqual("Gid".utf8)
            guard isTgid || isUid || isGid else { continue }
            var values: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
            var n = 0
            var j = colon + 1
            while j < lineEnd {
                while j < lineEnd && (bytes[j] == UInt8(ascii: "\t") || bytes[j] == UInt8(ascii: " ")) { j += 1 }
                if j == lineEnd { break }
                let s0 = j
                while j < lineEnd && bytes[j] != UInt8(ascii: "\t") && bytes[j] != UInt8(ascii: " ") { j += 1 }
                guard let v = ProcText.uint64(UnsafeBufferPointer(rebasing: bytes[s0..<j])), v <= UInt64(UInt32.max)
                else { continue }
                switch n {
                case 0: values.0 = UInt32(v)
                case 1: values.1 = UInt32(v)
                case 2: values.2 = UInt32(v)
                case 3: values.3 = UInt32(v)
                default: break
                }
                n += 1
            }
            if isTgid {
                if n >= 1 && out.tgid == nil { out.tgid = Int32(bitPattern: values.0) }
            } else if n >= 4 {
                let ids = ProcessFact.IDs(real: values.0, effective: values.1, saved: values.2, fs: values.3)
                if isUid {
                    if out.uids == nil { out.uids = ids }
                } else if out.gids == nil {
                    out.gids = ids
                }
            }
            // The kernel writes each key once, in the first dozen lines: the
            // rest (signal masks, capabilities, cpu lists) is not looked at.
            if out.tgid != nil && out.uids != nil && out.gids != nil { break }
        }
        return out
    }

    /// What reading one process produced.
    enum ReadResult {
        case process(ProcessFact)
        /// The process exited while it was being read: skipped.
        case vanished
    }

    /// Reads one process. `btime`/`hz` give the start time.
    func readProcess(
        pid: Int32, procfd: Int32, io: ProcfsIO, options: Options, btime: Int64?, hz: Int, euid: UInt32
    ) -> ReadResult {
        let dirfd: Int32
        do throws(SysErr) { dirfd = try io.openProcess(pid, at: procfd) } catch { return .vanished }
        defer { close(dirfd) }

        // (try? flattens: nil when the read failed or the line did not parse)
        guard let st = try? io.withContents("stat", at: dirfd, limit: 4096, { Self.parseStat($0) }) else {
            return .vanished
        }
        var unreadable: [String] = []
        var sawVanish = false
        func note(_ what: String, _ e: SysErr) {
            if e.vanished { sawVanish = true } else { unreadable.append("\(what): \(e.message)") }
        }

        var status = Status()
        do throws(SysErr) { status = try io.withContents("status", at: dirfd, limit: 16384) { Self.parseStatus($0) } } catch {
            note("status", error)
        }

        var cmdline = ProcessCommandLine.parse(prefix: [], totalLength: 0, totalNULs: 0, endsWithNUL: false)
        do throws(SysErr) {
            let c = try io.read(
                "cmdline", at: dirfd, limit: options.cmdlineLimit, countNULs: true, keepTail: true, wholeInOneRead: true)
            cmdline = ProcessCommandLine.parse(
                prefix: c.bytes, totalLength: c.total, totalNULs: c.nuls, endsWithNUL: c.lastByte == 0, tail: c.tail)
        } catch { note("cmdline", error) }

        // exe and cwd: ENOENT is normal for kernel threads and zombies (no mm).
        func link(_ name: String) -> ProcessPath? {
            do throws(SysErr) { return ProcessPath.classify(try io.readLink(name, at: dirfd)) } catch {
                if error.errno != .noSuchFileOrDirectory { note(name, error) }
                return nil
            }
        }
        let exe = link("exe")
        let cwd = link("cwd")

        let owner = status.uids?.real
        let privileged: Bool
        switch options.privilegedReads {
        case .always: privileged = true
        case .never: privileged = false
        case .auto: privileged = euid == 0 || owner == euid
        }
        var environ: ProcessEnviron?
        var maps: ProcessMaps?
        var sockets: [UInt64]?
        var fdCount: Int?
        if privileged {
            do throws(SysErr) {
                environ = try io.withWhole("environ", at: dirfd, limit: 1 << 20) {
                    ProcessEnviron.parse($0, truncated: $1)
                }
            } catch { note("environ", error) }
            do throws(SysErr) {
                maps = try io.executableMappings(at: dirfd).maps
            } catch { note("maps", error) }
            do throws(SysErr) {
                let r = try socketInodes(dirfd: dirfd, io: io)
                sockets = r.inodes
                fdCount = r.count
            } catch { note("fd", error) }
        }

        if sawVanish {
            // Something answered ESRCH/ENOENT: if stat is gone too, the process exited mid-read.
            if (try? io.withContents("stat", at: dirfd, { _ in true })) == nil { return .vanished }
        }

        let (comm, commB64) = HostBytes.text(st.commBytes)
        let startMs = btime.map { $0 * 1000 + Int64(st.startTicks) * 1000 / Int64(max(hz, 1)) }
        let zero = ProcessFact.IDs(real: 0, effective: 0, saved: 0, fs: 0)
        return .process(
            ProcessFact(
                pid: pid, ppid: st.ppid, state: st.state, comm: comm, commB64: commB64, cmdline: cmdline, exe: exe,
                cwd: cwd, uids: status.uids ?? zero, gids: status.gids ?? zero, threads: st.threads,
                flags: st.flags, startTimeMs: startMs, startTicks: st.startTicks,
                cpu: ProcessCPU(userTicks: st.utime, systemTicks: st.stime, ticksPerSecond: hz), environ: environ,
                maps: maps, socketInodes: sockets, fdCount: fdCount, unreadable: unreadable))
    }

    /// Socket inodes among a process's fds (`socket:[N]` links), sorted and unique.
    func socketInodes(dirfd: Int32, io: ProcfsIO) throws(SysErr) -> (inodes: [UInt64], count: Int) {
        var inodes: [UInt64] = []
        let count = try io.forEachFdLink(ofProcessDir: dirfd) { _, link in
            if let link, let inode = Self.socketInode(link) { inodes.append(inode) }
        }
        if inodes.count > 1 {
            inodes.sort()
            var unique: [UInt64] = [inodes[0]]
            for i in inodes.dropFirst() where i != unique[unique.count - 1] { unique.append(i) }
            inodes = unique
        }
        return (inodes, count)
    }

    /// N of a `socket:[N]` link target (digits only); nil for anything else.
    static func socketInode(_ link: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let prefix = "socket:[".utf8
        guard link.count > prefix.count + 1, link.starts(with: prefix), link.last == UInt8(ascii: "]") else {
            return nil
        }
        var v: UInt64 = 0
        for b in link[(link.startIndex + prefix.count)..<(link.endIndex - 1)] {
            guard b >= 48 && b <= 57 else { return nil }
            v = v &* 10 &+ UInt64(b - 48)
        }
        return v
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(self.drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
    }
}
