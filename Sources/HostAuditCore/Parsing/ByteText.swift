/// Byte-exact comparisons of host strings.
///
/// Swift's `String` compares grapheme clusters under canonical equivalence:
/// `"/dev/shm/\u{301}x".hasPrefix("/dev/shm/")` is false, because the combining
/// mark joins the slash into a different character. An intruder can use that
/// to slip a path or a command line past a check. Host strings are therefore
/// compared as UTF-8 bytes (the same as comparing Unicode scalars).
package enum ByteText {
    @inline(__always)
    package static func hasPrefix(_ s: String, _ prefix: String) -> Bool {
        s.utf8.starts(with: prefix.utf8)
    }

    package static func hasSuffix(_ s: String, _ suffix: String) -> Bool {
        let a = s.utf8, b = suffix.utf8
        guard a.count >= b.count else { return false }
        return a.suffix(b.count).elementsEqual(b)
    }

    package static func equals(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// Whether `needle` occurs in `s` as a byte sequence.
    package static func contains(_ s: String, _ needle: String) -> Bool {
        if needle.isEmpty { return true }
        var hay = s
        var pin = needle
        return hay.withUTF8 { h in
            pin.withUTF8 { n in
                guard h.count >= n.count else { return false }
                let first = n[0]
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count, h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }
}
