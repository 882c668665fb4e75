#if canImport(Glibc)
import Glibc
#endif
import CHostAuditShims
import HostAuditCore
import SystemPackage

/// Reads the audited host's files, either on the live host (`root == "/"`) or
/// below a mounted image (`--root DIR`).
///
/// Paths given to it are *host* paths (`/etc/resolv.conf`). Symbolic links are
/// resolved component by component as the audited host would resolve them: an
/// absolute target restarts at `root`, `..` never climbs above it. So a link
/// in an image never escapes into the machine running hostaudit.
package struct HostFiles: Sendable {
    package let scope: CollectionScope

    package init(scope: CollectionScope = .live) { self.scope = scope }
    package init(root: String) { self.scope = CollectionScope(root: root) }

    /// O_PATH (not exported by the Glibc module): a descriptor naming a file without opening it.
    static let oPath: Int32 = 0o10000000

    /// Maximum number of links followed before ELOOP, as the kernel (40).
    static let maxLinks = 40

    /// A symbolic link met while resolving a path: its host path and its raw target.
    package struct Link: Sendable, Equatable, Codable {
        package var path: String
        package var target: String
    }

    package struct Resolution: Sendable, Equatable {
        /// The path as the host sees it after following every link.
        package var hostPath: String
        /// The links followed, in order.
        package var links: [Link]
    }

    enum FileType: String, Sendable, Codable {
        case regular, directory, symlink, fifo, socket, characterDevice = "character-device",
            blockDevice = "block-device", unknown
    }

    struct Metadata: Sendable, Equatable {
        var type: FileType
        var size: Int64
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var inode: UInt64
        /// Modification time, milliseconds since the epoch.
        var mtimeMs: Int64
    }

    package struct Contents: Sendable, Equatable {
        package var bytes: [UInt8]
        /// The file's size as stat reports it (0 for many /proc files).
        package var size: Int64
        /// True when the file held more than the limit; `bytes` is then the first `limit` bytes.
        package var truncated: Bool
        package var resolution: Resolution
        var metadata: Metadata
    }

    /// The real path on this machine for a host path (no link resolution).
    func realPath(_ hostPath: String) -> String {
        let normal = Self.normalize(hostPath)
        if scope.isLive { return normal }
        return normal == "/" ? scope.root : scope.root + normal
    }

    /// Resolves every symbolic link in `hostPath` within the root.
    package func resolve(_ hostPath: String) throws(ProbeError) -> Resolution {
        var done: [String] = []  // resolved components so far
        var pending = Self.components(hostPath)
        var links: [Link] = []
        while !pending.isEmpty {
            let c = pending.removeFirst()
            if c == "." || c.isEmpty { continue }
            if c == ".." {
                if !done.isEmpty { done.removeLast() }
                continue
            }
            let candidate = "/" + (done + [c]).joined(separator: "/")
            var st = stat()
            if let err = lstatConfined(candidate, &st) {
                if err == .noSuchFileOrDirectory {
                    // Keep the remainder as is; the caller's open reports ENOENT.
                    done.append(c)
                    done.append(contentsOf: pending.filter { $0 != "." && !$0.isEmpty })
                    return Resolution(hostPath: "/" + done.joined(separator: "/"), links: links)
                }
                throw ProbeError.from("lstat", path: candidate, errno: err)
            }
            if (st.st_mode & S_IFMT) == S_IFLNK {
                if links.count >= Self.maxLinks { throw ProbeError.from("resolve", path: hostPath, errno: .tooManySymbolicLinkLevels) }
                let target = try readLink(candidate)
                links.append(Link(path: candidate, target: target))
                if target.hasPrefix("/") { done = [] }
                pending = Self.components(target) + pending
            } else {
                done.append(c)
            }
        }
        return Resolution(hostPath: "/" + done.joined(separator: "/"), links: links)
    }

    /// The raw target of a symbolic link (not resolved).
    func readLink(_ hostPath: String) throws(ProbeError) -> String {
        let fd = try openConfined(Self.normalize(hostPath), flags: HostFiles.oPath | O_NOFOLLOW, display: hostPath)
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = try syscall("readlink", path: hostPath) {
            buf.withUnsafeMutableBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { readlinkat(fd, "", $0, p.count - 1) }
            }
        }
        return RawName.text(buf[0..<n])
    }

    /// Metadata of a host path; with `followLinks` the final target's.
    func metadata(_ hostPath: String, followLinks: Bool = true) throws(ProbeError) -> Metadata {
        let path = followLinks ? try resolve(hostPath).hostPath : Self.normalize(hostPath)
        var st = stat()
        if let err = lstatConfined(path, &st) { throw ProbeError.from("lstat", path: hostPath, errno: err) }
        return Self.metadata(st)
    }

    /// lstat of a host path (its last component not followed) through the
    /// confined open; the errno on failure.
    func lstatConfined(_ hostPath: String, _ st: inout stat) -> Errno? {
        let fd: Int32
        do throws(ProbeError) { fd = try openConfined(hostPath, flags: HostFiles.oPath | O_NOFOLLOW, display: hostPath) } catch {
            if case .syscall(_, _, let e) = error { return e }
            return .ioError
        }
        defer { close(fd) }
        if case .failure(let e) = valueOrErrno({ fstat(fd, &st) }) { return e }
        return nil
    }

    /// Opens a host path below the root so that nothing outside it can be
    /// reached: on a live host a plain open; below `--root`, openat2(2) with
    /// RESOLVE_IN_ROOT (the kernel resolves every link, even one swapped in
    /// during the walk, inside the root), or, without openat2, a walk of
    /// `openat(O_NOFOLLOW)` per component that fails on any link. `hostPath`
    /// is normally already resolved by `resolve`, so it holds no links.
    func openConfined(_ hostPath: String, flags: Int32, display: String? = nil) throws(ProbeError) -> Int32 {
        // Names listed from the host keep bytes that are not UTF-8 (RawName): open those bytes.
        try openConfined(bytes: RawName.bytes(hostPath), flags: flags, display: display ?? hostPath)
    }

    /// `openConfined` for a path given as raw bytes (a name that is not UTF-8).
    func openConfined(bytes hostPath: [UInt8], flags: Int32, display: String) throws(ProbeError) -> Int32 {
        let comps = hostPath.split(separator: UInt8(ascii: "/"))
        if scope.isLive {
            let path = [UInt8(ascii: "/")] + Array(comps.joined(separator: [UInt8(ascii: "/")])) + [0]
            return try syscall("open", path: display) {
                path.withUnsafeBufferPointer { p in
                    p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, flags | O_CLOEXEC) }
                }
            }
        }
        let rootfd = try syscall("open", path: scope.root) { open(scope.root, HostFiles.oPath | O_DIRECTORY | O_CLOEXEC) }
        defer { close(rootfd) }
        let rel = comps.isEmpty ? Array(".".utf8) + [0] : Array(comps.joined(separator: [UInt8(ascii: "/")])) + [0]
        let opened = rel.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { name in
                valueOrErrno { CHostAuditShims_openat2_in_root(rootfd, name, flags | O_CLOEXEC) }
            }
        }
        switch opened {
        case .success(let fd): return fd
        case .failure(let err) where err == .noFunction || err == .notPermitted: break
        case .failure(let err): throw ProbeError.from("open", path: display, errno: err)
        }
        // No openat2: walk with O_NOFOLLOW; a link anywhere is refused.
        var cur = try syscall("open", path: scope.root) { open(scope.root, HostFiles.oPath | O_DIRECTORY | O_CLOEXEC) }
        for (i, c) in comps.enumerated() {
            let last = i == comps.count - 1
            let name = Array(c) + [0]
            let next = name.withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { n in
                    valueOrErrno { openat(cur, n, (last ? flags : HostFiles.oPath | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC) }
                }
            }
            close(cur)
            switch next {
            case .success(let fd): cur = fd
            case .failure(let e): throw ProbeError.from("open", path: display, errno: e)
            }
        }
        return cur
    }

    /// Whether the path exists (after following links within the root).
    package func exists(_ hostPath: String) -> Bool {
        (try? metadata(hostPath)) != nil
    }

    /// Reads at most `limit` bytes of a regular file. Refuses FIFOs and devices
    /// (a FIFO planted as a config file would block a reader forever).
    package func read(_ hostPath: String, limit: Int = 1 << 20) throws(ProbeError) -> Contents {
        let resolution = try resolve(hostPath)
        let fd = try openConfined(resolution.hostPath, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK, display: hostPath)
        defer { close(fd) }
        return try read(fd: fd, display: hostPath, limit: limit, resolution: resolution)
    }

    func read(fd: Int32, display hostPath: String, limit: Int, resolution: Resolution) throws(ProbeError) -> Contents {
        var st = stat()
        try syscall("fstat", path: hostPath) { fstat(fd, &st) }
        let meta = Self.metadata(st)
        guard meta.type == .regular else {
            throw ProbeError.malformed(what: hostPath, reason: "not a regular file (\(meta.type.rawValue))")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var truncated = false
        while true {
            let n = try syscall("read", path: hostPath) {
                chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit {
                bytes.removeSubrange(limit...)
                truncated = true
                break
            }
        }
        return Contents(bytes: bytes, size: Int64(st.st_size), truncated: truncated, resolution: resolution, metadata: meta)
    }

    /// Inode flags (`lsattr`): immutable and append-only, via FS_IOC_GETFLAGS.
    struct InodeFlags: Sendable, Equatable, Codable {
        var immutable: Bool
        var appendOnly: Bool
    }

    func inodeFlags(_ hostPath: String) throws(ProbeError) -> InodeFlags {
        let fd = try openConfined(try resolve(hostPath).hostPath, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK, display: hostPath)
        defer { close(fd) }
        var flags: UInt32 = 0
        try syscall("ioctl(FS_IOC_GETFLAGS)", path: hostPath) { CHostAuditShims_get_inode_flags(fd, &flags) }
        return InodeFlags(
            immutable: flags & CHostAuditShims_fs_immutable_fl() != 0,
            appendOnly: flags & CHostAuditShims_fs_append_fl() != 0)
    }

    /// A directory entry: its exact bytes, and its name as text that keeps
    /// them (`RawName`): a path built from `name` opens this entry.
    package struct DirectoryEntry: Sendable, Equatable {
        package var bytes: [UInt8]
        package var name: String
        /// Whether `name` holds the bytes exactly (the name is valid UTF-8).
        package var isUTF8: Bool { Array(name.utf8) == bytes }
    }

    /// Names in a directory (without "." and ".."), sorted. Names that are not
    /// UTF-8 keep their bytes (`RawName`), so a path built from one opens it.
    package func list(_ hostPath: String) throws(ProbeError) -> [String] {
        try listEntries(hostPath).map(\.name).sorted()
    }

    /// Entries of a directory (without "." and ".."), sorted by their bytes.
    package func listEntries(_ hostPath: String) throws(ProbeError) -> [DirectoryEntry] {
        let fd = try openConfined(try resolve(hostPath).hostPath, flags: O_RDONLY | O_DIRECTORY | O_NONBLOCK, display: hostPath)
        guard let dir = fdopendir(fd) else {
            let e = Errno.current
            close(fd)
            throw ProbeError.from("fdopendir", path: hostPath, errno: e)
        }
        defer { closedir(dir) }
        var entries: [DirectoryEntry] = []
        while let entry = readdir(dir) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            entries.append(DirectoryEntry(bytes: bytes, name: RawName.text(bytes)))
        }
        return entries.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    static func metadata(_ st: stat) -> Metadata {
        let type: FileType
        switch st.st_mode & S_IFMT {
        case S_IFREG: type = .regular
        case S_IFDIR: type = .directory
        case S_IFLNK: type = .symlink
        case S_IFIFO: type = .fifo
        case S_IFSOCK: type = .socket
        case S_IFCHR: type = .characterDevice
        case S_IFBLK: type = .blockDevice
        default: type = .unknown
        }
        let ms = Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
        return Metadata(
            type: type, size: Int64(st.st_size), mode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid,
            inode: UInt64(st.st_ino), mtimeMs: ms)
    }

    static func components(_ path: String) -> [String] {
        // Split at "/" bytes: a combining mark after a slash must not hide it.
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { String(decoding: Array($0), as: UTF8.self) }
    }

    static func normalize(_ path: String) -> String {
        "/" + components(path).joined(separator: "/")
    }
}
