#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HostAuditCore
import SystemPackage

/// What to keep: a process (by pid) or a host file, and the finding that asked for it.
package struct EvidenceRequest: Sendable, Equatable {
    package enum Target: Sendable, Equatable, Hashable {
        case process(Int32)
        /// A host path (below `--root` with an offline scope), read through HostFiles.
        case file(String)
    }
    package var target: Target
    /// `policy/rule` of the finding, or `signatures` for `facts processes --evidence`.
    package var cause: String

    package init(target: Target, cause: String) {
        self.target = target
        self.cause = cause
    }
}

/// `DIR/manifest.json` (`hostaudit.evidence/v1`).
package struct EvidenceManifest: Encodable, Sendable, Equatable {
    package var schema = "hostaudit.evidence/v1"
    var createdAtMs: Int64
    package var files: [File]
    package var skipped: [Skipped]
    var totalBytes: Int
    package var maxTotalBytes: Int

    package struct File: Encodable, Sendable, Equatable {
        /// Relative to DIR.
        package var path: String
        /// Where it was read from (`/proc/4242/exe`, `/etc/cron.d/x`).
        package var source: String
        package var size: Int
        package var sha256: String
        /// The process's executable path as the kernel reports it (exe only).
        package var exe: String?
        package var pid: Int32?
        package var cause: [String]
    }

    package struct Skipped: Encodable, Sendable, Equatable {
        package var source: String
        package var reason: String
        package var cause: [String]
    }
}

/// Keeps evidence for responders before anything is killed: per process its
/// executable (copied through /proc/PID/exe, so a deleted one is saved too),
/// cmdline, environ, maps, status, open files and socket tables; cited
/// persistence files. Everything goes below DIR, created 0700; DIR itself
/// must not be a symlink, every file is created with O_EXCL|O_NOFOLLOW in a
/// folder this run created, written to a temporary name and renamed into
/// place, and the total is bounded (what did not fit is listed as skipped).
package struct EvidenceWriter: Sendable {
    package var directory: String
    package var scope: CollectionScope
    package var procRoot: String
    package var maxTotalBytes: Int
    package var maxFileBytes: Int

    package init(
        directory: String, scope: CollectionScope = .live, procRoot: String = "/proc", maxTotalBytes: Int = 1 << 30,
        maxFileBytes: Int = 256 << 20
    ) {
        self.directory = directory
        self.scope = scope
        self.procRoot = procRoot
        self.maxTotalBytes = maxTotalBytes
        self.maxFileBytes = maxFileBytes
    }

    package struct Failure: Error, CustomStringConvertible, Sendable {
        package var description: String
    }

    /// Writes the evidence and the manifest; throws only when DIR itself is unusable.
    package func write(_ requests: [EvidenceRequest]) throws(Failure) -> EvidenceManifest {
        let dirfd = try openDirectory()
        defer { close(dirfd) }
        var state = State(maxTotal: maxTotalBytes)
        // One folder per target; several findings naming it become several causes.
        var order: [EvidenceRequest.Target] = []
        var causes: [EvidenceRequest.Target: [String]] = [:]
        for r in requests {
            if causes[r.target] == nil { order.append(r.target) }
            if !(causes[r.target]?.contains(r.cause) ?? false) { causes[r.target, default: []].append(r.cause) }
        }
        var filesFolder: Int32?
        defer { if let f = filesFolder { close(f) } }
        for target in order {
            let cause = causes[target] ?? []
            switch target {
            case .process(let pid):
                keepProcess(pid, cause: cause, dirfd: dirfd, state: &state)
            case .file(let path):
                if filesFolder == nil { filesFolder = makeFolder(dirfd, "files", state: &state, cause: cause) }
                guard let ff = filesFolder else { continue }
                keepHostFile(path, cause: cause, folder: ff, folderName: state.folderNames[ff] ?? "files", state: &state)
            }
        }
        var manifest = EvidenceManifest(
            createdAtMs: Int64(nowMs()), files: state.files, skipped: state.skipped, totalBytes: state.total,
            maxTotalBytes: maxTotalBytes)
        manifest.schema = "hostaudit.evidence/v1"
        let json = JSONWriter().document(JSONValueEncoder().encodeValue(manifest))
        if let err = Self.writeAtomically(dirfd, "manifest.json", json) {
            throw Failure(description: "\(directory)/manifest.json: \(err)")
        }
        return manifest
    }

    // MARK: internals

    struct State {
        var maxTotal: Int
        var total = 0
        var files: [EvidenceManifest.File] = []
        var skipped: [EvidenceManifest.Skipped] = []
        var folderNames: [Int32: String] = [:]
        var left: Int { maxTotal - total }
    }

    /// Creates DIR (0700) or opens it when it is a real directory; a symlink is refused.
    func openDirectory() throws(Failure) -> Int32 {
        if case .failure(let err) = valueOrErrno({ mkdir(directory, 0o700) }), err != .fileExists {
            throw Failure(description: "--evidence \(directory): \(err)")
        }
        var st = stat()
        guard lstat(directory, &st) == 0 else {
            throw Failure(description: "--evidence \(directory): \(Errno.current)")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw Failure(description: "--evidence \(directory): not a directory (a symlink is not followed)")
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "--evidence \(directory): \(Errno.current)") }
        _ = fchmod(fd, 0o700)
        return fd
    }

    /// A fresh folder below `dirfd` (`name`, else `name-2` … when the name is taken, even by a symlink).
    func makeFolder(_ dirfd: Int32, _ name: String, state: inout State, cause: [String]) -> Int32? {
        var failure = Errno.fileExists
        attempts: for n in 1...20 {
            let candidate = n == 1 ? name : "\(name)-\(n)"
            if case .failure(let err) = valueOrErrno({ mkdirat(dirfd, candidate, 0o700) }) {
                failure = err
                if err == .fileExists { continue }
                break attempts
            }
            switch valueOrErrno({ openat(dirfd, candidate, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }) {
            case .success(let fd):
                state.folderNames[fd] = candidate
                return fd
            case .failure(let err):
                failure = err
                break attempts
            }
        }
        state.skipped.append(.init(source: name, reason: "could not create a folder: \(failure)", cause: cause))
        return nil
    }

    func keepProcess(_ pid: Int32, cause: [String], dirfd: Int32, state: inout State) {
        guard let folder = makeFolder(dirfd, "pid-\(pid)", state: &state, cause: cause) else { return }
        defer { close(folder) }
        let name = state.folderNames[folder] ?? "pid-\(pid)"
        let base = "\(procRoot)/\(pid)"
        var exeTarget: String?
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlink(base + "/exe", &buf, 4096)
        if n > 0 { exeTarget = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        // The executable through the magic link: a deleted file is still readable there.
        copy(
            source: base + "/exe", as: "exe", folder: folder, folderName: name, limit: maxFileBytes, pid: pid,
            exe: exeTarget, cause: cause, state: &state)
        for entry in ["cmdline", "environ", "maps", "status", "net/tcp", "net/tcp6", "net/udp", "net/udp6", "net/unix"] {
            copy(
                source: base + "/" + entry, as: entry.replacingOccurrences(of: "/", with: "-"), folder: folder,
                folderName: name, limit: 8 << 20, pid: pid, exe: nil, cause: cause, state: &state)
        }
        // Open files and sockets: each fd's link target (through the one procfs reader: raw getdents64).
        var listing: [UInt8] = []
        let io = ProcfsIO()
        var links: [(fd: Int32, target: String)] = []
        do throws(SysErr) {
            let dir = try io.openDirectory(base)
            defer { close(dir) }
            try io.forEachFdLink(ofProcessDir: dir) { fd, target in
                links.append((fd, target.map { String(decoding: $0, as: UTF8.self) } ?? "?"))
            }
            for (fdNum, target) in links.sorted(by: { $0.fd < $1.fd }) {
                listing += Array("\(fdNum) -> \(TerminalSafe.line(target))\n".utf8)
            }
            store(listing, as: "fds.txt", source: base + "/fd", folder: folder, folderName: name, pid: pid, exe: nil, cause: cause, state: &state)
        } catch {
            state.skipped.append(.init(source: base + "/fd", reason: error.message, cause: cause))
        }
    }

    func keepHostFile(_ path: String, cause: [String], folder: Int32, folderName: String, state: inout State) {
        let files = HostFiles(scope: scope)
        let contents: HostFiles.Contents
        do { contents = try files.read(path, limit: min(maxFileBytes, max(state.left, 0))) } catch {
            state.skipped.append(.init(source: path, reason: "\(error)", cause: cause))
            return
        }
        if contents.truncated {
            state.skipped.append(.init(source: path, reason: "larger than the size bound; not kept", cause: cause))
            return
        }
        let flat = path.split(separator: "/").joined(separator: "_")
        store(contents.bytes, as: flat.isEmpty ? "root" : flat, source: path, folder: folder, folderName: folderName, pid: nil, exe: nil, cause: cause, state: &state)
    }

    /// Copies a procfs file (bounded by `limit` and what is left of the total).
    func copy(
        source: String, as name: String, folder: Int32, folderName: String, limit: Int, pid: Int32?, exe: String?,
        cause: [String], state: inout State
    ) {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            state.skipped.append(.init(source: source, reason: Errno.current.description, cause: cause))
            return
        }
        defer { close(fd) }
        let bound = min(limit, max(state.left, 0))
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while bytes.count <= bound {
            let n: Int
            switch chunk.withUnsafeMutableBytes({ c in valueOrErrno { read(fd, c.baseAddress, c.count) } }) {
            case .success(let got): n = got
            case .failure(let err):
                state.skipped.append(.init(source: source, reason: err.description, cause: cause))
                return
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        guard bytes.count <= bound else {
            let why = bound < limit ? "total evidence bound (\(maxTotalBytes) bytes) reached" : "larger than \(limit) bytes"
            state.skipped.append(.init(source: source, reason: why, cause: cause))
            return
        }
        store(bytes, as: name, source: source, folder: folder, folderName: folderName, pid: pid, exe: exe, cause: cause, state: &state)
    }

    func store(
        _ bytes: [UInt8], as name: String, source: String, folder: Int32, folderName: String, pid: Int32?, exe: String?,
        cause: [String], state: inout State
    ) {
        guard bytes.count <= state.left else {
            state.skipped.append(.init(source: source, reason: "total evidence bound (\(maxTotalBytes) bytes) reached", cause: cause))
            return
        }
        if let err = Self.writeAtomically(folder, name, bytes) {
            state.skipped.append(.init(source: source, reason: "write failed: \(err)", cause: cause))
            return
        }
        state.total += bytes.count
        state.files.append(
            .init(
                path: folderName + "/" + name, source: source, size: bytes.count, sha256: SHA256.hex(SHA256.hash(bytes)),
                exe: exe, pid: pid, cause: cause))
    }

    /// Writes `name` below `dirfd`: a temporary created O_EXCL|O_NOFOLLOW (0600), fsync, rename.
    /// Nil on success, else the errno of the call that failed.
    static func writeAtomically(_ dirfd: Int32, _ name: String, _ bytes: [UInt8]) -> Errno? {
        let tmp = ".\(name).tmp-\(getpid())"
        unlinkat(dirfd, tmp, 0)
        let fd: Int32
        switch valueOrErrno({ openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }) {
        case .success(let opened): fd = opened
        case .failure(let err): return err
        }
        var off = 0
        var failure: Errno?
        while off < bytes.count {
            switch bytes.withUnsafeBytes({ b in valueOrErrno { Glibc.write(fd, b.baseAddress! + off, bytes.count - off) } }) {
            case .success(let n): off += n
            case .failure(let err): failure = err
            }
            if failure != nil { break }
        }
        if failure == nil, case .failure(let err) = valueOrErrno({ fsync(fd) }) { failure = err }
        close(fd)
        if failure == nil, case .failure(let err) = valueOrErrno({ renameat(dirfd, tmp, dirfd, name) }) { failure = err }
        if failure != nil { unlinkat(dirfd, tmp, 0) }
        return failure
    }

    func nowMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec / 1_000_000)
    }
}

/// One line of host text with control characters escaped (fd link targets).
enum TerminalSafe {
    static func line(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7f { out += "\\x" + String(u.value, radix: 16) } else { out.unicodeScalars.append(u) }
        }
        return out
    }
}
