import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file-system failure with the path and errno text.
public struct AtomicFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// Writes files so that a reader (node_exporter, the next run) sees either
/// the old or the new content, never a mix: a temporary file in the same
/// folder, fsync, rename over the target, fsync the folder.
public enum AtomicFile {
    static func errnoText() -> String { String(cString: strerror(errno)) }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(AtomicFileError) {
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
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let m = errnoText()
                close(fd)
                throw AtomicFileError(path: path, message: "cannot write: \(m)")
            }
            written += n
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

    /// Whether a file could be created in `path`'s folder (checked before a long run).
    public static func checkWritable(_ path: String) throws(AtomicFileError) {
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
public final class StateLock: @unchecked Sendable {
    let fd: Int32
    public let path: String

    /// Waits up to `timeout` seconds for the lock; nil when another run still holds it.
    public static func acquire(statePath: String, timeout: Double) throws(AtomicFileError) -> StateLock? {
        let path = statePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFileError(path: path, message: "cannot open the lock file: \(AtomicFile.errnoText())") }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return StateLock(fd: fd, path: path) }
            if errno != EWOULDBLOCK && errno != EINTR {
                let m = AtomicFile.errnoText()
                close(fd)
                throw AtomicFileError(path: path, message: "cannot lock: \(m)")
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
