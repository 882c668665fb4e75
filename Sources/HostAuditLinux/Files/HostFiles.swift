#if canImport(Glibc)
import Glibc
#endif
import CHostAuditShims
import HostAuditCore

/// Reads the audited host's files, either on the live host (`root == "/"`) or
/// below a mounted image (`--root DIR`).
///
/// Paths given to it are *host* paths (`/etc/resolv.conf`). Symbolic links are
/// resolved component by component as the audited host would resolve them: an
/// absolute target restarts at `root`, `..` never climbs above it. So a link
/// in an image never escapes into the machine running hostaudit.
public struct HostFiles: Sendable {
    public let scope: CollectionScope

    public init(scope: CollectionScope = .live) { self.scope = scope }
    public init(root: String) { self.scope = CollectionScope(root: root) }

    /// Maximum number of links followed before ELOOP, as the kernel (40).
    static let maxLinks = 40

    /// A symbolic link met while resolving a path: its host path and its raw target.
    public struct Link: Sendable, Equatable, Codable {
        public var path: String
        public var target: String
    }

    public struct Resolution: Sendable, Equatable {
        /// The path as the host sees it after following every link.
        public var hostPath: String
        /// The links followed, in order.
        public var links: [Link]
    }

    public enum FileType: String, Sendable, Codable {
        case regular, directory, symlink, fifo, socket, characterDevice = "character-device",
            blockDevice = "block-device", unknown
    }

    public struct Metadata: Sendable, Equatable {
        public var type: FileType
        public var size: Int64
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public var inode: UInt64
        /// Modification time, milliseconds since the epoch.
        public var mtimeMs: Int64
    }

    public struct Contents: Sendable, Equatable {
        public var bytes: [UInt8]
        /// The file's size as stat reports it (0 for many /proc files).
        public var size: Int64
        /// True when the file held more than the limit; `bytes` is then the first `limit` bytes.
        public var truncated: Bool
        public var resolution: Resolution
        public var metadata: Metadata
    }

    /// The real path on this machine for a host path (no link resolution).
    public func realPath(_ hostPath: String) -> String {
        let normal = Self.normalize(hostPath)
        if scope.isLive { return normal }
        return normal == "/" ? scope.root : scope.root + normal
    }

    /// Resolves every symbolic link in `hostPath` within the root.
    public func resolve(_ hostPath: String) throws(ProbeError) -> Resolution {
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
            let real = realPath(candidate)
            if lstat(real, &st) != 0 {
                let err = errno
                if err == ENOENT {
                    // Keep the remainder as is; the caller's open reports ENOENT.
                    done.append(c)
                    done.append(contentsOf: pending.filter { $0 != "." && !$0.isEmpty })
                    return Resolution(hostPath: "/" + done.joined(separator: "/"), links: links)
                }
                throw ProbeError.from("lstat", path: candidate, errno: err)
            }
            if (st.st_mode & S_IFMT) == S_IFLNK {
                if links.count >= Self.maxLinks { throw ProbeError.from("resolve", path: hostPath, errno: ELOOP) }
                let target = try readLinkReal(real, hostPath: candidate)
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
    public func readLink(_ hostPath: String) throws(ProbeError) -> String {
        try readLinkReal(realPath(hostPath), hostPath: hostPath)
    }

    private func readLinkReal(_ real: String, hostPath: String) throws(ProbeError) -> String {
        var buf = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = try syscall("readlink", path: hostPath) {
            buf.withUnsafeMutableBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { readlink(real, $0, p.count - 1) }
            }
        }
        return TerminalText.decode(buf[0..<n])
    }

    /// Metadata of a host path; with `followLinks` the final target's.
    public func metadata(_ hostPath: String, followLinks: Bool = true) throws(ProbeError) -> Metadata {
        let path = followLinks ? try resolve(hostPath).hostPath : Self.normalize(hostPath)
        var st = stat()
        try syscall("lstat", path: hostPath) { lstat(realPath(path), &st) }
        return Self.metadata(st)
    }

    /// Whether the path exists (after following links within the root).
    public func exists(_ hostPath: String) -> Bool {
        (try? metadata(hostPath)) != nil
    }

    /// Reads at most `limit` bytes of a regular file. Refuses FIFOs and devices
    /// (a FIFO planted as a config file would block a reader forever).
    public func read(_ hostPath: String, limit: Int = 1 << 20) throws(ProbeError) -> Contents {
        let resolution = try resolve(hostPath)
        let real = realPath(resolution.hostPath)
        let fd = try syscall("open", path: hostPath) { open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        defer { close(fd) }
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
    public struct InodeFlags: Sendable, Equatable, Codable {
        public var immutable: Bool
        public var appendOnly: Bool
    }

    public func inodeFlags(_ hostPath: String) throws(ProbeError) -> InodeFlags {
        let real = realPath(try resolve(hostPath).hostPath)
        let fd = try syscall("open", path: hostPath) { open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        defer { close(fd) }
        var flags: UInt32 = 0
        try syscall("ioctl(FS_IOC_GETFLAGS)", path: hostPath) { CHostAuditShims_get_inode_flags(fd, &flags) }
        return InodeFlags(
            immutable: flags & CHostAuditShims_fs_immutable_fl() != 0,
            appendOnly: flags & CHostAuditShims_fs_append_fl() != 0)
    }

    /// Names in a directory (without "." and ".."), sorted.
    public func list(_ hostPath: String) throws(ProbeError) -> [String] {
        let real = realPath(try resolve(hostPath).hostPath)
        guard let dir = opendir(real) else { throw ProbeError.from("opendir", path: hostPath, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                TerminalText.decode(raw.prefix(while: { $0 != 0 }))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
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
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func normalize(_ path: String) -> String {
        "/" + components(path).joined(separator: "/")
    }
}
