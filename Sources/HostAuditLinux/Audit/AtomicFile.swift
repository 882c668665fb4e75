import Foundation

#if canImport(Glibc)
    import Glibc
#endif
import SystemPackage

/// A file-system failure with the path and errno text.
package struct AtomicFileError: Error, Sendable, CustomStringConvertible {
    package var path: String
    package var message: String
    package var description: String { "\(path): \(message)" }
}

/// Writes files so that a reader (node_exporter, the next run) sees either
/// the old or the new content, never a mix: a temporary file in the same
/// folder, fsync, rename over the target, fsync the folder.
package enum AtomicFile {
    /// errno's text now (read right after the failing call).
    static func errnoText() -> String { Errno.current.description }

    package static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(AtomicFileError) {
        let dir = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        var template = Array("\(dir)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw AtomicFileError(path: path, message: "cannot create a temporary file in \(dir): \(errnoText())") }
        let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        fchmod(fd, mode)
        var written = 0
        while written < bytes.count {
            switch bytes.withUnsafeBytes({ b in valueOrErrno { Glibc.write(fd, b.baseAddress! + written, bytes.count - written) } }) {
            case .success(let n): written += n
            case .failure(let err):
                close(fd)
                throw AtomicFileError(path: path, message: "cannot write: \(err)")
            }
        }
        if fsync(fd) != 0 {
            let m = errnoText()
            close(fd)
            throw AtomicFileError(path: path, message: "fsync failed: \(m)")
        }
        close(fd)
        // A test hook: holds the window between the complete temporary file
        // and the rename open, so a test can kill the process inside it.
        if let ms = ProcessInfo.processInfo.environment["HOSTAUDIT_TEST_PAUSE_BEFORE_RENAME_MS"].flatMap(UInt32.init) {
            usleep(ms * 1000)
        }
        guard rename(tmp, path) == 0 else { throw AtomicFileError(path: path, message: "cannot rename into place: \(errnoText())") }
        ok = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Removes temporary files of our own naming (`.BASE.tmp-XXXXXX`) that a
    /// killed run left next to `path`: ours (same owner), regular, and older
    /// than `olderThan` seconds (a concurrent writer's file is younger).
    package static func sweepStale(for path: String, olderThan: Double = 600) {
        let dir = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let prefix = Array(".\((path as NSString).lastPathComponent).tmp-".utf8)
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        let now = Date().timeIntervalSince1970
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            guard name.count == prefix.count + 6, name.starts(with: prefix) else { continue }
            var st = stat()
            let full = dir + "/" + String(decoding: name, as: UTF8.self)
            guard lstat(full, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_uid == geteuid(),
                now - Double(st.st_mtim.tv_sec) > olderThan
            else { continue }
            unlink(full)
        }
    }

    /// Refuses a state file, or its folder, that another user could have
    /// written: a folder owned by someone else (not root) or writable by
    /// group/others without the sticky bit; a state file that is a symbolic
    /// link, not a regular file, owned by someone else or writable by others.
    static func checkPrivate(_ path: String) throws(AtomicFileError) {
        let dir = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let me = geteuid()
        var st = stat()
        if stat(dir, &st) == 0 {
            if st.st_uid != me && st.st_uid != 0 {
                throw AtomicFileError(path: path, message: "refusing: the folder \(dir) is owned by uid \(st.st_uid), not by this user")
            }
            if st.st_mode & 0o022 != 0 && st.st_mode & S_ISVTX == 0 {
                throw AtomicFileError(
                    path: path, message: "refusing: the folder \(dir) is writable by other users (mode \(String(st.st_mode & 0o7777, radix: 8)))")
            }
        }
        if lstat(path, &st) == 0 {
            try ownFile(path, st, what: "state file")
        }
    }

    static func ownFile(_ path: String, _ st: stat, what: String) throws(AtomicFileError) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: throw AtomicFileError(path: path, message: "refusing: the \(what) is a symbolic link")
        default: throw AtomicFileError(path: path, message: "refusing: the \(what) is not a regular file")
        }
        if st.st_uid != geteuid() {
            throw AtomicFileError(path: path, message: "refusing: the \(what) is owned by uid \(st.st_uid), not by this user (planted?)")
        }
        if st.st_mode & 0o022 != 0 {
            throw AtomicFileError(
                path: path, message: "refusing: the \(what) is writable by other users (mode \(String(st.st_mode & 0o7777, radix: 8)))")
        }
    }

    /// Reads our own state file: not through a link, at most `limit` bytes; nil when absent.
    static func readPrivate(_ path: String, limit: Int = 64 << 20) throws(AtomicFileError) -> [UInt8]? {
        let fd: Int32
        switch valueOrErrno({ open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }) {
        case .success(let opened): fd = opened
        case .failure(let err) where err == .noSuchFileOrDirectory: return nil
        case .failure(let err): throw AtomicFileError(path: path, message: "cannot open: \(err)")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AtomicFileError(path: path, message: "cannot stat: \(errnoText())") }
        try ownFile(path, st, what: "state file")
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let n: Int
            switch chunk.withUnsafeMutableBytes({ c in valueOrErrno { Glibc.read(fd, c.baseAddress, c.count) } }) {
            case .success(let got): n = got
            case .failure(let err): throw AtomicFileError(path: path, message: "cannot read: \(err)")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// Whether a file could be created in `path`'s folder (checked before a long run).
    package static func checkWritable(_ path: String) throws(AtomicFileError) {
        let dir = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw AtomicFileError(path: path, message: "the folder \(dir) does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw AtomicFileError(path: path, message: "is a directory")
        }
        guard access(dir, W_OK | X_OK) == 0 else {
            throw AtomicFileError(path: path, message: "the folder \(dir) is not writable: \(errnoText())")
        }
    }
}

/// An exclusive `flock` on `STATE.lock`, held for a whole run.
package final class StateLock: Sendable {
    let fd: Int32
    package let path: String

    /// Waits up to `timeout` seconds for the lock; nil when another run still holds it.
    package static func acquire(statePath: String, timeout: Double) throws(AtomicFileError) -> StateLock? {
        let path = statePath + ".lock"
        // Never through a link another user planted, and only our own file.
        let fd: Int32
        switch valueOrErrno({ open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600) }) {
        case .success(let opened): fd = opened
        case .failure(let err):
            // The kernel's protected_regular refuses O_CREAT on another user's
            // file in a sticky folder: say whose file it is.
            var lst = stat()
            if err != .tooManySymbolicLinkLevels, lstat(path, &lst) == 0 { try AtomicFile.ownFile(path, lst, what: "lock file") }
            let why = err == .tooManySymbolicLinkLevels ? "refusing: the lock file is a symbolic link" : "cannot open the lock file: \(err)"
            throw AtomicFileError(path: path, message: why)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw AtomicFileError(path: path, message: "cannot stat the lock file: \(AtomicFile.errnoText())")
        }
        do throws(AtomicFileError) { try AtomicFile.ownFile(path, st, what: "lock file") } catch {
            close(fd)
            throw error
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            switch valueOrErrno({ flock(fd, LOCK_EX | LOCK_NB) }) {
            case .success: return StateLock(fd: fd, path: path)
            case .failure(let err) where err == .wouldBlock: break
            case .failure(let err):
                close(fd)
                throw AtomicFileError(path: path, message: "cannot lock: \(err)")
            }
            if Date() >= deadline {
                close(fd)
                return nil
            }
            usleep(50_000)
        }
    }

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
