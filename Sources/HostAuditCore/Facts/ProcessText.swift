/// Bytes a host supplied (process names, command lines, paths), kept exact.
///
/// JSON strings cannot carry invalid UTF-8, so every such field is written as
/// two keys: the text (invalid sequences replaced by U+FFFD, which the terminal
/// renderer shows as `\u{fffd}`) and a sibling `*_b64` holding the original
/// bytes in base64 — `null` when the bytes were valid UTF-8 and the text is
/// already exact. Control characters and escape sequences are valid UTF-8 and
/// stay in the text as they are (JSON escapes them; the text renderer escapes
/// them for terminals).
package enum HostBytes {
    /// The text and, when the bytes are not valid UTF-8, their base64.
    package static func text(_ bytes: some Collection<UInt8>) -> (text: String, base64: String?) {
        if let r = bytes.withContiguousStorageIfAvailable({ text($0) }) { return r }
        return Array(bytes).withUnsafeBufferPointer { text($0) }
    }

    /// `text` of contiguous bytes. ASCII, nearly every string a process
    /// scan reads, is valid UTF-8 as it is, so it skips the standard
    /// library's validation, which is generic (and unspecialised) there.
    package static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> (text: String, base64: String?) {
        var high: UInt8 = 0
        for b in bytes { high |= b }
        if high < 0x80 { return (String(decoding: bytes, as: UTF8.self), nil) }
        if let s = String(validating: bytes, as: UTF8.self) { return (s, nil) }
        return (String(decoding: bytes, as: UTF8.self), base64(Array(bytes)))
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 (RFC 4648, with padding).
    package static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard base64; nil when malformed.
    package static func decodeBase64(_ s: String) -> [UInt8]? {
        var table = [Int](repeating: -1, count: 256)
        for (n, c) in alphabet.enumerated() { table[Int(c)] = n }
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        for c in s.utf8 {
            if c == UInt8(ascii: "=") { break }
            let v = table[Int(c)]
            if v < 0 { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }
}

/// A path read from the host (an `exe` or `cwd` link, a mapped library),
/// classified the way the miner indicators need it.
public struct ProcessPath: Encodable, Sendable, Equatable {
    /// The link target without the kernel's ` (deleted)` suffix.
    public var path: String
    /// The raw bytes in base64 when they are not valid UTF-8; else null.
    public var pathB64: String?
    /// The kernel marked the file as deleted (` (deleted)` suffix).
    public var deleted: Bool
    /// A `memfd_create` file (`/memfd:NAME`): code that never touched a disk.
    public var memfd: Bool
    /// Below /tmp, /var/tmp or /dev/shm.
    public var inTempDir: Bool
    /// A directory component starts with a dot (`/tmp/.X2-x-unix/.rsync/a`).
    public var inDotDir: Bool

    public init(path: String, pathB64: String?, deleted: Bool, memfd: Bool, inTempDir: Bool, inDotDir: Bool) {
        self.path = path
        self.pathB64 = pathB64
        self.deleted = deleted
        self.memfd = memfd
        self.inTempDir = inTempDir
        self.inDotDir = inDotDir
    }

    public static let tempDirectories = ["/tmp/", "/var/tmp/", "/dev/shm/"]

    /// Classifies the raw bytes of a `readlink` on `/proc/PID/exe` (or cwd, or a maps path).
    public static func classify(_ raw: [UInt8]) -> ProcessPath {
        raw.withUnsafeBufferPointer { classify($0) }
    }

    public static func classify(_ raw: UnsafeBufferPointer<UInt8>) -> ProcessPath {
        let suffix = " (deleted)".utf8
        var bytes = raw
        var deleted = false
        if bytes.count > suffix.count && bytes[(bytes.endIndex - suffix.count)...].elementsEqual(suffix) {
            bytes = UnsafeBufferPointer(rebasing: bytes[..<(bytes.endIndex - suffix.count)])
            deleted = true
        }
        let (text, b64) = HostBytes.text(bytes)
        // Classified on the bytes: a String comparison works on grapheme
        // clusters, and a combining mark after "/dev/shm/" or "." (U+0301)
        // would join the slash or the dot into another character.
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        let memfd = bytes.starts(with: "/memfd:".utf8) || bytes.starts(with: "memfd:".utf8)
        let inTemp = tempDirectories.contains { t in
            // below the directory, or the directory itself without its trailing slash
            bytes.starts(with: t.utf8) || (bytes.count + 1 == t.utf8.count && t.utf8.starts(with: bytes))
        }
        // A directory component (not the last component) that starts with a
        // dot and is not `.` or `..`; empty components are skipped.
        var inDot = false
        if !memfd && bytes.first == slash {
            var i = bytes.startIndex
            let end = bytes.endIndex
            while i < end && !inDot {
                while i < end && bytes[i] == slash { i += 1 }
                if i == end { break }
                let start = i
                while i < end && bytes[i] != slash { i += 1 }
                // a component followed by more non-empty components is a directory
                var j = i
                while j < end && bytes[j] == slash { j += 1 }
                guard j < end else { break }
                let length = i - start
                if bytes[start] == dot && !(length == 1 || (length == 2 && bytes[start + 1] == dot)) { inDot = true }
            }
        }
        return ProcessPath(
            path: text, pathB64: b64, deleted: deleted, memfd: memfd, inTempDir: inTemp, inDotDir: inDot)
    }
}

/// A bounded command line: the first `limit` bytes split into arguments
/// exactly, plus the full length and argument count.
public struct ProcessCommandLine: Encodable, Sendable, Equatable {
    /// The arguments (argv), from the kept prefix. The last one may be cut when `truncated`.
    public var args: [String]
    /// Per argument: base64 of the bytes when they are not valid UTF-8, else null;
    /// the whole array is null when every argument is valid UTF-8.
    public var argsB64: [String?]?
    /// Number of arguments in the full command line.
    public var argc: Int
    /// Length of the full command line in bytes (NULs included).
    public var length: Int
    /// Only the first `kept_bytes` bytes are in `args` (plus, when the line is
    /// longer, the arguments that start in its last 64 KiB, after them).
    public var truncated: Bool
    public var keptBytes: Int

    public init(args: [String], argsB64: [String?]?, argc: Int, length: Int, truncated: Bool, keptBytes: Int) {
        self.args = args
        self.argsB64 = argsB64
        self.argc = argc
        self.length = length
        self.truncated = truncated
        self.keptBytes = keptBytes
    }

    /// Builds from the kept prefix, the total length, the number of NULs in the
    /// whole file and whether its last byte is a NUL. `/proc/PID/cmdline` ends
    /// every argument with a NUL; a process that rewrote its arguments
    /// (setproctitle) may not, and is kept as it is.
    ///
    /// `tail`: the last bytes past the prefix. Padding pushed past the prefix
    /// must not hide the arguments after it, so the arguments that start
    /// inside the tail are kept too (after the prefix's; a cut argument at the
    /// tail's start is dropped when bytes between the two were not kept).
    public static func parse(prefix: [UInt8], totalLength: Int, totalNULs: Int, endsWithNUL: Bool, tail: [UInt8] = [])
        -> ProcessCommandLine
    {
        var kept = prefix
        var tailArgs: [ArraySlice<UInt8>] = []
        if !tail.isEmpty {
            if prefix.count + tail.count >= totalLength {
                kept = prefix + tail  // nothing was skipped: the whole line
            } else if let nul = tail.firstIndex(of: 0) {
                let whole = tail[(nul + 1)...]
                tailArgs = whole.split(separator: 0, omittingEmptySubsequences: false)
                if whole.last == 0 || whole.isEmpty { tailArgs.removeLast() }
            }
        }
        let prefix = kept
        var parts = prefix.split(separator: 0, omittingEmptySubsequences: false)
        if prefix.last == 0 || prefix.isEmpty { parts.removeLast() }
        parts += tailArgs
        var args: [String] = []
        var b64: [String?] = []
        var anyInvalid = false
        args.reserveCapacity(parts.count)
        for p in parts {
            let (t, b) = HostBytes.text(p)
            args.append(t)
            b64.append(b)
            if b != nil { anyInvalid = true }
        }
        let argc = totalNULs + (totalLength == 0 || endsWithNUL ? 0 : 1)
        return ProcessCommandLine(
            args: args, argsB64: anyInvalid ? b64 : nil, argc: argc, length: totalLength,
            truncated: totalLength > prefix.count, keptBytes: prefix.count)
    }

    /// The arguments joined by spaces (what the policy regexes match).
    public var joined: String { args.joined(separator: " ") }
}
