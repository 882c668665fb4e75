#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HostAuditCore
import SystemPackage

/// Limits and scope of the signature pass.
public struct SignatureScanOptions: Sendable {
    /// Directory of `*.yar` files (the shipped ones: `Policies/signatures`).
    public var rulesDirectory: String
    /// Scan every process's memory, not only candidates'.
    public var deep: Bool
    /// Executables and persistence files larger than this are skipped (and said so).
    public var fileSizeCap: Int
    /// Bytes of memory read from one process.
    public var perProcessMemoryBudget: Int
    /// Bytes of memory read over the whole run.
    public var totalMemoryBudget: Int
    /// Wall-clock seconds the whole pass (executables, then memory) may take.
    /// It must fit inside the processes collector's own budget, or the
    /// process list itself would be lost to a slow scan.
    public var memoryTimeBudget: Double
    /// Remote ports of mining pools (the policies' `pool-ports` list): a
    /// process with a TCP or UDP socket connected to one is a memory-scan
    /// candidate (`pool-port`). Sockets are listed with NETLINK_SOCK_DIAG in
    /// hostaudit's network namespace. Empty: not checked.
    public var poolPorts: Set<Int> = []

    public init(
        rulesDirectory: String, deep: Bool = false, fileSizeCap: Int = 64 << 20,
        perProcessMemoryBudget: Int = 128 << 20, totalMemoryBudget: Int = 1 << 30, memoryTimeBudget: Double = 12
    ) {
        self.rulesDirectory = rulesDirectory
        self.deep = deep
        self.fileSizeCap = fileSizeCap
        self.perProcessMemoryBudget = perProcessMemoryBudget
        self.totalMemoryBudget = totalMemoryBudget
        self.memoryTimeBudget = memoryTimeBudget
    }
}

/// Runs the compiled rules over each process's executable (through
/// `/proc/PID/exe`, so a deleted binary is scanned too; each distinct file
/// once by device, inode and mtime) and over the memory of candidate
/// processes (every process with `deep`), read through `/proc/PID/mem`
/// without stopping the process: only readable private mappings that are
/// anonymous, heap or stack, writable data, or of a deleted/memfd file.
package final class SignatureScanner {
    package let rules: YaraRules
    package let options: SignatureScanOptions
    package let procRoot: String

    struct FileKey: Hashable {
        var dev: UInt64
        var ino: UInt64
        var mtimeSec: Int
        var mtimeNsec: Int
    }
    struct FileResult {
        var hits: [YaraRules.Hit]
        var skipped: String?
        var sha256: String?
    }
    private var fileCache: [FileKey: FileResult] = [:]
    private var memoryUsed = 0
    private var memoryDeadline = 0.0
    package private(set) var filesScanned = 0
    package private(set) var filesSkipped = 0
    package private(set) var processesMemoryScanned = 0

    package init(rules: YaraRules, options: SignatureScanOptions, procRoot: String = "/proc") {
        self.rules = rules
        self.options = options
        self.procRoot = procRoot
    }

    /// Loads the rules of `options.rulesDirectory` and scans `facts` in place;
    /// failure to load is reported in `facts.signatures`, never thrown.
    package static func apply(_ options: SignatureScanOptions, to facts: inout ProcessesFacts) {
        guard facts.available else { return }
        let rules: YaraRules
        do { rules = try YaraRules.shared(directory: options.rulesDirectory) } catch {
            facts.signatures = SignatureScanSummary(
                available: false, unavailableReason: "signatures: \(error.description)", deep: options.deep)
            return
        }
        SignatureScanner(rules: rules, options: options, procRoot: facts.procRoot).scan(&facts)
    }

    package func scan(_ facts: inout ProcessesFacts) {
        let start = monotonicNow()
        memoryDeadline = start + options.memoryTimeBudget
        var errors: [String] = []
        let me = getpid()
        // hostaudit's own executable carries the pool lists and names its policies use: never scanned.
        var selfKey: FileKey?
        var st = stat()
        if stat("/proc/self/exe", &st) == 0 {
            selfKey = FileKey(
                dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), mtimeSec: Int(st.st_mtim.tv_sec),
                mtimeNsec: Int(st.st_mtim.tv_nsec))
        }
        // Sockets connected to a pool port (not listeners: a remote port is set).
        var poolSockets = Set<UInt64>()
        if !options.poolPorts.isEmpty {
            do throws(ProbeError) {
                for e in try SockDiag().dumpAll() where e.remotePort != 0 && options.poolPorts.contains(e.remotePort) {
                    poolSockets.insert(UInt64(e.inode))
                }
            } catch { errors.append("pool-port check: \(error)") }
        }
        var candidates: [(index: Int, rank: Int)] = []
        for i in facts.list.indices {
            let p = facts.list[i]
            var sig = ProcessSignatures()
            let isSelf = p.pid == me || (selfKey != nil && exeKey(pid: p.pid) == selfKey)
            if p.exe != nil && !p.kernelThread && !isSelf && monotonicNow() > memoryDeadline {
                // Past the pass's deadline: the rest is said to be skipped, never waited for.
                sig.fileSkipped = "signature time budget reached"
                filesSkipped += 1
            } else if p.exe != nil && !p.kernelThread && !isSelf {
                let r = scanExecutable(pid: p.pid, wantHash: false)
                sig.fileScanned = r.skipped == nil
                sig.fileSkipped = r.skipped
                sig.matches += r.hits.map { hit($0, where: "file", path: p.exe?.path, region: nil) }
            } else if isSelf {
                sig.fileSkipped = "hostaudit itself"
            }
            let pool = !poolSockets.isEmpty && (p.socketInodes?.contains { poolSockets.contains($0) } ?? false)
            var reasons = SignatureCandidate.reasons(p, poolConnection: pool)
            if options.deep && !p.kernelThread { reasons.append("deep") }
            sig.candidateReasons = reasons
            if !reasons.isEmpty && !isSelf && !p.kernelThread {
                candidates.append((i, reasons.map(Self.rank).min() ?? 99))
            }
            facts.list[i].signatures = sig
        }
        // Memory, strongest reasons first, so the budget goes where a cheap check is most telling.
        for c in candidates.sorted(by: { ($0.rank, $0.index) < ($1.rank, $1.index) }) {
            var sig = facts.list[c.index].signatures ?? ProcessSignatures()
            scanMemory(pid: facts.list[c.index].pid, into: &sig)
            facts.list[c.index].signatures = sig
        }
        for i in facts.list.indices {
            guard var sig = facts.list[i].signatures, sig.fileScanned, monotonicNow() <= memoryDeadline else { continue }
            if !sig.matches.isEmpty || !sig.candidateReasons.filter({ $0 != "deep" }).isEmpty {
                sig.fileSHA256 = scanExecutable(pid: facts.list[i].pid, wantHash: true).sha256
                facts.list[i].signatures = sig
            }
        }
        if memoryUsed >= options.totalMemoryBudget { errors.append("total memory budget reached") }
        if monotonicNow() > memoryDeadline { errors.append("signature time budget reached") }
        facts.signatures = SignatureScanSummary(
            available: true, ruleFiles: rules.files, rules: rules.names, deep: options.deep,
            filesScanned: filesScanned, filesSkipped: filesSkipped, processesMemoryScanned: processesMemoryScanned,
            memoryBytes: memoryUsed, perProcessMemoryBudget: options.perProcessMemoryBudget,
            totalMemoryBudget: options.totalMemoryBudget, fileSizeCap: options.fileSizeCap,
            durationMs: ((monotonicNow() - start) * 1_000_000).rounded() / 1000, errors: errors)
    }

    /// Order in which candidates' memory is scanned: lower first.
    static func rank(_ reason: String) -> Int {
        switch reason {
        case "fake-kernel-thread", "deleted-exe", "memfd-exe", "temp-exe": return 0
        case "sustained-cpu", "pool-port": return 1
        case "preload", "dot-dir-exe": return 2
        case "exe-comm-mismatch": return 3
        default: return 4
        }
    }

    private func exeKey(pid: Int32) -> FileKey? {
        var st = stat()
        guard stat("\(procRoot)/\(pid)/exe", &st) == 0 else { return nil }
        return FileKey(
            dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), mtimeSec: Int(st.st_mtim.tv_sec),
            mtimeNsec: Int(st.st_mtim.tv_nsec))
    }

    private func hit(_ h: YaraRules.Hit, where: String, path: String?, region: String?) -> SignatureMatch {
        SignatureMatch(
            rule: h.rule, namespace: h.namespace, tags: h.tags, where: `where`, path: path, region: region,
            offset: h.offset, string: h.string, stringMatches: h.count, source: h.source)
    }

    // MARK: files

    /// Scans the executable of `pid` through /proc/PID/exe (once per distinct file).
    private func scanExecutable(pid: Int32, wantHash: Bool) -> FileResult {
        let fd = open("\(procRoot)/\(pid)/exe", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return FileResult(hits: [], skipped: "unreadable: \(Errno.current)") }
        defer { close(fd) }
        return scanOpenFile(fd, wantHash: wantHash)
    }

    /// Scans a regular file opened at `fd`, cached by (device, inode, mtime).
    /// `mapped`: only for a file the kernel keeps from being truncated while
    /// mapped (a running executable: ETXTBSY); other files are read, since a
    /// truncation under a mapping would raise SIGBUS.
    func scanOpenFile(_ fd: Int32, wantHash: Bool, mapped: Bool = true) -> FileResult {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return FileResult(hits: [], skipped: "fstat failed") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return FileResult(hits: [], skipped: "not a regular file") }
        let key = FileKey(
            dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), mtimeSec: Int(st.st_mtim.tv_sec),
            mtimeNsec: Int(st.st_mtim.tv_nsec))
        if let cached = fileCache[key], !wantHash || cached.sha256 != nil || cached.skipped != nil { return cached }
        let size = Int(st.st_size)
        guard size <= options.fileSizeCap else {
            let r = FileResult(hits: [], skipped: "size-cap: \(size) bytes > \(options.fileSizeCap)")
            if fileCache[key] == nil { filesSkipped += 1 }
            fileCache[key] = r
            return r
        }
        // Mapped, not copied: the scan and the hash read the page cache directly.
        var result: FileResult
        let scanned: (hits: [YaraRules.Hit], sha: String?)?
        do {
            scanned = try Self.withContents(fd, size: size, mapped: mapped) { (buf) throws(YaraError) in
                let hits: [YaraRules.Hit]
                if let cached = fileCache[key]?.hits { hits = cached } else { hits = try rules.scan(buf) }
                return (hits, wantHash ? SHA256.hex(SHA256.hash(buf)) : nil)
            }
        } catch {
            return FileResult(hits: [], skipped: "scan failed: \(error.description)")
        }
        guard let scanned else {
            return FileResult(hits: [], skipped: "read failed: \(Errno.current)")
        }
        if fileCache[key] == nil { filesScanned += 1 }
        result = fileCache[key] ?? FileResult(hits: scanned.hits)
        if wantHash { result.sha256 = scanned.sha }
        fileCache[key] = result
        return result
    }

    /// Scans a file by path (benign-corpus checks, persistence targets): a
    /// symlink is not followed; returns the matches or why it was skipped.
    package func scanFile(atPath path: String) -> (matches: [SignatureMatch], skipped: String?) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return ([], "unreadable: \(Errno.current)") }
        defer { close(fd) }
        let r = scanOpenFile(fd, wantHash: false, mapped: false)
        return (r.hits.map { hit($0, where: "file", path: path, region: nil) }, r.skipped)
    }

    /// Maps (or reads) `size` bytes of `fd` and runs `body` over them (nil when that fails).
    static func withContents<T>(
        _ fd: Int32, size: Int, mapped: Bool, _ body: (UnsafeRawBufferPointer) throws(YaraError) -> T
    ) throws(YaraError) -> T? {
        if size == 0 { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        if !mapped {
            guard let bytes = readAll(fd, limit: size) else { return nil }
            let r: Result<T, YaraError> = bytes.withUnsafeBytes { b in
                do throws(YaraError) { return .success(try body(b)) } catch { return .failure(error) }
            }
            return try r.get()
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { return nil }
        defer { munmap(p, size) }
        return try body(UnsafeRawBufferPointer(start: p, count: size))
    }

    /// Reads a whole file from offset 0, at most `limit` bytes (nil on a read error).
    static func readAll(_ fd: Int32, limit: Int) -> [UInt8]? {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while out.count < limit {
            let want = min(chunk.count, limit - out.count)
            guard case .success(let n) = chunk.withUnsafeMutableBytes({ c in valueOrErrno { pread(fd, c.baseAddress, want, offset) } })
            else { return nil }
            if n == 0 { break }
            out += chunk[0..<n]
            offset += off_t(n)
        }
        return out
    }

    // MARK: memory

    /// One mapping of /proc/PID/maps worth scanning.
    struct Region: Equatable {
        var start: UInt64
        var end: UInt64
        var perms: String
        var path: String
        var text: String { String(start, radix: 16) + "-" + String(end, radix: 16) + " " + perms }
    }

    /// The mappings to scan: readable and private, and anonymous (heap, stack,
    /// `[anon:…]`), writable data, or a deleted or memfd file. Shared mappings,
    /// read-only file images (scanned as files) and kernel areas are left out.
    static func regions(fromMaps bytes: [UInt8]) -> [Region] {
        var out: [Region] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            var fields: [Substring] = []
            let text = String(decoding: line, as: UTF8.self)
            var rest = Substring(text)
            while fields.count < 5 {
                rest = rest.drop { $0 == " " }
                guard let sp = rest.firstIndex(of: " ") else {
                    if !rest.isEmpty { fields.append(rest); rest = "" }
                    break
                }
                fields.append(rest[..<sp])
                rest = rest[sp...]
            }
            guard fields.count == 5 else { continue }
            let path = String(rest.drop { $0 == " " })
            let perms = Array(fields[1].utf8)
            guard perms.count >= 4, perms[0] == UInt8(ascii: "r"), perms[3] == UInt8(ascii: "p") else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let s = UInt64(range[0], radix: 16), let e = UInt64(range[1], radix: 16), e > s
            else { continue }
            let anonymous = path.isEmpty || path == "[heap]" || path == "[stack]" || path.hasPrefix("[anon:")
            let kernelArea = path.hasPrefix("[v")  // [vdso] [vvar] [vsyscall]
            let writable = perms[1] == UInt8(ascii: "w")
            let odd = path.hasSuffix(" (deleted)") || path.hasPrefix("/memfd:")
            guard !kernelArea, anonymous || odd || (writable && path.hasPrefix("/")) else { continue }
            out.append(Region(start: s, end: e, perms: String(fields[1]), path: path))
        }
        return out
    }

    /// Largest piece of one mapping scanned in one libyara call; strings of a
    /// rule are expected close together (one config block, one table).
    static let chunkBytes = 16 << 20
    /// Overlap between consecutive pieces so a string across the cut is seen.
    static let chunkOverlap = 4096

    private func scanMemory(pid: Int32, into sig: inout ProcessSignatures) {
        guard memoryUsed < options.totalMemoryBudget, monotonicNow() < memoryDeadline else {
            sig.memoryTruncated = true
            sig.errors.append("memory not scanned: run budget reached")
            return
        }
        let mfd = open("\(procRoot)/\(pid)/maps", O_RDONLY | O_CLOEXEC)
        guard mfd >= 0 else {
            sig.errors.append("maps: \(Errno.current)")
            return
        }
        let maps = Self.readAll(mfd, limit: 8 << 20)
        close(mfd)
        guard let maps else {
            sig.errors.append("maps: read failed")
            return
        }
        let memfd = open("\(procRoot)/\(pid)/mem", O_RDONLY | O_CLOEXEC)
        guard memfd >= 0 else {
            sig.errors.append("mem: \(Errno.current)")
            return
        }
        defer { close(memfd) }
        processesMemoryScanned += 1
        sig.memoryScanned = true
        var used = 0
        var seenRules = Set<String>()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkBytes, alignment: 16)
        defer { buffer.deallocate() }
        outer: for region in Self.regions(fromMaps: maps) {
            var at = region.start
            while at < region.end {
                let budgetLeft = min(
                    options.perProcessMemoryBudget - used, options.totalMemoryBudget - memoryUsed)
                if budgetLeft <= 0 || monotonicNow() >= memoryDeadline {
                    sig.memoryTruncated = true
                    break outer
                }
                let want = Int(min(UInt64(min(Self.chunkBytes, budgetLeft)), region.end - at))
                var got = 0
                while got < want {
                    guard case .success(let n) = valueOrErrno({
                        pread(memfd, buffer.baseAddress! + got, want - got, off_t(Int64(bitPattern: at + UInt64(got))))
                    }), n > 0 else { break }
                    got += n
                }
                guard got > 0 else { break }  // unreadable range (guard page, I/O mapping): next region
                used += got
                memoryUsed += got
                do {
                    for h in try rules.scan(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
                    where seenRules.insert(h.rule).inserted {
                        var m = hit(h, where: "memory", path: region.path, region: region.text)
                        m.offset = h.offset.map { Int64(bitPattern: at) + $0 }
                        sig.matches.append(m)
                    }
                } catch { sig.errors.append("\(region.text): \(error.description)") }
                if got < want { break }
                let next = at + UInt64(got)
                at = next >= region.end ? next : next - UInt64(min(Self.chunkOverlap, got - 1))
                if next >= region.end { break }
            }
        }
        sig.memoryBytes = used
    }
}
