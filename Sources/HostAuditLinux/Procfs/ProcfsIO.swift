#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CHostAuditShims
import HostAuditCore
import SystemPackage

/// An errno from a procfs read; `vanished` when the process is gone.
struct SysErr: Error {
    var errno: Errno
    var call: String

    /// ESRCH/ENOENT: the process (or the file) went away.
    var vanished: Bool { errno == .noSuchProcess || errno == .noSuchFileOrDirectory }

    var message: String { errno.description }

    /// `body` through the one syscall helper (`valueOrErrno`: EINTR retried there).
    @inline(__always)
    static func check<T: FixedWidthInteger>(_ call: String, _ body: () -> T) throws(SysErr) -> T {
        switch valueOrErrno(body) {
        case .success(let value): return value
        case .failure(let err): throw SysErr(errno: err, call: call)
        }
    }
}

/// The result of reading one procfs file: a bounded prefix plus what the
/// whole file held.
struct ReadOut {
    var bytes: [UInt8]
    /// Bytes in the whole file.
    var total: Int
    /// NUL bytes in the whole file (only when counted).
    var nuls: Int
    var lastByte: UInt8?
    /// With `keepTail`: the last bytes after the kept prefix (at most `limit`).
    var tail: [UInt8] = []
    var truncated: Bool { total > bytes.count }
}

/// Raw procfs access: `openat` relative to directory fds, `getdents64` for
/// listings (never libc `readdir`, which an LD_PRELOAD rootkit hooks), and a
/// reused read buffer. One per scan, used on one thread; every fd it opens is
/// closed before the call that opened it returns.
final class ProcfsIO {
    private let buffer: UnsafeMutableRawBufferPointer
    static let bufferSize = 64 * 1024
    /// A decimal entry name (a pid or an fd number) with its NUL, built
    /// without a String while `buffer` may hold a listing.
    private let nameBuffer: UnsafeMutablePointer<CChar>
    /// The fd numbers of one `fd` listing (kept between calls for its capacity).
    private var fdNumbers: [Int32] = []
    /// One mapping's address, perms and path (kept between calls for its capacity).
    private var mappingText: [UInt8] = []
    /// What each mapped path met so far says (libraries recur in every
    /// process); made on the first maps read, so readers that never read maps
    /// do not allocate its table.
    lazy var mapsMemo = MappedPathMemo()

    init() {
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
        nameBuffer = .allocate(capacity: 16)
    }

    deinit {
        buffer.deallocate()
        nameBuffer.deallocate()
    }

    /// `n` in decimal, NUL-terminated, in `nameBuffer`.
    private func decimalName(_ n: Int32) -> UnsafePointer<CChar> {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = UInt32(bitPattern: n)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[count] = UInt8(48 + v % 10)
                v /= 10
                count += 1
            } while v > 0
            for i in 0..<count { nameBuffer[i] = CChar(bitPattern: d[count - 1 - i]) }
        }
        nameBuffer[count] = 0
        return UnsafePointer(nameBuffer)
    }

    /// Opens the directory `/proc/PID` relative to the procfs root open at `procfd`.
    func openProcess(_ pid: Int32, at procfd: Int32) throws(SysErr) -> Int32 {
        let name = decimalName(pid)
        return try SysErr.check("openat") { openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }

    /// Every fd listed in `fd/` of the process directory open at `dirfd`
    /// (raw getdents64), in the kernel's order, with its link target as raw
    /// bytes (nil when the fd was closed between the listing and the
    /// `readlinkat`). The target is valid only during `body`. Returns the
    /// number of fds listed.
    @discardableResult
    func forEachFdLink(ofProcessDir dirfd: Int32, _ body: (Int32, UnsafeBufferPointer<UInt8>?) -> Void)
        throws(SysErr) -> Int
    {
        let fdDir = try openDirectory("fd", at: dirfd)
        defer { close(fdDir) }
        var listed = 0
        var numbers = fdNumbers  // taken out so the closure below does not capture self's storage
        fdNumbers = []
        numbers.removeAll(keepingCapacity: true)
        defer { fdNumbers = numbers }
        try forEachEntry(of: fdDir, shortNames: true) { name, _ in
            listed += 1
            if let n = Self.decimal(name) { numbers.append(n) }
        }
        let cap = Int(PATH_MAX) + 1
        let target = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
        for n in numbers {
            let got = readlinkat(fdDir, decimalName(n), target, cap)
            if got < 0 {
                body(n, nil)
            } else {
                body(n, UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: got))
            }
        }
        return listed
    }

    /// Opens a directory (relative to `dirfd`, or absolute with AT_FDCWD).
    func openDirectory(_ name: String, at dirfd: Int32 = AT_FDCWD) throws(SysErr) -> Int32 {
        try SysErr.check("openat") { openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }

    /// Reads a file relative to `dirfd`: the first `limit` bytes are kept, the
    /// rest is read and counted (so a megabyte command line gets its true length).
    /// `keepTail`: also keep the last `limit` bytes past the prefix (a command
    /// line padded past the prefix still shows its final arguments).
    ///
    /// `wholeInOneRead`: the file is one the kernel hands over whole up to
    /// the size asked for (`stat`, `status` and other single-record files,
    /// `cmdline`, `environ`; and regular files), so a read that returns less
    /// than asked is the end and the extra read that would return 0 is
    /// skipped. Not for multi-record seq files such as `maps`, which return
    /// at most a page per read.
    func read(
        _ name: String, at dirfd: Int32, limit: Int = 1 << 20, countNULs: Bool = false, keepTail: Bool = false,
        wholeInOneRead: Bool = false
    )
        throws(SysErr) -> ReadOut
    {
        let fd = try openFile(name, at: dirfd)
        defer { close(fd) }
        return try read(fd: fd, limit: limit, countNULs: countNULs, keepTail: keepTail, wholeInOneRead: wholeInOneRead)
    }

    /// Opens a file relative to `dirfd` for reading, not following a symlink.
    func openFile(_ name: String, at dirfd: Int32) throws(SysErr) -> Int32 {
        try SysErr.check("openat") { openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY) }
    }

    /// `read(_:at:...)` on an open fd, from its current offset.
    func read(fd: Int32, limit: Int = 1 << 20, countNULs: Bool = false, keepTail: Bool = false, wholeInOneRead: Bool = false)
        throws(SysErr) -> ReadOut
    {
        var out = ReadOut(bytes: [], total: 0, nuls: 0, lastByte: nil)
        while true {
            let n = try SysErr.check("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            var rest = chunk[...]
            if out.bytes.count < limit {
                let head = chunk.prefix(limit - out.bytes.count)
                out.bytes.append(contentsOf: head)
                rest = chunk[head.count...]
            }
            if keepTail && !rest.isEmpty {
                out.tail.append(contentsOf: rest)
                if out.tail.count > limit { out.tail.removeFirst(out.tail.count - limit) }
            }
            if countNULs {
                var z = 0
                for b in chunk where b == 0 { z += 1 }
                out.nuls += z
            }
            out.total += n
            out.lastByte = chunk[n - 1]
            if wholeInOneRead && n < buffer.count { break }
        }
        return out
    }

    /// The facts of the executable mappings of the process directory open at
    /// `dirfd`. PROCMAP_QUERY (Linux 6.11) hands over just the executable
    /// mappings, a few of a process's dozens, so the kernel formats no text
    /// and resolves no path for the rest; where the kernel lacks it (or
    /// `maps` is a fixture's regular file) the maps text is parsed instead,
    /// to the same facts (docs/processes.md, "Memory maps").
    /// `viaQuery` says which one answered.
    func executableMappings(at dirfd: Int32) throws(SysErr) -> (maps: ProcessMaps, viaQuery: Bool) {
        let fd = try openFile("maps", at: dirfd)
        defer { close(fd) }
        var builder = ProcessMaps.Builder(memo: mapsMemo)
        var address: UInt64 = 0
        var first = true
        // The kernel writes the name into `buffer`; each mapping's text as maps
        // would print it (address, perms, path) is built in `mappingText`.
        let name = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
        let nameCap = UInt32(Self.bufferSize)
        while true {
            var start: UInt64 = 0
            var end: UInt64 = 0
            var flags: UInt64 = 0
            var nameLength: UInt32 = 0
            if case .failure(let e) = valueOrErrno({
                CHostAuditShims_procmap_query_exec(fd, address, &start, &end, &flags, name, nameCap, &nameLength)
            }) {
                if e == .noSuchFileOrDirectory { break }  // past the last mapping
                if first && e == .noSuchProcess { break }  // no memory at all: a kernel thread (its maps text is empty)
                if first && (e == .inappropriateIOCTLForDevice || e == .invalidArgument || e.rawValue == EOPNOTSUPP) {
                    return (ProcessMaps.parse(try read(fd: fd, limit: 16 << 20).bytes), false)
                }
                throw SysErr(errno: e, call: "ioctl(PROCMAP_QUERY)")
            }
            first = false
            mappingText.removeAll(keepingCapacity: true)
            let raw = UnsafeBufferPointer(
                start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int(min(nameLength, nameCap)))
            if raw.isEmpty {
                // Anonymous: its address and perms, as maps prints them.
                Self.appendHex(start, to: &mappingText)
                mappingText.append(UInt8(ascii: "-"))
                Self.appendHex(end, to: &mappingText)
                let addressCount = mappingText.count
                mappingText.append(flags & 1 != 0 ? UInt8(ascii: "r") : UInt8(ascii: "-"))
                mappingText.append(flags & 2 != 0 ? UInt8(ascii: "w") : UInt8(ascii: "-"))
                mappingText.append(flags & 4 != 0 ? UInt8(ascii: "x") : UInt8(ascii: "-"))
                mappingText.append(flags & 8 != 0 ? UInt8(ascii: "s") : UInt8(ascii: "p"))
                mappingText.withUnsafeBufferPointer { t in
                    builder.addAnonymousExecutable(
                        address: UnsafeBufferPointer(rebasing: t[0..<addressCount]),
                        perms: UnsafeBufferPointer(rebasing: t[addressCount...]))
                }
            } else if !raw.contains(UInt8(ascii: "\n")) {
                builder.addExecutableFile(path: raw)
            } else {
                // maps text escapes a newline in a path as \012; the query does not.
                for b in raw {
                    if b == UInt8(ascii: "\n") {
                        mappingText.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "0"), UInt8(ascii: "1"), UInt8(ascii: "2")])
                    } else {
                        mappingText.append(b)
                    }
                }
                mappingText.withUnsafeBufferPointer { builder.addExecutableFile(path: $0) }
            }
            guard end > address else { break }  // the kernel moves forward; never loop
            address = end
        }
        return (builder.maps, true)
    }

    /// `v` in lowercase hex, at least 8 digits (maps' `%08lx`).
    static func appendHex(_ v: UInt64, to out: inout [UInt8]) {
        let digits = max(8, (64 - v.leadingZeroBitCount + 3) / 4)
        for i in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8((v >> (UInt64(i) * 4)) & 0xf)
            out.append(nibble < 10 ? 48 + nibble : 87 + nibble)
        }
    }

    /// Reads a small file relative to `dirfd` into the reused buffer and hands
    /// `body` its first `limit` bytes (at most the buffer size), without
    /// copying; the rest of the file, if any, is read and dropped.
    /// The file must be one the kernel hands over whole (see `read`'s
    /// `wholeInOneRead`): a short read ends it.
    func withContents<T>(
        _ name: String, at dirfd: Int32, limit: Int = 4096, _ body: (UnsafeBufferPointer<UInt8>) -> T
    ) throws(SysErr) -> T {
        let fd = try openFile(name, at: dirfd)
        defer { close(fd) }
        let keep = min(limit, buffer.count)
        var have = 0
        while true {
            let room = buffer.count - have
            let n = try SysErr.check("read") { Glibc.read(fd, buffer.baseAddress! + have, room) }
            if n == 0 { break }
            have += n
            if n < room { break }  // a short read: the whole file
            if have == buffer.count { have = keep }  // past the buffer: keep the prefix, drop the rest
        }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<min(have, keep)]).withMemoryRebound(to: UInt8.self) { body($0) }
    }

    /// A file the kernel hands over whole (see `read`'s `wholeInOneRead`):
    /// `body` gets its first `limit` bytes and whether the file held more.
    /// A file that fits the reused buffer is handed over in place; a larger
    /// one is read on as `read` does, into an array.
    func withWhole<T>(
        _ name: String, at dirfd: Int32, limit: Int, _ body: (UnsafeBufferPointer<UInt8>, _ truncated: Bool) -> T
    ) throws(SysErr) -> T {
        let fd = try openFile(name, at: dirfd)
        defer { close(fd) }
        let n = try SysErr.check("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
        let first = UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n)
        if n < buffer.count {
            return body(UnsafeBufferPointer(rebasing: first.prefix(limit)), n > limit)
        }
        var bytes = Array(first.prefix(limit))
        let rest = try read(fd: fd, limit: limit - bytes.count, wholeInOneRead: true)
        bytes += rest.bytes
        let truncated = n + rest.total > bytes.count
        return bytes.withUnsafeBufferPointer { body($0, truncated) }
    }

    /// `readlinkat`: the raw target bytes.
    func readLink(_ name: String, at dirfd: Int32) throws(SysErr) -> [UInt8] {
        try withLink(name, at: dirfd) { Array($0) }
    }

    /// `readlinkat` into the reused buffer: `body` gets the raw target bytes (at most PATH_MAX + 1).
    func withLink<T>(_ name: String, at dirfd: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> T) throws(SysErr) -> T {
        let cap = Int(PATH_MAX) + 1
        let n = try SysErr.check("readlinkat") { readlinkat(dirfd, name, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), cap) }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<n]).withMemoryRebound(to: UInt8.self) { body($0) }
    }

    /// Every entry of the directory open at `fd` (except `.` and `..`), via raw getdents64.
    /// `body` gets the name bytes (without the NUL) and d_type.
    ///
    /// `shortNames`: every name is short (an fd directory's: at most 10
    /// digits, a 32-byte entry). The kernel ends a getdents64 pass only at
    /// the end of the directory or at an entry that does not fit, so a pass
    /// that filled at most half the buffer had room for another entry and
    /// was the last one: the confirming empty pass is skipped. A fuller pass
    /// is always followed by another, so a kernel hook that strips entries
    /// from a full pass cannot end the listing early.
    func forEachEntry(
        of fd: Int32, shortNames: Bool = false, _ body: (UnsafeRawBufferPointer, UInt8) -> Void
    ) throws(SysErr) {
        while true {
            let n = try SysErr.check("getdents64") { CHostAuditShims_getdents64(fd, buffer.baseAddress, buffer.count) }
            if n == 0 { return }
            var off = 0
            while off < n {
                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                let reclen = Int(buffer.loadUnaligned(fromByteOffset: off + 16, as: UInt16.self))
                let type = buffer[off + 18]
                let nameStart = off + 19
                var nameEnd = nameStart
                while nameEnd < off + reclen && buffer[nameEnd] != 0 { nameEnd += 1 }
                let name = UnsafeRawBufferPointer(rebasing: buffer[nameStart..<nameEnd])
                let dot = name.count == 1 && name[0] == UInt8(ascii: ".")
                let dotdot = name.count == 2 && name[0] == UInt8(ascii: ".") && name[1] == UInt8(ascii: ".")
                if !dot && !dotdot { body(name, type) }
                if reclen == 0 { return }
                off += reclen
            }
            if shortNames && n <= buffer.count / 2 { return }
        }
    }

    /// Names of a directory's entries.
    func names(of fd: Int32) throws(SysErr) -> [String] {
        var out: [String] = []
        try forEachEntry(of: fd) { name, _ in out.append(String(decoding: name, as: UTF8.self)) }
        return out
    }

    /// The all-digit names of a directory, as pids (the /proc listing).
    func pids(of fd: Int32) throws(SysErr) -> [Int32] {
        var out: [Int32] = []
        try forEachEntry(of: fd) { name, _ in
            if let p = Self.decimal(name) { out.append(p) }
        }
        return out
    }

    /// Parses an all-digit name; nil otherwise.
    static func decimal(_ name: some Collection<UInt8>) -> Int32? {
        guard !name.isEmpty, name.count <= 10 else { return nil }
        var v: Int64 = 0
        for b in name {
            guard b >= 48 && b <= 57 else { return nil }
            v = v * 10 + Int64(b - 48)
        }
        return v <= Int64(Int32.max) ? Int32(v) : nil
    }
}
